"""Answers to a read-back (tests/nlu/answers_{en,fr}.yaml, issue #13 round 10): what the parser
makes of a sentence said while an order "Buy 2 ES" waits, decided as the dialogue decides it
(assistant/dialogue/manager.py: a confirm whose named side or read-back kind does not fit is
asked again; an unclear answer or a not-understood sentence opening with a yes or a no is asked
again; a context answer ("y", "c'est bon") counts while a read-back waits). Never a wrong yes:
every line labelled confirm must come out confirm, and no other line may."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.nlu.parser import UNCLEAR_ANSWER, Parser

HERE = Path(__file__).parent
READBACK_SIDE = "BUY"  # the order read back: "Buy 2 ES at market"


def _cases(lang: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((HERE / f"answers_{lang}.yaml").read_text(encoding="utf-8"))
    return list(data["cases"])


def answer_to_readback(parser: Parser, text: str) -> str:
    """confirm / cancel / unclear / other, as the dialogue treats `text` said to the read-back."""
    result = parser.parse(text)
    if result.matched and result.intent == "confirm":
        named = result.slots.get("readback")
        side = result.slots.get("side")
        fits = named in (None, "order") and side in (None, READBACK_SIDE)
        return "confirm" if fits else "unclear"
    if result.matched and result.intent == "cancel":
        return "cancel"
    if result.matched and not (result.intent == "followup_answer" and parser.opens_with_answer(text)):
        return "other"
    context = parser.context_answer(text)
    if context is not None:
        return context
    if result.reason == UNCLEAR_ANSWER or parser.opens_with_answer(text) or result.matched:
        return "unclear"
    return "other"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_answers_to_a_read_back_are_never_a_wrong_yes(parser: Parser, lang: str) -> None:
    cases = _cases(lang)
    assert len(cases) >= 120
    assert {c["a"] for c in cases} >= {"confirm", "cancel", "unclear"}
    got = {c["t"]: answer_to_readback(parser, c["t"]) for c in cases}
    wrong_yes = [t for t in got if got[t] == "confirm" and next(c["a"] for c in cases if c["t"] == t) != "confirm"]
    assert wrong_yes == []
    # Doubt never executes, and is never dropped silently either: it is asked again (or, for
    # "other", a whole other sentence, answered as such).
    mismatches = [(c["t"], c["a"], got[c["t"]]) for c in cases if got[c["t"]] != c["a"]]
    assert mismatches == []


@pytest.mark.parametrize(("text", "intent"), [
    ("unblock orders", "resume"), ("unblock the orders please", "resume"), ("débloque les ordres", "resume"),
    ("block orders", "halt"), ("unfreeze trading", "resume"),
])
def test_an_approximate_match_never_crosses_a_negating_prefix(parser: Parser, text: str, intent: str) -> None:
    """"unblock orders" was 0.96 close to "block orders" (halt): a word and its negating prefix
    (the frames' `negating_prefixes`) are opposites, never an approximation of each other."""
    result = parser.parse(text)
    assert result.matched and result.intent == intent, result


def test_reversed_words_are_the_opposites_said_not_the_words_said(parser: Parser) -> None:
    index = parser._carriers["en"]
    assert index._reversed_words(["unblock", "orders"]) == {"block"}
    assert "unfreeze" in index._reversed_words(["freeze", "trading"])
    assert index._reversed_words(["unblock", "block"]) == frozenset()
    assert index._reversed_words(["buy", "two", "es"]) == frozenset()
