"""Helpers shared by the recogniser tests."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

# (pipeline id, file, label, condition, seed, reference level) -> Outcome, for the whole session;
# the pipelines are kept alive beside it so that an id is never reused for another pipeline.
_DECODED: dict[tuple[Any, ...], Any] = {}
_PIPELINES: dict[int, Any] = {}


def live_pipeline(model_dir: Path, tmp_path_factory: pytest.TempPathFactory, *, lang: str, backend: str) -> Any:
    """The live listening path (the harness's) with one recogniser, on a fresh data folder."""
    from assistant.harness.runner import build_pipeline
    from trading_core.config import load_config

    config = load_config(None, env={}, overrides={"data_dir": str(tmp_path_factory.mktemp("mia-data")),
                                                  "asr": {"whisper_model": str(model_dir)}})
    return build_pipeline(config, lang=lang, backend=backend)


def run_once(pipeline: Any, items: list[tuple[Path, Any]], conditions: list[Any], *, seed: int = 0) -> list[Any]:
    """`harness.runner.run(pipeline, items, conditions, seed=seed, progress=False).outcomes`, with each
    (pipeline, file, condition) decoded once per session: several tests scoring sets that share files
    (the CI subset, the short answers...) read the same outcome. Every file is decoded from a reset
    recogniser (`run_file` resets it), so a cached outcome is the one a fresh run gives. The outcomes
    are shared: read them, never change them."""
    from assistant.audio import AudioInputError
    from assistant.harness.runner import Outcome, reference_speech_power, run_file
    from assistant.harness.scoring import Score

    reference = reference_speech_power(items) if any(not c.is_clean for c in conditions) else None
    _PIPELINES[id(pipeline)] = pipeline
    outcomes = []
    for cond in conditions:
        for path, label in items:
            # The reference level only matters for noisy files without speech, and it depends on the
            # whole set: part of the key, so the same file in another set is decoded again.
            key = (id(pipeline), str(path), repr(label), cond.name, seed, None if cond.is_clean else reference)
            if key not in _DECODED:
                try:
                    _DECODED[key] = run_file(pipeline, path, label, cond, seed=seed, reference_power=reference)
                except (AudioInputError, ValueError) as exc:  # as `run` scores an unreadable file
                    _DECODED[key] = Outcome(label.file, cond, label, [], [], Score(False, "unreadable", str(exc)),
                                            0.0, 0.0, error=str(exc))
            outcomes.append(_DECODED[key])
    return outcomes
