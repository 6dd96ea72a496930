"""Bar features: one vectorised code path for training, evaluation and live use.

Every feature at bar t uses bars 0..t only (tests/intelligence/test_features.py checks each column by
computing on a truncated series and by scrambling the future). Rolling statistics are built from
cumulative sums and causal IIR filters (scipy `lfilter`), so a value never depends on later bars and a
prefix of the series gives bit-identical values.

Input: a DataFrame of bars, one row per bar, with a UTC DatetimeIndex of bar START times (or a
`ts_utc` / `ts` / `timestamp` column; naive times are taken as UTC) and columns open, high, low, close,
volume; optional up_ticks / down_ticks (the 2019 ES file has them) feed the order-flow proxy.

Columns (windows in bars of `bar_minutes`, 1-minute by default):
- ret_1, ret_5, ret_15, ret_60: log returns over 1/5/15/60 bars.
- atr: Wilder ATR(14) in points; atr_pct: atr / close.
- rv_30, rv_390: realised volatility, standard deviation of 1-bar log returns over 30 / 390 bars.
- vol_regime: log(rv_30 / rv_390); vol_state: 0 quiet (ratio < 0.8), 1 normal, 2 volatile (ratio > 1.25).
- vol_z: z-score of log(1 + volume) against its last 60 bars.
- va_pos: (close - VWAP_390) / volume-weighted standard deviation of the typical price over 390 bars.
  This is a cheap rolling volume profile: |va_pos| <= 1.04 is the ~70 % value area when the volume-at-price
  distribution is roughly normal; beyond it price is outside the value area. Clipped to [-5, 5].
- ofi_15: order-flow imbalance over 15 bars in [-1, 1]: sum(up_ticks - down_ticks) / sum(up_ticks + down_ticks)
  when the data has tick counts, otherwise the tick rule (sign of the close change, zero changes keep the
  previous sign) weighting each bar's volume.
- dist_res, dist_sup: distance in ATRs from the close to the highest high / lowest low of the last 120 bars
  (resistance / support); sr_pos: position of the close in the 390-bar range (0 = low, 1 = high).
- er_30: Kaufman efficiency ratio |c_t - c_{t-30}| / sum |c_i - c_{i-1}| (1 = straight trend, ~0 = chop).
- tod_sin, tod_cos: New York time of day on the unit circle; rth: 1 during 09:30-16:00 New York.
- trend_1m, trend_5m, trend_15m, trend_1h, trend_4h: tanh((EMA8 - EMA21) / EMA21(|change|)) of the closes of
  COMPLETED bars of that timeframe (UTC-aligned buckets). A higher-timeframe bucket [T, T+k) is used from the
  1-minute bar that ends at T+k onwards, never earlier, so no partial bucket is ever read.
- mtf_confluence: sum(weight_tf * trend_tf) / sum(weights) with `IntelligenceConfig.mtf_weights`.
- gamma_phase (code, see gamma.PHASE_CODES), gamma_factor, days_to_opex: the gamma cycle (see gamma.py).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from trading_core.intelligence.gamma import DEFAULT_GAMMA_FACTORS, gamma_arrays
from trading_core.intelligence.types import IntelligenceInputError
from trading_core.types import Bar

RET_HORIZONS: tuple[int, ...] = (1, 5, 15, 60)
ATR_N = 14
RV_SHORT, RV_LONG = 30, 390
VOLZ_N = 60
VA_N = 390
OFI_N = 15
SR_N, SR_LONG = 120, 390
ER_N = 30
EMA_FAST, EMA_SLOW = 8, 21
TIMEFRAMES: dict[str, int] = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "4h": 240}
DEFAULT_MTF_WEIGHTS: dict[str, float] = {"1m": 0.1, "5m": 0.15, "15m": 0.2, "1h": 0.25, "4h": 0.3}
# Bars before every rolling window is full; events earlier than this are not used for training.
WARMUP_BARS = 390

FEATURE_COLUMNS: tuple[str, ...] = (
    *(f"ret_{h}" for h in RET_HORIZONS),
    "atr",
    "atr_pct",
    "rv_30",
    "rv_390",
    "vol_regime",
    "vol_state",
    "vol_z",
    "va_pos",
    "ofi_15",
    "dist_res",
    "dist_sup",
    "sr_pos",
    "er_30",
    "tod_sin",
    "tod_cos",
    "rth",
    *(f"trend_{tf}" for tf in TIMEFRAMES),
    "mtf_confluence",
    "gamma_phase",
    "gamma_factor",
    "days_to_opex",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
_NS_PER_MIN = 60_000_000_000
_TS_COLUMNS = ("ts_utc", "ts", "timestamp")


def _err(en: str, fr: str) -> IntelligenceInputError:
    return IntelligenceInputError(en, fr)


def bars_to_frame(bars: Sequence[Bar]) -> pd.DataFrame:
    """`Bar` objects (one symbol, oldest first) to the DataFrame `compute_features` takes."""
    if not bars:
        raise _err("no bars given", "aucune barre fournie")
    idx = pd.DatetimeIndex([b.ts for b in bars])
    idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
    return pd.DataFrame(
        {
            "open": [b.open for b in bars],
            "high": [b.high for b in bars],
            "low": [b.low for b in bars],
            "close": [b.close for b in bars],
            "volume": [float(b.volume) for b in bars],
        },
        index=idx,
    )


def normalise_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """Check a bar frame and return it with a UTC DatetimeIndex. Raises IntelligenceInputError, never edits input."""
    if not isinstance(bars, pd.DataFrame):
        raise _err(f"bars must be a pandas DataFrame, got {type(bars).__name__}",
                   f"les barres doivent être un DataFrame pandas, reçu {type(bars).__name__}")
    df = bars
    if not isinstance(df.index, pd.DatetimeIndex):
        col = next((c for c in _TS_COLUMNS if c in df.columns), None)
        if col is None:
            raise _err("bars need a DatetimeIndex or a ts_utc/ts/timestamp column",
                       "les barres doivent avoir un DatetimeIndex ou une colonne ts_utc/ts/timestamp")
        try:
            ts = pd.to_datetime(df[col], utc=True)
        except (ValueError, TypeError) as exc:
            raise _err(f"column {col!r} has unreadable timestamps ({exc})",
                       f"la colonne {col!r} contient des horodatages illisibles ({exc})") from None
        df = df.set_index(pd.DatetimeIndex(ts, name="ts_utc"))
    idx = df.index
    # Integer views (asi8) are read in nanoseconds below; pandas may infer s/ms/us resolutions.
    new_idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
    if new_idx.unit != "ns":
        new_idx = new_idx.as_unit("ns")
    if new_idx is not idx:
        df = df.set_axis(new_idx, axis=0)
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise _err(f"bars lack column(s) {missing}; need {list(REQUIRED_COLUMNS)}",
                   f"colonne(s) absente(s) : {missing} ; il faut {list(REQUIRED_COLUMNS)}")
    if len(df) == 0:
        raise _err("no bars given", "aucune barre fournie")
    if df.index.hasnans:
        raise _err("bar timestamps contain NaT", "les horodatages des barres contiennent NaT")
    i8 = df.index.asi8
    if i8.shape[0] > 1:
        d = np.diff(i8)
        if (d <= 0).any():
            k = int(np.flatnonzero(d <= 0)[0]) + 1
            raise _err(f"bar timestamps must be strictly increasing; row {k} ({df.index[k]}) is not after the previous",
                       f"les horodatages doivent être strictement croissants ; la ligne {k} ({df.index[k]}) "
                       "ne suit pas la précédente")
    for c in REQUIRED_COLUMNS:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise _err(f"column {c!r} is not numeric", f"la colonne {c!r} n'est pas numérique")
    o, h, lo, c = (df[k].to_numpy(np.float64) for k in ("open", "high", "low", "close"))
    v = df["volume"].to_numpy(np.float64)
    bad = ~(np.isfinite(o) & np.isfinite(h) & np.isfinite(lo) & np.isfinite(c) & np.isfinite(v))
    bad |= (lo <= 0) | (h < lo) | (v < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise _err(f"bad bar at row {k} ({df.index[k]}): prices must be finite and > 0, high >= low, volume >= 0",
                   f"barre invalide à la ligne {k} ({df.index[k]}) : prix finis et > 0, plus haut >= plus bas, "
                   "volume >= 0")
    return df


# ---------------------------------------------------------------- causal building blocks
def _window_sum(cs: np.ndarray, w: int) -> np.ndarray:
    """Trailing sum over w bars from a cumulative sum `cs`; NaN until w bars exist."""
    out = np.empty_like(cs)
    out[:w] = np.nan
    if cs.shape[0] >= w:
        out[w - 1] = cs[w - 1]
        np.subtract(cs[w:], cs[:-w], out=out[w:])
    return out


def _rolling_sum(x: np.ndarray, w: int) -> np.ndarray:
    return _window_sum(np.cumsum(x), w)


def _mean_std_from_cumsums(cs1: np.ndarray, cs2: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    s1 = _window_sum(cs1, w)
    s2 = _window_sum(cs2, w)
    mean = s1 / w
    var = np.maximum((s2 - s1 * mean) / (w - 1), 0.0)
    return mean, np.sqrt(var)


def _rolling_mean_std(x: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    return _mean_std_from_cumsums(np.cumsum(x), np.cumsum(x * x), w)


def _lfilter() -> Any:
    # scipy.signal takes seconds to import (it pulls scipy.stats): imported on first use, not at import time
    from scipy.signal import lfilter

    return lfilter


def ema(x: np.ndarray, span: float) -> np.ndarray:
    """Exponential moving average started at x[0] (causal IIR filter)."""
    lfilter = _lfilter()
    if x.shape[0] == 0:
        return x.astype(np.float64)
    a = 2.0 / (span + 1.0)
    y, _ = lfilter([a], [1.0, a - 1.0], x, zi=np.array([(1.0 - a) * x[0]]))
    return y


def _wilder(x: np.ndarray, n: int) -> np.ndarray:
    lfilter = _lfilter()
    if x.shape[0] == 0:
        return x.astype(np.float64)
    a = 1.0 / n
    y, _ = lfilter([a], [1.0, a - 1.0], x, zi=np.array([(1.0 - a) * x[0]]))
    return y


def _trailing_max(x: np.ndarray, w: int) -> np.ndarray:
    # origin (w-1)//2 puts the window at [t-w+1, t]; 'nearest' repeats x[0] before the start, so the
    # first w-1 values are the max so far. The right edge never reaches past t.
    from scipy.ndimage import maximum_filter1d

    return maximum_filter1d(x, w, origin=(w - 1) // 2, mode="nearest")


def _trailing_min(x: np.ndarray, w: int) -> np.ndarray:
    from scipy.ndimage import minimum_filter1d

    return minimum_filter1d(x, w, origin=(w - 1) // 2, mode="nearest")


def _ffill_sign(s: np.ndarray) -> np.ndarray:
    """Tick rule: a zero change keeps the previous non-zero sign (0 before the first move)."""
    pos = np.where(s != 0, np.arange(s.shape[0]), 0)
    np.maximum.accumulate(pos, out=pos)
    out = s[pos]
    return out


def _trend_signal(closes: np.ndarray) -> np.ndarray:
    fast = ema(closes, EMA_FAST)
    slow = ema(closes, EMA_SLOW)
    step = np.abs(np.diff(closes, prepend=closes[:1]))
    scale = ema(step, EMA_SLOW)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, (fast - slow) / scale, 0.0)
    return np.tanh(z)


def _timeframe_trend(minute: np.ndarray, close: np.ndarray, k: int, bar_minutes: int) -> np.ndarray:
    """Trend of completed k-minute buckets, aligned to bars without look-ahead (NaN before the first one)."""
    n = close.shape[0]
    bucket = minute // k
    new_bucket = np.empty(n, dtype=bool)
    new_bucket[:1] = True
    np.not_equal(bucket[1:], bucket[:-1], out=new_bucket[1:])
    starts = np.flatnonzero(new_bucket)
    last = np.concatenate((starts[1:] - 1, [n - 1]))  # last bar of each bucket present in the data
    htf_sig = _trend_signal(close[last])
    # Buckets are numbered in order of appearance (pos). The bar whose end reaches its bucket's end closes
    # that bucket and may use it; any other bar may only use the previous present bucket (pos - 1).
    pos = np.cumsum(new_bucket) - 1
    closes_bucket = (minute + bar_minutes) // k - 1 >= bucket
    j = pos - (~closes_bucket)
    out = np.full(n, np.nan)
    ok = j >= 0
    out[ok] = htf_sig[j[ok]]
    return out


# ---------------------------------------------------------------- the pipeline
def compute_features(
    bars: pd.DataFrame,
    *,
    mtf_weights: Mapping[str, float] | None = None,
    gamma_factors: Mapping[str, float] | None = None,
    bar_minutes: int = 1,
    validate: bool = True,
) -> pd.DataFrame:
    """All features of FEATURE_COLUMNS for every bar, same index as the (normalised) input."""
    df = normalise_bars(bars) if validate else bars
    weights = dict(DEFAULT_MTF_WEIGHTS if mtf_weights is None else mtf_weights)
    unknown = [k for k in weights if k not in TIMEFRAMES]
    if unknown or not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise _err(f"mtf_weights must map some of {list(TIMEFRAMES)} to non-negative weights with a positive sum; "
                   f"got {weights}",
                   f"mtf_weights doit associer des unités parmi {list(TIMEFRAMES)} à des poids positifs ou nuls "
                   f"de somme positive ; reçu {weights}")
    if bar_minutes < 1:
        raise _err("bar_minutes must be >= 1", "bar_minutes doit être >= 1")
    n = len(df)
    o = df["open"].to_numpy(np.float64)
    h = df["high"].to_numpy(np.float64)
    lo = df["low"].to_numpy(np.float64)
    c = df["close"].to_numpy(np.float64)
    v = df["volume"].to_numpy(np.float64)
    out: dict[str, np.ndarray] = {}

    logc = np.log(c)
    for hz in RET_HORIZONS:
        r = np.full(n, np.nan)
        if n > hz:
            r[hz:] = logc[hz:] - logc[:-hz]
        out[f"ret_{hz}"] = r

    prev_c = np.concatenate((c[:1], c[:-1]))
    tr = np.maximum(h, prev_c) - np.minimum(lo, prev_c)
    tr[0] = h[0] - lo[0]
    atr = _wilder(tr, ATR_N)
    out["atr"] = atr
    out["atr_pct"] = atr / c

    r1 = np.zeros(n)
    r1[1:] = logc[1:] - logc[:-1]
    cs1, cs2 = np.cumsum(r1), np.cumsum(r1 * r1)  # shared by both windows
    _, rv_s = _mean_std_from_cumsums(cs1, cs2, RV_SHORT)
    _, rv_l = _mean_std_from_cumsums(cs1, cs2, RV_LONG)
    # r1[0] is a placeholder 0, so the first full window starts at bar 1: mask one more bar.
    rv_s[: RV_SHORT] = np.nan
    rv_l[: RV_LONG] = np.nan
    out["rv_30"] = rv_s
    out["rv_390"] = rv_l
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rv_s / rv_l
        vol_regime = np.where((rv_s > 0) & (rv_l > 0), np.log(ratio), np.nan)
    out["vol_regime"] = vol_regime
    vol_state = np.where(ratio < 0.8, 0.0, np.where(ratio > 1.25, 2.0, 1.0))
    out["vol_state"] = np.where(np.isnan(ratio), np.nan, vol_state)

    lv = np.log1p(v)
    m, sd = _rolling_mean_std(lv, VOLZ_N)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["vol_z"] = np.where(sd > 0, (lv - m) / sd, 0.0)
    out["vol_z"][: VOLZ_N - 1] = np.nan

    p0 = c[0]  # centring keeps the volume-weighted second moment well conditioned
    tp = (h + lo + c) / 3.0 - p0
    sv = _rolling_sum(v, VA_N)
    svp = _rolling_sum(v * tp, VA_N)
    svp2 = _rolling_sum(v * tp * tp, VA_N)
    with np.errstate(divide="ignore", invalid="ignore"):
        vwap = svp / sv
        vsd = np.sqrt(np.maximum(svp2 / sv - vwap * vwap, 0.0))
        va = np.where(vsd > 0, (c - p0 - vwap) / vsd, 0.0)
    va = np.clip(va, -5.0, 5.0)
    va[~(sv > 0)] = 0.0
    va[: VA_N - 1] = np.nan
    out["va_pos"] = va

    if "up_ticks" in df.columns and "down_ticks" in df.columns:
        up = np.nan_to_num(df["up_ticks"].to_numpy(np.float64))
        dn = np.nan_to_num(df["down_ticks"].to_numpy(np.float64))
        num, den = _rolling_sum(up - dn, OFI_N), _rolling_sum(up + dn, OFI_N)
    else:
        sign = _ffill_sign(np.sign(np.diff(c, prepend=c[:1])))
        num, den = _rolling_sum(sign * v, OFI_N), _rolling_sum(v, OFI_N)
    with np.errstate(divide="ignore", invalid="ignore"):
        ofi = np.where(den > 0, num / den, 0.0)
    ofi[: OFI_N - 1] = np.nan
    out["ofi_15"] = ofi

    hh = _trailing_max(h, SR_N)
    ll = _trailing_min(lo, SR_N)
    safe_atr = np.where(atr > 0, atr, np.nan)
    out["dist_res"] = (hh - c) / safe_atr
    out["dist_sup"] = (c - ll) / safe_atr
    hh_l = _trailing_max(h, SR_LONG)
    ll_l = _trailing_min(lo, SR_LONG)
    rng = hh_l - ll_l
    with np.errstate(divide="ignore", invalid="ignore"):
        out["sr_pos"] = np.where(rng > 0, (c - ll_l) / rng, 0.5)

    absd = np.abs(np.diff(c, prepend=c[:1]))
    path = _rolling_sum(absd, ER_N)
    net = np.full(n, np.nan)
    if n > ER_N:
        net[ER_N:] = np.abs(c[ER_N:] - c[:-ER_N])
    with np.errstate(divide="ignore", invalid="ignore"):
        er = np.where(path > 0, net / path, 0.0)
    er[: ER_N] = np.nan
    out["er_30"] = er

    index = df.index if df.index.unit == "ns" else df.index.as_unit("ns")
    utc_ns = index.asi8
    et_ns = index.tz_convert("America/New_York").tz_localize(None).asi8
    mod = (et_ns // _NS_PER_MIN) % 1440
    ang = mod.astype(np.float64) * (2.0 * np.pi / 1440.0)
    out["tod_sin"] = np.sin(ang)
    out["tod_cos"] = np.cos(ang)
    out["rth"] = ((mod >= 570) & (mod < 960)).astype(np.float64)

    minute = utc_ns // _NS_PER_MIN
    conf_num = np.zeros(n)
    wsum = float(sum(weights.values()))
    for tf, k in TIMEFRAMES.items():
        if k == bar_minutes or k < bar_minutes:
            sig = _trend_signal(c) if k == bar_minutes else np.full(n, np.nan)
        else:
            sig = _timeframe_trend(minute, c, k, bar_minutes)
        out[f"trend_{tf}"] = sig
        if tf in weights:
            conf_num += weights[tf] * np.nan_to_num(sig)
    out["mtf_confluence"] = conf_num / wsum

    gf = DEFAULT_GAMMA_FACTORS if gamma_factors is None else dict(gamma_factors)
    codes, fac, dte = gamma_arrays(et_ns, gf)
    out["gamma_phase"] = codes.astype(np.float64)
    out["gamma_factor"] = fac
    out["days_to_opex"] = dte
    return pd.DataFrame(out, index=df.index, columns=list(FEATURE_COLUMNS), copy=False)


def latest_features(bars: pd.DataFrame, **kwargs: object) -> pd.Series:
    """Features of the last bar (same code path, computed on the given window)."""
    return compute_features(bars, **kwargs).iloc[-1]  # type: ignore[arg-type]
