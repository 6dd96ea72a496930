"""Issue #15 item 2: the daily-loss flatten is idempotent when the broker fills late.

Engine -> IBBroker -> the real ib_async client -> the fake TWS, whose market orders fill only after
several more prices (`market_fill_delay`). One breach is one alert and one closing order; later
quotes never cancel it or send another, and the position ends flat, never reversed."""
from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from tests.rendering import en, fr
from trading_core.api import CLOSING_PREFIX, Engine
from trading_core.broker.reconcile import Reconciler
from trading_core.clock import MarketClock
from trading_core.types import EventKind, OrderRequest, OrderType, Severity, Side, TradingState
from tests.ib.conftest import T0, events_of, make_broker, make_config, wait_for


async def _engine(tmp_path, tws, clock, daily_loss_limit: int = 1000) -> Engine:
    cfg = make_config(tmp_path, tws)
    cfg = cfg.model_copy(update={"risk": cfg.risk.model_copy(update={"daily_loss_limit": Decimal(daily_loss_limit)})})
    broker = make_broker(cfg, clock)
    engine = Engine(cfg, broker, clock=MarketClock(), mode="paper")
    reconciler = Reconciler(engine, broker, settle_s=0.05).attach()
    tws.set_price("ES", 6000.0)
    await engine.start(run_feed=False)
    engine.on_price("ES", 6000.0, T0)
    engine.on_price("MNQ", 21000.0, T0)
    await reconciler.wait()
    return engine


async def _quote(engine: Engine, tws, price: float, n: int) -> None:
    tws.set_price("ES", price)
    engine.on_price("ES", price, T0 + timedelta(seconds=n))
    await asyncio.sleep(0.15)  # let the broker's messages go and come back between quotes


async def test_breach_with_late_fills_sends_one_closing_order_and_one_alert(tmp_path, tws, clock):
    engine = await _engine(tmp_path, tws, clock)
    try:
        res = await engine.place_order(OrderRequest("ES", Side.BUY, 2), wait_fill=3.0)
        assert res.fills and engine.ledger.net_positions() == {"ES": 2}
        tws.market_fill_delay = 5  # from now on a market order fills after five more prices
        for n in range(1, 6):  # five quotes, each past the daily loss limit, before the fill
            await _quote(engine, tws, 5985.0 - n * 0.25, n)
            if n == 1:
                await wait_for(lambda: len(tws.placed) == 2)
        assert engine.ledger.net_positions() == {"ES": 2}  # the fill has not come yet
        closing = [p for p in tws.placed if p.action == "SELL"]
        assert len(closing) == 1 and closing[0].quantity == 2.0
        assert tws.cancels == []
        await _quote(engine, tws, 5983.0, 6)  # the late fill
        await wait_for(lambda: engine.ledger.net_positions() == {})
        await asyncio.sleep(0.2)
        assert tws.position_of("ES") == 0  # flat at the broker too, never reversed
        assert [p.action for p in tws.placed] == ["BUY", "SELL"] and tws.cancels == []
        breaches = events_of(engine, EventKind.RISK_BREACH)
        critical = [e for e in engine.events_since(0, limit=None) if e.severity is Severity.CRITICAL]
        assert len(breaches) == 1 and critical == breaches
        assert engine.state is TradingState.HALTED
        # more prices after the flatten change nothing
        for n in range(7, 10):
            await _quote(engine, tws, 5980.0, n)
        assert len(tws.placed) == 2 and len(events_of(engine, EventKind.RISK_BREACH)) == 1
    finally:
        await engine.stop()
        engine.close()


async def test_a_second_close_while_the_first_is_in_flight_sends_nothing(tmp_path, tws, clock):
    engine = await _engine(tmp_path, tws, clock, daily_loss_limit=100_000)
    try:
        await engine.place_order(OrderRequest("ES", Side.BUY, 3), wait_fill=3.0)
        tws.market_fill_delay = 2
        first = await engine.close_positions("ES", source="cli")
        assert len(first.orders) == 1 and first.orders[0].accepted
        assert first.orders[0].order.client_order_id.startswith(CLOSING_PREFIX)
        await wait_for(lambda: len(tws.placed) == 2)
        second = await engine.close_positions(None, source="kill_switch")
        assert second.orders == () and second.cancelled_orders == 0 and second.in_progress == ("ES",)
        # halted with the close working, a manual sell of the same contracts would reverse the position
        await engine.halt("test")
        refused = await engine.place_order(OrderRequest("ES", Side.SELL, 3))
        assert not refused.accepted and refused.rejection.code == "HALTED"
        assert "already close 3 contracts" in en(refused.rejection)
        for n in range(1, 3):
            await _quote(engine, tws, 6000.0, n)
        await wait_for(lambda: engine.ledger.net_positions() == {})
        assert len(tws.placed) == 2 and tws.cancels == [] and tws.position_of("ES") == 0
    finally:
        await engine.stop()
        engine.close()


async def test_close_waits_for_the_cancel_of_a_protective_stop_before_closing(tmp_path, tws, clock):
    # A bracket's stop loss works at the broker; closing cancels it first and only then sells, so the
    # stop and the closing order can never both fill.
    engine = await _engine(tmp_path, tws, clock, daily_loss_limit=100_000)
    try:
        res = await engine.place_order(
            OrderRequest("ES", Side.BUY, 2, order_type=OrderType.BRACKET,
                         stop_loss=5990.0, take_profit=6010.0), wait_fill=3.0)
        assert res.accepted and res.fills
        await wait_for(lambda: len(engine._orders) == 2)  # the two children work at the broker
        closed = await engine.close_positions("ES")
        assert closed.cancelled_orders == 2 and len(closed.orders) == 1 and closed.orders[0].accepted
        await wait_for(lambda: engine.ledger.net_positions() == {})
        # both children were cancelled (and confirmed) before the closing sell reached the broker
        assert len(tws.cancels) == 2
        assert [(p.action, p.order_type) for p in tws.placed][-1] == ("SELL", "MKT")
        assert tws.position_of("ES") == 0
    finally:
        await engine.stop()
        engine.close()
