"""Pipeline latencies per stage (audio endpoint → transcript → intent → engine → speech).

The voice loop calls `record(stage, seconds)` after each stage of a command; the monitor and the
dashboard read p50 / p95 per stage over the last `window` readings. Thread-safe: the audio side runs
on a worker thread while the rest of the pipeline runs on the event loop.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

# The stages of one voice command, in pipeline order; "total" is the whole command (end of speech → speech out).
STAGES: tuple[str, ...] = ("endpoint", "transcript", "intent", "engine", "speech", "total")
def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (the same as numpy's default), q in 0..100."""
    if not values:
        raise ValueError("percentile of no values")
    s = sorted(values)
    pos = (len(s) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


@dataclass(frozen=True, slots=True)
class StageStats:
    stage: str
    count: int  # readings in the window
    total_count: int  # readings since start
    last: float
    p50: float
    p95: float
    max: float
    last_ts: float  # time.time() of the last reading


class LatencyRecorder:
    """Per-stage latency readings in seconds, kept in a ring of the last `window` values per stage."""

    def __init__(self, window: int = 200) -> None:
        if window < 1:
            raise ValueError(f"window must be >= 1 (got {window})")
        self.window = window
        self._values: dict[str, deque[float]] = {}
        self._counts: dict[str, int] = {}
        self._last_ts: dict[str, float] = {}
        self._lock = threading.Lock()

    def record(self, stage: str, seconds: float, ts: float | None = None) -> None:
        """One reading. A bad stage name or duration raises ValueError and records nothing."""
        if not isinstance(stage, str) or not stage.strip():
            raise ValueError(f"latency stage must be a non-empty name (got {stage!r}); known stages: {', '.join(STAGES)}")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"latency of stage {stage!r} must be a finite number of seconds >= 0 (got {seconds!r})")
        stage = stage.strip().lower()
        with self._lock:
            ring = self._values.get(stage)
            if ring is None:
                ring = self._values[stage] = deque(maxlen=self.window)
            ring.append(float(seconds))
            self._counts[stage] = self._counts.get(stage, 0) + 1
            self._last_ts[stage] = time.time() if ts is None else ts

    @contextmanager
    def measure(self, stage: str) -> Iterator[None]:
        """`with recorder.measure("intent"): parse(...)` records the block's wall time."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.record(stage, time.perf_counter() - start)

    def stages(self) -> list[str]:
        """Stages with readings: the known ones in pipeline order, then any others alphabetically."""
        with self._lock:
            names = set(self._values)
        return [s for s in STAGES if s in names] + sorted(names - set(STAGES))

    def stats(self, stage: str) -> StageStats | None:
        with self._lock:
            ring = self._values.get(stage)
            if not ring:
                return None
            values = list(ring)
            count, last_ts = self._counts[stage], self._last_ts[stage]
        return StageStats(stage, len(values), count, values[-1], percentile(values, 50), percentile(values, 95),
                          max(values), last_ts)

    def recent(self, stage: str, n: int) -> list[float]:
        with self._lock:
            ring = self._values.get(stage)
            return list(ring)[-n:] if ring else []

    def all_stats(self) -> list[StageStats]:
        return [s for s in (self.stats(name) for name in self.stages()) if s is not None]
