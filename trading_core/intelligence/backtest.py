"""Bar-level P&L of the evaluated strategies, all marked to market on the same bars with the same costs.

One contract, USD. Costs per fill: commission per side plus slippage in ticks against the trade (see
labels.CostModel). Strategies:
- signal trades (triple-barrier outcomes from labels.py), taken one at a time: a signal is skipped while a
  previous trade is open (entry bar must come after the previous exit bar);
- position series (buy-and-hold, moving-average crossover): the position held during bar t is entered or
  changed at the open of bar t, and everything is closed at the last close of the range.
Sharpe is annualised from daily P&L (CME session days, sqrt(252)); with a few weeks of data it is a
noisy number. Max drawdown is the largest fall of the bar-by-bar equity from its running peak.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trading_core.intelligence.labels import CostModel
from trading_core.intelligence.types import IntelligenceInputError

# Contracts the evaluation can price besides the tradable ones in trading_core.instruments:
# NQ (full-size Nasdaq) only appears in research data files. Tick size, USD per point.
RESEARCH_CONTRACTS: dict[str, tuple[float, float]] = {"NQ": (0.25, 20.0)}


def cost_model(market: str, commission_per_side: float = 2.25, slippage_ticks: int = 1) -> CostModel:
    from trading_core.instruments import INSTRUMENTS

    key = str(market).strip().upper()
    if key in INSTRUMENTS:
        inst = INSTRUMENTS[key]
        tick, mult = float(inst.tick_size), float(inst.multiplier)
    elif key in RESEARCH_CONTRACTS:
        tick, mult = RESEARCH_CONTRACTS[key]
    else:
        known = sorted({*INSTRUMENTS, *RESEARCH_CONTRACTS})
        raise IntelligenceInputError(f"unknown market {market!r}; known: {known}",
                                     f"marché inconnu {market!r} ; connus : {known}")
    return CostModel(tick_size=tick, multiplier=mult, commission_per_side=float(commission_per_side),
                     slippage_ticks=int(slippage_ticks))


@dataclass
class StrategyResult:
    name: str
    trades: int
    wins: int
    win_rate: float  # 0..1, NaN without trades
    profit_factor: float | None  # None when there is no losing trade (or no trade)
    net_pnl: float  # USD, after costs
    sharpe: float  # annualised from daily P&L; NaN when undefined
    max_drawdown: float  # USD, >= 0
    equity: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))  # cumulative USD per bar
    trade_pnls: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))


def sequential(outcomes: pd.DataFrame, take: np.ndarray | None = None) -> pd.DataFrame:
    """Signals taken one position at a time (in order), optionally only where `take` is True."""
    rows = outcomes if take is None else outcomes[np.asarray(take, dtype=bool)]
    entries = rows["entry_idx"].to_numpy()
    exits = rows["exit_idx"].to_numpy()
    keep = np.zeros(len(rows), dtype=bool)
    last_exit = -1
    for i in range(len(rows)):
        if entries[i] > last_exit:
            keep[i] = True
            last_exit = exits[i]
    return rows[keep]


def trade_increments(trades: pd.DataFrame, close: np.ndarray, start: int, end: int, costs: CostModel) -> np.ndarray:
    """Per-bar P&L (USD) over bars [start, end) of non-overlapping trades; sums to the trades' net P&L."""
    n = end - start
    inc = np.zeros(n)
    if len(trades) == 0:
        return inc
    e = trades["entry_idx"].to_numpy() - start
    x = trades["exit_idx"].to_numpy() - start
    s = trades["side"].to_numpy().astype(np.float64)
    pe = trades["entry_price"].to_numpy()
    px = trades["exit_price"].to_numpy()
    if (e < 0).any() or (x >= n).any():
        raise IntelligenceInputError("trades fall outside the evaluated bars", "des trades sont hors de la plage évaluée")
    c = close[start:end]
    m = costs.multiplier
    comm = costs.commission_per_side
    same = x == e
    # same-bar round trips
    np.add.at(inc, e[same], s[same] * (px[same] - pe[same]) * m - 2 * comm)
    k = ~same
    e, x, s, pe, px = e[k], x[k], s[k], pe[k], px[k]
    np.add.at(inc, e, s * (c[e] - pe) * m - comm)
    np.add.at(inc, x, s * (px - c[x - 1]) * m - comm)
    # bars strictly inside a trade: held position times close-to-close change
    pos_delta = np.zeros(n + 1)
    np.add.at(pos_delta, e + 1, s)
    np.add.at(pos_delta, x, -s)
    pos = np.cumsum(pos_delta)[:n]
    dc = np.diff(c, prepend=c[:1])
    inc += pos * dc * m
    return inc


def position_increments(
    pos: np.ndarray, open_: np.ndarray, close: np.ndarray, start: int, end: int, costs: CostModel
) -> tuple[np.ndarray, np.ndarray]:
    """Per-bar P&L of holding `pos[t]` contracts during bar t (changed at the open of t), flat at the end.

    Returns (increments over [start, end), net P&L of each round trip).
    """
    p = np.asarray(pos[start:end], dtype=np.float64)
    o, c = open_[start:end], close[start:end]
    n = p.shape[0]
    m = costs.multiplier
    per_contract = costs.commission_per_side + costs.slippage_ticks * costs.tick_size * m
    prev = np.concatenate(([0.0], p[:-1]))
    prev_c = np.concatenate(([c[0]], c[:-1]))
    inc = prev * (o - prev_c) * m + p * (c - o) * m - np.abs(p - prev) * per_contract
    if n:
        inc[-1] -= abs(p[-1]) * per_contract  # close out at the last close
    # round trips: each maximal run of a constant non-zero position
    trades: list[float] = []
    slip = costs.slippage_ticks * costs.tick_size
    run_start = None
    for t in range(n + 1):
        cur = p[t] if t < n else 0.0
        before = p[t - 1] if t > 0 else 0.0
        if t > 0 and cur != before and before != 0 and run_start is not None:
            side = np.sign(before)
            qty = abs(before)
            entry = o[run_start] + side * slip
            exit_px = (o[t] if t < n else c[n - 1]) - side * slip
            trades.append(float(side * (exit_px - entry) * m * qty - 2 * costs.commission_per_side * qty))
            run_start = None
        if cur != before and cur != 0:
            run_start = t
    return inc, np.asarray(trades)


def summarise(name: str, inc: np.ndarray, trade_pnls: np.ndarray, day_id: np.ndarray) -> StrategyResult:
    equity = np.cumsum(inc)
    peak = np.maximum.accumulate(np.concatenate(([0.0], equity)))[1:]
    max_dd = float(np.max(peak - equity)) if equity.size else 0.0
    daily = pd.Series(inc).groupby(np.asarray(day_id)).sum().to_numpy()
    sharpe = float("nan")
    if daily.size >= 2 and daily.std(ddof=1) > 0:
        sharpe = float(daily.mean() / daily.std(ddof=1) * np.sqrt(252.0))
    tp = np.asarray(trade_pnls, dtype=np.float64)
    wins = int((tp > 0).sum())
    gross_win, gross_loss = float(tp[tp > 0].sum()), float(-tp[tp < 0].sum())
    return StrategyResult(
        name=name,
        trades=int(tp.size),
        wins=wins,
        win_rate=float(wins / tp.size) if tp.size else float("nan"),
        profit_factor=(gross_win / gross_loss) if gross_loss > 0 else None,
        net_pnl=float(inc.sum()),
        sharpe=sharpe,
        max_drawdown=max_dd,
        equity=equity,
        trade_pnls=tp,
    )


def sma(x: np.ndarray, w: int) -> np.ndarray:
    cs = np.cumsum(np.asarray(x, dtype=np.float64))
    out = np.full(cs.shape[0], np.nan)
    if cs.shape[0] >= w:
        out[w - 1] = cs[w - 1] / w
        out[w:] = (cs[w:] - cs[:-w]) / w
    return out


def ma_cross_positions(close: np.ndarray, fast: int, slow: int) -> np.ndarray:
    """Position held during bar t: +1 if SMA_fast > SMA_slow at the close of t-1, -1 if below, else 0."""
    if not 1 <= fast < slow:
        raise IntelligenceInputError("moving averages need 1 <= fast < slow", "moyennes mobiles : 1 <= rapide < lente")
    diff = sma(close, fast) - sma(close, slow)
    sig = np.where(np.isnan(diff), 0.0, np.sign(diff))
    return np.concatenate(([0.0], sig[:-1]))
