"""Prices said the way traders say them (assistant/nlu/trader_price.py, round 27a)."""
from __future__ import annotations

import pytest

from assistant.nlu.numbers import number_language
from assistant.nlu.trader_price import PriceReader

READER = PriceReader({"en": {"price_ranges": ["ES 4000 8000", "MNQ 15000 30000"]}})
EN = number_language("en").parse
FR = number_language("fr").parse


@pytest.mark.parametrize(("words", "parse", "price"), [
    ("sixty seventy", EN, 6070.0),
    ("sixty eight ninety nine", EN, 6899.0),
    ("six eight four zero", EN, 6840.0),
    ("twenty four eight fifty", EN, 24850.0),
    ("two four nine one zero", EN, 24910.0),
    ("soixante huit quarante", FR, 6840.0),
    ("cinquante neuf dix", FR, 5910.0),
    ("vingt quatre huit cinquante", FR, 24850.0),
])
def test_one_shape_one_price(words: str, parse: object, price: float) -> None:
    assert READER.read(words.split(), parse) == price  # type: ignore[arg-type]


@pytest.mark.parametrize("words", ["six eight four", "sixty eight nine", "sixty seventy eighty", "68 40", "seventy",
                                   "ten twenty"])
def test_no_price_or_two_are_never_read(words: str) -> None:
    assert READER.read(words.split(), EN) is None


def test_the_market_range_is_checked() -> None:
    assert READER.fits("ES", 6070.0) and not READER.fits("MNQ", 6070.0) and not READER.fits("CL", 70.0)
