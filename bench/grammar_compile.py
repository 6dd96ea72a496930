"""How long the grammar files take to become recognisers' vocabularies and the parser, per language.

    .venv/bin/python bench/grammar_compile.py [--repeat 5] [--grammar DIR]

Measured, each `--repeat` times (median and worst, wall and CPU time): loading the YAML
grammar files, building the parser (exact matcher and fuzzy index, both languages), compiling
the JSGF for PocketSphinx (`to_jsgf`) and the Vosk phrase list (`vosk_phrases`), and creating a
PocketSphinx recogniser from the English JSGF (dictionary look-ups, pronunciations, FSG build)
when pocketsphinx is installed. Sizes are printed too (JSGF characters and rules, Vosk phrases).

Budget (issue #13: the broader grammar must keep compiling fast): every recogniser step (JSGF,
Vosk phrases, PocketSphinx recogniser) under 2 s of CPU per language on one core — `mia run` compiles them in a worker thread while the market data
starts, and its start-up line waits for them. Wall times under a shared machine's load are
inflated; CPU times much less.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUDGET_CPU_S = 2.0


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, list[float], list[float]]:
    walls: list[float] = []
    cpus: list[float] = []
    out: Any = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
    return out, walls, cpus


def line(name: str, walls: list[float], cpus: list[float], extra: str = "", budget: bool = True) -> str:
    flag = "  OVER BUDGET" if budget and max(cpus) > BUDGET_CPU_S else ""
    return (f"  {name:<34} wall median {statistics.median(walls):7.3f} s  max {max(walls):7.3f} s   "
            f"CPU median {statistics.median(cpus):7.3f} s  max {max(cpus):7.3f} s{flag}  {extra}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--grammar", action="append", help="grammar file or folder (default: grammars/)")
    args = ap.parse_args(argv)

    from assistant.grammar.compile import to_jsgf, vosk_phrases
    from assistant.grammar.loader import load_grammar
    from assistant.nlu.parser import Parser

    print(f"grammar compile times, {args.repeat} runs each (budget: {BUDGET_CPU_S:.1f} s CPU per step)")
    grammar, w, c = timed(lambda: load_grammar(args.grammar), args.repeat)
    print(line("load YAML grammars", w, c, budget=False))
    _, w, c = timed(lambda: Parser.from_paths(args.grammar), args.repeat)
    print(line("parser (exact + fuzzy, all langs)", w, c, "(not a recogniser: no budget)", budget=False))
    for lang in sorted(grammar.languages):
        jsgf, w, c = timed(lambda: to_jsgf(grammar, lang), args.repeat)
        rules = sum(1 for ln in jsgf.splitlines() if ln.lstrip().startswith(("<", "public <")))
        print(line(f"JSGF {lang}", w, c, f"{len(jsgf):,} chars, {rules} rules"))
        phrases, w, c = timed(lambda: vosk_phrases(grammar, lang), args.repeat)
        print(line(f"Vosk phrases {lang}", w, c, f"{len(phrases):,} phrases"))
    try:
        from assistant.asr.pocketsphinx_backend import PocketsphinxRecognizer

        jsgf_en = to_jsgf(grammar, "en")
        _, w, c = timed(lambda: PocketsphinxRecognizer(jsgf_en, "en"), args.repeat)
        print(line("PocketSphinx recogniser from JSGF en", w, c))
    except ImportError as exc:
        print(f"  PocketSphinx not measured: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
