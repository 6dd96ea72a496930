"""Position sizing: ATR, default stop distance, contracts from a risk budget, Kelly fraction.

Money is `Decimal` (USD); prices and point distances are floats on the tick grid. Sizing always
rounds *down* (floor): rounding up would risk more than the trader asked for.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Protocol

import numpy as np

from trading_core.risk.reasons import ReasonCode, parse_number, reject
from trading_core.types import Rejection

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


class InstrumentLike(Protocol):
    """What sizing needs from `trading_core.instruments.Instrument` (read-only: instruments are frozen)."""

    @property
    def symbol(self) -> str: ...

    @property
    def multiplier(self) -> Decimal: ...  # USD per point per contract

    @property
    def tick_size(self) -> float | Decimal: ...


class InsufficientDataError(ValueError):
    """Not enough bars to compute an indicator."""


def _as_float_array(name: str, values: ArrayLike) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional sequence of prices, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{name}[{bad}] = {float(arr[bad])} is not a finite price")
    return arr


def true_range(highs: ArrayLike, lows: ArrayLike, closes: ArrayLike) -> np.ndarray:
    """True range per bar: max(high − low, |high − previous close|, |low − previous close|).

    The first bar has no previous close, so its true range is high − low.
    """
    h = _as_float_array("highs", highs)
    low = _as_float_array("lows", lows)
    c = _as_float_array("closes", closes)
    if not (len(h) == len(low) == len(c)):
        raise ValueError(f"highs, lows and closes must have the same length, got {len(h)}, {len(low)}, {len(c)}")
    if np.any(h < low):
        bad = int(np.flatnonzero(h < low)[0])
        raise ValueError(f"bar {bad}: high {h[bad]} is below low {low[bad]}")
    tr = h - low
    if len(h) > 1:
        prev = c[:-1]
        tr[1:] = np.maximum(tr[1:], np.maximum(np.abs(h[1:] - prev), np.abs(low[1:] - prev)))
    return tr


def atr_series(highs: ArrayLike, lows: ArrayLike, closes: ArrayLike, period: int = 14) -> np.ndarray:
    """Wilder's average true range for every bar; NaN for the first `period − 1` bars.

    Seeded with the simple mean of the first `period` true ranges, then
    ATR_t = (ATR_{t−1} · (period − 1) + TR_t) / period.
    """
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise ValueError(f"ATR period must be a whole number of bars ≥ 1, got {period!r}")
    tr = true_range(highs, lows, closes)
    n = len(tr)
    if n < period:
        raise InsufficientDataError(f"ATR({period}) needs at least {period} bars, got {n}")
    out = np.full(n, np.nan)
    value = float(tr[:period].mean())
    out[period - 1] = value
    # Wilder's smoothing is a recursion; a plain loop over Python floats is faster than numpy
    # element access and keeps the exact textbook arithmetic.
    keep = (period - 1) / period
    weight = 1.0 / period
    for i, x in enumerate(tr[period:].tolist(), start=period):
        value = value * keep + x * weight
        out[i] = value
    return out


def atr(highs: ArrayLike, lows: ArrayLike, closes: ArrayLike, period: int = 14) -> float:
    """Latest Wilder ATR (points). Raises `InsufficientDataError` with fewer than `period` bars."""
    return float(atr_series(highs, lows, closes, period)[-1])


def default_stop_distance(atr_value: float, multiple: float, tick: float | Decimal) -> float:
    """Stop distance in points: `multiple` × ATR rounded to the nearest tick, at least one tick."""
    tick_f = float(tick)
    if not math.isfinite(tick_f) or tick_f <= 0:
        raise ValueError(f"tick size must be a positive number, got {tick!r}")
    atr_f = float(atr_value)
    if not math.isfinite(atr_f) or atr_f < 0:
        raise ValueError(f"ATR must be a finite number ≥ 0, got {atr_value!r}")
    mult = float(multiple)
    if not math.isfinite(mult) or mult <= 0:
        raise ValueError(f"ATR stop multiple must be a positive number, got {multiple!r}")
    ticks = max(1, math.floor(atr_f * mult / tick_f + 0.5))
    return ticks * tick_f


def _decimal(name: str, value: Decimal | float | int | str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, float):
        d = Decimal(repr(value))
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, str):
        parsed = parse_number(value)
        if parsed is None:
            raise ValueError(f"{name} must be a number, got {value!r}")
        d = parsed
    else:
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not d.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return d


def _stop_points(stop_distance_points: float | Decimal | int) -> Decimal:
    d = _decimal("stop distance", stop_distance_points)
    if d <= 0:
        raise ValueError(f"stop distance must be above 0 points, got {stop_distance_points!r}")
    return d


def risk_per_contract_usd(stop_distance_points: float | Decimal, instrument: InstrumentLike) -> Decimal:
    """USD one contract loses if the stop `stop_distance_points` away is hit."""
    return _stop_points(stop_distance_points) * Decimal(instrument.multiplier)


def contracts_from_risk(
    equity: Decimal, risk_percent: Decimal | float | int | str, stop_distance_points: float | Decimal,
    instrument: InstrumentLike,
) -> int:
    """Whole contracts whose stop-out loss fits in `risk_percent` % of `equity` (floor, never negative).

    Zero or negative equity or risk percent gives 0; a stop distance ≤ 0 raises `ValueError`
    (it would mean "infinite size").
    """
    per_contract = risk_per_contract_usd(stop_distance_points, instrument)
    eq = _decimal("equity", equity)
    pct = _decimal("risk percent", risk_percent)
    if eq <= 0 or pct <= 0:
        return 0
    budget = eq * pct / _HUNDRED
    return int((budget / per_contract).to_integral_value(rounding=ROUND_FLOOR))


def estimated_risk_usd(qty: int, stop_distance_points: float | Decimal, instrument: InstrumentLike) -> Decimal:
    """USD lost if `qty` contracts are stopped out `stop_distance_points` away, to the cent."""
    if isinstance(qty, bool) or not isinstance(qty, int) or qty < 0:
        raise ValueError(f"quantity must be a whole number of contracts ≥ 0, got {qty!r}")
    return (qty * risk_per_contract_usd(stop_distance_points, instrument)).quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class SizingResult:
    """How a risk-percent order was sized; `rejection` is set when not even one contract fits."""

    quantity: int
    stop_distance_points: float
    risk_budget_usd: Decimal
    risk_per_contract_usd: Decimal
    estimated_risk_usd: Decimal
    rejection: Rejection | None


def size_from_risk(
    equity: Decimal, risk_percent: Decimal | float | int | str, stop_distance_points: float,
    instrument: InstrumentLike, max_percent: Decimal | float | int | None = None,
) -> SizingResult:
    """Size an order from a risk percent, with the refusal a trader hears when it cannot be done.

    With `max_percent`, the percent is range-checked first (RISK_PERCENT_OUT_OF_RANGE); a budget
    smaller than one contract's stop-out loss gives SIZE_ZERO_FROM_RISK with the figures.
    """
    per_contract = risk_per_contract_usd(stop_distance_points, instrument)
    zero = Decimal(0)
    if max_percent is not None:
        bad = validate_risk_percent(risk_percent, max_percent)
        if bad is not None:
            return SizingResult(0, float(stop_distance_points), zero, per_contract, zero, bad)
    pct = _decimal("risk percent", risk_percent)
    eq = _decimal("equity", equity)
    qty = contracts_from_risk(eq, pct, stop_distance_points, instrument)
    budget = (max(eq, zero) * max(pct, zero) / _HUNDRED).quantize(_CENT, rounding=ROUND_FLOOR)
    if qty == 0:
        rejection = reject(
            ReasonCode.SIZE_ZERO_FROM_RISK, "detailed", percent=pct, equity=eq, budget=budget,
            per_contract=per_contract, symbol=instrument.symbol, stop=float(stop_distance_points),
        )
        return SizingResult(0, float(stop_distance_points), budget, per_contract, zero, rejection)
    return SizingResult(
        qty, float(stop_distance_points), budget, per_contract,
        estimated_risk_usd(qty, stop_distance_points, instrument), None,
    )


def kelly_fraction(win_rate: float, payoff_ratio: float, cap: float) -> float:
    """Kelly fraction f* = W − (1 − W) / R of equity to risk, clamped to [0, cap].

    `win_rate` W in [0, 1]; `payoff_ratio` R = average win / average loss (≥ 0; 0 means no edge);
    `cap` in (0, 1] is the config's `kelly_cap` (full Kelly is far too aggressive for futures).
    """
    w, r, c = float(win_rate), float(payoff_ratio), float(cap)
    if not math.isfinite(w) or not 0.0 <= w <= 1.0:
        raise ValueError(f"win rate must be between 0 and 1, got {win_rate!r}")
    if not math.isfinite(r) or r < 0:
        raise ValueError(f"payoff ratio must be a finite number ≥ 0, got {payoff_ratio!r}")
    if not math.isfinite(c) or not 0.0 < c <= 1.0:
        raise ValueError(f"Kelly cap must be above 0 and at most 1, got {cap!r}")
    if r == 0.0:
        return 0.0
    f = w - (1.0 - w) / r
    return min(max(f, 0.0), c)


def parse_risk_percent(percent: Decimal | float | int | str) -> Decimal | None:
    """The percent as a finite Decimal ("2,5" and "10 000" are understood), or None if not a number."""
    try:
        return _decimal("risk percent", percent)
    except ValueError:
        return None


def validate_risk_percent(
    percent: Decimal | float | int | str, max_percent: Decimal | float | int
) -> Rejection | None:
    """None when 0 < percent ≤ max_percent, else a RISK_PERCENT_OUT_OF_RANGE refusal.

    Accepts text as a trader types or says it ("1,5", "10 000"); text that is not a number gets
    the "not_a_number" sentence quoting it back.
    """
    maximum = _decimal("maximum risk percent", max_percent)
    value = parse_risk_percent(percent)
    if value is None:
        return reject(ReasonCode.RISK_PERCENT_OUT_OF_RANGE, "not_a_number", percent=str(percent), max=maximum)
    if value <= 0 or value > maximum:
        return reject(ReasonCode.RISK_PERCENT_OUT_OF_RANGE, percent=value, max=maximum)
    return None


__all__ = [
    "InsufficientDataError",
    "SizingResult",
    "atr",
    "atr_series",
    "contracts_from_risk",
    "default_stop_distance",
    "estimated_risk_usd",
    "kelly_fraction",
    "parse_risk_percent",
    "risk_per_contract_usd",
    "size_from_risk",
    "true_range",
    "validate_risk_percent",
]
