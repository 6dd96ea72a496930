"""CME Globex hours for equity index futures, trading days, quarterly contracts and rolls.

Hours: Sunday 18:00 to Friday 17:00 America/New_York with a daily 17:00-18:00 break. All times are
computed in New York wall-clock time through zoneinfo, so DST changes move the UTC times, never the
local ones. Exchange holidays (early halts, full closures) are not modelled in the trading hours;
they are used only where they change a date that matters: the expiry of a contract and the monthly
options expiration, which move to the Thursday when the cash market is shut on the third Friday
(Good Friday, Juneteenth).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from trading_core.instruments import get_instrument

NEW_YORK = ZoneInfo("America/New_York")
UTC = timezone.utc
SESSION_OPEN = time(18, 0)  # ET, the evening before the trading day
SESSION_CLOSE = time(17, 0)  # ET
_OPEN_MIN = SESSION_OPEN.hour * 60
_CLOSE_MIN = SESSION_CLOSE.hour * 60
# weekday(): Monday=0 ... Sunday=6
_FRIDAY, _SATURDAY, _SUNDAY = 4, 5, 6

MONTH_CODES: dict[int, str] = {
    1: "F", 2: "G", 3: "H", 4: "J", 5: "K", 6: "M", 7: "N", 8: "Q", 9: "U", 10: "V", 11: "X", 12: "Z"
}
CODE_MONTHS: dict[str, int] = {code: month for month, code in MONTH_CODES.items()}
QUARTERLY_MONTHS: tuple[int, ...] = (3, 6, 9, 12)
QUARTERLY_CODES: dict[int, str] = {m: MONTH_CODES[m] for m in QUARTERLY_MONTHS}
DEFAULT_ROLL_DAYS = 8


def _require_aware(ts: datetime) -> datetime:
    if not isinstance(ts, datetime):
        raise TypeError(f"expected a datetime, got {type(ts).__name__} {ts!r}")
    if ts.tzinfo is None or ts.tzinfo.utcoffset(ts) is None:
        raise ValueError(f"timestamp {ts.isoformat()} has no time zone; pass a timezone-aware (UTC) datetime")
    return ts


def _et(ts: datetime) -> datetime:
    return _require_aware(ts).astimezone(NEW_YORK)


def _closed_at(weekday: int, minute_of_day: int) -> bool:
    if weekday == _SATURDAY:
        return True
    if weekday == _SUNDAY:
        return minute_of_day < _OPEN_MIN
    if weekday == _FRIDAY:
        return minute_of_day >= _CLOSE_MIN
    return _CLOSE_MIN <= minute_of_day < _OPEN_MIN


def is_market_open(ts: datetime) -> bool:
    """Is CME Globex (equity index futures) trading at `ts` (timezone-aware)?"""
    local = _et(ts)
    # seconds matter only at the boundaries, which are whole minutes
    return not _closed_at(local.weekday(), local.hour * 60 + local.minute)


_NS_PER_MIN = 60_000_000_000
_NS_PER_HOUR = 3_600_000_000_000
_NS_PER_DAY = 86_400_000_000_000


def _utc_ns(index: pd.DatetimeIndex | pd.Series | np.ndarray) -> np.ndarray:
    idx = pd.DatetimeIndex(index)
    idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
    return idx.as_unit("ns").asi8


def et_local_ns(utc_ns: np.ndarray) -> np.ndarray:
    """New York wall-clock time, as nanoseconds since 1970-01-01 00:00 local, for UTC nanoseconds.

    New York changes offset only on whole UTC hours, so the offset is looked up once per distinct
    hour rather than converting every timestamp (about 20x faster on a million bars).
    """
    utc_ns = np.asarray(utc_ns, dtype=np.int64)
    if utc_ns.size == 0:
        return utc_ns.copy()
    hours = utc_ns // _NS_PER_HOUR
    first, last = int(hours.min()), int(hours.max())
    if last - first < 2_000_000:  # a table over every hour of the span (about 230 years max)
        table_hours = np.arange(first, last + 1, dtype=np.int64)
        position = hours - first
    else:
        table_hours, position = np.unique(hours, return_inverse=True)
    stamps = pd.DatetimeIndex((table_hours * _NS_PER_HOUR).astype("datetime64[ns]")).tz_localize("UTC")
    local = stamps.tz_convert(NEW_YORK).tz_localize(None).as_unit("ns").asi8
    offsets = local - table_hours * _NS_PER_HOUR
    return utc_ns + offsets[position.reshape(-1)]


def et_weekday_minute(utc_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(weekday Monday=0, minute of the New York day) for UTC nanoseconds."""
    local = et_local_ns(utc_ns)
    days = local // _NS_PER_DAY
    # 1970-01-01 was a Thursday: (days + 3) % 7 gives Monday=0 ... Sunday=6
    return (days + 3) % 7, (local - days * _NS_PER_DAY) // _NS_PER_MIN


def market_open_mask(index: pd.DatetimeIndex | pd.Series | np.ndarray) -> np.ndarray:
    """Vectorised `is_market_open` for many timestamps (naive values are taken as UTC)."""
    return open_mask_from_parts(*et_weekday_minute(_utc_ns(index)))


def open_mask_from_parts(weekday: np.ndarray, minute: np.ndarray) -> np.ndarray:
    """Open flags from New York weekday (Monday=0) and minute of day arrays."""
    closed = (
        (weekday == _SATURDAY)
        | ((weekday == _SUNDAY) & (minute < _OPEN_MIN))
        | ((weekday == _FRIDAY) & (minute >= _CLOSE_MIN))
        | ((minute >= _CLOSE_MIN) & (minute < _OPEN_MIN))
    )
    return ~closed


def _boundaries_around(ts: datetime) -> list[tuple[datetime, bool]]:
    """Session opens (True) and closes (False) in UTC for the ET dates around `ts`, sorted."""
    day = _et(ts).date()
    out: list[tuple[datetime, bool]] = []
    for offset in range(-2, 10):
        d = day + timedelta(days=offset)
        wd = d.weekday()
        if wd in (_SUNDAY, 0, 1, 2, 3):
            out.append((datetime.combine(d, SESSION_OPEN, NEW_YORK).astimezone(UTC), True))
        if wd <= _FRIDAY:
            out.append((datetime.combine(d, SESSION_CLOSE, NEW_YORK).astimezone(UTC), False))
    out.sort()
    return out


def next_open(ts: datetime) -> datetime:
    """The first session open strictly after `ts`, in UTC (while open, that is the open after the
    coming break)."""
    _require_aware(ts)
    return next(b for b, is_open in _boundaries_around(ts) if is_open and b > ts)


def next_close(ts: datetime) -> datetime:
    """The first session close (daily break or weekend) strictly after `ts`, in UTC."""
    _require_aware(ts)
    return next(b for b, is_open in _boundaries_around(ts) if not is_open and b > ts)


def week_open(ts: datetime) -> datetime:
    """The Globex week's opening (Sunday 18:00 New York) at or before `ts`, in UTC."""
    local = _et(ts)
    sunday = local.date() - timedelta(days=(local.weekday() - _SUNDAY) % 7)
    opening = datetime.combine(sunday, SESSION_OPEN, NEW_YORK)
    if opening > local:
        opening = datetime.combine(sunday - timedelta(days=7), SESSION_OPEN, NEW_YORK)
    return opening.astimezone(UTC)


def session_date(ts: datetime) -> date:
    """The CME trading day `ts` belongs to.

    From 18:00 ET a timestamp belongs to the next day's session; a Friday evening, Saturday or Sunday
    belongs to Monday. The 17:00-18:00 break belongs to the session that just closed.
    """
    local = _et(ts)
    day = local.date()
    if local.time() >= SESSION_OPEN:
        day += timedelta(days=1)
    if day.weekday() == _SATURDAY:
        day += timedelta(days=2)
    elif day.weekday() == _SUNDAY:
        day += timedelta(days=1)
    return day


def session_dates(index: pd.DatetimeIndex | pd.Series | np.ndarray) -> np.ndarray:
    """Vectorised `session_date`: datetime64[D] trading days for timestamps (naive = UTC)."""
    local = et_local_ns(_utc_ns(index))
    day = local // _NS_PER_DAY
    minute = (local - day * _NS_PER_DAY) // _NS_PER_MIN
    day = day + (minute >= _OPEN_MIN)
    weekday = (day + 3) % 7
    day = day + np.where(weekday == _SATURDAY, 2, np.where(weekday == _SUNDAY, 1, 0))
    return day.astype("datetime64[D]")


# --- expiries -----------------------------------------------------------------------------------


def _check_year_month(year: int, month: int) -> None:
    if not isinstance(year, int) or not 1900 <= year <= 2200:
        raise ValueError(f"year must be an integer between 1900 and 2200, got {year!r}")
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise ValueError(f"month must be an integer between 1 and 12, got {month!r}")


def third_friday(year: int, month: int) -> date:
    _check_year_month(year, month)
    first = date(year, month, 1)
    return first + timedelta(days=(_FRIDAY - first.weekday()) % 7 + 14)


def easter_sunday(year: int) -> date:
    """Gregorian Easter (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def cash_market_closed_friday(day: date) -> bool:
    """Is the U.S. cash equity market shut on this Friday? Only the holidays that can fall on a third
    Friday matter here: Good Friday and Juneteenth (observed, since 2022)."""
    if day == easter_sunday(day.year) - timedelta(days=2):
        return True
    if day.year >= 2022:
        juneteenth = date(day.year, 6, 19)
        observed = {_SATURDAY: juneteenth - timedelta(days=1), _SUNDAY: juneteenth + timedelta(days=1)}
        if day == observed.get(juneteenth.weekday(), juneteenth):
            return True
    return False


def _third_friday_or_thursday(year: int, month: int) -> date:
    day = third_friday(year, month)
    # the final settlement uses the cash index opening print, so a cash-market holiday moves it back
    return day - timedelta(days=1) if cash_market_closed_friday(day) else day


def monthly_opex(year: int, month: int) -> date:
    """Monthly equity options expiration: the third Friday, or the Thursday before when the cash
    market is closed that Friday (e.g. Good Friday 2025-04-18 -> 2025-04-17)."""
    return _third_friday_or_thursday(year, month)


def contract_expiry(year: int, month: int) -> date:
    """Last trading day of a quarterly equity index future (ES, MNQ): the third Friday of the contract
    month, the Thursday before when that Friday is a cash-market holiday."""
    _check_year_month(year, month)
    if month not in QUARTERLY_MONTHS:
        raise ValueError(f"equity index futures expire in March, June, September, December; got month {month}")
    return _third_friday_or_thursday(year, month)


def roll_date(expiry: date, days_before: int = DEFAULT_ROLL_DAYS) -> date:
    """The day the front month switches to the next contract: `days_before` calendar days before the
    expiry (8 -> the Thursday of the week before a Friday expiry)."""
    if isinstance(days_before, bool) or not isinstance(days_before, int) or not 0 <= days_before <= 60:
        raise ValueError(f"days_before must be an integer between 0 and 60, got {days_before!r}")
    return expiry - timedelta(days=days_before)


# --- contracts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contract:
    symbol: str  # root, e.g. "ES"
    local_symbol: str  # e.g. "ESZ6": root + month code + one-digit year, as IB shows it
    year: int
    month: int
    month_code: str
    expiry: date
    roll_date: date
    last_trade_date_or_contract_month: str  # IB Contract field, "YYYYMM"

    def next(self, roll_days: int = DEFAULT_ROLL_DAYS) -> "Contract":
        """The following quarterly contract."""
        year, month = (self.year + 1, 3) if self.month == 12 else (self.year, self.month + 3)
        return contract_for(self.symbol, year, month, roll_days)


def contract_for(symbol: str, year: int, month: int, roll_days: int = DEFAULT_ROLL_DAYS) -> Contract:
    root = get_instrument(symbol).symbol
    expiry = contract_expiry(year, month)
    code = MONTH_CODES[month]
    return Contract(
        symbol=root,
        local_symbol=f"{root}{code}{year % 10}",
        year=year,
        month=month,
        month_code=code,
        expiry=expiry,
        roll_date=roll_date(expiry, roll_days),
        last_trade_date_or_contract_month=f"{year:04d}{month:02d}",
    )


def front_month(symbol: str, ts: datetime | date, roll_days: int = DEFAULT_ROLL_DAYS) -> Contract:
    """The contract to trade at `ts`: the nearest quarterly contract whose roll date has not come yet.

    A datetime is first mapped to its CME trading day (`session_date`), so a Sunday-evening or
    18:00-onwards timestamp already counts as the next day. On the roll date itself the next contract
    is the front month.
    """
    day = session_date(ts) if isinstance(ts, datetime) else ts
    if not isinstance(day, date):
        raise TypeError(f"expected a datetime or date, got {type(ts).__name__} {ts!r}")
    year, month = day.year, next(m for m in QUARTERLY_MONTHS if m >= day.month)
    contract = contract_for(symbol, year, month, roll_days)
    while day >= contract.roll_date:
        contract = contract.next(roll_days)
    return contract


def parse_local_symbol(local_symbol: str, reference: date | None = None) -> Contract:
    """'ESZ6' -> the Contract. A one-digit year is taken in the decade that puts the expiry nearest to
    `reference` (today by default) without being more than a year in the past."""
    text = local_symbol.strip().upper() if isinstance(local_symbol, str) else ""
    if len(text) < 3 or not text[-1].isdigit() or text[-2] not in CODE_MONTHS:
        raise ValueError(f"{local_symbol!r} is not a futures local symbol like 'ESZ6'")
    root, code, digit = text[:-2], text[-2], int(text[-1])
    month = CODE_MONTHS[code]
    ref = reference or datetime.now(UTC).date()
    year = ref.year - ref.year % 10 + digit
    if date(year, month, 28) < ref - timedelta(days=365):
        year += 10
    elif date(year, month, 1) > ref + timedelta(days=365 * 9):
        year -= 10
    return contract_for(root, year, month)


__all__ = [
    "CODE_MONTHS",
    "Contract",
    "DEFAULT_ROLL_DAYS",
    "MONTH_CODES",
    "NEW_YORK",
    "QUARTERLY_CODES",
    "QUARTERLY_MONTHS",
    "cash_market_closed_friday",
    "contract_expiry",
    "contract_for",
    "easter_sunday",
    "et_local_ns",
    "et_weekday_minute",
    "front_month",
    "is_market_open",
    "market_open_mask",
    "monthly_opex",
    "next_close",
    "open_mask_from_parts",
    "next_open",
    "parse_local_symbol",
    "roll_date",
    "session_date",
    "session_dates",
    "third_friday",
    "week_open",
]
