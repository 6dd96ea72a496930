"""The grammar-constrained Whisper recogniser on the project's natural-voice fixture set, as sets.

Through the live path (the harness: WAV source -> endpointer -> one `whisper-grammar` recogniser for
both languages -> project parser -> confidence gate), on the CI subset of `audio_fixtures/`
(`generate.ci_subset` with `CI_LIGHT_PER_GROUP`: 22 files per language spread over every group and both
voice kinds, rejection items included), clean and each file once more in noise: babble at 15 dB for
one half, kitchen clatter at 6 dB for the other. No test
looks at the transcript of one clip: acceptance is scored on the set against thresholds just
under what was measured here (comments), and the safety properties hold item by item: no wrong
action (never a different intent or slot value), every rejection item refused, the short answers
never taken for one another. Full figures: bench/asr_compare.py and docs/asr.md.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.asr.base import BackendUnavailable
from tests.asr.support import run_once

WRONG = {"wrong_intent", "wrong_value", "missing_slot", "extra_slot", "several_inferences"}
# Measured here on the 22-file CI subset (2026-12-07, branch suite41): clean fr 8/22, en 13/22 (rejection
# items included); in noise (babble 15 dB on one half, clatter 6 dB on the other) fr 8/22, en 12/22.
# Floors one item under clean, two in noise (French in noise moved by one utterance between machines
# with the code unchanged, 2026-12-06); the 32-file subset before: 14/32, 23/32, 13/32, 17/32. The whole
# set, commands only (bench/asr_compare.py --systems whisper-grammar, docs/asr.md "Test subsets"): clean
# fr 114/483, en 253/449, every rejection item refused; every 4th file in babble 15 dB fr 17/121, en
# 70/113, in clatter 6 dB fr 5/121, en 51/113 (4 wrong actions there, none in the subsets: docs/asr.md).
# They are far from the targets (97 %): the confidence gate is set for zero wrong actions and
# refuses many right sentences, and Whisper base's best sentence is wrong for many MBROLA commands
# (docs/asr.md). What never moves here is zero wrong actions and every rejection item refused
# (`_check_safety`, on every file and condition).
MIN_CLEAN = {"fr": 0.31, "en": 0.54}
MIN_NOISY = {"fr": 0.27, "en": 0.45}
# Short answers (this test's 18 files per language, unchanged): fr 8/18, en 15/18.
MIN_SHORT = {"fr": 0.4, "en": 0.75}


def _subset(natural: Path, tmp_path: Path, lang: str, names: list[str]) -> Any:
    import json

    from assistant.harness.labels import load_dataset
    from audio_fixtures import generate

    data = json.loads(generate.labels_path(lang).read_text(encoding="utf-8"))
    path = tmp_path / f"labels_{lang}.json"
    path.write_text(json.dumps({n: data[n] for n in names}, ensure_ascii=False), encoding="utf-8")
    return load_dataset([natural / lang], [path])


def _check_safety(outcomes: list[Any]) -> None:
    wrong = [(o.file, o.condition.name, o.score.error, o.score.detail) for o in outcomes
             if not o.accepted and o.score.error in WRONG]
    assert not wrong, f"wrong actions: {wrong}"
    false_accepts = [(o.file, o.condition.name) for o in outcomes if o.label.intent is None and not o.accepted]
    assert not false_accepts, f"rejection items acted on: {false_accepts}"
    for o in outcomes:
        for h in o.scored_heard:
            assert h.backend == "whisper-grammar" and h.latency_s > 0


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_ci_subset_clean_and_in_noise(natural: Path, grammar_pipeline: Any, tmp_path: Path, lang: str) -> None:
    from assistant.harness.noise import load_noise
    from assistant.harness.report import summarise
    from assistant.harness.runner import conditions_for
    from audio_fixtures import generate

    names = generate.ci_subset(lang, generate.CI_LIGHT_PER_GROUP)
    dataset = _subset(natural, tmp_path, lang, names)
    assert grammar_pipeline.backends == {"fr": "whisper-grammar", "en": "whisper-grammar"}
    outcomes = run_once(grammar_pipeline, dataset.items, conditions_for([], []))
    clean = summarise(outcomes).by_snr["clean"]
    noisy = []
    # Each file in one noise (babble for the even ones, clatter for the odd ones): both noises still
    # meet commands and rejection items.
    for start, (name, snr) in enumerate((("babble", 15.0), ("clatter", 6.0))):
        cond = conditions_for([load_noise(natural / "noise" / f"{name}.wav")], [snr], include_clean=False)
        noisy += run_once(grammar_pipeline, dataset.items[start::2], cond)
    noisy_rate = summarise(noisy).overall.rate
    print(f"\n{lang} whisper-grammar: clean {clean.accepted}/{clean.n}, noisy {summarise(noisy).overall.accepted}/"
          f"{len(noisy)}, errors {summarise(outcomes + noisy).errors}")
    _check_safety(outcomes + noisy)
    assert clean.n == len(names)
    assert clean.rate >= MIN_CLEAN[lang]
    assert noisy_rate >= MIN_NOISY[lang]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_short_answers_are_never_confused(natural: Path, grammar_pipeline: Any, tmp_path: Path, lang: str) -> None:
    """The answers to a read-back ("oui", "non", "confirme", "yes", "no", "cancel"...), said by a
    pico voice and two MBROLA voices: each understood as itself or refused, never as the other."""
    import json

    from assistant.harness.runner import conditions_for
    from audio_fixtures import generate

    data = json.loads(generate.labels_path(lang).read_text(encoding="utf-8"))
    voices = ("pico-fr-FR", "mb-fr1", "mb-fr4") if lang == "fr" else ("pico-en-US", "mb-us1", "mb-en1")
    names = [k for k in data if "/short_" in k and k.split("/")[0] in voices]
    assert len(names) >= 12
    dataset = _subset(natural, tmp_path, lang, names)
    outcomes = run_once(grammar_pipeline, dataset.items, conditions_for([], []))
    print(f"\n{lang} short answers: {sum(o.accepted for o in outcomes)}/{len(outcomes)} understood")
    _check_safety(outcomes)
    assert sum(o.accepted for o in outcomes) / len(outcomes) >= MIN_SHORT[lang]


def test_silence_and_noise_are_not_commands(recognizer: Any) -> None:
    rng = np.random.default_rng(7)
    for pcm in (np.zeros(16000, np.int16), (rng.standard_normal(24000) * 3000).astype(np.int16)):
        tr = recognizer.recognize(pcm)
        assert not tr.accepted and tr.text == ""
    tr = recognizer.recognize(np.zeros(800, np.int16))
    assert tr.out_of_grammar and tr.detail["reason"] == "too short"


def test_one_recogniser_serves_both_languages(model_dir: Path, grammar: Any) -> None:
    from assistant.asr.constrained_whisper import ConstrainedWhisperRecognizer
    from assistant.asr.select import build_recognizers, select_backends
    from trading_core.config import load_config

    config = load_config(None, env={}, overrides={"asr": {"whisper_model": str(model_dir)}})
    choices = select_backends(config)
    recs = build_recognizers(choices, grammar)
    rec = recs["fr"]
    assert rec is recs["en"] and rec.backend == "whisper-grammar"
    assert isinstance(rec, ConstrainedWhisperRecognizer)  # what the backend name says (and mypy's type)
    assert set(rec.langs) == {"fr", "en"}
    # CPU time, not wall time: on the shared 2-core machine the wall time reached 5.3 s under load.
    assert rec.compile_cpu_s < 5.0


def test_model_folder_problems_are_explained(tmp_path: Path, grammar: Any) -> None:
    from assistant.asr.constrained_whisper import ConstrainedWhisperRecognizer

    with pytest.raises(BackendUnavailable) as err:
        ConstrainedWhisperRecognizer(tmp_path, grammar)
    assert "model.bin" in err.value.fr and "model.bin" in err.value.en
    (tmp_path / "model.bin").write_bytes(b"\x06\x00\x00\x00garbage")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(BackendUnavailable):
        ConstrainedWhisperRecognizer(tmp_path, grammar)


@pytest.mark.slow
def test_long_commands_are_not_cut_short(natural: Path, recognizer: Any) -> None:
    """Long natural-voice commands ("go long fifteen contracts of micro nasdaq", "placer un trade
    long sur ES avec 2 contrats"): a best sentence that is the command cut short (the labelled
    intent with only some of its slots, "go long 15") is never accepted, and rare; most of them
    are the whole command."""
    import json

    from assistant.audio import WavSource
    from assistant.harness.labels import Label
    from assistant.harness.scoring import Inferred, score
    from audio_fixtures import generate

    picks = {"en": ("go long", ("pico-en-US", "pico-en-GB", "mb-en1", "mb-us3")),
             "fr": ("Placer un trade", ("pico-fr-FR", "mb-fr1", "mb-fr3", "mb-fr4"))}
    right = cut = n = 0
    for lang, (start, voices) in picks.items():
        data = json.loads(generate.labels_path(lang).read_text(encoding="utf-8"))
        for voice in voices:
            names = sorted((k for k, v in data.items() if k.startswith(voice + "/") and (v.get("text") or "").startswith(start)),
                           key=lambda k: -len(data[k]["text"]))
            for name in names[:1]:
                entry = data[name]
                tr = recognizer.recognize(WavSource(natural / lang / name).pcm)
                got = tr.detail.get("slots") or {}
                label = Label(name, entry["intent"], dict(entry["slots"]), lang, entry["text"])
                n += 1
                right += bool(tr.detail.get("intent")) and score(label, [Inferred(tr.detail["intent"], dict(got))]).accepted
                short = tr.detail.get("intent") == entry["intent"] and set(got) < set(entry["slots"])
                cut += short
                # A sentence cut short is never acted on.
                assert not (short and tr.accepted), (name, tr.text)
    print(f"\nlong commands: best sentence right {right}/{n}, cut short {cut}")
    # Measured here with the domain prompt (SearchSettings.prompt, the default since branch asr4):
    # right 6/8, cut short 2, both refused by the gate. Without the prompt: right 7/8, cut short 0;
    # without the prompt nor the end-of-speech condition (cover_s=-1): right 6/8, cut short 1. The
    # prompt stays on because it doubles the accepted commands with no wrong action (docs/asr.md).
    assert n == 8
    assert cut <= 2
    assert right >= 6


@pytest.mark.slow
def test_the_prompt_leaves_the_free_decoding_unprompted(natural: Path, model_dir: Path, grammar: Any,
                                                        recognizer: Any) -> None:
    """The domain prompt (the default) conditions the grammar's rows only: the garbage row, the
    language and no-speech probabilities are what Whisper gives without it (an independent
    witness for the gate), while the prompt does change the grammar rows' scores."""
    import os

    from assistant.asr.constrained_whisper import ConstrainedWhisperRecognizer, SearchSettings
    from assistant.audio import WavSource

    assert recognizer.settings.prompt
    plain = ConstrainedWhisperRecognizer(model_dir, grammar, settings=SearchSettings(prompt=False), warm_up=False)
    changed = 0
    for name in ("fr/pico-fr-FR/guide_01.wav", "en/mb-us1/guide_01.wav", "fr/mb-fr4/guide_02.wav"):
        pcm = WavSource(natural / name).pcm
        with_prompt, without = recognizer.recognize(pcm).detail, plain.recognize(pcm).detail
        # Rounding differs with the batch's shape (bfloat16 projection on some CPUs), and greedy
        # decoding can part at a near tie late in the text: the same text up to there.
        a, b = with_prompt["free"], without["free"]
        common = len(os.path.commonprefix([a, b]))
        assert common >= 0.6 * max(len(a), len(b)), (name, a, b)
        for lang, lp in without["language_logprobs"].items():
            assert abs(with_prompt["language_logprobs"][lang] - lp) < 0.05
        assert abs(with_prompt["no_speech_prob"] - without["no_speech_prob"]) < 0.02
        changed += with_prompt["alternatives"] != without["alternatives"]
    assert changed >= 1
