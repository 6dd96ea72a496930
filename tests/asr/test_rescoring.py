"""Forced rescoring: the confusable competitors come from the grammar, and teacher forcing computes
the decoder's own log-probabilities (set-level acceptance: test_constrained_whisper.py)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from assistant.asr.constrained_search import Finished
from assistant.asr.rescoring import Candidate, combine, sense


def _finished(rec: Any, lang: str, surface: str) -> Finished:
    tokens = tuple(rec.engine.tokenizer.encode(surface))
    meanings = rec.rescorer._meanings(rec.rescorer._initial(lang), tokens)
    assert meanings, f"{surface!r} is not a path of the {lang} grammar"
    meaning = sorted(meanings, key=lambda m: len(m.slots))[-1]
    return Finished(meaning, tokens, 0.0, 0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("lang,surface,expected", [
    ("fr", " achète deux contrats ES", [("quantity", 12), ("symbol", "MNQ"), ("side", "SELL")]),
    ("fr", " vends 23 contrats MNQ", [("quantity", 3), ("quantity", 20)]),
    ("en", " buy thirteen contracts of ES", [("quantity", 30), ("symbol", "MNQ")]),
])
def test_competitors_are_grammar_paths_with_another_meaning(recognizer: Any, lang: str, surface: str,
                                                            expected: list[tuple[str, Any]]) -> None:
    best = _finished(recognizer, lang, surface)
    found = recognizer.rescorer.competitors(best)
    assert found
    slots = [c.meaning.as_dict() for c in found]
    for name, value in expected:
        assert any(s.get(name) == value for s in slots), (name, value, slots)
    for c in found:
        assert sense(c.meaning) != sense(best.meaning)
        assert c.meaning in recognizer.rescorer._meanings(recognizer.rescorer._initial(lang), c.tokens)


def test_forced_scores_are_the_decoders_log_probabilities(recognizer: Any) -> None:
    rng = np.random.default_rng(5)
    audio = (0.05 * rng.standard_normal(24000)).astype(np.float32)
    engine = recognizer.engine
    cross = engine.decoder.cross(engine.encoder.encode(audio, 1.0), 1500)
    best = _finished(recognizer, "fr", " achète deux contrats ES")
    other = _finished(recognizer, "fr", " vends 12 contrats MNQ")
    cands = [Candidate(best.meaning, best.tokens, "search"), Candidate(other.meaning, other.tokens, "edit")]
    scores = recognizer.rescorer.force_score(cross, cands)
    search = recognizer.search
    for cand, (total, end) in zip(cands, scores):
        seq = [search.sot, search.lang_tokens["fr"], search.transcribe, search.notimestamps, *cand.tokens]
        lp, _ = engine.decoder.step([seq], 0, None, cross)
        want = sum(float(lp[0, i, seq[i + 1]]) for i in range(3, len(seq) - 1))
        assert abs(total - want) < 1e-3 * len(cand.tokens)
        assert end <= 0.0
        assert combine(total, len(cand.tokens), end) <= 0.0


def test_the_rescoring_gate_refuses_noise_and_says_why(model_dir: Any, grammar: Any) -> None:
    from assistant.asr.constrained_whisper import ConstrainedWhisperRecognizer, SearchSettings

    rec = ConstrainedWhisperRecognizer(model_dir, grammar, settings=SearchSettings(gate="rescore"), warm_up=False)
    rng = np.random.default_rng(11)
    for pcm in (np.zeros(16000, np.int16), (rng.standard_normal(24000) * 3000).astype(np.int16)):
        tr = rec.recognize(pcm)
        assert not tr.accepted and tr.text == ""
        assert tr.detail["reason"]
        if tr.detail.get("rescore"):
            assert tr.detail["rescore"]["accepted"] is False
