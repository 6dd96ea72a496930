"""Ledger commit latency, paper broker `on_price` cost and portfolio accounting cost.

Run from the repository root:  .venv/bin/python bench/ledger_and_paper_broker.py [--n 5000]

Ledger: each call (insert_order, record_fill, append_event, record_equity) is one committed
transaction, timed on its own with perf_counter_ns, on a file in a temporary directory, for
synchronous=NORMAL (the default: survives kill -9) and FULL (also survives power loss).
Paper broker: ns per `on_price` when nothing works on the symbol, with a bracket resting outside
the price band, and a market order submit -> fill. Prints figures only; targets are not asserted
(ledger: well under 1 ms per commit; on_price: cheap enough for the replay benchmark).
"""
from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trading_core.broker.paper import PaperBroker  # noqa: E402
from trading_core.ledger import Ledger  # noqa: E402
from trading_core.portfolio import Portfolio  # noqa: E402
from trading_core.types import (  # noqa: E402
    FillEvent,
    EngineEvent,
    EventKind,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Severity,
    Side,
)

try:
    from trading_core.instruments import get_instrument  # noqa: E402
except ImportError:  # the instruments module of another area is not there yet

    @dataclass(frozen=True)
    class _Spec:
        symbol: str
        multiplier: Decimal
        tick_size: float
        tick_value: Decimal

    _SPECS = {"ES": _Spec("ES", Decimal(50), 0.25, Decimal("12.50")), "MNQ": _Spec("MNQ", Decimal(2), 0.25, Decimal("0.50"))}

    def get_instrument(symbol: str) -> _Spec:  # type: ignore[misc]
        return _SPECS[symbol.upper()]


T0 = datetime(2025, 3, 10, 14, 30, tzinfo=timezone.utc)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def show(label: str, ns: list[int]) -> None:
    us = [v / 1000 for v in ns]
    print(f"  {label:<34} p50 {pct(us, 50):8.1f} µs   p99 {pct(us, 99):8.1f} µs   max {max(us):9.1f} µs   mean {statistics.fmean(us):7.1f} µs")


def bench_ledger(n: int, sync: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        led = Ledger(Path(d) / "bench.sqlite3", synchronous=sync)  # type: ignore[arg-type]
        ins, fil, ev, eq, brk = [], [], [], [], []
        for i in range(n):
            ts = T0 + timedelta(seconds=i)
            o = Order(f"O{i}", f"C{i}", "ES", Side.BUY, 1, OrderType.MARKET, OrderStatus.PENDING, ts)
            t = time.perf_counter_ns()
            led.insert_order(o)
            ins.append(time.perf_counter_ns() - t)
            o = replace(o, status=OrderStatus.FILLED, filled_quantity=1, avg_fill_price=5000.25)
            f = Fill(f"F{i}", o.order_id, "ES", Side.BUY, 1, 5000.25, Decimal("2.25"), ts)
            t = time.perf_counter_ns()
            led.record_fill(f, o)
            fil.append(time.perf_counter_ns() - t)
            e = EngineEvent(EventKind.FILL, Severity.INFO, ts, FillEvent(f, o), "ES")
            t = time.perf_counter_ns()
            led.append_event(e)
            ev.append(time.perf_counter_ns() - t)
            t = time.perf_counter_ns()
            led.record_equity(ts, Decimal("100000.25"), Decimal("12.5"), Decimal("-3"))
            eq.append(time.perf_counter_ns() - t)
            if i % 10 == 0:
                p = Order(f"B{i}", f"CB{i}", "ES", Side.BUY, 1, OrderType.LIMIT, OrderStatus.PENDING, ts, limit_price=4990.0)
                sl = Order(f"S{i}", f"CS{i}", "ES", Side.SELL, 1, OrderType.STOP, OrderStatus.PENDING, ts, stop_price=4980.0, parent_id=p.order_id, oco_group=f"G{i}")
                tp = Order(f"T{i}", f"CT{i}", "ES", Side.SELL, 1, OrderType.LIMIT, OrderStatus.PENDING, ts, limit_price=5010.0, parent_id=p.order_id, oco_group=f"G{i}")
                t = time.perf_counter_ns()
                led.insert_orders([p, sl, tp])
                brk.append(time.perf_counter_ns() - t)
        print(f"ledger, synchronous={sync}, {n} of each:")
        show("insert_order", ins)
        show("insert_orders (bracket, 3 orders)", brk)
        show("record_fill (fill + order status)", fil)
        show("append_event", ev)
        show("record_equity", eq)
        led.close()


def bench_checkpoint_placement(n: int) -> None:
    """The same paced stream of insert_order with SQLite's automatic checkpoint (inside a commit) and
    with the ledger's background checkpointer (the default)."""
    print(f"ledger, paced insert_order stream ({n} orders, 0.2 ms apart), where the WAL checkpoint runs:")
    for label, interval in (("inside commits (SQLite auto)", None), ("background thread (default)", 0.5)):
        with tempfile.TemporaryDirectory() as d:
            led = Ledger(Path(d) / "bench.sqlite3", checkpoint_interval_s=interval)
            lat = []
            for i in range(n):
                o = Order(f"O{i}", f"C{i}", "ES", Side.BUY, 1, OrderType.MARKET, OrderStatus.PENDING, T0)
                t = time.perf_counter_ns()
                led.insert_order(o)
                lat.append(time.perf_counter_ns() - t)
                time.sleep(0.0002)
            led.close()
        show(label, lat)
        print(f"  {'':34} commits over 1 ms: {sum(v > 1_000_000 for v in lat)}")


def per_call_ns(fn, calls: int) -> float:
    t = time.perf_counter_ns()
    fn(calls)
    return (time.perf_counter_ns() - t) / calls


async def bench_paper(calls: int) -> None:
    b = PaperBroker(get_instrument)
    events: list[object] = []
    b.set_event_sink(events.append)
    await b.connect()
    ts = T0
    prices = [5000.0 + (i % 16) * 0.25 for i in range(calls)]

    def idle(n: int) -> None:
        on = b.on_price
        for p in prices[:n]:
            on("ES", p, ts)

    print(f"paper broker, {calls} prices:")
    print(f"  on_price, nothing working            {per_call_ns(idle, calls):8.0f} ns/call")
    p = Order("P", "c", "ES", Side.BUY, 1, OrderType.LIMIT, OrderStatus.PENDING, ts, limit_price=4900.0)
    sl = Order("SL", "c1", "ES", Side.SELL, 1, OrderType.STOP, OrderStatus.PENDING, ts, stop_price=4890.0, parent_id="P", oco_group="G")
    tp = Order("TP", "c2", "ES", Side.SELL, 1, OrderType.LIMIT, OrderStatus.PENDING, ts, limit_price=5100.0, parent_id="P", oco_group="G")
    await b.submit([p, sl, tp])
    print(f"  on_price, bracket resting off-band   {per_call_ns(idle, calls):8.0f} ns/call")
    rt = []
    for i in range(2000):
        o = Order(f"M{i}", f"m{i}", "ES", Side.BUY if i % 2 else Side.SELL, 1, OrderType.MARKET, OrderStatus.PENDING, ts)
        t = time.perf_counter_ns()
        await b.submit([o])
        b.on_price("ES", 5000.0, ts)
        rt.append(time.perf_counter_ns() - t)
    show("market submit -> fill (2000)", rt)


def bench_portfolio(calls: int) -> None:
    pf = Portfolio(get_instrument, Decimal("100000"))
    fills = [
        Fill(f"F{i}", f"O{i}", "ES", Side.BUY if i % 2 == 0 else Side.SELL, 1, 5000.0 + (i % 7) * 0.25, Decimal("2.25"), T0)
        for i in range(calls)
    ]

    def apply(n: int) -> None:
        for f in fills[:n]:
            pf.apply_fill(f)

    def mark(n: int) -> None:
        for i in range(n):
            pf.mark("ES", 5000.0)

    print(f"portfolio, {calls} fills:")
    print(f"  apply_fill (alternating open/close)  {per_call_ns(apply, calls):8.0f} ns/call")
    print(f"  mark                                 {per_call_ns(mark, calls):8.0f} ns/call")
    pf.apply_fill(Fill("X", "OX", "ES", Side.BUY, 2, 5000.0, Decimal("4.5"), T0))
    print(f"  account() with a position            {per_call_ns(lambda n: [pf.account(T0) for _ in range(n)], 20000):8.0f} ns/call")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="ledger transactions of each kind")
    ap.add_argument("--prices", type=int, default=500_000, help="prices fed to the paper broker")
    args = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, sqlite in WAL mode")
    bench_ledger(args.n, "NORMAL")
    bench_ledger(max(200, args.n // 10), "FULL")
    bench_checkpoint_placement(args.n)
    asyncio.run(bench_paper(args.prices))
    bench_portfolio(min(args.prices, 100_000))


if __name__ == "__main__":
    main()
