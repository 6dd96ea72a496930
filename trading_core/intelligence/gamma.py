"""Gamma cycle phase from the monthly equity-options expiry calendar.

Dealers' option gamma on the S&P is concentrated around the monthly expiry (third Friday). The seeds
scale positions by phase; the factors come from `IntelligenceConfig.gamma_factors`
(default expiry_week 0.7, gamma_peak 1.3, gamma_moderate 1.1, normal 1.0, post_expiry 1.05).
These are the seeds' heuristics, not an edge validated here.

Day windows, counted in calendar days from the trading date d to the monthly expiry F
(F = `trading_core.calendar.monthly_opex(year, month)`: the third Friday, or the Thursday before when
that Friday is a cash-market holiday such as Good Friday or Juneteenth):

| phase          | rule                                   | typically                                   |
|----------------|----------------------------------------|---------------------------------------------|
| expiry_week    | 0 <= F_next - d <= 4                   | Monday..Friday of the expiry week            |
| post_expiry    | 1 <= d - F_prev <= 5 (and not above)   | Monday..Wednesday after the expiry           |
| gamma_peak     | 7 <= F_next - d <= 11                  | the week before the expiry week              |
| gamma_moderate | 14 <= F_next - d <= 18                 | two weeks before the expiry week             |
| normal         | anything else                          | the first days of the cycle                  |

The trading date of a bar is the CME session date: a bar at or after 18:00 New York time belongs to the
next day's session (Sunday evening bars belong to Monday). Only the bar's own timestamp is used, so the
phase has no look-ahead.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np

PHASE_CODES: dict[str, int] = {"expiry_week": 0, "gamma_peak": 1, "gamma_moderate": 2, "normal": 3, "post_expiry": 4}
PHASE_BY_CODE: dict[int, str] = {v: k for k, v in PHASE_CODES.items()}
DEFAULT_GAMMA_FACTORS: dict[str, float] = {
    "expiry_week": 0.7,
    "gamma_peak": 1.3,
    "gamma_moderate": 1.1,
    "normal": 1.0,
    "post_expiry": 1.05,
}
_NS_PER_DAY = 86_400_000_000_000
_SESSION_SHIFT_NS = 6 * 3_600_000_000_000  # 18:00 ET + 6 h = next calendar day 00:00


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = ((h + l_ - 7 * m + 114) % 31) + 1
    return date(year, month, day)


def _third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    offset = (4 - first.weekday()) % 7  # Friday is weekday 4
    friday = first + timedelta(days=offset + 14)
    good_friday = friday == _easter(year) - timedelta(days=2)
    juneteenth = year >= 2022 and friday == date(year, 6, 19)
    if good_friday or juneteenth:  # the cash market is shut: the expiry moves to Thursday
        return friday - timedelta(days=1)
    return friday


@lru_cache(maxsize=1024)
def monthly_expiry(year: int, month: int) -> date:
    """Monthly options expiry date; uses `trading_core.calendar.monthly_opex` when that module exists."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    try:
        from trading_core.calendar import monthly_opex  # the shared CME calendar, when present
    except ImportError:
        return _third_friday(year, month)
    value = monthly_opex(year, month)
    return value.date() if isinstance(value, datetime) else value


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _prev_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


@lru_cache(maxsize=8192)
def phase_of_day(day: date) -> tuple[str, int]:
    """(phase, calendar days until the next monthly expiry) for a trading date."""
    f_this = monthly_expiry(day.year, day.month)
    if day <= f_this:
        f_next = f_this
        f_prev = monthly_expiry(*_prev_month(day.year, day.month))
    else:
        f_next = monthly_expiry(*_next_month(day.year, day.month))
        f_prev = f_this
    to_next = (f_next - day).days
    since_prev = (day - f_prev).days
    if 0 <= to_next <= 4:
        phase = "expiry_week"
    elif 1 <= since_prev <= 5:
        phase = "post_expiry"
    elif 7 <= to_next <= 11:
        phase = "gamma_peak"
    elif 14 <= to_next <= 18:
        phase = "gamma_moderate"
    else:
        phase = "normal"
    return phase, to_next


def trading_date(ts: datetime) -> date:
    """CME session date of a timezone-aware timestamp (18:00 New York time starts the next day's session)."""
    from zoneinfo import ZoneInfo

    if ts.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware (UTC)")
    et = ts.astimezone(ZoneInfo("America/New_York"))
    return (et + timedelta(hours=6)).date()


def gamma_phase(ts: datetime, factors: dict[str, float] | None = None) -> tuple[str, float]:
    """(phase, position factor) for one timestamp."""
    phase, _ = phase_of_day(trading_date(ts))
    f = DEFAULT_GAMMA_FACTORS if factors is None else factors
    return phase, float(f.get(phase, 1.0))


def gamma_arrays(
    et_wall_ns: np.ndarray, factors: dict[str, float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised phase code, factor and days-to-expiry for sorted New York wall-clock times (int64 ns).

    Only the distinct trading dates go through the calendar (a few hundred for a million 1-minute bars).
    """
    f = DEFAULT_GAMMA_FACTORS if factors is None else factors
    n = et_wall_ns.shape[0]
    codes = np.empty(n, dtype=np.int8)
    fac = np.empty(n, dtype=np.float64)
    dte = np.empty(n, dtype=np.float64)
    if n == 0:
        return codes, fac, dte
    day_idx = (et_wall_ns + _SESSION_SHIFT_NS) // _NS_PER_DAY
    change = np.flatnonzero(np.diff(day_idx)) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [n]))
    epoch = date(1970, 1, 1)
    for s, e in zip(starts.tolist(), ends.tolist()):
        phase, to_next = phase_of_day(epoch + timedelta(days=int(day_idx[s])))
        codes[s:e] = PHASE_CODES[phase]
        fac[s:e] = float(f.get(phase, 1.0))
        dte[s:e] = to_next
    return codes, fac, dte
