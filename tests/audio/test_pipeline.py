"""source -> endpointer -> recogniser, on files (the path `mia listen --input wav` and the harness use).

The plumbing is checked on every clip (each command reached the recogniser as one utterance, a
transcript with a confidence came back, the parser got it); what was *understood* is scored as a set
of natural-voice clips against a threshold (intent + slots, the harness's scoring), never as the exact
transcript of one clip. A command taken for a different one is never allowed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from assistant.asr import Heard, Listener, transcribe_file
from assistant.audio import Endpointer, EndpointerConfig, WavSource

from .conftest import MeaningScore, NaturalClips, requires_espeak, with_silence

pytestmark = requires_espeak


def _write(path: Path, pcm: np.ndarray, rate: int = 16000) -> Path:
    sf.write(path, pcm, rate, subtype="PCM_16")
    return path


def _plumbing_ok(h: Heard, langs: tuple[str, ...] = ("en",)) -> None:
    """The utterance was decoded by the recogniser of each language and came back with a confidence."""
    assert h.rejected is None and set(h.transcripts) == set(langs)
    for tr in h.transcripts.values():
        assert tr.backend == "pocketsphinx" and 0.0 <= tr.confidence <= 1.0
        assert tr.audio_s > 0.3 and tr.processing_s > 0
        assert tr.text or tr.out_of_grammar  # an empty transcript is always a refusal


def test_two_commands_in_one_file(tmp_path: Path, ps_recognizer, natural_en: NaturalClips, parser) -> None:
    """Three files of two natural-voice commands each (six voices): the endpointer cuts each file into
    exactly two utterances, in order; their meaning is scored as a set."""
    keys = natural_en.pick("guide", 6)
    meaning = MeaningScore()
    for i in range(0, len(keys), 2):
        first, second = keys[i], keys[i + 1]
        pcm = np.concatenate([natural_en.pcm(first), np.zeros(16000, np.int16), natural_en.pcm(second)])
        heard = transcribe_file(_write(tmp_path / f"two{i}.wav", pcm), {"en": ps_recognizer})
        assert len(heard) == 2, (first, second, [h.utterance for h in heard])
        assert heard[0].utterance.end_s <= heard[1].utterance.start_s
        for h, key in zip(heard, (first, second)):
            _plumbing_ok(h)
            meaning.add(natural_en.labels[key], [h], parser)
    print(f"\ntwo commands a file: {meaning.right}/{meaning.n} understood as labelled; missed {meaning.missed}")
    assert not meaning.wrong, meaning.wrong
    # PocketSphinx (project grammar) on these six guide commands: measured 5/6 understood exactly as
    # labelled (mb-us3 "place a paper long trade ..." refused); the threshold leaves one more miss.
    assert meaning.right >= 4, meaning.missed


def test_44k_stereo_file_goes_through(tmp_path: Path, ps_recognizer, natural_en: NaturalClips, parser) -> None:
    """CD-rate stereo files are resampled on the way in: each gives one utterance where the 16 kHz mono
    original gives it, and the same share of commands is understood."""
    from scipy.signal import resample_poly

    meaning = MeaningScore()
    keys = natural_en.pick("phrasings", 6)
    for key in keys:
        mono = natural_en.pcm(key)
        stereo = np.stack([resample_poly(mono.astype(np.float32) / 32768, 441, 160)] * 2, axis=1)
        path = tmp_path / "cd.wav"
        sf.write(path, stereo, 44100, subtype="PCM_16")
        heard = transcribe_file(path, {"en": ps_recognizer})
        reference = transcribe_file(natural_en.root / key, {"en": ps_recognizer})
        assert len(heard) == len(reference) == 1, key
        assert abs(heard[0].utterance.start_s - reference[0].utterance.start_s) < 0.05
        assert abs(heard[0].utterance.end_s - reference[0].utterance.end_s) < 0.05
        _plumbing_ok(heard[0])
        meaning.add(natural_en.labels[key], heard, parser)
    print(f"\n44.1 kHz stereo: {meaning.right}/{meaning.n} understood as labelled; missed {meaning.missed}")
    assert not meaning.wrong, meaning.wrong
    # measured: 6/6 of these phrasings understood exactly as labelled (PocketSphinx, project grammar)
    assert meaning.right >= 5, meaning.missed


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


def test_streaming_partials_and_latency(tmp_path: Path, ps_recognizer, natural_en: NaturalClips) -> None:
    partials: list[tuple[str, str]] = []
    starts: list[float] = []
    listener = Listener({"en": ps_recognizer}, Endpointer(),
                        on_partial=lambda lang, p: partials.append((lang, p.text)),
                        on_speech_start=starts.append)
    key = natural_en.pick("guide", 1)[0]
    path = _write(tmp_path / "c.wav", with_silence(natural_en.pcm(key), 0.5, 1.0))
    heard = list(listener.listen(WavSource(path)))
    assert len(heard) == 1
    _plumbing_ok(heard[0])
    assert starts and starts[0] == heard[0].utterance.start_s
    assert any(lang == "en" and text for lang, text in partials)
    tr = heard[0].transcripts["en"]
    # streaming: most of the work happened while audio arrived, final() only closes the search
    assert 0 < tr.decode_s < tr.processing_s and heard[0].latency_s >= tr.decode_s


def test_one_recogniser_serving_two_languages_is_fed_once(tmp_path: Path, ps_recognizer,
                                                         natural_en: NaturalClips) -> None:
    listener = Listener({"en": ps_recognizer, "fr": ps_recognizer})
    key = natural_en.pick("guide", 2)[1]
    path = _write(tmp_path / "d.wav", with_silence(natural_en.pcm(key), 0.5, 1.0))
    heard = list(listener.listen(WavSource(path)))
    assert len(heard) == 1
    _plumbing_ok(heard[0], ("en", "fr"))
    assert heard[0].transcripts["en"] is heard[0].transcripts["fr"]
    # fed once: the recogniser saw the utterance's audio once, not twice
    fed = heard[0].transcripts["en"].audio_s
    assert 0.5 * heard[0].utterance.duration_s < fed <= heard[0].utterance.duration_s + 0.02
