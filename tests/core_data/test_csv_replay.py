"""CSV / CSV.gz bar loading, corrupt-row accounting, and the replay feed."""
from __future__ import annotations

import gzip
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trading_core.marketdata.csv_replay import (
    SKIP_REASONS,
    CsvFileNotFoundError,
    CsvFormatError,
    CsvReplayError,
    CsvReplayFeed,
    load_bars_csv,
)
from trading_core.marketdata.feed import MarketFeed
from trading_core.types import Bar, Quote

UTC = timezone.utc
DATA = Path("/work/shared/data/market/intraday")
ESZ5 = DATA / "es_1m_2025-09-14_2025-11-14_ESZ5_quotrading.csv.gz"
ES_NQ = DATA / "es_nq_1m_2025-11-20_2025-11-21_smt.csv.gz"
NQ = DATA / "nq_1m_2023-11-19_2023-12-04_firstrate-sample.csv.gz"

HEADER = "ts_utc,ts_et,open,high,low,close,volume,vwap"
# (line content, expected reason or None when the row is good); line 1 is the header.
CORRUPT_ROWS: list[tuple[str, str | None]] = [
    ("2025-01-06T14:30:00Z,x,6000.0,6001.0,5999.5,6000.5,120,6000.2", None),  # line 2
    ("2025-01-06T14:31:00Z,x,6000.5,6002.0,6000.25,6001.75,80,6001", None),  # 3
    ("", None),  # 4: blank, not a row
    ("2025-01-06T14:31:30Z,x,6000,6001,5999,6000,5,6000,EXTRA", "malformed_row"),  # 5
    ("2025-13-45T99:00:00Z,x,6000,6001,5999,6000,5,6000", "bad_timestamp"),  # 6
    ("2025-01-06T14:40:00Z,x,abc,6001,5999,6000,5,6000", "bad_number"),  # 7
    ("2025-01-06T14:41:00Z,x,6000,6001,5999,6000,,6000", "bad_number"),  # 8: empty volume
    ("2025-01-06T14:42:00Z,x,0,0,0,0,5,0", "non_positive_price"),  # 9
    ("2025-01-06T14:43:00Z,x,6000,6001,5999,6000,-5,6000", "negative_volume"),  # 10
    ("2025-01-06T14:44:00Z,x,6000.1,6001,5999,6000,5,6000", "off_tick"),  # 11
    ("2025-01-06T14:45:00Z,x,6000,5999,6001,6000,5,6000", "high_below_low"),  # 12
    ("2025-01-06T14:46:00Z,x,6000,6000.5,5999,6001,5,6000", "high_below_open_close"),  # 13
    ("2025-01-06T14:47:00Z,x,6000,6002,6000.5,6001,5,6000", "low_above_open_close"),  # 14
    ("2025-01-06T14:31:00Z,x,6001.75,6002,6001,6001.5,9,6001", "duplicate_time"),  # 15
    ("2025-01-06T14:29:00Z,x,6001.75,6002,6001,6001.5,9,6001", "non_monotonic_time"),  # 16
    ("2025-01-06T14:32:00Z,x,6001.75,6003,6001.5,6002.75,60,6002", None),  # 17
    ("2025-01-06T14:33:00Z,x,6000", "bad_number"),  # 18: too few fields
    ("2025-01-06T14:34:00Z,x,6002.75,6003,6002,6002.5,12.0,6002", None),  # 19: "12.0" is an int
    ("2025-01-06T14:35:00Z,x,6002.5,6003,6002,6002.5,12.5,6002", "bad_number"),  # 20: fractional volume
    ("2025-01-06T14:36:00Z,x,6002.5,6003,6002,nan,12,6002", "bad_number"),  # 21
    ("2025-01-06T14:37:00Z,x,6002.5,inf,6002,6002.5,12,6002", "bad_number"),  # 22
    ("2025-01-06 14:38:00,x,6002.5,6003,6002,6002.75,7,6002", None),  # 23: naive -> UTC
]
EXPECTED_SKIPS = {
    "malformed_row": 1, "bad_timestamp": 1, "bad_number": 6, "non_positive_price": 1, "negative_volume": 1,
    "off_tick": 1, "high_below_low": 1, "high_below_open_close": 1, "low_above_open_close": 1,
    "duplicate_time": 1, "non_monotonic_time": 1,
}


def corrupt_text(newline: str = "\n") -> str:
    return newline.join([HEADER, *(line for line, _ in CORRUPT_ROWS)]) + newline


@pytest.fixture()
def corrupt_csv(tmp_path: Path) -> Path:
    path = tmp_path / "corrupt.csv"
    path.write_text(corrupt_text())
    return path


def test_real_file_loads_completely_and_exactly() -> None:
    frame, report = load_bars_csv(ESZ5, "ES")
    raw = pd.read_csv(ESZ5)
    assert report.rows_read == report.rows_ok == len(raw) == 61_966
    assert report.clean and report.skipped == {} and report.examples == ()
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    for col in ("open", "high", "low", "close", "volume"):
        assert np.array_equal(frame[col].to_numpy(), raw[col].to_numpy())
    assert frame.index[0] == pd.Timestamp("2025-09-14T22:00:00Z") and str(frame.index.tz) == "UTC"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert frame.attrs == {"symbol": "ES", "timeframe": "1m"}
    assert report.first_ts == datetime(2025, 9, 14, 22, 0, tzinfo=UTC)
    assert report.last_ts == frame.index[-1].to_pydatetime()
    assert report.columns_ignored == ("ts_et",)


def test_real_file_with_two_symbols_is_filtered() -> None:
    es, es_report = load_bars_csv(ES_NQ, "ES")
    assert es_report.rows_read == 2640 and es_report.rows_ok == 1320 and es_report.other_symbols == 1320
    assert es_report.skipped == {} and 6000 < es["close"].median() < 7000
    # NQ prices are MNQ prices: a request for MNQ takes the NQ rows and names the bars MNQ.
    mnq, mnq_report = load_bars_csv(ES_NQ, "mnq")
    assert (mnq_report.symbol, mnq_report.source_symbol, mnq_report.rows_ok) == ("MNQ", "NQ", 1320)
    assert 20000 < mnq["close"].median() < 30000 and mnq.attrs["symbol"] == "MNQ"
    with pytest.raises(CsvFormatError, match="several symbols.*ES, NQ"):
        load_bars_csv(ES_NQ)
    with pytest.raises(CsvFormatError, match="no rows for symbol XX.*ES, NQ"):
        load_bars_csv(ES_NQ, "XX")


def test_every_skip_reason_is_counted_with_line_numbers(corrupt_csv: Path) -> None:
    frame, report = load_bars_csv(corrupt_csv, "ES")
    assert report.skipped == EXPECTED_SKIPS
    assert set(report.skipped) == set(SKIP_REASONS) - {"missing_symbol"}  # that one needs a symbol column
    assert report.rows_read == 21  # the blank line is not a row
    assert report.rows_ok == 5 and report.rows_ok + report.rows_skipped == report.rows_read
    expected_lines = {}
    for number, (line, reason) in enumerate(CORRUPT_ROWS, start=2):
        if reason:
            expected_lines.setdefault(reason, []).append((number, line))
    examples = {(e.line, e.reason, e.text) for e in report.examples}
    for reason, found in expected_lines.items():
        for number, line in found[:3]:
            assert (number, reason, line) in examples
    assert [e.line for e in report.examples] == sorted(e.line for e in report.examples)
    # the good rows are all there, in order, with their values
    assert list(frame.index.strftime("%H:%M")) == ["14:30", "14:31", "14:32", "14:34", "14:38"]
    assert frame.loc["2025-01-06 14:34", "volume"].item() == 12
    assert frame["close"].tolist() == [6000.5, 6001.75, 6002.75, 6002.5, 6002.75]
    assert not report.clean


def test_gzip_and_plain_give_the_same_result(tmp_path: Path, corrupt_csv: Path) -> None:
    gz = tmp_path / "corrupt.csv.gz"
    gz.write_bytes(gzip.compress(corrupt_csv.read_bytes()))
    no_suffix = tmp_path / "corrupt.data"  # gzip is recognised by content, not by name
    no_suffix.write_bytes(gz.read_bytes())
    plain_frame, plain = load_bars_csv(corrupt_csv, "ES")
    for path in (gz, no_suffix):
        frame, report = load_bars_csv(path, "ES")
        pd.testing.assert_frame_equal(frame, plain_frame)
        assert report.skipped == plain.skipped and report.examples == plain.examples
        assert not report.truncated


def test_crlf_and_bom_and_capitalised_headers(tmp_path: Path) -> None:
    path = tmp_path / "windows.csv"
    text = corrupt_text("\r\n").replace(HEADER, "\ufeffTS_UTC,ts_et,Open,High,Low,Close,Volume,VWAP")
    path.write_bytes(text.encode("utf-8"))
    frame, report = load_bars_csv(path, "ES")
    assert report.skipped == EXPECTED_SKIPS and report.rows_ok == 5
    assert {e.line for e in report.examples if e.reason == "off_tick"} == {11}


def test_truncated_gzip_keeps_the_rows_before_the_cut(tmp_path: Path) -> None:
    lines = [HEADER]
    start = datetime(2025, 1, 6, 14, 30, tzinfo=UTC)
    for i in range(3000):
        ts = (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        price = 6000 + (i % 40) * 0.25
        lines.append(f"{ts},x,{price},{price + 1},{price - 1},{price + 0.5},{10 + i % 7},{price}")
    blob = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(blob[: len(blob) // 2])
    frame, report = load_bars_csv(path, "ES")
    assert report.truncated and not report.clean
    assert 100 < report.rows_ok < 3000
    assert report.rows_ok + report.rows_skipped == report.rows_read
    assert frame.index.is_monotonic_increasing
    assert "truncated" in report.summary("en") and "tronqué" in report.summary("fr")


def test_unusable_files_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CsvFileNotFoundError, match="not found.*introuvable") as info:
        load_bars_csv(tmp_path / "missing.csv.gz")
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, CsvReplayError)
    assert "introuvable" in info.value.message("fr")

    headerless = tmp_path / "headerless.csv"
    headerless.write_text("\n".join(line for line, _ in CORRUPT_ROWS[:3]) + "\n")
    with pytest.raises(CsvFormatError, match="no column header.*pas de ligne d'en-tête"):
        load_bars_csv(headerless)
    gz = tmp_path / "headerless.csv.gz"
    gz.write_bytes(gzip.compress(headerless.read_bytes()))
    with pytest.raises(CsvFormatError, match="no column header"):
        load_bars_csv(gz)

    no_volume = tmp_path / "no_volume.csv"
    no_volume.write_text("ts_utc,open,high,low,close\n2025-01-06T14:30:00Z,1,1,1,1\n")
    with pytest.raises(CsvFormatError, match="lacks column.*volume"):
        load_bars_csv(no_volume)

    ticks = DATA / "es_ticks_2013-09-01_2013-09-03_mlfinpy.csv.gz"  # a real file in another format
    with pytest.raises(CsvFormatError, match="lacks column.*open"):
        load_bars_csv(ticks)

    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(CsvFormatError, match="empty"):
        load_bars_csv(empty)
    with pytest.raises(CsvFormatError, match="not a file"):
        load_bars_csv(tmp_path)
    garbage = tmp_path / "garbage.csv.gz"
    garbage.write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    with pytest.raises(CsvFormatError, match="decompress"):
        load_bars_csv(garbage)


def test_header_only_file_is_empty_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(HEADER + "\n")
    frame, report = load_bars_csv(path, "ES")
    assert len(frame) == 0 and report.rows_read == 0 and report.first_ts is None


def test_summary_in_both_languages(corrupt_csv: Path) -> None:
    _, report = load_bars_csv(corrupt_csv, "ES")
    en, fr = report.summary("en"), report.summary("fr")
    assert "5 valid bars out of 21 rows read" in en and "16 rows skipped" in en and "bad_number=6" in en
    assert "first: line 5 (malformed_row)" in en
    assert "5 barres valides sur 21 lignes lues" in fr and "16 lignes ignorées" in fr


async def test_replay_feed_streams_the_file() -> None:
    feed = CsvReplayFeed(ES_NQ, "MNQ", quotes_per_bar=4)
    assert isinstance(feed, MarketFeed) and feed.symbols == ("MNQ",) and feed.name == "csv"
    assert feed.report.rows_ok == 1320
    events = [e async for e in feed.stream()]
    bars = [e for e in events if isinstance(e, Bar)]
    quotes = [e for e in events if isinstance(e, Quote)]
    assert len(bars) == 1320 and len(quotes) == 4 * 1320
    assert [b.close for b in bars] == feed.frame["close"].tolist()
    assert all(b.symbol == "MNQ" and b.timeframe == "1m" for b in bars)
    assert feed.last_price("MNQ") == bars[-1].close
    assert feed.last_ts == bars[-1].ts + timedelta(minutes=1)
    assert feed.stats.bars == 1320 and feed.stats.quotes == 5280


async def test_replay_feed_on_a_file_without_symbol_column() -> None:
    with pytest.raises(CsvFormatError, match="pass symbol"):
        CsvReplayFeed(NQ)
    feed = CsvReplayFeed(NQ, "MNQ")
    count = 0
    async for event in feed.stream():
        count += 1
        if count == 100:
            feed.stop()
    assert count == 100 and feed.stats.stopped
    assert len(feed.bars) == feed.report.rows_ok == 14_714


async def test_replay_feed_speed_factor(tmp_path: Path) -> None:
    path = tmp_path / "three.csv"
    path.write_text("\n".join([HEADER, *(line for line, reason in CORRUPT_ROWS[:3] if line)] + [CORRUPT_ROWS[15][0]]) + "\n")
    feed = CsvReplayFeed(path, "ES", speed=600.0)
    began = time.perf_counter()
    bars = [e async for e in feed.stream()]
    # 14:30 -> 14:31 -> 14:32 is two simulated minutes: 0.2 s at 600x
    assert len(bars) == 3 and time.perf_counter() - began >= 0.19
    with pytest.raises(ValueError, match="speed"):
        CsvReplayFeed(path, "ES", speed=-1)


def test_numeric_corruption_is_found_on_the_fast_path_too(tmp_path: Path) -> None:
    """Every cell is a number (or empty), so the C reader takes the whole file; the checks and
    the line numbers must be the same as on the careful path."""
    rows = [
        "2025-01-06T14:30:00Z,6000,6001,5999.5,6000.5,120",  # 2 ok
        "2025-01-06T14:31:00Z,6000.5,6002,6000.25,6001.75,80",  # 3 ok
        "2025-01-06T14:32:00Z,6000.1,6002,6000.25,6001.75,80",  # 4 off_tick
        "2025-01-06T14:33:00Z,6000.5,6002,6000.25,,80",  # 5 bad_number (empty)
        "2025-01-06T14:34:00Z,6000.5,6002,6000.25,nan,80",  # 6 bad_number
        "2025-01-06T14:31:00Z,6000.5,6002,6000.25,6001.75,80",  # 7 duplicate_time
        "2025-01-06T14:35:00Z,6000.5,6002,6000.25,6001.75,-1",  # 8 negative_volume
        "2025-01-06T14:36:00Z,6000.5,6002,6000.25,6001.75,3",  # 9 ok
    ]
    path = tmp_path / "numeric.csv"
    path.write_text("ts_utc,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    frame, report = load_bars_csv(path, "ES")
    assert report.skipped == {"bad_number": 2, "negative_volume": 1, "off_tick": 1, "duplicate_time": 1}
    assert [(e.line, e.reason) for e in report.examples] == [
        (4, "off_tick"), (5, "bad_number"), (6, "bad_number"), (7, "duplicate_time"), (8, "negative_volume")
    ]
    assert report.examples[0].text == rows[2]
    assert len(frame) == 3 and report.rows_read == 8
    # the same rows with a blank line in the middle take the careful path and agree
    blank = tmp_path / "numeric_blank.csv"
    blank.write_text("ts_utc,open,high,low,close,volume\n" + "\n".join(rows[:4]) + "\n\n" + "\n".join(rows[4:]) + "\n")
    frame2, report2 = load_bars_csv(blank, "ES")
    pd.testing.assert_frame_equal(frame, frame2)
    assert report2.skipped == report.skipped
    assert [e.line for e in report2.examples] == [4, 5, 7, 8, 9]


def test_a_space_padded_timestamp_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "spaces.csv"
    path.write_text("ts_utc,open,high,low,close,volume\n2025-01-06T14:30:00Z ,6000,6001,5999.5,6000.5,120\n")
    frame, report = load_bars_csv(path, "ES")
    assert report.rows_ok == 1 and frame.index[0] == pd.Timestamp("2025-01-06T14:30:00Z")


@pytest.mark.parametrize("filler", ["", "2025-01-06T14:32:00Z,ES,abc,1,1,1,1"])  # fast path / careful path
def test_rows_with_an_empty_symbol_are_skipped_not_guessed(tmp_path: Path, filler: str) -> None:
    rows = [
        "2025-01-06T14:30:00Z,ES,6000,6001,5999.5,6000.5,120",  # 2
        "2025-01-06T14:30:00Z,NQ,21000,21001,20999.5,21000.5,90",  # 3
        "2025-01-06T14:31:00Z,,6000,6001,5999.5,6000.5,120",  # 4 missing_symbol
        "2025-01-06T14:31:00Z,ES,6000.5,6001,5999.5,6000.75,10",  # 5
    ]
    if filler:
        rows.append(filler)  # 6, bad_number
    path = tmp_path / "symbols.csv"
    path.write_text("ts_utc,symbol,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    frame, report = load_bars_csv(path, "ES")
    assert len(frame) == 2 and report.other_symbols == 1
    assert report.skipped["missing_symbol"] == 1
    assert (4, "missing_symbol", rows[2]) in {(e.line, e.reason, e.text) for e in report.examples}
    assert report.rows_ok + report.rows_skipped + report.other_symbols == report.rows_read


# --- the vectorised time reader --------------------------------------------------------------
def _times(cells: list[bytes]):
    from trading_core.marketdata.csv_replay import _TS_BYTES, _parse_times_fast

    return _parse_times_fast(np.array(cells, dtype=_TS_BYTES))


def test_fast_time_reader_agrees_with_pandas_on_many_dates():
    stamps = pd.date_range("1999-12-31 23:00", "2031-03-01", freq="97h13min7s", tz="UTC")
    cells = [t.strftime("%Y-%m-%dT%H:%M:%SZ").encode() for t in stamps]
    cells[::3] = [c[:-1] for c in cells[::3]]  # naive cells read as UTC
    cells[1::5] = [c.replace(b"T", b" ") for c in cells[1::5]]
    ns, bad = _times(cells)
    assert not bad.any()
    assert (ns == stamps.as_unit("ns").asi8).all()


@pytest.mark.parametrize("cell", [
    b"2023-02-29T10:00:00Z",   # not a leap year
    b"2024-13-01T10:00:00Z",
    b"2024-01-01T24:00:00Z",
    b"now", b"today", b"",
    b"2024-01-01T10:00:00+01:00",  # an offset: pandas applies it
    b" 2024-01-01T10:00:00Z",
    b"2024-01-01T10:00:00.5Z",
])
def test_fast_time_reader_hands_unusual_cells_to_pandas(cell):
    assert _times([b"2024-01-01T10:00:00Z", cell]) is None


def test_a_file_with_offsets_and_a_bad_time_still_loads_through_pandas(tmp_path):
    path = tmp_path / "offsets.csv"
    path.write_text(
        "ts_utc,open,high,low,close,volume\n"
        "2024-01-02T10:00:00-05:00,4800,4801,4799,4800.5,10\n"
        "2024-01-02T15:01:00Z,4800.5,4801,4800,4800.75,10\n"
        "2024-02-30T15:02:00Z,4800.5,4801,4800,4800.75,10\n"
        "2024-01-02T15:03:00Z,4800.5,4801,4800,4800.75,10\n"
    )
    frame, report = load_bars_csv(path)
    assert list(frame.index.strftime("%H:%M")) == ["15:00", "15:01", "15:03"]
    assert report.skipped == {"bad_timestamp": 1}
