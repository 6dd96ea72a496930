"""Round 31c (helper nlu35): protective switches said as a rule (assistant/nlu/preference.py), how a figure is
made asked (`method_verbs`), the account's mode asked to change (`mode_moves`), a question's market the templates
misplaced (parser `_market_misplaced`); and the perturbations that must never become an order or auto."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from assistant.nlu.preference import Preference
from assistant.nlu.parser import Parser

HERE = Path(__file__).parent

#: Money moves: what no perturbation of a switch or a question may turn into.
_ORDERS = frozenset({"place_trade", "close_positions", "resume", "confirm"})


def _rule() -> Preference:
    rule = Preference()
    rule.add("preferences", ["ideally", "idéalement"])
    rule.add("preference_modals", ["should", "must", "doit", "devrait"])
    rule.add("preference_not_after", ["i", "we", "je", "on"])
    rule.add("preference_not_before", ["have", "avoir"])
    return rule


@pytest.mark.parametrize(("tokens", "expected"), [
    ("the autopilot should only propose", "the autopilot only propose"),
    ("l autopilote doit juste proposer", "l autopilote juste proposer"),
    ("ideally the autopilot asks me first", "the autopilot asks me first"),
    ("should the autopilot propose", None),          # a question
    ("i should turn the autopilot off", None),       # advice to oneself
    ("on devrait couper l autopilote", None),
    ("the autopilot should have proposed", None),    # a remark on the past
    ("the autopilot only proposes", None),           # nothing to take away
])
def test_preference_words_are_taken_away_only_where_they_state_a_rule(tokens: str, expected: str | None) -> None:
    out = _rule().without(tokens.split())
    assert (" ".join(out) if out is not None else None) == expected


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("autopilot should propose and wait for me", "autopilot_mode", {"mode": "propose"}),
    ("the autopilot must propose me, not trade alone", "autopilot_mode", {"mode": "propose"}),
    ("l'autopilote doit juste proposer", "autopilot_mode", {"mode": "propose"}),
    ("l'autopilote ne doit pas trader tout seul, juste proposer", "autopilot_mode", {"mode": "propose"}),
    ("l'autopilote devrait me demander avant chaque trade", "autopilot_mode", {"mode": "propose"}),
    ("the autopilot should be off", "autopilot_mode", {"mode": "off"}),
    ("mode reduce only, on n'ouvre plus rien", "reduce_only", {}),
    ("combien de micros j'ai en cours", "positions", {"symbol": "MNQ"}),
    ("comment est réparti l'ensemble en ce moment", "ensemble_weights", {}),
    ("que savez-vous faire exactement", "help", {}),
    ("je ne comprends pas, répéter svp", "repeat", {}),
])
def test_round31c_families_are_understood(parser: Parser, text: str, intent: str, slots: dict[str, str]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent and result.slots == slots, (text, result)


@pytest.mark.parametrize("text", [
    "the autopilot should trade on its own", "l'autopilote devrait trader tout seul",  # auto: asked plainly only
    "the autopilot is supposed to trade alone", "l'autopilote est censé trader tout seul",
    "l'autopilote ne propose pas, il trade tout seul",
    "should the autopilot only propose?", "we should be in reduce only",
    "on devrait passer en reduce only", "the autopilot should have proposed that trade", "l'autopilote doit-il passer en auto ?",
    "I'd rather the autopilot proposed than traded",  # a preference: the corpora disagree
    "how does the ensemble choose its weights", "comment l'ensemble décide ses poids",
    "passe sur le compte réel", "switch me to the live account", "what's my cousin holding on ES",
    "does the autopilot propose good trades?", "l'autopilote propose des bons trades ?",
])
def test_round31c_refusals(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not result.matched, (text, result.intent, result.slots, result.method)


#: What may be said in a rule's place: a side, a quantity, another market, a time, a condition, a negation, a
#: question mark, auto. None of these makes an order, a close, a resume or auto out of a protective rule. (A
#: self-correction, "…propose, no, full auto", is the restatement stage's: the corrected switch, read back.)
_RULES = ["the autopilot should only propose", "autopilot must ask me before each trade",
          "ideally the autopilot asks me first", "the autopilot should be off", "l'autopilote doit juste proposer",
          "l'autopilote devrait me demander avant chaque trade", "idéalement l'autopilote me demande avant chaque trade",
          "l'autopilote doit être coupé"]
_PERTURBATIONS = [
    "{} and buy 2 ES", "buy 2 ES, {}", "{} on 3 MNQ", "{} tomorrow", "{} if the market drops", "{} for crude",
    "{} et achète 2 ES", "vends 3 MNQ, {}", "{} demain", "{} si le marché baisse", "{} sur le pétrole",
    "{}?", "I should say {}", "{} then go full auto", "{} puis passe en full auto", "not {}",
    "{} and sell everything", "{} et ferme tout", "{} but trade on its own", "{} mais trade tout seul",
]


@pytest.mark.parametrize("rule", _RULES)
def test_no_perturbation_of_a_rule_is_an_order_or_auto(parser: Parser, rule: str) -> None:
    for shape in _PERTURBATIONS:
        text = shape.format(rule)
        result = parser.parse(text)
        if not result.matched:
            continue
        assert result.intent not in _ORDERS, (text, result.intent, result.slots)
        assert result.slots.get("mode") != "auto", (text, result.slots)


def _accepted_orders(parser: Parser, lang: str, count: int) -> list[str]:
    lines: list[str] = []
    for path in sorted(HERE.glob(f"paraphrases_*_{lang}.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            # (one clause: "good evening, I'd like to sell 1 ES" is a greeting, then the order, whatever opens it)
            if isinstance(case, dict) and case.get("i") in ("place_trade", "close_positions") \
                    and "context" not in case and not any(mark in str(case["t"]) for mark in ",.;:!"):
                lines.append(str(case["t"]))
    random.Random(31).shuffle(lines)
    return [t for t in lines[:count * 2] if parser.parse(t).matched][:count]


@pytest.mark.parametrize(("lang", "heads"), [
    ("en", ("the autopilot should", "I should", "we must", "ideally the autopilot must")),
    ("fr", ("l'autopilote doit", "je devrais", "tu devrais", "idéalement l'autopilote devrait")),
])
@pytest.mark.slow
def test_a_modal_before_an_accepted_order_never_leaves_an_order(parser: Parser, lang: str, heads: tuple[str, ...]) -> None:
    """A preference word is taken away only to read a protective switch: said before an order ("the
    autopilot should buy 2 ES", "je devrais vendre 3 MNQ") it leaves no order behind. ("on doit vendre 3 MNQ" is
    a French command of the templates: no head of this test.)"""
    for order in _accepted_orders(parser, lang, 60):
        for head in heads:
            text = f"{head} {order[0].lower()}{order[1:]}"
            result = parser.parse(text)
            assert not (result.matched and result.intent in _ORDERS), (text, result.intent, result.slots)
