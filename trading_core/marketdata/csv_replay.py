"""Replay OHLCV bars from CSV / CSV.gz files, skipping and reporting corrupt rows.

Expected format (that of `../shared/data/market/intraday`): a header row naming `ts_utc` (ISO-8601
bar START in UTC), `open, high, low, close, volume`; other columns are ignored; when a `symbol`
column is present it selects the rows. Header names are matched case-insensitively, and `timestamp`,
`datetime` or `time` are accepted for `ts_utc` (naive values are read as UTC).

A row that cannot be trusted is skipped and counted under the first reason it fails, in this order:
malformed_row (more fields than the header, or a stray double quote that would swallow the rows
after it), missing_symbol (empty cell in a `symbol` column),
bad_timestamp, bad_number, non_positive_price, negative_volume, off_tick, high_below_low,
high_below_open_close, low_above_open_close, then, among the rows still valid, duplicate_time and
non_monotonic_time (a time equal to / earlier than the latest accepted time). Loading never fails on row content; only an unreadable file (missing, not
decompressible, empty, no header naming the required columns, no rows for the requested symbol)
raises a `CsvReplayError`.
"""
from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trading_core.instruments import INSTRUMENTS, Instrument
from trading_core.marketdata.bars import TIMEFRAMES, frame_to_bars
from trading_core.marketdata.feed import BaseFeed, quote_offsets, quote_path
from trading_core.types import Bar, Quote

DEFAULT_TICK = 0.25
MAX_EXAMPLES_PER_REASON = 3
SKIP_REASONS: tuple[str, ...] = (
    "malformed_row",
    "missing_symbol",
    "bad_timestamp",
    "bad_number",
    "non_positive_price",
    "negative_volume",
    "off_tick",
    "high_below_low",
    "high_below_open_close",
    "low_above_open_close",
    "duplicate_time",
    "non_monotonic_time",
)
TIME_COLUMN_NAMES: tuple[str, ...] = ("ts_utc", "timestamp", "datetime", "time")
VALUE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
_OFF_TICK_TOLERANCE = 1e-6  # in ticks: decimal text such as "4024.75" parses exactly anyway


class CsvReplayError(Exception):
    """A CSV file that cannot be replayed at all; carries an English and a French sentence."""

    def __init__(self, message_en: str, message_fr: str) -> None:
        self.message_en, self.message_fr = message_en, message_fr
        super().__init__(f"{message_en} / {message_fr}")

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


class CsvFileNotFoundError(CsvReplayError, FileNotFoundError):
    pass


class CsvFormatError(CsvReplayError, ValueError):
    pass


@dataclass(frozen=True, slots=True)
class SkippedRow:
    line: int  # 1-based line number in the (decompressed) file; the header is line 1
    reason: str
    text: str  # the raw line, cut to 200 characters


@dataclass(frozen=True, slots=True)
class ReplayReport:
    path: str
    symbol: str | None  # symbol given to the bars
    source_symbol: str | None  # value of the file's `symbol` column that was used, if any
    rows_read: int  # data rows in the file (blank lines excluded), all symbols
    rows_ok: int
    skipped: dict[str, int]  # reason -> count, only reasons that occurred
    examples: tuple[SkippedRow, ...]  # up to MAX_EXAMPLES_PER_REASON per reason, by line
    other_symbols: int = 0  # rows of other symbols, left out by the symbol filter (not errors)
    truncated: bool = False  # compressed stream ended early; the rows before the cut were kept
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    timeframe: str = "1m"
    tick_size: float = DEFAULT_TICK
    columns_ignored: tuple[str, ...] = field(default=())

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def clean(self) -> bool:
        return not self.skipped and not self.truncated

    def summary(self, lang: str = "en") -> str:
        """One human paragraph for the CLI."""
        name = Path(self.path).name
        details = ", ".join(f"{reason}={count}" for reason, count in self.skipped.items())
        first = self.examples[0] if self.examples else None
        if lang == "fr":
            text = f"{name} : {self.rows_ok} barres valides sur {self.rows_read} lignes lues"
            if self.skipped:
                text += f", {self.rows_skipped} lignes ignorées ({details})"
                if first:
                    text += f" ; première : ligne {first.line} ({first.reason})"
            if self.other_symbols:
                text += f", {self.other_symbols} lignes d'autres symboles"
            if self.truncated:
                text += " ; fichier compressé tronqué, lu jusqu'à la coupure"
            return text + "."
        text = f"{name}: {self.rows_ok} valid bars out of {self.rows_read} rows read"
        if self.skipped:
            text += f", {self.rows_skipped} rows skipped ({details})"
            if first:
                text += f"; first: line {first.line} ({first.reason})"
        if self.other_symbols:
            text += f", {self.other_symbols} rows of other symbols"
        if self.truncated:
            text += "; compressed file truncated, read up to the cut"
        return text + "."


# --- reading ------------------------------------------------------------------------------------


def _read_text(path: Path) -> tuple[str, bool]:
    """Decoded file content and whether a gzip stream was cut short."""
    if not path.exists():
        raise CsvFileNotFoundError(f"CSV file not found: {path}", f"Fichier CSV introuvable : {path}")
    if not path.is_file():
        raise CsvFormatError(f"not a file: {path}", f"ce n'est pas un fichier : {path}")
    raw = path.read_bytes()
    truncated = False
    if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file name says
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error):
            decompressor = zlib.decompressobj(wbits=31)
            try:
                raw = decompressor.decompress(raw)
            except zlib.error as exc:
                raise CsvFormatError(
                    f"cannot decompress {path}: {exc}", f"impossible de décompresser {path} : {exc}"
                ) from None
            truncated = True
    # A stray invalid byte must not stop the replay: it becomes U+FFFD and its row fails to parse.
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff"), truncated


def _looks_like_data(fields: list[str]) -> bool:
    for text in fields:
        try:
            float(text)
            return True
        except ValueError:
            pass
        if len(text) >= 10 and text[:4].isdigit() and text[4] in "-/":
            return True
    return False


def _header_columns(header: str, path: Path) -> tuple[list[str], dict[str, str]]:
    """(raw header fields, canonical name -> raw field) or a clear error."""
    try:
        fields = next(csv.reader([header]))
    except csv.Error:  # a stray carriage return, a NUL: random bytes, not a CSV file
        raise CsvFormatError(
            f"{path} is not a CSV bar file (its first line is not a header row naming ts_utc,open,high,low,close,volume)",
            f"{path} n'est pas un fichier CSV de barres (sa première ligne n'est pas un en-tête nommant "
            "ts_utc,open,high,low,close,volume)",
        ) from None
    names = {f.strip().lower(): f for f in fields}
    found: dict[str, str] = {}
    for alias in TIME_COLUMN_NAMES:
        if alias in names:
            found["ts"] = names[alias]
            break
    for col in (*VALUE_COLUMNS, "symbol"):
        if col in names:
            found[col] = names[col]
    missing = [c for c in ("ts", *VALUE_COLUMNS) if c not in found]
    if missing:
        wanted = "ts_utc,open,high,low,close,volume"
        shown = header[:120]
        if _looks_like_data(fields):
            raise CsvFormatError(
                f"{path}: no column header; the first line is data ({shown!r}). Expected a header row naming {wanted}",
                f"{path} : pas de ligne d'en-tête ; la première ligne contient des données ({shown!r}). "
                f"En-tête attendu : {wanted}",
            )
        label = ["ts_utc" if c == "ts" else c for c in missing]
        raise CsvFormatError(
            f"{path}: header {shown!r} lacks column(s) {', '.join(label)}; expected {wanted}",
            f"{path} : l'en-tête {shown!r} n'a pas la ou les colonnes {', '.join(label)} ; attendu {wanted}",
        )
    return fields, found


def _field_count(line: str) -> int:
    if '"' not in line:
        return line.count(",") + 1
    if line.count('"') % 2:
        return -1  # an unbalanced quote: the parser would read the following rows into this cell
    try:
        return len(next(csv.reader([line])))
    except csv.Error:
        return -1


def _pick_symbols(
    values: np.ndarray, symbol: str | None, path: Path
) -> tuple[np.ndarray, str | None, str | None]:
    """(row mask, symbol for the bars, source symbol used) for a file with a `symbol` column."""
    present = sorted(set(values.tolist()))
    if symbol is None:
        real = [p for p in present if p]
        if len(real) > 1:
            raise CsvFormatError(
                f"{path} holds several symbols ({', '.join(real)}); choose one with symbol=...",
                f"{path} contient plusieurs symboles ({', '.join(real)}) ; choisissez-en un avec symbol=...",
            )
        chosen = real[0] if real else None
        return values == chosen, chosen, chosen
    wanted = symbol.strip().upper()
    candidates = [wanted]
    instrument = INSTRUMENTS.get(wanted)
    if instrument is not None:
        candidates.extend(instrument.price_aliases)
    for candidate in candidates:
        if candidate in present:
            return values == candidate, wanted, candidate
    raise CsvFormatError(
        f"{path} has no rows for symbol {wanted}; symbols in the file: {', '.join(p for p in present if p) or 'none'}",
        f"{path} n'a aucune ligne pour le symbole {wanted} ; symboles du fichier : "
        f"{', '.join(p for p in present if p) or 'aucun'}",
    )


def _tick_for(symbol: str | None) -> float:
    if symbol is None:
        return DEFAULT_TICK
    instrument: Instrument | None = INSTRUMENTS.get(symbol)
    if instrument is None:
        instrument = next((i for i in INSTRUMENTS.values() if symbol in i.price_aliases), None)
    return instrument.tick_size if instrument else DEFAULT_TICK


def _parse_numbers(frame: pd.DataFrame, columns: dict[str, str]) -> dict[str, np.ndarray]:
    out = {}
    for col in VALUE_COLUMNS:
        series = frame[columns[col]]
        if series.dtype == np.float64:  # parsed by the C reader already
            values = series.to_numpy()
        else:
            values = pd.to_numeric(series.astype(str).str.strip(), errors="coerce").to_numpy(dtype=float)
        out[col] = values
    return out


def _infer_timeframe(index_ns: np.ndarray) -> str:
    if len(index_ns) < 2:
        return "1m"
    diffs = np.diff(index_ns) // 1_000_000_000
    values, counts = np.unique(diffs[diffs > 0], return_counts=True)
    if not len(values):
        return "1m"
    seconds = int(values[np.argmax(counts)])
    return next((name for name, s in TIMEFRAMES.items() if s == seconds), "1m")


@dataclass(frozen=True, slots=True)
class _Parsed:
    frame: pd.DataFrame  # the wanted columns, one row per candidate data row
    line_numbers: np.ndarray  # file line of each row
    rows_read: int
    malformed: int
    examples: tuple[SkippedRow, ...]  # malformed_row examples
    lines: Callable[[], list[str]]  # the file's lines, numbered as `line_numbers` count them


def _find_header(text: str) -> tuple[int, int, str | None]:
    """(offset of the header line, its 1-based line number, its text) — the first non-blank line."""
    offset, number = 0, 1
    while offset < len(text):
        end = text.find("\n", offset)
        end = len(text) if end < 0 else end
        line = text[offset:end].rstrip("\r")
        if line.strip():
            return offset, number, line
        offset, number = end + 1, number + 1
    return offset, number, None


def _parse_fast(body: str, header_no: int, wanted: list[str], columns: dict[str, str]) -> _Parsed | None:
    """The common case, in C: every line after the header is one row of plain numbers. None when the
    file needs the careful path (a blank or malformed line, a cell that is not a number)."""
    dtypes = {columns[c]: "float64" for c in VALUE_COLUMNS}
    dtypes[columns["ts"]] = _TS_BYTES  # fixed-width bytes: no Python object per row (see _parse_times)
    if "symbol" in columns:
        dtypes[columns["symbol"]] = "object"
    try:
        # from bytes: pandas' C reader takes them as they are, a str it would re-encode (twice as slow)
        frame = pd.read_csv(io.BytesIO(body.encode()), usecols=wanted, dtype=dtypes, engine="c", skipinitialspace=True)
    except ValueError:  # includes pandas' ParserError (too many fields)
        return None
    rows = body.count("\n") - (1 if body.endswith("\n") else 0)
    if len(frame) != rows or ("\r" in body and "\r" in body.replace("\r\n", "")):
        return None  # a blank line or an odd line ending shifted the numbering
    numbers = np.arange(header_no + 1, header_no + 1 + rows, dtype=np.int64)
    # blank lines can only precede the header here, so padding restores the file's numbering
    return _Parsed(
        frame, numbers, rows, 0, (), lambda: [""] * (header_no - 1) + [x.rstrip("\r") for x in body.split("\n")]
    )


def _parse_slow(text: str, header_no: int, width: int, wanted: list[str]) -> _Parsed:
    """Line by line: skip blank lines, set aside rows with more fields than the header, then parse
    the rest as text so that one bad cell only condemns its own row."""
    lines = text.splitlines()
    examples: list[SkippedRow] = []
    kept_lines: list[str] = []
    kept_numbers: list[int] = []
    malformed = 0
    rows_read = 0
    for number, line in enumerate(lines[header_no:], start=header_no + 1):
        if not line.strip():
            continue
        rows_read += 1
        fields = _field_count(line)
        if fields > width or fields < 0:
            malformed += 1
            if malformed <= MAX_EXAMPLES_PER_REASON:
                examples.append(SkippedRow(number, "malformed_row", line[:200]))
            continue
        kept_lines.append(line)
        kept_numbers.append(number)
    body = lines[header_no - 1] + "\n" + "\n".join(kept_lines)
    try:
        frame = pd.read_csv(
            io.StringIO(body), usecols=wanted, dtype=object, keep_default_na=False, na_filter=False, engine="c"
        )
    except (ValueError, csv.Error) as exc:  # pandas' ParserError is a ValueError
        raise CsvFormatError(f"cannot read the rows of the CSV file: {exc}",
                             f"impossible de lire les lignes du fichier CSV : {exc}") from None
    numbers = np.asarray(kept_numbers, dtype=np.int64)
    return _Parsed(frame, numbers, rows_read, malformed, tuple(examples), lambda: lines)


_TS_WIDTH = 40
_TS_BYTES = f"S{_TS_WIDTH}"


_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18)  # positions of digits in YYYY-MM-DDTHH:MM:SS
_DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _parse_times_fast(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Vectorised reading of the common shape `YYYY-MM-DDTHH:MM:SS` (T or space) with an optional
    trailing `Z`, the shared files' ts_utc; None (the careful path) unless every cell has that exact
    shape and a real date and time. Done by hand on the bytes: numpy's own string-to-datetime cast
    crashed the interpreter (numpy 2.4) on some malformed inputs."""
    n = len(raw)
    if n == 0:
        return None
    g = raw.view(np.uint8).reshape(n, _TS_WIDTH)
    tail = g[:, 19]
    if g[:, 20:].any() or not ((tail == 0) | (tail == ord("Z"))).all():
        return None
    if not ((g[:, 4] == ord("-")) & (g[:, 7] == ord("-")) & ((g[:, 10] == ord("T")) | (g[:, 10] == ord(" ")))
            & (g[:, 13] == ord(":")) & (g[:, 16] == ord(":"))).all():
        return None
    d = g[:, _DIGITS].astype(np.int64) - ord("0")
    if ((d < 0) | (d > 9)).any():
        return None
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    hour = d[:, 8] * 10 + d[:, 9]
    minute = d[:, 10] * 10 + d[:, 11]
    second = d[:, 12] * 10 + d[:, 13]
    if ((month < 1) | (month > 12) | (day < 1) | (hour > 23) | (minute > 59) | (second > 59) | (year < 1678)).any():
        return None  # out of range for nanosecond times or not a time at all: let pandas say which rows
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    if (day > _DAYS_IN_MONTH[month] - ((month == 2) & ~leap)).any():
        return None
    # days since 1970-01-01 from the civil date (H. Hinnant's days_from_civil)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    ns = ((days * 24 + hour) * 60 + minute) * 60 + second
    return ns * 1_000_000_000, np.zeros(n, dtype=bool)


def _parse_times(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(UTC nanoseconds, unparseable flags). Cells that fail are retried once without spaces."""
    if column.dtype.kind == "S":
        raw = column.to_numpy().astype(_TS_BYTES)
        fast = _parse_times_fast(raw)
        if fast is not None:
            return fast
        column = pd.Series(np.char.decode(raw, "utf-8", "replace"), index=column.index)
    stamps = pd.to_datetime(column, utc=True, format="ISO8601", errors="coerce")
    bad = pd.isna(stamps).to_numpy()
    if bad.any():
        retry = pd.to_datetime(
            column[bad].astype(str).str.strip(), utc=True, format="ISO8601", errors="coerce"
        )
        stamps = stamps.copy()
        stamps[bad] = retry
        bad = pd.isna(stamps).to_numpy()
    return pd.DatetimeIndex(stamps).as_unit("ns").asi8.copy(), bad


def load_bars_csv(
    path: str | Path, symbol: str | None = None, *, tick_size: float | None = None
) -> tuple[pd.DataFrame, ReplayReport]:
    """Load a bar file into a frame (see `bars` module convention) and a report of skipped rows.

    `symbol` selects rows when the file has a `symbol` column (MNQ also matches NQ rows, whose prices
    are the same) and names the bars; `tick_size` defaults to the instrument's tick (0.25).
    """
    path = Path(path)
    text, truncated = _read_text(path)
    header_start, header_no, header = _find_header(text)
    if header is None:
        raise CsvFormatError(f"{path} is empty", f"{path} est vide")
    fields, columns = _header_columns(header, path)
    wanted = [columns[c] for c in ("ts", *VALUE_COLUMNS, "symbol") if c in columns]
    parsed = _parse_fast(text[header_start:], header_no, wanted, columns) or _parse_slow(
        text, header_no, len(fields), wanted
    )
    frame, line_numbers, rows_read = parsed.frame, parsed.line_numbers, parsed.rows_read
    examples = list(parsed.examples)
    malformed = parsed.malformed

    label = symbol.strip().upper() if isinstance(symbol, str) else None
    source: str | None = None
    other_symbols = 0
    missing_symbol = np.zeros(0, dtype=np.int64)  # line numbers of rows with an empty symbol cell
    if "symbol" in columns:
        values = frame[columns["symbol"]].fillna("").astype(str).str.strip().str.upper().to_numpy()
        empty = values == ""
        mask, label, source = _pick_symbols(values, symbol, path)
        mask &= ~empty
        missing_symbol = line_numbers[empty]
        other_symbols = int((~mask).sum() - empty.sum())
        frame = frame.loc[mask]
        line_numbers = line_numbers[mask]
    tick = float(tick_size) if tick_size is not None else _tick_for(label if source is None else source)
    if not tick > 0:
        raise ValueError(f"tick_size must be positive, got {tick_size!r}")

    ts_ns, bad_ts = _parse_times(frame[columns["ts"]])
    nums = _parse_numbers(frame, columns)
    o, h, lo, c, v = (nums[k] for k in VALUE_COLUMNS)
    prices = np.vstack([o, h, lo, c])
    with np.errstate(invalid="ignore"):
        bad_number = ~np.isfinite(prices).all(axis=0) | ~np.isfinite(v) | (v != np.floor(v))
        quotient = prices / tick
        checks: list[tuple[str, Any]] = [  # boolean masks (numpy's stubs type `~all()` as a scalar)
            ("bad_timestamp", bad_ts),
            ("bad_number", bad_number),
            ("non_positive_price", (prices <= 0).any(axis=0)),
            ("negative_volume", v < 0),
            ("off_tick", (np.abs(quotient - np.rint(quotient)) > _OFF_TICK_TOLERANCE).any(axis=0)),
            ("high_below_low", h < lo),
            ("high_below_open_close", h < np.maximum(o, c)),
            ("low_above_open_close", lo > np.minimum(o, c)),
        ]
    n = len(frame)
    reason = np.full(n, -1, dtype=np.int16)  # index into SKIP_REASONS, -1 = fine so far
    for name, failed in checks:
        reason[(reason < 0) & failed] = SKIP_REASONS.index(name)
    # Time order among the rows that are otherwise valid: compare with the latest accepted time.
    valid = np.flatnonzero(reason < 0)
    if len(valid):
        t = ts_ns[valid]
        latest_before = np.r_[np.iinfo(np.int64).min, np.maximum.accumulate(t)[:-1]]
        reason[valid[t == latest_before]] = SKIP_REASONS.index("duplicate_time")
        reason[valid[t < latest_before]] = SKIP_REASONS.index("non_monotonic_time")

    ok = reason < 0
    skipped: dict[str, int] = {"malformed_row": malformed} if malformed else {}
    if len(missing_symbol):
        skipped["missing_symbol"] = len(missing_symbol)
    for code, count in zip(*np.unique(reason[~ok], return_counts=True)):
        skipped[SKIP_REASONS[code]] = int(count)
    skipped = {r: skipped[r] for r in SKIP_REASONS if r in skipped}
    if not ok.all() or len(missing_symbol):
        all_lines = parsed.lines()  # only a file with bad rows pays for this
        bad_lines = [(int(n), "missing_symbol") for n in missing_symbol[:MAX_EXAMPLES_PER_REASON]]
        for code in np.unique(reason[~ok]):
            for i in np.flatnonzero(reason == code)[:MAX_EXAMPLES_PER_REASON]:
                bad_lines.append((int(line_numbers[i]), SKIP_REASONS[code]))
        examples.extend(SkippedRow(n, why, all_lines[n - 1][:200]) for n, why in bad_lines)
    examples.sort(key=lambda e: e.line)

    index = pd.DatetimeIndex(ts_ns[ok].astype("datetime64[ns]"), name="ts").tz_localize("UTC")
    bars = pd.DataFrame(
        {"open": o[ok], "high": h[ok], "low": lo[ok], "close": c[ok], "volume": v[ok].astype(np.int64)},
        index=index,
    )
    timeframe = _infer_timeframe(ts_ns[ok])
    bars.attrs["symbol"] = label
    bars.attrs["timeframe"] = timeframe
    known = {v for k, v in columns.items()}
    report = ReplayReport(
        path=str(path),
        symbol=label,
        source_symbol=source,
        rows_read=rows_read,
        rows_ok=int(ok.sum()),
        skipped=skipped,
        examples=tuple(examples),
        other_symbols=other_symbols,
        truncated=truncated,
        first_ts=index[0].to_pydatetime() if len(index) else None,
        last_ts=index[-1].to_pydatetime() if len(index) else None,
        timeframe=timeframe,
        tick_size=tick,
        columns_ignored=tuple(f for f in fields if f not in known),
    )
    return bars, report


class CsvReplayFeed(BaseFeed):
    """A MarketFeed replaying one symbol's bars from a CSV / CSV.gz file.

    `speed` = 0 replays as fast as possible; otherwise it is the factor against real time (60 = one
    market minute per wall second), with closed periods shortened to `max_gap_s` (see BaseFeed).
    `quotes_per_bar` > 0 adds quotes along each bar's path, as SyntheticFeed does. The file is read
    when the feed is created, so a bad file fails there and `report` is available before streaming.
    """

    def __init__(
        self,
        path: str | Path,
        symbol: str | None = None,
        speed: float = 0.0,
        *,
        quotes_per_bar: int = 0,
        max_gap_s: float = 300.0,
        tick_size: float | None = None,
    ) -> None:
        if isinstance(quotes_per_bar, bool) or not isinstance(quotes_per_bar, int) or not 0 <= quotes_per_bar <= 60:
            raise ValueError(f"quotes_per_bar must be an integer from 0 to 60, got {quotes_per_bar!r}")
        frame, report = load_bars_csv(path, symbol, tick_size=tick_size)
        if report.symbol is None:
            raise CsvFormatError(
                f"{path}: the file has no symbol column; pass symbol=... to name its bars",
                f"{path} : le fichier n'a pas de colonne symbol ; indiquez symbol=... pour nommer ses barres",
            )
        super().__init__("csv", (report.symbol,), speed, max_gap_s)
        self.path = Path(path)
        self.frame = frame
        self.report = report
        self.quotes_per_bar = quotes_per_bar
        self._bar_cache: list[Bar] | None = None

    @property
    def bars(self) -> list[Bar]:
        """All bars of the file as Bar objects (built once)."""
        if self._bar_cache is None:
            self._bar_cache = frame_to_bars(self.frame, self.report.symbol, self.report.timeframe)
        return self._bar_cache

    def iter_bars(self) -> Iterator[Bar]:
        return iter(self.bars)

    async def stream(self) -> AsyncIterator[Bar | Quote]:
        self._begin()
        bars = self.bars
        q = self.quotes_per_bar
        offsets = quote_offsets(q)
        tick = self.report.tick_size
        span = pd.Timedelta(seconds=TIMEFRAMES[self.report.timeframe]).to_pytimedelta()
        count = 0
        try:
            for bar in bars:
                if q:
                    for offset, price in zip(offsets, quote_path(bar.open, bar.high, bar.low, bar.close, tick, q)):
                        at = bar.ts + offset * (span.total_seconds() / 60.0)
                        count += 1
                        if not await self._pace(at, count):
                            return
                        quote = Quote(bar.symbol, at, price)
                        self._record(quote, at)
                        yield quote
                end = bar.ts + span
                count += 1
                if not await self._pace(end, count):
                    return
                self._record(bar, end)
                yield bar
        finally:
            self._end()


__all__ = [
    "CsvFileNotFoundError",
    "CsvFormatError",
    "CsvReplayError",
    "CsvReplayFeed",
    "ReplayReport",
    "SKIP_REASONS",
    "SkippedRow",
    "load_bars_csv",
]
