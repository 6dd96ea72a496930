"""The embedded default market: a seeded, regime-switching 1-minute bar generator and its feed.

Model (per minute of CME Globex trading, log prices):
- a Markov chain over three regimes shared by all symbols: `range` (mean-reverting around the level
  where the regime began), `trend` (drift in a random direction) and `high_vol` (larger moves and
  occasional jumps), each lasting a geometric number of minutes;
- shocks scaled by an intraday volatility profile (quiet overnight, spikes at 08:30, 09:30 and the
  close), correlated across symbols through a common factor, larger on the first bar after a break;
- intrabar high/low drawn from the exact Brownian-bridge extremes between open and close, then every
  price rounded to the tick (high >= max(open, close), low <= min(open, close));
- volume from a U-shaped intraday curve (busiest at 09:30 and 15:59 ET) times regime and noise.

Everything is generated in vectorised numpy blocks of a fixed size, so the bars do not depend on how
a caller slices its requests. Each kind of randomness has its own generator (per symbol where it is
symbol-specific), so a symbol's series does not depend on which other symbols are generated with it.
"""
from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd

from trading_core.calendar import et_weekday_minute, open_mask_from_parts, week_open
from trading_core.instruments import get_instrument
from trading_core.marketdata.feed import BaseFeed, HistoryBar, quote_offsets, quote_path
from trading_core.types import Bar, Quote

DEFAULT_START = datetime(2026, 1, 4, 23, 0, tzinfo=timezone.utc)  # Sunday 18:00 ET, a Globex open
_NS_PER_MIN = 60_000_000_000
_SESSION_MINUTES = 23 * 60


@dataclass(frozen=True, slots=True)
class RegimeSpec:
    label: str
    mean_minutes: float  # expected duration of an episode
    vol_mult: float  # shock size relative to the symbol's base volatility
    drift: float  # |drift| per minute in units of the minute's shock size (trend only)
    mean_reversion: float  # per-minute pull back to the episode's starting level (0 = random walk)
    volume_mult: float
    jump_prob: float  # chance per minute of an extra 4-sigma-ish jump


REGIMES: tuple[RegimeSpec, ...] = (
    RegimeSpec("range", 300.0, 0.85, 0.0, 0.02, 0.9, 0.0),
    RegimeSpec("trend", 180.0, 0.95, 0.10, 0.0, 1.1, 0.0),
    RegimeSpec("high_vol", 75.0, 2.0, 0.0, 0.0, 1.8, 0.01),
)
REGIME_LABELS: tuple[str, ...] = tuple(r.label for r in REGIMES)
# Probability of the next regime when an episode ends (rows: current regime; no self-transition).
TRANSITIONS = np.array(
    [
        [0.0, 0.7, 0.3],
        [0.75, 0.0, 0.25],
        [0.6, 0.4, 0.0],
    ]
)


@dataclass(frozen=True, slots=True)
class SymbolProfile:
    start_price: float
    # Base volatility of a session's log return. Trends and high-volatility spells on top of it make
    # the realised daily volatility about 20 % higher (ES about 1.1-1.2 %, MNQ about 1.4 %).
    daily_vol: float
    volume_per_minute: float  # typical contracts per minute at curve level 1 (mid-session)


PROFILES: dict[str, SymbolProfile] = {
    "ES": SymbolProfile(6000.0, 0.0095, 2500.0),
    "MNQ": SymbolProfile(21000.0, 0.0115, 4000.0),
}
COMMON_FACTOR_WEIGHT = 0.9  # correlation of minute returns between symbols
GAP_VOL_MULT = 2.5  # first bar after the daily break or the weekend


def _piecewise(points: Sequence[tuple[int, float]]) -> np.ndarray:
    """A value for each minute of the New York day from (start minute, value) steps."""
    curve = np.zeros(1440)
    for (start, value), (end, _) in zip(points, [*points[1:], (1440, 0.0)]):
        curve[start:end] = value
    return curve


def _hm(hour: int, minute: int = 0) -> int:
    return hour * 60 + minute


def _intraday_curves() -> tuple[np.ndarray, np.ndarray]:
    """(volatility multiplier, volume weight) per New York minute of day."""
    vol = _piecewise([
        (_hm(0), 0.35), (_hm(3), 0.55), (_hm(8, 30), 1.6), (_hm(8, 35), 0.9), (_hm(9, 30), 1.1),
        (_hm(11, 30), 0.85), (_hm(14), 1.0), (_hm(15, 50), 1.5), (_hm(16), 0.8), (_hm(16, 15), 0.4),
        (_hm(17), 0.0), (_hm(18), 0.8), (_hm(18, 5), 0.45), (_hm(20), 0.35),
    ])
    volume = _piecewise([
        (_hm(0), 0.04), (_hm(3), 0.10), (_hm(8, 30), 0.5), (_hm(8, 35), 0.25), (_hm(9, 30), 0.7),
        (_hm(11, 30), 0.55), (_hm(14), 0.75), (_hm(15, 50), 1.4), (_hm(16), 0.4), (_hm(16, 15), 0.08),
        (_hm(17), 0.0), (_hm(18), 0.15), (_hm(18, 10), 0.06), (_hm(20), 0.04),
    ])
    # The opening auction minute and the close dominate, then activity decays through the morning.
    after_open = np.arange(_hm(9, 31), _hm(11, 30))
    decay = np.exp(-(after_open - _hm(9, 31)) / 20.0)
    vol[after_open] += 1.6 * decay
    volume[after_open] += 1.5 * decay
    vol[_hm(9, 30)] = 3.0
    volume[_hm(9, 30)] = 4.0
    vol[_hm(15, 59)] = 2.0
    volume[_hm(15, 59)] = 3.6
    session = vol[np.r_[0:_hm(17), _hm(18):1440]]
    vol /= np.sqrt(np.mean(session**2))  # so the base volatility is the average over the session
    return vol, volume


VOL_CURVE, VOLUME_CURVE = _intraday_curves()
_REGIME_VOL = np.array([r.vol_mult for r in REGIMES])
_REGIME_DRIFT = np.array([r.drift for r in REGIMES])
_REGIME_JUMP = np.array([r.jump_prob for r in REGIMES])
_REGIME_VOLUME = np.array([r.volume_mult for r in REGIMES])
# Per-minute pull of the log price back to the starting level: a half-life of about 60 trading
# days, weak enough to leave daily moves alone.
_ANCHOR_PULL = np.log(2) / (60 * _SESSION_MINUTES)


def _seed_sequence(seed: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=seed, spawn_key=key)


def _symbol_key(symbol: str) -> int:
    return zlib.crc32(symbol.encode()) & 0x7FFFFFFF


@dataclass(slots=True)
class _SymbolState:
    symbol: str
    profile: SymbolProfile
    tick: float
    sigma: float  # per-minute log-return std at curve level 1
    anchor: float  # log of the starting price
    log_price: float
    deviation: float  # range regime: distance from the episode's level
    shocks: np.random.Generator
    extremes: np.random.Generator
    volumes: np.random.Generator
    last_close: float | None = None


@dataclass(frozen=True, slots=True)
class SyntheticChunk:
    ts_ns: np.ndarray  # (n,) int64 bar starts, UTC
    regime: np.ndarray  # (n,) int8 index into REGIMES
    open: np.ndarray  # (n, k) per symbol column
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray  # (n, k) int64


class SyntheticMarket:
    """The stateful generator behind SyntheticFeed: `next_chunk(n)` continues the same path.

    The path is produced in fixed blocks of BLOCK_BARS bars and served from a buffer, so the bars do
    not depend on how callers slice their requests (a stream in 1,440-bar chunks and one
    `generate_frame(1_000_000)` give identical bars).
    """

    BLOCK_BARS = 4096

    def __init__(self, symbols: Sequence[str], seed: int, start: datetime) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        if not isinstance(start, datetime) or start.tzinfo is None:
            raise ValueError(f"start must be a timezone-aware datetime, got {start!r}")
        self.seed = seed
        self.symbols: tuple[str, ...] = tuple(get_instrument(s).symbol for s in symbols)
        if not self.symbols:
            raise ValueError("at least one symbol is needed")
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError(f"duplicate symbols in {symbols!r}")
        start_ns = pd.Timestamp(start).as_unit("ns").value
        # the first bar starts on the first whole minute at or after `start`
        self._cursor = -(-start_ns // _NS_PER_MIN) * _NS_PER_MIN
        self._previous_bar: int | None = None
        self._regime_rng = np.random.default_rng(_seed_sequence(seed, 1))
        self._common_rng = np.random.default_rng(_seed_sequence(seed, 2))
        self._jump_rng = np.random.default_rng(_seed_sequence(seed, 3))
        self._regime = 0
        self._remaining = self._draw_duration(0)
        self._direction = 1.0
        self._states = [self._symbol_state(s) for s in self.symbols]
        self._buffer: list[SyntheticChunk] = []
        self._buffered = 0

    def _symbol_state(self, symbol: str) -> _SymbolState:
        profile = PROFILES[symbol]
        key = _symbol_key(symbol)
        return _SymbolState(
            symbol=symbol,
            profile=profile,
            tick=get_instrument(symbol).tick_size,
            sigma=profile.daily_vol / np.sqrt(_SESSION_MINUTES),
            anchor=float(np.log(profile.start_price)),
            log_price=float(np.log(profile.start_price)),
            deviation=0.0,
            shocks=np.random.default_rng(_seed_sequence(self.seed, 10, key)),
            extremes=np.random.default_rng(_seed_sequence(self.seed, 11, key)),
            volumes=np.random.default_rng(_seed_sequence(self.seed, 12, key)),
        )

    def _draw_duration(self, regime: int) -> int:
        return int(self._regime_rng.geometric(1.0 / REGIMES[regime].mean_minutes))

    # --- time grid ---
    def _next_minutes(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next `n` open minutes (UTC ns) and their New York minute of day."""
        stamps: list[np.ndarray] = []
        minutes: list[np.ndarray] = []
        have = 0
        while have < n:
            need = n - have
            window = int(need / 0.68) + 3000  # 68 % of the week is open; a weekend is 2,940 minutes
            candidates = self._cursor + np.arange(window, dtype=np.int64) * _NS_PER_MIN
            weekday, minute = et_weekday_minute(candidates)
            keep = np.flatnonzero(open_mask_from_parts(weekday, minute))[:need]
            if len(keep) == need:
                self._cursor = int(candidates[keep[-1]]) + _NS_PER_MIN
            else:
                self._cursor = int(candidates[-1]) + _NS_PER_MIN
            stamps.append(candidates[keep])
            minutes.append(minute[keep])
            have += len(keep)
        return np.concatenate(stamps), np.concatenate(minutes)

    # --- regimes ---
    def _next_regimes(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(regime index, trend direction, episode-start flag) per bar."""
        regime = np.empty(n, dtype=np.int8)
        direction = np.empty(n)
        starts = np.zeros(n, dtype=bool)
        cumulative = np.cumsum(TRANSITIONS, axis=1)
        i = 0
        while i < n:
            if self._remaining == 0:
                draw = self._regime_rng.random()
                self._regime = int(np.searchsorted(cumulative[self._regime], draw, "right"))
                self._remaining = self._draw_duration(self._regime)
                self._direction = 1.0 if self._regime_rng.random() < 0.5 else -1.0
                starts[i] = True
            k = min(self._remaining, n - i)
            regime[i : i + k] = self._regime
            direction[i : i + k] = self._direction
            self._remaining -= k
            i += k
        return regime, direction, starts

    def next_chunk(self, n: int) -> SyntheticChunk:
        """The next `n` bars (all symbols)."""
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        while self._buffered < n:
            block = self._make_block(self.BLOCK_BARS)
            self._buffer.append(block)
            self._buffered += len(block.ts_ns)
        merged = self._buffer[0] if len(self._buffer) == 1 else _concat(self._buffer)
        head, tail = _split(merged, n)
        self._buffer = [tail] if len(tail.ts_ns) else []
        self._buffered = len(tail.ts_ns)
        return head

    def _make_block(self, n: int) -> SyntheticChunk:
        ts, minute = self._next_minutes(n)
        gaps = np.empty(n, dtype=bool)
        gaps[0] = self._previous_bar is None or ts[0] - self._previous_bar != _NS_PER_MIN
        gaps[1:] = np.diff(ts) != _NS_PER_MIN
        self._previous_bar = int(ts[-1])
        intraday_vol = VOL_CURVE[minute] * np.where(gaps, GAP_VOL_MULT, 1.0)
        regime, direction, starts = self._next_regimes(n)
        vol_mult = _REGIME_VOL[regime]
        drift = _REGIME_DRIFT[regime] * direction
        common = self._common_rng.standard_normal(n)
        jump_draw = self._jump_rng.random(n)
        jump_size = self._jump_rng.standard_normal(n) * 4.0
        jumps = np.where(jump_draw < _REGIME_JUMP[regime], jump_size, 0.0)
        is_range = regime == 0
        volume_shape = VOLUME_CURVE[minute] * _REGIME_VOLUME[regime]
        idio_weight = np.sqrt(1 - COMMON_FACTOR_WEIGHT**2)

        k = len(self._states)
        opens, highs, lows, closes = (np.empty((n, k)) for _ in range(4))
        volumes = np.empty((n, k), dtype=np.int64)
        for j, st in enumerate(self._states):
            z = COMMON_FACTOR_WEIGHT * common + idio_weight * st.shocks.standard_normal(n) + jumps
            scale = st.sigma * intraday_vol * vol_mult  # the minute's shock size
            # a slow pull of the level back to the starting price keeps years of bars ES-like
            pull = -_ANCHOR_PULL * (st.log_price - st.anchor)
            returns = scale * (z + drift) + pull
            returns = self._apply_mean_reversion(st, returns, is_range, starts)
            log_close = st.log_price + np.cumsum(returns)
            st.log_price = float(log_close[-1])
            close_raw = np.exp(log_close)
            open_raw = np.empty(n)
            open_raw[0] = st.last_close if st.last_close is not None else np.exp(log_close[0] - returns[0])
            open_raw[1:] = close_raw[:-1]
            st.last_close = float(close_raw[-1])
            # Exact extremes of a Brownian bridge from open to close with the minute's volatility;
            # -log(U) is a standard exponential.
            e_up, e_down = st.extremes.standard_exponential((2, n))
            b = returns
            s2 = scale * scale
            up = 0.5 * (b + np.sqrt(b * b + 2.0 * s2 * e_up))
            down = 0.5 * (b - np.sqrt(b * b + 2.0 * s2 * e_down))
            tick = st.tick
            o = np.round(open_raw / tick) * tick
            c = np.round(close_raw / tick) * tick
            # exp(x) to second order: x is a fraction of a percent, far below a tick's precision
            h = np.round(open_raw * (1.0 + up * (1.0 + 0.5 * up)) / tick) * tick
            lo = np.round(open_raw * (1.0 + down * (1.0 + 0.5 * down)) / tick) * tick
            opens[:, j], closes[:, j] = o, c
            highs[:, j] = np.maximum(h, np.maximum(o, c))
            lows[:, j] = np.minimum(lo, np.minimum(o, c))
            noise = st.volumes.lognormal(-0.06, 0.35, n)
            raw = st.profile.volume_per_minute * volume_shape * noise * (0.7 + 0.3 * np.abs(z))
            volumes[:, j] = np.maximum(np.rint(raw), 1).astype(np.int64)
        return SyntheticChunk(ts, regime, opens, highs, lows, closes, volumes)

    @staticmethod
    def _apply_mean_reversion(
        st: _SymbolState, returns: np.ndarray, is_range: np.ndarray, starts: np.ndarray
    ) -> np.ndarray:
        """In the range regime the path is an AR(1) deviation d from the episode's starting level:
        d_t = phi * d_(t-1) + e_t, so the return is d_t - d_(t-1). Runs are filtered one at a time."""
        from scipy.signal import lfilter  # 1.5 s to import: only when bars are really generated

        phi = 1.0 - REGIMES[0].mean_reversion
        out = returns.copy()
        edges = np.flatnonzero(np.diff(np.r_[0, is_range.astype(np.int8), 0]))
        for run_start, run_end in zip(edges[::2], edges[1::2]):
            continuing = run_start == 0 and not starts[0]
            previous = st.deviation if continuing else 0.0
            d = lfilter([1.0], [1.0, -phi], returns[run_start:run_end], zi=[phi * previous])[0]
            out[run_start:run_end] = np.diff(np.r_[previous, d])
            st.deviation = float(d[-1])
        if len(is_range) and not is_range[-1]:
            st.deviation = 0.0
        return out


_CHUNK_FIELDS = tuple(f.name for f in fields(SyntheticChunk))


def _concat(chunks: list[SyntheticChunk]) -> SyntheticChunk:
    return SyntheticChunk(*(np.concatenate([getattr(c, name) for c in chunks]) for name in _CHUNK_FIELDS))


def _split(chunk: SyntheticChunk, n: int) -> tuple[SyntheticChunk, SyntheticChunk]:
    return (
        SyntheticChunk(*(getattr(chunk, name)[:n] for name in _CHUNK_FIELDS)),
        SyntheticChunk(*(getattr(chunk, name)[n:] for name in _CHUNK_FIELDS)),
    )


def _to_frame(chunk: SyntheticChunk, column: int, symbol: str) -> pd.DataFrame:
    index = pd.DatetimeIndex(chunk.ts_ns.astype("datetime64[ns]"), name="ts").tz_localize("UTC")
    frame = pd.DataFrame(
        {
            "open": chunk.open[:, column],
            "high": chunk.high[:, column],
            "low": chunk.low[:, column],
            "close": chunk.close[:, column],
            "volume": chunk.volume[:, column],
            "regime": pd.Categorical.from_codes(chunk.regime, categories=list(REGIME_LABELS)),
        },
        index=index,
    )
    frame.attrs["symbol"] = symbol
    frame.attrs["timeframe"] = "1m"
    return frame


class SyntheticFeed(BaseFeed):
    """The embedded default feed: deterministic synthetic 1-minute bars for ES and/or MNQ.

    `start` (default DEFAULT_START, a Sunday 18:00 ET open) is when the simulated market begins; the
    first bar is the first open minute at or after it. `realtime=False` runs as fast as possible;
    otherwise `speed` simulated seconds pass per wall second, and closed periods are shortened to
    `max_gap_s` simulated seconds (see BaseFeed). Before each bar, `quotes_per_bar` quotes walk the
    bar's path open -> first extreme -> second extreme -> close (low first on an up bar) so orders
    can fill inside the bar. `max_bars` ends the stream after that many bars per symbol (None:
    endless until stop()).

    A live session: with `live_from`, the bars ending in the `warmup` before it come first as
    `HistoryBar`s (no quotes, not paced), the bars before that are generated but not emitted, and
    live quotes and bars start at `live_from`. Without an explicit `start` the market then begins at
    the Globex week's opening before `live_from` (`calendar.week_open`), so every process started in
    the same week sees the same prices at the same minute: a one-shot command, a restarted `mia run`
    and a previous run agree on where the market was.
    """

    chunk_bars = 1440

    def __init__(
        self,
        symbols: Sequence[str] = ("ES",),
        seed: int = 42,
        start: datetime | None = None,
        speed: float = 60.0,
        realtime: bool = True,
        quotes_per_bar: int = 4,
        max_bars: int | None = None,
        max_gap_s: float = 300.0,
        *,
        live_from: datetime | None = None,
        warmup: timedelta = timedelta(0),
    ) -> None:
        if isinstance(symbols, str):
            symbols = (symbols,)
        if live_from is not None and (not isinstance(live_from, datetime) or live_from.tzinfo is None):
            raise ValueError(f"live_from must be a timezone-aware datetime, got {live_from!r}")
        if not isinstance(warmup, timedelta) or warmup < timedelta(0):
            raise ValueError(f"warmup must be a timedelta >= 0, got {warmup!r}")
        self._anchored = start is None and live_from is not None
        start = (week_open(live_from) if live_from is not None else DEFAULT_START) if start is None else start
        if not isinstance(speed, (int, float)) or speed <= 0:
            raise ValueError(f"speed must be > 0 simulated seconds per wall second, got {speed!r}")
        if isinstance(quotes_per_bar, bool) or not isinstance(quotes_per_bar, int) or not 0 <= quotes_per_bar <= 60:
            raise ValueError(f"quotes_per_bar must be an integer from 0 to 60, got {quotes_per_bar!r}")
        if max_bars is not None and (not isinstance(max_bars, int) or max_bars < 0):
            raise ValueError(f"max_bars must be None or a non-negative integer, got {max_bars!r}")
        market = SyntheticMarket(symbols, seed, start)  # validates symbols, seed and start
        super().__init__("synthetic", market.symbols, speed if realtime else 0.0, max_gap_s)
        self.seed = seed
        self.start = start
        self.realtime = realtime
        self.quotes_per_bar = quotes_per_bar
        self.max_bars = max_bars
        self.live_from = live_from
        self.warmup = warmup
        self.current_regime: str | None = None  # regime label of the latest bar emitted

    def prepare(self) -> None:
        """Import what generating bars needs (scipy's filters, seconds on a busy machine) now, from a
        worker thread before the stream starts, rather than under a live event loop."""
        from scipy.signal import lfilter  # noqa: F401

    def continue_after(self, ts: datetime) -> None:
        """Never start live before market time `ts` (the last time a ledger saw on this simulated
        market): a restart continues the simulation instead of going back to minutes it already
        traded, so no fill is ever stamped before the order it fills. Call before `stream()`."""
        if not isinstance(ts, datetime) or ts.tzinfo is None:
            raise ValueError(f"ts must be a timezone-aware datetime, got {ts!r}")
        resume = ts.replace(second=0, microsecond=0)
        if resume < ts:
            resume += timedelta(minutes=1)
        if self.live_from is None or resume <= self.live_from:
            return
        self.live_from = resume
        if self._anchored:
            self.start = week_open(resume)

    def generate_frame(self, n_bars: int, symbol: str | None = None) -> pd.DataFrame:
        """The first `n_bars` bars of this feed's path for one symbol (default: the first), with a
        `regime` column; identical to what `stream()` emits."""
        if isinstance(n_bars, bool) or not isinstance(n_bars, int) or n_bars <= 0:
            raise ValueError(f"n_bars must be a positive integer, got {n_bars!r}")
        name = get_instrument(symbol).symbol if symbol is not None else self.symbols[0]
        if name not in self.symbols:
            raise ValueError(f"{name} is not generated by this feed (symbols: {', '.join(self.symbols)})")
        chunk = SyntheticMarket(self.symbols, self.seed, self.start).next_chunk(n_bars)
        return _to_frame(chunk, self.symbols.index(name), name)

    async def stream(self) -> AsyncIterator[Bar | Quote | HistoryBar]:
        self._begin()
        market = SyntheticMarket(self.symbols, self.seed, self.start)
        ticks = [get_instrument(s).tick_size for s in self.symbols]
        minute = timedelta(minutes=1)
        q = self.quotes_per_bar
        offsets = quote_offsets(q)
        # Bars ending at or before `skip_ns` are generated (the path must be the same) but not emitted.
        skip_ns = None
        if self.live_from is not None:
            skip_ns = pd.Timestamp(self.live_from - self.warmup - minute).as_unit("ns").value
        emitted = 0
        count = 0

        def next_rows(n: int, skip: int | None) -> tuple[Any, ...] | None:
            """The next chunk as Python lists, or None when it is all before `skip`. Generating a
            simulated day (numpy, and scipy's first import) takes tens of milliseconds, more when
            fast-forwarding through days: a worker thread does it, the event loop keeps serving."""
            chunk = market.next_chunk(n)
            if skip is not None:
                first = int(np.searchsorted(chunk.ts_ns, skip, side="right"))
                if first >= len(chunk.ts_ns):
                    return None
                chunk = _split(chunk, first)[1]
            stamps = pd.DatetimeIndex(chunk.ts_ns.astype("datetime64[ns]")).tz_localize("UTC").to_pydatetime()
            lists = [a.tolist() for a in (chunk.open, chunk.high, chunk.low, chunk.close, chunk.volume)]
            return (stamps, *lists, chunk.regime.tolist())

        try:
            while self.max_bars is None or emitted < self.max_bars:
                n = self.chunk_bars if self.max_bars is None else min(self.chunk_bars, self.max_bars - emitted)
                rows = await asyncio.to_thread(next_rows, n, skip_ns)
                if rows is None:
                    continue  # fast-forwarding through bars before the warm-up
                skip_ns = None
                stamps, o, h, lo, c, v, regimes = rows
                n = len(stamps)
                for i, ts in enumerate(stamps):
                    end = ts + minute
                    history = self.is_history(ts)  # the bar began before the live session
                    if q and not history:
                        paths = [
                            quote_path(o[i][j], h[i][j], lo[i][j], c[i][j], ticks[j], q)
                            for j in range(len(self.symbols))
                        ]
                        for k, offset in enumerate(offsets):
                            at = ts + offset
                            for j, sym in enumerate(self.symbols):
                                count += 1
                                if not await self._pace(at, count):
                                    return
                                quote = Quote(sym, at, paths[j][k])
                                self._record(quote, at)
                                yield quote
                    self.current_regime = REGIME_LABELS[regimes[i]]
                    for j, sym in enumerate(self.symbols):
                        count += 1
                        if not await self._pace(end, count):
                            return
                        bar = Bar(sym, ts, o[i][j], h[i][j], lo[i][j], c[i][j], v[i][j], "1m")
                        event: Bar | HistoryBar = HistoryBar(bar) if history else bar
                        self._record(event, end)
                        yield event
                emitted += n
        finally:
            self._end()


__all__ = [
    "DEFAULT_START",
    "PROFILES",
    "REGIMES",
    "REGIME_LABELS",
    "RegimeSpec",
    "SymbolProfile",
    "SyntheticChunk",
    "SyntheticFeed",
    "SyntheticMarket",
    "VOLUME_CURVE",
    "VOL_CURVE",
]
