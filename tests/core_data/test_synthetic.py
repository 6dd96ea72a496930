"""The embedded synthetic market: determinism, sessions, prices, volume curve, regimes, streaming."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from trading_core.calendar import NEW_YORK, market_open_mask, session_dates
from trading_core.instruments import UnknownSymbolError
from trading_core.marketdata.feed import MarketFeed, event_time
from trading_core.marketdata.synthetic import REGIME_LABELS, SyntheticFeed, SyntheticMarket
from trading_core.types import Bar, Quote

UTC = timezone.utc


@pytest.fixture(scope="module")
def es_frame() -> pd.DataFrame:
    """About 200 trading days of ES minutes."""
    return SyntheticFeed(symbols=("ES", "MNQ"), seed=11, realtime=False).generate_frame(280_000, "ES")


def et_minutes(index: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    local = index.tz_convert(NEW_YORK)
    return np.asarray(local.dayofweek), np.asarray(local.hour * 60 + local.minute)


def test_same_seed_same_bars_other_seed_other_bars() -> None:
    a = SyntheticFeed(seed=42, realtime=False).generate_frame(5000)
    b = SyntheticFeed(seed=42, realtime=False).generate_frame(5000)
    c = SyntheticFeed(seed=43, realtime=False).generate_frame(5000)
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["close"].to_numpy(), c["close"].to_numpy())
    assert a.attrs == {"symbol": "ES", "timeframe": "1m"}
    assert list(a.columns) == ["open", "high", "low", "close", "volume", "regime"]


def test_output_does_not_depend_on_chunking_or_on_the_other_symbols() -> None:
    start = datetime(2026, 2, 2, 14, 30, tzinfo=UTC)
    one = SyntheticMarket(("ES", "MNQ"), 5, start).next_chunk(9000)
    market = SyntheticMarket(("ES", "MNQ"), 5, start)
    parts = [market.next_chunk(n) for n in (1, 1439, 4097, 3463)]
    for name in ("ts_ns", "regime", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(one, name), np.concatenate([getattr(p, name) for p in parts]))
    alone = SyntheticFeed(symbols=("ES",), seed=5, start=start).generate_frame(3000)
    paired = SyntheticFeed(symbols=("MNQ", "ES"), seed=5, start=start).generate_frame(3000, "ES")
    pd.testing.assert_frame_equal(alone, paired)


def test_prices_are_tick_rounded_and_consistent(es_frame: pd.DataFrame) -> None:
    o, h, lo, c = (es_frame[k].to_numpy() for k in ("open", "high", "low", "close"))
    for prices in (o, h, lo, c):
        assert np.array_equal(prices / 0.25, np.rint(prices / 0.25))
    assert (h >= np.maximum(o, c)).all() and (lo <= np.minimum(o, c)).all() and (lo > 0).all()
    assert es_frame["volume"].dtype == np.int64 and (es_frame["volume"] >= 1).all()
    assert es_frame.index.is_monotonic_increasing and es_frame.index.is_unique


def test_no_bars_while_the_market_is_closed(es_frame: pd.DataFrame) -> None:
    assert market_open_mask(es_frame.index).all()
    weekday, minute = et_minutes(es_frame.index)
    assert not ((minute >= 17 * 60) & (minute < 18 * 60)).any()  # daily break
    assert not (weekday == 5).any()  # Saturday
    assert not ((weekday == 4) & (minute >= 17 * 60)).any()  # Friday evening
    assert not ((weekday == 6) & (minute < 18 * 60)).any()  # Sunday before the open
    # inside a session every minute is present; gaps are the break (61 min) or a weekend (49 h,
    # one hour less or more on a DST weekend)
    gaps = np.diff(es_frame.index.asi8) // 60_000_000_000
    assert set(np.unique(gaps)) <= {1, 61, 48 * 60 + 1, 49 * 60 + 1, 50 * 60 + 1}
    assert (gaps == 61).sum() > 100 and (gaps == 49 * 60 + 1).sum() > 20


def test_start_is_aligned_to_the_next_open_minute() -> None:
    saturday = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)
    first = SyntheticFeed(start=saturday).generate_frame(1).index[0]
    assert first == pd.Timestamp("2026-01-11 18:00", tz=NEW_YORK)  # Sunday open
    mid_minute = datetime(2026, 1, 12, 15, 0, 30, tzinfo=UTC)
    assert SyntheticFeed(start=mid_minute).generate_frame(1).index[0] == pd.Timestamp("2026-01-12 15:01", tz="UTC")


def test_price_levels_and_daily_volatility_look_like_the_real_markets(es_frame: pd.DataFrame) -> None:
    assert es_frame["open"].iloc[0] == 6000.0
    assert 4500 < es_frame["close"].quantile(0.01) and es_frame["close"].quantile(0.99) < 7800
    days = session_dates(es_frame.index)
    daily = np.log(es_frame.groupby(days)["close"].last()).diff().dropna()
    assert len(daily) > 150
    assert 0.007 < daily.std() < 0.016  # target 0.8-1.5 % a day, regime mix included
    mnq = SyntheticFeed(symbols=("MNQ",), seed=11).generate_frame(30_000)
    assert mnq["open"].iloc[0] == 21000.0 and 18000 < mnq["close"].median() < 24000


def test_quiet_hours_have_bars_of_a_few_ticks(es_frame: pd.DataFrame) -> None:
    _, minute = et_minutes(es_frame.index)
    ticks = ((es_frame["high"] - es_frame["low"]) / 0.25).to_numpy()
    overnight = (minute >= 20 * 60) | (minute < 3 * 60)
    cash = (minute >= 9 * 60 + 30) & (minute < 16 * 60)
    assert 1 <= np.median(ticks[overnight]) <= 8
    assert np.median(ticks[cash]) > 1.5 * np.median(ticks[overnight])


def test_volume_curve_is_u_shaped_with_peaks_at_0930_and_1559(es_frame: pd.DataFrame) -> None:
    _, minute = et_minutes(es_frame.index)
    by_minute = es_frame["volume"].groupby(minute).mean()
    top_two = set(by_minute.sort_values(ascending=False).index[:2])
    assert top_two == {9 * 60 + 30, 15 * 60 + 59}
    midday = by_minute.loc[12 * 60 : 13 * 60].mean()
    assert by_minute.loc[9 * 60 + 30] > 3 * midday and by_minute.loc[15 * 60 + 59] > 3 * midday
    assert by_minute.loc[2 * 60 : 3 * 60].mean() < midday / 5  # overnight is thin


def test_regimes_have_distinct_behaviour(es_frame: pd.DataFrame) -> None:
    regime = es_frame["regime"].astype(str).to_numpy()
    share = pd.Series(regime).value_counts(normalize=True)
    assert set(share.index) == set(REGIME_LABELS)
    assert all(share[label] > 0.03 for label in REGIME_LABELS)
    log_close = np.log(es_frame["close"].to_numpy())
    ret = np.r_[0.0, np.diff(log_close)]
    abs_ret = pd.Series(np.abs(ret)).groupby(regime).mean()
    assert abs_ret["high_vol"] > 1.8 * abs_ret["range"]
    # Efficiency of each episode: net move over the square root of its summed squared moves.
    # Trends travel, ranges come back.
    episode = np.r_[0, np.cumsum(regime[1:] != regime[:-1])]
    frame = pd.DataFrame({"episode": episode, "regime": regime, "ret": ret})
    stats = frame.groupby("episode").agg(
        regime=("regime", "first"), net=("ret", "sum"), ss=("ret", lambda r: float(np.sum(r * r))), n=("ret", "size")
    )
    stats = stats[stats["n"] >= 60]
    efficiency = (stats["net"].abs() / np.sqrt(stats["ss"])).groupby(stats["regime"]).median()
    assert efficiency["trend"] > 3 * efficiency["range"]


def test_invalid_arguments_are_refused_clearly() -> None:
    with pytest.raises(UnknownSymbolError):
        SyntheticFeed(symbols=("NQ",))
    with pytest.raises(ValueError, match="speed"):
        SyntheticFeed(speed=0)
    with pytest.raises(ValueError, match="quotes_per_bar"):
        SyntheticFeed(quotes_per_bar=-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        SyntheticFeed(start=datetime(2026, 1, 4, 23, 0))
    with pytest.raises(ValueError, match="seed"):
        SyntheticFeed(seed="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="duplicate"):
        SyntheticFeed(symbols=("ES", "es"))
    with pytest.raises(ValueError, match="max_bars"):
        SyntheticFeed(max_bars=-5)
    feed = SyntheticFeed(symbols=("ES",))
    with pytest.raises(ValueError, match="n_bars"):
        feed.generate_frame(0)
    with pytest.raises(ValueError, match="not generated"):
        feed.generate_frame(10, "MNQ")


async def test_stream_emits_quotes_then_bars_matching_generate_frame() -> None:
    feed = SyntheticFeed(symbols=("ES", "MNQ"), seed=3, realtime=False, quotes_per_bar=4, max_bars=500)
    assert isinstance(feed, MarketFeed)
    assert feed.last_price("ES") is None and feed.last_ts is None
    events = [e async for e in feed.stream()]
    bars = [e for e in events if isinstance(e, Bar)]
    quotes = [e for e in events if isinstance(e, Quote)]
    assert len(bars) == 1000 and len(quotes) == 4000
    times = [event_time(e) for e in events]
    assert times == sorted(times)
    frame = feed.generate_frame(500, "MNQ")
    mnq = [b for b in bars if b.symbol == "MNQ"]
    assert [(b.ts, b.open, b.high, b.low, b.close, b.volume) for b in mnq] == [
        (ts.to_pydatetime(), r.open, r.high, r.low, r.close, r.volume) for ts, r in zip(frame.index, frame.itertuples())
    ]
    # each bar is preceded by its 4 quotes: open, the two extremes, close, inside the minute
    by_symbol: dict[str, list[Quote]] = {}
    for e in events:
        if isinstance(e, Quote):
            by_symbol.setdefault(e.symbol, []).append(e)
        else:
            q = by_symbol.pop(e.symbol)
            assert [x.last for x in q][0] == e.open and q[-1].last == e.close
            assert {q[1].last, q[2].last} == {e.high, e.low}
            assert all(e.ts <= x.ts < e.ts + timedelta(minutes=1) for x in q)
    assert feed.last_price("ES") == bars[-2].close and feed.last_price("mnq") == bars[-1].close
    assert feed.last_ts == bars[-1].ts + timedelta(minutes=1)
    assert feed.current_regime == frame["regime"].iloc[-1]
    stats = feed.stats
    assert (stats.bars, stats.quotes, stats.running) == (1000, 4000, False)
    assert stats.first_ts == bars[0].ts


async def test_stream_without_quotes_is_just_bars() -> None:
    feed = SyntheticFeed(realtime=False, quotes_per_bar=0, max_bars=50)
    events = [e async for e in feed.stream()]
    assert len(events) == 50 and all(isinstance(e, Bar) for e in events)
    again = [e async for e in feed.stream()]  # each stream() starts the same path again
    assert again == events


async def test_realtime_pacing_and_gap_compression() -> None:
    # The first bar comes at once, the next two a simulated minute apart: 2 x 60 / 600 = 0.2 s.
    feed = SyntheticFeed(realtime=True, speed=600.0, quotes_per_bar=0, max_bars=3)
    began = time.perf_counter()
    events = [e async for e in feed.stream()]
    assert len(events) == 3 and time.perf_counter() - began >= 0.19
    # Across a weekend (Friday 16:58 ET -> Sunday 18:00 ET) the 49 h gap shrinks to max_gap_s.
    friday = datetime(2026, 1, 9, 16, 58, tzinfo=NEW_YORK)
    feed = SyntheticFeed(start=friday, realtime=True, speed=600.0, quotes_per_bar=0, max_bars=3, max_gap_s=60)
    began = time.perf_counter()
    events = [e async for e in feed.stream()]
    assert events[2].ts - events[1].ts > timedelta(hours=49)
    assert time.perf_counter() - began < 10  # uncompressed it would take about 294 s


async def test_stop_ends_a_sleeping_realtime_stream() -> None:
    feed = SyntheticFeed(realtime=True, speed=1.0)

    async def stop_soon() -> None:
        await asyncio.sleep(0.2)
        feed.stop()

    stopper = asyncio.create_task(stop_soon())
    began = time.perf_counter()
    events = [e async for e in feed.stream()]
    await stopper
    assert time.perf_counter() - began < 5
    assert len(events) <= 2 and feed.stats.stopped and not feed.stats.running
    assert [e async for e in feed.stream()] == []  # a stopped feed stays stopped
