"""Fixtures of the harness tests.

The audio fixture set is made (audio_fixtures/generate.py, about 30 s from scratch, only the stale
files afterwards) into audio_fixtures/generated/ when missing or stale - a fresh clone has only the
generator, the sentences and the labels. $AUDIO_FIXTURES_DIR points the tests at another folder.
Tests on natural voices skip, with the command that installs them, when those are missing.

The Whisper model is the `shared` folder beside the repository checkout.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "audio_fixtures"
WHISPER_MODEL = REPO.parent / "shared" / "models" / "faster-whisper-base"
HERE = Path(__file__).resolve().parent


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


requires_espeak = pytest.mark.skipif(not have_espeak(), reason="espeak-ng not installed (make setup installs it)")


@pytest.fixture(scope="session")
def generated() -> Path:
    """The generated fixture folder (en/, fr/, noise/), made or refreshed if needed."""
    if not have_espeak():
        pytest.skip("espeak-ng not installed: the audio fixtures cannot be generated")
    from audio_fixtures import generate

    out = Path(os.environ.get("AUDIO_FIXTURES_DIR") or generate.DEFAULT_OUT)
    return generate.ensure(out)


@pytest.fixture(scope="session")
def natural(generated: Path) -> Path:
    """The fixture folder, when the natural test voices are installed (else skip, saying how)."""
    from audio_fixtures import voices

    missing = voices.missing_natural()
    if missing:
        pytest.skip(f"natural test voices not installed ({' '.join(missing)}): {voices.INSTALL_HINT}")
    return generated


@pytest.fixture(scope="session")
def whisper_model() -> Path:
    if not (WHISPER_MODEL / "model.bin").is_file():
        pytest.skip(f"Whisper model not found at {WHISPER_MODEL} (the shared/ folder beside the repo)")
    return WHISPER_MODEL


@pytest.fixture(scope="session")
def mia_config(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The default configuration, with the Whisper model of the shared folder (when present)."""
    from trading_core.config import load_config

    overrides: dict[str, Any] = {"data_dir": str(tmp_path_factory.mktemp("mia-data"))}
    if (WHISPER_MODEL / "model.bin").is_file():
        overrides["asr"] = {"whisper_model": str(WHISPER_MODEL)}
    return load_config(None, env={}, overrides=overrides)


def subset_labels(source: Path, names: list[str], dest: Path) -> Path:
    """Write the labels of `names` (in that order) from `source` to `dest`: a smaller run of the
    committed fixtures, still in the labels format."""
    data = json.loads(source.read_text(encoding="utf-8"))
    missing = [n for n in names if n not in data]
    assert not missing, f"not in {source.name}: {missing}"
    dest.write_text(json.dumps({n: data[n] for n in names}, ensure_ascii=False, indent=1), encoding="utf-8")
    return dest
