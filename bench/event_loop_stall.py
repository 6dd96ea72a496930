"""Event-loop stalls of `mia run`: the longest time the asyncio loop could not run anything (prices,
fills, the loss check, voice, Telegram all wait meanwhile), per phase. Target: <= 50 ms.

A probe coroutine sleeps 5 ms at a time on the loop and records how late it wakes up: the lateness is
the stall. Phases, in one process, on the real `mia run` code (engine + simulated market with its
10-hour warm-up + control socket + the front ends of runner.FRONT_ENDS, typed input off):
1. start-up on a fresh data folder, until every symbol has a live price, plus 2 s of live market;
2. the first market-regime query (models trained from scratch: seconds of CPU), as voice and Telegram
   ask it (through the dialogue);
3. the first SHAP query (top features);
4. a restart on the same folder (the models load from their checkpoints and follow the warm-up bars);
5. a replay through the live engine (`mia replay --engine`) of a real ES month.
Printed per phase: longest stall, 99th percentile of the probe's lateness, wall time, and the process
CPU time (less sensitive to other processes than wall time).

Run: .venv/bin/python bench/event_loop_stall.py [--quick]   (--quick: a shorter replay)
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trading_core.config import load_config  # noqa: E402

MARKET = REPO.parent / "shared" / "data" / "market" / "intraday" / "es_1m_2019-09-01_2019-09-30_quantcs109.csv.gz"
PROBE_S = 0.005
TARGET_MS = 50.0


class StallProbe:
    """Wakes every PROBE_S on the loop; how late it wakes is how long the loop was busy elsewhere."""

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self.woke: list[float] = []  # perf_counter time of each wake-up
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(PROBE_S)
            now = time.perf_counter()
            self.lateness.append(now - t0 - PROBE_S)
            self.woke.append(now)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def take(self) -> list[float]:
        out, self.lateness, self.woke = self.lateness, [], []
        return out

    def take_split(self, at: float) -> tuple[list[float], list[float]]:
        """The lateness of wake-ups before / after perf_counter time `at` (a stall that ends after
        `at` counts after: the loop was already expected to serve)."""
        before = [x for x, w in zip(self.lateness, self.woke) if w < at]
        after = [x for x, w in zip(self.lateness, self.woke) if w >= at]
        self.take()
        return before, after


def _row(name: str, late: list[float], wall: float, cpu: float) -> tuple:
    late = late or [0.0]
    p99 = statistics.quantiles(late, n=100)[98] if len(late) >= 100 else max(late)
    return (name, max(late) * 1000, p99 * 1000, wall, cpu, len(late))


async def phase(name: str, probe: StallProbe, work: Callable[[], Awaitable[Any]], rows: list[tuple],
                split: Callable[[Any], tuple[str, float] | None] | None = None) -> Any:
    """Run `work` and record the probe's figures. `split(result)` may name a moment (perf_counter)
    that divides the phase in two rows (start-up: before and after the engine starts serving)."""
    await asyncio.sleep(2 * PROBE_S)  # the probe's pending wake-up belongs to the phase before
    probe.take()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = await work()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    await asyncio.sleep(2 * PROBE_S)  # a stall at the very end is woken up and counted here
    cut = split(result) if split is not None else None
    if cut is None:
        rows.append(_row(name, probe.take(), wall, cpu))
    else:
        label, at = cut
        before, after = probe.take_split(at)
        rows.append(_row(f"{name}: {label[0]}", before, at - wall0, float("nan")))
        rows.append(_row(f"{name}: {label[1]}", after, wall0 + wall - at, float("nan")))
    return result


def _engine_started(session: Any) -> tuple[tuple[str, str], float]:
    """perf_counter time at which the engine started (its feed and the socket serve from then on)."""
    from datetime import datetime, timezone

    ago = (datetime.now(timezone.utc) - session.engine._started_ts).total_seconds()
    return ("imports and set-up, engine not yet serving", "engine serving (feed, socket)"), time.perf_counter() - ago


async def start_run(data_dir: Path) -> Any:
    """`mia run --input none --no-speech` on `data_dir`: runner.open_session, what `mia run` runs."""
    from assistant.app.run import open_session

    config = load_config(env={}, overrides={"data_dir": str(data_dir)})
    args = argparse.Namespace(input="none", no_speech=True, live=False, paper=True, backend=None, lang="en",
                              duration=None, market=None, speed=None, config=None, data_dir=str(data_dir))
    session = await open_session(args, config, asyncio.Event(), "en")
    assert session is not None, "mia run could not start"
    return session


async def stop_run(session: Any) -> None:
    from assistant.app.run import close_session

    session.ctx.stop.set()
    await close_session(session)
    session.engine.close()


async def live_prices(engine: Any, then_s: float = 2.0) -> None:
    while not all(engine.has_current_price(s) for s in engine.symbols):
        await asyncio.sleep(0.01)
    await asyncio.sleep(then_s)


async def main(quick: bool) -> None:
    from assistant.dialogue import Dialogue, shared_parser

    from trading_core.logs import setup_logging

    rows: list[tuple] = []
    log_dir = tempfile.mkdtemp(prefix="mia-stall-logs-")
    setup_logging(Path(log_dir), "ES")  # the engine's log lines go to files, as in `mia run`
    probe = StallProbe()
    probe.start()
    parser = await asyncio.to_thread(shared_parser)  # compiled off the loop, as the voice front end does
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        run = await phase("start-up", probe, lambda: start_run(data), rows, split=_engine_started)
        engine = run.engine
        await phase("warm-up to live prices + 2 s live", probe, lambda: live_prices(engine), rows)
        dialogue = Dialogue(engine, parser, config=engine.config, source="voice")
        reply = await phase("first regime query (trains the models)", probe,
                            lambda: dialogue.handle("what is the market regime"), rows)
        print(f"  regime answer: {reply.text[:100]}")
        reply = await phase("first SHAP query", probe, lambda: dialogue.handle("list the top shap features"), rows)
        print(f"  SHAP answer: {reply.text[:100]}")
        await phase("2 s of live market after the queries", probe, lambda: asyncio.sleep(2.0), rows)
        await stop_run(run)

        run = await phase("restart", probe, lambda: start_run(data), rows, split=_engine_started)
        engine = run.engine
        dialogue = Dialogue(engine, parser, config=engine.config, source="voice")
        await phase("regime query after restart (loads checkpoints)", probe,
                    lambda: dialogue.handle("what is the market regime"), rows)
        await phase("warm-up to live prices + 2 s live (models following)", probe, lambda: live_prices(engine), rows)
        await stop_run(run)

        if MARKET.exists():
            from trading_core.replay import run_replay

            cfg = load_config(env={}, overrides={"data_dir": str(data)})
            cfg = cfg.model_copy(update={"risk": cfg.risk.model_copy(update={"enforce_trading_hours": False})})
            path = MARKET
            if quick:
                import gzip

                lines = gzip.decompress(MARKET.read_bytes()).decode().splitlines()[:6000]
                path = Path(tmp) / "quick.csv"
                path.write_text("\n".join(lines) + "\n")
            out = await phase(f"replay --engine ({path.name})", probe,
                              lambda: run_replay(path, "sma_cross", cfg, show_progress=False, engine_mode=True), rows)
            print(f"  replay: {out.bars} bars, {out.orders} orders")
        else:
            print(f"  replay skipped: {MARKET} not found")
    await probe.stop()

    print()
    print(f"{'phase':<66} {'longest stall':>14} {'p99':>9} {'wall':>8} {'CPU':>8} {'samples':>8}")
    worst = 0.0
    for name, longest, p99, wall, cpu, n in rows:
        serving = "not yet serving" not in name
        if serving:
            worst = max(worst, longest)
        flag = "" if longest <= TARGET_MS or not serving else "  > target"
        cpu_text = f"{cpu:>6.2f} s" if cpu == cpu else f"{'-':>8}"
        print(f"{name:<66} {longest:>11.1f} ms {p99:>6.1f} ms {wall:>6.2f} s {cpu_text} {n:>8}{flag}")
    print(f"\nlongest stall while the engine serves: {worst:.1f} ms (target <= {TARGET_MS:.0f} ms); "
          f"probe every {PROBE_S * 1000:.0f} ms")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a 6,000-bar replay instead of a month")
    ns = ap.parse_args()
    asyncio.run(main(ns.quick))
