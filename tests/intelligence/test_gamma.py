"""Gamma cycle phases on known dates."""
from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest

from trading_core.intelligence.features import compute_features
from trading_core.intelligence.gamma import (
    PHASE_CODES,
    _third_friday,
    gamma_arrays,
    gamma_phase,
    monthly_expiry,
    phase_of_day,
    trading_date,
)


def test_known_monthly_expiries() -> None:
    assert monthly_expiry(2026, 12) == date(2026, 12, 18)  # an opex Friday
    assert monthly_expiry(2026, 12).weekday() == 4
    assert monthly_expiry(2023, 9) == date(2023, 9, 15)
    assert monthly_expiry(2025, 4) == date(2025, 4, 17)  # Good Friday 2025-04-18: Thursday
    assert _third_friday(2025, 4) == date(2025, 4, 17)  # the local fallback agrees
    assert _third_friday(2026, 12) == date(2026, 12, 18)
    assert monthly_expiry(2026, 6) == _third_friday(2026, 6) == date(2026, 6, 18)  # Juneteenth Friday


@pytest.mark.parametrize(
    ("day", "phase", "days_to"),
    [
        (date(2026, 12, 18), "expiry_week", 0),  # expiry Friday
        (date(2026, 12, 14), "expiry_week", 4),  # Monday of expiry week
        (date(2026, 12, 11), "gamma_peak", 7),  # Friday of the week before
        (date(2026, 12, 7), "gamma_peak", 11),
        (date(2026, 12, 4), "gamma_moderate", 14),
        (date(2026, 11, 30), "gamma_moderate", 18),
        (date(2026, 11, 23), "post_expiry", 25),  # Monday after the Nov 20 expiry
        (date(2026, 11, 25), "post_expiry", 23),  # Wednesday after
        (date(2026, 11, 26), "normal", 22),
        (date(2026, 12, 21), "post_expiry", 25),  # Monday after Dec 18; next expiry 2027-01-15
    ],
)
def test_phase_windows(day: date, phase: str, days_to: int) -> None:
    assert phase_of_day(day) == (phase, days_to)


def test_session_date_and_factors() -> None:
    # Sunday 2026-12-13 18:00 New York (23:00 UTC) opens Monday's session: expiry week
    sunday_evening = datetime(2026, 12, 13, 23, 0, tzinfo=timezone.utc)
    assert trading_date(sunday_evening) == date(2026, 12, 14)
    assert gamma_phase(sunday_evening) == ("expiry_week", 0.7)
    # one hour earlier it is still Sunday -> Friday's window (gamma peak)
    assert trading_date(datetime(2026, 12, 13, 21, 0, tzinfo=timezone.utc)) == date(2026, 12, 13)
    custom = {"expiry_week": 0.5, "gamma_peak": 1.3, "gamma_moderate": 1.1, "normal": 1.0, "post_expiry": 1.05}
    assert gamma_phase(sunday_evening, custom) == ("expiry_week", 0.5)
    with pytest.raises(ValueError):
        trading_date(datetime(2026, 12, 13, 23, 0))


def test_vectorised_phases_match_scalar_and_feature_columns() -> None:
    idx = pd.date_range("2026-11-15 23:00", "2026-12-24 20:00", freq="37min", tz="UTC")
    et = idx.tz_convert("America/New_York").tz_localize(None).as_unit("ns").asi8
    codes, fac, dte = gamma_arrays(et)
    for i in range(0, len(idx), 97):
        phase, factor = gamma_phase(idx[i].to_pydatetime())
        assert codes[i] == PHASE_CODES[phase] and fac[i] == factor
    c = np.full(len(idx), 6000.0)
    bars = pd.DataFrame({"open": c, "high": c + 1, "low": c - 1, "close": c, "volume": 10.0}, index=idx)
    f = compute_features(bars, gamma_factors={**dict.fromkeys(PHASE_CODES, 1.0), "expiry_week": 0.7})
    np.testing.assert_array_equal(f["gamma_phase"].to_numpy(), codes.astype(float))
    assert set(np.unique(f["gamma_factor"])) == {0.7, 1.0}
    np.testing.assert_array_equal(f["days_to_opex"].to_numpy(), dte)
