from __future__ import annotations

from dataclasses import replace

from decimal import Decimal

import pytest

from tests.rendering import en, fr

from tests.core_broker.conftest import spec_lookup, ts
from trading_core.broker.base import Broker, BrokerEvent, ConnectionUpdate, OrderUpdate
from trading_core.broker.paper import PaperBroker
from trading_core.clock import FixedClock
from trading_core.types import Order, OrderStatus, OrderType, Side

S = OrderStatus


class Sink:
    def __init__(self) -> None:
        self.events: list[BrokerEvent] = []

    def __call__(self, ev: BrokerEvent) -> None:
        self.events.append(ev)

    @property
    def updates(self) -> list[OrderUpdate]:
        return [e for e in self.events if isinstance(e, OrderUpdate)]

    def trail(self) -> list[tuple[str, OrderStatus]]:
        return [(u.order_id, u.status) for u in self.updates]

    def fills(self):
        return [u.fill for u in self.updates if u.fill is not None]

    def clear(self) -> None:
        self.events.clear()


def order(oid: str, side: Side, qty: int = 1, kind: OrderType = OrderType.MARKET, **kw) -> Order:
    return Order(oid, f"c-{oid}", kw.pop("symbol", "ES"), side, qty, kind, OrderStatus.PENDING, ts(0), **kw)


def bracket(side: Side, qty: int, sl: float, tp: float, entry: float | None = None) -> list[Order]:
    kind = OrderType.LIMIT if entry is not None else OrderType.MARKET
    parent = order("P", side, qty, kind, limit_price=entry)
    stop = order("SL", side.opposite, qty, OrderType.STOP, stop_price=sl, parent_id="P", oco_group="G")
    take = order("TP", side.opposite, qty, OrderType.LIMIT, limit_price=tp, parent_id="P", oco_group="G")
    return [parent, stop, take]


@pytest.fixture
async def broker_and_sink():
    broker = PaperBroker(spec_lookup, slippage_ticks=1, commission_per_contract=Decimal("2.25"))
    sink = Sink()
    broker.set_event_sink(sink)
    await broker.connect()
    sink.clear()
    return broker, sink


def test_implements_the_broker_protocol() -> None:
    assert isinstance(PaperBroker(spec_lookup), Broker)


async def test_connect_and_disconnect_emit_connection_updates() -> None:
    b = PaperBroker(spec_lookup, clock=FixedClock(ts(3)))
    sink = Sink()
    b.set_event_sink(sink)
    assert not b.connected
    await b.connect()
    await b.connect()  # already connected: no second event
    await b.disconnect()
    assert [(e.connected, e.ts) for e in sink.events if isinstance(e, ConnectionUpdate)] == [(True, ts(3)), (False, ts(3))]


async def test_market_fills_at_the_next_price_with_slippage(broker_and_sink) -> None:
    b, sink = broker_and_sink
    b.on_price("ES", 4999.0, ts(0))  # the price the decision was based on: not used for the fill
    await b.submit([order("B", Side.BUY, 2)])
    assert sink.trail() == [("B", S.WORKING)]
    assert sink.updates[0].broker_ref == "P1"
    b.on_price("MNQ", 18000.0, ts(1))  # another symbol does not fill it
    b.on_price("ES", 5000.0, ts(1))
    [f] = sink.fills()
    assert (f.price, f.quantity, f.side, f.commission, f.ts) == (5000.25, 2, Side.BUY, Decimal("4.50"), ts(1))
    assert f.fill_id == "B-F1" and f.order_id == "B"
    assert sink.trail()[-1] == ("B", S.FILLED)
    await b.submit([order("S", Side.SELL, 1)])
    b.on_price("ES", 5010.0, ts(2))
    assert sink.fills()[-1].price == 5009.75  # a sell slips down
    b.on_price("ES", 5020.0, ts(3))
    assert len(sink.fills()) == 2  # filled once


async def test_zero_slippage_and_commission_settings() -> None:
    b = PaperBroker(spec_lookup, slippage_ticks=0, commission_per_contract=Decimal("0.52"))
    sink = Sink()
    b.set_event_sink(sink)
    await b.connect()
    await b.submit([order("M", Side.BUY, 3, symbol="MNQ")])
    b.on_price("MNQ", 18000.5, ts(1))
    [f] = sink.fills()
    assert f.price == 18000.5 and f.commission == Decimal("1.56")
    with pytest.raises(ValueError, match="slippage_ticks = -1"):
        PaperBroker(spec_lookup, slippage_ticks=-1)
    with pytest.raises(ValueError, match="commission_per_contract = 2.25"):
        PaperBroker(spec_lookup, commission_per_contract=2.25)  # type: ignore[arg-type]


async def test_limit_buy_fills_at_the_limit_or_better_on_a_gap(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit([order("L", Side.BUY, 1, OrderType.LIMIT, limit_price=4990.0)])
    for px in (5000.0, 4995.0, 4990.25):
        b.on_price("ES", px, ts(1))
    assert sink.fills() == []
    b.on_price("ES", 4990.0, ts(2))
    assert sink.fills()[0].price == 4990.0  # at the limit, no slippage
    await b.submit([order("G", Side.BUY, 1, OrderType.LIMIT, limit_price=4990.0)])
    b.on_price("ES", 5000.0, ts(3))
    b.on_price("ES", 4980.0, ts(4))  # gap down through the limit: the better price
    assert sink.fills()[1].price == 4980.0


async def test_limit_sell_fills_at_or_above(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit([order("L", Side.SELL, 1, OrderType.LIMIT, limit_price=5010.0)])
    b.on_price("ES", 5009.75, ts(1))
    assert sink.fills() == []
    b.on_price("ES", 5012.5, ts(2))  # gap up through the limit
    assert sink.fills()[0].price == 5012.5


async def test_stop_triggers_and_fills_like_a_market_order(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit([order("SS", Side.SELL, 1, OrderType.STOP, stop_price=4990.0)])
    await b.submit([order("BS", Side.BUY, 1, OrderType.STOP, stop_price=5010.0)])
    b.on_price("ES", 4990.25, ts(1))
    b.on_price("ES", 5009.75, ts(1))
    assert sink.fills() == []
    b.on_price("ES", 4990.0, ts(2))  # reached: fills with one tick of slippage
    assert [(f.order_id, f.price) for f in sink.fills()] == [("SS", 4989.75)]
    b.on_price("ES", 5020.0, ts(3))  # gap through the buy stop: fills at the gapped price + slippage
    assert [(f.order_id, f.price) for f in sink.fills()][1] == ("BS", 5020.25)


async def test_bracket_to_take_profit_cancels_the_stop(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit(bracket(Side.BUY, 2, sl=4990.0, tp=5010.0))
    assert sink.trail() == [("P", S.WORKING), ("SL", S.WORKING), ("TP", S.WORKING)]
    b.on_price("ES", 5000.0, ts(1))
    assert sink.trail()[-1] == ("P", S.FILLED) and sink.fills()[0].price == 5000.25
    b.on_price("ES", 5005.0, ts(2))
    b.on_price("ES", 5010.0, ts(3))
    assert sink.trail()[3:] == [("P", S.FILLED), ("TP", S.FILLED), ("SL", S.CANCELLED)]
    assert sink.fills()[1].price == 5010.0 and sink.fills()[1].side is Side.SELL
    b.on_price("ES", 4980.0, ts(4))  # the cancelled stop never fills
    assert len(sink.fills()) == 2
    assert b.working_order_ids() == []
    assert await b.broker_positions() == []
    acct = await b.broker_account()
    # 39 ticks x 2 x 12.50 = 975.00, minus 4 x 2.25 commissions
    assert acct.realized_pnl == Decimal("966.00")
    assert acct.net_liquidation == Decimal("100966.00") and acct.account_id == "PAPER"


async def test_bracket_to_stop_loss_cancels_the_target(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit(bracket(Side.SELL, 1, sl=5010.0, tp=4990.0))
    b.on_price("ES", 5000.0, ts(1))
    assert sink.fills()[0].price == 4999.75
    b.on_price("ES", 5012.0, ts(2))  # through the stop (a buy stop for a short)
    assert sink.trail()[3:] == [("P", S.FILLED), ("SL", S.FILLED), ("TP", S.CANCELLED)]
    assert sink.fills()[1].price == 5012.25


async def test_children_wait_for_the_parent_fill(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit(bracket(Side.BUY, 1, sl=4985.0, tp=5010.0, entry=4995.0))
    b.on_price("ES", 5012.0, ts(1))  # would hit the target, but the entry has not filled
    b.on_price("ES", 4980.0, ts(2))  # gap through the entry limit AND the stop level
    assert [(f.order_id, f.price) for f in sink.fills()] == [("P", 4980.0)]  # the stop waits for the next price
    b.on_price("ES", 4984.0, ts(3))
    assert [(f.order_id, f.price) for f in sink.fills()][1] == ("SL", 4983.75)
    assert sink.trail()[-1] == ("TP", S.CANCELLED)


async def test_cancelling_the_parent_cancels_the_children(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit(bracket(Side.BUY, 1, sl=4985.0, tp=5010.0, entry=4995.0))
    sink.clear()
    await b.cancel("P")
    assert sink.trail() == [("P", S.CANCELLED), ("SL", S.CANCELLED), ("TP", S.CANCELLED)]
    for px in (4990.0, 4980.0, 5020.0):
        b.on_price("ES", px, ts(1))
    assert sink.fills() == [] and b.working_order_ids() == []
    sink.clear()
    await b.cancel("P")  # already cancelled: nothing to report
    assert sink.events == []


async def test_cancel_after_fill_is_a_no_op_and_children_keep_working(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit(bracket(Side.BUY, 1, sl=4990.0, tp=5010.0))
    b.on_price("ES", 5000.0, ts(1))
    sink.clear()
    await b.cancel("P")
    assert sink.events == []
    assert b.working_order_ids() == ["SL", "TP"]
    await b.cancel("SL")  # cancelling one child leaves its sibling working
    assert sink.trail() == [("SL", S.CANCELLED)]
    assert b.working_order_ids() == ["TP"]


async def test_cancel_unknown_order_reports_it_cancelled(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.cancel("never-seen")
    assert sink.trail() == [("never-seen", S.CANCELLED)]


async def test_refusals_are_rejected_with_reason_codes(broker_and_sink) -> None:
    b, sink = broker_and_sink
    cases = [
        (order("U", Side.BUY, symbol="CL"), "BROKER_UNKNOWN_SYMBOL"),
        (order("Q", Side.BUY, 0), "BROKER_INVALID_QUANTITY"),
        (order("N", Side.BUY, 1, OrderType.LIMIT), "BROKER_INVALID_PRICE"),
        (order("T", Side.BUY, 1, OrderType.STOP, stop_price=5000.1), "BROKER_INVALID_PRICE"),
        (order("K", Side.BUY, 1, OrderType.BRACKET), "BROKER_INVALID_ORDER_TYPE"),
    ]
    for o, code in cases:
        await b.submit([o])
        u = sink.updates[-1]
        assert (u.order_id, u.status, u.rejection.code) == (o.order_id, S.REJECTED, code)
        assert u.rejection.is_venue  # a venue rejection, with its figures as parameters and a sentence
        assert en(u.rejection).startswith("The broker refused") and fr(u.rejection).startswith("Le courtier a refusé")
    # A bracket with its stop above its target is refused whole.
    sink.clear()
    await b.submit(bracket(Side.BUY, 1, sl=5010.0, tp=4990.0))
    assert [(u.order_id, u.status, u.rejection.code) for u in sink.updates] == [
        (oid, S.REJECTED, "BROKER_INVALID_BRACKET") for oid in ("P", "SL", "TP")
    ]
    assert b.working_order_ids() == []


async def test_limit_entry_bracket_must_straddle_the_entry(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit(bracket(Side.BUY, 1, sl=4996.0, tp=5010.0, entry=4995.0))  # stop above the entry
    assert {u.rejection.code for u in sink.updates} == {"BROKER_INVALID_BRACKET"}


async def test_disconnected_broker_rejects_and_does_not_fill(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit([order("W", Side.BUY, 1, OrderType.LIMIT, limit_price=4990.0)])
    await b.disconnect()
    sink.clear()
    await b.submit([order("X", Side.BUY)])
    assert sink.updates[0].status is S.REJECTED and sink.updates[0].rejection.code == "BROKER_DISCONNECTED"
    b.on_price("ES", 4980.0, ts(1))
    assert sink.fills() == []  # resting orders do not fill while disconnected
    await b.connect()
    b.on_price("ES", 4985.0, ts(2))
    assert [f.order_id for f in sink.fills()] == ["W"]


async def test_programming_errors_raise(broker_and_sink) -> None:
    b, sink = broker_and_sink
    with pytest.raises(ValueError, match="no orders"):
        await b.submit([])
    done = replace(order("D", Side.BUY), status=OrderStatus.FILLED)
    with pytest.raises(ValueError, match="already FILLED"):
        await b.submit([done])
    await b.submit([order("A", Side.BUY)])
    with pytest.raises(ValueError, match="order A was already submitted"):
        await b.submit([order("A", Side.BUY)])
    fresh = PaperBroker(spec_lookup)
    with pytest.raises(RuntimeError, match="set_event_sink"):
        await fresh.submit([order("Z", Side.BUY)])
    b.on_price("ES", 5000.0, ts(1))  # fills A
    await b.submit([order("B", Side.BUY, 1, OrderType.LIMIT, limit_price=4990.0)])
    with pytest.raises(ValueError, match="price 4989.9 of ES is not a multiple of the tick 0.25"):
        b.on_price("ES", 4989.9, ts(2))  # validated when it could fill an order
    assert b.working_order_ids() == ["B"]


async def test_resubmitted_batch_after_restart(broker_and_sink) -> None:
    """The engine resubmits all non-final orders of an earlier run at once: the children of a parent
    filled in that run work immediately; a working parent with its children stays a bracket."""
    b, sink = broker_and_sink
    old_sl = order("SL1", Side.SELL, 1, OrderType.STOP, stop_price=4990.0, parent_id="OLD", oco_group="G1")
    old_tp = order("TP1", Side.SELL, 1, OrderType.LIMIT, limit_price=5010.0, parent_id="OLD", oco_group="G1")
    new = bracket(Side.SELL, 1, sl=5030.0, tp=4970.0, entry=5020.0)
    await b.submit([old_sl, old_tp, *new])
    assert [s for _, s in sink.trail()] == [S.WORKING] * 5
    b.on_price("ES", 5010.0, ts(1))
    assert sink.trail()[5:] == [("TP1", S.FILLED), ("SL1", S.CANCELLED)]
    assert b.working_order_ids() == ["P", "SL", "TP"]


async def test_sink_errors_do_not_lose_later_events(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit(bracket(Side.BUY, 1, sl=4990.0, tp=5010.0))
    b.on_price("ES", 5000.0, ts(1))
    seen: list[tuple[str, OrderStatus]] = []

    def flaky(ev: BrokerEvent) -> None:
        seen.append((ev.order_id, ev.status))
        if ev.status is S.FILLED:
            raise RuntimeError("ledger full")

    b.set_event_sink(flaky)
    with pytest.raises(RuntimeError, match="ledger full"):
        b.on_price("ES", 5010.0, ts(2))
    assert seen == [("TP", S.FILLED), ("SL", S.CANCELLED)]


async def test_positions_and_account_follow_fills(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit([order("A", Side.BUY, 3, symbol="MNQ")])
    b.on_price("MNQ", 18000.0, ts(1))  # fills at 18000.25
    await b.submit([order("B", Side.SELL, 1, symbol="MNQ")])
    b.on_price("MNQ", 18010.0, ts(2))  # fills at 18009.75: +38 ticks x 0.50 = 19.00
    [pos] = await b.broker_positions()
    assert (pos.symbol, pos.quantity, pos.avg_price) == ("MNQ", 2, 18000.25)
    acct = await b.broker_account()
    commissions = Decimal("2.25") * 4
    assert acct.realized_pnl == Decimal("19.00") - commissions
    # marked at the last price 18010.00: 39 ticks x 2 x 0.50
    assert acct.unrealized_pnl == Decimal("39.00")
    assert acct.net_liquidation == Decimal("100000") + Decimal("19.00") - commissions + Decimal("39.00")


async def test_idle_prices_are_cheap_no_op(broker_and_sink) -> None:
    b, sink = broker_and_sink
    for i in range(1001):
        b.on_price("ES", 5000.0 + (i % 9) * 0.25, ts(i))
    assert sink.events == [] and b.last_price("ES") == 5000.25  # i = 1000: 1000 % 9 = 1 tick
    # A resting order far away is not evaluated inside its band either.
    await b.submit([order("L", Side.BUY, 1, OrderType.LIMIT, limit_price=4900.0)])
    b.on_price("ES", 5000.0, ts(2000))
    assert sink.trail() == [("L", S.WORKING)]


async def test_order_symbol_spelling_is_normalised(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit([order("A", Side.BUY, 1, symbol="es")])
    b.on_price("ES", 5000.0, ts(1))
    [f] = sink.fills()
    assert f.symbol == "ES" and f.price == 5000.25


async def test_restore_fills_rebuilds_the_paper_account(broker_and_sink) -> None:
    b, sink = broker_and_sink
    await b.submit([order("A", Side.BUY, 2)])
    b.on_price("ES", 5000.0, ts(1))
    recorded = sink.fills()
    restarted = PaperBroker(spec_lookup)
    assert await restarted.broker_positions() == []
    restarted.restore_fills(recorded)
    [pos] = await restarted.broker_positions()
    assert (pos.symbol, pos.quantity, pos.avg_price) == ("ES", 2, 5000.25)
