from __future__ import annotations

from pathlib import Path

import pytest

from assistant.nlu.parser import Parser

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def parser() -> Parser:
    """The project grammars, compiled once for the whole test session (about 4 s of CPU): the
    process's shared parser, which the dialogue, audio and recogniser tests use too."""
    from assistant.dialogue import shared_parser

    return shared_parser()


@pytest.fixture(scope="session")
def coffee_path() -> Path:
    return HERE / "grammars" / "coffee.yaml"
