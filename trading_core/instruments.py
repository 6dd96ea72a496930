"""Tradable instruments (ES, MNQ) and exact tick arithmetic.

Prices are floats that are exact multiples of the tick; money is `Decimal`. Every conversion from a
price to money goes through an integer number of ticks (or, for prices that are not on the tick such
as an average entry price, through the exact decimal value of the float's shortest repr), so summing
thousands of fills never accumulates binary floating point error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from trading_core.types import Rejection


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str  # our root symbol, also used on Bar / Order / Position
    description: str
    multiplier: Decimal  # USD per index point
    tick_size: float
    tick_value: Decimal  # USD per tick per contract = multiplier * tick_size
    exchange: str = "CME"
    currency: str = "USD"
    ib_symbol: str = ""  # Interactive Brokers `symbol` of the future
    trading_class: str = ""  # Interactive Brokers `tradingClass`
    # Symbols whose prices are identical (full-size vs micro contract). Lets an NQ data file feed MNQ.
    price_aliases: tuple[str, ...] = ()

    def round_price(self, price: float) -> float:
        return round_to_tick(price, self.tick_size)

    def is_on_tick(self, price: float) -> bool:
        return is_on_tick(price, self.tick_size)

    def price_to_ticks(self, price: float) -> int:
        return price_to_ticks(price, self.tick_size)

    def ticks_to_price(self, ticks: int) -> float:
        return ticks_to_price(ticks, self.tick_size)


ES = Instrument(
    symbol="ES",
    description="E-mini S&P 500 futures",
    multiplier=Decimal("50"),
    tick_size=0.25,
    tick_value=Decimal("12.50"),
    ib_symbol="ES",
    trading_class="ES",
    price_aliases=("MES",),
)
MNQ = Instrument(
    symbol="MNQ",
    description="Micro E-mini Nasdaq-100 futures",
    multiplier=Decimal("2"),
    tick_size=0.25,
    tick_value=Decimal("0.50"),
    ib_symbol="MNQ",
    trading_class="MNQ",
    price_aliases=("NQ",),
)

INSTRUMENTS: dict[str, Instrument] = {ES.symbol: ES, MNQ.symbol: MNQ}


class UnknownSymbolError(KeyError, ValueError):
    """A symbol that is not in `INSTRUMENTS`. Catchable as KeyError or ValueError."""

    code = "UNKNOWN_SYMBOL"

    def __init__(self, symbol: object) -> None:
        self.symbol = symbol
        known = ", ".join(sorted(INSTRUMENTS))
        self.message_en = f"Unknown symbol {symbol!r}. Known symbols: {known}."
        self.message_fr = f"Symbole inconnu {symbol!r}. Symboles connus : {known}."
        self.message = f"{self.message_en} / {self.message_fr}"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would otherwise print the repr of the message
        return self.message

    def message_for(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en

    def to_rejection(self) -> Rejection:
        from trading_core.risk.reasons import ReasonCode, reject

        return reject(ReasonCode.UNKNOWN_SYMBOL, symbol=str(self.symbol))


def get_instrument(symbol: str) -> Instrument:
    """The instrument for `symbol` (case-insensitive, surrounding spaces ignored)."""
    if not isinstance(symbol, str):
        raise UnknownSymbolError(symbol)
    try:
        return INSTRUMENTS[symbol.strip().upper()]
    except KeyError:
        raise UnknownSymbolError(symbol) from None


def resolve_symbol(symbol: str) -> str:
    """The canonical symbol (e.g. ' es ' -> 'ES'); raises UnknownSymbolError."""
    return get_instrument(symbol).symbol


# --- tick arithmetic ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _tick_decimal(tick: float) -> Decimal:
    if isinstance(tick, bool) or not isinstance(tick, (int, float)) or not math.isfinite(tick) or tick <= 0:
        raise ValueError(f"tick size must be a positive finite number, got {tick!r}")
    return Decimal(repr(float(tick)))


def _price_decimal(price: float) -> Decimal:
    # repr gives the shortest string that round-trips, i.e. the decimal the user meant (6000.1, not
    # 6000.100000000000363...), which is what a tick grid expressed in decimal needs.
    if isinstance(price, bool) or not isinstance(price, (int, float)):
        raise TypeError(f"price must be a number, got {type(price).__name__} {price!r}")
    if not math.isfinite(price):
        raise ValueError(f"price must be finite, got {price!r}")
    return Decimal(repr(float(price)))


def ticks_to_price(ticks: int, tick: float) -> float:
    """The float nearest to `ticks * tick` (exact for binary ticks such as 0.25)."""
    return float(int(ticks) * _tick_decimal(tick))


def round_to_tick(price: float, tick: float) -> float:
    """Round to the nearest multiple of `tick`, halves away from zero; tick multiples come back unchanged."""
    quotient = _price_decimal(price) / _tick_decimal(tick)
    return ticks_to_price(int(quotient.to_integral_value(rounding=ROUND_HALF_UP)), tick)


def is_on_tick(price: float, tick: float, tolerance_ticks: float = 0.0) -> bool:
    """True when `price` is a multiple of `tick` (exactly, or within `tolerance_ticks` of one)."""
    if isinstance(price, bool) or not isinstance(price, (int, float)) or not math.isfinite(price):
        return False
    quotient = _price_decimal(price) / _tick_decimal(tick)
    distance = abs(quotient - quotient.to_integral_value(rounding=ROUND_HALF_UP))
    return distance <= Decimal(repr(float(tolerance_ticks)))


def price_to_ticks(price: float, tick: float) -> int:
    """`price / tick` as an int. The price (or price difference) must be on the tick: a silent rounding
    here would lose money in the ledger, so an off-tick value raises ValueError."""
    quotient = _price_decimal(price) / _tick_decimal(tick)
    ticks = quotient.to_integral_value(rounding=ROUND_HALF_UP)
    if quotient != ticks:
        raise ValueError(
            f"{price!r} is not a multiple of the tick {tick!r}; round it first (round_to_tick)"
        )
    return int(ticks)


def ticks_to_usd(ticks: int, instrument: Instrument) -> Decimal:
    """USD value of `ticks` ticks for one contract."""
    if isinstance(ticks, bool) or not isinstance(ticks, int):
        raise TypeError(f"ticks must be an int, got {type(ticks).__name__} {ticks!r}")
    return ticks * instrument.tick_value


def points_to_usd(points: float, qty: int, instrument: Instrument) -> Decimal:
    """USD value of a move of `points` index points on `qty` contracts (signed values allowed).

    On-tick moves (every fill-to-fill difference) go through integer ticks. An off-tick move, which
    appears only when an averaged entry price is involved, uses the exact decimal of the float.
    """
    if isinstance(qty, bool) or not isinstance(qty, int):
        raise TypeError(f"qty must be an int, got {type(qty).__name__} {qty!r}")
    exact = _price_decimal(points) / _tick_decimal(instrument.tick_size)
    whole = exact.to_integral_value(rounding=ROUND_HALF_UP)
    if exact == whole:
        return int(whole) * qty * instrument.tick_value
    return _price_decimal(points) * instrument.multiplier * qty


__all__ = [
    "ES",
    "INSTRUMENTS",
    "MNQ",
    "Instrument",
    "UnknownSymbolError",
    "get_instrument",
    "is_on_tick",
    "points_to_usd",
    "price_to_ticks",
    "resolve_symbol",
    "round_to_tick",
    "ticks_to_price",
    "ticks_to_usd",
]
