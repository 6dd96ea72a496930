"""Helpers shared by the recogniser tests."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def live_pipeline(model_dir: Path, tmp_path_factory: pytest.TempPathFactory, *, lang: str, backend: str) -> Any:
    """The live listening path (the harness's) with one recogniser, on a fresh data folder."""
    from assistant.harness.runner import build_pipeline
    from trading_core.config import load_config

    config = load_config(None, env={}, overrides={"data_dir": str(tmp_path_factory.mktemp("mia-data")),
                                                  "asr": {"whisper_model": str(model_dir)}})
    return build_pipeline(config, lang=lang, backend=backend)
