"""Triple-barrier outcomes of trade signals (de Prado, AFML ch. 3), simulated the way they would be traded.

A signal on bar t (decided on its close) enters at the OPEN of bar t+1 with `slippage_ticks` against it.
From the fill price, a take-profit at +pt_mult*width and a stop at -sl_mult*width (in the trade direction,
rounded to the tick) and a vertical barrier after `horizon` bars (the entry bar counts) are placed, where
width = sigma_per_bar * sqrt(horizon) * close_t, sigma being the bar's realised volatility (rv_30), floored
at `min_width_ticks`. Bar highs/lows are scanned from the entry bar on:
- the first bar touching a barrier decides; when one bar touches both, the STOP is assumed first
  (bars do not say which came first, so the pessimistic order is taken);
- a stop that the bar opens beyond fills at that open (a gap), never at the better stop price;
- every exit (take-profit, stop, time) pays `slippage_ticks` too: this is deliberately conservative;
- when the data ends before the vertical barrier, the trade exits at the last close (reason "end").
The label of a signal is 1 when the trade's net P&L after commissions and slippage is > 0, else 0.
`exit_idx` (t1) is the last bar the outcome depends on: training uses it for purging.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trading_core.intelligence.types import IntelligenceInputError

REASONS: tuple[str, ...] = ("tp", "sl", "time", "end")


@dataclass(frozen=True, slots=True)
class BarrierSpec:
    horizon: int = 60  # bars, vertical barrier
    pt_mult: float = 1.0
    sl_mult: float = 1.0
    min_width_ticks: int = 4

    def __post_init__(self) -> None:
        if self.horizon < 1 or self.pt_mult <= 0 or self.sl_mult <= 0 or self.min_width_ticks < 1:
            raise IntelligenceInputError(
                f"bad barrier spec {self}: horizon >= 1, multiples > 0, min_width_ticks >= 1",
                f"barrières invalides {self} : horizon >= 1, multiples > 0, min_width_ticks >= 1")


@dataclass(frozen=True, slots=True)
class CostModel:
    """Per-contract trading costs: commission per side (USD) and slippage per fill (ticks)."""

    tick_size: float = 0.25
    multiplier: float = 50.0  # USD per point (ES 50, MNQ 2)
    commission_per_side: float = 2.25
    slippage_ticks: int = 1

    @property
    def round_trip_usd(self) -> float:
        return 2 * self.commission_per_side + 2 * self.slippage_ticks * self.tick_size * self.multiplier


def _round_tick(x: np.ndarray, tick: float) -> np.ndarray:
    return np.round(x / tick) * tick


def triple_barrier(
    bars: pd.DataFrame,
    signal_idx: np.ndarray,
    sides: np.ndarray,
    sigma: np.ndarray,
    spec: BarrierSpec = BarrierSpec(),
    costs: CostModel = CostModel(),
) -> pd.DataFrame:
    """Outcome of each signal. `signal_idx` are bar positions, `sides` +1/-1, `sigma` per-bar volatility
    at the signal bar (same length). Signals on the last bar (no next open) are dropped.

    Columns: signal_idx, entry_idx, side, entry_price, take_profit, stop_loss, exit_idx, exit_price, reason,
    points (gross, per contract, slippage included), pnl_usd (net of commissions), label (1 = net win).
    """
    o = bars["open"].to_numpy(np.float64)
    h = bars["high"].to_numpy(np.float64)
    lo = bars["low"].to_numpy(np.float64)
    c = bars["close"].to_numpy(np.float64)
    n = o.shape[0]
    sig = np.asarray(signal_idx, dtype=np.int64)
    side = np.asarray(sides, dtype=np.int64)
    vol = np.asarray(sigma, dtype=np.float64)
    if not (sig.shape == side.shape == vol.shape):
        raise IntelligenceInputError("signal_idx, sides and sigma must have the same length",
                                     "signal_idx, sides et sigma doivent avoir la même longueur")
    if sig.size and (sig.min() < 0 or sig.max() >= n or not np.isin(side, (-1, 1)).all()):
        raise IntelligenceInputError("signal positions must be inside the bars and sides must be +1 or -1",
                                     "les positions doivent être dans les barres et les sens valoir +1 ou -1")
    keep = sig < n - 1
    sig, side, vol = sig[keep], side[keep], vol[keep]
    tick = costs.tick_size
    slip = costs.slippage_ticks * tick
    entry_idx = sig + 1
    entry = o[entry_idx] + side * slip
    width = np.nan_to_num(vol, nan=0.0) * np.sqrt(spec.horizon) * c[sig]
    width = np.maximum(width, spec.min_width_ticks * tick)
    tp = _round_tick(entry + side * spec.pt_mult * width, tick)
    sl = _round_tick(entry - side * spec.sl_mult * width, tick)

    hz = spec.horizon
    win = entry_idx[:, None] + np.arange(hz)[None, :]
    valid = win < n
    wi = np.minimum(win, n - 1)
    hw, lw, ow = h[wi], lo[wi], o[wi]
    s2 = side[:, None]
    tp_hit = valid & np.where(s2 > 0, hw >= tp[:, None], lw <= tp[:, None])
    sl_hit = valid & np.where(s2 > 0, lw <= sl[:, None], hw >= sl[:, None])
    big = hz + 1
    tp_first = np.where(tp_hit.any(axis=1), tp_hit.argmax(axis=1), big)
    sl_first = np.where(sl_hit.any(axis=1), sl_hit.argmax(axis=1), big)
    last_off = np.minimum(hz, n - entry_idx) - 1  # offset of the last bar inside the window and the data

    reason = np.where(valid[:, -1], 2, 3)  # time, or end of data
    off = last_off.copy()
    is_sl = (sl_first <= tp_first) & (sl_first < big)
    is_tp = (tp_first < sl_first) & (tp_first < big)
    off[is_sl] = sl_first[is_sl]
    off[is_tp] = tp_first[is_tp]
    reason[is_sl] = 1
    reason[is_tp] = 0
    exit_idx = entry_idx + off
    rows = np.arange(sig.shape[0])
    exit_px = c[exit_idx].copy()
    # stop fills at the stop, or at the bar's open when the bar opened beyond it (not on the entry bar)
    open_at = ow[rows, off]
    gapped = np.where(side > 0, open_at < sl, open_at > sl) & (off > 0)
    sl_px = np.where(gapped, open_at, sl)
    exit_px[is_sl] = sl_px[is_sl]
    exit_px[is_tp] = tp[is_tp]
    exit_px = exit_px - side * slip
    points = side * (exit_px - entry)
    pnl = points * costs.multiplier - 2 * costs.commission_per_side
    return pd.DataFrame({
        "signal_idx": sig,
        "entry_idx": entry_idx,
        "side": side,
        "entry_price": entry,
        "take_profit": tp,
        "stop_loss": sl,
        "exit_idx": exit_idx,
        "exit_price": exit_px,
        "reason": np.asarray(REASONS, dtype=object)[reason],
        "points": points,
        "pnl_usd": pnl,
        "label": (pnl > 0).astype(np.int64),
    })
