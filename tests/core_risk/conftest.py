"""Fixtures for the risk tests: a default RiskConfig and a gate on the real instrument lookup."""
from __future__ import annotations

import pytest

from tests.core_risk.support import get_instrument
from trading_core.config import RiskConfig
from trading_core.risk.gate import RiskGate


@pytest.fixture
def config() -> RiskConfig:
    return RiskConfig()


@pytest.fixture
def gate(config: RiskConfig) -> RiskGate:
    return RiskGate(config, get_instrument)
