"""The continuous monitor: system, voice-pipeline latency, ML and trading metrics, checked against the
`monitoring` thresholds of the config; a breach becomes ONE alert through the alert manager.

Alerts are `assistant.notify.Alert`s of category SYSTEM, published with `AlertManager.publish`:
priority 3 for a warning, 4 for a critical level (spoken with the default voice threshold), 2 when the
metric is back to normal. Without an alert manager (one-shot commands, tests) they are only logged and
kept in `monitor.history`.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from assistant.monitor.commands import CommandLog
from assistant.monitor.latency import LatencyRecorder, StageStats, percentile
from assistant.monitor.ml import MLMetrics, MLSnapshot
from assistant.monitor.system import SystemMetrics, SystemSampler
from assistant.monitor.thresholds import Level, Threshold, ThresholdTracker, Transition
from assistant.present.monitor import status_lines, transition_text
from trading_core.config import MiaConfig, MonitoringConfig

if TYPE_CHECKING:
    from trading_core.protocols import EngineAPI

    # assistant.notify's package import pulls the messaging clients (seconds of CPU): imported at
    # the first alert only, so the voice loop and `mia status` stay quick to import.
    from assistant.notify.alerts import Alert

log = logging.getLogger("mia.monitor")

PRIORITY = {Level.WARNING: 3, Level.CRITICAL: 4}
RECOVERY_PRIORITY = 2
LATENCY_WINDOW = 20  # readings per stage behind the p95 that is checked
MIN_OUTCOMES = 20  # scored signals before the live accuracy is judged
MIN_CONFIDENCES = 10  # predictions before the mean confidence is judged


@dataclass(frozen=True, slots=True)
class TradingMetrics:
    equity: Decimal
    pnl_today: Decimal
    realized_today: Decimal
    unrealized: Decimal
    trades: int  # closed trades, all time
    win_rate: float  # 0..1
    profit_factor: float | None
    net_pnl: Decimal
    max_drawdown: Decimal
    max_drawdown_pct: float
    open_positions: int
    consecutive_losses: int


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    alert: "Alert"
    transition: Transition
    delivered: bool  # handed to an alert manager (False: logged only)


@dataclass(frozen=True, slots=True)
class MonitorSnapshot:
    ts: float
    system: SystemMetrics | None
    latency: list[StageStats]
    ml: MLSnapshot
    trading: TradingMetrics | None
    levels: dict[str, str]  # metric -> ok / warning / critical (only metrics that were checked)
    raised: list[RaisedAlert] = field(default_factory=list)  # alerts raised by this sample


def transition_alert(tr: Transition, ts: datetime | None = None) -> "Alert":
    """The alert for one level change of a monitored metric."""
    from assistant.notify.alerts import Alert, AlertCategory

    title, body = transition_text(tr)
    return Alert(
        key=f"monitor:{tr.metric}:{tr.previous.name}>{tr.current.name}:{time.time_ns()}",
        priority=PRIORITY[tr.current] if tr.escalated else RECOVERY_PRIORITY,
        category=AlertCategory.SYSTEM,
        kind=f"MONITOR_{tr.metric.upper().replace('.', '_')}",
        title_msg=title,
        body_msg=body,
        ts=ts or datetime.now(timezone.utc),
    )


def thresholds_from_config(cfg: MonitoringConfig, stages: list[str]) -> dict[str, Threshold]:
    """The checked metrics. Margins: 5 points for CPU / memory, 20 % of the limit for latency, 5 points
    of accuracy / confidence. CPU must stay over a limit for `cpu_sustain_s` (at least two readings: a single
    busy sample is normal) and under it for `cpu_clear_s` to step down."""
    out = {
        "cpu": Threshold("cpu", cfg.cpu_warning, cfg.cpu_critical, "above", clear_margin=5.0,
                         confirm=max(2, _readings(cfg.cpu_sustain_s, cfg.interval_s)),
                         clear_confirm=_readings(cfg.cpu_clear_s, cfg.interval_s)),
        "memory": Threshold("memory", cfg.memory_warning, cfg.memory_critical, "above", clear_margin=5.0),
        "ml.accuracy": Threshold("ml.accuracy", cfg.ml_accuracy_min, None, "below", clear_margin=0.05),
        "ml.confidence": Threshold("ml.confidence", cfg.confidence_min, None, "below", clear_margin=0.05),
    }
    for stage in stages:
        out[f"latency.{stage}"] = latency_threshold(cfg, stage)
    return out


def _readings(seconds: float, interval_s: float) -> int:
    """The readings, one every `interval_s`, that cover `seconds` (at least one)."""
    return max(1, math.ceil(seconds / interval_s - 1e-9))


def latency_threshold(cfg: MonitoringConfig, stage: str) -> Threshold:
    return Threshold(f"latency.{stage}", cfg.latency_warning_s, cfg.latency_critical_s, "above",
                     clear_margin=0.2 * cfg.latency_warning_s)


class Monitor:
    """Build with `Monitor(config, engine=...)`; call `await sample()` periodically (or `run(stop)`)."""

    def __init__(
        self,
        config: MiaConfig,
        *,
        engine: EngineAPI | None = None,
        latency: LatencyRecorder | None = None,
        ml: MLMetrics | None = None,
        commands: CommandLog | None = None,
        sampler: Callable[[], SystemMetrics] | None = None,
        alert_sink: Any | None = None,
        history: int = 100,
    ) -> None:
        self.config = config
        self.engine = engine
        # `is None`, not `or`: an empty CommandLog is falsy (it has a length)
        self.latency = latency if latency is not None else LatencyRecorder()
        self.ml = ml if ml is not None else MLMetrics()
        self.commands = commands if commands is not None else CommandLog()
        self._sampler = sampler or SystemSampler(config.data_path).sample
        self.alert_sink = alert_sink
        self._trackers: dict[str, ThresholdTracker] = {
            m: ThresholdTracker(t) for m, t in thresholds_from_config(config.monitoring, []).items()
        }
        self.history: deque[RaisedAlert] = deque(maxlen=history)
        self.last: MonitorSnapshot | None = None
        self._trading_cache: tuple[int, Any] | None = None  # (closed trades count, PerformanceMetrics)
        self.running = False

    # -- evaluation -----------------------------------------------------------------------------
    def _tracker(self, metric: str) -> ThresholdTracker:
        tr = self._trackers.get(metric)
        if tr is None:
            stage = metric.split(".", 1)[1]
            tr = self._trackers[metric] = ThresholdTracker(latency_threshold(self.config.monitoring, stage))
        return tr

    def levels(self) -> dict[str, Level]:
        return {m: t.level for m, t in self._trackers.items() if t.last_value is not None}

    def check(
        self,
        system: SystemMetrics | None = None,
        ml: MLSnapshot | None = None,
        *,
        latency: bool = True,
    ) -> list[Transition]:
        """Feed one set of readings to the thresholds; returns the level changes (to alert on)."""
        changes: list[Transition] = []

        def feed(metric: str, value: float | None) -> None:
            if value is None:
                return
            tr = self._tracker(metric).update(value)
            if tr is not None:
                changes.append(tr)

        if system is not None:
            feed("cpu", system.cpu_percent)
            feed("memory", system.memory_percent)
        if latency:
            for stage in self.latency.stages():
                recent = self.latency.recent(stage, LATENCY_WINDOW)
                if recent:
                    feed(f"latency.{stage}", percentile(recent, 95))
        if ml is not None:
            if ml.accuracy is not None and ml.outcomes >= MIN_OUTCOMES:
                feed("ml.accuracy", ml.accuracy)
            if ml.mean_confidence is not None and ml.predictions >= MIN_CONFIDENCES:
                feed("ml.confidence", ml.mean_confidence)
        return changes

    async def raise_alerts(self, changes: list[Transition]) -> list[RaisedAlert]:
        raised = []
        for tr in changes:
            alert = transition_alert(tr)
            delivered = await self._publish(alert)
            item = RaisedAlert(alert, tr, delivered)
            self.history.append(item)
            raised.append(item)
        return raised

    def _sink(self) -> Any | None:
        return self.alert_sink

    async def _publish(self, alert: "Alert") -> bool:
        level = logging.WARNING if alert.priority >= 3 else logging.INFO
        log.log(level, "monitor alert P%d: %s — %s", alert.priority, alert.title("en"), alert.body("en"))
        sink = self._sink()
        if sink is None:
            return False
        target = getattr(sink, "publish", sink)
        try:
            result = target(alert)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # the monitor must keep watching even if alerting broke
            log.error("monitor alert could not be published: %s: %s", type(exc).__name__, exc)
            return False
        return True

    # -- sampling -------------------------------------------------------------------------------
    async def trading_metrics(self) -> TradingMetrics | None:
        engine = self.engine
        if engine is None:
            return None
        pnl = await engine.pnl_today()
        status = await engine.status()
        closed = engine.closed_trade_count()
        if self._trading_cache is None or self._trading_cache[0] != closed:
            # performance_metrics reads the whole equity curve: only when a trade closed
            self._trading_cache = (closed, await engine.performance_metrics())
        m = self._trading_cache[1]
        return TradingMetrics(
            equity=status.equity, pnl_today=pnl.total, realized_today=pnl.realized, unrealized=pnl.unrealized,
            trades=m.trades, win_rate=m.win_rate, profit_factor=m.profit_factor, net_pnl=m.net_pnl,
            max_drawdown=m.max_drawdown, max_drawdown_pct=m.max_drawdown_pct,
            open_positions=status.open_positions, consecutive_losses=status.consecutive_losses,
        )

    async def sample(self, *, alert: bool = True) -> MonitorSnapshot:
        """Read every metric, check the thresholds and (when `alert`) raise the alerts of level changes."""
        try:
            system: SystemMetrics | None = self._sampler()
        except Exception as exc:  # psutil can fail in odd containers; the rest is still worth checking
            log.warning("system metrics unavailable: %s", exc)
            system = None
        if self.engine is not None:
            self.ml.score_closed_trades(self.engine.closed_trades())
            cache = self.engine.intelligence_cache_info()
            if cache is not None:
                self.ml.set_cache_counts(cache["hits"], cache["misses"])
        ml = self.ml.snapshot()
        trading = await self.trading_metrics()
        changes = self.check(system, ml)
        raised = await self.raise_alerts(changes) if alert else []
        snap = MonitorSnapshot(
            ts=time.time(), system=system, latency=self.latency.all_stats(), ml=ml, trading=trading,
            levels={m: lvl.name.lower() for m, lvl in self.levels().items()}, raised=raised,
        )
        self.last = snap
        return snap

    async def run(self, stop: asyncio.Event, interval_s: float | None = None) -> None:
        """Sample every `interval_s` (default `monitoring.interval_s`) until `stop`. Several front ends
        may ask to run the same monitor (monitor, dashboard): only the first call samples."""
        if self.running:
            await stop.wait()
            return
        self.running = True
        try:
            await self._run(stop, interval_s or self.config.monitoring.interval_s)
        finally:
            self.running = False

    async def _run(self, stop: asyncio.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                await self.sample()
            except Exception:  # never let one bad sample end the monitoring
                log.exception("monitor sample failed")
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except asyncio.TimeoutError:
                pass

    # -- text -----------------------------------------------------------------------------------
    def status_lines(self, lang: str, snapshot: MonitorSnapshot | None = None) -> list[str]:
        return status_lines(snapshot or self.last, lang)
