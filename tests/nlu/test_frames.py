"""The frame matcher (assistant/nlu/frames.py): sentences no template matches, understood from
cue words under strict rules (frames_fr.yaml, frames_en.yaml), and the refusals it must keep."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.grammar import GrammarError
from assistant.grammar.compile import to_jsgf, vosk_phrases
from assistant.nlu.frames import FrameError
from assistant.nlu.parser import Parser

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
CASES = {lang: yaml.safe_load((HERE / f"frames_{lang}.yaml").read_text(encoding="utf-8"))
         for lang in ("fr", "en")}


def _same(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    if expected.keys() != got.keys():
        return False
    for key, value in expected.items():
        other = got[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if type(other) is not type(value) or not math.isclose(value, other):
                return False
        elif value != other:
            return False
    return True


def _check(parser: Parser, case: dict[str, Any]) -> None:
    result = parser.parse(case["t"])
    got = (f"matched={result.matched} intent={result.intent} slots={result.slots} "
           f"method={result.method} reason={result.reason} ({result.detail})")
    if case.get("reject"):
        assert not (result.matched and result.intent != "followup_answer"), got
        return
    if "followup" in case:
        assert not result.matched and result.intent == case["followup"], got
        assert (result.reason or "").startswith("missing_") and _same(case.get("s") or {}, result.slots), got
        return
    assert result.matched and result.intent == case["i"], got
    assert _same(case.get("s") or {}, result.slots), got


def test_at_least_100_cases_per_language_half_of_them_refusals_or_orders() -> None:
    for lang, cases in CASES.items():
        assert len(cases) >= 100, lang
        assert len({c["t"] for c in cases}) == len(cases), f"{lang}: duplicate sentences"
        assert sum(1 for c in cases if c.get("reject")) >= 40, lang


@pytest.mark.parametrize("case", CASES["fr"], ids=lambda c: c["t"])
def test_french(parser: Parser, case: dict[str, Any]) -> None:
    _check(parser, case)


@pytest.mark.parametrize("case", CASES["en"], ids=lambda c: c["t"])
def test_english(parser: Parser, case: dict[str, Any]) -> None:
    _check(parser, case)


def test_most_accepted_cases_are_decided_by_the_frames(parser: Parser) -> None:
    """The corpus mostly tests the frame stage, not sentences the templates already knew."""
    for lang, cases in CASES.items():
        accepted = [c for c in cases if "i" in c]
        by_frames = [c for c in accepted if parser.parse(c["t"]).method == "frame"]
        assert len(by_frames) >= 0.5 * len(accepted), (lang, len(by_frames), len(accepted))


def test_without_frames_the_same_sentences_are_not_understood() -> None:
    bare = Parser.from_paths(None, frames=False)
    result = bare.parse("je voudrais que tu achètes 2 ES")
    assert not result.matched and result.method != "frame"


def test_a_money_amount_is_never_a_number_of_contracts(parser: Parser) -> None:
    for text in ("buy $5,000 of MNQ", "buy 5000 dollars of MNQ", "achète pour 5 000 € de ES",
                 "sell 5k of ES", "achète 2000 euros de MNQ", "buy 5,000 USD of ES"):
        result = parser.parse(text)
        assert not result.matched, (text, result)
    result = parser.parse("buy $5,000 of MNQ")
    assert result.reason == "invalid_quantity"


def test_frame_results_carry_the_frame_method_and_typed_slots(parser: Parser) -> None:
    result = parser.parse("balance un achat de deux ES")
    assert result.matched and result.method == "frame" and result.language == "fr"
    assert result.slots == {"side": "BUY", "quantity": 2, "symbol": "ES"}
    assert isinstance(result.slots["quantity"], int)
    assert result.slot_text["quantity"] == "deux"


def test_frames_never_reach_the_constrained_recognisers() -> None:
    """Cue words only the frames know stay out of JSGF and Vosk phrase lists."""
    jsgf = to_jsgf(ROOT / "grammars", "fr")
    phrases = " ".join(vosk_phrases(ROOT / "grammars", "fr"))
    for word in ("explicabilité", "explicabilite", "interromps", "dégèle", "degele", "rentabilité"):
        assert word not in jsgf and word not in phrases


def test_unknown_frame_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(
        "language: en\nintents:\n  help: ['help']\nframes:\n  topicz: [x]\n", encoding="utf-8")
    with pytest.raises(FrameError, match="topicz"):
        Parser.from_paths(tmp_path)


def test_frames_topic_must_be_an_intent(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(
        "language: en\nintents:\n  help: ['help']\nframes:\n  topics:\n    weather: [rain]\n", encoding="utf-8")
    with pytest.raises(FrameError, match="weather"):
        Parser.from_paths(tmp_path)


def test_frames_section_must_be_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text("language: en\nintents:\n  help: ['help']\nframes: [x]\n",
                                     encoding="utf-8")
    with pytest.raises(GrammarError, match="frames"):
        Parser.from_paths(tmp_path)


def test_frames_yes_and_no_keys_are_words_not_booleans(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(
        "language: en\nintents:\n  confirm: ['yes']\n  cancel: ['no']\n"
        "frames:\n  yes: [sure thing]\n  no: [nope]\n", encoding="utf-8")
    parser = Parser.from_paths(tmp_path)
    assert parser.parse("sure thing").intent == "confirm"
    assert parser.parse("nope").intent == "cancel"


@pytest.mark.parametrize(("text", "intent"), [
    # a switch told or asked about in the past is answered with the state, never flipped
    ("did you stop trading?", "status"), ("tu as arrêté le trading ?", "status"),
    ("the autopilot is off", "autopilot_status"), ("dis-moi si l'autopilote est coupé", "autopilot_status"),
    # a lead-in before a halt or a resume decides nothing
    ("ok, back in business", "resume"), ("c'est bon, on reprend les affaires", "resume"),
    ("ok that's enough, stop trading", "halt"),
    # "no new positions" next to a reduce-only phrase is the reduce-only request
    ("no new positions, exits only", "reduce_only"), ("plus de nouvelles positions, uniquement des sorties", "reduce_only"),
    # "tu es": the verb, not the market ES
    ("tu es toujours là ?", "status"),
])
def test_round8_switch_and_question_rules(parser: Parser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent, (text, result)


@pytest.mark.parametrize("text", [
    "increase PPO's weight", "augmente le poids de PPO", "can you raise the weight of SAC?",
    "on arrête les frais pour aujourd'hui",  # a lead-in alone: halt or close everything?
    "ok", "c'est bon",  # a lead-in alone is no halt or resume
])
def test_round8_refusals(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not (result.matched and result.intent in ("halt", "resume", "ensemble_weights")), (text, result)


def test_a_change_foretold_is_still_a_question(parser: Parser) -> None:
    assert parser.parse("la vol va monter d'après ton modèle ?").intent == "volatility_forecast"


def test_market_lookalikes_must_be_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(
        "language: en\nintents:\n  help: ['help']\nframes:\n  market_lookalikes: [es]\n", encoding="utf-8")
    with pytest.raises(GrammarError, match="market_lookalikes"):
        Parser.from_paths(tmp_path)


@pytest.mark.parametrize(("text", "slots"), [
    # round 22c: "es-tu long ?" (`market_lookalikes_next`): the verb, never an order waiting for its quantity
    ("es-tu long ?", {}), ("es-tu short sur le micro ?", {"symbol": "MNQ"}), ("es-tu long sur l'ES ?", {"symbol": "ES"}),
])
def test_an_inverted_es_tu_asks_the_positions(parser: Parser, text: str, slots: dict[str, str]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "positions" and result.slots == slots


@pytest.mark.parametrize(("text", "accepted"), [
    # round 22c: a market opinion said last in an aside is read as any words: a hedge of the order is doubt,
    # a feeling about the market is not
    ("buy 2 ES I think", False), ("sell 1 ES I guess", False), ("buy 2 ES, I think it's going up", True),
    ("achète trois micro j'ai un bon feeling", True), ("achète 3 ES pour moi", True),
])
def test_an_opinion_said_last_is_read_as_any_words(parser: Parser, text: str, accepted: bool) -> None:
    assert parser.parse(text).matched is accepted


@pytest.mark.parametrize(("text", "mode"), [
    # round 12: a mode negated where it is said, next to one other mode said plainly: that other mode
    ("autopilot just suggestions, not automatic", "propose"),
    ("autopilot in proposal mode only, no automatic execution", "propose"),
    ("l'autopilote en auto, pas en proposition", "auto"),
    ("l'autopilote, tu le mets juste en suggestion, pas en automatique", "propose"),
    ("pilote automatique en propositions seulement, pas d'exécution automatique", "propose"),
    # "propose, no, on auto": a self-correction (the last mode), never "no auto"
    ("put autopilot on propose, no, on auto", "auto"),
    ("mets l'autopilote en propose, non, en auto", "auto"),
])
def test_a_negated_mode_never_selects_that_mode(parser: Parser, text: str, mode: str) -> None:
    result = parser.parse(text)
    assert (result.matched, result.intent, result.slots) == (True, "autopilot_mode", {"mode": mode})


@pytest.mark.parametrize("text", [
    "ne passe pas l'autopilote en automatique", "don't put the autopilot on full auto",
    "autopilot not automatic", "l'autopilote pas en auto, pas en proposition",
    "autopilot not auto, not proposals", "the autopilot no automatic execution",
])
def test_a_negated_mode_alone_selects_nothing(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


@pytest.mark.parametrize(("text", "slots"), [
    # round 12: lead words before an order the frames read are no answer ("yeah", "ouais alors")
    ("yeah let me get uh fifty-five e-mini long", {"side": "BUY", "quantity": 55, "symbol": "ES"}),
    ("ouais alors mets-moi euh trente-cinq MNQ à la vente", {"side": "SELL", "quantity": 35, "symbol": "MNQ"}),
])
def test_lead_words_before_an_order_read_by_the_frames(parser: Parser, text: str, slots: dict[str, Any]) -> None:
    result = parser.parse(text)
    assert (result.matched, result.intent, result.slots) == (True, "place_trade", slots)


@pytest.mark.parametrize("text", ["yes, buy them", "oui, confirme l'achat"])
def test_an_answer_naming_the_side_stays_an_answer(parser: Parser, text: str) -> None:
    assert parser.parse(text).intent == "confirm"


@pytest.mark.parametrize(("text", "intent"), [
    # round 12: a no then a cancel verb said last undo a yes; "yes cancel" alone (yes to what?) does not
    ("oui... non non annule", "cancel"), ("yes... no no cancel", "cancel"), ("yep, no no, scrap that", "cancel"),
    ("oui annule", None), ("yes, cancel it", None), ("oui non", None), ("no... ok go", None),
])
def test_an_answer_that_corrects_itself(parser: Parser, text: str, intent: str | None) -> None:
    result = parser.parse(text)
    assert (result.intent if result.matched else None) == intent
