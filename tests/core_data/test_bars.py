"""Timeframes, bar/frame conversion and resampling."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trading_core.marketdata.bars import (
    TIMEFRAMES,
    UnknownTimeframeError,
    bars_to_frame,
    frame_to_bars,
    parse_timeframe,
    resample,
    resample_frame,
)
from trading_core.marketdata.csv_replay import load_bars_csv
from trading_core.types import Bar

UTC = timezone.utc
DATA = Path("/work/shared/data/market/intraday")
ESZ5 = DATA / "es_1m_2025-09-14_2025-11-14_ESZ5_quotrading.csv.gz"


def bar(minute: datetime, o: float, h: float, lo: float, c: float, v: int, symbol: str = "ES", tf: str = "1m") -> Bar:
    return Bar(symbol, minute, o, h, lo, c, v, tf)


def t(hh: int, mm: int, day: int = 16) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, name, seconds",
    [("1m", "1m", 60), ("5m", "5m", 300), ("15m", "15m", 900), ("1h", "1h", 3600), ("4h", "4h", 14400),
     ("5min", "5m", 300), ("M15", "15m", 900), ("1H", "1h", 3600), ("60m", "1h", 3600), (" 240m ", "4h", 14400)],
)
def test_parse_timeframe(text: str, name: str, seconds: int) -> None:
    tf = parse_timeframe(text)
    assert (tf.name, tf.seconds) == (name, seconds)
    assert parse_timeframe(tf) is tf


@pytest.mark.parametrize("bad", ["7m", "", "1d", "m", None, 5])
def test_unknown_timeframe_is_a_clear_error(bad: object) -> None:
    with pytest.raises(UnknownTimeframeError) as info:
        parse_timeframe(bad)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    text = str(info.value)
    assert "Unknown timeframe" in text and "Unité de temps inconnue" in text
    assert all(name in text for name in TIMEFRAMES)


HAND_BARS = [
    bar(t(9, 58), 100.0, 101.0, 99.5, 100.5, 10),
    bar(t(9, 59), 100.5, 102.0, 100.25, 101.75, 20),
    bar(t(10, 0), 101.75, 101.75, 100.0, 100.25, 5),
    bar(t(10, 1), 100.25, 103.0, 100.25, 102.5, 7),
    bar(t(10, 4), 102.5, 102.75, 101.0, 101.0, 3),
    bar(t(10, 5), 101.0, 101.5, 98.0, 98.75, 40),
    bar(t(10, 7), 98.75, 99.0, 97.5, 99.0, 1),
    bar(t(10, 31), 99.0, 99.25, 98.5, 98.5, 2),  # after an empty stretch
]


def test_resample_hand_computed_five_minutes() -> None:
    out = resample(HAND_BARS, "5m")
    assert out == [
        bar(t(9, 55), 100.0, 102.0, 99.5, 101.75, 30, tf="5m"),
        bar(t(10, 0), 101.75, 103.0, 100.0, 101.0, 15, tf="5m"),
        bar(t(10, 5), 101.0, 101.5, 97.5, 99.0, 41, tf="5m"),
        bar(t(10, 30), 99.0, 99.25, 98.5, 98.5, 2, tf="5m"),  # empty bins 10:10-10:25 dropped
    ]


def test_resample_hand_computed_hours_aligned_to_utc() -> None:
    assert resample(HAND_BARS, "1h") == [
        bar(t(9, 0), 100.0, 102.0, 99.5, 101.75, 30, tf="1h"),
        bar(t(10, 0), 101.75, 103.0, 97.5, 98.5, 58, tf="1h"),
    ]
    # 4h bins start at 00, 04, 08, ... UTC
    assert [b.ts for b in resample(HAND_BARS, "4h")] == [t(8, 0)]
    assert resample([bar(t(5, 30), 1.0, 1.0, 1.0, 1.0, 1)], "4h")[0].ts == t(4, 0)


def test_resample_groups_symbols_and_sorts_input() -> None:
    mixed = [
        bar(t(10, 1), 20.0, 21.0, 19.0, 20.5, 2, symbol="MNQ"),
        bar(t(10, 2), 100.0, 100.5, 99.0, 99.5, 1),
        bar(t(10, 0), 19.0, 20.0, 18.0, 20.0, 3, symbol="MNQ"),
        bar(t(10, 0), 99.0, 100.0, 98.0, 100.0, 4),
    ]
    out = resample(mixed, "15m")
    assert out == [
        bar(t(10, 0), 19.0, 21.0, 18.0, 20.5, 5, symbol="MNQ", tf="15m"),
        bar(t(10, 0), 99.0, 100.5, 98.0, 99.5, 5, tf="15m"),
    ]
    assert resample([], "5m") == []


def test_resample_refuses_finer_or_incompatible_targets() -> None:
    five = [bar(t(10, 0), 1.0, 1.0, 1.0, 1.0, 1, tf="5m")]
    assert resample(five, "15m")[0].timeframe == "15m"
    with pytest.raises(ValueError, match="multiple of the source"):
        resample(five, "1m")
    with pytest.raises(UnknownTimeframeError):
        resample(five, "3m")
    with pytest.raises(ValueError, match="time zone"):
        resample([bar(datetime(2026, 1, 1, 10, 0), 1.0, 1.0, 1.0, 1.0, 1)], "5m")


def test_frame_round_trip_and_frame_resample_match_the_list_path() -> None:
    frame = bars_to_frame(HAND_BARS)
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert str(frame.index.tz) == "UTC" and frame.index.name == "ts"
    assert frame["volume"].dtype == np.int64
    assert frame.attrs == {"symbol": "ES", "timeframe": "1m"}
    assert frame_to_bars(frame) == HAND_BARS
    for tf in ("5m", "15m", "1h", "4h"):
        assert frame_to_bars(resample_frame(frame, tf)) == resample(HAND_BARS, tf)


def test_resample_frame_multi_symbol_and_unsorted() -> None:
    mixed = [
        bar(t(10, 1), 20.0, 21.0, 19.0, 20.5, 2, symbol="MNQ"),
        bar(t(10, 2), 100.0, 100.5, 99.0, 99.5, 1),
        bar(t(10, 0), 19.0, 20.0, 18.0, 20.0, 3, symbol="MNQ"),
        bar(t(10, 0), 99.0, 100.0, 98.0, 100.0, 4),
    ]
    frame = bars_to_frame(mixed)
    assert "symbol" in frame.columns
    out = resample_frame(frame, "5m")
    assert sorted(frame_to_bars(out), key=lambda b: b.symbol) == sorted(resample(mixed, "5m"), key=lambda b: b.symbol)


def test_frame_errors() -> None:
    frame = bars_to_frame(HAND_BARS)
    with pytest.raises(ValueError, match="lacks column"):
        resample_frame(frame.drop(columns=["volume"]), "5m")
    with pytest.raises(ValueError, match="timezone-aware"):
        resample_frame(frame.tz_localize(None), "5m")
    no_symbol = frame.copy()
    no_symbol.attrs = {}
    with pytest.raises(ValueError, match="no symbol"):
        frame_to_bars(no_symbol)
    assert frame_to_bars(no_symbol, symbol="MNQ")[0].symbol == "MNQ"


@pytest.mark.parametrize("tf, rule", [("5m", "5min"), ("15m", "15min"), ("1h", "1h"), ("4h", "4h")])
def test_resample_frame_matches_pandas_on_a_real_file(tf: str, rule: str) -> None:
    frame, _ = load_bars_csv(ESZ5, "ES")
    ours = resample_frame(frame, tf)
    theirs = (
        frame.resample(rule, label="left", closed="left", origin="epoch")
        .agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        .dropna()
    )
    theirs["volume"] = theirs["volume"].astype(np.int64)
    pd.testing.assert_frame_equal(ours, theirs, check_freq=False, check_names=False)
    assert ours.attrs["timeframe"] == tf
    # no empty bins: every output bar has at least one source minute
    assert (ours["volume"] > 0).all() and len(ours) == frame.index.floor(rule).nunique()


def test_list_and_frame_paths_agree_on_a_real_file() -> None:
    frame, _ = load_bars_csv(ESZ5, "ES")
    part = frame.iloc[:5000]
    bars = frame_to_bars(part)
    assert bars[0].ts.tzinfo is not None and bars[0].ts == part.index[0].to_pydatetime()
    assert bars_to_frame(resample(bars, "15m")).equals(resample_frame(part, "15m"))
    assert bars[-1].ts - bars[0].ts > timedelta(days=1)
