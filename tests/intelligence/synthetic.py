"""Seeded synthetic 1-minute bars for the intelligence tests (no file, no network)."""
from __future__ import annotations

import numpy as np
import pandas as pd

REGIME_NAMES = ("trend", "range", "defensive")


def regime_switching_bars(n: int = 12_000, seed: int = 7, mean_duration: int = 600) -> pd.DataFrame:
    """Bars whose log returns follow three regimes with known labels (column `regime`).

    trend: persistent drift (sign drawn per episode) with moderate noise; range: mean reversion to an
    anchor, low noise; defensive: no drift, three times the noise. Episodes last `mean_duration` bars on
    average (geometric), each regime differs from the previous one.
    """
    rng = np.random.default_rng(seed)
    labels = np.empty(n, dtype=np.int64)
    t, cur = 0, int(rng.integers(3))
    while t < n:
        length = max(60, int(rng.geometric(1.0 / mean_duration)))
        labels[t : t + length] = cur
        t += length
        cur = int((cur + rng.integers(1, 3)) % 3)
    sigma = np.array([1.6e-4, 1.2e-4, 5.0e-4])
    logp = np.empty(n)
    lp, anchor, drift = np.log(5000.0), np.log(5000.0), 0.0
    for i in range(n):
        k = labels[i]
        if i == 0 or labels[i - 1] != k:
            anchor = lp
            drift = (1 if rng.random() < 0.5 else -1) * 1.2e-4
        if k == 0:
            r = drift + sigma[0] * rng.standard_normal()
        elif k == 1:
            r = -0.15 * (lp - anchor) + sigma[1] * rng.standard_normal()
        else:
            r = sigma[2] * rng.standard_normal()
        lp += r
        logp[i] = lp
    close = np.round(np.exp(logp) * 4) / 4
    open_ = np.concatenate(([close[0]], close[:-1]))
    spread = np.abs(rng.standard_normal(n)) * np.exp(logp) * sigma[labels] * 0.8
    high = np.round((np.maximum(open_, close) + spread) * 4) / 4
    low = np.round((np.minimum(open_, close) - spread) * 4) / 4
    vol = rng.poisson(np.array([900, 500, 2000])[labels]).astype(float) + 1
    idx = pd.date_range("2024-03-04 14:30", periods=n, freq="1min", tz="UTC")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": vol,
         "regime": np.asarray(REGIME_NAMES, dtype=object)[labels]},
        index=idx,
    )
