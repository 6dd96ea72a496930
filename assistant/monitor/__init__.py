"""Continuous monitoring: system, voice-pipeline latency, ML and trading metrics, with threshold alerts.

One `Monitor` per run, in `Services.monitor` (`assistant.app.services`), fed by the voice loop
(`services.latency`, `services.commands`) and whoever calls the models (`services.ml`).
For `mia run`: the front end `assistant.monitor:run_monitor`.
For `mia status`: `lines += await monitor_status_lines(engine, monitor, lang)`.
"""
from assistant.monitor.commands import CommandLog, CommandRecord
from assistant.monitor.latency import STAGES, LatencyRecorder, StageStats, percentile
from assistant.monitor.ml import MLMetrics, MLSnapshot, timed_signal_quality
from assistant.monitor.monitor import (
    Monitor,
    MonitorSnapshot,
    RaisedAlert,
    TradingMetrics,
    thresholds_from_config,
    transition_alert,
)
from assistant.monitor.shared import monitor_status_lines, run_monitor
from assistant.monitor.system import SystemMetrics, SystemSampler
from assistant.present.monitor import performance_summary, status_lines
from assistant.monitor.thresholds import Level, Threshold, ThresholdTracker, Transition

__all__ = [
    "STAGES", "CommandLog", "CommandRecord", "LatencyRecorder", "Level", "MLMetrics", "MLSnapshot", "Monitor",
    "MonitorSnapshot", "RaisedAlert", "StageStats", "SystemMetrics", "SystemSampler", "Threshold", "ThresholdTracker",
    "TradingMetrics", "Transition", "monitor_status_lines", "percentile", "performance_summary", "run_monitor",
    "status_lines", "thresholds_from_config", "timed_signal_quality", "transition_alert",
]
