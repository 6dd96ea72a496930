"""Interactive Brokers path: order submit → fill event latency, and ib_async's request throttle.

Runs the fake TWS (tests/fakes/tws.py, real socket protocol) on 127.0.0.1 as a separate process (default;
`--fake thread` runs it in a thread of this process, which shares the GIL and adds its 5 ms switch
interval to the tail latencies), and drives `IBBroker` with the real ib_async client:

1. Paced: market orders one at a time at `--rate` orders/s (below the throttle). Latency from
   `IBBroker.submit` to the WORKING acknowledgement and to the FILLED event (fill + commission report,
   which the broker waits for) as the engine's event sink receives them.
2. Burst: `--burst` market orders submitted back to back. ib_async sends at most 45 requests per
   second (Client.MaxRequests / RequestsInterval) and queues the rest. The times at which messages leave
   ib_async for the socket (recorded around its `Connection.sendMsg`) and the times the fake reads
   them show the rate actually sent; fill latency shows the queueing the throttle causes.

Prints the figures; no pass/fail.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ib_async.client import Client  # noqa: E402

from tests.fakes.tws import FakeTws  # noqa: E402
from trading_core.broker.base import BrokerEvent, OrderUpdate  # noqa: E402
from trading_core.broker.ib import IBBroker  # noqa: E402
from trading_core.config import IbConfig  # noqa: E402
from trading_core.types import Order, OrderStatus, OrderType, Side  # noqa: E402

ACCOUNT = "DU1234567"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def summary(name: str, seconds: list[float]) -> str:
    ms = [v * 1000 for v in seconds]
    return (f"{name:<34} n={len(ms):4d}  p50={pct(ms, 0.50):7.2f} ms  p90={pct(ms, 0.90):7.2f} ms  "
            f"p99={pct(ms, 0.99):7.2f} ms  max={max(ms):7.2f} ms  mean={statistics.fmean(ms):7.2f} ms")


def rate_lines(what: str, times: list[float]) -> None:
    """Count, span, and the most messages seen in any sliding 1-second window."""
    times = sorted(times)
    span = times[-1] - times[0]
    busiest, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        busiest = max(busiest, i - j + 1)
    per_second = Counter(int(t - times[0]) for t in times)
    print(f"   {what}: {len(times)} over {span:.2f} s = {(len(times) - 1) / span:.1f}/s; busiest 1-s sliding "
          f"window {busiest}; per second from the first: " + ", ".join(str(per_second[k]) for k in sorted(per_second)))


class FakeInThread:
    """The fake TWS running in its own thread and event loop (a stand-in for the TWS process)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.tws = FakeTws((ACCOUNT,))
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-tws", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.tws.start())
        self._ready.set()
        self.loop.run_forever()

    def start(self) -> int:
        self._thread.start()
        self._ready.wait(5)
        return self.tws.port

    @property
    def placed_ts(self) -> list[float]:
        return [p.ts for p in self.tws.placed]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.tws.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


class FakeInProcess:
    """The fake TWS as a child process (`python -m tests.fakes.tws`); it reports the arrival time of
    every placeOrder when it stops (CLOCK_MONOTONIC, the same clock as this process's perf_counter)."""

    def __init__(self) -> None:
        root = Path(__file__).resolve().parents[1]
        self._log = tempfile.NamedTemporaryFile(suffix=".json", delete=False)
        self._log.close()
        self.placed_ts: list[float] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.tws", "--account", ACCOUNT, "--requests-log", self._log.name],
            cwd=root, stdout=subprocess.PIPE, text=True,
        )

    def start(self) -> int:
        assert self.proc.stdout is not None
        return int(self.proc.stdout.readline())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)
        with open(self._log.name, encoding="utf-8") as fh:
            self.placed_ts = json.load(fh)["placed"]
        os.unlink(self._log.name)


class Timing:
    """Event sink recording when each order's WORKING and FILLED events arrive."""

    def __init__(self) -> None:
        self.acked: dict[str, float] = {}
        self.filled: dict[str, float] = {}
        self.done: dict[str, asyncio.Event] = {}

    def __call__(self, event: BrokerEvent) -> None:
        if not isinstance(event, OrderUpdate):
            return
        now = time.perf_counter()
        if event.status is OrderStatus.WORKING and event.fill is None:
            self.acked.setdefault(event.order_id, now)
        elif event.status is OrderStatus.FILLED:
            self.filled[event.order_id] = now
            waiter = self.done.get(event.order_id)
            if waiter is not None:
                waiter.set()


def market(i: int, prefix: str) -> Order:
    return Order(f"{prefix}-{i}", f"c-{prefix}-{i}", "ES", Side.BUY if i % 2 == 0 else Side.SELL, 1,
                 OrderType.MARKET, OrderStatus.PENDING, datetime.now(timezone.utc))


async def run(paced: int, rate: float, burst: int, mode: str) -> None:
    fake: FakeInThread | FakeInProcess = FakeInThread() if mode == "thread" else FakeInProcess()
    port = fake.start()
    broker = IBBroker(IbConfig(port=port, account=ACCOUNT, client_id=7), commission_wait_s=2.0)
    timing = Timing()
    broker.set_event_sink(timing)
    throttle: list[tuple[str, float]] = []
    broker.ib.client.throttleStart += lambda: throttle.append(("start", time.perf_counter()))
    broker.ib.client.throttleEnd += lambda: throttle.append(("end", time.perf_counter()))
    burst_start: float | None = None
    # When each message actually leaves ib_async for the socket (timing only: the call goes through).
    sent: list[float] = []
    conn = broker.ib.client.conn
    send_bytes = conn.sendMsg

    def timed_send(msg: bytes) -> None:
        sent.append(time.perf_counter())
        send_bytes(msg)

    conn.sendMsg = timed_send  # type: ignore[method-assign]
    await broker.connect()
    print(f"fake TWS 127.0.0.1:{port} (own {mode}), ib_async throttle: {Client.MaxRequests} requests per "
          f"{Client.RequestsInterval} s")
    try:
        # 1. paced orders
        acks, fills = [], []
        for i in range(paced):
            order = market(i, "P")
            timing.done[order.order_id] = asyncio.Event()
            t0 = time.perf_counter()
            await broker.submit([order])
            await asyncio.wait_for(timing.done[order.order_id].wait(), 5)
            acks.append(timing.acked[order.order_id] - t0)
            fills.append(timing.filled[order.order_id] - t0)
            await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - t0)))
        print(f"\n1. paced market orders at {rate:g}/s (below the throttle)")
        print(summary("submit -> WORKING ack", acks))
        print(summary("submit -> FILLED (with commission)", fills))

        # 2. burst
        await asyncio.sleep(1.1)  # let the throttle window empty
        orders = [market(i, "B") for i in range(burst)]
        for o in orders:
            timing.done[o.order_id] = asyncio.Event()
        throttle.clear()
        t0 = time.perf_counter()
        for o in orders:
            await broker.submit([o])
        submit_s = time.perf_counter() - t0
        await asyncio.wait_for(asyncio.gather(*(timing.done[o.order_id].wait() for o in orders)), 60)
        wall = time.perf_counter() - t0
        burst_fills = [timing.filled[o.order_id] - t0 for o in orders]
        print(f"\n2. burst of {burst} market orders submitted back to back")
        print(f"   IBBroker.submit calls returned after {submit_s * 1000:.1f} ms (orders queued in ib_async)")
        burst_start = t0
        starts = [t for kind, t in throttle if kind == "start"]
        ends = [t for kind, t in throttle if kind == "end"]
        if starts:
            print(f"   throttling began {1000 * (starts[0] - t0):.1f} ms into the burst and ended after "
                  f"{(ends[-1] - t0) if ends else float('nan'):.2f} s ({len(starts)} throttle period(s))")
        print(f"   all {burst} fills received after {wall:.2f} s")
        print(summary("burst: submit -> FILLED", burst_fills))
    finally:
        await broker.disconnect()
        fake.stop()
    if burst_start is not None:
        rate_lines("messages sent by ib_async      ", [t for t in sent if t >= burst_start])
        rate_lines("placeOrder messages read by TWS", [t for t in fake.placed_ts if t >= burst_start])
        print("   (the fake reads in batches when its process is not scheduled, so its windows can look fuller)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200, help="paced orders (default 200)")
    parser.add_argument("--rate", type=float, default=20.0, help="paced orders per second (default 20)")
    parser.add_argument("--burst", type=int, default=200, help="orders in the burst (default 200)")
    parser.add_argument("--fake", choices=["process", "thread"], default="process", help="where the fake TWS runs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("ib_async").setLevel(logging.CRITICAL)
    asyncio.run(run(args.orders, args.rate, args.burst, args.fake))


if __name__ == "__main__":
    main()
