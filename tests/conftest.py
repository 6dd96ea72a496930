"""Suite-wide hooks: the order in which `make test` hands the test files to its two processes.

`make test` runs pytest-xdist with `--dist loadfile --no-loadscope-reorder`: each file goes whole to
one process, in collection order, and a process takes the next file when it is nearly done. A file
that takes minutes (a recognition set, an end-to-end run of `mia run`) handed out last keeps one
process busy while the other has long finished, so the files that hold a test marked `slow` are
collected first and the thousands of quick tests fill in behind them. (xdist's default reorder puts
the files with the most tests first: the long files, which hold few tests each, then came last.)
"""
from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    # A stable sort on one key: each file's tests stay together and in their order.
    items.sort(key=lambda item: item.path not in slow)
