"""Timeframes, bar <-> DataFrame conversion and OHLCV resampling.

Frame convention used by the whole market-data package: a DataFrame indexed by a UTC
`DatetimeIndex` named "ts" holding bar START times, columns `open, high, low, close` (float64) and
`volume` (int64); an optional `symbol` column when several symbols share one frame; `df.attrs`
carries "symbol" and "timeframe" for single-symbol frames.

Resampling bins are aligned to the UTC clock (a 4h bin starts at 00:00, 04:00, ... UTC), are
stamped with their start, and empty bins are dropped (no bar is invented across a session break).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from trading_core.types import Bar

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
FRAME_COLUMNS: tuple[str, ...] = (*PRICE_COLUMNS, "volume")

TIMEFRAMES: dict[str, int] = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14400}
_ALIASES: dict[str, str] = {
    "1min": "1m", "m1": "1m", "5min": "5m", "m5": "5m", "15min": "15m", "m15": "15m",
    "60m": "1h", "60min": "1h", "h1": "1h", "240m": "4h", "240min": "4h", "h4": "4h",
}


class UnknownTimeframeError(ValueError):
    def __init__(self, timeframe: object) -> None:
        self.timeframe = timeframe
        allowed = ", ".join(TIMEFRAMES)
        self.message_en = f"Unknown timeframe {timeframe!r}; allowed: {allowed}."
        self.message_fr = f"Unité de temps inconnue {timeframe!r} ; valeurs possibles : {allowed}."
        super().__init__(f"{self.message_en} / {self.message_fr}")


@dataclass(frozen=True, slots=True)
class Timeframe:
    name: str  # canonical: 1m, 5m, 15m, 1h, 4h
    seconds: int

    @property
    def nanoseconds(self) -> int:
        return self.seconds * 1_000_000_000


def parse_timeframe(timeframe: str | Timeframe) -> Timeframe:
    """'5m', '5min', 'M5', '1H', '60m', ... -> Timeframe; anything else raises UnknownTimeframeError."""
    if isinstance(timeframe, Timeframe):
        return timeframe
    if not isinstance(timeframe, str):
        raise UnknownTimeframeError(timeframe)
    key = timeframe.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in TIMEFRAMES:
        raise UnknownTimeframeError(timeframe)
    return Timeframe(key, TIMEFRAMES[key])


# --- conversions ---------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_US = timedelta(microseconds=1)


def _utc_us(ts: datetime) -> int:
    if ts.tzinfo is None:
        raise ValueError(f"bar timestamp {ts.isoformat()} has no time zone; bars must be UTC-aware")
    return (ts - _EPOCH) // _ONE_US


def bars_to_frame(bars: Sequence[Bar]) -> pd.DataFrame:
    """Bars -> frame. A `symbol` column is added when the bars hold more than one symbol."""
    bars = list(bars)
    stamps_us = np.fromiter((_utc_us(b.ts) for b in bars), np.int64, len(bars))
    index = pd.DatetimeIndex((stamps_us * 1000).astype("datetime64[ns]"), name="ts")
    index = index.tz_localize("UTC")
    frame = pd.DataFrame(
        {
            "open": np.fromiter((b.open for b in bars), float, len(bars)),
            "high": np.fromiter((b.high for b in bars), float, len(bars)),
            "low": np.fromiter((b.low for b in bars), float, len(bars)),
            "close": np.fromiter((b.close for b in bars), float, len(bars)),
            "volume": np.fromiter((b.volume for b in bars), np.int64, len(bars)),
        },
        index=index,
    )
    symbols = sorted({b.symbol for b in bars})
    timeframes = {b.timeframe for b in bars}
    if len(symbols) > 1:
        frame["symbol"] = [b.symbol for b in bars]
    elif symbols:
        frame.attrs["symbol"] = symbols[0]
    if len(timeframes) == 1:
        frame.attrs["timeframe"] = timeframes.pop()
    return frame


def _check_frame(df: pd.DataFrame) -> None:
    missing = [c for c in FRAME_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"bar frame lacks column(s) {missing}; it needs {list(FRAME_COLUMNS)}")
    if not isinstance(df.index, pd.DatetimeIndex) or df.index.tz is None:
        raise ValueError("bar frame must be indexed by a timezone-aware (UTC) DatetimeIndex of bar starts")


def frame_to_bars(df: pd.DataFrame, symbol: str | None = None, timeframe: str | None = None) -> list[Bar]:
    """Frame -> Bars. The symbol is `symbol` when given, else the frame's `symbol` column, else
    df.attrs["symbol"]; the timeframe likewise comes from `timeframe` or df.attrs (default 1m)."""
    _check_frame(df)
    tf = parse_timeframe(timeframe or df.attrs.get("timeframe", "1m")).name
    n = len(df)
    if "symbol" in df.columns and symbol is None:
        symbols: Iterable[str] = df["symbol"].astype(str).tolist()
    else:
        name = symbol or df.attrs.get("symbol")
        if not name:
            raise ValueError("no symbol: pass symbol=... or give the frame a 'symbol' column or attrs['symbol']")
        symbols = [name] * n
    stamps = df.index.tz_convert(timezone.utc).to_pydatetime()
    return [
        Bar(sym, ts, o, h, lo, c, v, tf)
        for sym, ts, o, h, lo, c, v in zip(
            symbols,
            stamps,
            df["open"].to_numpy(float).tolist(),
            df["high"].to_numpy(float).tolist(),
            df["low"].to_numpy(float).tolist(),
            df["close"].to_numpy(float).tolist(),
            df["volume"].to_numpy(np.int64).tolist(),
        )
    ]


# --- resampling ----------------------------------------------------------------------------------


def _source_seconds(tf_name: str | None) -> int:
    return parse_timeframe(tf_name).seconds if tf_name else 60


def _check_target(source_seconds: int, target: Timeframe) -> None:
    if target.seconds < source_seconds or target.seconds % source_seconds:
        raise ValueError(
            f"cannot resample {source_seconds}s bars to {target.name}: the target must be a multiple of the source"
        )


def resample(bars: Sequence[Bar], timeframe: str | Timeframe) -> list[Bar]:
    """Aggregate bars (any mix of symbols, in any order) into `timeframe` bars.

    Output is ordered by time, then by symbol in order of first appearance.
    """
    target = parse_timeframe(timeframe)
    if not bars:
        return []
    for tf_name in {b.timeframe for b in bars}:
        _check_target(_source_seconds(tf_name), target)
    order = {s: i for i, s in enumerate(dict.fromkeys(b.symbol for b in bars))}
    width = target.seconds * 1_000_000
    keyed = sorted(((_utc_us(b.ts), order[b.symbol], b) for b in bars), key=lambda k: (k[0], k[1]))
    groups: dict[tuple[int, int], list[Bar]] = {}
    for stamp, rank, bar in keyed:
        groups.setdefault((stamp // width, rank), []).append(bar)
    out: list[Bar] = []
    for (bin_no, _), members in sorted(groups.items(), key=lambda kv: kv[0]):
        out.append(
            Bar(
                symbol=members[0].symbol,
                ts=_EPOCH + timedelta(microseconds=bin_no * width),
                open=members[0].open,
                high=max(m.high for m in members),
                low=min(m.low for m in members),
                close=members[-1].close,
                volume=sum(m.volume for m in members),
                timeframe=target.name,
            )
        )
    return out


def _resample_sorted(df: pd.DataFrame, width_ns: int) -> pd.DataFrame:
    stamps = df.index.asi8
    bins = stamps // width_ns
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]]) if len(bins) else np.array([], dtype=np.int64)
    ends = np.r_[starts[1:], len(bins)] - 1 if len(starts) else starts
    if len(starts):
        o = df["open"].to_numpy(float)[starts]
        h = np.maximum.reduceat(df["high"].to_numpy(float), starts)
        lo = np.minimum.reduceat(df["low"].to_numpy(float), starts)
        c = df["close"].to_numpy(float)[ends]
        v = np.add.reduceat(df["volume"].to_numpy(np.int64), starts)
        index_ns = bins[starts] * width_ns
    else:
        o = h = lo = c = np.array([], dtype=float)
        v = np.array([], dtype=np.int64)
        index_ns = np.array([], dtype=np.int64)
    index = pd.DatetimeIndex(index_ns.astype("datetime64[ns]"), name="ts").tz_localize("UTC")
    return pd.DataFrame({"open": o, "high": h, "low": lo, "close": c, "volume": v}, index=index)


def resample_frame(df: pd.DataFrame, timeframe: str | Timeframe) -> pd.DataFrame:
    """Vectorised `resample` for a bar frame (see module doc). Extra columns are dropped.

    Rows are sorted by time first when needed (stable, so equal stamps keep file order).
    """
    _check_frame(df)
    target = parse_timeframe(timeframe)
    _check_target(_source_seconds(df.attrs.get("timeframe")), target)
    df = df.tz_convert("UTC")
    if not df.index.is_monotonic_increasing:
        df = df.sort_index(kind="stable")
    if df.index.unit != "ns":
        df = df.set_axis(df.index.as_unit("ns"))
    if "symbol" in df.columns:
        parts = []
        for sym, part in df.groupby("symbol", sort=False):
            out = _resample_sorted(part, target.nanoseconds)
            out["symbol"] = sym
            parts.append(out)
        result = pd.concat(parts).sort_index(kind="stable") if parts else _resample_sorted(df, target.nanoseconds)
        if not parts:
            result["symbol"] = pd.Series(dtype=str)
    else:
        result = _resample_sorted(df, target.nanoseconds)
        if "symbol" in df.attrs:
            result.attrs["symbol"] = df.attrs["symbol"]
    result.attrs["timeframe"] = target.name
    return result


__all__ = [
    "FRAME_COLUMNS",
    "PRICE_COLUMNS",
    "TIMEFRAMES",
    "Timeframe",
    "UnknownTimeframeError",
    "bars_to_frame",
    "frame_to_bars",
    "parse_timeframe",
    "resample",
    "resample_frame",
]
