"""One monitor per `mia run`, shared through `RunContext.extras`, whatever order the front ends start in.

- `latency_recorder(ctx.extras)`: the voice loop records stage latencies here;
- `command_log(ctx.extras)`: the voice loop records each command, transcript and answer here;
- `ml_metrics(ctx.extras)`: whoever calls the models pushes inference numbers here;
- `monitor_from_context(ctx)`: the Monitor built on those three, the engine and the alert manager
  (`ctx.extras["alerts"]`, looked up at each alert since the alert front end may start later);
- `monitor_for(engine)`: the monitor attached to a running engine, for `mia status` behind the socket.
"""
from __future__ import annotations

import asyncio
import weakref
from typing import Any

from assistant.monitor.commands import CommandLog
from assistant.monitor.latency import LatencyRecorder
from assistant.monitor.ml import MLMetrics
from assistant.monitor.monitor import Monitor

_BY_ENGINE: "weakref.WeakKeyDictionary[Any, Monitor]" = weakref.WeakKeyDictionary()


def latency_recorder(extras: dict[str, Any]) -> LatencyRecorder:
    rec = extras.get("latency")
    if rec is None:
        rec = extras["latency"] = LatencyRecorder()
    return rec


def command_log(extras: dict[str, Any]) -> CommandLog:
    log = extras.get("command_log")
    if log is None:
        log = extras["command_log"] = CommandLog()
    return log


def ml_metrics(extras: dict[str, Any]) -> MLMetrics:
    ml = extras.get("ml_metrics")
    if ml is None:
        ml = extras["ml_metrics"] = MLMetrics()
    return ml


def monitor_from_context(ctx: Any) -> Monitor:
    extras: dict[str, Any] = ctx.extras
    mon = extras.get("monitor")
    if mon is None:
        mon = Monitor(
            ctx.config,
            engine=ctx.engine,
            latency=latency_recorder(extras),
            ml=ml_metrics(extras),
            commands=command_log(extras),
            sink_lookup=lambda: extras.get("alerts"),
        )
        extras["monitor"] = mon
        register_monitor(ctx.engine, mon)
    return mon


def register_monitor(engine: Any, monitor: Monitor) -> None:
    _BY_ENGINE[engine] = monitor


def monitor_for(engine: Any) -> Monitor | None:
    try:
        return _BY_ENGINE.get(engine)
    except TypeError:
        return None


async def run_monitor(ctx: Any) -> None:
    """`mia run` front end: sample every `monitoring.interval_s` seconds until stop."""
    mon = monitor_from_context(ctx)
    await mon.run(ctx.stop)


async def monitor_status_lines(engine: Any, lang: str) -> list[str]:
    """Lines `mia status` appends: the running monitor's last sample, or (one-shot mode, no monitor
    running) a fresh sample of the machine and the ledger, without raising alerts."""
    mon = monitor_for(engine)
    if mon is None:
        mon = Monitor(engine.config, engine=engine)
        await asyncio.sleep(0.2)  # CPU % is measured between two samples
    snap = mon.last if mon.last is not None else await mon.sample(alert=False)
    return mon.status_lines(lang, snap)
