"""How much one dashboard update and one monitor sample cost, after a busy paper session.

Builds a paper engine, plays N round-trip trades on ES (one price per minute), then times:
- DashboardState.snapshot() + JSON encoding (what every SSE push costs, once for all open pages);
- Monitor.sample() (psutil + trading metrics + thresholds);
- the mentor's daily report;
- writing the dashboard's own PNG figures (equity, system).
Prints the figures; asserts nothing.

    .venv/bin/python bench/dashboard_snapshot.py [--trades 500]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.dashboard.figures import equity_figure, system_figure  # noqa: E402
from assistant.dashboard.state import DashboardState, clean  # noqa: E402
from assistant.mentor import report_from_engine  # noqa: E402
from assistant.monitor import Monitor  # noqa: E402
from trading_core.api import Engine  # noqa: E402
from trading_core.broker.paper import PaperBroker  # noqa: E402
from trading_core.clock import MarketClock  # noqa: E402
from trading_core.config import load_config  # noqa: E402
from trading_core.instruments import get_instrument  # noqa: E402
from trading_core.types import OrderRequest, Side  # noqa: E402

T0 = datetime(2026, 11, 16, 14, 30, tzinfo=timezone.utc)  # Monday 09:30 New York


def timed(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.2f} ms, max {max(samples) * 1000:.2f} ms (n={len(samples)})"


async def main(n_trades: int, repeats: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    data = Path(tempfile.mkdtemp(prefix="mia-bench-dash-"))
    cfg = load_config(env={}, overrides={"data_dir": str(data), "risk": {"max_orders_per_minute": 10000,
                                                                         "daily_loss_limit": 10_000_000,
                                                                         "max_consecutive_losses": 100}})
    broker = PaperBroker(get_instrument, slippage_ticks=1, commission_per_contract=cfg.paper.commission_per_contract)
    engine = Engine(cfg, broker, clock=MarketClock(), mode="paper")
    await engine.start(run_feed=False)
    price, minute = 6000.0, 0
    engine.on_price("ES", price, T0)
    engine.on_price("MNQ", 21000.0, T0)
    t = time.perf_counter()
    for i in range(n_trades):
        for side in (Side.BUY, Side.SELL):
            await engine.place_order(OrderRequest("ES", side, 1 + i % 3, source="bench"))
            minute += 1
            price += 0.25 * ((i * 7919) % 17 - 8)
            engine.on_price("ES", price, T0 + timedelta(seconds=15 * minute))  # stays inside the day session
    play_s = time.perf_counter() - t
    print(f"played {n_trades} round trips ({len(engine.portfolio.closed_trades)} closed trades, "
          f"{len(engine.ledger.equity_curve())} equity points) in {play_s:.2f} s")

    monitor = Monitor(cfg, engine=engine)
    for i in range(20):
        monitor.latency.record("total", 0.5 + i / 40)
    state = DashboardState(engine, cfg, monitor=monitor, intelligence=False)
    snaps, sizes = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        state.sample_prices()
        text = json.dumps(clean(await state.snapshot()), separators=(",", ":"))
        snaps.append(time.perf_counter() - t)
        sizes.append(len(text.encode()))
    print(f"dashboard snapshot + JSON: {timed(snaps)}; payload {statistics.median(sizes) / 1024:.1f} KiB")

    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        await monitor.sample(alert=False)
        samples.append(time.perf_counter() - t)
    print(f"monitor sample: {timed(samples)}")

    t = time.perf_counter()
    report = await report_from_engine(engine, None)
    print(f"mentor daily report ({report.metrics.trades} trades, {len(report.lessons)} lessons): "
          f"{(time.perf_counter() - t) * 1000:.1f} ms")

    snap = clean(await state.snapshot())
    out = data / "figures"
    out.mkdir(parents=True, exist_ok=True)
    for run in ("first (imports, font cache)", "next"):
        t = time.perf_counter()
        equity_figure(snap, out / "eq.png")
        system_figure(snap, out / "sys.png")
        print(f"dashboard PNG figures (equity + system), {run}: {(time.perf_counter() - t) * 1000:.0f} ms")
    await engine.stop()
    engine.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trades", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=30)
    a = ap.parse_args()
    asyncio.run(main(a.trades, a.repeats))
