"""Shared helpers for the audio tests: espeak-ng synthesis, the Whisper model, recognisers.

Recognisers are module-scoped: loading PocketSphinx takes about a second, Whisper about two.
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.audio import read_audio

REPO = Path(__file__).resolve().parents[2]
WHISPER_MODEL = (REPO / "../shared/models/faster-whisper-base").resolve()

# Hand-written stand-in for the compiled English grammar (same phrasing as grammars/en.yaml);
# used when assistant.grammar.compile is not importable.
SMALL_EN_JSGF = """#JSGF V1.0;
grammar mia_test;
public <command> = <trade> | <close> | <halt> | <confirm> | <cancel> | <query>;
<trade> = (buy | sell) <qty> [contracts | contract] <sym> [at market];
<qty> = one | two | three | four | five | ten;
<sym> = e s | m n q | micro nasdaq;
<close> = close all positions | close <sym> | flatten everything;
<halt> = stop trading | halt trading;
<confirm> = yes | confirm;
<cancel> = no | cancel;
<query> = what is the market regime | show my positions | what is my p and l today;
"""


def _compiled_en_jsgf() -> str | None:
    try:
        from assistant.grammar import load_grammar
        from assistant.grammar.compile import to_jsgf
    except ImportError:
        return None
    import warnings

    with warnings.catch_warnings():
        # words missing from the dictionary are the grammar's business (reported by its tests)
        warnings.simplefilter("ignore")
        return to_jsgf(load_grammar(None), "en")


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


requires_espeak = pytest.mark.skipif(not have_espeak(), reason="espeak-ng not installed")


@pytest.fixture(scope="session")
def espeak_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("espeak")


@pytest.fixture(scope="session")
def speak(espeak_cache: Path) -> Callable[..., np.ndarray]:
    """speak(text, voice="en-us", speed=160) -> 16 kHz mono int16, synthesised with espeak-ng -w."""
    if not have_espeak():
        pytest.skip("espeak-ng not installed")

    def _speak(text: str, voice: str = "en-us", speed: int = 160, pitch: int | None = None) -> np.ndarray:
        name = f"{voice}_{speed}_{pitch}_{abs(hash(text))}.wav".replace("+", "_")
        path = espeak_cache / name
        if not path.exists():
            cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path)]
            if pitch is not None:
                cmd += ["-p", str(pitch)]
            subprocess.run([*cmd, text], check=True, capture_output=True, timeout=30)
        return read_audio(path)

    return _speak


def with_silence(pcm: np.ndarray, before_s: float = 0.3, after_s: float = 0.6) -> np.ndarray:
    return np.concatenate([np.zeros(int(before_s * 16000), np.int16), pcm,
                           np.zeros(int(after_s * 16000), np.int16)])


@pytest.fixture(scope="session")
def en_jsgf() -> str:
    return _compiled_en_jsgf() or SMALL_EN_JSGF


@pytest.fixture(scope="module")
def ps_recognizer(en_jsgf: str):
    from assistant.asr.pocketsphinx_backend import PocketsphinxRecognizer

    return PocketsphinxRecognizer(en_jsgf, lang="en")


@pytest.fixture(scope="session")
def whisper_model_path() -> Path:
    if not (WHISPER_MODEL / "model.bin").is_file():
        pytest.skip(f"Whisper model not found at {WHISPER_MODEL} (the shared/ folder beside the repo)")
    return WHISPER_MODEL


@pytest.fixture(scope="session")
def parser():
    """The project's parser over grammars/ (skipped if the NLU package is absent)."""
    nlu = pytest.importorskip("assistant.nlu.parser")
    return nlu.default_parser()
