"""Suite-wide hooks: the order in which `make test` hands the test files to its two processes.

`make test` runs pytest-xdist with `--dist loadfile --no-loadscope-reorder`: each file goes whole to
one process, in collection order, and a process takes the next file when it is nearly done. A file
that takes minutes (a recognition set, an end-to-end run of `mia run`) handed out last keeps one
process busy while the other has long finished, so the files that hold a test marked `slow` are
collected first and the thousands of quick tests fill in behind them. (xdist's default reorder puts
the files with the most tests first: the long files, which hold few tests each, then came last.)

The files that use the session's grammar-constrained Whisper (tests/asr/conftest.py:
`grammar_pipeline`, `recognizer`; about 20 s to build, per process) go to one process as one unit:
handed out file by file, both processes built it.
"""
from __future__ import annotations

from typing import Any

import pytest

# Files served by one session-scoped recogniser build; the first one named is where the unit is queued.
SAME_PROCESS = ("tests/asr/test_constrained_whisper.py", "tests/asr/test_reply_context.py",
                "tests/asr/test_gate_rules.py", "tests/asr/test_rescoring.py", "tests/asr/test_speculation.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    # A stable sort on one key: each file's tests stay together and in their order.
    items.sort(key=lambda item: item.path not in slow)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile` with the `SAME_PROCESS` files as one work unit (other modes: xdist's own)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling  # type: ignore[import-untyped]  # xdist ships no types

    class SharedRecognizerScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return SAME_PROCESS[0] if scope in SAME_PROCESS else scope

    return SharedRecognizerScheduling(config, log)
