"""The live dashboard: a local web page (Starlette + server-sent events + vanilla JS / SVG, no build step,
nothing fetched from the internet) on a running engine, and the same figures saved as PNG.

    mia dashboard [--port 8050] [--host 127.0.0.1] [--refresh-rate S]     standalone
    FRONT_ENDS entry ("dashboard", "assistant.dashboard:run_dashboard")     inside `mia run`

The web stack is imported on first use only, so `mia --help` does not pay for it.
"""
from __future__ import annotations

from typing import Any

from assistant.dashboard.cli import dashboard_command, register, run_dashboard

_LAZY = {
    "Broadcaster": "assistant.dashboard.app",
    "build_app": "assistant.dashboard.app",
    "DashboardServer": "assistant.dashboard.server",
    "DashboardState": "assistant.dashboard.state",
}

__all__ = ["Broadcaster", "DashboardServer", "DashboardState", "build_app", "dashboard_command", "register",
           "run_dashboard"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'assistant.dashboard' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
