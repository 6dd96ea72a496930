"""Session 20 (held-out 21): a number written out then in figures, and a question answered over
a word that may be a mistyped command."""
from __future__ import annotations

import pytest

from assistant.nlu.normalize import normalize
from assistant.nlu.parser import Parser


@pytest.mark.parametrize(("text", "slots"), [
    ("buy two (2) ES", {"side": "BUY", "quantity": 2, "symbol": "ES"}),
    ("I hereby sell one (1) MNQ", {"side": "SELL", "quantity": 1, "symbol": "MNQ"}),
    ("vends vingt-deux (22) micros", {"side": "SELL", "quantity": 22, "symbol": "MNQ"}),
    ("Kindly enter a limit order to sell two (2) ES contracts at a price of 6,910.",
     {"side": "SELL", "quantity": 2, "symbol": "ES", "price": 6910.0}),
])
def test_a_number_written_out_then_in_figures_is_one_number(parser: Parser, text: str,
                                                            slots: dict[str, object]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "place_trade" and result.slots == slots


@pytest.mark.parametrize("text", ["buy two (3) ES", "vends vingt deux (2) ES", "buy twenty two (2) ES",
                                  "buy 2 (two) ES"])
def test_figures_that_say_another_number_are_refused(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


def test_the_bracket_rewrite_only_drops_figures_the_words_say() -> None:
    assert normalize("two (2) ES") == "two es"
    assert normalize("vingt deux (2) ES") == "vingt deux 2 es"
    assert normalize("achète (en limite) 2 ES") == "achete en limite 2 es"


@pytest.mark.parametrize("text", ["ferm tout mé positions", "ferm toutes mes positions"])
def test_a_question_is_not_answered_over_a_contracted_command_word(parser: Parser, text: str) -> None:
    """"ferm" is typed for "ferme" (session 21: a contraction, as four blind writers used it): never
    answered as the positions; the close it says is read (and read back before anything is done)."""
    result = parser.parse(text)
    assert result.matched and result.intent == "close_positions" and result.slots == {"scope": "all"}


@pytest.mark.parametrize("text", ["fern toutes mes positions", "fermr tout"])
def test_a_typo_of_a_contracted_command_word_is_corrected_to_its_full_form(parser: Parser, text: str) -> None:
    """"fern" and "fermr" are one edit from "ferm" (a contraction of ferme) and "ferme": one close whichever."""
    result = parser.parse(text)
    assert result.matched and result.intent == "close_positions" and result.slots == {"scope": "all"}


@pytest.mark.parametrize(("text", "intent"), [("mes positons", "positions"), ("shwo my positions", "positions")])
def test_a_typo_near_no_command_word_still_gets_its_answer(parser: Parser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent


@pytest.mark.parametrize("text", ["annule surtout pas", "annule, surtout pas", "annule pas ça"])
def test_a_cancel_verb_then_a_negating_no_is_no_cancel(parser: Parser, text: str) -> None:
    """"annule surtout pas": "n'annule surtout pas" with its "ne" dropped (keep it), or "annule, surtout pas"
    (cancel, don't send)? Said to a read-back, asked again: neither parsed nor read in context as a cancel."""
    result = parser.parse(text)
    assert not result.matched and result.reason == "unclear_answer"
    assert parser.context_answer(text) is None


@pytest.mark.parametrize("text", ["non surtout pas", "surtout pas", "annule, non", "non, pas ça", "nan annule"])
def test_plain_refusals_still_cancel(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "cancel"


@pytest.mark.parametrize(("text", "normalized"), [
    ("at 6,820, please", "at 6820 please"), ("sell at 25,300, now", "sell at 25300 now"), ("1,000,", "1000"),
    ("achète à 6,5, merci", "achete a 6.5 merci"), ("0,500, oui", "0.500 oui")])
def test_a_comma_grouped_figure_before_a_comma_of_the_sentence(text: str, normalized: str) -> None:
    assert normalize(text) == normalized


def test_a_limit_price_with_thousands_commas_then_please(parser: Parser) -> None:
    result = parser.parse("Could you put in a buy limit for one ES at 6,820, please?")
    assert result.matched and result.slots == {"side": "BUY", "quantity": 1, "symbol": "ES", "price": 6820.0}
