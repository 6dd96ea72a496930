"""Threshold levels with hysteresis, so that a metric hovering around a limit raises ONE alert.

A tracker is in one of three levels: ok, warning, critical.
- It escalates when `confirm` consecutive readings are at or beyond a higher level's limit (one alert).
- It stays where it is while the reading sits between the limit and the limit minus the `clear_margin`
  (the hysteresis band): no alert, whatever the noise.
- It steps down only when `clear_confirm` consecutive readings are clear of the current level's limit by
  `clear_margin` (to the highest level any of them still holds); reaching ok again is reported once ("back to
  normal"). A load that comes and goes (a model training in bursts) so stays ONE alert, not one a minute.
Readings may be "above is bad" (CPU, memory, latency) or "below is bad" (ML accuracy, confidence).
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Literal


class Level(int, enum.Enum):
    OK = 0
    WARNING = 1
    CRITICAL = 2


@dataclass(frozen=True, slots=True)
class Threshold:
    metric: str  # stable id, e.g. "cpu", "memory", "latency.total", "ml.accuracy"
    warning: float | None
    critical: float | None
    direction: Literal["above", "below"] = "above"
    clear_margin: float = 0.0  # how far back past a limit a reading must come to step down
    confirm: int = 1  # consecutive readings needed to escalate
    clear_confirm: int = 1  # consecutive clear readings needed to step down

    def __post_init__(self) -> None:
        if self.warning is None and self.critical is None:
            raise ValueError(f"threshold {self.metric}: give a warning or a critical limit")
        if self.direction not in ("above", "below"):
            raise ValueError(f"threshold {self.metric}: direction must be 'above' or 'below' (got {self.direction!r})")
        if self.warning is not None and self.critical is not None:
            bad = self.critical < self.warning if self.direction == "above" else self.critical > self.warning
            if bad:
                raise ValueError(
                    f"threshold {self.metric}: critical {self.critical} must be "
                    f"{'>=' if self.direction == 'above' else '<='} warning {self.warning}"
                )
        if self.clear_margin < 0 or self.confirm < 1 or self.clear_confirm < 1:
            raise ValueError(f"threshold {self.metric}: clear_margin must be >= 0, confirm and clear_confirm >= 1")

    def _beyond(self, value: float, limit: float | None, margin: float = 0.0) -> bool:
        if limit is None:
            return False
        return value >= limit - margin if self.direction == "above" else value <= limit + margin

    def raw_level(self, value: float) -> Level:
        if self._beyond(value, self.critical):
            return Level.CRITICAL
        if self._beyond(value, self.warning):
            return Level.WARNING
        return Level.OK

    def limit(self, level: Level) -> float | None:
        return {Level.WARNING: self.warning, Level.CRITICAL: self.critical}.get(level)

    def holds(self, value: float, level: Level) -> bool:
        """Whether `value` still belongs to `level` given the hysteresis band."""
        if level is Level.OK:
            return True
        limit = self.limit(level)
        if limit is None:  # a level without its own limit is held by the other one
            limit = self.warning if level is Level.CRITICAL else self.critical
        return self._beyond(value, limit, self.clear_margin)


@dataclass(frozen=True, slots=True)
class Transition:
    metric: str
    previous: Level
    current: Level
    value: float
    limit: float | None  # the limit crossed (escalation) or cleared (de-escalation)

    @property
    def escalated(self) -> bool:
        return self.current > self.previous

    @property
    def recovered(self) -> bool:
        return self.current is Level.OK and self.previous is not Level.OK


class ThresholdTracker:
    """The level of one metric over successive readings."""

    def __init__(self, threshold: Threshold) -> None:
        self.threshold = threshold
        self.level = Level.OK
        self._streak = 0  # consecutive readings beyond the current level
        self._streak_min: Level | None = None
        self._clear = 0  # consecutive readings clear of the current level
        self._clear_max = Level.OK  # the highest level one of them still holds
        self.last_value: float | None = None

    def update(self, value: float) -> Transition | None:
        """Feed one reading; returns the level change it caused, if any. NaN readings are ignored."""
        if value is None or not math.isfinite(value):
            return None
        th = self.threshold
        self.last_value = value
        raw = th.raw_level(value)
        if raw > self.level:
            self._clear, self._clear_max = 0, Level.OK
            # escalate to the level sustained over the whole streak of `confirm` readings
            self._streak += 1
            self._streak_min = raw if self._streak_min is None else min(self._streak_min, raw)
            if self._streak >= th.confirm:
                prev, self.level = self.level, self._streak_min
                self._streak, self._streak_min = 0, None
                return Transition(th.metric, prev, self.level, value, th.limit(self.level))
            return None
        self._streak, self._streak_min = 0, None
        if raw < self.level and not th.holds(value, self.level):
            prev = self.level
            # the highest level below this one that the value still holds (with the band)
            held = next((lvl for lvl in (Level.CRITICAL, Level.WARNING) if lvl < prev and th.holds(value, lvl)),
                        Level.OK)
            self._clear += 1
            self._clear_max = max(self._clear_max, held)
            if self._clear < th.clear_confirm:
                return None
            self.level = self._clear_max
            self._clear, self._clear_max = 0, Level.OK
            return Transition(th.metric, prev, self.level, value, th.limit(prev))
        self._clear, self._clear_max = 0, Level.OK
        return None
