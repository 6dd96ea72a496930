"""Shared fixtures: instrument specs and a collecting event sink."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from trading_core.instruments import get_instrument


@dataclass(frozen=True)
class SpecInstrument:
    """The exchange facts this area relies on (CME: ES $50/pt, MNQ $2/pt, tick 0.25)."""

    symbol: str
    multiplier: Decimal
    tick_size: float
    tick_value: Decimal


SPECS = {
    "ES": SpecInstrument("ES", Decimal("50"), 0.25, Decimal("12.50")),
    "MNQ": SpecInstrument("MNQ", Decimal("2"), 0.25, Decimal("0.50")),
}

# The project's instrument table is the lookup under test; `test_instrument_facts` pins the numbers
# the hand-computed P&L in these tests assume.
spec_lookup = get_instrument


T0 = datetime(2025, 3, 10, 14, 30, tzinfo=timezone.utc)


def ts(minutes: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def lookup():
    return spec_lookup
