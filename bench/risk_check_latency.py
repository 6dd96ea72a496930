"""Pre-trade risk check latency: p50 / p99 / max of `RiskGate.check` in microseconds.

Run from the repository root:  .venv/bin/python bench/risk_check_latency.py [--calls 200000]

A realistic book (ES long, MNQ short, working orders, live prices, 20 orders in the throttle
window) and a mix of orders that are accepted (market, limit, stop, bracket, flatten while
HALTED) and refused (size, position limit, price band, off-tick, bracket side, daily loss,
HALTED, rate limit). Every call is timed on its own with perf_counter_ns; the garbage collector
stays on, as in the engine. Prints figures only: the target (p99 ≤ 50 µs) is not asserted.
"""
from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trading_core.config import RiskConfig  # noqa: E402

from trading_core.instruments import get_instrument  # noqa: E402
from trading_core.risk.gate import OrderIntent, RiskContext, RiskGate  # noqa: E402
from trading_core.types import OrderType, Side, TradingState  # noqa: E402

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=timezone.utc)


def scenarios() -> list[tuple[str, bool, RiskContext, OrderIntent]]:
    """(name, expected accepted, context, order)."""
    base = RiskContext(
        now=NOW,
        state=TradingState.ACTIVE,
        market_open=True,
        positions={"ES": 3, "MNQ": -4},
        pending={"ES": 1},
        last_prices={"ES": 6012.25, "MNQ": 21450.5},
        equity=Decimal("101234.50"),
        balance=Decimal("100850.00"),
        pnl_today=Decimal("-412.75"),
        consecutive_losses=2,
    )
    halted = replace(base, state=TradingState.HALTED)
    losing = replace(base, pnl_today=Decimal("-2150.25"))
    B, S = Side.BUY, Side.SELL
    return [
        ("accept market", True, base, OrderIntent("ES", B, 2)),
        ("accept limit", True, base, OrderIntent("ES", B, 1, OrderType.LIMIT, limit_price=6005.5)),
        ("accept stop", True, base, OrderIntent("MNQ", S, 2, OrderType.STOP, stop_price=21400.0)),
        (
            "accept bracket", True, base,
            OrderIntent("ES", B, 2, OrderType.BRACKET, limit_price=6010.0, stop_loss=5998.0, take_profit=6034.0),
        ),
        ("accept flatten halted", True, halted, OrderIntent("ES", S, 3)),
        ("reject qty", False, base, OrderIntent("ES", B, 10_000)),
        ("reject position", False, base, OrderIntent("ES", B, 7)),
        ("reject band", False, base, OrderIntent("ES", B, 1, OrderType.LIMIT, limit_price=6500.0)),
        ("reject off-tick", False, base, OrderIntent("ES", B, 1, OrderType.LIMIT, limit_price=6005.1)),
        (
            "reject bracket side", False, base,
            OrderIntent("ES", S, 1, OrderType.BRACKET, stop_loss=6000.0, take_profit=5990.0),
        ),
        ("reject daily loss", False, losing, OrderIntent("MNQ", S, 1)),
        ("reject halted", False, halted, OrderIntent("ES", B, 1)),
    ]


def percentile(sorted_values: list[int], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index] / 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000, help="timed check() calls (default 200000)")
    args = parser.parse_args()
    if args.calls < len(scenarios()):
        parser.error(f"--calls must be at least {len(scenarios())}")

    gate = RiskGate(RiskConfig(), get_instrument)
    # 20 orders already in the last minute (limit 30): the throttle does real work on every call.
    for i in range(20):
        gate.record(NOW - timedelta(seconds=55 - 2 * i))
    cases = scenarios()
    for name, accepted, ctx, order in cases:  # sanity: each case takes the path its name says
        verdict = gate.check(ctx, order)
        if (verdict is None) != accepted:
            raise SystemExit(f"bench case {name!r} did not take the expected path: {verdict}")

    # One extra case refused by the throttle, on a gate whose window is full.
    full = RiskGate(RiskConfig(max_orders_per_minute=20), get_instrument)
    for i in range(20):
        full.record(NOW - timedelta(seconds=55 - 2 * i))
    throttle_case = ("reject rate limit", False, cases[0][2], OrderIntent("ES", Side.BUY, 1))
    if full.check(throttle_case[2], throttle_case[3]) is None:
        raise SystemExit("bench case 'reject rate limit' was accepted")

    plan = [(gate, c) for c in cases] + [(full, throttle_case)]
    for g, (_, _, ctx, order) in plan * 200:  # warm-up: caches, branch paths
        g.check(ctx, order)

    per_case: dict[str, list[int]] = {c[0]: [] for _, c in plan}
    all_ns: list[int] = []
    clock = time.perf_counter_ns
    n_plan = len(plan)
    for i in range(args.calls):
        g, (name, _, ctx, order) = plan[i % n_plan]
        t0 = clock()
        g.check(ctx, order)
        dt = clock() - t0
        all_ns.append(dt)
        per_case[name].append(dt)

    # Timer overhead, to read the figures honestly.
    overhead = []
    for _ in range(20_000):
        t0 = clock()
        overhead.append(clock() - t0)

    print(f"risk check latency — {args.calls} calls, Python {platform.python_version()}, "
          f"{platform.machine()}, gc {'on' if gc.isenabled() else 'off'}")
    print(f"timer overhead median {statistics.median(overhead) / 1000:.3f} µs (included below)")
    print(f"{'path':<24}{'calls':>8}{'p50 µs':>10}{'p99 µs':>10}{'max µs':>10}")

    def row(label: str, values: list[int]) -> None:
        s = sorted(values)
        print(f"{label:<24}{len(s):>8}{percentile(s, 0.50):>10.2f}{percentile(s, 0.99):>10.2f}{s[-1] / 1000:>10.2f}")

    accepted_ns = [v for (_, (n, ok, _, _)) in plan if ok for v in per_case[n]]
    rejected_ns = [v for (_, (n, ok, _, _)) in plan if not ok for v in per_case[n]]
    row("ALL", all_ns)
    row("accepting paths", accepted_ns)
    row("rejecting paths", rejected_ns)
    for name, values in per_case.items():
        row("  " + name, values)
    print("target: p99 ≤ 50 µs per check")


if __name__ == "__main__":
    main()
