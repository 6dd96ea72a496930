"""The SNR mixer: requested SNR is what is measured, offsets are reproducible, noise loops/crops."""
from __future__ import annotations

import os

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assistant.audio.pcm import SAMPLE_RATE, float_to_int16
from assistant.harness.noise import (
    Noise, NoiseError, active_speech_power, excerpt, load_noise, measured_snr, mix_at_snr, noise_offset,
)

from .conftest import requires_espeak


def speech_like(seconds: float = 2.0, level: float = 0.3, pause_s: float = 0.0, seed: int = 1) -> np.ndarray:
    """Voiced syllables (harmonics of 120 Hz under a 4 Hz envelope), with an optional pause in the
    middle, as int16."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    voiced = sum(np.sin(2 * np.pi * 120 * k * t + rng.uniform(0, 6)) / k for k in range(1, 12))
    env = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 0.5
    x = level * voiced * env / np.max(np.abs(voiced))
    if pause_s:
        half = len(x) // 2
        x = np.concatenate([x[:half], np.zeros(int(pause_s * SAMPLE_RATE)), x[half:]])
    return float_to_int16(x.astype(np.float32))


def white(seconds: float, seed: int = 7, name: str = "white") -> Noise:
    rng = np.random.default_rng(seed)
    return Noise(name, Path(f"{name}.wav"), (0.1 * rng.standard_normal(int(seconds * SAMPLE_RATE))).astype(np.float32))


def framed(pcm: np.ndarray, lead_s: float = 1.0, tail_s: float = 0.6) -> tuple[np.ndarray, tuple[int, int]]:
    lead, tail = int(lead_s * SAMPLE_RATE), int(tail_s * SAMPLE_RATE)
    stream = np.concatenate([np.zeros(lead, np.int16), pcm, np.zeros(tail, np.int16)])
    return stream, (lead, lead + len(pcm))


@pytest.mark.parametrize("snr", [24.0, 18.0, 12.0, 9.0, 6.0, 0.0, -3.0])
def test_measured_snr_is_within_half_a_db_of_the_request(snr: float) -> None:
    stream, span = framed(speech_like())
    mix = mix_at_snr(stream, span, white(5.0), snr, seed=3, utterance="u1.wav")
    assert mix.pcm.dtype == np.int16 and len(mix.pcm) == len(stream)
    assert abs(measured_snr(stream, mix.pcm, span, mix.scale) - snr) < 0.5


def test_pauses_do_not_dilute_the_speech_level() -> None:
    """Active-speech SNR: the same words with a long pause get the same noise level."""
    tight, span_a = framed(speech_like())
    paused, span_b = framed(speech_like(pause_s=1.5))
    p_a = active_speech_power(tight[span_a[0]:span_a[1]].astype(np.float32) / 32768)
    p_b = active_speech_power(paused[span_b[0]:span_b[1]].astype(np.float32) / 32768)
    assert p_a is not None and p_b is not None
    assert abs(10 * np.log10(p_a / p_b)) < 0.3
    noise = white(6.0)
    gain_a = mix_at_snr(tight, span_a, noise, 9.0, seed=0, utterance="same").noise_gain
    gain_b = mix_at_snr(paused, span_b, noise, 9.0, seed=0, utterance="same").noise_gain
    assert abs(20 * np.log10(gain_a / gain_b)) < 0.5


def test_offsets_are_reproducible_and_differ_between_files_and_seeds() -> None:
    stream, span = framed(speech_like())
    noise = white(8.0)
    a = mix_at_snr(stream, span, noise, 12.0, seed=5, utterance="x.wav")
    b = mix_at_snr(stream, span, noise, 12.0, seed=5, utterance="x.wav")
    assert a.offset == b.offset and np.array_equal(a.pcm, b.pcm)
    assert mix_at_snr(stream, span, noise, 6.0, seed=5, utterance="x.wav").offset == a.offset  # same at every SNR
    others = {noise_offset(seed, name, "white", len(noise.samples))
              for seed in (5, 6, 7) for name in ("x.wav", "y.wav")}
    assert len(others) == 6


def test_short_noise_is_looped_and_long_noise_cropped() -> None:
    noise = np.arange(10, dtype=np.float32)
    assert excerpt(noise, 7, 6).tolist() == [7, 8, 9, 0, 1, 2]
    assert excerpt(noise, 2, 3).tolist() == [2, 3, 4]
    stream, span = framed(speech_like(3.0))
    short = white(0.5, name="short")  # far shorter than the 4.6 s stream
    mix = mix_at_snr(stream, span, short, 9.0, seed=1, utterance="loop.wav")
    assert abs(measured_snr(stream, mix.pcm, span, mix.scale) - 9.0) < 0.5
    added = mix.pcm[: span[0]].astype(np.int32)  # the lead-in holds noise only: it repeats every 0.5 s
    period = len(short.samples)
    assert np.abs(added[:period] - added[period: 2 * period]).max() <= 1


def test_a_mix_that_would_clip_is_scaled_down_keeping_its_snr() -> None:
    stream, span = framed(speech_like(level=0.95))
    mix = mix_at_snr(stream, span, white(5.0), 0.0, seed=2, utterance="loud.wav")
    assert mix.scale < 1.0
    assert np.max(np.abs(mix.pcm.astype(np.int32))) < 32767
    assert abs(measured_snr(stream, mix.pcm, span, mix.scale) - 0.0) < 0.5


def test_silent_item_uses_the_reference_speech_level() -> None:
    silence = np.zeros(SAMPLE_RATE, np.int16)
    stream, span = framed(silence)
    with pytest.raises(ValueError, match="no active speech"):
        mix_at_snr(stream, span, white(3.0), 9.0, seed=0, utterance="s.wav")
    ref = active_speech_power(speech_like().astype(np.float32) / 32768)
    mix = mix_at_snr(stream, span, white(3.0), 9.0, seed=0, utterance="s.wav", reference_power=ref)
    assert mix.used_reference
    noise_power = np.mean((mix.pcm[span[0]:span[1]].astype(np.float64) / 32768) ** 2)
    assert abs(10 * np.log10(ref / noise_power) - 9.0) < 0.5


def test_unusable_noise_files_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(NoiseError, match="not found"):
        load_noise(tmp_path / "nope.wav")
    sf.write(str(tmp_path / "quiet.wav"), np.zeros(16000, np.int16), 16000)
    with pytest.raises(NoiseError, match="empty or silent"):
        load_noise(tmp_path / "quiet.wav")
    (tmp_path / "junk.wav").write_bytes(b"RIFF not really a wave file")
    with pytest.raises(NoiseError, match="Unusable noise file"):
        load_noise(tmp_path / "junk.wav")


def test_noise_files_at_other_rates_are_resampled(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    sf.write(str(tmp_path / "fan.wav"), (0.1 * rng.standard_normal((44100, 2))).astype(np.float32), 44100)
    noise = load_noise(tmp_path / "fan.wav")
    assert noise.name == "fan" and abs(noise.duration_s - 1.0) < 0.01


@requires_espeak
@pytest.mark.parametrize("name", ["pink", "brown", "babble", "music", "clatter"])
def test_fixture_noises_mix_at_the_requested_snr(generated: Path, name: str) -> None:
    from assistant.audio import read_audio
    from audio_fixtures import generate

    noise = load_noise(generated / "noise" / f"{name}.wav")
    assert noise.duration_s >= 30.0
    first = generate.plan("en", espeak=True)[0]
    stream, span = framed(read_audio(generated / first.path))
    for snr in (24.0, 15.0, 6.0):
        mix = mix_at_snr(stream, span, noise, snr, seed=0, utterance=first.key)
        assert abs(measured_snr(stream, mix.pcm, span, mix.scale) - snr) < 0.5


@requires_espeak
def test_fixture_noises_by_name(generated: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from assistant.harness import noise as noise_mod

    assert load_noise("clatter").path == generated / "noise" / "clatter.wav" or "AUDIO_FIXTURES_DIR" in os.environ
    # A file of that name in the current folder wins over the fixture noise.
    monkeypatch.chdir(tmp_path)
    sf.write("music", (0.1 * np.random.default_rng(1).standard_normal(16000)).astype(np.float32), 16000,
             format="WAV")
    assert load_noise("music").path == Path("music")
    # Not generated yet: a clear message with the command that makes it.
    monkeypatch.setattr(noise_mod, "fixture_noise_dir", lambda: tmp_path / "nothing")
    with pytest.raises(NoiseError) as err:
        load_noise("babble")
    assert "make fixtures" in err.value.en and "make fixtures" in err.value.fr
