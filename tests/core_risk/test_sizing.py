"""Sizing math: ATR, default stop, contracts from risk, estimated risk, Kelly, risk-percent bounds."""
from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from tests.core_risk.support import en, fr, get_instrument
from trading_core.risk import sizing
from trading_core.risk.sizing import (
    InsufficientDataError,
    atr,
    atr_series,
    contracts_from_risk,
    default_stop_distance,
    estimated_risk_usd,
    kelly_fraction,
    size_from_risk,
    true_range,
    validate_risk_percent,
)

ES = get_instrument("ES")
MNQ = get_instrument("MNQ")


# ------------------------------------------------------------------ ATR
def test_true_range_uses_previous_close() -> None:
    highs = [10.0, 12.0, 11.0]
    lows = [9.0, 11.5, 8.0]
    closes = [9.5, 11.75, 9.0]
    # bar 1: max(0.5, |12 − 9.5|, |11.5 − 9.5|) = 2.5 (gap up); bar 2: max(3, ..., |8 − 11.75|) = 3.75
    assert true_range(highs, lows, closes).tolist() == [1.0, 2.5, 3.75]


def test_atr_wilder_by_hand() -> None:
    highs = [10.0, 12.0, 11.0, 11.0, 12.0]
    lows = [9.0, 11.5, 8.0, 10.0, 11.0]
    closes = [9.5, 11.75, 9.0, 10.5, 11.5]
    # TR = 1, 2.5, 3.75, 2 (|11 − 9|), 1.5 (|12 − 10.5|)
    # ATR(3): seed (1 + 2.5 + 3.75) / 3 = 2.41666…, then (2.41666·2 + 2) / 3, then (… ·2 + 1.5) / 3
    seed = (1 + 2.5 + 3.75) / 3
    a3 = (seed * 2 + 2) / 3
    a4 = (a3 * 2 + 1.5) / 3
    series = atr_series(highs, lows, closes, 3)
    assert np.isnan(series[:2]).all()
    assert series[2:] == pytest.approx([seed, a3, a4])
    assert atr(highs, lows, closes, 3) == pytest.approx(a4)


def test_atr_of_constant_range_is_that_range() -> None:
    n = 50
    closes = np.full(n, 5000.0)
    assert atr(closes + 2.0, closes - 2.0, closes, 14) == pytest.approx(4.0)


def test_atr_bad_inputs() -> None:
    with pytest.raises(InsufficientDataError, match="at least 14 bars, got 3"):
        atr([1.0, 2.0, 3.0], [0.5, 1.5, 2.5], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="same length"):
        atr([1.0, 2.0], [0.5], [1.0, 2.0], 1)
    with pytest.raises(ValueError, match="bar 1: high 1.0 is below low 2.0"):
        atr([3.0, 1.0], [2.0, 2.0], [2.5, 2.0], 1)
    with pytest.raises(ValueError, match=r"lows\[0\] = nan is not a finite price"):
        atr([3.0], [float("nan")], [2.5], 1)
    with pytest.raises(ValueError, match="period"):
        atr([3.0], [2.0], [2.5], 0)


# ------------------------------------------------------------------ default stop
def test_default_stop_distance_rounds_to_ticks() -> None:
    assert default_stop_distance(3.1, 2.0, 0.25) == 6.25  # 6.2 → nearest tick
    assert default_stop_distance(3.05, 2.0, 0.25) == 6.0  # 6.1 → 6.0
    assert default_stop_distance(3.0625, 2.0, Decimal("0.25")) == 6.25  # exactly half a tick: rounds up
    assert default_stop_distance(0.0, 2.0, 0.25) == 0.25  # never below one tick
    with pytest.raises(ValueError, match="ATR"):
        default_stop_distance(float("nan"), 2.0, 0.25)
    with pytest.raises(ValueError, match="tick"):
        default_stop_distance(3.0, 2.0, 0)
    with pytest.raises(ValueError, match="multiple"):
        default_stop_distance(3.0, -1.0, 0.25)


# ------------------------------------------------------------------ contracts from risk
def test_contracts_from_risk_floors() -> None:
    # 1 % of 100 000 = 1 000 USD; ES 8 points × 50 = 400 per contract → 2.5 → 2
    assert contracts_from_risk(Decimal("100000"), Decimal("1"), 8.0, ES) == 2
    # MNQ 20 points × 2 = 40 per contract → 25
    assert contracts_from_risk(Decimal("100000"), Decimal("1"), 20.0, MNQ) == 25
    # exactly enough for 5
    assert contracts_from_risk(Decimal("100000"), Decimal("2"), 8.0, ES) == 5
    assert contracts_from_risk(Decimal("100000"), "0,5", 8.0, ES) == 1


@pytest.mark.parametrize(("equity", "pct"), [(Decimal("-500"), Decimal("1")), (Decimal("0"), Decimal("1")),
                                              (Decimal("100000"), Decimal("0")), (Decimal("100000"), Decimal("-2"))])
def test_contracts_from_risk_never_negative(equity: Decimal, pct: Decimal) -> None:
    assert contracts_from_risk(equity, pct, 8.0, ES) == 0


@pytest.mark.parametrize("stop", [0.0, -1.0, float("nan")])
def test_contracts_from_risk_refuses_a_meaningless_stop(stop: float) -> None:
    with pytest.raises(ValueError, match="stop distance"):
        contracts_from_risk(Decimal("100000"), Decimal("1"), stop, ES)


def test_estimated_risk_usd() -> None:
    assert estimated_risk_usd(2, 8.0, ES) == Decimal("800.00")
    assert estimated_risk_usd(3, 10.25, MNQ) == Decimal("61.50")
    assert estimated_risk_usd(0, 8.0, ES) == Decimal("0.00")
    with pytest.raises(ValueError, match="quantity"):
        estimated_risk_usd(-1, 8.0, ES)


def test_size_from_risk_reports_figures_when_too_small() -> None:
    result = size_from_risk(Decimal("30000"), Decimal("0.25"), 25.0, ES, Decimal("5"))
    assert result.quantity == 0
    assert result.risk_budget_usd == Decimal("75.00")
    assert result.risk_per_contract_usd == Decimal("1250.0")
    r = result.rejection
    assert r is not None and r.code == "SIZE_ZERO_FROM_RISK"
    assert "$75.00" in en(r) and "$1,250.00" in en(r) and "25 points" in en(r)
    assert "75,00 $" in fr(r) and "1 250,00 $" in fr(r) and "0,25 %" in fr(r)


def test_size_from_risk_accepting_and_range_checked() -> None:
    ok = size_from_risk(Decimal("100000"), Decimal("1"), 8.0, ES, Decimal("5"))
    assert (ok.quantity, ok.estimated_risk_usd, ok.rejection) == (2, Decimal("800.00"), None)
    bad = size_from_risk(Decimal("100000"), Decimal("7"), 8.0, ES, Decimal("5"))
    assert bad.quantity == 0 and bad.rejection is not None and bad.rejection.code == "RISK_PERCENT_OUT_OF_RANGE"


# ------------------------------------------------------------------ Kelly
def test_kelly_fraction() -> None:
    assert kelly_fraction(0.55, 1.0, 0.25) == pytest.approx(0.10)
    assert kelly_fraction(0.6, 2.0, 0.25) == 0.25  # raw 0.4, capped
    assert kelly_fraction(0.6, 2.0, 1.0) == pytest.approx(0.4)
    assert kelly_fraction(0.3, 1.0, 0.25) == 0.0  # negative edge → 0, never short the strategy
    assert kelly_fraction(0.9, 0.0, 0.25) == 0.0
    assert kelly_fraction(1.0, 1.0, 0.25) == 0.25


@pytest.mark.parametrize(
    ("w", "r", "cap", "match"),
    [(1.2, 1.0, 0.25, "win rate"), (math.nan, 1.0, 0.25, "win rate"), (0.5, -1.0, 0.25, "payoff"),
     (0.5, 1.0, 0.0, "cap"), (0.5, 1.0, 1.5, "cap")],
)
def test_kelly_fraction_bad_inputs(w: float, r: float, cap: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        kelly_fraction(w, r, cap)


# ------------------------------------------------------------------ risk percent bounds
MAX = Decimal("5.0")


@pytest.mark.parametrize("good", [Decimal("0.01"), Decimal("1"), Decimal("5.0"), 2, 2.5, "2,5", "1.5 %"])
def test_validate_risk_percent_accepts(good: object) -> None:
    assert validate_risk_percent(good, MAX) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad", "said_en", "said_fr"),
    [
        (Decimal("0"), "0%", "0 %"),
        (Decimal("-1"), "-1%", "-1 %"),
        (Decimal("5.01"), "5.01%", "5,01 %"),
        ("10 000", "10,000%", "10 000 %"),
    ],
)
def test_validate_risk_percent_out_of_range(bad: object, said_en: str, said_fr: str) -> None:
    r = validate_risk_percent(bad, MAX)  # type: ignore[arg-type]
    assert r is not None and r.code == "RISK_PERCENT_OUT_OF_RANGE"
    assert f"{said_en} is out of range" in en(r) and "at most 5%" in en(r)
    assert f"{said_fr} est hors limites" in fr(r) and "d'au plus 5 %" in fr(r)


@pytest.mark.parametrize("bad", ["beaucoup", "nan", float("inf"), True, None])
def test_validate_risk_percent_not_a_number(bad: object) -> None:
    r = validate_risk_percent(bad, MAX)  # type: ignore[arg-type]
    assert r is not None and r.code == "RISK_PERCENT_OUT_OF_RANGE"
    assert str(bad) in en(r) and "not a number" in en(r) and "n'est pas un nombre" in fr(r)


def test_parse_risk_percent() -> None:
    assert sizing.parse_risk_percent("1,5") == Decimal("1.5")
    assert sizing.parse_risk_percent(0.1) == Decimal("0.1")  # via repr, not the binary expansion
    assert sizing.parse_risk_percent("x") is None
