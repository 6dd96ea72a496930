"""Orders through the engine (risk gate → ledger → IBBroker → real ib_async → fake TWS) and back."""
from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.rendering import en, fr
from trading_core.broker.base import OrderUpdate
from trading_core.types import EventKind, Order, OrderRequest, OrderStatus, OrderType, Side
from tests.ib.conftest import (
    ACCOUNT,
    Collector,
    events_of,
    make_broker,
    make_config,
    start_engine,
    stop_engine,
    wait_for,
)


async def test_market_order_fills_with_the_commission_from_ib_in_the_ledger(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock, es=6000.25)
    try:
        res = await engine.place_order(OrderRequest("ES", Side.BUY, 2), wait_fill=3.0)
        assert res.accepted and res.fills, res
        fill = res.fills[0]
        assert (fill.quantity, fill.price, fill.commission) == (2, 6000.25, Decimal("4.5"))
        assert fill.fill_id == tws.executions[0].exec_id  # IB's execId: a re-sent execution is booked once
        [recorded] = engine.ledger.fills()
        assert recorded.commission == Decimal("4.5") and recorded.order_id == res.order.order_id
        stored = engine.ledger.get_order(res.order.order_id)
        assert stored.status is OrderStatus.FILLED and stored.filled_quantity == 2 and stored.broker_ref
        assert (await engine.pnl_today()).commissions == Decimal("4.5")
        [placed] = tws.placed
        assert (placed.action, placed.quantity, placed.order_type, placed.tif) == ("BUY", 2.0, "MKT", "DAY")
        assert (placed.local_symbol, placed.exchange, placed.currency) == ("ESZ6", "CME", "USD")
        assert placed.order_ref == res.order.order_id and placed.account == ACCOUNT
        assert placed.transmit and placed.outside_rth
        assert engine.ledger.net_positions() == {"ES": 2} and tws.position_of("ES") == 2
    finally:
        await stop_engine(engine)


async def test_partial_fills_are_booked_one_by_one(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock)
    try:
        tws.split_next_fill(3)
        res = await engine.place_order(OrderRequest("ES", Side.SELL, 5))
        await wait_for(lambda: len(engine.ledger.fills()) == 3)
        fills = engine.ledger.fills()
        assert [f.quantity for f in fills] == [2, 2, 1]
        assert sum(f.commission for f in fills) == Decimal("11.25")
        stored = engine.ledger.get_order(res.order.order_id)
        assert stored.status is OrderStatus.FILLED and stored.filled_quantity == 5
        assert engine.ledger.net_positions() == {"ES": -5}
    finally:
        await stop_engine(engine)


async def test_bracket_follows_ib_transmit_rules_and_fills_entry_then_take_profit(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock)
    try:
        res = await engine.place_order(
            OrderRequest("ES", Side.BUY, 1, order_type=OrderType.BRACKET, stop_loss=5990.0, take_profit=6010.0),
            wait_fill=3.0,
        )
        assert res.accepted and res.fills and res.fills[0].price == 6000.0
        sl, tp = res.children
        parent_msg, sl_msg, tp_msg = tws.placed
        # IB's rule: only the last order of the group transmits, and it releases the whole group
        assert [m.transmit for m in tws.placed] == [False, False, True]
        assert sl_msg.parent_id == tp_msg.parent_id == parent_msg.order_id and parent_msg.parent_id == 0
        assert (sl_msg.order_type, sl_msg.aux_price, sl_msg.action, sl_msg.tif) == ("STP", 5990.0, "SELL", "GTC")
        assert (tp_msg.order_type, tp_msg.lmt_price, tp_msg.action, tp_msg.tif) == ("LMT", 6010.0, "SELL", "GTC")
        assert sl_msg.oca_group == tp_msg.oca_group == sl.oco_group and sl_msg.oca_type == 1
        await wait_for(lambda: engine.ledger.get_order(sl.order_id).status is OrderStatus.WORKING)
        tws.set_price("ES", 6005.0)  # between the two: nothing happens
        await asyncio.sleep(0.05)
        assert engine.ledger.get_order(tp.order_id).status is OrderStatus.WORKING
        tws.set_price("ES", 6010.0)
        await wait_for(lambda: engine.ledger.get_order(sl.order_id).status is OrderStatus.CANCELLED)
        assert engine.ledger.get_order(tp.order_id).status is OrderStatus.FILLED
        assert await engine.positions() == [] and engine.ledger.net_positions() == {}
        assert [f.price for f in engine.ledger.fills()] == [6000.0, 6010.0]
        metrics = await engine.performance_metrics()
        assert metrics.trades == 1 and metrics.wins == 1
        assert tws.position_of("ES") == 0
    finally:
        await stop_engine(engine)


async def test_bracket_stop_loss_fills_and_cancels_the_take_profit(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock)
    try:
        res = await engine.place_order(
            OrderRequest("ES", Side.SELL, 2, order_type=OrderType.BRACKET, stop_loss=6008.0, take_profit=5990.0),
            wait_fill=3.0,
        )
        sl, tp = res.children
        tws.set_price("ES", 6008.25)  # gap through the stop: fills at the market, like the exchange
        await wait_for(lambda: engine.ledger.get_order(tp.order_id).status is OrderStatus.CANCELLED)
        assert engine.ledger.get_order(sl.order_id).status is OrderStatus.FILLED
        assert [f.price for f in engine.ledger.fills()] == [6000.0, 6008.25]
        assert engine.ledger.net_positions() == {}
    finally:
        await stop_engine(engine)


async def test_limit_order_rests_then_fills_when_the_price_crosses(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock)
    try:
        res = await engine.place_order(OrderRequest("ES", Side.BUY, 1, order_type=OrderType.LIMIT, limit_price=5995.0))
        await wait_for(lambda: engine.ledger.get_order(res.order.order_id).status is OrderStatus.WORKING)
        tws.set_price("ES", 5996.0)
        await asyncio.sleep(0.05)
        assert engine.ledger.fills() == []
        tws.set_price("ES", 5994.75)  # through the limit: fills at the market, better than the limit
        await wait_for(lambda: len(engine.ledger.fills()) == 1)
        assert engine.ledger.fills()[0].price == 5994.75
    finally:
        await stop_engine(engine)


async def test_cancel_reaches_ib_and_comes_back_cancelled(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock)
    try:
        res = await engine.place_order(OrderRequest("ES", Side.SELL, 1, order_type=OrderType.STOP, stop_price=5990.0))
        await wait_for(lambda: engine.ledger.get_order(res.order.order_id).status is OrderStatus.WORKING)
        assert await engine.cancel_order(res.order.order_id)
        await wait_for(lambda: engine.ledger.get_order(res.order.order_id).status is OrderStatus.CANCELLED)
        assert tws.cancels == [tws.placed[0].order_id]
        assert events_of(engine, EventKind.ORDER_CANCELLED)
        tws.set_price("ES", 5980.0)
        await asyncio.sleep(0.05)
        assert engine.ledger.fills() == []
    finally:
        await stop_engine(engine)


async def test_ib_rejection_comes_back_as_an_engine_rejection_with_code_and_text(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock)
    sub = engine.subscribe()
    try:
        text = "Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION"
        tws.reject_next_order(201, text)
        res = await engine.place_order(OrderRequest("ES", Side.BUY, 1))
        assert res.accepted  # the risk gate accepted it; IB refuses it afterwards
        event = await sub.get(timeout=3)
        while event.kind is not EventKind.ORDER_REJECTED:
            event = await sub.get(timeout=3)
        # a venue rejection: its own event kind and code, IB's number kept as a parameter
        assert event.rejection.code == "IB_ERROR" and event.rejection.params["ib_code"] == 201 and event.rejection.is_venue
        assert "error 201" in en(event.rejection) and text in en(event.rejection)
        assert text in fr(event.rejection) and "refusé" in fr(event.rejection)
        stored = engine.ledger.get_order(res.order.order_id)
        assert stored.status is OrderStatus.REJECTED and stored.reason == event.rejection
        assert engine.ledger.fills() == [] and await engine.working_orders() == []
    finally:
        sub.close()
        await stop_engine(engine)


async def test_rejected_bracket_parent_takes_its_children_with_it(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock)
    try:
        tws.reject_next_order(201, "Order rejected - reason:Insufficient margin")
        res = await engine.place_order(
            OrderRequest("ES", Side.BUY, 1, order_type=OrderType.BRACKET, stop_loss=5990.0, take_profit=6010.0)
        )
        ids = [res.order.order_id, *(c.order_id for c in res.children)]
        await wait_for(lambda: all(engine.ledger.get_order(i).status is OrderStatus.REJECTED for i in ids))
        assert {(engine.ledger.get_order(i).reason.code, engine.ledger.get_order(i).reason.params["ib_code"]) for i in ids} == {("IB_ERROR", 201)}
        assert await engine.working_orders() == []
    finally:
        await stop_engine(engine)


async def test_fill_waits_for_a_late_commission_report(tmp_path, tws, clock):
    engine, broker, _ = await start_engine(tmp_path, tws, clock, broker_options={"commission_wait_s": 2.0})
    try:
        tws.commission_delay_s = 0.2
        res = await engine.place_order(OrderRequest("ES", Side.BUY, 1), wait_fill=3.0)
        assert res.fills and res.fills[0].commission == Decimal("2.25")
    finally:
        await stop_engine(engine)


async def test_missing_commission_report_books_the_estimate_and_keeps_event_order(tmp_path, tws, clock):
    cfg = make_config(tmp_path, tws)
    broker = make_broker(cfg, clock, commission_wait_s=0.2, fallback_commission_per_contract=Decimal("1.95"))
    sink = Collector()
    broker.set_event_sink(sink)
    await broker.connect()
    try:
        tws.send_commissions = False
        first = Order("O-1", "c-1", "ES", Side.BUY, 2, OrderType.MARKET, OrderStatus.PENDING, clock.now())
        second = Order("O-2", "c-2", "ES", Side.SELL, 1, OrderType.LIMIT, OrderStatus.PENDING, clock.now(),
                       limit_price=6050.0)
        await broker.submit([first])
        await broker.submit([second])
        await asyncio.sleep(0.05)
        # the second order's acknowledgement arrived after the first fill: it waits behind it
        assert [(u.order_id, u.status) for u in sink.of(OrderUpdate)] == [("O-1", OrderStatus.WORKING)]
        await wait_for(lambda: len(sink.of(OrderUpdate)) == 3, timeout=2.0)
        updates = sink.of(OrderUpdate)
        assert [(u.order_id, u.status) for u in updates] == [
            ("O-1", OrderStatus.WORKING), ("O-1", OrderStatus.FILLED), ("O-2", OrderStatus.WORKING)]
        assert updates[1].fill.commission == Decimal("3.90")  # 2 x the estimate per contract
        assert await broker.wait_idle(0.1)
    finally:
        await broker.disconnect()


async def test_orders_while_disconnected_are_rejected_not_queued(tmp_path, tws, clock):
    cfg = make_config(tmp_path, tws)
    broker = make_broker(cfg, clock)
    sink = Collector()
    broker.set_event_sink(sink)
    order = Order("O-1", "c-1", "ES", Side.BUY, 1, OrderType.MARKET, OrderStatus.PENDING, clock.now())
    await broker.submit([order])
    [update] = sink.of(OrderUpdate)
    assert update.status is OrderStatus.REJECTED and update.rejection.code == "BROKER_DISCONNECTED"
    assert "n'est pas connecté" in fr(update.rejection)
    assert tws.placed == []


async def test_broker_refuses_what_the_engine_should_never_send(tmp_path, tws, clock):
    broker = make_broker(make_config(tmp_path, tws), clock)
    sink = Collector()
    broker.set_event_sink(sink)
    await broker.connect()
    try:
        off_tick = Order("O-1", "c-1", "ES", Side.BUY, 1, OrderType.LIMIT, OrderStatus.PENDING, clock.now(),
                         limit_price=6000.1)
        zero = Order("O-2", "c-2", "ES", Side.BUY, 0, OrderType.MARKET, OrderStatus.PENDING, clock.now())
        await broker.submit([off_tick])
        await broker.submit([zero])
        codes = [u.rejection.code for u in sink.of(OrderUpdate)]
        assert codes == ["BROKER_INVALID_PRICE", "BROKER_INVALID_QUANTITY"]
        assert tws.placed == []
        try:
            await broker.submit([off_tick])
        except ValueError as exc:
            assert "already submitted" in str(exc)
        else:
            raise AssertionError("a resubmitted order id must be refused")
    finally:
        await broker.disconnect()
