"""Features: no look-ahead for every column, correctness of the building blocks, clear input errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trading_core.intelligence.features import (
    FEATURE_COLUMNS,
    TIMEFRAMES,
    _ffill_sign,
    _trailing_max,
    _trailing_min,
    bars_to_frame,
    compute_features,
    ema,
)
from trading_core.intelligence.types import IntelligenceInputError
from trading_core.types import Bar

CUTS = (450, 1203, 2999, 4711)  # arbitrary, not aligned to 5m/15m/1h/4h buckets


@pytest.fixture(scope="module")
def full_2019(es_2019: pd.DataFrame) -> pd.DataFrame:
    return compute_features(es_2019)


@pytest.fixture(scope="module")
def full_2023(es_2023: pd.DataFrame) -> pd.DataFrame:
    return compute_features(es_2023.iloc[:6000])


@pytest.mark.parametrize("column", FEATURE_COLUMNS)
def test_no_look_ahead_truncation(column: str, es_2019: pd.DataFrame, full_2019: pd.DataFrame,
                                  es_2023: pd.DataFrame, full_2023: pd.DataFrame) -> None:
    """Values at t computed on bars[:t+1] equal those computed on the full series, bit for bit."""
    for bars, full in ((es_2019, full_2019), (es_2023.iloc[:6000], full_2023)):
        for cut in CUTS:
            part = compute_features(bars.iloc[: cut + 1])
            np.testing.assert_array_equal(part[column].to_numpy(), full[column].to_numpy()[: cut + 1],
                                          err_msg=f"{column} changes when the future is removed (cut {cut})")


@pytest.mark.parametrize("column", FEATURE_COLUMNS)
def test_no_look_ahead_scrambled_future(column: str, es_2023: pd.DataFrame, full_2023: pd.DataFrame) -> None:
    """Replacing every bar after t by different (valid) bars leaves the values up to t unchanged."""
    bars = es_2023.iloc[:6000].copy()
    cut = 3333
    rng = np.random.default_rng(1)
    tail = bars.iloc[cut + 1 :]
    shift = np.round(rng.normal(0, 20, len(tail)) * 4) / 4
    for c in ("open", "high", "low", "close"):
        bars.iloc[cut + 1 :, bars.columns.get_loc(c)] = tail[c].to_numpy() + shift
    bars.iloc[cut + 1 :, bars.columns.get_loc("volume")] = rng.integers(1, 5000, len(tail))
    scrambled = compute_features(bars)
    np.testing.assert_array_equal(scrambled[column].to_numpy()[: cut + 1], full_2023[column].to_numpy()[: cut + 1])
    assert not np.array_equal(scrambled["ret_1"].to_numpy()[cut + 1 :], full_2023["ret_1"].to_numpy()[cut + 1 :])


def test_higher_timeframe_used_only_once_complete() -> None:
    """A 5-minute bucket 12:00-12:05 first influences the bar that ENDS at 12:05 (starts 12:04)."""
    idx = pd.date_range("2024-05-06 11:00", periods=120, freq="1min", tz="UTC")
    close = np.full(120, 5000.0)
    close[60:] = 5010.0  # a jump in the bucket starting at 12:00
    bars = pd.DataFrame({"open": close, "high": close + 0.25, "low": close - 0.25, "close": close,
                         "volume": 100.0}, index=idx)
    f = compute_features(bars)
    t5 = f["trend_5m"].to_numpy()
    assert t5[59] == t5[63] == 0.0  # 11:59 .. 12:03: the jump's bucket is still open
    assert t5[64] > 0.0  # 12:04 bar ends at 12:05: bucket complete
    # a missing minute does not make a bucket complete early
    sparse = bars.drop(index=idx[64])
    fs = compute_features(sparse)
    assert fs["trend_5m"].loc[idx[63]] == 0.0
    assert fs["trend_5m"].loc[idx[65]] > 0.0


def test_trailing_extremes_and_ema_are_causal_and_correct() -> None:
    x = np.random.default_rng(0).normal(size=500)
    for w in (4, 120, 121):
        ref_max = np.array([x[max(0, i - w + 1) : i + 1].max() for i in range(500)])
        ref_min = np.array([x[max(0, i - w + 1) : i + 1].min() for i in range(500)])
        np.testing.assert_array_equal(_trailing_max(x, w), ref_max)
        np.testing.assert_array_equal(_trailing_min(x, w), ref_min)
    e = ema(x, 9)
    ref = pd.Series(x).ewm(span=9, adjust=False).mean().to_numpy()
    np.testing.assert_allclose(e, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(_ffill_sign(np.array([0.0, 1, 0, 0, -1, 0, 1])), [0, 1, 1, 1, -1, -1, 1])


def test_feature_values_match_definitions(es_2019: pd.DataFrame, full_2019: pd.DataFrame) -> None:
    c = es_2019["close"]
    t = 2000
    np.testing.assert_allclose(full_2019["ret_15"].iloc[t], np.log(c.iloc[t] / c.iloc[t - 15]), rtol=1e-12)
    r1 = np.log(c).diff()
    np.testing.assert_allclose(full_2019["rv_30"].iloc[t], r1.iloc[t - 29 : t + 1].std(ddof=1), rtol=1e-9)
    hh = es_2019["high"].iloc[t - 119 : t + 1].max()
    np.testing.assert_allclose(full_2019["dist_res"].iloc[t], (hh - c.iloc[t]) / full_2019["atr"].iloc[t])
    up, dn = es_2019["up_ticks"].iloc[t - 14 : t + 1], es_2019["down_ticks"].iloc[t - 14 : t + 1]
    np.testing.assert_allclose(full_2019["ofi_15"].iloc[t], (up - dn).sum() / (up + dn).sum())
    weights = {"1m": 0.1, "5m": 0.15, "15m": 0.2, "1h": 0.25, "4h": 0.3}
    row = full_2019.iloc[t]
    expect = sum(w * row[f"trend_{tf}"] for tf, w in weights.items()) / sum(weights.values())
    np.testing.assert_allclose(row["mtf_confluence"], expect)
    assert set(TIMEFRAMES) == set(weights)
    # 2019-09-03 14:00 UTC is 10:00 New York: regular trading hours
    assert full_2019.loc[pd.Timestamp("2019-09-03 14:00", tz="UTC"), "rth"] == 1.0
    assert full_2019.loc[pd.Timestamp("2019-09-03 02:00", tz="UTC"), "rth"] == 0.0


def test_order_flow_falls_back_to_tick_rule(es_2019: pd.DataFrame) -> None:
    bars = es_2019.drop(columns=["up_ticks", "down_ticks"]).iloc[:500]
    f = compute_features(bars)
    sign = np.sign(bars["close"].diff().fillna(0)).replace(0, np.nan).ffill().fillna(0)
    t = 300
    v = bars["volume"].iloc[t - 14 : t + 1]
    np.testing.assert_allclose(f["ofi_15"].iloc[t], (sign.iloc[t - 14 : t + 1] * v).sum() / v.sum())


def test_mtf_weights_from_config_change_confluence(es_2023: pd.DataFrame) -> None:
    only_4h = compute_features(es_2023.iloc[:3000], mtf_weights={"4h": 1.0})
    np.testing.assert_array_equal(only_4h["mtf_confluence"].to_numpy(), only_4h["trend_4h"].fillna(0).to_numpy())
    with pytest.raises(IntelligenceInputError, match="mtf_weights"):
        compute_features(es_2023.iloc[:100], mtf_weights={"2m": 1.0})


def test_bad_inputs_are_refused_clearly(es_2023: pd.DataFrame) -> None:
    bars = es_2023.iloc[:50]
    original = bars.copy()
    with pytest.raises(IntelligenceInputError, match="lack column"):
        compute_features(bars.drop(columns=["volume"]))
    with pytest.raises(IntelligenceInputError, match="strictly increasing"):
        compute_features(pd.concat([bars.iloc[:10], bars.iloc[5:6]]))
    bad = bars.copy()
    bad.iloc[7, bad.columns.get_loc("high")] = bad["low"].iloc[7] - 1
    with pytest.raises(IntelligenceInputError, match="row 7") as exc:
        compute_features(bad)
    assert "ligne 7" in exc.value.message_fr
    bad = bars.copy()
    bad.iloc[3, bad.columns.get_loc("close")] = np.nan
    with pytest.raises(IntelligenceInputError, match="row 3"):
        compute_features(bad)
    with pytest.raises(IntelligenceInputError):
        compute_features(bars.iloc[:0])
    with pytest.raises(IntelligenceInputError, match="DataFrame"):
        compute_features([1, 2, 3])  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(bars, original)  # nothing was modified


def test_timestamp_column_naive_index_and_bar_objects_agree(es_2023: pd.DataFrame) -> None:
    bars = es_2023.iloc[:600]
    ref = compute_features(bars)
    as_column = bars.reset_index(names="ts_utc")
    pd.testing.assert_frame_equal(compute_features(as_column).reset_index(drop=True), ref.reset_index(drop=True))
    naive = bars.set_axis(bars.index.tz_localize(None), axis=0)
    np.testing.assert_array_equal(compute_features(naive).to_numpy(), ref.to_numpy())
    objs = [Bar("ES", ts.to_pydatetime(), r.open, r.high, r.low, r.close, int(r.volume)) for ts, r in bars.iterrows()]
    np.testing.assert_allclose(compute_features(bars_to_frame(objs)).to_numpy(), ref.to_numpy(), equal_nan=True)
