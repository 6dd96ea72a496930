"""Simple built-in strategies for replays and benchmarks.

A strategy turns closes into the signed target position decided at each bar's close, vectorised
and without look-ahead (the value at bar i uses closes up to i only). The replay executes a change
of target at the NEXT bar's open through the engine (risk gate, paper broker, ledger).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Strategy(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    def target_positions(self, open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray: ...


def sma(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing simple moving average; NaN until `window` values exist."""
    out = np.full(values.shape, np.nan)
    if len(values) >= window:
        c = np.cumsum(np.insert(values.astype(float), 0, 0.0))
        out[window - 1:] = (c[window:] - c[:-window]) / window
    return out


@dataclass(frozen=True)
class SmaCross:
    fast: int = 10
    slow: int = 30
    size: int = 1
    name: str = "sma_cross"
    description: str = "long when SMA(fast) > SMA(slow), short when below; always in the market after warm-up"

    def target_positions(self, open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
        f, s = sma(close, self.fast), sma(close, self.slow)
        out = np.zeros(len(close), dtype=np.int64)
        ok = ~np.isnan(s)
        out[ok] = np.where(f[ok] > s[ok], self.size, -self.size)
        return out


@dataclass(frozen=True)
class Breakout:
    lookback: int = 20
    size: int = 1
    name: str = "breakout"
    description: str = "long above the prior N-bar high, short below the prior N-bar low, hold otherwise"

    def target_positions(self, open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
        n = len(close)
        out = np.zeros(n, dtype=np.int64)
        if n <= self.lookback:
            return out
        from numpy.lib.stride_tricks import sliding_window_view

        prior_high = np.full(n, np.nan)
        prior_low = np.full(n, np.nan)
        prior_high[self.lookback:] = sliding_window_view(high, self.lookback).max(axis=1)[:-1]
        prior_low[self.lookback:] = sliding_window_view(low, self.lookback).min(axis=1)[:-1]
        signal = np.where(close > prior_high, self.size, np.where(close < prior_low, -self.size, 0))
        # hold the last non-zero signal (forward fill)
        idx = np.where(signal != 0, np.arange(n), 0)
        np.maximum.accumulate(idx, out=idx)
        out = signal[idx]
        out[: self.lookback] = 0
        return out.astype(np.int64)


STRATEGIES: dict[str, Strategy] = {s.name: s for s in (SmaCross(), Breakout())}


def get_strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; available: {', '.join(sorted(STRATEGIES))}") from None
