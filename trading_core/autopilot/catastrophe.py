"""The seed's catastrophe monitor: INFO / WARNING / CRITICAL / CATASTROPHE from three measures.

- daily loss: the session's realised P&L after commissions (CME session, as the engine counts it),
  counted as a loss >= 0;
- consecutive losing trades (the engine's count: it restarts each session and on resume);
- drawdown: closed-trade equity (starting balance + realised - commissions) below its peak, % of the peak;
  the peak restarts from the current equity when trading resumes (resuming is the trader's decision to
  trade again, as for the consecutive-loss count).
Each measure has a level from `autopilot.catastrophe` thresholds (reached when >= the threshold); the
level is the highest of the three. Only realised figures are used, so the level changes on fills and at
session changes, never on a price tick (the engine's own daily loss limit watches unrealised P&L).

A level rising to WARNING reduces the autopilot's size (`level_factor`); to CRITICAL puts the engine in
reduce-only; to CATASTROPHE halts and flattens (the kill switch). A falling level only says so.
Pure logic here; the autopilot (live) and the replay kernel apply the actions.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trading_core.autopilot.types import LEVELS_BY_RANK, CatastropheLevel, LevelChange
from trading_core.config import CatastropheConfig

ACTIONS = {CatastropheLevel.INFO: "none", CatastropheLevel.WARNING: "size_reduced",
           CatastropheLevel.CRITICAL: "reduce_only", CatastropheLevel.CATASTROPHE: "halt_and_flatten"}


@dataclass
class CatastropheMonitor:
    config: CatastropheConfig
    peak_equity: Decimal
    level: CatastropheLevel = CatastropheLevel.INFO

    def _level_of(self, value: float, warning: float, critical: float, catastrophe: float) -> int:
        if value >= catastrophe:
            return 3
        if value >= critical:
            return 2
        if value >= warning:
            return 1
        return 0

    def measure(self, session_net: Decimal, consecutive: int, closed_equity: Decimal) -> tuple[int, float, float, dict[str, int]]:
        """(level rank, daily loss, drawdown %, level of each measure)."""
        c = self.config
        if closed_equity > self.peak_equity:
            self.peak_equity = closed_equity
        loss = float(max(-session_net, Decimal(0)))
        dd = float((self.peak_equity - closed_equity) / self.peak_equity * 100) if self.peak_equity > 0 else 0.0
        per = {
            "daily_loss": self._level_of(loss, float(c.daily_loss_warning), float(c.daily_loss_critical),
                                         float(c.daily_loss_catastrophe)),
            "consecutive_losses": self._level_of(consecutive, c.consecutive_losses_warning,
                                                 c.consecutive_losses_critical, c.consecutive_losses_catastrophe),
            "drawdown": self._level_of(dd, c.drawdown_pct_warning, c.drawdown_pct_critical, c.drawdown_pct_catastrophe),
        }
        return max(per.values()), loss, dd, per

    def evaluate(self, session_net: Decimal, consecutive: int, closed_equity: Decimal) -> LevelChange | None:
        """The new level, as a change (None when it did not change). Rising levels name their action."""
        if not self.config.enabled:
            return None
        rank, loss, dd, per = self.measure(session_net, consecutive, closed_equity)
        new = LEVELS_BY_RANK[rank]
        if new is self.level:
            return None
        prev, self.level = self.level, new
        action = ACTIONS[new] if new.rank > prev.rank else "none"
        triggers = tuple(k for k, v in per.items() if v == rank and rank > 0)
        return LevelChange(prev, new, loss, int(consecutive), dd, triggers, action)

    def restart_peak(self, closed_equity: Decimal) -> None:
        self.peak_equity = closed_equity

    @property
    def size_factor(self) -> float:
        return float(self.config.warning_size_factor) if self.level.rank >= 1 else 1.0
