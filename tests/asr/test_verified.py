"""`pocketsphinx-verified` (PocketSphinx proposes, Whisper verifies) on natural-voice sets.

Through the live path (the harness: WAV -> endpointer -> recogniser -> project parser) on the
English CI subset of `audio_fixtures/` (`generate.ci_subset`, `CI_LIGHT_PER_GROUP`: 22 files), clean and,
for every fourth file, in
babble at 6 dB. Clean acceptance is scored on the set against a threshold just under what was
measured here; the safety properties hold item by item: no wrong action, every rejection item
refused, a wrong PocketSphinx proposal (one slot word changed) vetoed by Whisper, French speech
never taken for an English command.
Full figures: bench/asr_verify.py, bench/asr_compare.py and docs/asr.md.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.asr.base import BackendUnavailable
from tests.asr.support import live_pipeline

WRONG = {"wrong_intent", "wrong_value", "missing_slot", "extra_slot", "several_inferences"}
# Measured here on the 22-file CI subset (2026-12-07, branch suite41; rejection items included): clean
# 16/22; babble 6 dB 1/6 (PocketSphinx's proposals are wrong there and Whisper refuses them: in babble
# only the safety properties are asserted). The floor sits two items under, for other CPUs' rounding
# (the 32-file subset before: 27/32, floor 0.7). The whole English set, commands only (bench/asr_compare.py
# --systems verified, docs/asr.md "Test subsets"): clean 285/449 with 1 wrong action (none in the
# subsets), 33/33 rejection items refused; every 4th file in babble 6 dB 0/113.
MIN_CLEAN = 0.63


def _wav(path: Path) -> np.ndarray:
    import wave

    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


@pytest.fixture(scope="module")
def verified_pipeline(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    pipeline = live_pipeline(model_dir, tmp_path_factory, lang="en", backend="pocketsphinx-verified")
    yield pipeline
    pipeline.close()


@pytest.fixture(scope="module")
def verified(verified_pipeline: Any) -> Any:
    """`VerifiedRecognizer(model_dir, grammar)` with its default settings: the live path's own, built
    once for the module. Each `recognize` starts from a reset state."""
    from assistant.asr.verified import VerifiedRecognizer, VerifySettings

    rec = verified_pipeline.recognizers["en"]
    assert isinstance(rec, VerifiedRecognizer) and rec.settings == VerifySettings() and rec.lang == "en"
    return rec


def _subset(natural: Path, tmp_path: Path, lang: str, names: list[str]) -> Any:
    from assistant.harness.labels import load_dataset
    from audio_fixtures import generate

    data = json.loads(generate.labels_path(lang).read_text(encoding="utf-8"))
    path = tmp_path / f"labels_{lang}.json"
    path.write_text(json.dumps({n: data[n] for n in names}, ensure_ascii=False), encoding="utf-8")
    return load_dataset([natural / lang], [path])


@pytest.mark.slow
def test_ci_subset_clean_and_in_babble(natural: Path, verified_pipeline: Any, tmp_path: Path) -> None:
    from assistant.harness.noise import load_noise
    from assistant.harness.report import summarise
    from assistant.harness.runner import conditions_for, run
    from audio_fixtures import generate

    assert verified_pipeline.backends == {"en": "pocketsphinx-verified"}
    assert any("pocketsphinx-verified" in line for line in verified_pipeline.startup)
    names = generate.ci_subset("en", generate.CI_LIGHT_PER_GROUP)
    dataset = _subset(natural, tmp_path, "en", names)
    clean_out = run(verified_pipeline, dataset.items, conditions_for([], []), progress=False).outcomes
    cond = conditions_for([load_noise(natural / "noise" / "babble.wav")], [6.0], include_clean=False)
    noisy_out = run(verified_pipeline, dataset.items[::4], cond, progress=False).outcomes
    clean, noisy = summarise(clean_out).by_snr["clean"], summarise(noisy_out).overall
    print(f"\nen pocketsphinx-verified: clean {clean.accepted}/{clean.n}, babble 6 dB {noisy.accepted}/{noisy.n}")
    outcomes = clean_out + noisy_out
    wrong = [(o.file, o.condition.name, o.score.error, o.score.detail) for o in outcomes
             if not o.accepted and o.score.error in WRONG]
    assert not wrong, f"wrong actions: {wrong}"
    false_accepts = [(o.file, o.condition.name) for o in outcomes if o.label.intent is None and not o.accepted]
    assert not false_accepts, f"rejection items acted on: {false_accepts}"
    assert clean.n == len(names)
    assert noisy.n == len(dataset.items[::4])
    assert clean.rate >= MIN_CLEAN


def test_a_wrong_proposal_is_vetoed(natural: Path, verified: Any) -> None:
    """Whatever PocketSphinx proposes, Whisper must not confirm a sentence that differs from what
    was said in one slot word (quantity, side, symbol): those are the wrong actions to prevent."""
    from assistant.asr.constrained_search import Finished
    from audio_fixtures import generate

    data = json.loads(generate.labels_path("en").read_text(encoding="utf-8"))
    names = [k for k, v in data.items() if v.get("slots") and k.split("/")[0] in ("mb-us3", "mb-en1", "pico-en-US")
             and "/phr_" in k][:8:2] + [k for k, v in data.items() if k.startswith("mb-us2/num_")][:2]
    assert len(names) >= 5
    tried = 0
    for name in names:
        said = data[name]["text"].lower()
        paths = verified.proposal_paths(said)
        if not paths:
            continue
        p = paths[0]
        rivals = verified.rescorer.competitors(Finished(p.meaning, p.tokens, 0.0, 0.0, 0.0, 0.0, 0.0))[:2]
        audio = _wav(natural / "en" / name).astype(np.float32) / 32768.0
        for rival in rivals:
            text = verified.automaton.text("en", rival.tokens, rival.meaning)
            tr = verified._verify(audio, text.lower(), 1.0)
            tried += 1
            assert not tr.accepted, f"{name}: said {said!r}, wrong proposal {text!r} accepted"
    assert tried >= 8


def test_french_speech_is_not_an_english_command(natural: Path, verified: Any) -> None:
    from audio_fixtures import generate

    data = json.loads(generate.labels_path("fr").read_text(encoding="utf-8"))
    names = [k for k in data if data[k].get("intent") and k.split("/")[0] in ("pico-fr-FR", "mb-fr4")][::9][:8]
    assert len(names) >= 6
    accepted = [(n, tr.text) for n in names if (tr := verified.recognize(_wav(natural / "fr" / n))).accepted]
    assert not accepted, f"French speech acted on as English: {accepted}"


def test_silence_and_too_short_are_refused_with_a_reason(verified: Any) -> None:
    rng = np.random.default_rng(5)
    for pcm in (np.zeros(16000, np.int16), (rng.standard_normal(16000) * 300).astype(np.int16)):
        tr = verified.recognize(pcm)
        assert not tr.accepted and tr.text == "" and tr.detail["reason"]
    tr = verified.recognize(np.zeros(800, np.int16))
    assert tr.out_of_grammar and tr.detail["reason"]
    assert tr.backend == "pocketsphinx-verified"


def test_selection_says_which_backend_and_refuses_french(model_dir: Path, tmp_path: Path) -> None:
    from assistant.asr.select import select_backends
    from trading_core.config import load_config

    config = load_config(None, env={}, overrides={"asr": {"whisper_model": str(model_dir),
                                                          "backend_en": "pocketsphinx-verified"}})
    choice = select_backends(config, langs=("en",))["en"]
    assert choice.backend == "pocketsphinx-verified"
    assert "pocketsphinx-verified" in choice.message and "PocketSphinx" in choice.message
    # `--backend pocketsphinx-verified` means English through it; French keeps its own choice.
    both = select_backends(load_config(None, env={}, overrides={"asr": {"whisper_model": str(model_dir)}}),
                           langs=("en", "fr"), override="pocketsphinx-verified")
    assert both["en"].backend == "pocketsphinx-verified" and both["fr"].backend == "whisper-grammar"
    # A missing model: a bilingual message naming what is missing.
    broken = tmp_path / "no-model"
    broken.mkdir()
    bad = load_config(None, env={}, overrides={"asr": {"whisper_model": str(broken),
                                                       "backend_en": "pocketsphinx-verified"}})
    with pytest.raises(BackendUnavailable) as err2:
        select_backends(bad, langs=("en",))
    assert "model.bin" in err2.value.fr and "model.bin" in err2.value.en
