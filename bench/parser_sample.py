"""Where the parser's time goes, by sampling: no per-call timer, so many small calls are not over-charged.

    .venv/bin/python bench/parser_sample.py [--repeat 50] [--only exact|other] [--top 40]

Runs the bench corpus (tests/nlu/cases_{en,fr}.yaml, lang "auto", as bench/parser_throughput.py) and, every
few milliseconds of this process's CPU time (SIGPROF), records the call stack. Prints each function's share
inclusive (on the stack) and own (innermost frame; C calls such as a regex count for their caller), and each
line of assistant/nlu/parser.py inclusive: which call of `parse` / `_parse` the time is spent under.

Why next to bench/parser_profile.py: its stage timers cost about a microsecond per call and cProfile favours
functions with few calls, so both over-charge the many cheap gates of `Parser.parse`. The kernel's profiling
timer ticks every few milliseconds: take enough passes (the default gives some thousand samples), and read
shares under 1 % as noise. POSIX only.
"""
from __future__ import annotations

import argparse
import signal
import sys
from collections import Counter
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.parser_throughput import load_corpus  # noqa: E402

from assistant.nlu.parser import Parser  # noqa: E402


class Sampler:
    """Counts of the call stacks seen at each SIGPROF."""

    def __init__(self) -> None:
        self.samples = 0
        self.inclusive: Counter[tuple[str, str]] = Counter()
        self.own: Counter[tuple[str, str]] = Counter()
        self.parser_lines: Counter[tuple[str, int]] = Counter()

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if frame is None:
            return
        self.samples += 1
        self.own[(Path(frame.f_code.co_filename).name, frame.f_code.co_name)] += 1
        functions: set[tuple[str, str]] = set()
        lines: set[tuple[str, int]] = set()
        current: FrameType | None = frame
        while current is not None:
            name = Path(current.f_code.co_filename).name
            functions.add((name, current.f_code.co_name))
            if name == "parser.py" and "/nlu/" in current.f_code.co_filename:
                lines.add((current.f_code.co_name, current.f_lineno or 0))
            current = current.f_back
        self.inclusive.update(functions)  # (once per sample: a recursive parse is not counted twice)
        self.parser_lines.update(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=50, help="passes over the corpus")
    ap.add_argument("--only", choices=("exact", "other"), help="only the exact matches, or only the others")
    ap.add_argument("--top", type=int, default=40, help="rows per table")
    ap.add_argument("--interval", type=float, default=0.0005, help="profiling timer, seconds of CPU")
    args = ap.parse_args()

    sentences = [c["t"] for c in load_corpus()]
    parser = Parser.from_paths()
    methods = {t: parser.parse(t).method for t in sentences}  # (also the warm-up)
    if args.only == "exact":
        sentences = [t for t in sentences if methods[t] == "exact"]
    elif args.only == "other":
        sentences = [t for t in sentences if methods[t] != "exact"]
    sampler = Sampler()
    signal.signal(signal.SIGPROF, sampler)
    signal.setitimer(signal.ITIMER_PROF, args.interval, args.interval)
    try:
        for _ in range(args.repeat):
            for text in sentences:
                parser.parse(text)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
    n = max(sampler.samples, 1)
    print(f"{len(sentences)} sentences x {args.repeat} passes, {sampler.samples} samples")
    for title, counts in (("functions, inclusive", sampler.inclusive), ("functions, own", sampler.own)):
        print(f"\n{title}:")
        for (file, name), count in counts.most_common(args.top):
            if file != Path(__file__).name:
                print(f"  {100 * count / n:5.1f} %  {file}:{name}")
    print("\nlines of assistant/nlu/parser.py, inclusive:")
    for (name, line), count in sampler.parser_lines.most_common(args.top):
        print(f"  {100 * count / n:5.1f} %  {name}:{line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
