"""Round 31b (helper nlu34, session 16): the shapes of an order, and the per-intent cue check of the frames.

* side jargon said before the quantity ("lift the offer, 2 ES", "hit the bid 4 MNQ", "prends l'offre, 2 ES");
* a tick said in words after a figure ("6007 and a quarter", "6010 et demi"), risk typed as a unit or a field
  ("1pct", "1 pc", "r=0.75%"); written fractions kept exact;
* `command_cues` (assistant/nlu/intent_words.py): a cue of another request after a complete command refuses it;
* safety beyond the corpora: every command of the round's corpus that is accepted, perturbed with a word of
  another request, a negation, a time, a condition or another market, is never accepted as an order.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.nlu.intent_words import foreign_cue, intent_cues
from assistant.nlu.normalize import normalize
from assistant.nlu.parser import Parser

HERE = Path(__file__).parent


@pytest.mark.parametrize("text, expected", [
    ("buy a spoo at 6007 and a quarter", "buy a spoo at 6007.25"),
    ("sell 2 ES at 6010 and a half", "sell 2 es at 6010.5"),
    ("buy a micro at 21420 and three quarters", "buy a micro at 21420.75"),
    ("achète 1 ES à 6010 et demi", "achete 1 es a 6010.5"),
    ("achète 1 ES à 6007 et quart", "achete 1 es a 6007.25"),
    ("buy a micro at 21420 3/4", "buy a micro at 21420.75"),   # was 21420.8 ("{:g}": six digits)
    ("buy 1 ES at 6007 and a third", "buy 1 es at 6007 and a third"),  # off the tick grid: left as words
    ("per-trade risk 1pct", "per trade risk 1 percent"),
    ("risk 1 pc", "risk 1 percent"),
    ("short 2 mnq r=0.75%", "short 2 mnq risk 0.75 percent"),
    ("R: 1%", "risk 1 percent"),
    ("my pc is slow", "my pc is slow"),   # "pc" only right after a figure
])
def test_order_shapes_normalised(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("text, slots", [
    ("lift the offer, 2 ES", {"side": "BUY", "quantity": 2, "symbol": "ES"}),
    ("take the offer, 3 ES", {"side": "BUY", "quantity": 3, "symbol": "ES"}),
    ("hit the bid 4 MNQ", {"side": "SELL", "quantity": 4, "symbol": "MNQ"}),
    ("sell the bid 1 ES", {"side": "SELL", "quantity": 1, "symbol": "ES"}),
    ("scalp long 2 mnq", {"side": "BUY", "quantity": 2, "symbol": "MNQ"}),
    ("prends l'offre, 2 ES", {"side": "BUY", "quantity": 2, "symbol": "ES"}),
    ("tape le bid, 1 ES", {"side": "SELL", "quantity": 1, "symbol": "ES"}),
    ("buy a spoo at 6007 and a quarter", {"side": "BUY", "quantity": 1, "symbol": "ES", "price": 6007.25}),
    ("short 2 mnq r=0.75%", {"side": "SELL", "quantity": 2, "symbol": "MNQ", "risk_percent": 0.75}),
    ("sell another micro", {"side": "SELL", "quantity": 1, "symbol": "MNQ"}),
])
def test_order_jargon_read(parser: Parser, text: str, slots: dict[str, object]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "place_trade" and result.slots == slots, result


@pytest.mark.parametrize("text", [
    "buy twenty to ES", "lift the offer two to ES", "hit the bid to 4 MNQ",     # a stray word by the quantity
    "buy 1 ES at 6007 and change", "achète 1 ES à 6007 et des poussières",      # a vague price
    "set risk to about 1%", "mets le risque à environ 1 %",                     # an approximate risk
    "max risk 1% per trade and 2% per day", "max risk 1 to 2% per trade",       # two values
    "buy 1 ES agents", "buy one ES activate", "sell 2 ES candles", "buy 2 ES volatility",
    "achète 1 ES active", "vends 2 ES bougies",
])
def test_order_shapes_refused(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


@pytest.mark.parametrize("text, percent", [("max risk 1% per trade", 1.0), ("per-trade risk 1pct", 1.0),
                                           ("risque par trade 1 pct", 1.0)])
def test_risk_shapes_read(parser: Parser, text: str, percent: float) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "set_risk" and result.slots == {"risk_percent": percent}, result


def test_command_cues_are_checked_per_intent() -> None:
    allowed = intent_cues({"en": {"command_cues": {"place_trade": ["side", "weak:positions"]}}})["place_trade"]
    assert foreign_cue(["side:BUY", "weak:positions"], allowed) is None
    assert foreign_cue(["side:BUY", "weak:ensemble_weights"], allowed) == "weak:ensemble_weights"
    with pytest.raises(ValueError):
        intent_cues({"en": {"command_cues": {"status": ["side"]}}})


def _accepted_commands(parser: Parser) -> list[tuple[str, str]]:
    out = []
    for lang in ("en", "fr"):
        for case in yaml.safe_load((HERE / f"paraphrases_round31b_{lang}.yaml").read_text(encoding="utf-8")):
            if case.get("i") == "place_trade" and parser.parse(case["t"]).matched:
                out.append((lang, case["t"]))
    return out


#: Words said after a whole order that make it another request, or no order now (per language).
_PERTURBATIONS = {
    "en": ["agents", "activate", "candles", "volatility", "regime", "tomorrow", "if it dips", "at the open",
           "stop 5990", "or not", "gold", "twice"],
    "fr": ["agents", "active", "bougies", "volatilité", "régime", "demain", "si ça baisse", "à l'ouverture",
           "stop 5990", "ou pas", "de l'or", "deux fois"],
}
_NEGATED = {"en": "don't ", "fr": "ne "}


def test_accepted_orders_perturbed_are_never_orders(parser: Parser) -> None:
    commands = _accepted_commands(parser)
    assert len(commands) >= 40
    accepted = []
    for lang, text in commands:
        for tail in _PERTURBATIONS[lang]:
            said = f"{text} {tail}"
            result = parser.parse(said)
            if result.matched and result.intent == "place_trade":
                accepted.append(said)
        if lang == "en":
            negated = _NEGATED[lang] + text
            if parser.parse(negated).matched:
                accepted.append(negated)
    assert not accepted, accepted
