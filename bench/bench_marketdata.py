"""Market-data figures: CSV load, replay streaming, synthetic generation, resampling.

Prints numbers only (no assertions). Run: .venv/bin/python bench/bench_marketdata.py
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trading_core.marketdata.bars import frame_to_bars, resample, resample_frame  # noqa: E402
from trading_core.marketdata.csv_replay import CsvReplayFeed, load_bars_csv  # noqa: E402
from trading_core.marketdata.synthetic import SyntheticFeed  # noqa: E402

REAL_FILE = Path(__file__).resolve().parent.parent.parent / "shared/data/market/intraday/es_1m_2025-09-14_2025-11-14_ESZ5_quotrading.csv.gz"


def best_of(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


async def stream_all(feed) -> int:  # type: ignore[no-untyped-def]
    count = 0
    async for _ in feed.stream():
        count += 1
    return count


def main() -> None:
    if REAL_FILE.exists():
        frame, report = load_bars_csv(REAL_FILE, "ES")
        load = best_of(5, lambda: load_bars_csv(REAL_FILE, "ES"))
        print(f"CSV load  {REAL_FILE.name}: {report.rows_ok} rows in {load * 1000:.0f} ms "
              f"({report.rows_ok / load:,.0f} rows/s)")
        feed = CsvReplayFeed(REAL_FILE, "ES")
        began = time.perf_counter()
        n = asyncio.run(stream_all(feed))
        elapsed = time.perf_counter() - began
        print(f"CSV replay stream (bars built + async iteration): {n} bars in {elapsed * 1000:.0f} ms "
              f"({n / elapsed:,.0f} bars/s)")
        for tf in ("5m", "1h"):
            t = best_of(5, lambda: resample_frame(frame, tf))
            print(f"resample_frame 1m->{tf}: {len(frame)} bars in {t * 1000:.1f} ms")
        bars = frame_to_bars(frame)
        t = best_of(3, lambda: resample(bars, "5m"))
        print(f"resample(list[Bar]) 1m->5m: {len(bars)} bars in {t * 1000:.0f} ms")
    else:
        print(f"real data file not found ({REAL_FILE}); CSV figures skipped")

    synthetic = SyntheticFeed(symbols=("ES",), seed=42, realtime=False)
    runs = [best_of(1, lambda: synthetic.generate_frame(1_000_000)) for _ in range(3)]
    print(f"SyntheticFeed.generate_frame(1,000,000) ES: {statistics.median(runs):.2f} s (median of 3)")
    two = SyntheticFeed(symbols=("ES", "MNQ"), seed=42, realtime=False)
    print(f"SyntheticFeed.generate_frame(1,000,000) ES+MNQ: {best_of(1, lambda: two.generate_frame(1_000_000)):.2f} s")
    for quotes in (0, 4):
        feed = SyntheticFeed(symbols=("ES",), realtime=False, quotes_per_bar=quotes, max_bars=100_000)
        began = time.perf_counter()
        n = asyncio.run(stream_all(feed))
        elapsed = time.perf_counter() - began
        print(f"SyntheticFeed.stream() quotes_per_bar={quotes}: {n} events in {elapsed:.2f} s "
              f"({100_000 / elapsed:,.0f} bars/s)")


if __name__ == "__main__":
    main()
