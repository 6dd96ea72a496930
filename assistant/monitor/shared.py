"""The monitor as a front end of `mia run` (it samples every `monitoring.interval_s`), and its lines in
`mia status`: the running monitor's last sample, or (one-shot mode) a fresh one."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from assistant.monitor.monitor import Monitor
from trading_core.protocols import EngineAPI

if TYPE_CHECKING:
    from assistant.app.services import Services


async def run_monitor(services: Services) -> None:
    """`mia run` front end: sample the shared monitor until stop."""
    await services.monitor.run(services.stop)


async def monitor_status_lines(engine: EngineAPI, monitor: Monitor | None, lang: str) -> list[str]:
    """Lines `mia status` appends: the running monitor's last sample, or (one-shot mode, no monitor
    running) a fresh sample of the machine and the ledger, without raising alerts."""
    if monitor is None:
        monitor = Monitor(engine.config, engine=engine)
        await asyncio.sleep(0.2)  # CPU % is measured between two samples
    snap = monitor.last if monitor.last is not None else await monitor.sample(alert=False)
    return monitor.status_lines(lang, snap)
