"""kill -9 in the middle of a burst of orders and fills: the reopened ledger holds exactly the
committed transactions, each complete."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.core_broker.ledger_burst_writer import bracket, fill_for
from trading_core.ledger import Ledger
from trading_core.types import OrderStatus

ROOT = Path(__file__).resolve().parents[2]


def _burst_then_kill(db: Path, start: int, committed_before_kill: int) -> int:
    """Run the writer, SIGKILL it once it reported `committed_before_kill` commits; returns the
    last index it reported as committed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.core_broker.ledger_burst_writer", str(db), str(start)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    last = start - 1
    deadline = time.monotonic() + 60
    try:
        assert proc.stdout is not None
        while last < start + committed_before_kill - 1:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"writer ended early: {proc.stderr.read() if proc.stderr else ''}")
            last = int(line)
            assert time.monotonic() < deadline, "writer too slow"
        os.kill(proc.pid, signal.SIGKILL)  # mid-burst: it is writing the next steps right now
        proc.wait(timeout=10)
        # Lines the writer printed before dying but we had not read yet are commits too.
        for line in proc.stdout.read().splitlines():
            last = int(line)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return last


def _check_consistent(db: Path, reported_last: int, unfilled_before: set[int]) -> set[int]:
    """Every reported commit is intact; nothing is half written. `unfilled_before` are brackets that
    an earlier run left without their fill (the step in flight at its kill); returns the updated set."""
    with Ledger(db) as led:  # opening runs SQLite's integrity check and WAL recovery
        orders = {o.order_id: o for o in led.orders(limit=None)}
        fills = led.fills()
        fill_ids = {f.fill_id for f in fills}
        # Every fill's order exists, with the status written in the same transaction.
        for f in fills:
            o = orders[f.order_id]
            assert o.status is OrderStatus.FILLED and o.filled_quantity == f.quantity
            assert o.avg_fill_price == f.price
        indices = sorted(int(oid[1:]) for oid in orders if oid.startswith("P"))
        assert indices == list(range(indices[0], indices[-1] + 1))
        last = indices[-1]
        assert last >= reported_last  # nothing the writer saw committed is missing
        assert last <= reported_last + 1  # at most the one step in flight after the last report
        for i in indices:
            expected = bracket(i)
            # The bracket transaction is all or nothing.
            assert all(e.order_id in orders for e in expected), f"bracket {i} half written"
            fill, done = fill_for(expected[0], i)
            if f"F{i}" in fill_ids:
                assert orders[f"P{i}"] == done
                assert [x for x in fills if x.fill_id == f"F{i}"] == [fill]
            else:
                # Only the step in flight at a kill may lack its fill; its parent is then untouched.
                assert i in unfilled_before or (i == last and i > reported_last), f"bracket {i} lost its fill"
                assert orders[f"P{i}"] == expected[0]
                unfilled_before = unfilled_before | {i}
            assert orders[f"S{i}"] == expected[1] and orders[f"T{i}"] == expected[2]
        # No orphan order: three orders per bracket.
        assert len(orders) == 3 * len(indices)
        return unfilled_before


def test_sigkill_mid_burst_leaves_exactly_the_committed_state(tmp_path: Path) -> None:
    db = tmp_path / "burst.sqlite3"
    start = 0
    unfilled: set[int] = set()
    # Three runs on the same file, each killed at a different point of its burst; after every kill
    # the reopened ledger is consistent and the next run carries on after the last bracket.
    for burst in (150, 37, 211):
        reported = _burst_then_kill(db, start, burst)
        unfilled = _check_consistent(db, reported, unfilled)
        with Ledger(db) as led:
            start = max(int(o.order_id[1:]) for o in led.orders(limit=None) if o.order_id.startswith("P")) + 1
