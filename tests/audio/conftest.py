"""Shared helpers for the audio tests: espeak-ng synthesis, the Whisper model, recognisers.

Recognisers are module-scoped: loading PocketSphinx takes about a second, Whisper about two.
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.asr import Heard
from assistant.audio import read_audio
from assistant.harness.labels import Label

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
    """The project's parser over grammars/, the process's shared one (compiled once: about 4 s of CPU)."""
    from assistant.dialogue import shared_parser

    return shared_parser()


# ---------------------------------------------------------------- natural voices, scored as sets
@dataclass(frozen=True)
class NaturalClips:
    """The English natural-voice clips of audio_fixtures/ (pico2wave, MBROLA) and their labels."""

    root: Path
    labels: dict[str, Label]

    def pick(self, group: str, n: int) -> list[str]:
        """`n` clips of a fixture group, spread over the voices by the CI-subset rule (fixed, not chosen
        by how well they are recognised)."""
        from audio_fixtures import generate

        return generate.ci_subset("en", {group: n})

    def pcm(self, key: str) -> np.ndarray:
        return read_audio(self.root / key)


@pytest.fixture(scope="session")
def natural_en() -> NaturalClips:
    """Skips, saying how to install them, when espeak-ng or the natural test voices are missing."""
    import os

    if not have_espeak():
        pytest.skip("espeak-ng not installed: the audio fixtures cannot be generated")
    from audio_fixtures import generate, voices
    from assistant.harness.labels import load_labels

    missing = voices.missing_natural()
    if missing:
        pytest.skip(f"natural test voices not installed ({' '.join(missing)}): {voices.INSTALL_HINT}")
    out = generate.ensure(Path(os.environ.get("AUDIO_FIXTURES_DIR") or generate.DEFAULT_OUT))
    return NaturalClips(out / "en", load_labels(generate.labels_path("en")))


WRONG_ACTIONS = {"wrong_intent", "wrong_value", "missing_slot", "extra_slot", "several_inferences", "false_accept"}


@dataclass
class MeaningScore:
    """Intent + slots of heard utterances against their labels (the harness's scoring)."""

    n: int = 0
    right: int = 0
    wrong: list[str] = field(default_factory=list)  # acted on, but not as labelled: never allowed
    missed: list[str] = field(default_factory=list)  # refused or not understood: allowed up to a threshold

    def add(self, label: Label, heard: Sequence[Heard], parser: Any) -> None:
        from assistant.harness.scoring import Inferred, score

        inferred = []
        for h in heard:
            best = h.best
            if h.understood and best is not None:
                parsed = parser.parse(best.text, best.lang)
                if parsed.matched and parsed.intent is not None:
                    inferred.append(Inferred(parsed.intent, dict(parsed.slots)))
        verdict = score(label, inferred, segments=max(1, len(heard)))
        self.n += 1
        if verdict.accepted:
            self.right += 1
        elif verdict.error in WRONG_ACTIONS:
            self.wrong.append(f"{label.file}: {verdict.detail}")
        else:
            self.missed.append(f"{label.file}: {verdict.error} {verdict.detail}")

    @property
    def rate(self) -> float:
        return self.right / self.n if self.n else 0.0
