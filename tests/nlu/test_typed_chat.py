"""Round 13 (issue #13): how people type in a chat. A number glued to a market ("achète 2ES"), a
typo of a command word that a question would otherwise pass over ("cloturre ma position ES"), an
order or a close asked with a "?" ("achète 2 ES ?": should I?), a past typed loosely ("jai achete 2 ES")."""
from __future__ import annotations

import pytest

from assistant.nlu.parser import Parser

B, S = "BUY", "SELL"


@pytest.mark.parametrize(("text", "slots"), [
    ("achète 2ES", {"side": B, "quantity": 2, "symbol": "ES"}),
    ("sell 3mnq", {"side": S, "quantity": 3, "symbol": "MNQ"}),
    ("achte 2ES", {"side": B, "quantity": 2, "symbol": "ES"}),  # a glued number and a typo
])
def test_a_number_glued_to_a_market_is_read_as_two_words_typed_only(parser: Parser, text: str, slots: dict) -> None:
    result = parser.parse(text)
    assert result.matched and (result.intent, result.slots) == ("place_trade", slots), result
    assert result.typed_only


@pytest.mark.parametrize("text", [
    "achète ES2",  # TradingView's ES2! is the second month: 2 contracts is not guessed
    "buy 2esp",  # not a market's name
    "achète 2ES ou 3",
    "buy 5k of ES",  # money, never glued to a market
])
def test_a_market_first_or_other_letters_glued_to_a_number_are_not_split(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not (result.matched and result.intent == "place_trade"), result


def test_unglued_splits_only_a_market_name(parser: Parser) -> None:
    typos = parser._typos
    assert typos is not None
    assert typos.unglued(["achete", "2es"]) == ["achete", "2", "es"]
    assert typos.unglued(["buy", "5k", "es"]) is None
    assert typos.unglued(["es2"]) is None


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("cloturre ma position ES", "close_positions", {"symbol": "ES"}),
    ("ferme ma positon MNQ", "close_positions", {"symbol": "MNQ"}),
])
def test_a_typo_of_a_command_word_is_not_passed_over_by_a_question(parser: Parser, text: str, intent: str,
                                                                   slots: dict) -> None:
    result = parser.parse(text)
    assert result.matched and (result.intent, result.slots) == (intent, slots), result


@pytest.mark.parametrize(("text", "intent"), [("blabla ma position ES", "positions"), ("mes psoitions ?", "positions")])
def test_a_question_with_an_unknown_word_that_is_no_command_is_still_answered(parser: Parser, text: str,
                                                                              intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent, result


@pytest.mark.parametrize(("text", "intent"), [
    ("achète 2 ES ?", "place_trade"), ("buy 2 ES??", "place_trade"), ("long 2 ES ?", "place_trade"),
    ("2 MNQ bid ?", "place_trade"), ("ferme tout ?", "close_positions"), ("out ES?", "close_positions"),
])
def test_an_order_or_a_close_asked_with_a_question_mark_is_refused(parser: Parser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert not result.matched and result.nearest == intent, result


@pytest.mark.parametrize(("text", "intent"), [
    ("achète 2 ES stp ?", "place_trade"), ("tu peux acheter 2 ES ?", "place_trade"),
    ("could you buy 2 ES?", "place_trade"), ("buy 2 ES pls?", "place_trade"), ("achète 2 ES !!!", "place_trade"),
    ("is it possible to buy 2 ES?", "place_trade"), ("tu peux fermer tout ?", "close_positions"),
    ("achète 2 ES", "place_trade"),
])
def test_an_order_or_a_close_requested_with_a_question_mark_is_still_understood(parser: Parser, text: str,
                                                                                 intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent, result


@pytest.mark.parametrize("text", ["buy ES?", "achète des ES ?"])
def test_an_incomplete_order_asked_gets_no_follow_up_question(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not result.matched and not (result.reason or "").startswith("missing_"), result
    assert parser.parse(text.rstrip(" ?")).reason == "missing_quantity"  # as an order: "how many?"


@pytest.mark.parametrize(("text", "intent"), [("je suis flat ?", "positions"), ("kill switch ?", "halt"),
                                              ("u long ES?", "positions"), ("r we flat?", "positions")])
def test_a_question_mark_changes_nothing_else(parser: Parser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent, result


def test_a_typo_near_several_forms_of_a_close_is_that_close(parser: Parser) -> None:
    # "cloes": clos? close? closes? every one a close cue: corrected to the command word
    result = parser.parse("cloes my ES")
    assert result.matched and (result.intent, result.slots) == ("close_positions", {"symbol": "ES"}), result
    assert result.typed_only


@pytest.mark.parametrize("text", [
    "jai achete 2 ES",  # j'ai acheté, typed without apostrophe nor accent: a past told
    "j'ai acheter 2 ES",  # the participle misspelled
    "j'ai vend 2 ES",
    "the bot sell 2 ES",  # someone else's trade
    "the model buy 2 ES",
    "idk buy 2 ES",  # doubt in chat shorthand
    "ds le doute achete 2 ES",
])
def test_a_past_someone_elses_trade_or_doubt_typed_loosely_is_no_order(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not (result.matched and result.intent == "place_trade"), result


@pytest.mark.parametrize(("text", "slots", "typed_only"), [
    ("b 2 es pls", {"side": B, "quantity": 2, "symbol": "ES"}, False),  # a word of thanks after the ticket
    ("vd 2 es tt de suite", {"side": S, "quantity": 2, "symbol": "ES"}, False),
    ("lg 2 es", {"side": B, "quantity": 2, "symbol": "ES"}, False),
    ("shrt 1 mnq", {"side": S, "quantity": 1, "symbol": "MNQ"}, False),
    ("vds 3 mnq", {"side": S, "quantity": 3, "symbol": "MNQ"}, False),
    ("vnds 3 mnq", {"side": S, "quantity": 3, "symbol": "MNQ"}, True),  # a typo of vends or vds: one sell
    ("s 1 mnq @ 21000.5", {"side": S, "quantity": 1, "symbol": "MNQ", "price": 21000.5}, False),  # "@": a limit
    ("vte 1 mnq @ 21000", {"side": S, "quantity": 1, "symbol": "MNQ", "price": 21000.0}, False),
    ("s1 mnq", {"side": S, "quantity": 1, "symbol": "MNQ"}, True),  # glued: typed only
    ("ach2 es", {"side": B, "quantity": 2, "symbol": "ES"}, True),
    ("b 3es", {"side": B, "quantity": 3, "symbol": "ES"}, True),
])
def test_a_chat_ticket_is_read_glued_with_a_price_or_a_word_after_it(parser: Parser, text: str, slots: dict,
                                                                     typed_only: bool) -> None:
    result = parser.parse(text)
    assert result.matched and (result.intent, result.slots) == ("place_trade", slots), result
    assert result.typed_only == typed_only


@pytest.mark.parametrize("text", [
    "b2es", "es 2", "b es", "s 2", "b s 2 es", "b 2 es s 1 mnq", "b 2 es mnq", "b 2 3 es", "b 2 es 5990",
    "b 2 es @", "b 2 es tmrw", "s 2 es?", "bot 2 es", "a 2 es", "sh 1 mnq",
])
def test_letters_in_any_other_shape_are_no_ticket(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not (result.matched and result.intent == "place_trade"), result


@pytest.mark.parametrize("text", ["mode auto ?", "auto mode?", "autopilot on?", "autopilote off ?", "resume?"])
def test_a_switch_that_lets_mia_trade_asked_with_a_question_mark_is_never_flipped(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not result.matched and result.nearest in ("autopilot_mode", "resume"), result


@pytest.mark.parametrize(("text", "intent"), [("stop?", "halt"), ("can you resume trading?", "resume")])
def test_a_protective_switch_or_a_request_with_a_question_mark_stays(parser: Parser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent
