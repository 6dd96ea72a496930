"""Round 15, English side: a command said first then an aside, statements that are no orders, a
three-letter side typed wrong first in an order, a market's name typed with its figure glued, a
typo of "cancel", requests wrapped in "I was wondering if you could…"."""
from __future__ import annotations

import pytest

from assistant.nlu.parser import Parser


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("flatten everything, I'm off to lunch", "close_positions", {"scope": "all"}),
    ("sell 2 ES because CPI is out soon", "place_trade", {"side": "SELL", "quantity": 2, "symbol": "ES"}),
    ("stop trading, my internet is acting up", "halt", {}),
    ("close the micro, I've seen enough", "close_positions", {"symbol": "MNQ"}),
])
def test_a_command_said_first_is_read_without_its_aside(parser: Parser, text: str, intent: str,
                                                        slots: dict[str, object]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent and result.slots == slots


@pytest.mark.parametrize("text", [
    "buy 2 ES, just kidding", "close ES, 2 MNQ", "sell 2 ES, I already did", "close my ES unless it bounces",
    "buy 2 ES, my friend told me to", "flatten everything, I'm off to lunch, then buy 2 ES", "sell 2 ES, right?",
    "buy 2 ES, 3 actually", "close ES, everything",
])
def test_an_aside_that_says_more_refuses_the_command(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


@pytest.mark.parametrize("text", [
    "I'm out of ES", "i'm out of MNQ", "we're out of everything", "I sell 3 MNQ", "i sell 2 ES", "u buy 2 ES",
    "you buy 1 ES", "we short 2 ES", "u sell 2 MNQ?",
])
def test_a_state_or_a_subject_before_a_side_is_no_order(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


@pytest.mark.parametrize("text", ["can you buy 2 ES", "can u sell 2 MNQ", "can i buy 2 ES", "get me out of MNQ",
                                  "I want to sell 6 spoos"])
def test_requests_with_a_subject_stay_orders(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent in ("place_trade", "close_positions")


@pytest.mark.parametrize(("text", "side"), [("sel 2 ES", "SELL"), ("buu 3 MNQ", "BUY"), ("byu 1 MNQ", "BUY"),
                                            ("sel two ES", "SELL")])
def test_a_short_side_typo_first_in_an_order_is_that_side(parser: Parser, text: str, side: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "place_trade" and result.slots["side"] == side
    assert result.typed_only


@pytest.mark.parametrize("text", ["sel ES", "sho 2 ES", "bye 2 ES", "biy 2 ES", "lon 2 ES", "sel 2 ES tomorrow", "set 2 ES", "buy 2 MQN"])
def test_a_short_word_is_no_side_elsewhere_or_two_edits_away(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


@pytest.mark.parametrize(("text", "intent"), [("buy 1 SP500 future", "place_trade"), ("sell 1 S&P500", "place_trade"),
                                              ("close my SP500 position", "close_positions")])
def test_a_market_typed_with_its_figure_glued(parser: Parser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent and result.slots["symbol"] == "ES"


def test_a_market_typed_first_with_a_number_stays_refused(parser: Parser) -> None:
    assert not parser.parse("buy 2 ES2").matched  # TradingView's second month, or two contracts?


def test_cancel_mistyped_cancels_confirm_mistyped_does_not(parser: Parser) -> None:
    assert parser.parse("cancle").intent == "cancel" and parser.parse("cancle").matched
    assert not parser.parse("confrim").matched


@pytest.mark.parametrize(("text", "intent"), [
    ("I was wondering if you could close my ES", "close_positions"),
    ("any chance you could flatten everything", "close_positions"),
    ("wat can u do", "help"), ("wait what did u say", "repeat"),
    ("Please restrict trading to position-reducing orders only.", "reduce_only"),
    ("I would like the autopilot to submit its trades for my approval.", "autopilot_mode"),
])
def test_indirect_formal_and_chat_requests(parser: Parser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent


def test_a_wrapped_request_keeps_its_condition(parser: Parser) -> None:
    assert not parser.parse("I was wondering if you could buy 2 ES if it dips").matched
