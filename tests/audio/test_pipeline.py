"""source -> endpointer -> recogniser, on files (the path `mia listen --input wav` and the harness use)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from assistant.asr import Listener, transcribe_file
from assistant.audio import Endpointer, EndpointerConfig, WavSource

from .conftest import requires_espeak, with_silence

pytestmark = requires_espeak


def _write(path: Path, pcm: np.ndarray, rate: int = 16000) -> Path:
    sf.write(path, pcm, rate, subtype="PCM_16")
    return path


def test_two_commands_in_one_file(tmp_path: Path, ps_recognizer, speak) -> None:
    pcm = np.concatenate([with_silence(speak("buy two e s"), 0.5, 1.0), with_silence(speak("close all positions"), 0, 0)])
    heard = transcribe_file(_write(tmp_path / "two.wav", pcm), {"en": ps_recognizer})
    assert [h.best.text for h in heard] == ["buy two e s", "close all positions"]
    assert all(h.understood and h.rejected is None for h in heard)
    assert heard[0].utterance.start_s < heard[1].utterance.start_s


def test_44k_stereo_file_goes_through(tmp_path: Path, ps_recognizer, speak) -> None:
    from scipy.signal import resample_poly

    mono = with_silence(speak("sell three m n q")).astype(np.float32) / 32768
    stereo = np.stack([resample_poly(mono, 441, 160)] * 2, axis=1)
    path = tmp_path / "cd.wav"
    sf.write(path, stereo, 44100, subtype="PCM_16")
    heard = transcribe_file(path, {"en": ps_recognizer})
    assert len(heard) == 1 and heard[0].best.text == "sell three m n q"


def test_silence_noise_and_ramble_end_cleanly(tmp_path: Path, ps_recognizer, speak) -> None:
    rng = np.random.default_rng(3)
    assert transcribe_file(_write(tmp_path / "sil.wav", np.zeros(48000, np.int16)), {"en": ps_recognizer}) == []
    hiss = (rng.standard_normal(5 * 16000) * 1000).astype(np.int16)
    assert transcribe_file(_write(tmp_path / "noise.wav", hiss), {"en": ps_recognizer}) == []
    # a long talk without pauses (commas only): one utterance cut at max length, not decoded
    sentence = ("i think the market will go up, then down, then up again, and maybe sideways, "
                "who knows, it depends on the news, the rates, the weather, and my mood, ")
    ramble = speak(sentence * 4, speed=200)
    heard = transcribe_file(_write(tmp_path / "ramble.wav", ramble), {"en": ps_recognizer},
                            EndpointerConfig(max_utterance_s=8.0))
    assert heard and heard[0].rejected == "too_long" and heard[0].utterance.truncated
    assert heard[0].transcripts == {} and not heard[0].understood
    assert all(not h.understood for h in heard)


def test_streaming_partials_and_latency(tmp_path: Path, ps_recognizer, speak) -> None:
    partials: list[tuple[str, str]] = []
    starts: list[float] = []
    listener = Listener({"en": ps_recognizer}, Endpointer(),
                        on_partial=lambda lang, p: partials.append((lang, p.text)),
                        on_speech_start=starts.append)
    path = _write(tmp_path / "c.wav", with_silence(speak("close all positions"), 0.5, 1.0))
    heard = list(listener.listen(WavSource(path)))
    assert len(heard) == 1 and heard[0].best.text == "close all positions"
    assert starts and starts[0] == heard[0].utterance.start_s
    assert any(lang == "en" and text for lang, text in partials)
    tr = heard[0].transcripts["en"]
    # streaming: most of the work happened while audio arrived, final() only closes the search
    assert 0 < tr.decode_s < tr.processing_s and heard[0].latency_s >= tr.decode_s


def test_one_recogniser_serving_two_languages_is_fed_once(tmp_path: Path, ps_recognizer, speak) -> None:
    listener = Listener({"en": ps_recognizer, "fr": ps_recognizer})
    path = _write(tmp_path / "d.wav", with_silence(speak("stop trading"), 0.5, 1.0))
    heard = list(listener.listen(WavSource(path)))
    assert heard[0].transcripts["en"] is heard[0].transcripts["fr"]
    assert heard[0].best.text == "stop trading"
