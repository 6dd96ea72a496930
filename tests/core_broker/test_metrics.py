from __future__ import annotations

from decimal import Decimal

import pytest

from tests.core_broker.conftest import spec_lookup, ts
from trading_core.ledger import EquityPoint
from trading_core.metrics import performance_metrics
from trading_core.portfolio import ClosedTrade, Portfolio
from trading_core.types import Fill, Side

START = Decimal("100000")


def trade(pnl: str, i: int = 0) -> ClosedTrade:
    return ClosedTrade("ES", Side.BUY, 1, 5000.0, 5000.0, Decimal(pnl), ts(i), ts(i + 1))


def curve(*values: str) -> list[EquityPoint]:
    return [EquityPoint(ts(i), Decimal(v), Decimal(0), Decimal(0)) for i, v in enumerate(values)]


def test_hand_computed_metrics() -> None:
    trades = [trade("100"), trade("-50"), trade("200"), trade("-25"), trade("0")]
    eq = curve("100000", "101000", "99000", "100500", "98500", "102000")
    m = performance_metrics(trades, eq, START)
    assert (m.trades, m.wins, m.losses) == (5, 2, 2)
    assert m.win_rate == pytest.approx(0.4)
    assert m.gross_profit == Decimal("300") and m.gross_loss == Decimal("75")
    assert m.profit_factor == pytest.approx(4.0)
    assert m.net_pnl == Decimal("225")
    assert m.largest_win == Decimal("200") and m.largest_loss == Decimal("50")
    assert m.average_win == Decimal("150.00") and m.average_loss == Decimal("37.50")
    # peak 101000, trough 98500: 2500 USD, 2500 / 101000 = 2.4752 %
    assert m.max_drawdown == Decimal("2500")
    assert m.max_drawdown_pct == pytest.approx(2.475247524752475)


def test_drawdown_from_starting_balance_and_plain_decimals() -> None:
    m = performance_metrics([], [Decimal("99000"), Decimal("99500"), Decimal("98000")], START)
    assert m.max_drawdown == Decimal("2000") and m.max_drawdown_pct == pytest.approx(2.0)
    assert m.trades == 0 and m.win_rate == 0.0 and m.profit_factor is None


def test_no_losing_trade_gives_no_profit_factor() -> None:
    m = performance_metrics([trade("10"), trade("30")], [], START)
    assert m.profit_factor is None
    assert m.win_rate == 1.0 and m.average_win == Decimal("20.00") and m.average_loss == 0
    assert m.max_drawdown == 0 and m.max_drawdown_pct == 0.0


def test_without_equity_curve_drawdown_follows_closed_trades() -> None:
    trades = [trade("300"), trade("-100"), trade("-250"), trade("400")]
    m = performance_metrics(trades, [], START)
    # path 100300 (peak), 100200, 99950: drawdown 350 from 100300
    assert m.max_drawdown == Decimal("350")
    assert m.max_drawdown_pct == pytest.approx(350 / 100300 * 100)
    assert m.average_loss == Decimal("175.00") and m.profit_factor == pytest.approx(700 / 350)


def test_empty_everything() -> None:
    m = performance_metrics([], [], START)
    assert m.trades == m.wins == m.losses == 0
    assert m.gross_profit == m.gross_loss == m.net_pnl == m.largest_win == m.largest_loss == 0
    assert m.max_drawdown == 0 and m.profit_factor is None


def test_metrics_from_portfolio_trades() -> None:
    pf = Portfolio(spec_lookup, START)
    fills = [
        (Side.BUY, 5000.0), (Side.SELL, 5002.0),  # +8 ticks = 100.00, commissions 4.50 -> 95.50
        (Side.SELL, 5002.0), (Side.BUY, 5003.0),  # -4 ticks = -50.00 -> -54.50
        (Side.BUY, 5000.0), (Side.SELL, 5004.0),  # +16 ticks = 200.00 -> 195.50
    ]
    for i, (side, px) in enumerate(fills):
        pf.apply_fill(Fill(f"F{i}", f"O{i}", "ES", side, 1, px, Decimal("2.25"), ts(i)))
    m = performance_metrics(pf.closed_trades, [], START)
    assert m.net_pnl == Decimal("236.50") == pf.account(ts(9)).equity - START
    assert m.gross_profit == Decimal("291.00") and m.gross_loss == Decimal("54.50")
    assert m.profit_factor == pytest.approx(291 / 54.5)
    assert m.largest_win == Decimal("195.50") and m.largest_loss == Decimal("54.50")
    assert m.max_drawdown == Decimal("54.50")
