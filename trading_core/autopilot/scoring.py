"""Candidate signals: the order-flow ("Battle Navale") score and the multi-timeframe confluence, per bar.

Everything is computed over a *history window* of bars by one vectorised function, `window_table`,
built on `intelligence.features.compute_features` (which is causal and prefix-exact: the row of bar t
only depends on the window's bars up to t). The live autopilot calls it on its window after each bar
and reads the last row; the replay calls it once per window and reads the rows the live autopilot
would have read. Both therefore see the same numbers.

The window (`window_bounds`): it starts at the first bar seen; when it reaches `history_bars` bars
its oldest half is dropped, so it always holds between history_bars/2 and history_bars bars (the
features that start from the window's first bar, like the EMAs behind the 4-hour trend, restart from
there too).

Score components, each in [-1, 1], long-positive:
- order_flow: `ofi_15`, the 15-bar order-flow imbalance (tick counts when the data has them, else the
  tick rule weighting volume);
- smart_money: signed volume of unusually heavy bars (volume z-score > 1) over the last 30 bars, as a
  share of all volume in those bars: the direction the large participants pushed;
- momentum: tanh of the 15-bar return in units of the 15-bar volatility (rv_30 x sqrt 15);
- volume_profile: position of the close against the 390-bar volume-weighted value area (`va_pos` / 2,
  clipped): above the value area reads as buyers' acceptance of higher prices;
- confluence: `mtf_confluence`, the weighted trend of completed 1m, 5m, 15m, 1h and 4h bars.
score = sum(w_k c_k) / sum(w_k); confidence = the share of weight whose component has the score's sign.
A long candidate is raised on the bar where score > long_threshold with confidence >= min_confidence
becomes true after `rearm_bars` bars without it (a score hovering around the threshold raises one
candidate, not one per crossing); short likewise below short_threshold. No candidate before
`min_history_bars` bars are in the window.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trading_core.config import AUTOPILOT_SCORE_COMPONENTS, MiaConfig
from trading_core.intelligence.features import TIMEFRAMES, compute_features

SMART_MONEY_N = 30
SMART_MONEY_Z = 1.0


@dataclass(frozen=True, slots=True)
class WindowTable:
    """The autopilot's per-bar numbers over one history window (row i = the window's i-th bar)."""

    features: pd.DataFrame  # intelligence.features.FEATURE_COLUMNS
    components: dict[str, np.ndarray]
    score: np.ndarray
    confidence: np.ndarray
    candidate: np.ndarray  # int8: +1 long, -1 short, 0 none
    atr: np.ndarray  # Wilder ATR(risk.atr_period), points
    stop_points: np.ndarray  # risk.atr_stop_multiple x ATR on the tick grid, at least one tick

    def __len__(self) -> int:
        return int(self.score.shape[0])


def window_bounds(n: int, history_bars: int) -> list[tuple[int, int, int]]:
    """(window start, first bar read, end) covering bars 0..n-1: bar t is read from the window that
    starts where the live autopilot's window starts at bar t (`window_start`), computed over
    [start, end) and read for t in [first, end)."""
    half = history_bars // 2
    out = [(0, 0, min(n, history_bars))]
    j = 1
    while history_bars + (j - 1) * half < n:
        out.append((j * half, history_bars + (j - 1) * half, min(n, history_bars + j * half)))
        j += 1
    return out


def window_start(bars_seen: int, history_bars: int) -> int:
    """Index (in bars since the first) of the live window's first bar once `bars_seen` bars were seen."""
    t = bars_seen - 1
    if t < history_bars:
        return 0
    half = history_bars // 2
    return half * ((t - history_bars) // half + 1)


def _any_before(cond: np.ndarray, k: int) -> np.ndarray:
    """True at t when `cond` held on any of the k bars before t (integer counts: exact on any prefix)."""
    cs = np.concatenate(([0], np.cumsum(cond, dtype=np.int64)))
    t = np.arange(cond.shape[0])
    return cs[t] - cs[np.maximum(t - k, 0)] > 0


def _rolling_sum(x: np.ndarray, w: int) -> np.ndarray:
    cs = np.cumsum(x)
    out = np.full(x.shape[0], np.nan)
    if x.shape[0] >= w:
        out[w - 1] = cs[w - 1]
        out[w:] = cs[w:] - cs[:-w]
    return out


def wilder_atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int) -> np.ndarray:
    """Wilder ATR as a causal IIR filter started at the first true range (prefix-exact, like features.py)."""
    from scipy.signal import lfilter

    n = close.shape[0]
    if n == 0:
        return close.astype(np.float64)
    prev = np.concatenate((close[:1], close[:-1]))
    tr = np.maximum(high, prev) - np.minimum(low, prev)
    tr[0] = high[0] - low[0]
    a = 1.0 / period
    y, _ = lfilter([a], [1.0, a - 1.0], tr, zi=np.array([(1.0 - a) * tr[0]]))
    return y


def stop_distance(atr: np.ndarray, multiple: float, tick: float) -> np.ndarray:
    """`risk.sizing.default_stop_distance`, vectorised: multiple x ATR to the nearest tick, >= 1 tick."""
    ticks = np.floor(np.nan_to_num(atr, nan=0.0) * multiple / tick + 0.5)
    return np.maximum(ticks, 1.0) * tick


def window_table(bars: pd.DataFrame, config: MiaConfig, tick: float) -> WindowTable:
    """The autopilot's numbers for every bar of one window (see the module docstring)."""
    ap = config.autopilot
    feats = compute_features(bars, mtf_weights=config.intelligence.mtf_weights,
                             gamma_factors=config.intelligence.gamma_factors, validate=False)
    o = bars["open"].to_numpy(np.float64)
    h = bars["high"].to_numpy(np.float64)
    lo = bars["low"].to_numpy(np.float64)
    c = bars["close"].to_numpy(np.float64)
    v = bars["volume"].to_numpy(np.float64)
    n = c.shape[0]

    vol_z = feats["vol_z"].to_numpy(np.float64)
    heavy = np.where(np.nan_to_num(vol_z, nan=0.0) > SMART_MONEY_Z, np.sign(c - o) * v, 0.0)
    num, den = _rolling_sum(heavy, SMART_MONEY_N), _rolling_sum(v, SMART_MONEY_N)
    with np.errstate(divide="ignore", invalid="ignore"):
        smart = np.where(den > 0, num / den, 0.0)
        rv = feats["rv_30"].to_numpy(np.float64)
        mom = np.tanh(np.where(rv > 0, feats["ret_15"].to_numpy(np.float64) / (rv * np.sqrt(15.0)), 0.0))
    smart[: SMART_MONEY_N - 1] = np.nan
    mom[np.isnan(rv) | np.isnan(feats["ret_15"].to_numpy(np.float64))] = np.nan
    comps = {
        "order_flow": feats["ofi_15"].to_numpy(np.float64),
        "smart_money": smart,
        "momentum": mom,
        "volume_profile": np.clip(feats["va_pos"].to_numpy(np.float64) / 2.0, -1.0, 1.0),
        "confluence": feats["mtf_confluence"].to_numpy(np.float64),
    }
    weights = {k: float(ap.score_weights.get(k, 0.0)) for k in AUTOPILOT_SCORE_COMPONENTS}
    wsum = sum(weights.values())
    score = np.zeros(n)
    for k, w in weights.items():
        score += w * comps[k]  # NaN during a component's warm-up: no score yet
    score /= wsum
    sgn = np.sign(score)
    agree = np.zeros(n)
    for k, w in weights.items():
        agree += w * ((np.sign(comps[k]) == sgn) & (sgn != 0))
    confidence = agree / wsum
    ok = np.isfinite(score)
    ok[: min(n, ap.min_history_bars - 1)] = False
    long_on = ok & (score > ap.long_threshold) & (confidence >= ap.min_confidence)
    short_on = ok & (score < ap.short_threshold) & (confidence >= ap.min_confidence)
    quiet = int(ap.rearm_bars)
    cand = np.where(long_on & ~_any_before(long_on, quiet), 1,
                    np.where(short_on & ~_any_before(short_on, quiet), -1, 0)).astype(np.int8)
    atr = wilder_atr(h, lo, c, config.risk.atr_period)
    return WindowTable(feats, comps, score, confidence, cand, atr,
                       stop_distance(atr, config.risk.atr_stop_multiple, tick))


def trends_of(features: pd.DataFrame, row: int) -> dict[str, float]:
    return {tf: float(features[f"trend_{tf}"].iat[row]) for tf in TIMEFRAMES}
