from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.nlu import native
from assistant.nlu.parser import Parser

HERE = Path(__file__).parent


def ran_in_pure_python(request: pytest.FixtureRequest) -> bool:
    """For a test that patches the parser's internals (a module's function, a class's method, an instance's
    method): compiled with mypyc (assistant/nlu/native.py), the parser calls those directly and never sees a
    patch, and its classes take none. In a process running the compiled build, this runs the test again in a
    pure-Python process (MIA_PURE_PYTHON=1) and returns True once it passed there: the caller returns. In pure
    Python it returns False and the test goes on. (The compiled build runs the same code: tests/nlu/test_native.py
    checks its results against pure Python's.)"""
    if not native.state().compiled:
        return False
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", request.node.nodeid],
                         cwd=request.config.rootpath, env={**env, native.PURE_ENV: "1"},
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    return True


@pytest.fixture(scope="session")
def parser() -> Parser:
    """The project grammars, compiled once for the whole test session (about 4 s of CPU): the
    process's shared parser, which the dialogue, audio and recogniser tests use too."""
    from assistant.dialogue import shared_parser

    return shared_parser()


@pytest.fixture(scope="session")
def coffee_path() -> Path:
    return HERE / "grammars" / "coffee.yaml"
