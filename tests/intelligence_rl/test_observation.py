"""Observation features: no look-ahead, warm-up, normalisation, bad input."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from tests.intelligence_rl.conftest import random_walk_bars
from trading_core.intelligence.rl.observation import (
    FEATURE_NAMES,
    WARMUP_BARS,
    Normaliser,
    compute_features,
)
from trading_core.intelligence.rl.types import RLInputError
from trading_core.types import Bar


def test_features_use_past_bars_only() -> None:
    df = random_walk_bars(600, seed=3)
    full = compute_features(df).features
    for cut in (WARMUP_BARS, 300, 599):
        # Changing every bar after `cut` must not change any feature up to `cut`.
        future = df.copy()
        future.iloc[cut + 1:, :4] *= 1.5
        future.iloc[cut + 1:, 4] = 1
        alt = compute_features(future).features
        assert np.allclose(full[: cut + 1], alt[: cut + 1], equal_nan=True)


def test_warm_up_rows_are_missing_and_the_rest_finite() -> None:
    f = compute_features(random_walk_bars(400, seed=1)).features
    assert f.shape == (400, len(FEATURE_NAMES))
    assert np.isnan(f[: WARMUP_BARS - 1]).all()
    assert np.isfinite(f[WARMUP_BARS - 1:]).all()


def test_normaliser_round_trips_and_handles_constant_features() -> None:
    f = compute_features(random_walk_bars(400, seed=2)).features
    f[:, -1] = np.where(np.isnan(f[:, -1]), np.nan, 3.0)  # a constant column
    norm = Normaliser.fit(f)
    z = norm.apply(f)
    assert z.dtype == np.float32 and np.isfinite(z).all() and np.abs(z).max() <= 5.0
    assert (z[WARMUP_BARS:, -1] == 0).all()
    again = Normaliser.from_json(norm.to_json())
    assert np.array_equal(again.apply(f), z)


def test_bar_objects_and_frames_give_the_same_features() -> None:
    df = random_walk_bars(200, seed=4)
    t0 = datetime(2025, 3, 3, 14, 30, tzinfo=timezone.utc)
    bars = [Bar("ES", t0 + timedelta(minutes=i), *map(float, row[:4]), int(row[4]))
            for i, row in enumerate(df.to_numpy())]
    assert np.allclose(compute_features(bars).features, compute_features(df).features, equal_nan=True)


@pytest.mark.parametrize(
    "frame, fragment",
    [
        (pd.DataFrame({"open": [1.0]}), "close"),
        (pd.DataFrame({"close": ["a", "b"]}), "non-numeric"),
        (pd.DataFrame({"close": [5000.0, -1.0]}), "positive"),
        (pd.DataFrame({"close": [5000.0, np.nan]}), "finite"),
    ],
)
def test_bad_bars_are_refused_with_a_clear_message(frame: pd.DataFrame, fragment: str) -> None:
    with pytest.raises(RLInputError) as e:
        compute_features(frame)
    assert fragment in e.value.message_en
    assert e.value.message_fr and e.value.message_fr != e.value.message_en


def test_not_a_bar_sequence_is_refused() -> None:
    with pytest.raises(RLInputError):
        compute_features([1, 2, 3])  # type: ignore[list-item]
    with pytest.raises(RLInputError) as e:
        Normaliser.fit(compute_features(random_walk_bars(50)).features)
    assert "warm-up" in e.value.message_en
