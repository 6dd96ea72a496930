"""Engine API: orders through risk gate → paper broker → ledger; states; daily loss; restart."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.rendering import en, fr

from trading_core.api import Engine
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.config import load_config
from trading_core.instruments import get_instrument
from trading_core.types import LossLimitBreach, EventKind, OrderRequest, OrderStatus, OrderType, Severity, Side, TradingState

# A Wednesday, 10:00 New York: the market is open.
T0 = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)


def make_engine(tmp_path, **risk) -> Engine:
    cfg = load_config(env={}, overrides={"data_dir": str(tmp_path), "risk": risk} if risk else {"data_dir": str(tmp_path)})
    broker = PaperBroker(get_instrument, slippage_ticks=cfg.paper.slippage_ticks, commission_per_contract=cfg.paper.commission_per_contract)
    return Engine(cfg, broker, clock=MarketClock(), mode="paper")


async def started(engine: Engine, es: float = 6000.0, mnq: float = 21000.0) -> Engine:
    await engine.start(run_feed=False)
    engine.on_price("ES", es, T0)
    engine.on_price("MNQ", mnq, T0)
    return engine


def tick(engine: Engine, symbol: str, price: float, seconds: int = 1) -> None:
    engine.on_price(symbol, price, engine.clock.now() + timedelta(seconds=seconds))


async def test_market_order_fills_at_next_price_with_slippage_and_commission(tmp_path):
    engine = await started(make_engine(tmp_path))
    res = await engine.place_order(OrderRequest("ES", Side.BUY, 2))
    assert res.accepted and res.order.status in (OrderStatus.PENDING, OrderStatus.WORKING)
    tick(engine, "ES", 6001.0)
    await asyncio.sleep(0)
    pos = await engine.positions()
    assert [(p.symbol, p.quantity, p.avg_price) for p in pos] == [("ES", 2, 6001.25)]  # 1 tick slippage
    pnl = await engine.pnl_today()
    assert pnl.commissions == Decimal("4.50")
    stored = engine.ledger.get_order(res.order.order_id)
    assert stored.status is OrderStatus.FILLED and stored.filled_quantity == 2
    await engine.stop(); engine.close()


async def test_place_order_can_wait_for_its_fill(tmp_path):
    engine = await started(make_engine(tmp_path))

    async def price_later():
        await asyncio.sleep(0.05)
        tick(engine, "ES", 6000.5)

    asyncio.get_running_loop().create_task(price_later())
    res = await engine.place_order(OrderRequest("ES", Side.SELL, 1), wait_fill=2.0)
    assert res.fills and res.fills[0].price == 6000.25 and res.order.status is OrderStatus.FILLED
    await engine.stop(); engine.close()


async def test_client_order_id_is_idempotent(tmp_path):
    engine = await started(make_engine(tmp_path))
    req = OrderRequest("ES", Side.BUY, 1, client_order_id="abc-1")
    first = await engine.place_order(req)
    second = await engine.place_order(req)
    assert first.accepted and second.duplicate and second.order.order_id == first.order.order_id
    assert len([o for o in engine.ledger.orders(limit=None) if o.client_order_id == "abc-1"]) == 1
    await engine.stop(); engine.close()


@pytest.mark.parametrize(
    "req,code",
    [
        (OrderRequest("ES", Side.BUY, 0), "QTY_NOT_POSITIVE"),
        (OrderRequest("ES", Side.BUY, 10_000), "QTY_ABOVE_MAX"),
        (OrderRequest("ZZ", Side.BUY, 1), "UNKNOWN_SYMBOL"),
        (OrderRequest("ES", Side.BUY, 1, order_type=OrderType.LIMIT, limit_price=3000.0), "PRICE_BAND"),
    ],
)
async def test_rejections_have_codes_and_sentences_and_are_recorded(tmp_path, req, code):
    engine = await started(make_engine(tmp_path))
    sub = engine.subscribe()
    res = await engine.place_order(req)
    assert not res.accepted and res.rejection.code == code and not res.rejection.is_venue
    assert en(res.rejection) and fr(res.rejection) and en(res.rejection) != fr(res.rejection)
    # a local denial is its own kind of event, never mistaken for a rejection by the broker
    events = [e for e in engine.events_since(0) if e.kind is EventKind.ORDER_DENIED]
    assert events and events[-1].rejection.code == code
    assert not [e for e in engine.events_since(0) if e.kind is EventKind.ORDER_REJECTED]
    ev = await sub.get(timeout=1)
    while ev.kind is not EventKind.ORDER_DENIED:
        ev = await sub.get(timeout=1)
    assert ev.rejection.code == code
    await engine.stop(); engine.close()


async def test_bracket_take_profit_cancels_stop_loss(tmp_path):
    engine = await started(make_engine(tmp_path))
    res = await engine.place_order(
        OrderRequest("ES", Side.BUY, 1, order_type=OrderType.BRACKET, stop_loss=5990.0, take_profit=6010.0)
    )
    assert res.accepted and len(res.children) == 2
    tick(engine, "ES", 6000.0)  # entry fills at 6000.25
    tick(engine, "ES", 6010.5)  # take profit
    await asyncio.sleep(0)
    sl, tp = res.children
    assert engine.ledger.get_order(tp.order_id).status is OrderStatus.FILLED
    assert engine.ledger.get_order(sl.order_id).status is OrderStatus.CANCELLED
    assert await engine.positions() == []
    m = await engine.performance_metrics()
    assert m.trades == 1 and m.wins == 1
    await engine.stop(); engine.close()


async def test_halted_refuses_new_risk_but_allows_flattening(tmp_path):
    engine = await started(make_engine(tmp_path))
    await engine.place_order(OrderRequest("ES", Side.BUY, 2))
    tick(engine, "ES", 6000.0)
    await engine.halt()
    assert engine.state is TradingState.HALTED
    refused = await engine.place_order(OrderRequest("ES", Side.BUY, 1))
    assert not refused.accepted and refused.rejection.code == "HALTED"
    closed = await engine.close_positions("ES")
    assert closed.orders and all(r.accepted for r in closed.orders)
    tick(engine, "ES", 6000.0)
    await asyncio.sleep(0)
    assert await engine.positions() == []
    await engine.resume()
    assert (await engine.place_order(OrderRequest("ES", Side.BUY, 1))).accepted
    await engine.stop(); engine.close()


async def test_reducing_allows_only_smaller_exposure(tmp_path):
    engine = await started(make_engine(tmp_path))
    await engine.place_order(OrderRequest("ES", Side.BUY, 3))
    tick(engine, "ES", 6000.0)
    await engine.reduce_only()
    more = await engine.place_order(OrderRequest("ES", Side.BUY, 1))
    flip = await engine.place_order(OrderRequest("ES", Side.SELL, 5))
    less = await engine.place_order(OrderRequest("ES", Side.SELL, 1))
    assert not more.accepted and more.rejection.code == "REDUCING_ONLY"
    assert not flip.accepted and flip.rejection.code == "REDUCING_ONLY"
    assert less.accepted
    await engine.stop(); engine.close()


async def test_daily_loss_limit_halts_flattens_and_raises_critical_event(tmp_path):
    engine = await started(make_engine(tmp_path, daily_loss_limit=1000))
    sub = engine.subscribe()
    await engine.place_order(OrderRequest("ES", Side.BUY, 2))
    tick(engine, "ES", 6000.0)  # filled at 6000.25
    tick(engine, "ES", 5989.0)  # -11.25 pts * 2 * $50 = -$1125 (< -$1000)
    for _ in range(5):
        await asyncio.sleep(0.01)
    tick(engine, "ES", 5989.0)  # the flattening market order fills
    await asyncio.sleep(0.01)
    assert engine.state is TradingState.HALTED
    assert await engine.positions() == []
    kinds = []
    while not sub.queue.empty():
        kinds.append((await sub.get()).kind)
    crit = [e for e in engine.events_since(0) if e.kind is EventKind.RISK_BREACH]
    assert crit and crit[0].severity is Severity.CRITICAL
    breach = crit[0].payload
    assert isinstance(breach, LossLimitBreach) and breach.pnl <= -breach.limit and breach.flatten
    assert breach.state.current is TradingState.HALTED
    assert EventKind.RISK_BREACH in kinds
    refused = await engine.place_order(OrderRequest("ES", Side.BUY, 1))
    assert not refused.accepted
    await engine.stop(); engine.close()


async def test_set_risk_is_range_checked_and_sizes_orders(tmp_path):
    engine = await started(make_engine(tmp_path))
    assert not (await engine.set_risk(0)).ok
    assert not (await engine.set_risk(50)).ok
    assert not (await engine.set_risk(1, "XYZ")).ok
    ok = await engine.set_risk("0.5", "ES")
    assert ok.ok and ok.risk_percent == Decimal("0.5")
    preview = await engine.preview_order(OrderRequest("ES", Side.BUY, None))
    # 0.5 % of $100 000 = $500; fallback stop 5 points = $250 per contract -> 2 contracts
    assert preview.quantity == 2 and preview.estimated_risk == Decimal("500")
    assert engine.risk_percent_for("MNQ") == Decimal("1.0")
    await engine.stop(); engine.close()


async def test_state_survives_restart(tmp_path):
    engine = await started(make_engine(tmp_path))
    await engine.place_order(OrderRequest("ES", Side.BUY, 2))
    tick(engine, "ES", 6000.0)
    await engine.set_risk(2)
    await engine.halt()
    await engine.stop(); engine.close()

    again = make_engine(tmp_path)
    await again.start(run_feed=False)
    pos = await again.positions()
    assert [(p.symbol, p.quantity, p.avg_price) for p in pos] == [("ES", 2, 6000.25)]
    assert again.state is TradingState.HALTED and again.risk_percent_for("ES") == Decimal("2")
    await again.stop(); again.close()


async def test_kill_switch_flattens_a_position_larger_than_the_max_order_size(tmp_path):
    # 14 contracts built with two orders of 7 (max 10 per order): the kill switch sells 14 at once.
    engine = await started(make_engine(tmp_path, max_order_size=10, max_position_per_symbol=20))
    for _ in range(2):
        assert (await engine.place_order(OrderRequest("ES", Side.BUY, 7))).accepted
        tick(engine, "ES", 6000.0)
    assert [(p.symbol, p.quantity) for p in await engine.positions()] == [("ES", 14)]
    closed = await engine.kill_switch("test")
    assert [r.accepted for r in closed.orders] == [True]
    tick(engine, "ES", 5999.0)
    await asyncio.sleep(0)
    assert await engine.positions() == [] and engine.state is TradingState.HALTED
    # a new 14-lot is still refused by the order size, even after resuming
    await engine.resume("test")
    refused = await engine.place_order(OrderRequest("ES", Side.SELL, 14))
    assert not refused.accepted and refused.rejection.code == "QTY_ABOVE_MAX"
    await engine.stop(); engine.close()
