"""Endpointer on synthetic signals and on synthesised speech.

The synthetic tests drive the energy endpointer (`vad="energy"`): a harmonic tone is its idea of
a vowel, not Silero's. The Silero endpointer is tested on real (synthesised) speech here and in
tests/audio/test_endpointer_noise.py on the natural-voice fixtures in noise."""
from __future__ import annotations

import numpy as np
import pytest

from assistant.audio import (
    Endpointer,
    EndpointerConfig,
    SegmentDiscarded,
    SpeechAudio,
    SpeechStarted,
    UtteranceEnded,
)

from .conftest import requires_espeak, with_silence

RATE = 16000
ENERGY = EndpointerConfig(vad="energy")
rng = np.random.default_rng(42)


def silence(s: float) -> np.ndarray:
    return np.zeros(int(s * RATE), np.int16)


def tone(s: float, freq: float = 180.0, amp: float = 0.3) -> np.ndarray:
    """A voiced-like burst: harmonic tone with a few partials, like a sustained vowel."""
    t = np.arange(int(s * RATE)) / RATE
    x = sum(amp / k * np.sin(2 * np.pi * freq * k * t) for k in (1, 2, 3))
    return (x * 32767 / 1.8).astype(np.int16)


def noise(s: float, dbfs: float, kind: str = "white") -> np.ndarray:
    w = rng.standard_normal(int(s * RATE))
    if kind == "pink":
        f = np.fft.rfft(w)
        f /= np.sqrt(np.maximum(np.arange(len(f)), 1))
        w = np.fft.irfft(f, len(w))
    elif kind == "brown":
        w = np.cumsum(w)
        w -= np.convolve(w, np.ones(1000) / 1000, "same")
    w = w / np.sqrt(np.mean(w**2)) * 10 ** (dbfs / 20)
    return np.clip(w * 32767, -32768, 32767).astype(np.int16)


def run(pcm: np.ndarray, config: EndpointerConfig | None = None, chunk: int = 320) -> list:
    ep = Endpointer(config or ENERGY)
    events = []
    for i in range(0, len(pcm), chunk):
        events += ep.process(pcm[i : i + chunk])
    return events + ep.flush()


def utterances(events: list) -> list:
    return [e.utterance for e in events if isinstance(e, UtteranceEnded)]


def test_silence_gives_nothing() -> None:
    assert run(silence(5.0)) == []


@pytest.mark.parametrize("kind", ["white", "pink", "brown"])
def test_pure_noise_gives_no_utterance(kind: str) -> None:
    events = run(noise(6.0, -30, kind))
    assert utterances(events) == []
    # whatever was segmented was recognised as noise, never handed over as speech
    assert all(e.reason == "unvoiced" for e in events if isinstance(e, SegmentDiscarded))


@pytest.mark.parametrize("kind", ["white", "pink", "brown"])
def test_noise_starting_mid_stream_is_absorbed(kind: str) -> None:
    events = run(np.concatenate([silence(2.0), noise(8.0, -25, kind), silence(1.0)]))
    assert utterances(events) == []
    discarded = [e for e in events if isinstance(e, SegmentDiscarded)]
    # the floor adapts within a few seconds: the noise segment closes long before the noise ends
    assert discarded and discarded[0].end_s < 6.0


def test_tone_bursts_with_timestamps() -> None:
    pcm = np.concatenate([silence(1.0), tone(0.6), silence(1.0), tone(0.4), silence(1.0)])
    utts = utterances(run(pcm))
    assert len(utts) == 2
    first, second = utts
    assert first.start_s == pytest.approx(1.0, abs=0.06)
    assert first.speech_end_s == pytest.approx(1.6, abs=0.06)
    assert second.start_s == pytest.approx(2.6, abs=0.06)
    assert second.speech_end_s == pytest.approx(3.0, abs=0.06)
    for u in utts:
        assert not u.truncated
        # endpoint = speech end + trailing silence (0.5 s default)
        assert u.end_s == pytest.approx(u.speech_end_s + 0.5, abs=0.05)
        # pcm holds pre-roll (0.3 s) + speech + trailing silence
        assert u.duration_s == pytest.approx(u.end_s - u.start_s + 0.3, abs=0.1)
        assert u.speech_end_at <= u.closed_at


def test_short_gap_inside_an_utterance_does_not_split_it() -> None:
    pcm = np.concatenate([silence(0.5), tone(0.3), silence(0.3), tone(0.3), silence(1.0)])
    utts = utterances(run(pcm))
    assert len(utts) == 1
    assert utts[0].speech_end_s - utts[0].start_s == pytest.approx(0.9, abs=0.06)


def test_trailing_silence_is_configurable() -> None:
    pcm = np.concatenate([silence(0.5), tone(0.3), silence(0.3), tone(0.3), silence(1.0)])
    cfg = EndpointerConfig(trailing_silence_s=0.2, vad="energy")
    assert len(utterances(run(pcm, cfg))) == 2


def test_sixty_second_ramble_gives_one_truncated_utterance() -> None:
    # continuous "speech" (voiced bursts with 0.25 s gaps: never a 0.5 s pause) for 60 s
    unit = np.concatenate([tone(0.45), silence(0.25)])
    ramble = np.tile(unit, int(60 / 0.7))
    events = run(np.concatenate([silence(0.5), ramble, silence(1.5)]), EndpointerConfig(max_utterance_s=10.0, vad="energy"))
    utts = utterances(events)
    assert len(utts) == 1
    assert utts[0].truncated
    assert utts[0].duration_s == pytest.approx(10.0, abs=0.05)
    # after the cut the endpointer waits for a pause, then is ready again
    ep = Endpointer(EndpointerConfig(max_utterance_s=10.0, vad="energy"))
    for i in range(0, len(ramble), 320):
        ep.process(ramble[i : i + 320])
    ep.process(silence(1.0))
    after = ep.process(np.concatenate([tone(0.5), silence(1.0)]))
    assert len(utterances(after)) == 1


def test_clicks_are_too_short() -> None:
    click = np.zeros(320, np.int16)
    click[:40] = 20000
    pcm = np.concatenate([silence(1.0), click, silence(1.0), click, silence(1.0)])
    events = run(pcm)
    assert utterances(events) == []


def test_events_stream_audio_for_recognisers_in_order() -> None:
    pcm = np.concatenate([silence(1.0), tone(0.5), silence(1.0)])
    events = run(pcm, chunk=1000)  # odd chunk sizes are re-framed internally
    kinds = [type(e) for e in events]
    assert kinds[0] is SpeechStarted and kinds[-1] is UtteranceEnded
    streamed = np.concatenate([e.pcm for e in events if isinstance(e, SpeechAudio)])
    utt = utterances(events)[0]
    assert np.array_equal(streamed, utt.pcm)


def test_speech_that_starts_the_file_keeps_its_onset() -> None:
    pcm = np.concatenate([tone(0.6), silence(1.0)])
    utts = utterances(run(pcm))
    assert len(utts) == 1 and utts[0].start_s < 0.1


def test_speech_over_steady_noise_is_found() -> None:
    background = noise(5.0, -35, "pink")
    burst = np.zeros_like(background)
    burst[int(2.5 * RATE) : int(3.1 * RATE)] = tone(0.6, amp=0.15)
    mixed = np.clip(background.astype(np.int32) + burst, -32768, 32767).astype(np.int16)
    utts = utterances(run(mixed))
    assert len(utts) == 1
    assert utts[0].start_s == pytest.approx(2.5, abs=0.1)


def test_flush_closes_an_open_utterance() -> None:
    ep = Endpointer(ENERGY)
    events = ep.process(np.concatenate([silence(0.5), tone(0.5)]))
    assert not utterances(events) and ep.in_speech
    assert len(utterances(ep.flush())) == 1


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_utterance_s"):
        EndpointerConfig(trailing_silence_s=2.0, max_utterance_s=1.0)
    with pytest.raises(ValueError, match="onset_frames"):
        EndpointerConfig(onset_frames=9)
    with pytest.raises(ValueError, match="vad is 'silero' or 'energy'"):
        EndpointerConfig(vad="webrtc")
    with pytest.raises(ValueError, match="vad_offset <= vad_onset"):
        EndpointerConfig(vad_onset=0.3, vad_offset=0.6)


def test_wrong_sample_type_is_refused() -> None:
    with pytest.raises(TypeError):
        Endpointer().process(np.zeros(320, np.float32))


def test_from_asr_config() -> None:
    from trading_core.config import AsrConfig

    cfg = EndpointerConfig.from_asr_config(AsrConfig(trailing_silence_s=0.7, max_utterance_s=8, pre_roll_s=0.2))
    assert (cfg.trailing_silence_s, cfg.max_utterance_s, cfg.pre_roll_s, cfg.vad) == (0.7, 8, 0.2, "silero")
    assert EndpointerConfig.from_asr_config(AsrConfig(vad="energy")).vad == "energy"
    # The pause announcement (speculative final decoding) is off by default, and configurable.
    assert EndpointerConfig.from_asr_config(AsrConfig()).pause_s == EndpointerConfig().pause_s == 0.0
    assert EndpointerConfig.from_asr_config(AsrConfig(pause_s=0.2)).pause_s == 0.2


def test_a_pause_not_shorter_than_the_trailing_silence_is_not_announced() -> None:
    """A user who shortens the trailing silence to 0.2 s or less needs not change `pause_s`: the
    final decoding then starts at the close; a negative pause is a config error."""
    from trading_core.config import ConfigError, load_config

    cfg = EndpointerConfig(vad="energy", trailing_silence_s=0.2, pause_s=0.2)
    kinds = {type(e).__name__ for e in run(np.concatenate([silence(0.5), tone(0.6), silence(1.0)]), cfg)}
    assert "UtteranceEnded" in kinds and "SpeechPaused" not in kinds
    with pytest.raises(ConfigError, match="pause_s"):
        load_config(None, env={}, overrides={"asr": {"pause_s": -0.1}})


def test_silero_is_the_default_and_energy_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.audio import vad

    assert Endpointer().vad_name == ("silero" if vad.silero_available() else "energy")
    monkeypatch.setattr(vad, "silero_available", lambda: False)
    assert Endpointer().vad_name == "energy"  # silero-vad or onnxruntime missing: still listens


@requires_espeak
@pytest.mark.parametrize("vad_name", ["energy", "silero"])
def test_real_speech_between_tones_and_noise(speak, vad_name: str) -> None:
    """Silero hears speech, not a notification beep or knocks; the energy endpointer takes the beep too."""
    from assistant.audio import vad

    if vad_name == "silero" and not vad.silero_available():
        pytest.skip("silero-vad not installed")
    cmd = speak("close all positions")
    knocks = np.concatenate([np.concatenate([noise(0.03, -12.0), silence(0.25)]) for _ in range(4)])
    t = np.arange(int(0.6 * RATE)) / RATE
    beep = (0.3 * 32767 * np.sin(2 * np.pi * 1000 * t) * np.hanning(len(t)) ** 0.2).astype(np.int16)
    pcm = np.concatenate([silence(1.0), beep, silence(1.0), knocks, silence(1.0), with_silence(cmd, 0.3, 1.0)])
    utts = utterances(run(pcm, EndpointerConfig(vad=vad_name)))
    starts = [round(u.start_s, 1) for u in utts]
    speech_at = 1.0 + 0.6 + 1.0 + len(knocks) / RATE + 1.0 + 0.3
    assert any(abs(s - speech_at) < 0.3 for s in starts), starts
    if vad_name == "silero":
        assert len(utts) == 1  # the beep is not speech to a trained VAD


@requires_espeak
def test_real_speech_two_commands(speak) -> None:
    a = speak("buy two e s")
    b = speak("close all positions")
    pcm = np.concatenate([with_silence(a, 0.5, 1.0), with_silence(b, 0.0, 1.0)])
    utts = utterances(run(pcm, EndpointerConfig()))
    assert len(utts) == 2
    assert utts[0].voiced_s > 0.2 and utts[1].voiced_s > 0.2


def test_a_pause_is_announced_and_speech_after_it_resumes_the_utterance() -> None:
    """`pause_s` after the last speech frame: SpeechPaused, whose `silence_to_close` is exactly the
    audio still streamed before the close when no speech follows; speech after it: SpeechResumed,
    and the utterance goes on (one utterance for both bursts)."""
    from assistant.audio import SpeechPaused, SpeechResumed

    cfg = EndpointerConfig(vad="energy", pause_s=0.2)
    pcm = np.concatenate([silence(0.5), tone(0.6), silence(0.3), tone(0.6), silence(1.0)])
    events = run(pcm, cfg)
    kinds = [type(e).__name__ for e in events if not isinstance(e, SpeechAudio)]
    assert kinds == ["SpeechStarted", "SpeechPaused", "SpeechResumed", "SpeechPaused", "UtteranceEnded"]
    streamed = 0
    last_pause = None
    for e in events:
        if isinstance(e, SpeechAudio):
            streamed += len(e.pcm)
        elif isinstance(e, SpeechPaused):
            last_pause = (streamed, e.silence_to_close)
    (utt,) = utterances(events)
    assert last_pause is not None and last_pause[0] + last_pause[1] == len(utt.pcm)
    assert not any(isinstance(e, (SpeechPaused, SpeechResumed)) for e in run(pcm, replace_pause(cfg, 0.0)))
    with pytest.raises(ValueError, match="pause_s"):
        EndpointerConfig(pause_s=-0.1)


def replace_pause(cfg: EndpointerConfig, pause_s: float) -> EndpointerConfig:
    from dataclasses import replace

    return replace(cfg, pause_s=pause_s)
