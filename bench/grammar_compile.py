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

`--scale N` also builds a grammar N times the project's (every intent repeated N times, renamed)
and times compiling it into the Whisper token automaton (word graphs, token tries, digits
automaton) when the shared Whisper tokenizer is present. Budget (docs/asr.md): 5x compiles in
under 5 s of CPU.
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
BUDGET_SCALED_CPU_S = 5.0  # the token automaton of a grammar --scale 5 times the project's
WHISPER_MODEL = ROOT.parent / "shared" / "models" / "faster-whisper-base"


def scaled_grammar(out: Path, copies: int, source: Path = ROOT / "grammars") -> Path:
    """The grammar folder `source` with every intent of each language file repeated `copies` times
    (renamed `<intent>_<k>`), as a much broader grammar would be; written under `out`."""
    import yaml

    out.mkdir(parents=True, exist_ok=True)
    (out / "slots.yaml").write_text((source / "slots.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    for lang in ("fr", "en"):
        data = yaml.safe_load((source / f"{lang}.yaml").read_text(encoding="utf-8"))
        data["intents"] = {f"{name}_{k}" if k else name: body
                           for k in range(copies) for name, body in data["intents"].items()}
        (out / f"{lang}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


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
    ap.add_argument("--scale", type=int, default=5,
                    help="also time the Whisper token automaton of a grammar this many times larger (0: skip)")
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
    if args.scale > 0:
        scaled_token_automaton(args.scale, max(1, min(args.repeat, 3)))
    return 0


def scaled_token_automaton(copies: int, repeat: int) -> None:
    """Times the token automaton of the project grammar and of one `copies` times larger."""
    import tempfile

    if not (WHISPER_MODEL / "tokenizer.json").is_file():
        print(f"  token automaton not measured: no Whisper tokenizer at {WHISPER_MODEL}")
        return
    from assistant.asr.token_graph import TokenAutomaton
    from assistant.asr.whisper_tokenizer import load_tokenizer
    from assistant.grammar.graph import word_graph
    from assistant.grammar.loader import load_grammar

    tokenizer = load_tokenizer(WHISPER_MODEL)

    def build(grammar: Any) -> int:
        ta = TokenAutomaton({lang: word_graph(grammar, lang) for lang in ("fr", "en")}, tokenizer)
        ta.prepare()
        return sum(len(g.arcs) for g in ta.graphs)

    print(f"Whisper token automaton, {repeat} runs each (budget: {copies}x grammar under {BUDGET_SCALED_CPU_S:.0f} s CPU)")
    arcs, w, c = timed(lambda: build(load_grammar(None)), repeat)
    print(line("token automaton, project grammar", w, c, f"{arcs:,} word-graph arcs", budget=False))
    with tempfile.TemporaryDirectory() as tmp:
        big = load_grammar([str(scaled_grammar(Path(tmp) / "big", copies))])
        arcs, w, c = timed(lambda: build(big), repeat)
    flag = "  OVER BUDGET" if max(c) > BUDGET_SCALED_CPU_S else ""
    print(line(f"token automaton, {copies}x grammar", w, c, f"{arcs:,} word-graph arcs{flag}", budget=False))


if __name__ == "__main__":
    raise SystemExit(main())
