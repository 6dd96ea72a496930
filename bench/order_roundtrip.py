"""Order round trip: Engine.place_order → risk gate → paper broker fill → ledger commit.

Prints p50/p99/max in milliseconds over N market orders (target p99 ≤ 2 ms). Each order is placed,
then the next price arrives and the paper broker fills it; the fill and the order status are
committed to the SQLite ledger (WAL) before the clock stops.
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trading_core.api import Engine  # noqa: E402
from trading_core.broker.paper import PaperBroker  # noqa: E402
from trading_core.clock import MarketClock  # noqa: E402
from trading_core.config import load_config  # noqa: E402
from trading_core.instruments import get_instrument  # noqa: E402
from trading_core.types import OrderRequest, OrderStatus, Side  # noqa: E402

N = 3000


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(env={}, overrides={"data_dir": tmp, "risk": {
            "max_orders_per_minute": 10_000, "max_position_per_symbol": 10_000, "max_total_position": 10_000}})
        engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
        await engine.start(run_feed=False)
        t = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)
        engine.on_price("ES", 6000.0, t)
        place, total = [], []
        for i in range(N):
            side = Side.BUY if i % 2 == 0 else Side.SELL
            t0 = time.perf_counter()
            res = await engine.place_order(OrderRequest("ES", side, 1, client_order_id=f"b{i}"))
            t1 = time.perf_counter()
            t += timedelta(milliseconds=100)
            engine.on_price("ES", 6000.0 if side is Side.BUY else 6002.0, t)  # next price: fill + ledger commit (winning round trips)
            t2 = time.perf_counter()
            assert res.accepted, res.rejection
            assert engine.ledger.get_order(res.order.order_id).status is OrderStatus.FILLED
            place.append((t1 - t0) * 1e3)
            total.append((t2 - t0) * 1e3)
        await engine.stop()
        engine.close()
    print(f"order round trip (API -> risk -> paper fill -> ledger commit), {N} market orders, SQLite WAL synchronous=NORMAL")
    print(f"  place_order (risk + ledger insert + submit): p50 {statistics.median(place):.3f} ms  p99 {pct(place, 0.99):.3f} ms")
    print(f"  round trip incl. fill commit:                p50 {statistics.median(total):.3f} ms  p99 {pct(total, 0.99):.3f} ms  max {max(total):.3f} ms  (target p99 <= 2 ms)")


if __name__ == "__main__":
    asyncio.run(main())
