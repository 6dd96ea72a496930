"""The confidence gate's rules (assistant/asr/confidence.py `RULES`): sentences the calibrated
confidence would accept but that are refused whatever their confidence.

Each rule comes from wrong actions found by auditing the whole fixture set (docs/asr.md, "Gate
audit"): an incomplete command the free decoding does not write ("selling MNQ" for "sell eighteen
M N Q"), a price Whisper does not write unaided ("1,999.75" for "four thousand nine hundred ninety
nine point seven five"). The rules are checked on their own inputs (the parser's reading of the
sentence and of the free decoding), then on the natural-voice recordings that were wrong actions:
each must now be refused or understood as labelled, never acted on as another command.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.asr.confidence import PROMPTED, RULES, refusal, unsupported_incomplete, unwritten_price


@pytest.fixture(scope="module")
def parser(grammar: Any) -> Any:
    from assistant.nlu.parser import Parser

    return Parser(grammar, fuzzy=False, frames=False, classifier=False)


@pytest.mark.parametrize("sentence,free,lang", [
    ("selling MNQ", " Seliting a man, Q", "en"),           # "sell eighteen M N Q": the number lost
    ("so 30 MNQ", " So 30mm in Q", "en"),                  # "sell thirty M N Q": the side lost
    ("vends à découvert MNQ", " Vous avez découvert", "fr"),
    ("buy ES", "", "en"),                                  # nothing written freely: no support
    ("sell MNQ", " Sell 2 MNQ", "en"),                     # the free decoding says more than the sentence
])
def test_an_incomplete_command_without_the_free_decoding_is_flagged(parser: Any, sentence: str, free: str,
                                                                    lang: str) -> None:
    assert unsupported_incomplete(parser, sentence, free, lang)


@pytest.mark.parametrize("sentence,free,lang", [
    ("buy ES", " Buy ES.", "en"),                          # Whisper wrote the same incomplete command
    ("vends MNQ", " Vends MNQ", "fr"),
    ("sell 30 MNQ", " So 30mm in Q", "en"),                # complete: the rule does not apply
    ("what's my pnl", " What's my TNL", "en"),             # not a command with required slots
])
def test_complete_or_freely_written_commands_are_not_flagged(parser: Any, sentence: str, free: str,
                                                             lang: str) -> None:
    assert not unsupported_incomplete(parser, sentence, free, lang)


def test_a_price_must_be_written_by_the_free_decoding() -> None:
    assert unwritten_price({"price": 1999.75, "quantity": 3}, " i3ES limit at 1,900, 99")
    assert unwritten_price({"price": 5100.25}, " by one ES at five thousand one hundred")  # spelled: no evidence
    assert not unwritten_price({"price": 5087.75}, " Cell 5ES at 5,087")    # the whole part suffices
    assert not unwritten_price({"price": 20000.0}, " Sell to a men queue at 20,000")
    assert not unwritten_price({"price": 5000}, " short to us with the limit at 5000")
    assert not unwritten_price({"quantity": 3, "symbol": "ES"}, " nothing")  # no price: no rule


def test_a_rule_refuses_whatever_the_confidence() -> None:
    sure = {"margin": 10.0, "agreement": 1.0, "partial": 1.0, "end": 0.0, "lang_margin": 10.0, "mean": -0.1,
            "rate": 1.0, "no_speech": 0.5, "weakest": -0.1, "cover": 1.0, "lowest": -0.5, "free_parse": 1.0,
            "jump": 0.3}
    assert PROMPTED.probability(sure) >= PROMPTED.threshold and refusal(sure) is None
    for name, reason in RULES.items():
        assert refusal({**sure, name: 1.0}) == reason


# Recordings of the fixture set that the gate accepted as another command before these rules
# (audit of 2026-12-05, docs/asr.md): said -> understood.
WRONG_BEFORE = [
    "en/mb-us2/num_18.wav",       # "sell eighteen M N Q" -> "selling MNQ" (quantity lost)
    "en/mb-us1/conf_07.wav",      # "sell thirty M N Q" -> "so 30 MNQ" (side lost)
    "en/mb-us1/num_34.wav",       # "sell thirty four M N Q" -> "so 34 MNQ"
    "en/pico-en-GB/price_03.wav",  # "... limit at four thousand nine hundred ninety nine point seven five" -> 1,999.75
    "fr/mb-fr1/phr_09.wav",       # "vends à découvert un M N Q" -> "vends à découvert MNQ"
]


def test_recordings_that_were_wrong_actions_are_refused(natural: Path, recognizer: Any) -> None:
    """Through the live path (endpointer, both languages listening): every sentence the recogniser
    accepts for these files means exactly the labelled command — intent and every slot, none
    missing (an incomplete sentence would have been a follow-up question built on a lost word)."""
    import json

    from assistant.asr.pipeline import transcribe_file
    from audio_fixtures import generate

    for name in WRONG_BEFORE:
        lang, key = name.split("/", 1)
        label = json.loads(generate.labels_path(lang).read_text(encoding="utf-8"))[key]
        heard = transcribe_file(natural / name, {"fr": recognizer, "en": recognizer})
        assert heard, name
        for h in heard:
            for tr in {id(t): t for t in h.transcripts.values()}.values():
                if tr.accepted:
                    assert tr.detail["intent"] == label["intent"], (name, tr.detail["hypothesis"])
                    assert {k: str(v).lower() for k, v in tr.detail["slots"].items()} == \
                        {k: str(v).lower() for k, v in label["slots"].items()}, (name, tr.detail["hypothesis"])


# Command words Whisper base writes for others (rescoring.CONFUSABLE_WORDS): the best sentence with
# the left word gets the sentences with a right word in its place force-scored (another intent).
@pytest.mark.parametrize("lang,said,rivals", [
    ("en", "stop trading", ["start trading"]),                      # halt vs resume
    ("en", "stop everything", ["flatten everything"]),              # halt vs close all
    ("fr", "je voudrais toutes les positions sur MNQ", ["clôturer toutes les positions sur MNQ"]),  # query vs close
    ("en", "start trading", []),                                    # one direction only
    ("en", "what is my pnl", []),                                   # no confusable word
])
def test_confusable_command_words_get_their_rivals(recognizer: Any, lang: str, said: str, rivals: list[str]) -> None:
    from types import SimpleNamespace

    rescorer, tok = recognizer.rescorer, recognizer.engine.tokenizer
    tokens = tuple(tok.encode(" " + said))
    meaning = next(iter(rescorer._meanings(rescorer._initial(lang), tokens)))
    found = rescorer.intent_competitors(SimpleNamespace(meaning=meaning, tokens=tokens))
    assert [tok.decode(c.tokens).strip().lower() for c in found] == [r.lower() for r in rivals]
    assert all(c.meaning.intent != meaning.intent for c in found)


# Recordings the gate accepted as another intent before the `confusable` rule (whole-fixture
# audit, docs/asr.md): folder, labels, file, babble SNR (None: clean).
CONFUSED_BEFORE = [
    ("espeak/en", "labels_espeak_en.json", "espeak-en-us+m3/phr_12.wav", None),  # "flatten everything" -> "stop everything"
    ("en", "labels_en.json", "mb-en1/conf_15.wav", 6.0),         # "start trading" -> "stop trading"
    ("fr", "labels_fr.json", "mb-fr6/guide_03.wav", 6.0),        # "Clôturer toutes les positions sur MNQ" -> "je voudrais ..."
]


def test_confused_command_words_are_refused(natural: Path, grammar_pipeline: Any, tmp_path: Path) -> None:
    """Through the live path, as the audit ran them: each is refused or understood as labelled."""
    import json

    from assistant.harness.labels import load_dataset
    from assistant.harness.noise import load_noise
    from assistant.harness.runner import conditions_for
    from audio_fixtures import generate
    from tests.asr.support import run_once

    for folder, labels, name, snr in CONFUSED_BEFORE:
        data = json.loads((generate.labels_path("en").parent / labels).read_text(encoding="utf-8"))
        path = tmp_path / labels
        path.write_text(json.dumps({name: data[name]}, ensure_ascii=False), encoding="utf-8")
        dataset = load_dataset([natural / folder], [path])
        cond = (conditions_for([load_noise(natural / "noise" / "babble.wav")], [snr], include_clean=False)
                if snr is not None else conditions_for([], []))
        outcomes = run_once(grammar_pipeline, dataset.items, cond)
        assert len(outcomes) == 1 and outcomes[0].scored_heard, name
        # What the harness infers from what the recogniser accepted: nothing, or the labelled intent.
        assert all(i.intent == data[name]["intent"] for i in outcomes[0].inferred), (name, outcomes[0].inferred)
