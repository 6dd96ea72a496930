"""CME Globex hours, trading days, expiries, rolls and front-month contracts."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from trading_core.calendar import (
    NEW_YORK,
    Contract,
    contract_expiry,
    contract_for,
    easter_sunday,
    front_month,
    is_market_open,
    market_open_mask,
    monthly_opex,
    next_close,
    next_open,
    parse_local_symbol,
    roll_date,
    session_date,
    session_dates,
    third_friday,
)
from trading_core.instruments import UnknownSymbolError

UTC = timezone.utc


def et(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    """A New York wall-clock time, returned in UTC as the API expects."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=NEW_YORK).astimezone(UTC)


# 2026-11-16 is a Monday; 2026-11-20 Friday; 2026-11-21 Saturday; 2026-11-22 Sunday.
@pytest.mark.parametrize(
    "when, is_open",
    [
        (et(2026, 11, 22, 17, 59), False),  # Sunday before the open
        (et(2026, 11, 22, 18, 0), True),  # Sunday open
        (et(2026, 11, 16, 9, 30), True),
        (et(2026, 11, 16, 16, 59, 59), True),
        (et(2026, 11, 16, 17, 0), False),  # daily break
        (et(2026, 11, 16, 17, 59, 59), False),
        (et(2026, 11, 16, 18, 0), True),
        (et(2026, 11, 17, 3, 0), True),  # overnight
        (et(2026, 11, 20, 16, 59), True),  # Friday before the close
        (et(2026, 11, 20, 17, 0), False),  # weekend starts
        (et(2026, 11, 20, 18, 30), False),  # no Friday evening session
        (et(2026, 11, 21, 12, 0), False),  # Saturday
        (et(2026, 11, 22, 12, 0), False),  # Sunday afternoon
    ],
)
def test_is_market_open(when: datetime, is_open: bool) -> None:
    assert is_market_open(when) is is_open


def test_hours_follow_new_york_time_across_dst() -> None:
    # DST starts Sunday 2026-03-08: the Sunday open is 22:00 UTC, a week earlier it was 23:00 UTC.
    assert not is_market_open(datetime(2026, 3, 1, 22, 30, tzinfo=UTC))
    assert is_market_open(datetime(2026, 3, 1, 23, 0, tzinfo=UTC))
    assert is_market_open(datetime(2026, 3, 8, 22, 0, tzinfo=UTC))
    assert not is_market_open(datetime(2026, 3, 8, 21, 59, tzinfo=UTC))
    # the daily break in summer is 21:00-22:00 UTC, in winter 22:00-23:00 UTC
    assert not is_market_open(datetime(2026, 7, 15, 21, 30, tzinfo=UTC))
    assert is_market_open(datetime(2026, 7, 15, 22, 30, tzinfo=UTC))
    assert is_market_open(datetime(2026, 12, 15, 21, 30, tzinfo=UTC))
    assert not is_market_open(datetime(2026, 12, 15, 22, 30, tzinfo=UTC))
    # DST ends Sunday 2026-11-01: that Sunday opens at 23:00 UTC
    assert next_open(datetime(2026, 11, 1, 12, 0, tzinfo=UTC)) == datetime(2026, 11, 1, 23, 0, tzinfo=UTC)
    assert next_open(datetime(2026, 3, 8, 12, 0, tzinfo=UTC)) == datetime(2026, 3, 8, 22, 0, tzinfo=UTC)


def test_other_time_zones_are_accepted_and_naive_ones_refused() -> None:
    paris = datetime(2026, 11, 16, 15, 30, tzinfo=__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert is_market_open(paris)  # 09:30 in New York
    with pytest.raises(ValueError, match="no time zone"):
        is_market_open(datetime(2026, 11, 16, 15, 30))
    with pytest.raises(ValueError, match="no time zone"):
        next_open(datetime(2026, 11, 16, 15, 30))
    with pytest.raises(TypeError):
        session_date("2026-11-16")  # type: ignore[arg-type]


def test_vectorised_mask_matches_scalar_minute_by_minute_over_dst_weeks() -> None:
    for start in (datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 10, 30, tzinfo=UTC)):
        stamps = pd.date_range(start, periods=5 * 1440, freq="1min", tz="UTC")
        mask = market_open_mask(stamps)
        scalar = np.array([is_market_open(t) for t in stamps.to_pydatetime()])
        assert (mask == scalar).all()
        assert 0.4 < mask.mean() < 0.8
    # naive numpy datetimes are read as UTC
    naive = np.array(["2026-11-16T14:30", "2026-11-21T14:30"], dtype="datetime64[ns]")
    assert market_open_mask(naive).tolist() == [True, False]


@pytest.mark.parametrize(
    "when, expected_open, expected_close",
    [
        (et(2026, 11, 20, 12, 0), et(2026, 11, 22, 18, 0), et(2026, 11, 20, 17, 0)),  # Friday
        (et(2026, 11, 21, 12, 0), et(2026, 11, 22, 18, 0), et(2026, 11, 23, 17, 0)),  # Saturday
        (et(2026, 11, 16, 17, 30), et(2026, 11, 16, 18, 0), et(2026, 11, 17, 17, 0)),  # in the break
        (et(2026, 11, 17, 10, 0), et(2026, 11, 17, 18, 0), et(2026, 11, 17, 17, 0)),  # open
        (et(2026, 11, 16, 18, 0), et(2026, 11, 17, 18, 0), et(2026, 11, 17, 17, 0)),  # exactly at an open
        (et(2026, 11, 19, 18, 0), et(2026, 11, 22, 18, 0), et(2026, 11, 20, 17, 0)),  # Thursday evening
    ],
)
def test_next_open_and_close(when: datetime, expected_open: datetime, expected_close: datetime) -> None:
    assert next_open(when) == expected_open
    assert next_close(when) == expected_close
    assert next_open(when).tzinfo is not None and next_open(when).utcoffset() == timedelta(0)


def test_next_open_close_properties_on_random_times() -> None:
    rng = random.Random(3)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    tiny = timedelta(microseconds=1)
    for _ in range(500):
        ts = base + timedelta(seconds=rng.randint(0, 2 * 365 * 86400))
        o, c = next_open(ts), next_close(ts)
        assert o > ts and c > ts
        assert is_market_open(o) and not is_market_open(o - tiny)
        assert not is_market_open(c) and is_market_open(c - tiny)
        if is_market_open(ts):
            assert c < o  # the session ends before the next one begins
        else:
            assert o < c


@pytest.mark.parametrize(
    "when, day",
    [
        (et(2026, 11, 16, 10, 0), date(2026, 11, 16)),
        (et(2026, 11, 16, 17, 30), date(2026, 11, 16)),  # break belongs to the session that closed
        (et(2026, 11, 16, 18, 0), date(2026, 11, 17)),
        (et(2026, 11, 16, 23, 59), date(2026, 11, 17)),
        (et(2026, 11, 17, 0, 1), date(2026, 11, 17)),
        (et(2026, 11, 19, 20, 0), date(2026, 11, 20)),  # Thursday evening -> Friday
        (et(2026, 11, 20, 16, 0), date(2026, 11, 20)),
        (et(2026, 11, 20, 18, 30), date(2026, 11, 23)),  # Friday evening -> Monday
        (et(2026, 11, 21, 12, 0), date(2026, 11, 23)),  # Saturday -> Monday
        (et(2026, 11, 22, 12, 0), date(2026, 11, 23)),  # Sunday afternoon -> Monday
        (et(2026, 11, 22, 19, 0), date(2026, 11, 23)),  # Sunday evening session -> Monday
        (et(2026, 3, 8, 18, 0), date(2026, 3, 9)),  # DST Sunday
    ],
)
def test_session_date(when: datetime, day: date) -> None:
    assert session_date(when) == day


def test_session_dates_vectorised_matches_scalar() -> None:
    stamps = pd.date_range(datetime(2026, 3, 1, tzinfo=UTC), periods=3000, freq="7min", tz="UTC")
    vec = session_dates(stamps)
    scalar = np.array([np.datetime64(session_date(t)) for t in stamps.to_pydatetime()])
    assert (vec == scalar).all()


@pytest.mark.parametrize(
    "year, month, expected",
    [(2026, 12, date(2026, 12, 18)), (2026, 3, date(2026, 3, 20)), (2026, 9, date(2026, 9, 18)),
     (2025, 12, date(2025, 12, 19)), (2027, 3, date(2027, 3, 19)), (2026, 6, date(2026, 6, 19))],
)
def test_third_friday(year: int, month: int, expected: date) -> None:
    assert third_friday(year, month) == expected


def test_third_friday_is_always_a_friday_between_15_and_21() -> None:
    for year in range(2000, 2041):
        for month in range(1, 13):
            d = third_friday(year, month)
            assert d.weekday() == 4 and 15 <= d.day <= 21


def test_easter() -> None:
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert easter_sunday(2008) == date(2008, 3, 23)


def test_expiry_and_opex_move_to_thursday_on_cash_market_holidays() -> None:
    assert contract_expiry(2026, 12) == date(2026, 12, 18)
    assert contract_expiry(2026, 3) == date(2026, 3, 20)
    assert contract_expiry(2026, 6) == date(2026, 6, 18)  # Juneteenth falls on the third Friday
    assert contract_expiry(2027, 6) == date(2027, 6, 17)  # Juneteenth (Sat) observed Friday 18th
    assert contract_expiry(2008, 3) == date(2008, 3, 20)  # Good Friday 2008-03-21
    assert monthly_opex(2025, 4) == date(2025, 4, 17)  # Good Friday 2025-04-18
    assert monthly_opex(2026, 1) == date(2026, 1, 16)
    assert monthly_opex(2026, 11) == date(2026, 11, 20)
    assert monthly_opex(2021, 6) == date(2021, 6, 18)  # before Juneteenth was a market holiday


@pytest.mark.parametrize("year, month", [(2026, 1), (2026, 11), (2026, 13), (2026, 0), (1800, 3)])
def test_contract_expiry_refuses_bad_months(year: int, month: int) -> None:
    with pytest.raises(ValueError, match="month|year"):
        contract_expiry(year, month)


def test_roll_date() -> None:
    assert roll_date(date(2026, 12, 18)) == date(2026, 12, 10)  # default 8 days: the Thursday before
    assert roll_date(date(2026, 12, 18), days_before=0) == date(2026, 12, 18)
    assert roll_date(date(2026, 12, 18), days_before=14) == date(2026, 12, 4)
    for bad in (-1, 61, 2.5, True):
        with pytest.raises(ValueError, match="days_before"):
            roll_date(date(2026, 12, 18), days_before=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "symbol, when, local, contract_month",
    [
        ("ES", date(2026, 11, 21), "ESZ6", "202612"),
        ("ES", date(2026, 12, 9), "ESZ6", "202612"),  # the day before the roll
        ("ES", date(2026, 12, 10), "ESH7", "202703"),  # roll date: the next contract
        ("ES", date(2026, 12, 20), "ESH7", "202703"),
        ("ES", date(2026, 9, 9), "ESU6", "202609"),
        ("ES", date(2026, 9, 10), "ESZ6", "202612"),
        ("ES", date(2026, 1, 2), "ESH6", "202603"),
        ("ES", date(2026, 6, 9), "ESM6", "202606"),
        ("ES", date(2026, 6, 10), "ESU6", "202609"),  # June 2026 expires Thursday 18th, rolls 10th
        ("mnq", date(2026, 12, 1), "MNQZ6", "202612"),
        ("MNQ", date(2029, 3, 14), "MNQM9", "202906"),
    ],
)
def test_front_month(symbol: str, when: date, local: str, contract_month: str) -> None:
    c = front_month(symbol, when)
    assert c.local_symbol == local
    assert c.last_trade_date_or_contract_month == contract_month
    assert c.month_code == local[-2] and c.year % 10 == int(local[-1])
    assert c.roll_date == c.expiry - timedelta(days=8)
    assert c.roll_date > when


def test_front_month_from_timestamps_uses_the_cme_trading_day() -> None:
    # Wednesday 2026-12-09 18:30 ET already belongs to Thursday's session, the roll date.
    assert front_month("ES", et(2026, 12, 9, 16, 0)).local_symbol == "ESZ6"
    assert front_month("ES", et(2026, 12, 9, 18, 30)).local_symbol == "ESH7"


def test_front_month_roll_days_is_configurable() -> None:
    assert front_month("ES", date(2026, 12, 5), roll_days=14).local_symbol == "ESH7"
    assert front_month("ES", date(2026, 12, 5), roll_days=8).local_symbol == "ESZ6"
    assert front_month("ES", date(2026, 12, 17), roll_days=0).local_symbol == "ESZ6"
    assert front_month("ES", date(2026, 12, 18), roll_days=0).local_symbol == "ESH7"


def test_contract_fields() -> None:
    c = contract_for("ES", 2026, 12)
    assert c == Contract("ES", "ESZ6", 2026, 12, "Z", date(2026, 12, 18), date(2026, 12, 10), "202612")
    assert c.next().local_symbol == "ESH7" and c.next().year == 2027
    with pytest.raises(UnknownSymbolError):
        front_month("NQ", date(2026, 1, 1))
    with pytest.raises(ValueError):
        contract_for("ES", 2026, 5)


def test_parse_local_symbol() -> None:
    ref = date(2026, 11, 21)
    assert parse_local_symbol("ESZ6", ref).expiry == date(2026, 12, 18)
    assert parse_local_symbol("ESH7", ref).year == 2027
    assert parse_local_symbol(" mnqz5 ", ref).year == 2025  # just expired: still this decade
    assert parse_local_symbol("ESU9", ref).year == 2029
    for bad in ("ES", "ESA6", "ESZ", "", "Z6"):
        with pytest.raises(ValueError):
            parse_local_symbol(bad, ref)
