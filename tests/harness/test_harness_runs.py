"""The harness on the generated fixtures, through the live path, with regression thresholds.

Thresholds sit just under what was measured on this machine image (espeak-ng 1.51, PocketSphinx
5.1.1 with the bundled en-us model, Whisper base int8): a drop below them is a regression of the
speech path (endpointer, recognisers, grammar compilation, parser, confidence gate) to look at.
Measured figures are in the comments; no timing is asserted (bench/ prints those).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.harness.labels import load_dataset
from assistant.harness.noise import load_noise
from assistant.harness.report import summarise
from assistant.harness.runner import build_pipeline, conditions_for, run

from .conftest import FIXTURES, requires_espeak, subset_labels

pytestmark = [requires_espeak, pytest.mark.audio]

# A moderate English run: every intent, every slot type, several speakers, and rejection items
# (out of domain, a near-domain sentence with no full command, silence, a noise burst, knocks).
EN_CI = [
    "en_001.wav", "en_002.wav", "en_005.wav", "en_007.wav", "en_010.wav", "en_015.wav", "en_017.wav",
    "en_020.wav", "en_024.wav", "en_026.wav", "en_028.wav", "en_030.wav", "en_033.wav", "en_034.wav",
    "en_036.wav", "en_038.wav", "en_040.wav", "en_042.wav", "en_044.wav", "en_046.wav", "en_048.wav",
    "en_050.wav", "en_051.wav", "en_057.wav", "en_061.wav", "en_062.wav", "en_064.wav",
]
EN_CLEAN_MIN = 0.74  # measured 21/27 = 0.78 (failures: PocketSphinx false rejections, one "no" heard "halt")
EN_9DB_MIN = 0.70  # measured 20/27 = 0.74 in pink noise at 9 dB (active-speech SNR)

# A small French run through Whisper (about 0.5 RTF on two cores): 14 commands, 4 rejection items.
FR_CI = [
    "fr_001.wav", "fr_002.wav", "fr_005.wav", "fr_008.wav", "fr_010.wav", "fr_011.wav", "fr_012.wav",
    "fr_018.wav", "fr_019.wav", "fr_021.wav", "fr_023.wav", "fr_024.wav", "fr_025.wav", "fr_026.wav",
    "fr_027.wav", "fr_029.wav", "fr_030.wav", "fr_031.wav",
]
# Whisper base mishears plain espeak-ng French. With the repaired tokenizer: 4/18 accepted = the 4
# rejection items (0.22), 5/18 without the confidence gate (0.28: one command heard right, at
# confidence < 0.5). A regression guard of the path, not a quality target.
FR_MIN = 0.20
FR_NO_GATE_MIN = 0.25


def test_english_pocketsphinx_clean_and_at_9_db(generated: Path, mia_config, tmp_path: Path) -> None:
    labels = subset_labels(FIXTURES / "labels_en.json", EN_CI, tmp_path / "labels_en.json")
    dataset = load_dataset([generated / "speech"], [labels])
    pipeline = build_pipeline(mia_config, lang="en", backend="pocketsphinx")
    try:
        assert pipeline.backends == {"en": "pocketsphinx"}
        conditions = conditions_for([load_noise(generated / "noise" / "pink.wav")], [9.0])
        result = run(pipeline, dataset.items, conditions, seed=0, progress=False)
    finally:
        pipeline.close()
    summary = summarise(result.outcomes)
    clean, noisy = summary.by_snr["clean"], summary.by_snr["9 dB"]
    print(f"\nEN pocketsphinx: clean {clean.accepted}/{clean.n}, pink 9 dB {noisy.accepted}/{noisy.n}, "
          f"latency {summary.latency}, RTF {summary.rtf}")
    assert clean.n == noisy.n == len(EN_CI)
    assert clean.rate >= EN_CLEAN_MIN
    assert noisy.rate >= EN_9DB_MIN
    # Nothing is ever inferred for silence, noise or out-of-domain speech.
    assert summary.by_intent["(reject)"].rate == 1.0
    for o in result.outcomes:
        if not o.condition.is_clean and o.snr_measured_db is not None:
            assert abs(o.snr_measured_db - 9.0) < 0.5, o.file
        for h in o.scored_heard:
            assert h.latency_s > 0 and h.backend == "pocketsphinx"
    assert summary.latency["pocketsphinx"]["n"] > 0


def test_french_through_whisper(generated: Path, mia_config, whisper_model: Path, tmp_path: Path) -> None:
    labels = subset_labels(FIXTURES / "labels_fr.json", FR_CI, tmp_path / "labels_fr.json")
    dataset = load_dataset([generated / "speech"], [labels])
    assert len(dataset.items) <= 20
    pipeline = build_pipeline(mia_config, lang="fr", backend="whisper")
    try:
        assert pipeline.backends == {"fr": "whisper"}
        result = run(pipeline, dataset.items, conditions_for([], []), progress=False)
    finally:
        pipeline.close()
    summary = summarise(result.outcomes)
    fr = summary.by_language["fr"]
    print(f"\nFR whisper: {fr.accepted}/{fr.n} (no gate {fr.accepted_no_gate}), latency {summary.latency}, "
          f"RTF {summary.rtf}")
    assert fr.rate >= FR_MIN
    assert fr.rate_no_gate >= FR_NO_GATE_MIN
    assert summary.by_intent["(reject)"].rate == 1.0
