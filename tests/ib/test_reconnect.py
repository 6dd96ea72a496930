"""Connection loss, automatic reconnect with backoff, and reconciliation against the ledger."""
from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.rendering import en, fr
from trading_core.broker.base import ConnectionUpdate
from trading_core.types import EventKind, OrderRequest, OrderStatus, OrderType, Severity, Side
from tests.ib.conftest import (
    Collector,
    events_of,
    make_broker,
    make_config,
    start_engine,
    stop_engine,
    wait_for,
)


async def test_drop_and_reconnect_become_engine_alerts(tmp_path, tws, clock):
    engine, broker, reconciler = await start_engine(tmp_path, tws, clock)
    try:
        # the first connection is no news for the engine, but it was reconciled
        assert events_of(engine, EventKind.BROKER_RECONNECTED) == [] and reconciler.runs == 1
        await tws.drop_connections()
        await wait_for(lambda: len(events_of(engine, EventKind.BROKER_DISCONNECTED)) == 1)
        [down] = events_of(engine, EventKind.BROKER_DISCONNECTED)
        assert down.severity is Severity.CRITICAL and "connection lost" in en(down) and "perdue" in fr(down)
        assert not (await engine.status()).broker_connected
        await wait_for(lambda: len(events_of(engine, EventKind.BROKER_RECONNECTED)) == 1)
        assert broker.connected and len(tws.connections) == 2 and broker.reconnects == 1
        await wait_for(lambda: reconciler.runs == 2)
        assert reconciler.last == [] and events_of(engine, EventKind.RECONCILIATION_MISMATCH) == []
        res = await engine.place_order(OrderRequest("ES", Side.BUY, 1), wait_fill=3.0)  # trading again
        assert res.fills
    finally:
        await stop_engine(engine)


async def test_reconnect_backs_off_exponentially_while_tws_is_down(tmp_path, tws, clock):
    cfg = make_config(tmp_path, tws, reconnect_max_backoff_s=0.4)
    broker = make_broker(cfg, clock, reconnect_initial_backoff_s=0.05)
    sink = Collector()
    broker.set_event_sink(sink)
    await broker.connect()
    try:
        await tws.stop_listening()  # TWS restarts: connections dropped, new ones refused
        await wait_for(lambda: len(broker.reconnect_attempts) >= 5, timeout=3.0)
        gaps = [b - a for a, b in zip(broker.reconnect_attempts, broker.reconnect_attempts[1:])]
        # doubling from the initial delay, capped at reconnect_max_backoff_s (never shorter; a loaded
        # machine may make them a little longer)
        for gap, nominal in zip(gaps, (0.1, 0.2, 0.4, 0.4)):
            assert nominal - 0.005 <= gap < nominal + 0.5, gaps
        assert not broker.connected
        await tws.start_listening()
        await wait_for(lambda: broker.connected, timeout=3.0)
        assert [u.connected for u in sink.of(ConnectionUpdate)] == [True, False, True]
        assert "attempt" in sink.of(ConnectionUpdate)[-1].detail
    finally:
        await broker.disconnect()


async def test_position_changed_at_ib_while_away_raises_a_mismatch_alert_never_an_overwrite(tmp_path, tws, clock):
    engine, broker, reconciler = await start_engine(tmp_path, tws, clock)
    try:
        res = await engine.place_order(OrderRequest("ES", Side.BUY, 1), wait_fill=3.0)
        assert res.fills and engine.ledger.net_positions() == {"ES": 1}
        await tws.drop_connections()
        await wait_for(lambda: not broker.connected)
        tws.set_position("ES", 3)  # someone traded 2 more in TWS while MIA was away
        await wait_for(lambda: len(events_of(engine, EventKind.RECONCILIATION_MISMATCH)) == 1, timeout=4.0)
        [alert] = events_of(engine, EventKind.RECONCILIATION_MISMATCH)
        assert alert.severity is Severity.CRITICAL and alert.symbol == "ES"
        assert "ES: ledger +1, Interactive Brokers +3" in en(alert)
        assert "ES : registre +1, Interactive Brokers +3" in fr(alert)
        assert engine.ledger.net_positions() == {"ES": 1}  # the ledger was not touched
        assert [(p.symbol, p.quantity) for p in await engine.positions()] == [("ES", 1)]
    finally:
        await stop_engine(engine)


async def test_fills_and_cancels_missed_while_disconnected_are_recovered(tmp_path, tws, clock):
    engine, broker, reconciler = await start_engine(tmp_path, tws, clock)
    try:
        res = await engine.place_order(
            OrderRequest("ES", Side.BUY, 2, order_type=OrderType.BRACKET, stop_loss=5990.0, take_profit=6010.0),
            wait_fill=3.0,
        )
        sl, tp = res.children
        await wait_for(lambda: engine.ledger.get_order(tp.order_id).status is OrderStatus.WORKING)
        await tws.stop_listening()
        await wait_for(lambda: not broker.connected)
        tws.set_price("ES", 6010.0)  # the take profit fills at IB while MIA is disconnected
        assert tws.position_of("ES") == 0
        await tws.start_listening()
        await wait_for(lambda: engine.ledger.get_order(sl.order_id).status is OrderStatus.CANCELLED, timeout=4.0)
        assert engine.ledger.get_order(tp.order_id).status is OrderStatus.FILLED
        fills = engine.ledger.fills()
        assert [(f.order_id, f.price, f.commission) for f in fills] == [
            (res.order.order_id, 6000.0, Decimal("4.5")), (tp.order_id, 6010.0, Decimal("4.5"))]
        assert engine.ledger.net_positions() == {}
        await wait_for(lambda: reconciler.runs >= 2)
        await reconciler.wait()
        assert reconciler.last == [] and events_of(engine, EventKind.RECONCILIATION_MISMATCH) == []
    finally:
        await stop_engine(engine)


async def test_cancel_asked_while_disconnected_is_sent_after_the_reconnect(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock)
    try:
        res = await engine.place_order(OrderRequest("ES", Side.BUY, 1, order_type=OrderType.LIMIT, limit_price=5990.0))
        await wait_for(lambda: engine.ledger.get_order(res.order.order_id).status is OrderStatus.WORKING)
        await tws.stop_listening()
        await wait_for(lambda: not broker.connected)
        assert await engine.cancel_order(res.order.order_id)
        await asyncio.sleep(0.05)
        # still working at IB as far as anyone knows: not reported cancelled yet
        assert engine.ledger.get_order(res.order.order_id).status is OrderStatus.WORKING
        await tws.start_listening()
        await wait_for(lambda: engine.ledger.get_order(res.order.order_id).status is OrderStatus.CANCELLED, timeout=4.0)
        assert tws.cancels == [tws.placed[0].order_id]
    finally:
        await stop_engine(engine)


async def test_tws_losing_its_link_to_ib_is_reported(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock)
    try:
        tws.send_error(-1, 1100, "Connectivity between IB and Trader Workstation has been lost.")
        await wait_for(lambda: len(events_of(engine, EventKind.BROKER_DISCONNECTED)) == 1)
        assert not broker.connected
        refused = await engine.place_order(OrderRequest("ES", Side.BUY, 1))
        await wait_for(lambda: engine.ledger.get_order(refused.order.order_id).status is OrderStatus.REJECTED)
        assert engine.ledger.get_order(refused.order.order_id).reason.code == "BROKER_DISCONNECTED"
        tws.send_error(-1, 1102, "Connectivity between IB and Trader Workstation has been restored - data maintained.")
        await wait_for(lambda: len(events_of(engine, EventKind.BROKER_RECONNECTED)) == 1)
        assert broker.connected
    finally:
        await stop_engine(engine)


async def test_restart_adopts_orders_still_at_ib_and_flags_the_ones_it_no_longer_has(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock)
    keep = await engine.place_order(OrderRequest("ES", Side.BUY, 1, order_type=OrderType.LIMIT, limit_price=5990.0))
    gone = await engine.place_order(OrderRequest("ES", Side.BUY, 1, order_type=OrderType.LIMIT, limit_price=5985.0))
    ids = [keep.order.order_id, gone.order.order_id]
    await wait_for(lambda: all(engine.ledger.get_order(i).status is OrderStatus.WORKING for i in ids))
    await stop_engine(engine)  # MIA stops; the GTC orders stay at IB
    gone_at_ib = next(p.order_id for p in tws.placed if p.order_ref == gone.order.order_id)
    tws.cancel_in_tws(gone_at_ib)  # cancelled by hand in TWS while MIA is not running

    engine, broker, reconciler = await start_engine(tmp_path, tws, clock)
    try:
        assert reconciler.last == [] and reconciler.last_orders == [gone.order.order_id]
        [alert] = events_of(engine, EventKind.RECONCILIATION_MISMATCH)
        assert gone.order.order_id in en(alert) and gone.order.order_id in fr(alert)
        assert keep.order.order_id not in en(alert)
        assert engine.ledger.get_order(gone.order.order_id).status is OrderStatus.WORKING  # not overwritten
        # the order still at IB was recognised by its orderRef: cancelling it reaches IB
        assert await engine.cancel_order(keep.order.order_id)
        await wait_for(lambda: engine.ledger.get_order(keep.order.order_id).status is OrderStatus.CANCELLED)
        keep_at_ib = next(p.order_id for p in tws.placed if p.order_ref == keep.order.order_id)
        assert tws.cancels == [keep_at_ib]
    finally:
        await stop_engine(engine)
