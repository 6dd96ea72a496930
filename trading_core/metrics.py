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
    import numpy as np

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
    return _assemble(
        n, len(wins), len(losses), gross_profit, gross_loss, sum((t.pnl for t in closed_trades), _ZERO),
        max(wins, default=_ZERO), max(losses, default=_ZERO), dd, dd_pct,
    )


def _assemble(
    n: int, n_wins: int, n_losses: int, gross_profit: Decimal, gross_loss: Decimal, net: Decimal,
    largest_win: Decimal, largest_loss: Decimal, drawdown: Decimal, drawdown_pct: float,
) -> PerformanceMetrics:
    return PerformanceMetrics(
        trades=n,
        wins=n_wins,
        losses=n_losses,
        win_rate=n_wins / n if n else 0.0,
        profit_factor=float(gross_profit / gross_loss) if gross_loss > 0 else None,
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        net_pnl=net,
        largest_win=largest_win,
        largest_loss=largest_loss,
        average_win=(gross_profit / n_wins).quantize(_CENT) if n_wins else _ZERO,
        average_loss=(gross_loss / n_losses).quantize(_CENT) if n_losses else _ZERO,
        max_drawdown=drawdown,
        max_drawdown_pct=drawdown_pct,
    )


def performance_metrics_cents(
    trade_pnl_cents: Sequence[int], equity_cents: "np.ndarray", starting_balance: Decimal
) -> PerformanceMetrics:
    """`performance_metrics` for a replay: net trade P&L and the equity curve in whole cents.

    Same definitions and the same exact amounts (cents are exact in Decimal); the drawdown is
    computed vectorised because a replay's equity curve has one point per bar."""
    import numpy as np

    starting_balance = Decimal(starting_balance)
    wins = [c for c in trade_pnl_cents if c > 0]
    losses = [-c for c in trade_pnl_cents if c < 0]
    gp, gl = sum(wins), sum(losses)
    n = len(trade_pnl_cents)
    start_c = int(starting_balance * 100)
    dd_c, dd_pct = 0, 0.0
    # marked-to-market curve when given, else the realised path (as performance_metrics does)
    if len(equity_cents):
        eq = np.asarray(equity_cents, np.int64)
    else:
        eq = start_c + np.cumsum(np.asarray(trade_pnl_cents, np.int64))
    if len(eq):
        peak = np.maximum.accumulate(np.maximum(eq, start_c))
        dd = peak - eq
        dd_c = int(dd.max())
        with np.errstate(divide="ignore", invalid="ignore"):
            dd_pct = float(np.where(peak > 0, dd / peak * 100.0, 0.0).max())

    def money(c: int) -> Decimal:
        return Decimal(c).scaleb(-2) if c else _ZERO

    return _assemble(
        n, len(wins), len(losses), money(gp), money(gl), money(sum(trade_pnl_cents)),
        money(max(wins, default=0)), money(max(losses, default=0)), money(dd_c), dd_pct,
    )
