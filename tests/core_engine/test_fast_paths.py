"""The replay speed-ups keep the ledger's and the portfolio's observable behaviour."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from trading_core.instruments import get_instrument
from trading_core.ledger import _TS_FORMAT, Ledger, LedgerError, ts_to_text
from trading_core.portfolio import Portfolio
from trading_core.types import EngineEvent, EventKind, Fill, Order, OrderStatus, OrderType, RiskSettingChange, Severity, Side

T0 = datetime(2025, 9, 15, 13, 30, 0, 250_000, tzinfo=timezone.utc)


def _order(i: int) -> Order:
    return Order(f"O-{i}", f"C-{i}", "ES", Side.BUY, 1, OrderType.MARKET, OrderStatus.PENDING, T0)


def _event(i: int) -> EngineEvent:
    return EngineEvent(EventKind.RISK_SETTING_CHANGED, Severity.INFO, T0 + timedelta(seconds=i),
                       RiskSettingChange(Decimal(i), None))


@pytest.mark.parametrize(
    "ts",
    [
        T0,
        datetime(2025, 3, 9, 7, 0, tzinfo=ZoneInfo("America/New_York")),
        datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
        datetime(999, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
    ],
)
def test_ts_to_text_is_the_fixed_width_utc_format(ts):
    assert ts_to_text(ts) == ts.astimezone(timezone.utc).strftime(_TS_FORMAT)


def test_ts_to_text_still_refuses_naive_times():
    with pytest.raises(LedgerError, match="no time zone"):
        ts_to_text(datetime(2025, 1, 1))


def test_batch_events_get_the_same_seqs_and_are_readable_inside_the_batch():
    plain, batched = Ledger(":memory:"), Ledger(":memory:")
    plain_seqs = [plain.append_event(_event(i)) for i in range(3)]
    batched_seqs = [batched.append_event(_event(0))]
    with batched.batch():
        batched_seqs += [batched.append_event(_event(i)) for i in (1, 2)]
        assert batched.last_event_seq() == 3  # a read inside the batch sees the written-behind rows
        batched.record_equity(T0, Decimal("100"), Decimal(0), Decimal(0))
        assert len(batched.equity_curve()) == 1
    assert batched_seqs == plain_seqs == [1, 2, 3]
    assert [(e.seq, e.payload, e.ts) for e in batched.events(0)] == [(e.seq, e.payload, e.ts) for e in plain.events(0)]
    assert batched.append_event(_event(9)) == 4  # after the batch, SQLite numbers on


def test_a_failed_batch_leaves_no_written_behind_rows():
    ledger = Ledger(":memory:")
    with pytest.raises(RuntimeError):
        with ledger.batch():
            ledger.append_event(_event(1))
            ledger.record_equity(T0, Decimal("1"), Decimal(0), Decimal(0))
            ledger.insert_order(_order(1))
            raise RuntimeError("boom")
    assert ledger.events(0) == [] and ledger.equity_curve() == [] and ledger.order_count() == 0
    assert ledger.append_event(_event(2)) == 1


def test_batch_writes_without_savepoints_keep_their_errors_and_duplicates():
    ledger = Ledger(":memory:")
    with ledger.batch():
        first, created = ledger.insert_order(_order(1))
        retry = Order("O-other", "C-1", "ES", Side.BUY, 1, OrderType.MARKET, OrderStatus.PENDING, T0)
        again, created_again = ledger.insert_order(retry)  # same client id: the stored order comes back
        assert created and not created_again and again.order_id == "O-1"
        with pytest.raises(LedgerError, match="no such order"):
            ledger.update_order(_order(2))
        order = replace(_order(1), status=OrderStatus.FILLED, filled_quantity=1, avg_fill_price=5000.25)
        fill = Fill("O-1-F1", "O-1", "ES", Side.BUY, 1, 5000.25, Decimal("2.25"), T0)
        assert ledger.record_fill(fill, order) is True
        assert ledger.record_fill(fill, order) is False  # a re-sent execution changes nothing
        with pytest.raises(LedgerError, match="not in the ledger"):
            ledger.record_fill(Fill("X-F1", "O-9", "ES", Side.BUY, 1, 5000.25, Decimal(0), T0), _order(9))
    assert [f.fill_id for f in ledger.fills()] == ["O-1-F1"]
    assert ledger.get_order("O-1").status is OrderStatus.FILLED and ledger.order_count() == 1


def test_portfolio_net_positions_match_positions():
    p = Portfolio(get_instrument, Decimal("100000"))
    assert p.net_positions() == {} and not p.has_position()
    p.apply_fill(Fill("a", "A", "ES", Side.BUY, 2, 5000.0, Decimal(0), T0))
    p.apply_fill(Fill("b", "B", "MNQ", Side.SELL, 1, 20000.0, Decimal(0), T0))
    p.apply_fill(Fill("c", "C", "MNQ", Side.BUY, 1, 20000.0, Decimal(0), T0))
    assert p.net_positions() == {pos.symbol: pos.quantity for pos in p.positions()} == {"ES": 2}
    assert p.has_position()
