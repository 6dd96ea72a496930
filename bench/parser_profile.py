"""Where the parser's time goes, on bench/parser_throughput.py's corpus and loop.

    .venv/bin/python bench/parser_profile.py [--repeat 3] [--top 40] [--sort tottime|cumtime] [--only exact|other]

Two views of the same passes over the corpus (tests/nlu/cases_{en,fr}.yaml, lang "auto"):

1. the per-stage split: each stage's entry point is wrapped by a timer that charges the time to the
   innermost stage running (a restatement that parses its rest again charges that parse's exact and
   fuzzy work to "exact" and "fuzzy", and only its own work to "restate"); "parse (glue, final
   checks)" is what `Parser.parse` / `_parse` do themselves: normalisation, the language choice and the
   checks run on every result (money, price, extras, not-given...). Timer overhead is included;
   compare splits made by this script, not with the throughput bench's figures. The clock is the thread's
   CPU time, as the bench's "cpu" rows (a shared machine pre-empting this process does not count);
2. cProfile's top functions (without the stage timers), sorted by own time (tottime) or cumulative
   (wall clock, and cProfile's own cost per call favours many small calls: read it on a quiet machine, or
   use a sampling profiler such as pyinstrument for an unbiased picture).

The stage list is in `STAGES` below: add the entry point of a new stage there.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.parser_throughput import load_corpus  # noqa: E402

from assistant.nlu import parser as parser_module  # noqa: E402
from assistant.nlu.compiled import CompiledLanguage  # noqa: E402
from assistant.nlu.fuzzy import CarrierIndex  # noqa: E402
from assistant.nlu.parser import Parser  # noqa: E402

#: stage name -> (class, method names): the entry points whose time is charged to the stage.
STAGES: dict[str, tuple[type, tuple[str, ...]]] = {
    "parse (glue, final checks)": (Parser, ("parse", "_parse", "_parse_or_read")),
    "exact": (CompiledLanguage, ("match_exact", "variant", "could_match_exactly", "variant_may_match",
                                 "strip_skip")),
    "fuzzy": (CarrierIndex, ("match",)),
    "frames": (Parser, ("_frame",)),
    "slot reader": (Parser, ("_read_slots",)),
    "restatement": (Parser, ("_restate",)),
    "typos": (Parser, ("_fix_typos", "_typo_passed_over")),
    "classifier": (Parser, ("_classify",)),
    # (charged to the glue before: the exact path's p99 regression of session 18 was invisible in this split)
    "command reader": (Parser, ("_read_command",)),
    "edge words": (Parser, ("_without_edge", "_edge_typo")),
    "extras (unsupported)": (Parser, ("_unsupported", "_unhonoured")),
    "not given": (Parser, ("_not_given",)),
    "answer then": (Parser, ("_answer_then", "_no_instead")),
}


def detail_stages() -> dict[str, tuple[type, tuple[str, ...]]]:
    """`STAGES` plus every method of the helpers `Parser.parse` calls, each its own line ("--detail")."""
    from assistant.nlu.classifier import ReadOnlyClassifier
    from assistant.nlu.edge_words import EdgeWords
    from assistant.nlu.frames import FrameMatcher
    from assistant.nlu.not_given import NotGiven
    from assistant.nlu.order_extras import OrderExtras
    from assistant.nlu.restate import Restater
    from assistant.nlu.slot_reader import SlotReader
    from assistant.nlu.typos import TypoFixer
    from assistant.nlu.normalize import cached_normalize  # noqa: F401 - (an lru_cache object: not wrapped)
    out = dict(STAGES)
    taken = {(cls, name) for cls, names in STAGES.values() for name in names}
    for cls in (Parser, FrameMatcher, OrderExtras, NotGiven, EdgeWords, TypoFixer, Restater, SlotReader,
                ReadOnlyClassifier, CarrierIndex, CompiledLanguage):
        for name, member in vars(cls).items():
            if (cls, name) in taken or name.startswith("__") or not (
                    callable(member) or isinstance(member, staticmethod)) or isinstance(member, type):
                continue
            out[f"{cls.__name__}.{name}"] = (cls, (name,))
    return out


class StageClock:
    """Exclusive time per stage: the clock runs for the innermost stage entered."""

    def __init__(self) -> None:
        self.spent: dict[str, int] = defaultdict(int)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[str] = ["(outside)"]
        self._mark = time.thread_time_ns()

    def _switch(self) -> None:
        now = time.thread_time_ns()
        self.spent[self._stack[-1]] += now - self._mark
        self._mark = now

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._switch()
            self._stack.append(stage)
            self.calls[stage] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                self._switch()
                self._stack.pop()
        return timed

    def install(self, stages: dict[str, tuple[type, tuple[str, ...]]]) -> Callable[[], None]:
        originals: list[tuple[type, str, Any]] = []
        for stage, (cls, names) in stages.items():
            for name in names:
                original = cls.__dict__[name]
                originals.append((cls, name, original))
                if isinstance(original, staticmethod):
                    setattr(cls, name, staticmethod(self.wrap(stage, original.__func__)))
                else:
                    setattr(cls, name, self.wrap(stage, original))

        def uninstall() -> None:
            for cls, name, original in originals:
                setattr(cls, name, original)
        return uninstall


def run(parse: Callable[[str], Any], sentences: list[str], repeat: int) -> float:
    """CPU seconds of the thread for `repeat` passes."""
    t0 = time.thread_time()
    for _ in range(repeat):
        for text in sentences:
            parse(text)
    return time.thread_time() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="passes over the corpus")
    ap.add_argument("--top", type=int, default=40, help="functions listed")
    ap.add_argument("--sort", default="tottime", choices=("tottime", "cumtime"))
    ap.add_argument("--detail", action="store_true",
                    help="split by every method of the stages' helpers too (more timer overhead)")
    ap.add_argument("--only", choices=("exact", "other"), help="only the exact matches, or only the others")
    args = ap.parse_args()

    sentences = [c["t"] for c in load_corpus()]
    parser = Parser.from_paths()
    methods = {t: parser.parse(t).method for t in sentences}  # (also the warm-up: lazy caches filled)
    if args.only == "exact":
        sentences = [t for t in sentences if methods[t] == "exact"]
    elif args.only == "other":
        sentences = [t for t in sentences if methods[t] != "exact"]
    run(parser.parse, sentences, 1)
    n = len(sentences) * args.repeat
    print(f"{len(sentences)} sentences x {args.repeat} passes ({parser_module.__file__})")

    clock = StageClock()
    uninstall = clock.install(detail_stages() if args.detail else STAGES)
    try:
        clock._mark = time.thread_time_ns()
        run(parser.parse, sentences, args.repeat)
        clock._switch()
    finally:
        uninstall()
    total = sum(v for k, v in clock.spent.items() if k != "(outside)")
    print(f"\nper-stage split (exclusive time, timers included): {total / n / 1000:.1f} µs per utterance")
    print(f"{'stage':44} {'µs/utt':>8} {'share':>7} {'calls/utt':>10}")
    for stage, spent in sorted(clock.spent.items(), key=lambda kv: -kv[1])[:args.top if args.detail else None]:
        if stage == "(outside)":
            continue
        print(f"{stage:44} {spent / n / 1000:8.1f} {100 * spent / total:6.1f}% {clock.calls[stage] / n:10.2f}")

    plain = run(parser.parse, sentences, args.repeat)
    print(f"\nwithout timers: {n / plain:,.0f} utt/s ({plain / n * 1e6:.1f} µs per utterance, CPU time)")

    profile = cProfile.Profile()
    profile.enable()
    run(parser.parse, sentences, args.repeat)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats(args.sort).print_stats(args.top)
    text = out.getvalue()
    print("\ncProfile (" + args.sort + "), times for all passes:")
    print(text[text.find("   ncalls"):].rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
