"""WAV/FLAC file source: any rate, channel count and sample format -> 16 kHz mono int16."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assistant.audio import AudioInputError, WavSource, probe, read_audio
from assistant.audio.pcm import resample, to_16k_mono_int16


def _tone(freq: float, rate: int, seconds: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_hz(pcm: np.ndarray, rate: int = 16000) -> float:
    spec = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.fft.rfftfreq(len(pcm), 1 / rate)[np.argmax(spec)])


def test_44k1_stereo_16bit_becomes_16k_mono(tmp_path: Path) -> None:
    left = _tone(440, 44100, 1.5)
    right = _tone(440, 44100, 1.5)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 44100, subtype="PCM_16")

    info = probe(path)
    assert (info.sample_rate, info.channels) == (44100, 2)
    pcm = read_audio(path)
    assert pcm.dtype == np.int16 and pcm.ndim == 1
    assert len(pcm) == pytest.approx(1.5 * 16000, abs=2)
    assert _peak_hz(pcm) == pytest.approx(440, abs=2)
    # amplitude kept (0.5 full scale), no clipping, no level loss from the channel average
    assert np.abs(pcm).max() == pytest.approx(0.5 * 32767, rel=0.02)


def test_stereo_channels_are_averaged(tmp_path: Path) -> None:
    left = _tone(300, 16000, 0.5)
    path = tmp_path / "one_side.wav"
    sf.write(path, np.stack([left, np.zeros_like(left)], axis=1), 16000, subtype="PCM_16")
    pcm = read_audio(path)
    assert np.abs(pcm).max() == pytest.approx(0.25 * 32767, rel=0.02)


@pytest.mark.parametrize(
    "rate,subtype",
    [(8000, "PCM_U8"), (22050, "PCM_16"), (48000, "PCM_24"), (32000, "PCM_32"), (44100, "FLOAT"), (96000, "DOUBLE")],
)
def test_any_rate_and_sample_format(tmp_path: Path, rate: int, subtype: str) -> None:
    path = tmp_path / f"x_{rate}_{subtype}.wav"
    sf.write(path, _tone(1000, rate, 0.8, amp=0.3), rate, subtype=subtype)
    pcm = read_audio(path)
    assert len(pcm) == pytest.approx(0.8 * 16000, abs=2)
    assert _peak_hz(pcm) == pytest.approx(1000, abs=3)
    assert np.abs(pcm).max() == pytest.approx(0.3 * 32767, rel=0.05)


def test_flac_input(tmp_path: Path) -> None:
    path = tmp_path / "x.flac"
    sf.write(path, _tone(700, 44100, 0.5), 44100, subtype="PCM_16")
    assert _peak_hz(read_audio(path)) == pytest.approx(700, abs=3)


def test_resampling_is_band_limited_not_aliased() -> None:
    # 10 kHz is above the 8 kHz Nyquist of 16 kHz audio: a proper polyphase filter removes it;
    # naive decimation would fold it down to 6 kHz.
    high = _tone(10_000, 44100, 1.0)
    out = resample(high, 44100, 16000)
    assert np.sqrt(np.mean(out**2)) < 0.01 * np.sqrt(np.mean(high**2))
    kept = resample(_tone(7000, 44100, 1.0), 44100, 16000)
    assert np.sqrt(np.mean(kept**2)) > 0.3  # 0.5 / sqrt(2) = 0.35 in band


def test_16k_int16_round_trip_is_lossless_and_overs_clip() -> None:
    rng = np.random.default_rng(1)
    pcm = rng.integers(-32768, 32767, size=(1600, 1), dtype=np.int16)
    assert np.array_equal(to_16k_mono_int16(pcm, 16000), pcm[:, 0])
    over = to_16k_mono_int16(np.array([1.5, -1.5, 0.25], dtype=np.float32), 16000)
    assert over.tolist() == [32767, -32768, 8192]


def test_wav_source_chunks_and_trailing_silence(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    sf.write(path, _tone(440, 22050, 1.0), 22050, subtype="PCM_16")
    src = WavSource(path, chunk_ms=20, trailing_silence_s=0.5)
    chunks = list(src)
    assert all(len(c) == 320 for c in chunks[:-1])
    total = sum(len(c) for c in chunks)
    assert total == pytest.approx(1.5 * 16000, abs=2)
    assert not np.any(np.concatenate(chunks)[-7000:])  # the padding is digital silence


def test_realtime_pacing(tmp_path: Path) -> None:
    import time

    path = tmp_path / "x.wav"
    sf.write(path, _tone(440, 16000, 0.3), 16000, subtype="PCM_16")
    t0 = time.monotonic()
    list(WavSource(path, realtime=True))
    assert time.monotonic() - t0 >= 0.28


def test_missing_file_error_is_bilingual(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError) as err:
        read_audio(tmp_path / "nope.wav")
    assert "introuvable" in str(err.value) and "not found" in str(err.value)


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(100))
    with pytest.raises(AudioInputError) as err:
        read_audio(bad)
    assert "illisible" in str(err.value) and "Unreadable" in str(err.value)


def test_empty_wav_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, np.float32), 16000, subtype="PCM_16")
    with pytest.raises(AudioInputError) as err:
        read_audio(empty)
    assert "no samples" in str(err.value)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError) as err:
        WavSource(tmp_path)
    assert "folder" in str(err.value) and "dossier" in str(err.value)
