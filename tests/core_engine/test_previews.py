"""What a close or a halt will do is asked of the engine (`preview_close`, `preview_halt`) and the
confirmation executes exactly that preview, with its pinned ids, or nothing when the book moved; the
engine hands out immutable order snapshots; reduce-only mode."""
from __future__ import annotations

import asyncio
from dataclasses import FrozenInstanceError

import pytest

from tests.core_engine.test_engine import make_engine, started, tick
from trading_core.risk.reasons import ReasonCode
from trading_core.types import (
    EventKind,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TradingState,
)


async def _long(engine, qty: int = 2, symbol: str = "ES", price: float = 6000.0) -> None:
    res = await engine.place_order(OrderRequest(symbol, Side.BUY, qty))
    assert res.accepted
    tick(engine, symbol, price)
    await asyncio.sleep(0)


async def test_close_executes_the_preview_it_was_confirmed_with(tmp_path):
    engine = await started(make_engine(tmp_path))
    try:
        await _long(engine, 2)
        entry = await engine.place_order(OrderRequest("ES", Side.BUY, 1, order_type=OrderType.LIMIT, limit_price=5990.0))
        preview = await engine.preview_close("ES")
        assert [(p.symbol, p.quantity) for p in preview.positions] == [("ES", 2)]
        assert [o.order_id for o in preview.cancels] == [entry.order.order_id]
        [closing] = preview.closing
        assert (closing.symbol, closing.side, closing.quantity) == ("ES", Side.SELL, 2)
        assert not preview.nothing_to_do and await engine.working_orders()  # a preview does nothing
        assert [(p.symbol, p.quantity) for p in await engine.positions()] == [("ES", 2)]

        res = await engine.close_positions("ES", source="test", preview=preview)
        assert res.rejection is None and res.cancelled_orders == 1
        [sent] = res.orders
        assert sent.order.client_order_id == closing.client_order_id  # the pinned id, not a new one
        tick(engine, "ES", 6001.0)
        await asyncio.sleep(0)
        assert await engine.positions() == []

        # the same read-back confirmed twice (two taps): the book moved, nothing is sent again
        again = await engine.close_positions("ES", source="test", preview=preview)
        assert again.rejection.code is ReasonCode.PREVIEW_CHANGED and again.orders == ()
        assert again.current is not None and again.current.positions == ()
        assert len([o for o in await engine.recent_orders(50) if o.client_order_id.startswith("mia-close-")]) == 1
    finally:
        await engine.stop(); engine.close()


async def test_a_close_read_back_whose_positions_changed_does_nothing(tmp_path):
    engine = await started(make_engine(tmp_path))
    try:
        await _long(engine, 1)
        preview = await engine.preview_close(None)
        await _long(engine, 1)  # another fill between the read-back and the "yes"
        res = await engine.close_positions(None, preview=preview)
        assert res.rejection.code is ReasonCode.PREVIEW_CHANGED and res.orders == ()
        assert [(p.symbol, p.quantity) for p in res.current.positions] == [("ES", 2)]
        assert [(p.symbol, p.quantity) for p in await engine.positions()] == [("ES", 2)]
    finally:
        await engine.stop(); engine.close()


async def test_close_preview_of_an_unknown_symbol_or_nothing(tmp_path):
    engine = await started(make_engine(tmp_path))
    try:
        bad = await engine.preview_close("ZZ")
        assert bad.rejection.code is ReasonCode.UNKNOWN_SYMBOL and not bad.nothing_to_do
        assert (await engine.preview_close(None)).nothing_to_do
    finally:
        await engine.stop(); engine.close()


async def test_halt_preview_names_the_orders_it_cancels_and_the_halt_cancels_them(tmp_path):
    engine = await started(make_engine(tmp_path))
    try:
        await _long(engine, 1)
        bracket = await engine.place_order(OrderRequest("ES", Side.BUY, 1, order_type=OrderType.BRACKET, limit_price=5990.0,
                                                        stop_loss=5980.0, take_profit=6010.0))
        reducing = await engine.place_order(OrderRequest("ES", Side.SELL, 1, order_type=OrderType.LIMIT, limit_price=6020.0))
        preview = await engine.preview_halt()
        # the entry that adds exposure is cancelled; its protective children and the reducing order stay
        assert [o.order_id for o in preview.cancels] == [bracket.order.order_id]
        assert [(p.symbol, p.quantity) for p in preview.positions] == [("ES", 1)] and not preview.already_halted
        late = await engine.place_order(OrderRequest("MNQ", Side.BUY, 1, order_type=OrderType.LIMIT, limit_price=20990.0))
        result = await engine.halt("test", preview=preview)
        assert engine.state is TradingState.HALTED
        assert set(result.cancelled) == {bracket.order.order_id, late.order.order_id}
        assert result.unexpected == (late.order.order_id,)  # placed after the read-back: said, and cancelled
        working = {o.order_id for o in await engine.working_orders()}
        assert reducing.order.order_id in working and late.order.order_id not in working
        assert (await engine.preview_halt()).already_halted
    finally:
        await engine.stop(); engine.close()


async def test_kill_switch_preview_is_pinned_too(tmp_path):
    engine = await started(make_engine(tmp_path))
    try:
        await _long(engine, 1)
        preview = await engine.preview_halt(flatten=True)
        assert preview.flatten is not None and [c.quantity for c in preview.flatten.closing] == [1]
        await _long(engine, 1)
        refused = await engine.kill_switch("test", preview=preview)
        assert refused.rejection.code is ReasonCode.PREVIEW_CHANGED
        assert engine.state is TradingState.ACTIVE  # nothing was done, not even the halt
        fresh = await engine.preview_halt(flatten=True)
        done = await engine.kill_switch("test", preview=fresh)
        assert done.rejection is None and engine.state is TradingState.HALTED
        assert done.orders[0].order.client_order_id == fresh.flatten.closing[0].client_order_id
    finally:
        await engine.stop(); engine.close()


async def test_orders_handed_out_are_snapshots(tmp_path):
    engine = await started(make_engine(tmp_path))
    sub = engine.subscribe()
    try:
        res = await engine.place_order(OrderRequest("ES", Side.BUY, 1))
        held = res.order
        with pytest.raises(FrozenInstanceError):
            held.status = OrderStatus.FILLED  # type: ignore[misc]
        tick(engine, "ES", 6000.0)
        await asyncio.sleep(0)
        events = []
        while not sub.queue.empty():
            events.append(await sub.get())
        accepted = next(e for e in events if e.kind is EventKind.ORDER_ACCEPTED)
        fill = next(e for e in events if e.kind is EventKind.FILL)
        # the subscriber's ORDER_ACCEPTED still shows the order as it was when accepted
        assert isinstance(accepted.payload, OrderEvent) and accepted.order.status is OrderStatus.PENDING
        assert held.status is OrderStatus.WORKING and held.filled_quantity == 0  # as it was when returned
        assert fill.order.status is OrderStatus.FILLED and engine.order(held.order_id).status is OrderStatus.FILLED
    finally:
        sub.close()
        await engine.stop(); engine.close()


async def test_reduce_only_lets_only_reducing_orders_through(tmp_path):
    engine = await started(make_engine(tmp_path))
    try:
        await _long(engine, 2)
        change = await engine.reduce_only("test")
        assert (change.previous, change.current) == (TradingState.ACTIVE, TradingState.REDUCING)
        more = await engine.place_order(OrderRequest("ES", Side.BUY, 1))
        assert not more.accepted and more.rejection.code is ReasonCode.REDUCING_ONLY
        less = await engine.place_order(OrderRequest("ES", Side.SELL, 1))
        assert less.accepted
        flip = await engine.place_order(OrderRequest("ES", Side.SELL, 3))
        assert not flip.accepted and flip.rejection.code is ReasonCode.REDUCING_ONLY
    finally:
        await engine.stop(); engine.close()
