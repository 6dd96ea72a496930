"""Continuous monitoring: system, voice-pipeline latency, ML and trading metrics, with threshold alerts.

For the voice loop:
    from assistant.monitor import latency_recorder, command_log
    latency_recorder(ctx.extras).record("transcript", 0.42)
    command_log(ctx.extras).record(transcript, intent, answer, lang)
For `mia run`: FRONT_ENDS entry ("monitor", "assistant.monitor:run_monitor").
For `mia status`: `lines += await monitor_status_lines(engine, lang)`.
For the dialogue: `await performance_summary(engine, monitor_for(engine), lang)`.
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
from assistant.monitor.shared import (
    command_log,
    latency_recorder,
    ml_metrics,
    monitor_for,
    monitor_from_context,
    monitor_status_lines,
    register_monitor,
    run_monitor,
)
from assistant.monitor.system import SystemMetrics, SystemSampler
from assistant.present.monitor import performance_summary, status_lines
from assistant.monitor.thresholds import Level, Threshold, ThresholdTracker, Transition

__all__ = [
    "STAGES", "CommandLog", "CommandRecord", "LatencyRecorder", "Level", "MLMetrics", "MLSnapshot", "Monitor",
    "MonitorSnapshot", "RaisedAlert", "StageStats", "SystemMetrics", "SystemSampler", "Threshold", "ThresholdTracker",
    "TradingMetrics", "Transition", "command_log", "latency_recorder", "ml_metrics", "monitor_for",
    "monitor_from_context", "monitor_status_lines", "percentile", "performance_summary", "register_monitor",
    "run_monitor", "status_lines", "thresholds_from_config", "timed_signal_quality", "transition_alert",
]
