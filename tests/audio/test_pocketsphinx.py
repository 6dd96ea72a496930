"""PocketSphinx + JSGF on English commands synthesised with espeak-ng."""
from __future__ import annotations

import numpy as np
import pytest

from assistant.asr import GrammarError
from assistant.asr.jsgf import jsgf_words
from assistant.asr.pocketsphinx_backend import PocketsphinxRecognizer

from .conftest import SMALL_EN_JSGF, requires_espeak, with_silence

pytestmark = requires_espeak

COMMANDS = ["buy two e s", "close all positions", "sell three m n q", "stop trading"]
VOICES = ["en-us", "en-us+m3", "en-us+f2"]
OUT_OF_GRAMMAR = [
    "what is the weather like in paris today",
    "i would like a coffee with milk",
    "please call my mother tonight",
    "buy some milk and bread",
]


def test_commands_are_recognised_as_a_set(ps_recognizer, speak) -> None:
    """Scored as a set (4 commands x 3 voices), never on the exact transcript of one clip."""
    exact = 0
    for text in COMMANDS:
        for voice in VOICES:
            tr = ps_recognizer.recognize(with_silence(speak(text, voice)))
            assert tr.backend == "pocketsphinx" and tr.lang == "en"
            assert tr.audio_s > 0.5 and tr.rtf > 0  # speed is measured by bench/asr_latency.py
            if not tr.out_of_grammar:
                # Standalone acceptance (session 21): a sure utterance whose number words are each sure.
                assert tr.confidence >= ps_recognizer.settings.accept_confidence
                assert tr.detail["least_sure_number_word"] >= ps_recognizer.settings.min_number_word
            if tr.text == text and not tr.out_of_grammar:
                exact += 1
                assert [w.text for w in tr.words] == text.split()
                starts = [w.start_s for w in tr.words]
                assert starts == sorted(starts)
            else:
                # Never a different command: a miss is a refusal.
                assert tr.out_of_grammar or tr.text == text, (text, voice, tr.text)
    # Measured 8 of 12 with the project grammar since session 21's standalone gate (12 of 12 before): on two of the
    # three robotic espeak-ng voices "two" in "buy two e s" is unsure (word confidence 0.07-0.29), and "sell three
    # m n q" lies under 0.7 on two; the natural-voice set is the measure (docs/asr.md, "PocketSphinx alone").
    assert exact >= 7


@pytest.mark.parametrize("text", OUT_OF_GRAMMAR)
def test_out_of_grammar_is_flagged_not_forced(ps_recognizer, speak, text: str) -> None:
    tr = ps_recognizer.recognize(with_silence(speak(text, "en-us")))
    assert tr.out_of_grammar, f"{text!r} was accepted as {tr.text!r} ({tr.confidence:.2f}, {tr.detail})"
    assert tr.confidence < 0.5
    assert not tr.accepted


def test_near_miss_with_a_foreign_word_is_rejected(ps_recognizer, speak) -> None:
    # carrier phrase right, slot wrong: must not become "buy two e s"
    tr = ps_recognizer.recognize(with_silence(speak("buy two apples", "en-us")))
    assert tr.out_of_grammar


def test_partials_while_streaming(ps_recognizer, speak) -> None:
    pcm = with_silence(speak("close all positions"))
    ps_recognizer.reset()
    partials = [p for i in range(0, len(pcm), 320) if (p := ps_recognizer.feed(pcm[i : i + 320]))]
    final = ps_recognizer.final()
    assert final.text  # what was decoded is scored as a set above; here: partials come while streaming
    assert any(p.text for p in partials)
    assert final.decode_s < final.processing_s


def test_silence_only_is_out_of_grammar(ps_recognizer) -> None:
    tr = ps_recognizer.recognize(np.zeros(16000, np.int16))
    assert tr.out_of_grammar and tr.text == ""


def test_reset_discards_the_current_utterance(ps_recognizer, speak) -> None:
    clip = with_silence(speak("buy two e s"))
    alone = ps_recognizer.recognize(clip).text
    ps_recognizer.feed(speak("sell three m n q")[:8000])
    ps_recognizer.reset()
    assert ps_recognizer.recognize(clip).text == alone  # nothing of the dropped utterance is left


def test_unknown_words_are_listed() -> None:
    bad = SMALL_EN_JSGF.replace("stop trading", "stop zorglubbing")
    with pytest.raises(GrammarError) as err:
        PocketsphinxRecognizer(bad)
    assert "zorglubbing" in str(err.value) and "dictionnaire" in str(err.value)


def test_empty_grammar_is_refused() -> None:
    with pytest.raises(GrammarError):
        PocketsphinxRecognizer("#JSGF V1.0;\ngrammar x;\n")


def test_jsgf_word_extraction() -> None:
    text = """#JSGF V1.0; grammar g; // comment
    /* block
       comment */
    public <a> = (buy | sell) /0.5/ <b> {tag} [now];
    <b> = "e s" | m n q;"""
    assert jsgf_words(text) == {"buy", "sell", "now", "e", "s", "m", "n", "q"}


def test_wrong_pcm_type_is_refused(ps_recognizer) -> None:
    with pytest.raises(TypeError):
        ps_recognizer.feed(np.zeros(320, np.float32))
