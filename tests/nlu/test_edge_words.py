"""Words at the edge of a command or of a read-back answer (assistant/nlu/edge_words.py, round 31a, helper nlu33)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.nlu.parser import Parser

HERE = Path(__file__).parent

#: Intents that act: none may be read from a sentence whose edge says something else.
ACTIONS = {"place_trade", "close_positions", "halt", "resume", "reduce_only", "set_risk", "autopilot_mode"}

#: What may be typed in the slot an exclamation takes ("crikey, sell 2 ES", "achète 1 MNQ, tcheu"): a negation or a
#: time typed wrong, a negation, a time, a condition, another quantity, another market. (A side or a market already
#: said, said again, changes nothing; "yes no, …" and "tomorrow, no …" are self-corrections, restate.py's, not these.)
PERTURBATIONS = {
    "en": ["nver", "nevr", "dnt", "not", "never", "don't", "tomorow", "tommorow", "tomorrow", "tmrw", "if it dips",
           "3", "ES", "MNQ", "later", "at the close", "in 5 min", "wait"],
    "fr": ["jamai", "pa", "pas", "jamais", "ne", "demin", "dmain", "demain", "si ça baisse", "3", "ES", "MNQ", "plus tard",
           "à la clôture", "dans 5 min", "attends"],
}


def _commands(lang: str) -> list[str]:
    """The round's commands (not its answers), as typed."""
    cases = yaml.safe_load((HERE / f"paraphrases_round31a_{lang}.yaml").read_text(encoding="utf-8"))
    return [c["t"] for c in cases if c.get("i") in ACTIONS and "context" not in c
            and c["t"].split()[0].lower() not in ("no", "pas", "sans")]  # (a no said first: a correction's marker)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_perturbed_edge_is_an_order(parser: Parser, lang: str) -> None:
    """Every understood command of the round, with a word that means something typed where an exclamation may
    stand (first or last, cut off by a comma or a "!"), is never understood as an action."""
    accepted = []
    tried = 0
    for command in _commands(lang):
        clean = parser.parse(command)
        if not clean.matched:
            continue
        for word in PERTURBATIONS[lang]:
            if word == clean.slots.get("symbol"):
                continue  # (the market said again)
            if command.lower().startswith(word.lower() + " "):
                continue  # ("pas, pas de souci vends 1 ES": a word said twice, a stutter)
            for text in (f"{word}, {command}", f"{command}, {word}", f"{word}! {command}"):
                tried += 1
                result = parser.parse(text)
                if result.matched and result.intent in ACTIONS and not (
                        result.intent == "close_positions" and result.slots.get("symbol") == word):
                    # ("ES, close all": all the ES, the frames' reading of a market named with "all")
                    accepted.append(text)
    assert tried > 500
    assert accepted == []


@pytest.mark.parametrize("text, intent", [
    ("zou, envoie", "confirm"), ("waaw, vas-y", "confirm"), ("déedéet, annule", "cancel"), ("waaw", "confirm"),
    ("déedéet", "cancel"), ("yeah mate, crack on", "confirm"), ("yes abeg send am", "confirm"),
    ("oh god no, kill it", "cancel"),
    # an exclamation no list knows, cut off by punctuation, around an answer
    ("kablooey, yes", "confirm"), ("yes, kablooey!", "confirm"), ("sacapuces, annule", "cancel"),
])
def test_answers_around_an_exclamation(parser: Parser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent, result


@pytest.mark.parametrize("text", [
    "yes no", "oui non", "waaw, annule", "déedéet, envoie", "yebo, cancel", "nee, send it", "non, zou",
    "no, crack on", "yes, nver mind", "oui, jamai de la vie", "kablooey, yes, tomorow",
    # an unknown word without punctuation is never dropped before an answer or an order
    "kablooey yes", "kablooey buy 2 ES",
    # a question is no answer
    "yes, kablooey?", "kablooey, yes?",
])
def test_refused_answers(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not result.matched or result.intent == "cancel" and "non" not in text and "no" not in text.split(), result


@pytest.mark.parametrize("text", [
    "nver, buy 2 ES", "dnt, sell 1 MNQ", "tomorow, sell 1 MNQ", "buy 2 ES, tomorow", "buy 2 ES, tmrw",
    "jamai, achète 2 ES", "demin, vends 1 MNQ", "achète 2 ES, demin", "achète 2 ES, dmain", "pa, vends 1 ES",
    "theoretically, buy 2 ES", "en théorie, achète 2 ES", "nah, buy 2 ES", "crikey, buy 2 ES if it dips",
    # a short clause holding a number, a market, a time or two answers
    "3, sell 2 ES", "MNQ, crikey, sell 2 ES", "in 5 min, sell 2 ES", "tmrw, crikey, sell 2 ES",
])
def test_meaningful_edges_refuse_the_order(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


def test_edge_words_units(parser: Parser) -> None:
    edges = parser._edges  # (the parser's own instance: its lists are the grammars')
    assert edges is not None
    for word in ("kablooey", "waaw", "crikey", "akh", "boudiou"):
        assert edges.interjection(word) or word in parser._frames.known_words  # type: ignore[union-attr]
    for typo in ("nver", "dnt", "tomorow", "jamai", "demin", "dmain"):
        assert edges.typo(typo) and not edges.interjection(typo)
    # another word, no typo: a short word with a letter changed, an inflection of a time word
    for word in ("hot", "trap", "sessions", "late", "sel"):
        assert not edges.typo(word)
    assert edges.edge_rests("kablooey, yes") == ["yes"]
    assert edges.edge_rests("buy 2 ES at 5012,25") == []
    assert edges.edge_rests("nver, buy 2 ES") == []
