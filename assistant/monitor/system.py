"""System metrics through psutil: CPU, memory, disk, this process's uptime and memory."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True, slots=True)
class SystemMetrics:
    cpu_percent: float  # whole machine, since the previous sample
    memory_percent: float  # whole machine
    disk_percent: float | None  # the file system holding the data directory
    process_uptime_s: float
    process_rss_mb: float
    process_cpu_percent: float  # this process, since the previous sample (100 = one full core)
    load_1m: float | None
    ts: float  # time.time()


class SystemSampler:
    """Call `sample()` periodically. CPU figures are the average since the previous call (psutil keeps
    the previous counters), so the first call primes them at construction."""

    def __init__(self, data_dir: str | Path = ".") -> None:
        self.data_dir = Path(data_dir).expanduser()
        self._proc = psutil.Process(os.getpid())
        psutil.cpu_percent(interval=None)
        self._proc.cpu_percent(interval=None)

    def sample(self) -> SystemMetrics:
        path = self.data_dir if self.data_dir.exists() else Path(".")
        try:
            disk: float | None = psutil.disk_usage(str(path)).percent
        except OSError:
            disk = None
        try:
            load: float | None = os.getloadavg()[0]
        except OSError:
            load = None
        with self._proc.oneshot():
            uptime = time.time() - self._proc.create_time()
            rss = self._proc.memory_info().rss / 1e6
            pcpu = self._proc.cpu_percent(interval=None)
        return SystemMetrics(
            cpu_percent=psutil.cpu_percent(interval=None),
            memory_percent=psutil.virtual_memory().percent,
            disk_percent=disk,
            process_uptime_s=uptime,
            process_rss_mb=rss,
            process_cpu_percent=pcpu,
            load_1m=load,
            ts=time.time(),
        )
