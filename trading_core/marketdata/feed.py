"""The market-data feed interface and the pacing/bookkeeping shared by the built-in feeds.

A feed yields, in time order, `Quote`s (last trade prices inside a bar, optional) and completed `Bar`s
(stamped with their START; a bar is emitted when it is complete, i.e. at `bar.ts + timeframe`).
`last_ts` is the market time the feed has reached: a quote's time, or the END of the latest bar.

Two phases, typed apart. A feed may first replay history (the warm-up: the simulated market's last
hours, IB's recent bars, the bars missed during a disconnection) as `HistoryBar`s, then deliver live
`Quote`s and `Bar`s. History feeds indicators, bar buffers and models only: a consumer must never
mark, fill, check limits or trade on it (its prices are old). Consumers that only look for `Bar` and
`Quote` ignore history by construction.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from trading_core.marketdata.bars import parse_timeframe
from trading_core.types import Bar, Quote



@dataclass(frozen=True, slots=True)
class HistoryBar:
    """A completed bar from before the live session: for bar buffers, indicators and models only."""

    bar: Bar


MarketEvent = Bar | Quote | HistoryBar


@runtime_checkable
class MarketFeed(Protocol):
    name: str
    symbols: tuple[str, ...]

    def stream(self) -> AsyncIterator[MarketEvent]:
        """Async iterator in time order (an `async def` generator): history bars first (if any), then
        live quotes and completed bars."""
        ...

    def last_price(self, symbol: str) -> float | None: ...

    @property
    def last_ts(self) -> datetime | None: ...

    def stop(self) -> None:
        """End the stream soon (also wakes a paced feed that is sleeping); a stopped feed stays stopped.
        Call it from the event loop's thread (from another thread: loop.call_soon_threadsafe)."""
        ...


@dataclass(frozen=True, slots=True)
class FeedStats:
    name: str
    bars: int
    quotes: int
    first_ts: datetime | None  # market time of the first event
    last_ts: datetime | None  # market time reached
    wall_seconds: float  # wall time since the stream started
    running: bool
    stopped: bool

    @property
    def bars_per_second(self) -> float:
        return self.bars / self.wall_seconds if self.wall_seconds > 0 else 0.0


def event_time(event: MarketEvent) -> datetime:
    """Market time at which an event is known: a quote's time, a bar's end."""
    if isinstance(event, HistoryBar):
        event = event.bar
    if isinstance(event, Bar):
        return event.ts + timedelta(seconds=parse_timeframe(event.timeframe).seconds)
    return event.ts


def quote_path(open_: float, high: float, low: float, close: float, tick: float, count: int) -> list[float]:
    """`count` tick-rounded prices walking a bar: open -> first extreme -> second extreme -> close,
    the low first on an up bar (the usual OHLC path assumption). With count >= 4 the path passes
    through open, both extremes and close; count == 1 gives the close."""
    if count <= 0:
        return []
    if count == 1:
        return [close]
    first, second = (low, high) if close >= open_ else (high, low)
    nodes = (open_, first, second, close)
    prices = []
    for i in range(count):
        position = 3.0 * i / (count - 1)
        segment = min(int(position), 2)
        value = nodes[segment] + (nodes[segment + 1] - nodes[segment]) * (position - segment)
        prices.append(round(value / tick) * tick)  # between two on-tick nodes, so within [low, high]
    return prices


def quote_offsets(count: int) -> list[timedelta]:
    """When, inside a 1-minute bar, the `count` quotes of `quote_path` happen (first at the bar start)."""
    if count <= 0:
        return []
    if count == 1:
        return [timedelta(seconds=30)]
    return [timedelta(seconds=60 * i / count) for i in range(count)]


class BaseFeed:
    """Last prices, stats, stop, and pacing of simulated time against the wall clock.

    Pacing: with `speed` > 0, `speed` simulated seconds pass per wall second; gaps between events
    longer than `max_gap_s` simulated seconds (the daily break, weekends, data holes) are shortened to
    `max_gap_s`, so a demo does not sit idle for a weekend. With `speed` == 0 the feed runs as fast as
    possible and only hands control back to the event loop every `yield_every` events. History
    (events before `live_from`) is never paced.
    """

    yield_every = 500

    def __init__(self, name: str, symbols: tuple[str, ...], speed: float, max_gap_s: float) -> None:
        if not isinstance(speed, (int, float)) or speed < 0 or speed != speed:
            raise ValueError(f"speed must be >= 0 (0 = as fast as possible), got {speed!r}")
        if not isinstance(max_gap_s, (int, float)) or max_gap_s < 0:
            raise ValueError(f"max_gap_s must be >= 0, got {max_gap_s!r}")
        self.name = name
        self.symbols = symbols
        self.speed = float(speed)
        # Market time at which the live session starts (None: everything is live). Before it, bars are
        # emitted as `HistoryBar`s as fast as possible and quotes not at all; pacing starts there.
        self.live_from: datetime | None = None
        self._warming = False
        self.max_gap_s = float(max_gap_s)
        self._last: dict[str, float] = {}
        self._last_ts: datetime | None = None
        self._first_ts: datetime | None = None
        self._bars = 0
        self._quotes = 0
        self._wall_start: float | None = None
        self._wall_end: float | None = None
        self._running = False
        self._stopped = False
        self._wake: asyncio.Event | None = None
        self._sim_prev: datetime | None = None
        self._sim_elapsed = 0.0

    # --- public surface ---
    def last_price(self, symbol: str) -> float | None:
        return self._last.get(symbol.strip().upper()) if isinstance(symbol, str) else None

    @property
    def last_ts(self) -> datetime | None:
        return self._last_ts

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        self._stopped = True
        if self._wake is not None:
            self._wake.set()

    @property
    def stats(self) -> FeedStats:
        if self._wall_start is None:
            wall = 0.0
        else:
            wall = (self._wall_end if self._wall_end is not None else time.perf_counter()) - self._wall_start
        return FeedStats(
            name=self.name,
            bars=self._bars,
            quotes=self._quotes,
            first_ts=self._first_ts,
            last_ts=self._last_ts,
            wall_seconds=wall,
            running=self._running,
            stopped=self._stopped,
        )

    # --- helpers for subclasses ---
    def is_history(self, at: datetime) -> bool:
        """Whether market time `at` is before `live_from` (a quote's time; a bar's START: a bar that
        began before the live session is history even when it completes at `live_from`)."""
        return self.live_from is not None and at < self.live_from

    def _begin(self) -> None:
        self._warming = self.live_from is not None
        self._wake = asyncio.Event()
        if self._stopped:
            self._wake.set()
        self._last.clear()
        self._last_ts = self._first_ts = self._sim_prev = None
        self._bars = self._quotes = 0
        self._sim_elapsed = 0.0
        self._wall_start = time.perf_counter()
        self._wall_end = None
        self._running = True

    def _end(self) -> None:
        self._running = False
        self._wall_end = time.perf_counter()

    def _record(self, event: MarketEvent, at: datetime) -> None:
        if isinstance(event, HistoryBar):
            event = event.bar
        if isinstance(event, Bar):
            self._last[event.symbol] = event.close
            self._bars += 1
        else:
            self._last[event.symbol] = event.last
            self._quotes += 1
        if self._first_ts is None:
            self._first_ts = at
        self._last_ts = at

    async def _pace(self, at: datetime, count: int) -> bool:
        """Wait until market time `at` is due; False when the feed was stopped meanwhile."""
        if self._stopped:
            return False
        if self._warming:
            if self.is_history(at):
                if count % self.yield_every == 0:
                    await asyncio.sleep(0)
                return not self._stopped
            # warm-up over: pace from here as if the feed had just started
            self._warming = False
            self._wall_start = time.perf_counter()
            self._sim_elapsed = 0.0
            self._sim_prev = at
            return not self._stopped
        if self.speed <= 0:
            if count % self.yield_every == 0:
                await asyncio.sleep(0)
            return not self._stopped
        if self._sim_prev is not None:
            gap = (at - self._sim_prev).total_seconds()
            self._sim_elapsed += min(max(gap, 0.0), self.max_gap_s)
        self._sim_prev = at
        assert self._wall_start is not None and self._wake is not None
        delay = self._wall_start + self._sim_elapsed / self.speed - time.perf_counter()
        if delay > 0:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass
        elif count % self.yield_every == 0:
            await asyncio.sleep(0)
        return not self._stopped


__all__ = ["BaseFeed", "FeedStats", "HistoryBar", "MarketEvent", "MarketFeed", "event_time", "quote_offsets", "quote_path"]
