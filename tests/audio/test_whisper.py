"""French through the Whisper backend (faster-whisper base, int8) on espeak-ng speech.

Whisper base is weak on plain espeak-ng French: recognition is scored on a set of commands and
voices against a threshold, never clip by clip.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.asr import BackendUnavailable, RecognizerError
from assistant.asr.whisper_backend import WhisperRecognizer, clean_text, compression_ratio

from .conftest import requires_espeak, with_silence

HOTWORDS = "achète vends contrats E S M N Q positions régime marché arrête confirme annule"
FRENCH = {
    "quel est le régime de marché": "market_regime", "oui je confirme": "confirm", "stop trading": "halt",
    "achète deux contrats E S": "place_trade", "ferme toutes les positions": "close_positions",
    "annule": "cancel",
}
VOICES = ("fr+m3", "fr+f2", "fr-be")
# Free transcription of plain espeak-ng French by Whisper base is weak: measured 8/18 understood on
# this set with the repaired tokenizer (15/48 on a wider run of 4 voices x 2 speeds). The threshold
# guards the path against regressions; it is not a quality target (natural voices and the
# grammar-constrained recogniser are measured by the harness).
FRENCH_MIN_UNDERSTOOD = 0.33


@pytest.fixture(scope="module")
def whisper_fr(whisper_model_path: Path) -> WhisperRecognizer:
    return WhisperRecognizer(whisper_model_path, lang="fr", hotwords=HOTWORDS)


@pytest.mark.slow
@requires_espeak
def test_french_commands_as_a_set(whisper_fr: WhisperRecognizer, speak, parser) -> None:
    understood, wrong, total = 0, [], 0
    for voice in VOICES:
        for text, intent in FRENCH.items():
            tr = whisper_fr.recognize(with_silence(speak(text, voice, speed=120)))
            total += 1
            assert tr.backend == "whisper" and tr.lang == "fr"
            assert tr.audio_s > 0.5 and tr.decode_s > 0
            assert 0 <= tr.confidence <= 1
            if not tr.accepted:
                continue
            result = parser.parse(tr.text, "fr")
            if result.matched and result.intent == intent:
                understood += 1
            elif result.matched:
                wrong.append((voice, text, tr.text, result.intent))
    print(f"\nFR whisper free transcription: {understood}/{total} understood, wrong: {wrong}")
    assert understood / total >= FRENCH_MIN_UNDERSTOOD
    # A misheard command may be refused, never taken for another trading action.
    assert not wrong


@requires_espeak
def test_language_detection_restricted_to_french_and_english(whisper_model_path: Path, speak) -> None:
    auto = WhisperRecognizer(whisper_model_path, lang="auto")
    tr = auto.recognize(with_silence(speak("oui je confirme", "fr+m3", speed=120)))
    assert tr.lang == "fr"
    assert tr.detail["language_probability"] > 0.5


def test_too_short_audio_is_not_sent_to_the_model(whisper_fr: WhisperRecognizer) -> None:
    tr = whisper_fr.recognize(np.zeros(800, np.int16))
    assert tr.out_of_grammar and tr.text == "" and tr.detail["reason"] == "too short"


def test_repetition_loops_are_detected() -> None:
    loop = "M 2 3 4 " + "4 " * 40
    assert compression_ratio(loop) > 2.4
    assert compression_ratio("Quel est le régime de marché ?") < 2.4


def test_text_cleaning_keeps_decimals_and_elisions() -> None:
    assert clean_text("Arrête, tout !") == "arrête tout"
    assert clean_text("Risque de 0,5 % aujourd'hui.") == "risque de 0,5 % aujourd'hui"
    assert clean_text("  Vingt-et-un contrats...") == "vingt-et-un contrats"


def test_missing_model_is_explained(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable) as err:
        WhisperRecognizer(tmp_path, lang="fr")
    assert "model.bin" in str(err.value) and "asr.whisper_model" in str(err.value)


def test_unsupported_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RecognizerError) as err:
        WhisperRecognizer(tmp_path, lang="de")
    assert "fr, en" in str(err.value)
