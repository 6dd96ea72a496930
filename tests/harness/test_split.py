"""Split detection through the live path: one labelled command that the endpointer cuts in two is
scored `split` and counted in the report's endpointer table; the same command said in one go is not."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.harness.labels import load_dataset
from assistant.harness.report import format_table, summarise
from assistant.harness.runner import build_pipeline, conditions_for, run
from audio_fixtures import generate
from audio_fixtures.voices import Voice, synthesise

from .conftest import requires_espeak

pytestmark = [requires_espeak, pytest.mark.audio]


def test_split_command_and_spurious_noise(mia_config, tmp_path: Path) -> None:
    voice = Voice("espeak-en-us", "en", "espeak", "en-us", False)
    rng = np.random.default_rng(3)
    first = synthesise("buy two", voice, 90).astype(np.float32) / 32768
    second = synthesise("E S contracts", voice, 90).astype(np.float32) / 32768
    gap = np.zeros(int(1.5 * 16000), np.float32)  # a pause far longer than the 0.5 s trailing silence
    generate.write_wav(tmp_path / "split.wav", generate.frame_utterance(
        (np.concatenate([first, gap, second]) * 32768).astype(np.int16), -3.0, rng))
    whole = synthesise("buy two E S contracts", voice, 90)
    generate.write_wav(tmp_path / "whole.wav", generate.frame_utterance(whole, -3.0, rng))
    label = {"intent": "place_trade", "slots": {"side": "BUY", "quantity": 2, "symbol": "ES"},
             "text": "buy two E S contracts"}
    (tmp_path / "labels_en.json").write_text(json.dumps({"split.wav": label, "whole.wav": label}), encoding="utf-8")
    dataset = load_dataset([tmp_path], [tmp_path / "labels_en.json"])
    pipeline = build_pipeline(mia_config, lang="en", backend="pocketsphinx")
    try:
        result = run(pipeline, dataset.items, conditions_for([], []), progress=False)
    finally:
        pipeline.close()
    outcomes = {o.file: o for o in result.outcomes}
    split, ok = outcomes["split.wav"], outcomes["whole.wav"]
    assert split.segments == 2 and split.split and split.score.error == "split"
    assert ok.segments == 1 and not ok.split and ok.score.error != "split"
    summary = summarise(result.outcomes)
    assert summary.errors.get("split") == 1
    assert summary.endpointer["clean"]["split"] == 1 and summary.endpointer["clean"]["missed"] == 0
    text = format_table(summary, pipeline, {"files": 2, "conditions": 1})
    assert "split" in text and "spurious" in text
