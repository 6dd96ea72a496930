"""The autopilot: MIA's automated trading loop (issue #14, trading-core side).

bars -> `scoring` (order-flow score + multi-timeframe confluence -> candidates) -> `pipeline` (regime,
ML ensemble filter, trade-probability model) -> `decide` (capped-Kelly risk sizing with the ATR stop,
gamma-cycle and catastrophe-level factors, bracket prices) -> the engine's risk gate and broker
(`controller.Autopilot`, modes off / propose / auto) ; `catastrophe` (INFO..CATASTROPHE levels);
`replay` (the same pipeline over a bar file at kernel speed, walk-forward models) and `evaluate`
(side by side with baselines); `volatility` (the LSTM next-day VIX forecast).

Names are resolved on first use so that importing the package stays cheap.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "Autopilot": "trading_core.autopilot.controller",
    "AutopilotMode": "trading_core.autopilot.types",
    "AutopilotSignal": "trading_core.autopilot.types",
    "SignalDecision": "trading_core.autopilot.types",
    "CatastropheLevel": "trading_core.autopilot.types",
    "attach": "trading_core.autopilot.controller",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trading_core.autopilot' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
