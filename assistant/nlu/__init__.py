"""Natural-language understanding: numbers (FR/EN), normalisation and the grammar parser.

Submodules are imported on first use, so that light modules (numbers, normalisation) can be
used by the grammar compilers without loading the parser.
"""
from __future__ import annotations

import importlib
from typing import Any

from assistant.nlu import native

# The modules compiled with mypyc, when a current build of them is there (native.py): decided here, before any
# other module of the package is imported.
native.install()

__all__ = ["Parser", "ParseResult", "REASONS", "normalize", "parse_number", "number_to_words"]

_WHERE = {
    "Parser": "assistant.nlu.parser",
    "ParseResult": "assistant.nlu.result",
    "REASONS": "assistant.nlu.result",
    "normalize": "assistant.nlu.normalize",
    "parse_number": "assistant.nlu.numbers",
    "number_to_words": "assistant.nlu.numbers",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'assistant.nlu' has no attribute '{name}'")
