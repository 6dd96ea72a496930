"""Lazy package exports (PEP 562): some libraries (aiogram, twilio, scipy.signal) take seconds to
import, and `mia --help` must not pay for them. A package lists its public names and the module
that defines each; the module is imported the first time one of its names is used."""
from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_exports(package: str, namespace: dict[str, Any], names: dict[str, str]) -> Callable[[str], Any]:
    """Return a module `__getattr__` resolving `names` (public name -> defining module) on demand."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # cache: the next access is a plain global lookup
        return value

    return __getattr__
