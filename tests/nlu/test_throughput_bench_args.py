"""bench/parser_throughput.py refuses a pass count that would time nothing, with a clear message
(it divided by zero with `--hassil-repeat 0`)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "parser_throughput.py"


@pytest.mark.parametrize("args,said", [(["--hassil-repeat", "0"], "at least 1"), (["--repeat", "-2"], "at least 1"),
                                       (["--repeat", "many"], "not a whole number")])
def test_a_pass_count_below_one_is_refused_before_any_work(args: list[str], said: str) -> None:
    run = subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert said in run.stderr and "Traceback" not in run.stderr
