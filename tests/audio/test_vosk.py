"""Vosk backend: grammar handling and result parsing (no English/French Vosk model exists on this
machine); a real integration test runs when MIA_TEST_VOSK_MODEL_EN points at a model folder."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.asr import BackendUnavailable, GrammarError, RecognizerError
from assistant.asr.vosk_backend import (
    UNK,
    VoskRecognizer,
    check_model_dir,
    parse_vosk_result,
    transcript_from_results,
    vosk_grammar,
    vosk_grammar_json,
)

from .conftest import requires_espeak, with_silence


def test_grammar_is_normalised_deduplicated_with_unk_last() -> None:
    phrases = ["Buy two E S", "buy  two e s", "close all positions", "", "[unk]"]
    assert vosk_grammar(phrases) == ["buy two e s", "close all positions", UNK]
    assert json.loads(vosk_grammar_json(["oui", "non"])) == ["oui", "non", UNK]


def test_empty_phrase_list_is_refused() -> None:
    with pytest.raises(GrammarError) as err:
        vosk_grammar(["", "  "])
    assert "vide" in str(err.value) and "empty" in str(err.value)


def test_result_with_words() -> None:
    raw = json.dumps({
        "result": [
            {"conf": 1.0, "end": 0.42, "start": 0.12, "word": "buy"},
            {"conf": 0.8, "end": 0.6, "start": 0.42, "word": "two"},
            {"conf": 0.9, "end": 0.7, "start": 0.6, "word": "e"},
            {"conf": 0.95, "end": 0.9, "start": 0.7, "word": "s"},
        ],
        "text": "buy two e s",
    })
    text, words, unk = parse_vosk_result(raw)
    assert text == "buy two e s" and not unk
    assert [w.text for w in words] == ["buy", "two", "e", "s"]
    assert words[1].confidence == 0.8 and words[0].start_s == 0.12

    tr = transcript_from_results([raw], "en")
    assert tr.accepted and tr.text == "buy two e s"
    assert tr.confidence == pytest.approx((1.0 + 0.8 + 0.9 + 0.95) / 4)


def test_unk_means_out_of_grammar_even_with_known_words() -> None:
    raw = json.dumps({"result": [{"conf": 1.0, "start": 0, "end": 0.3, "word": "buy"},
                                 {"conf": 1.0, "start": 0.3, "end": 0.9, "word": UNK}],
                      "text": "buy [unk]"})
    text, words, unk = parse_vosk_result(raw)
    assert text == "buy" and unk and [w.text for w in words] == ["buy"]
    tr = transcript_from_results([raw], "fr")
    assert tr.out_of_grammar and tr.confidence == 0.0 and not tr.accepted


def test_only_unk_or_nothing() -> None:
    assert transcript_from_results(['{"text": "[unk]"}'], "en").out_of_grammar
    tr = transcript_from_results(['{"text": ""}', ""], "en")
    assert tr.out_of_grammar and tr.text == ""


def test_pieces_split_by_vosk_endpointing_are_joined() -> None:
    a = json.dumps({"text": "close all"})
    b = json.dumps({"text": "positions"})
    tr = transcript_from_results([a, b], "en")
    assert tr.text == "close all positions" and not tr.out_of_grammar


def test_malformed_result_is_a_clear_error() -> None:
    with pytest.raises(RecognizerError) as err:
        parse_vosk_result("{not json")
    assert "illisible" in str(err.value) and "Unreadable" in str(err.value)


def test_missing_model_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable) as err:
        VoskRecognizer(tmp_path / "nothing", ["oui"], "fr")
    assert "mia models download fr" in str(err.value)
    (tmp_path / "half").mkdir()
    with pytest.raises(BackendUnavailable):
        check_model_dir(tmp_path / "half", "en")


@pytest.fixture(scope="module")
def vosk_model_en() -> Path:
    path = os.environ.get("MIA_TEST_VOSK_MODEL_EN")
    if not path:
        pytest.skip("no English Vosk model configured (set MIA_TEST_VOSK_MODEL_EN to a model folder)")
    return Path(path)


@requires_espeak
def test_vosk_integration_commands_and_rejection(vosk_model_en: Path, speak) -> None:
    phrases = ["buy two e s", "close all positions", "sell three m n q", "stop trading"]
    rec = VoskRecognizer(vosk_model_en, phrases, "en")
    right = 0
    for text in phrases:  # scored as a set, never clip by clip; a miss must be a refusal
        tr = rec.recognize(with_silence(speak(text)))
        assert tr.out_of_grammar or tr.text in phrases
        right += tr.text == text and not tr.out_of_grammar
        assert tr.out_of_grammar or tr.text == text, (text, tr.text)
    assert right >= 3
    assert rec.recognize(with_silence(speak("what is the weather like in paris today"))).out_of_grammar
    with pytest.raises(GrammarError):
        VoskRecognizer(vosk_model_en, ["zorglubbing now"], "en")
