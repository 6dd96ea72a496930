"""Microphone source against a private PulseAudio: pipe source `mic`, null sink `spk`."""
from __future__ import annotations

import time

import numpy as np
import pytest

from assistant.asr import Listener
from assistant.audio import AudioInputError, Endpointer, MicSource, list_input_devices, resolve_input_device
from tests.fakes.pulse import PrivatePulse, private_pulse, pulse_available

from .conftest import MeaningScore, NaturalClips, requires_espeak

_why_not = pulse_available()
pytestmark = [pytest.mark.pulse, pytest.mark.skipif(_why_not is not None, reason=_why_not or "")]


@pytest.fixture(scope="module")
def pulse():
    yield from private_pulse()


def _listen(pulse: PrivatePulse, listener: Listener, utterance: np.ndarray, timeout_s: float = 15.0):
    heard = []
    start = time.monotonic()
    with MicSource("pulse") as mic:
        said = False
        for chunk in mic:
            if not said and time.monotonic() - start > 0.6:  # let the noise floor settle first
                pulse.say(utterance)
                said = True
            heard += listener.process(chunk)
            if heard or time.monotonic() - start > timeout_s:
                break
    return heard, mic


def test_mic_endpointer_pocketsphinx_yield_the_command(pulse: PrivatePulse, ps_recognizer, natural_en: NaturalClips,
                                                       parser) -> None:
    """Natural-voice commands played into the microphone: each comes out of the stream as one utterance
    decoded by PocketSphinx with a confidence; what was understood is scored as a (small) set."""
    meaning = MeaningScore()
    for key in natural_en.pick("guide", 3)[:2]:
        listener = Listener({"en": ps_recognizer}, Endpointer())
        heard, mic = _listen(pulse, listener, natural_en.pcm(key))
        assert len(heard) == 1, f"no utterance came out of the microphone stream ({key})"
        h = heard[0]
        tr = h.transcripts["en"]
        assert tr.backend == "pocketsphinx" and 0.0 <= tr.confidence <= 1.0 and tr.audio_s > 0.5
        assert h.latency_s >= 0 and h.utterance.speech_end_at <= h.utterance.closed_at
        assert mic.device.name == "pulse"
        meaning.add(natural_en.labels[key], heard, parser)
    print(f"\nmicrophone: {meaning.right}/{meaning.n} understood as labelled; missed {meaning.missed}")
    assert not meaning.wrong, meaning.wrong
    # measured 2/2 understood as labelled (the same clips through files: 2/2)
    assert meaning.right >= 1, meaning.missed


@requires_espeak
def test_out_of_grammar_through_the_mic_is_not_understood(pulse: PrivatePulse, ps_recognizer, speak) -> None:
    listener = Listener({"en": ps_recognizer}, Endpointer())
    heard, _ = _listen(pulse, listener, speak("what is the weather like in paris today"))
    assert len(heard) == 1 and not heard[0].understood


def test_devices_are_listed_and_unknown_names_refused(pulse: PrivatePulse) -> None:
    names = [d.name for d in list_input_devices()]
    assert "pulse" in names
    assert resolve_input_device("PULSE").name == "pulse"  # case-insensitive
    idx = resolve_input_device("pulse").index
    assert resolve_input_device(idx).name == "pulse"
    assert resolve_input_device(str(idx)).name == "pulse"
    with pytest.raises(AudioInputError) as err:
        resolve_input_device("Blue Yeti USB")
    msg = str(err.value)
    assert "introuvable" in msg and "not found" in msg and "pulse" in msg
    with pytest.raises(AudioInputError, match="does not exist"):
        resolve_input_device(999)


def test_close_from_another_thread_never_hangs(pulse: PrivatePulse) -> None:
    import threading

    mic = MicSource("pulse").open()
    got = []
    t = threading.Thread(target=lambda: got.extend(c for c, _ in zip(mic, range(10_000))))
    t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    mic.close()
    t.join(timeout=5)
    assert not t.is_alive() and time.monotonic() - t0 < 3
    assert got and all(c.dtype == np.int16 for c in got)


@requires_espeak
def test_live_speaker_plays_into_the_sink(pulse: PrivatePulse) -> None:
    from assistant.speech import Pyttsx3Speaker

    sp = Pyttsx3Speaker(output_device="pulse")
    try:
        import threading

        captured: list[np.ndarray] = []
        rec = threading.Thread(target=lambda: captured.append(pulse.record_speaker(1.5)))
        rec.start()
        time.sleep(0.2)
        sp.say("Position closed.", "en")
        assert sp.flush(timeout=20)
        rec.join(timeout=10)
        assert sp.spoken[0].played and not sp.spoken[0].interrupted
        audio = captured[0].astype(np.float64)
        assert len(audio) > 16000 and np.sqrt(np.mean(audio**2)) > 100  # speech reached the speaker
        # urgent cuts a long calm sentence short
        sp.say("The market regime is trending upwards with moderate volatility and a positive "
               "outlook for the next several sessions.", "en")
        time.sleep(0.6)
        sp.say("Stop. Daily loss limit reached.", "en", "urgent")
        assert sp.flush(timeout=30)
        long_item, urgent = sp.spoken[1], sp.spoken[2]
        assert long_item.interrupted and urgent.profile == "urgent" and urgent.played
    finally:
        sp.close()

