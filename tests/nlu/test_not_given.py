"""A command said but not given (assistant/nlu/not_given.py, round 24a): cues as data, quotes as marks."""
from __future__ import annotations

import pytest

from assistant.nlu.normalize import normalize
from assistant.nlu.not_given import NotGiven

FRAMES = {"en": {"not_given": ["says", "remind me", "for example"], "not_given_except": ["like he says"],
                 "standing_orders": ["from now on"], "repeat_orders": ["order", "do it"]}}


@pytest.fixture(scope="module")
def cues() -> NotGiven:
    return NotGiven(FRAMES)


@pytest.mark.parametrize("text,wrapped", [
    ("my coach says buy 2 ES", True), ("remind me to close ES", True), ("for example, sell 1 MNQ", True),
    ("buy 2 ES like he says", False), ("buy 2 ES", False), ("remind the desk", False),
])
def test_a_cue_outside_its_exceptions_wraps_the_command(cues: NotGiven, text: str, wrapped: bool) -> None:
    assert cues.wrapped(normalize(text).split()) is wrapped


def test_standing_and_repeated_orders(cues: NotGiven) -> None:
    assert cues.standing("from now on sell 2 mnq".split()) and not cues.standing("sell 2 mnq now".split())
    assert cues.order_again("repeat the last order".split()) and not cues.order_again("repeat that".split())


@pytest.mark.parametrize("text,quoted", [
    ('say "buy 2 ES"', True), ('is "buy 2 ES" a market order', True), ("que fait « achète 2 ES » ?", True),
    ('"buy 2 ES"', False), ("« achète 2 ES »", False), ("'close ES'", False),
    ("achète l'ES", False), ("close ES, don't wait", False), ("close ES 'cause it's late", False),
])
def test_a_command_in_quotes_with_words_outside_them_is_mentioned(text: str, quoted: bool) -> None:
    assert NotGiven.quoted(text) is quoted


def test_phrases_must_be_a_list() -> None:
    with pytest.raises(ValueError, match="not_given"):
        NotGiven({"en": {"not_given": "says"}})
