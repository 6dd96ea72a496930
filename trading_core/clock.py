"""Clocks. The engine reads time through a clock so replays and the simulated market run on market
time, and tests can pin time."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class MarketClock:
    """Time of the last market event seen (simulated or replayed market); wall time before any."""

    def __init__(self) -> None:
        self._ts: datetime | None = None

    def advance(self, ts: datetime) -> None:
        if self._ts is None or ts > self._ts:
            self._ts = ts

    def now(self) -> datetime:
        return self._ts or datetime.now(timezone.utc)


class FixedClock:
    def __init__(self, ts: datetime) -> None:
        self.ts = ts

    def now(self) -> datetime:
        return self.ts
