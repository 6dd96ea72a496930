"""Speculative final decoding of the grammar-constrained Whisper (assistant/asr/pipeline.py).

The endpointer announces a pause 0.2 s after the last speech frame; the recogniser then decodes
the audio so far followed by the silence still to come, in its worker thread, and `final()` takes
that result when the utterance closes with no speech in between. What is checked here is the
behaviour, not the time it saves (bench/asr_compare.py --realtime measures that): the speculative
and the plain paths give the same transcripts, a speculation is used only when no speech followed
the pause, a reset or a discarded segment drops it, and no thread is left after `close()`.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.asr.pipeline import Listener
from assistant.audio import (
    Endpointer,
    EndpointerConfig,
    SegmentDiscarded,
    SpeechAudio,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    WavSource,
    read_audio,
)

FILES = ["en/pico-en-US/guide_01.wav", "en/mb-us1/guide_05.wav", "fr/pico-fr-FR/guide_03.wav",
         "fr/mb-fr1/guide_01.wav"]
TIMINGS = ("encode_s", "search_s", "speculated")
PAUSING = EndpointerConfig(pause_s=0.2)  # the announcement is off by default (config asr.pause_s)


def _comparable(tr: Any) -> tuple[Any, ...]:
    """Everything a transcript says, without its timings."""
    detail = {k: v for k, v in tr.detail.items() if k not in TIMINGS}
    if isinstance(detail.get("rescore"), dict):
        detail["rescore"] = {k: v for k, v in detail["rescore"].items() if k != "rescore_s"}
    return tr.text, tr.confidence, tr.lang, tr.out_of_grammar, detail


def _listen(recognizer: Any, source: Any, speculate: bool) -> list[Any]:
    recognizer.settings = replace(recognizer.settings, speculate=speculate)
    try:
        return list(Listener({"fr": recognizer, "en": recognizer}, Endpointer(PAUSING)).listen(source))
    finally:
        recognizer.settings = replace(recognizer.settings, speculate=True)


def _wav(natural: Path, name: str) -> WavSource:
    return WavSource(natural / name, trailing_silence_s=EndpointerConfig().trailing_silence_s + 0.1)


def test_speculative_and_plain_finals_are_identical(natural: Path, recognizer: Any) -> None:
    for name in FILES:
        spec = _listen(recognizer, _wav(natural, name), speculate=True)
        plain = _listen(recognizer, _wav(natural, name), speculate=False)
        assert len(spec) == len(plain) == 1, name
        a, b = spec[0].transcripts["fr"], plain[0].transcripts["fr"]
        assert a.detail.get("speculated") is True, name  # the speculation was used...
        assert "speculated" not in b.detail
        assert _comparable(a) == _comparable(b), name  # ...and gave what decoding at the close gives
        assert spec[0].from_speech_end_s >= spec[0].latency_s > 0


def _events(pcm: np.ndarray) -> list[Any]:
    ep = Endpointer(PAUSING)
    out: list[Any] = []
    for i in range(0, len(pcm), 320):
        out += ep.process(pcm[i:i + 320])
    return out + ep.flush()


def test_speech_after_the_pause_is_decoded_too(natural: Path, recognizer: Any) -> None:
    """Speech, a 0.25 s pause (longer than the announcement, shorter than the trailing silence),
    more speech: one utterance, and its transcript is decoded from all of it, not from the audio
    before the pause that was speculated on."""
    from assistant.harness.runner import speech_span

    first = read_audio(natural / "en/pico-en-US/guide_03.wav")
    second = read_audio(natural / "en/pico-en-US/guide_05.wav")
    span1, span2 = speech_span(first), speech_span(second)
    assert span1 is not None and span2 is not None
    first, second = first[: int(span1[1] * 16000)], second[int(span2[0] * 16000):]
    gap = np.zeros(int(0.25 * 16000), np.int16)
    tail = np.zeros(int(0.6 * 16000), np.int16)
    pcm = np.concatenate([first, gap, second, tail])
    events = _events(pcm)
    paused = [e for e in events if isinstance(e, SpeechPaused)]
    assert any(isinstance(e, SpeechResumed) for e in events), "the pause between the sentences was not seen"
    assert len(paused) >= 2
    heard = _listen(recognizer, [pcm[i:i + 320] for i in range(0, len(pcm), 320)], speculate=True)
    assert len(heard) == 1
    tr = heard[0].transcripts["en"]
    utt = heard[0].utterance
    # The audio decoded reaches the last pause (0.3 s before the close), past the second sentence.
    assert tr.detail["decoded_until_s"] == pytest.approx(utt.duration_s - 0.3, abs=0.021)
    assert tr.detail["decoded_until_s"] > utt.duration_s - len(tail) / 16000
    assert tr.detail.get("speculated") is True
    plain = _listen(recognizer, [pcm[i:i + 320] for i in range(0, len(pcm), 320)], speculate=False)
    assert _comparable(plain[0].transcripts["en"]) == _comparable(tr)


class _Scripted(Endpointer):
    """An endpointer that replays given events (the recogniser side of the Listener is real)."""

    def __init__(self, script: list[list[Any]]) -> None:
        super().__init__(EndpointerConfig(vad="energy"))
        self.script = script

    def process(self, chunk: np.ndarray) -> list[Any]:
        return self.script.pop(0) if self.script else []


def test_a_discarded_segment_or_a_reset_drops_the_speculation(natural: Path, recognizer: Any) -> None:
    pcm = read_audio(natural / "en/pico-en-US/guide_01.wav")
    listener = Listener({"fr": recognizer, "en": recognizer}, _Scripted([
        [SpeechStarted(0.0), SpeechAudio(pcm)],
        [SpeechPaused(len(pcm) / 16000, 4800)],
        [SegmentDiscarded(0.0, 1.0, "too_short")],
    ]))
    listener.process(pcm[:320])
    listener.process(pcm[:320])
    spec = recognizer._speculation
    assert spec is not None  # the pause started one
    listener.process(pcm[:320])
    assert recognizer._speculation is None and spec.cancelled.is_set()
    # The same through reset(), as the voice loop does when it mutes its own echo.
    recognizer.feed(pcm)
    recognizer.pause(4800)
    spec = recognizer._speculation
    listener.reset()
    assert recognizer._speculation is None and spec.cancelled.is_set()
    recognizer.close()
    assert recognizer.speculations_running == 0
    # A plain recognition afterwards is unaffected by what was dropped.
    tr = recognizer.recognize(np.zeros(16000, np.int16))
    assert not tr.accepted and "speculated" not in tr.detail


def test_no_thread_is_left_after_close(natural: Path, recognizer: Any) -> None:
    heard = _listen(recognizer, _wav(natural, FILES[0]), speculate=True)
    assert heard and heard[0].transcripts["en"].detail.get("speculated")
    assert any(t.name.startswith("mia-asr-speculate") for t in threading.enumerate())
    recognizer.close()
    assert not any(t.name.startswith("mia-asr-speculate") for t in threading.enumerate())
    # Still usable after close (the worker thread comes back on the next pause).
    again = _listen(recognizer, _wav(natural, FILES[0]), speculate=True)
    assert _comparable(again[0].transcripts["en"]) == _comparable(heard[0].transcripts["en"])
    recognizer.close()


def test_the_stand_ins_use_only_the_audio_heard_before_the_pause() -> None:
    """`pause_fill` (a function of the audio up to the pause only, which the speculation and
    `final()` both have): each kind of stand-in takes what it says."""
    from assistant.asr.constrained_whisper import FILLS, pause_fill

    rng = np.random.default_rng(0)
    pre = (rng.standard_normal(4800) * 20).astype(np.int16)        # the room before the speech
    speech = (rng.standard_normal(16000) * 3000).astype(np.int16)
    pause = np.concatenate([(rng.standard_normal(1600) * 400).astype(np.int16),   # the speech's tail
                            (rng.standard_normal(1600) * 30).astype(np.int16)])
    heard = np.concatenate([pre, speech, pause])
    assert pause_fill(heard, 4800, "none").size == 0
    assert np.array_equal(pause_fill(heard, 4800, "preroll"), np.resize(pre[:1600], 4800))
    assert np.array_equal(pause_fill(heard, 4800, "pause_end"), np.resize(pause[-1600:], 4800))
    quiet = pause_fill(heard, 4800, "quiet")
    assert float(np.abs(quiet).mean()) < 40  # room sound, never the speech or its tail
    assert {len(pause_fill(heard, 4800, f)) for f in FILLS if f != "none"} == {4800}
