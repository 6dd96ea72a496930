"""Session 21 (held-out set 22, fitted): what the fit changed in the parser's rules, beyond the data."""
from __future__ import annotations

import pytest

from assistant.nlu.parser import Parser


@pytest.mark.parametrize(("text", "slots"), [
    ("mi vé achète 2 ES", {"side": "BUY", "quantity": 2, "symbol": "ES"}),       # Réunion: je veux
    ("Eu quero acheter 2 ES", {"side": "BUY", "quantity": 2, "symbol": "ES"}),   # Portuguese: je veux
    ("Sell 4 a dem micros", {"side": "SELL", "quantity": 4, "symbol": "MNQ"}),   # Jamaica: of them
    ("j'suis chaud, achète 3 spoos", {"side": "BUY", "quantity": 3, "symbol": "ES"}),  # the comma kept
])
def test_contractions_of_several_words_are_said_in_full(parser: Parser, text: str, slots: dict) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "place_trade" and result.slots == slots


def test_a_question_is_not_answered_over_a_contracted_command(parser: Parser) -> None:
    """"ferm tout bann position" (ferme toutes les positions) is the close, never the positions asked."""
    result = parser.parse("Oté, ferm tout bann position")
    assert result.matched and result.intent == "close_positions" and result.slots == {"scope": "all"}


@pytest.mark.parametrize(("text", "price"), [
    ("Buy 3 MNQ at 18,050 limit, no higher", 18050.0),
    ("Achète deux ES à 5 015, et pas un centime de plus", 5015.0),
    ("buy 2 ES at 5015, not a penny more", 5015.0),
])
def test_a_ceiling_said_after_the_limit_is_that_limit(parser: Parser, text: str, price: float) -> None:
    result = parser.parse(text)
    assert result.matched and result.slots["side"] == "BUY" and result.slots["price"] == price


@pytest.mark.parametrize("text", ["sell 2 ES at 5015 limit no higher", "vends 3 MNQ à 18 050 limite, pas plus cher"])
def test_a_ceiling_on_a_sell_is_refused(parser: Parser, text: str) -> None:
    """A sell limit is a floor: "no higher" on a sell says something else than the order (never read at that price)."""
    assert not parser.parse(text).matched


@pytest.mark.parametrize("text", ["dump all my ES bags, go flat", "get rid of my ES, go flat"])
def test_a_close_of_everything_after_a_market_named_is_refused(parser: Parser, text: str) -> None:
    """That market's close, or all? Never all the positions on doubt."""
    result = parser.parse(text)
    assert not (result.matched and result.slots.get("scope") == "all")


def test_a_comment_naming_no_market_keeps_its_close_of_everything(parser: Parser) -> None:
    result = parser.parse("bears in control, go flat")
    assert result.matched and result.intent == "close_positions" and result.slots == {"scope": "all"}


@pytest.mark.parametrize("text", ["Buy 2 ES just now, boet", "close everything just now"])
def test_a_time_made_of_skip_words_is_a_time(parser: Parser, text: str) -> None:
    """South African "just now" is in a while: a timed order, refused with its reason."""
    result = parser.parse(text)
    assert not result.matched and result.reason == "unsupported_time"


def test_now_alone_is_still_now(parser: Parser) -> None:
    result = parser.parse("buy 2 ES right now")
    assert result.matched and result.slots == {"side": "BUY", "quantity": 2, "symbol": "ES"}


@pytest.mark.parametrize("text", [
    "is it going to be choppy or quiet over the next few hours, volatility-wise?",
    "ça va être agité ou calme côté volatilité dans les prochaines heures ?",
])
def test_the_volatility_of_the_hours_ahead_is_not_the_regime(parser: Parser, text: str) -> None:
    assert parser.parse(text).intent != "market_regime"
