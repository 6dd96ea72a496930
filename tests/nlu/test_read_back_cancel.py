"""While a read-back waits, an answer that holds a no or a cancel word and nothing else that acts is a cancel
(`Parser.context_answer`): "hell no", "nah, second thoughts, cancel", "c'est pas bon, annule", "j'ai mal tapé,
annule". Cancelling sends nothing, so this is the one direction read without more certainty; a yes, a value, a
command word, doubt or a negated cancel leaves the answer unclear (asked again), and a question is no answer."""
from __future__ import annotations

import pytest

from assistant.nlu.parser import Parser

CANCELS = [
    "hell no", "nah mon, cancel dat", "ope, no, cancel that", "nah, second thoughts, cancel", "negative, scrub it",
    "no no no, cancel it now", "nope, kill that", "c'est pas bon, annule", "non, je ne veux pas cela",
    "j'ai mal tapé, annule", "Non. J'ai dit non.", "non, on laisse filer", "non non annule tout ça",
]
NOT_CANCELS = [
    # a yes, or a yes stretched, beside the no
    "ouiii non", "yes no", "oui mais non", "yeah, cancel", 
    # another command, a value, a market
    "no, buy 3 instead", "non, vends plutôt", "no but buy 2", "non, ferme le micro", "no, make it 3 ES",
    "non, à 6850", "no, halt everything",
    # the cancel negated, doubt, a question
    "don't cancel", "ne pas annuler", "non ça ira", "cancel?", "non ?",
    # spoken French drops the "ne": the negation right after the cancel ("annule pas" = "don't cancel")
    "annule pas", "non, annule pas", "n'annule pas",
]


@pytest.mark.parametrize("text", CANCELS)
def test_a_no_with_nothing_else_that_acts_cancels(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not (result.matched and result.intent != "cancel"), result
    if not result.matched:
        assert parser.context_answer(text) == "cancel", text


@pytest.mark.parametrize("text", NOT_CANCELS)
def test_anything_more_than_a_no_is_not_read_as_a_cancel(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    if not result.matched:
        assert parser.context_answer(text) != "cancel", text
    else:
        assert result.intent != "confirm" or "no" not in text.lower().split(), result
