"""Fixtures of the grammar-constrained Whisper tests: the shared model, its tokenizer, the grammars.

The Whisper model is the `shared` folder beside the repository checkout (tests skip without it).
The recogniser is loaded once per session (about 3 s)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
def parser(grammar: Any) -> Any:
    from assistant.nlu.parser import Parser

    return Parser(grammar)


@pytest.fixture(scope="session")
def recognizer(model_dir: Path, grammar: Any) -> Any:
    from assistant.asr.constrained_whisper import ConstrainedWhisperRecognizer

    return ConstrainedWhisperRecognizer(model_dir, grammar)
