"""Performance metrics from closed trades and the equity curve.

Conventions (so a voice read-out never has to guess a sign): losses are reported as positive
magnitudes (`gross_loss`, `largest_loss`, `average_loss`, `max_drawdown`), `net_pnl` is signed, win
rate is a fraction 0..1 and `max_drawdown_pct` is in percent of the peak equity (2.5 means 2.5 %).
A trade whose net P&L is exactly zero counts as a trade but neither a win nor a loss. Averages are
rounded to the cent; every other amount is exact.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from trading_core.portfolio import ClosedTrade
from trading_core.types import PerformanceMetrics

if TYPE_CHECKING:
    from trading_core.ledger import EquityPoint

_ZERO = Decimal(0)
_CENT = Decimal("0.01")


def _max_drawdown(equities: Iterable[Decimal], starting_balance: Decimal) -> tuple[Decimal, float]:
    """Largest fall from a running peak (the starting balance is the first peak)."""
    peak = starting_balance
    worst = _ZERO
    worst_pct = 0.0
    for eq in equities:
        if eq > peak:
            peak = eq
            continue
        dd = peak - eq
        if dd > worst:
            worst = dd
        if peak > 0:
            pct = float(dd / peak * 100)
            if pct > worst_pct:
                worst_pct = pct
    return worst, worst_pct


def performance_metrics(
    closed_trades: Sequence[ClosedTrade],
    equity_curve: Sequence["EquityPoint"] | Sequence[Decimal],
    starting_balance: Decimal,
) -> PerformanceMetrics:
    """Trade statistics plus drawdown.

    The drawdown is measured on `equity_curve` (marked to market, so it sees open-trade losses) when
    it has points; otherwise on the realised equity path starting_balance + cumulative net trade P&L.
    """
    starting_balance = Decimal(starting_balance)
    wins = [t.pnl for t in closed_trades if t.pnl > 0]
    losses = [-t.pnl for t in closed_trades if t.pnl < 0]
    gross_profit = sum(wins, _ZERO)
    gross_loss = sum(losses, _ZERO)
    n = len(closed_trades)

    if equity_curve:
        equities = [p if isinstance(p, Decimal) else p.equity for p in equity_curve]
    else:
        equities = []
        running = starting_balance
        for t in closed_trades:
            running += t.pnl
            equities.append(running)
    dd, dd_pct = _max_drawdown(equities, starting_balance)

    return PerformanceMetrics(
        trades=n,
        wins=len(wins),
        losses=len(losses),
        win_rate=len(wins) / n if n else 0.0,
        profit_factor=float(gross_profit / gross_loss) if gross_loss > 0 else None,
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        net_pnl=sum((t.pnl for t in closed_trades), _ZERO),
        largest_win=max(wins, default=_ZERO),
        largest_loss=max(losses, default=_ZERO),
        average_win=(gross_profit / len(wins)).quantize(_CENT) if wins else _ZERO,
        average_loss=(gross_loss / len(losses)).quantize(_CENT) if losses else _ZERO,
        max_drawdown=dd,
        max_drawdown_pct=dd_pct,
    )
