"""Orders in a trader's shape (assistant/nlu/order_shapes.py), market typos after the quantity
(TypoFixer.market_typo) and franglais sides next to French words (`side_neighbours`): round 27a."""
from __future__ import annotations

import pytest

from assistant.nlu.order_shapes import OrderShapes
from assistant.nlu.parser import Parser

SHAPES = OrderShapes({"en": {"price_markers": ["at"], "quantity_connectors": ["for"], "price_ceilings": ["at most"],
                             "price_floors": ["at least"], "price_exact": ["flat"]}})


def _number(word: str) -> bool:
    return word.isdigit()


def test_the_price_before_the_quantity_goes_last() -> None:
    shaped = SHAPES.reshaped("limit buy at 5890 for 1 es".split(), _number)
    assert shaped is not None and shaped.text == "limit buy 1 es at 5890"
    assert (shaped.price, shaped.quantity, shaped.side) == (5890.0, "1", None)


def test_a_ceiling_belongs_to_a_buy() -> None:
    shaped = SHAPES.reshaped("buy 1 es at 5910 at most".split(), _number)
    assert shaped is not None and (shaped.text, shaped.price, shaped.side) == ("buy 1 es at 5910", 5910.0, "BUY")


def test_plain_orders_are_no_shape() -> None:
    assert SHAPES.reshaped("buy 2 es at 6840".split(), _number) is None
    assert SHAPES.reshaped("buy 2 es for the boss".split(), _number) is None


#: Orders in these shapes, read (their slots) or refused (None).
CASES: list[tuple[str, dict[str, object] | None]] = [
    ("limit buy at 5890 for 1 ES", {"side": "BUY", "quantity": 1, "symbol": "ES", "price": 5890.0}),
    ("un achat à 5890 sur 1 ES", {"side": "BUY", "quantity": 1, "symbol": "ES", "price": 5890.0}),
    ("achète 2 ES à 5910 au plus", {"side": "BUY", "quantity": 2, "symbol": "ES", "price": 5910.0}),
    ("sell 2 ES at 6900 at least", {"side": "SELL", "quantity": 2, "symbol": "ES", "price": 6900.0}),
    ("buy 2 ES at 6000 flat", {"side": "BUY", "quantity": 2, "symbol": "ES", "price": 6000.0}),
    ("buy 2 ESS", {"side": "BUY", "quantity": 2, "symbol": "ES"}),
    ("vends 1 mnqq", {"side": "SELL", "quantity": 1, "symbol": "MNQ"}),
    ("je buy 1 ES", {"side": "BUY", "quantity": 1, "symbol": "ES"}),
    ("un sell de 2 micros", {"side": "SELL", "quantity": 2, "symbol": "MNQ"}),
    ("sell un ES au market", {"side": "SELL", "quantity": 1, "symbol": "ES"}),
] + [(text, None) for text in [
    "sell 2 ES at 6840 at most",         # a sell limit is a floor
    "vends 2 ES à 5910 au plus",
    "achète 2 ES à 6840 ou plus",
    "limit buy at 6840 for 2 ES at 6850",  # two prices
    "buy 2 ES at 6840 for 1 MNQ",
    "sell 2 ES flat",
    "close ESS",
    "buy 2 esm",
    "buy 2 mqn",                          # letters swapped: a market is never guessed
    "je buy et sell 1 ES",
    "achète 2 ES au market à 6840",       # a market order and a price
    "buy 2 MNQ at sixty seventy",         # 6070 is no MNQ price (`price_ranges`): a handle dropped? never guessed
]] + [
    # session 15: `price_ranges` is on, a price said the trader's way is read inside its market's range
    ("buy 2 ES at sixty seventy", {"side": "BUY", "quantity": 2, "symbol": "ES", "price": 6070.0}),
]


@pytest.mark.parametrize(("text", "slots"), CASES)
def test_shapes_are_read_as_the_plain_order_or_refused(parser: Parser, text: str, slots: dict[str, object] | None) -> None:
    result = parser.parse(text)
    if slots is None:
        assert not result.matched, result
    else:
        assert (result.matched, result.intent, result.slots) == (True, "place_trade", slots)
