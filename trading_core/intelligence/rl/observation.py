"""Market features for the RL observation, vectorised over a whole OHLCV frame.

One code path for training and live inference: the live observation is the last row of the same
computation over the recent bars. Every feature at bar t uses bars <= t only (trailing windows), so a
feature never sees the future. Returns are measured in units of recent volatility so that one model
reads calm and wild sessions on the same scale; the per-feature mean / std fitted on the training
segment is stored in the checkpoint and reused at inference.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from trading_core.intelligence.rl.types import RLInputError
from trading_core.types import Bar

FEATURE_NAMES: tuple[str, ...] = (
    "ret_1",
    "ret_5",
    "ret_15",
    "ret_60",
    "vol_20",
    "vol_ratio_20_120",
    "range_over_vol",
    "close_vs_sma20",
    "volume_z",
)
# Longest trailing window (120-bar volatility) plus the one bar a return needs.
WARMUP_BARS = 121
CLIP = 5.0
_VOL_FLOOR = 1e-8
_COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class MarketSeries:
    """Bars as arrays: close prices and raw (un-normalised) features, row t using bars <= t."""

    close: np.ndarray  # float64 (T,)
    features: np.ndarray  # float64 (T, F); NaN during warm-up
    index: pd.Index

    @property
    def n(self) -> int:
        return int(self.close.shape[0])


@dataclass(frozen=True, slots=True)
class Normaliser:
    mean: np.ndarray  # (F,)
    std: np.ndarray  # (F,)

    @classmethod
    def fit(cls, features: np.ndarray) -> "Normaliser":
        rows = features[~np.isnan(features).any(axis=1)]
        if rows.shape[0] < 2:
            raise RLInputError(
                f"not enough bars after the {WARMUP_BARS}-bar warm-up to fit the feature normalisation",
                f"pas assez de barres après les {WARMUP_BARS} barres de préchauffage pour normaliser les variables",
            )
        mean = rows.mean(axis=0)
        std = rows.std(axis=0)
        # A constant feature (e.g. no volume column) gets std 1 so it stays 0 instead of dividing by zero.
        std = np.where(std < 1e-8, 1.0, std)
        return cls(mean=mean, std=std)

    def apply(self, features: np.ndarray) -> np.ndarray:
        z = (features - self.mean) / self.std
        return np.clip(np.nan_to_num(z, nan=0.0), -CLIP, CLIP).astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        return {"mean": [float(x) for x in self.mean], "std": [float(x) for x in self.std],
                "features": list(FEATURE_NAMES), "clip": CLIP}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Normaliser":
        if list(d.get("features", [])) != list(FEATURE_NAMES):
            raise RLInputError(
                "checkpoint was trained with a different feature set; retrain it",
                "le point de contrôle a été entraîné avec d'autres variables ; ré-entraînez-le",
            )
        return cls(mean=np.asarray(d["mean"], dtype=np.float64), std=np.asarray(d["std"], dtype=np.float64))


def bars_to_frame(bars: pd.DataFrame | Sequence[Bar]) -> pd.DataFrame:
    """Accept a DataFrame (any column case) or a sequence of `Bar`; return float columns open..volume."""
    if isinstance(bars, pd.DataFrame):
        df = bars.rename(columns={c: str(c).lower() for c in bars.columns})
    else:
        seq = list(bars)
        if not all(isinstance(b, Bar) for b in seq):
            raise RLInputError(
                "bars must be a pandas DataFrame or a sequence of trading_core.types.Bar",
                "les barres doivent être un DataFrame pandas ou une séquence de trading_core.types.Bar",
            )
        df = pd.DataFrame(
            {
                "open": [b.open for b in seq],
                "high": [b.high for b in seq],
                "low": [b.low for b in seq],
                "close": [b.close for b in seq],
                "volume": [b.volume for b in seq],
            },
            index=pd.DatetimeIndex([b.ts for b in seq]) if seq else None,
        )
    if "close" not in df.columns:
        raise RLInputError(
            f"bars need a 'close' column (got {list(df.columns)})",
            f"les barres doivent avoir une colonne 'close' (reçu {list(df.columns)})",
        )
    out = pd.DataFrame(index=df.index)
    for col in _COLUMNS:
        # Missing open/high/low fall back to the close; missing volume counts as none traded.
        src = df[col] if col in df.columns else (df["close"] if col != "volume" else pd.Series(0.0, index=df.index))
        try:
            out[col] = pd.to_numeric(src, errors="raise").astype(np.float64)
        except (TypeError, ValueError):
            raise RLInputError(
                f"column '{col}' holds non-numeric values",
                f"la colonne '{col}' contient des valeurs non numériques",
            ) from None
    prices = out[["open", "high", "low", "close"]].to_numpy()
    if not np.isfinite(prices).all() or (prices <= 0).any():
        raise RLInputError(
            "prices must be finite and positive (found NaN, inf, zero or negative values)",
            "les prix doivent être finis et positifs (valeurs NaN, infinies, nulles ou négatives trouvées)",
        )
    out["volume"] = out["volume"].fillna(0.0).clip(lower=0.0)
    return out


def compute_features(bars: pd.DataFrame | Sequence[Bar]) -> MarketSeries:
    """Raw features for every bar (NaN for the first WARMUP_BARS - 1 rows)."""
    df = bars_to_frame(bars)
    close = df["close"].to_numpy()
    logc = pd.Series(np.log(close), index=df.index)
    r1 = logc.diff()
    vol20 = r1.rolling(20).std().clip(lower=_VOL_FLOOR)
    vol120 = r1.rolling(120).std().clip(lower=_VOL_FLOOR)
    sma20 = df["close"].rolling(20).mean()
    logv = np.log1p(df["volume"])
    feats = {
        "ret_1": r1 / vol20,
        "ret_5": logc.diff(5) / (vol20 * np.sqrt(5.0)),
        "ret_15": logc.diff(15) / (vol20 * np.sqrt(15.0)),
        "ret_60": logc.diff(60) / (vol20 * np.sqrt(60.0)),
        "vol_20": np.log(vol20),
        "vol_ratio_20_120": np.log(vol20 / vol120),
        "range_over_vol": ((df["high"] - df["low"]) / df["close"]) / vol20,
        "close_vs_sma20": (df["close"] - sma20) / (df["close"] * vol20 * np.sqrt(20.0)),
        "volume_z": logv - logv.rolling(60).mean(),
    }
    mat = np.column_stack([feats[name].to_numpy(dtype=np.float64) for name in FEATURE_NAMES])
    # Rows before the longest window is full are marked missing, whatever pandas produced for them.
    mat[: WARMUP_BARS - 1] = np.nan
    return MarketSeries(close=close, features=mat, index=df.index)
