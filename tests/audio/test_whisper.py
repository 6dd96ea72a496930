"""French through the Whisper backend (faster-whisper base, int8) on espeak-ng speech.

Whisper base is weak on plain espeak-ng French (see the report): these phrasings and the voice
`fr+m3` at 120 words/min, with the grammar vocabulary as hotwords, are the ones measured to come
out exactly. A handful only: each utterance costs one to two seconds of CPU here.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.asr import BackendUnavailable, RecognizerError
from assistant.asr.whisper_backend import WhisperRecognizer, clean_text, compression_ratio

from .conftest import requires_espeak, with_silence

HOTWORDS = "achète vends contrats E S M N Q positions régime marché arrête confirme annule"
FRENCH = {"quel est le régime de marché": "market_regime", "oui je confirme": "confirm", "stop trading": "halt"}


@pytest.fixture(scope="module")
def whisper_fr(whisper_model_path: Path) -> WhisperRecognizer:
    return WhisperRecognizer(whisper_model_path, lang="fr", hotwords=HOTWORDS)


@requires_espeak
@pytest.mark.parametrize("text,intent", FRENCH.items())
def test_french_commands(whisper_fr: WhisperRecognizer, speak, parser, text: str, intent: str) -> None:
    tr = whisper_fr.recognize(with_silence(speak(text, "fr+m3", speed=120)))
    assert tr.text == text, tr.detail
    assert tr.accepted and tr.lang == "fr" and tr.backend == "whisper"
    assert 0 < tr.confidence <= 1
    assert tr.decode_s > 0 and tr.audio_s > 1.0
    result = parser.parse(tr.text, "fr")
    assert result.matched and result.intent == intent and result.language == "fr"


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
