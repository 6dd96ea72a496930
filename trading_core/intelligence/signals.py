"""Candidate trade signals and the feature rows the ensemble filter scores (meta-labelling).

The primary signal is the multi-timeframe confluence crossing a threshold: long when it rises through
+threshold, short when it falls through -threshold. The filter then decides whether such a signal is
worth taking, so its inputs are expressed IN THE TRADE DIRECTION: directional features (returns,
order-flow, value-area position, trends, confluence, range position) are multiplied by the side, and
support/resistance become "room to the target side" (dist_target) and "room to the stop side"
(dist_stop). Non-directional features (volatility, volume, time, gamma, regime probabilities) are kept.
A short signal with ret_5 = -0.002 therefore shows ret_5 = +0.002: "the market already moved our way".
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from trading_core.intelligence.features import WARMUP_BARS
from trading_core.intelligence.types import REGIMES, IntelligenceInputError

DIRECTIONAL: tuple[str, ...] = (
    "ret_1", "ret_5", "ret_15", "ret_60", "ofi_15", "va_pos",
    "trend_1m", "trend_5m", "trend_15m", "trend_1h", "trend_4h", "mtf_confluence",
)
NEUTRAL: tuple[str, ...] = (
    "atr_pct", "rv_30", "vol_regime", "vol_z", "er_30", "tod_sin", "tod_cos", "rth",
    "gamma_factor", "days_to_opex",
)
REGIME_FEATURES: tuple[str, ...] = tuple(f"hmm_{r}" for r in REGIMES)
MODEL_FEATURES: tuple[str, ...] = (
    *DIRECTIONAL, "sr_pos", "dist_target", "dist_stop", *NEUTRAL, "side", *REGIME_FEATURES,
)
DEFAULT_SIGNAL_THRESHOLD = 0.3


def confluence_signals(
    features: pd.DataFrame, threshold: float = DEFAULT_SIGNAL_THRESHOLD, warmup: int = WARMUP_BARS
) -> tuple[np.ndarray, np.ndarray]:
    """(bar positions, sides) where mtf_confluence crosses +threshold upwards (+1) or -threshold downwards (-1).

    Uses bars t-1 and t only: the signal is known at the close of bar t.
    """
    if not 0 < threshold < 1:
        raise IntelligenceInputError("signal threshold must be in (0, 1)", "le seuil du signal doit être dans ]0, 1[")
    conf = features["mtf_confluence"].to_numpy(np.float64)
    prev = np.concatenate(([np.nan], conf[:-1]))
    up = (prev < threshold) & (conf >= threshold)
    dn = (prev > -threshold) & (conf <= -threshold)
    idx = np.flatnonzero(up | dn)
    idx = idx[idx >= warmup]
    return idx, np.where(up[idx], 1, -1).astype(np.int64)


def _side_array(side: np.ndarray | int, n: int) -> np.ndarray:
    s = np.broadcast_to(np.asarray(side, dtype=np.float64), (n,)).copy()
    if not np.isin(s, (-1.0, 1.0)).all():
        raise IntelligenceInputError("side must be +1 (buy) or -1 (sell)", "le sens doit être +1 (achat) ou -1 (vente)")
    return s


def signal_matrix(
    features: pd.DataFrame,
    idx: np.ndarray,
    side: np.ndarray | int,
    regime_probs: pd.DataFrame | np.ndarray | None = None,
) -> pd.DataFrame:
    """MODEL_FEATURES rows for signals at bar positions `idx` with sides +1/-1.

    `regime_probs` holds p_trend, p_range, p_defensive per bar (RegimeDetector.filter) or is None (uniform).
    """
    idx = np.asarray(idx, dtype=np.int64)
    n = idx.shape[0]
    s = _side_array(side, n)
    f = features.iloc[idx]
    out: dict[str, np.ndarray] = {}
    for col in DIRECTIONAL:
        out[col] = f[col].to_numpy(np.float64) * s
    sr = f["sr_pos"].to_numpy(np.float64)
    out["sr_pos"] = (sr - 0.5) * s
    res, sup = f["dist_res"].to_numpy(np.float64), f["dist_sup"].to_numpy(np.float64)
    out["dist_target"] = np.where(s > 0, res, sup)
    out["dist_stop"] = np.where(s > 0, sup, res)
    for col in NEUTRAL:
        out[col] = f[col].to_numpy(np.float64)
    out["side"] = s
    if regime_probs is None:
        probs = np.full((n, len(REGIMES)), 1.0 / len(REGIMES))
    elif isinstance(regime_probs, pd.DataFrame):
        probs = regime_probs[[f"p_{r}" for r in REGIMES]].to_numpy(np.float64)[idx]
    else:
        probs = np.asarray(regime_probs, dtype=np.float64)[idx]
    for j, col in enumerate(REGIME_FEATURES):
        out[col] = probs[:, j]
    return pd.DataFrame(out, index=features.index[idx], columns=list(MODEL_FEATURES))


def signal_row(
    raw: Mapping[str, float], side: int, regime_distribution: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """One MODEL_FEATURES row from a mapping of raw feature values (features.FEATURE_COLUMNS names).

    A mapping that already holds every MODEL_FEATURES name (already oriented) is used as is.
    """
    if all(k in raw for k in MODEL_FEATURES):
        row = {k: float(raw[k]) for k in MODEL_FEATURES}
        if row["side"] != side:
            raise IntelligenceInputError(f"oriented features were built for side {row['side']:+.0f}, not {side:+d}",
                                         f"caractéristiques orientées pour le sens {row['side']:+.0f}, pas {side:+d}")
        return pd.DataFrame([row], columns=list(MODEL_FEATURES))
    needed = set(DIRECTIONAL) | set(NEUTRAL) | {"sr_pos", "dist_res", "dist_sup"}
    missing = sorted(needed - set(raw))
    if missing:
        raise IntelligenceInputError(f"signal features lack {missing}",
                                     f"il manque des caractéristiques du signal : {missing}")
    frame = pd.DataFrame([{k: float(raw[k]) for k in needed}])
    probs = None
    if regime_distribution is not None:
        probs = np.array([[float(regime_distribution.get(r, 0.0)) for r in REGIMES]])
    return signal_matrix(frame, np.array([0]), int(side), probs)


def cusum_events(
    features: pd.DataFrame,
    close: np.ndarray,
    h_mult: float = 3.0,
    min_confluence: float = 0.1,
    warmup: int = WARMUP_BARS,
) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric CUSUM filter events (AFML 2.5.2.1) with the side given by the multi-timeframe confluence.

    The filter accumulates 1-bar log returns upwards and downwards and fires when either sum exceeds
    h_t = h_mult * rv_30_t (bar volatility), then resets. It samples bars where price has moved
    meaningfully, far more often than threshold crossings. The trade side is the sign of mtf_confluence on
    that bar; events where |confluence| < min_confluence carry no trend view and are dropped. Causal: the
    event on bar t uses bars <= t only.
    """
    if h_mult <= 0 or not 0 <= min_confluence < 1:
        raise IntelligenceInputError("h_mult must be > 0 and min_confluence in [0, 1)",
                                     "h_mult doit être > 0 et min_confluence dans [0, 1[")
    logc = np.log(np.asarray(close, dtype=np.float64))
    r = np.diff(logc, prepend=logc[:1]).tolist()
    h = (h_mult * features["rv_30"].to_numpy(np.float64)).tolist()
    events: list[int] = []
    s_pos = s_neg = 0.0
    for t in range(max(1, warmup), len(r)):
        ht = h[t]
        if not ht > 0:  # NaN during warm-up or a frozen market
            continue
        s_pos = max(0.0, s_pos + r[t])
        s_neg = min(0.0, s_neg + r[t])
        if s_pos > ht:
            s_pos = 0.0
            events.append(t)
        elif s_neg < -ht:
            s_neg = 0.0
            events.append(t)
    idx = np.asarray(events, dtype=np.int64)
    conf = features["mtf_confluence"].to_numpy(np.float64)[idx] if idx.size else np.empty(0)
    keep = np.abs(conf) >= min_confluence
    return idx[keep], np.where(conf[keep] > 0, 1, -1).astype(np.int64)
