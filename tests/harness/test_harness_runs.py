"""The harness on the natural-voice fixture set, through the live path, with regression thresholds.

CI-sized subsets (English: audio_fixtures.generate.ci_subset with CI_LIGHT_PER_GROUP, 22 files spread
over every group and voice by a fixed rule, rejection items included; French: 14 files) keep
`make test` short; the full set is for `mia harness` and bench/. Thresholds sit just under what was
measured on this machine image (pico2wave/MBROLA voices, PocketSphinx 5.1.1 with the bundled en-us
model, Whisper base int8): a drop below them is a regression of the speech path to look at. The
measured figures are in the comments; no timing is asserted (bench/ prints those).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.harness.labels import load_dataset
from assistant.harness.noise import load_noise
from assistant.harness.report import summarise
from assistant.harness.runner import build_pipeline, conditions_for, run
from audio_fixtures import generate

from .conftest import requires_espeak, subset_labels

pytestmark = [requires_espeak, pytest.mark.audio]

# English through PocketSphinx (grammar + pronunciations, Silero endpointer): the 22 files of the light
# CI subset (`generate.CI_LIGHT_PER_GROUP`) clean, and each once more in noise, babble at 15 dB for the
# even ones, kitchen clatter at 6 dB for the odd ones. PocketSphinx refuses (never misreads) much of
# what it hears in noise: the failures are no_inference. Measured 2026-12-07 (branch suite41), floors
# one item under; the 32-file subset before: 32/32, babble 4/16, clatter 5/16. Whole English set
# (`mia harness --lang en --backend pocketsphinx`, docs/asr.md "Test subsets"): clean 444/482, babble
# 15 dB 92/482, clatter 6 dB 13/121 (every 4th file); there, 5 of 33 clean rejection items acted on and 32
# wrong actions (none in the subsets). Since session 21's standalone gate (docs/asr.md "PocketSphinx alone"):
# commands clean 401/449 [7 wrong], babble 15 dB 46/449 [6], 1 of 33 clean rejection items acted on; this
# subset measures as before.
EN_CLEAN_MIN = 0.9  # measured 21/22
EN_BABBLE_15_MIN = 0.18  # measured 3/11
EN_CLATTER_6_MIN = 0.27  # measured 4/11

# French through free Whisper base + parser, clean (issue #12 replaces it with a constrained
# search; until then a regression guard of the path, not a quality target).
FR_CI = ["pico-fr-FR/guide_01.wav", "mb-fr5/guide_03.wav", "mb-fr2/guide_06.wav", "pico-fr-FR/short_01.wav",
         "mb-fr1/short_02.wav", "mb-fr2/short_03.wav", "mb-fr3/short_04.wav", "pico-fr-FR/phr_01.wav",
         "mb-fr1/phr_17.wav", "mb-fr6/conf_01.wav", "mb-fr3/ood_01.wav", "mb-fr4/ood_10.wav",
         "none/ns_silence.wav", "none/ns_clatter.wav"]
#: Errors that would act differently from what was said (a refusal is none of them).
WRONG = {"wrong_intent", "wrong_value", "missing_slot", "extra_slot", "several_inferences"}
FR_MIN = 0.28  # measured 5/14 = 0.36 (7/14 without the confidence gate)


def _run(natural: Path, mia_config, tmp_path: Path, lang: str, names: list[str], backend: str,
         noises: list[tuple[str, float]]):
    labels = subset_labels(generate.labels_path(lang), names, tmp_path / f"labels_{lang}.json")
    dataset = load_dataset([natural / lang], [labels])
    pipeline = build_pipeline(mia_config, lang=lang, backend=backend)
    try:
        assert pipeline.backends == {lang: backend}
        result = run(pipeline, dataset.items, conditions_for([], []), seed=0, progress=False)
        # CI time: each file in one noise only (the first noise on the even files, the next on the odd
        # ones...), so that every noise still meets commands and rejection items.
        for k, (name, snr) in enumerate(noises):
            cond = conditions_for([load_noise(natural / "noise" / f"{name}.wav")], [snr], include_clean=False)
            result.outcomes += run(pipeline, dataset.items[k::len(noises)], cond, seed=0, progress=False).outcomes
    finally:
        pipeline.close()
    return result, summarise(result.outcomes)


@pytest.mark.slow
def test_english_pocketsphinx_clean_and_in_noise(natural: Path, mia_config, tmp_path: Path) -> None:
    names = generate.ci_subset("en", generate.CI_LIGHT_PER_GROUP)
    result, summary = _run(natural, mia_config, tmp_path, "en", names, "pocketsphinx",
                           [("babble", 15.0), ("clatter", 6.0)])
    rates = {name: (r.accepted, r.n) for name, r in
             [("clean", summary.by_snr["clean"])] + list(summary.by_condition.get("babble", {}).items())
             + list(summary.by_condition.get("clatter", {}).items())}
    print(f"\nEN pocketsphinx: {rates}, errors {summary.errors}, endpointer {summary.endpointer}, "
          f"latency {summary.latency}")
    clean = summary.by_snr["clean"]
    assert clean.n == len(names)
    assert clean.rate >= EN_CLEAN_MIN
    assert summary.by_condition["babble"]["15 dB"].rate >= EN_BABBLE_15_MIN
    assert summary.by_condition["clatter"]["6 dB"].rate >= EN_CLATTER_6_MIN
    # Never act on doubt: nothing is inferred for silence, noise or out-of-domain speech, and no
    # command is cut in two by the endpointer.
    assert summary.by_intent["(reject)"].rate == 1.0
    assert all(c["split"] == 0 for c in summary.endpointer.values())
    # Nor a command taken for another on this subset (the whole set has some for PocketSphinx alone: the
    # closing note of session 20 and docs/asr.md).
    wrong = [(o.file, o.condition.name, o.score.error, o.score.detail) for o in result.outcomes
             if not o.accepted and o.score.error in WRONG]
    assert not wrong, f"wrong actions: {wrong}"
    for o in result.outcomes:
        if not o.condition.is_clean and o.snr_measured_db is not None:
            assert abs(o.snr_measured_db - o.condition.snr_db) < 0.5, o.file
        for h in o.scored_heard:
            assert h.latency_s > 0 and h.backend == "pocketsphinx"


@pytest.mark.slow
def test_french_through_whisper(natural: Path, mia_config, whisper_model: Path, tmp_path: Path) -> None:
    result, summary = _run(natural, mia_config, tmp_path, "fr", FR_CI, "whisper", [])
    fr = summary.by_language["fr"]
    print(f"\nFR whisper: {fr.accepted}/{fr.n} (no gate {fr.accepted_no_gate}), errors {summary.errors}, "
          f"latency {summary.latency}, RTF {summary.rtf}")
    assert fr.n == len(FR_CI)
    assert fr.rate >= FR_MIN
    assert summary.by_intent["(reject)"].rate == 1.0
