"""Instructions per utterance of the parser, counted by callgrind (repeatable on a shared machine,
unlike wall or CPU time): the bench corpus (tests/nlu/cases_{en,fr}.yaml) and the committed
held-out paraphrase sets (tests/nlu/paraphrases_heldout*_{en,fr}.yaml), parsed once each.

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python bench/parser_instructions.py [--subset all|exact|other]
    callgrind_annotate /tmp/cg.<pid> | head -40      # where the instructions go

Instrumentation is switched on (`callgrind_control -i on`) only after the parser is built and
warmed up, so the count is that of the parses alone; divide the "Collected" total by the number
of utterances printed. `--subset other` keeps the sentences that are not exact matches (the
fuzzy / rejected path of bench/parser_throughput.py). Without valgrind the script just parses.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.nlu.parser import Parser  # noqa: E402

NLU = ROOT / "tests" / "nlu"


def sentences() -> list[str]:
    out: list[str] = []
    paths = [NLU / "cases_en.yaml", NLU / "cases_fr.yaml", *sorted(NLU.glob("paraphrases_heldout*_*.yaml"))]
    for path in paths:
        for line in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(line, dict) and isinstance(line.get("t"), str):
                out.append(line["t"])
    return out


def _under_valgrind() -> bool:
    return "valgrind" in os.environ.get("LD_PRELOAD", "") or "vgpreload" in os.environ.get("LD_PRELOAD", "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--subset", choices=("all", "exact", "other"), default="all")
    args = ap.parse_args()
    t0 = time.perf_counter()
    parser = Parser.from_paths()
    build_s = time.perf_counter() - t0
    texts = sentences()
    results = [parser.parse(t) for t in texts]  # also the warm-up of lazy caches
    if args.subset == "exact":
        texts = [t for t, r in zip(texts, results) if r.method == "exact"]
    elif args.subset == "other":
        texts = [t for t, r in zip(texts, results) if r.method != "exact"]
    if _under_valgrind():
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True,
                       stdout=subprocess.DEVNULL)
    for text in texts:
        parser.parse(text)
    if _under_valgrind():
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True,
                       stdout=subprocess.DEVNULL)
    print(f"{len(texts)} utterances parsed ({args.subset}); build {build_s:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
