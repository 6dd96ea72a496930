"""Restatements (assistant/nlu/restate.py): self-corrections, hesitations, indirect questions.

The corpora (paraphrases_round5_*.yaml) score the wordings as sets; these tests pin the rules:
a correction replaces exactly one value of the same kind, anything unclear is refused, an
indirect question never yields an action, and a sentence understood as said never reaches
this stage."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.grammar import load_grammar
from assistant.nlu.parser import Parser
from tests.nlu.conftest import ran_in_pure_python


@pytest.mark.parametrize(("text", "slots"), [
    ("achète deux ES, non, trois", {"side": "BUY", "quantity": 3, "symbol": "ES"}),
    ("achète deux ES, non, deux MNQ", {"side": "BUY", "quantity": 2, "symbol": "MNQ"}),
    ("vends trois ES... non, achète", {"side": "BUY", "quantity": 3, "symbol": "ES"}),
    ("buy two ES, no wait, three", {"side": "BUY", "quantity": 3, "symbol": "ES"}),
    ("sell six, uh, sorry, sixteen MNQ", {"side": "SELL", "quantity": 16, "symbol": "MNQ"}),
    ("sell... no, actually buy two micro nasdaq", {"side": "BUY", "quantity": 2, "symbol": "MNQ"}),
    ("buy 2 ES at 5000, no, at 5001", {"side": "BUY", "quantity": 2, "symbol": "ES", "price": 5001.0}),
])
def test_a_correction_replaces_the_one_value_of_its_kind(parser: Parser, text: str, slots: dict) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "place_trade"
    assert result.slots == slots
    assert result.text == text  # the sentence as said, for the logs; `normalized` is the restated one


@pytest.mark.parametrize("text", [
    "achète deux ES, non, ne fais rien",        # a negation after the marker
    "achète deux ES, non, ferme tout",          # another intent
    "achète deux ES, non, trois, non, quatre",  # corrected twice
    "buy 2 ES at 5000, no, 3",                  # the quantity or the price?
    "buy ES, no, three",                        # nothing of that kind to replace
    "don't buy two ES, no, three",              # what is corrected?
    "achète 3 ES, ou plutôt vends-les, je sais plus",
])
def test_a_correction_that_is_not_one_clear_replacement_is_refused(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not result.matched
    assert not result.missing  # never a follow-up question built on half a correction


def test_a_corrected_command_that_lacks_a_slot_asks_for_it(parser: Parser) -> None:
    result = parser.parse("vends trois... non achète trois")
    assert not result.matched and result.reason == "missing_symbol"
    assert result.slots == {"side": "BUY", "quantity": 3}


@pytest.mark.parametrize(("text", "intent"), [
    ("je me demande si on est en régime défensif", "market_regime"),
    ("any idea if the autopilot is switched on?", "autopilot_status"),
    ("do you know if I still have MNQ?", "positions"),
])
def test_an_indirect_question_is_read_as_the_question(parser: Parser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent


@pytest.mark.parametrize("text", [
    "je me demande si j'achète deux ES", "I wonder whether to sell three MNQ",
    "tell me if you close everything", "dis-moi si tu fermes tout", "I wonder if you can stop trading",
])
def test_an_indirect_question_never_yields_an_action(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


@pytest.mark.parametrize(("text", "intent"), [
    ("are we live right now or not", "status"), ("on est en live là ou pas", "status"),
    ("le bot est en pause ou quoi ?", "status"), ("is the autopilot on or not", "autopilot_status"),
    ("le kill switch est activé ou pas ?", "status"), ("am I green today or not", "pnl_today"),
    ("j'ai-tu fait de l'argent aujourd'hui", "pnl_today"), ("on est-tu en live", "status"),  # Québec "-tu"
])
def test_a_question_tag_said_last_leaves_the_question(parser: Parser, text: str, intent: str) -> None:
    """"or not", "ou pas" (`question_tags`): the doubt word of the tag does not refuse the question; nor
    does a particle after a verb (`question_particles`: "j'ai-tu…", with its hyphen or not)."""
    result = parser.parse(text)
    assert result.matched and result.intent == intent


@pytest.mark.parametrize("text", [
    "should I buy ES or not", "j'achète du ES ou pas", "buy 2 ES or not", "stop trading or not",
    "ferme tout ou pas", "vends deux ES ou quoi", "or not", "j'ai-tu acheté des ES hier",
])
def test_a_question_tag_never_yields_an_action(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


def test_time_buying_phrases_are_dropped_but_doubt_is_not(parser: Parser) -> None:
    said = "alors écoute, tu vas me vendre, attends que je regarde... cinquante-huit micro nasdaq, voilà"
    result = parser.parse(said)
    assert result.matched and result.slots == {"side": "SELL", "quantity": 58, "symbol": "MNQ"}
    assert not parser.parse("attends, achète deux ES").matched  # "attends" alone: doubt


def test_a_sentence_understood_as_said_never_reaches_the_stage(parser: Parser, monkeypatch,
                                                               request: pytest.FixtureRequest) -> None:
    if ran_in_pure_python(request):  # (patches a parser's method)
        return
    calls: list[str] = []
    original = parser._restate

    def spy(refused, lang, prefer):
        calls.append(refused.text)
        return original(refused, lang, prefer)

    monkeypatch.setattr(parser, "_restate", spy)
    assert parser.parse("achète deux ES").matched
    assert parser.parse("buy two ES, sorry, three").matched
    assert calls == ["buy two ES, sorry, three"]


@pytest.mark.slow
def test_the_phrases_are_grammar_data(tmp_path: Path) -> None:
    """Another grammar's own markers drive the stage; without them there is no stage at all."""
    root = Path(__file__).resolve().parents[2] / "grammars"
    extra = tmp_path / "corrections_en.yaml"
    extra.write_text(yaml.safe_dump({"language": "en", "frames": {"corrections": ["bzzt"]}}))
    # The trained stages (classifier, command reader, fuzzy carriers) off in both: each grammar here would
    # train its own (~25 s of CPU on a cold cache), and the two parsers differ only by the markers.
    plain = Parser(load_grammar([root / "slots.yaml", root / "en.yaml"]), fuzzy=False, classifier=False, commands=False)
    assert plain._restater is None  # no frames section: nothing to restate
    assert not plain.parse("buy two ES, bzzt, three").matched
    marked = Parser(load_grammar([root / "slots.yaml", root / "en.yaml", root / "frames_en.yaml", extra]),
                    fuzzy=False, classifier=False, commands=False)
    result = marked.parse("buy two ES, bzzt, three")
    assert result.matched and result.slots["quantity"] == 3
