"""Round 7 stages (issue #13): the slot-filling reader (assistant/nlu/slot_reader.py), typos
(assistant/nlu/typos.py) and corrections whose second part is a bare value. Each accepts only
when nothing is left unexplained; everything else stays refused."""
from __future__ import annotations

import pytest

from assistant.nlu.parser import Parser

B, S = "BUY", "SELL"


@pytest.mark.parametrize(("text", "slots"), [
    ("prix 5012,25 qté 3 achat MNQ", {"side": B, "quantity": 3, "symbol": "MNQ", "price": 5012.25}),
    ("price 5955.75 qty 2 buy ES", {"side": B, "quantity": 2, "symbol": "ES", "price": 5955.75}),
    ("side: sell / qty: 3 / mkt: ES", {"side": S, "quantity": 3, "symbol": "ES"}),
    ("sens : vente / qté : 3 / marché : ES", {"side": S, "quantity": 3, "symbol": "ES"}),
    ("2x ES long", {"side": B, "quantity": 2, "symbol": "ES"}),
    ("long ES x2", {"side": B, "quantity": 2, "symbol": "ES"}),
    ("ES achat 2 lots", {"side": B, "quantity": 2, "symbol": "ES"}),
    ("achat ES qté 3 à 5012,25", {"side": B, "quantity": 3, "symbol": "ES", "price": 5012.25}),
    ("je veux buy 2 ES", {"side": B, "quantity": 2, "symbol": "ES"}),
    ("buy deux ES", {"side": B, "quantity": 2, "symbol": "ES"}),
    ("sell trois MNQ au marché", {"side": S, "quantity": 3, "symbol": "MNQ"}),
    ("buy 2 ES asap", {"side": B, "quantity": 2, "symbol": "ES"}),
    ("vends 3 MNQ immédiatement", {"side": S, "quantity": 3, "symbol": "MNQ"}),
])
def test_slots_in_any_order_are_read(parser: Parser, text: str, slots: dict) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "place_trade" and result.slots == slots, result


@pytest.mark.parametrize(("text", "slots"), [
    ("qté 10 MNQ", {"quantity": 10, "symbol": "MNQ"}),
    ("qty 2 ES please", {"quantity": 2, "symbol": "ES"}),
    ("add two MNQ to my position", {"quantity": 2, "symbol": "MNQ"}),
    ("rajoute deux ES à ma position", {"quantity": 2, "symbol": "ES"}),
    ("I want 4 MNQ", {"quantity": 4, "symbol": "MNQ"}),
])
def test_no_side_is_a_follow_up_for_the_side(parser: Parser, text: str, slots: dict) -> None:
    result = parser.parse(text)
    assert not result.matched and result.intent == "place_trade" and result.reason == "missing_side", result
    assert result.slots == slots and result.missing == ("side",)


@pytest.mark.parametrize("text", [
    "qté 2 qté 3 achat ES",                      # a slot said twice, two values
    "achat vente 2 ES",                          # two sides
    "prix 5000 qty 2 buy ES price 5001",         # two prices
    "qty 2 buy ES MNQ",                          # two markets
    "qty 2 buy ES tomorrow",                     # a word the reader does not know
    "qté 2 achat ES si ça casse",                # a condition
    "je veux pas buy 2 ES",                      # a negation
    "achat 2 ES 5000",                           # two unlabelled numbers
    "achète 3 à 5 ES",                           # "à" before the market: two numbers, no price
    "buy twenty to ES",                          # a stray word by the number
    "prix qté 2 achat ES",                       # a label without its value
    "achat 2 ES au marché prix 5000",            # a price and a market order
    "buy 2.5 ES",                                # not a whole number of contracts
    "I have 3 ES",
    "vends une douzaine de MNQ",
])
def test_anything_unexplained_is_refused(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not result.matched and not (result.reason or "").startswith("missing_side"), result


def test_a_language_restriction_holds_for_the_other_language_words(parser: Parser) -> None:
    assert not parser.parse("buy deux ES", lang="en").matched
    assert parser.parse("qté 10 MNQ", lang="en").reason != "missing_side"
    assert parser.parse("qté 10 MNQ").language == "fr" and parser.parse("qty 10 MNQ").language == "en"


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("ahcète 2 ES", "place_trade", {"side": B, "quantity": 2, "symbol": "ES"}),
    ("vnds 2 ES", "place_trade", {"side": S, "quantity": 2, "symbol": "ES"}),
    ("slel 3 MNQ", "place_trade", {"side": S, "quantity": 3, "symbol": "MNQ"}),
    ("clsoe all", "close_positions", {"scope": "all"}),
    ("fremer tout", "close_positions", {"scope": "all"}),
])
def test_a_typo_with_one_grammar_word_one_edit_away_is_corrected_typed_only(parser: Parser, text: str,
                                                                            intent: str, slots: dict) -> None:
    result = parser.parse(text)
    assert result.matched and (result.intent, result.slots) == (intent, slots), result
    assert result.typed_only  # from a recogniser, an odd word is a mishearing: never acted on


@pytest.mark.parametrize("text", ["lons 2 ES", "vens 2 ES", "star trading", "yse", "buy minus three ES",
                                  "on arrête les frais pour aujourd'hui"])
def test_a_typo_that_could_be_two_words_or_a_real_word_is_not_corrected(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not (result.matched and result.intent in ("place_trade", "resume", "confirm", "halt")), result


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("ferme tout… enfin non, juste le MNQ", "close_positions", {"symbol": "MNQ"}),
    ("close all... actually no, just the MNQ", "close_positions", {"symbol": "MNQ"}),
    ("close the MNQ, uh no, everything", "close_positions", {"scope": "all"}),
    ("mets le pilote en automatique, euh non, en proposition", "autopilot_mode", {"mode": "propose"}),
    ("set the autopilot to automatic, uh no, to propose", "autopilot_mode", {"mode": "propose"}),
])
def test_a_bare_value_after_a_correction_replaces_the_one_value_of_its_kind(parser: Parser, text: str,
                                                                             intent: str, slots: dict) -> None:
    result = parser.parse(text)
    assert result.matched and (result.intent, result.slots) == (intent, slots), result


@pytest.mark.parametrize("text", ["ferme tout, enfin non, attends", "close all, actually no, buy 2 ES",
                                  "close all, actually no, not the MNQ", "ferme tout, enfin non, pas le MNQ",
                                  "buy 2 ES at 5000, no, 3"])
def test_a_correction_that_is_not_one_clear_value_is_refused(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched
