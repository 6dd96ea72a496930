"""Spoken English commands -> pocketsphinx (grammar compiled from grammars/) -> parser -> intent + slots."""
from __future__ import annotations

import pytest

from .conftest import requires_espeak, with_silence

pytestmark = requires_espeak

CASES = [
    ("buy two e s", "en-us", "place_trade", {"side": "BUY", "quantity": 2, "symbol": "ES"}),
    ("sell three m n q", "en-us+f2", "place_trade", {"side": "SELL", "quantity": 3, "symbol": "MNQ"}),
    ("close all positions", "en-us+m3", "close_positions", {"scope": "all"}),
    ("stop trading", "en-us", "halt", {}),
]


@pytest.mark.parametrize("text,voice,intent,slots", CASES)
def test_spoken_command_to_intent(ps_recognizer, parser, speak, text, voice, intent, slots) -> None:
    tr = ps_recognizer.recognize(with_silence(speak(text, voice)))
    assert tr.accepted, tr.detail
    result = parser.parse(tr.text, tr.lang)
    assert result.matched and result.intent == intent
    assert result.slots == slots


def test_out_of_grammar_never_reaches_an_intent(ps_recognizer, parser, speak) -> None:
    tr = ps_recognizer.recognize(with_silence(speak("what is the weather like in paris today")))
    assert not tr.accepted
