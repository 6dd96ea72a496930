"""Fixtures of the grammar-constrained Whisper tests: the shared model, its tokenizer, the grammars.

The Whisper model is the `shared` folder beside the repository checkout (tests skip without it).
The recogniser is loaded once per session (about 3 s)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.asr.support import live_pipeline

REPO = Path(__file__).resolve().parents[2]
WHISPER_MODEL = (REPO.parent / "shared" / "models" / "faster-whisper-base").resolve()


@pytest.fixture(scope="session")
def model_dir() -> Path:
    if not (WHISPER_MODEL / "model.bin").is_file():
        pytest.skip(f"Whisper model not found at {WHISPER_MODEL} (the shared/ folder beside the repo)")
    return WHISPER_MODEL


@pytest.fixture(scope="session")
def tokenizer(model_dir: Path) -> Any:
    from assistant.asr.whisper_tokenizer import load_tokenizer

    return load_tokenizer(model_dir)


@pytest.fixture(scope="session")
def grammar() -> Any:
    from assistant.grammar import load_grammar

    return load_grammar(None)


@pytest.fixture(scope="session")
def automaton(grammar: Any, tokenizer: Any) -> Any:
    from assistant.asr.token_graph import TokenAutomaton
    from assistant.grammar.graph import word_graph

    ta = TokenAutomaton({lang: word_graph(grammar, lang) for lang in ("fr", "en")}, tokenizer)
    ta.prepare()
    return ta


@pytest.fixture(scope="session")
def parser() -> Any:
    """The project parser: the very object the dialogue and the pipelines use (`shared_parser`
    compiles grammars/ once per process, about 4 s of CPU; `Parser.parse` does not mutate it)."""
    from assistant.dialogue import shared_parser

    return shared_parser()


@pytest.fixture(scope="session")
def recognizer(grammar_pipeline: Any) -> Any:
    """The grammar-constrained Whisper with its default settings, for both languages: the live
    path's own (`ConstrainedWhisperRecognizer(model_dir, grammar)` builds the same one, compiled
    again). Each `recognize` starts from a reset state."""
    from assistant.asr.constrained_whisper import ConstrainedWhisperRecognizer, SearchSettings

    rec = grammar_pipeline.recognizers["fr"]
    assert isinstance(rec, ConstrainedWhisperRecognizer) and rec is grammar_pipeline.recognizers["en"]
    assert rec.settings == SearchSettings() and rec.automaton.langs == ("en", "fr")
    return rec


@pytest.fixture(scope="session")
def natural() -> Path:
    """The project's labelled fixture set (audio_fixtures/), made if needed; skips, saying how,
    when espeak-ng or the natural test voices are missing."""
    import os
    import shutil

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed: the audio fixtures cannot be generated")
    from audio_fixtures import generate, voices

    missing = voices.missing_natural()
    if missing:
        pytest.skip(f"natural test voices not installed ({' '.join(missing)}): {voices.INSTALL_HINT}")
    return generate.ensure(Path(os.environ.get("AUDIO_FIXTURES_DIR") or generate.DEFAULT_OUT))


@pytest.fixture(scope="session")
def grammar_pipeline(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The live listening path with the grammar-constrained Whisper, both languages listening."""
    pipeline = live_pipeline(model_dir, tmp_path_factory, lang="auto", backend="whisper-grammar")
    yield pipeline
    pipeline.close()
