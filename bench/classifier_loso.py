"""Leave-one-set-out measure of the read-only classifier (assistant/nlu/classifier.py).

    nice .venv/bin/python bench/classifier_loso.py [--sets 1-15] [--failures] [--probability P] [--margin M]

The classifier learns from every labelled corpus of tests/nlu, so its figure on a corpus it
learnt from says nothing about the next writer. Here each blind held-out set k
(tests/nlu/paraphrases_heldout{k}_{fr,en}.yaml) is parsed by the WHOLE parser whose classifier
was trained without set k (both languages: one writer wrote both), everything else as in the
shipped parser. That is the estimate of what a new writer gets.

Printed per set and language, and in total: acceptance (the bench's scoring,
bench/paraphrase_acceptance.py, validation included), WRONG, the lines the classifier decided,
and the lines it decided wrongly. `--failures` lists the misses of read-only questions and every
wrong line. One training per set (a second or two each) and one parse of every held-out line:
a few minutes on a busy machine.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "nlu"
LANGUAGES = ("fr", "en")


def held_out_sets(selection: str | None) -> list[int]:
    """The numbers of the held-out sets present (both languages), optionally restricted by
    "1-15" / "3,5,12"."""
    found = sorted(int(m.group(1)) for p in CORPUS.glob("paraphrases_heldout*_fr.yaml")
                   if (m := re.fullmatch(r"paraphrases_heldout(\d+)_fr", p.stem))
                   and (CORPUS / f"paraphrases_heldout{m.group(1)}_en.yaml").is_file())
    if not selection:
        return found
    wanted: set[int] = set()
    for part in selection.split(","):
        lo, _, hi = part.partition("-")
        wanted.update(range(int(lo), int(hi or lo) + 1))
    return [k for k in found if k in wanted]


def _bar(done: int, total: int, t0: float, label: str) -> None:
    width = 30
    filled = width * done // max(1, total)
    elapsed = time.perf_counter() - t0
    eta = elapsed / done * (total - done) if done else 0.0
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<14} "
                     f"{elapsed:5.0f} s elapsed, ~{eta:4.0f} s left")
    sys.stderr.flush()


def _expected(case: dict[str, Any]) -> str:
    if case.get("reject"):
        return "reject"
    if "followup" in case:
        return f"followup {case['followup']}"
    return f"{case['i']} {case.get('s') or {}}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", help="held-out sets to measure, e.g. 1-15 or 3,12 (default: all present)")
    ap.add_argument("--failures", action="store_true",
                    help="list the read-only questions missed and every wrong line")
    ap.add_argument("--probability", type=float, help="override the probability threshold")
    ap.add_argument("--margin", type=float, help="override the margin threshold")
    args = ap.parse_args(argv)

    from assistant.grammar import load_grammar
    from assistant.nlu.classifier import READ_ONLY_INTENTS, ClassifierOptions, default_corpora
    from assistant.nlu.parser import Parser

    from bench.classifier_crossset import _acceptance

    bench = _acceptance()
    sets = held_out_sets(args.sets)
    if not sets:
        print("no held-out set found")
        return 1
    grammar = load_grammar(None)
    parser = Parser(grammar, classifier=False)
    overrides = {k: v for k, v in (("probability", args.probability), ("margin", args.margin)) if v is not None}
    rows: list[tuple[str, Counter[str]]] = []
    total: dict[str, Counter[str]] = {code: Counter() for code in LANGUAGES}
    failures: list[str] = []
    fit_s = 0.0
    t0 = time.perf_counter()
    for done, k in enumerate(sets):
        _bar(done, len(sets), t0, f"held-out {k}")
        held = [CORPUS / f"paraphrases_heldout{k}_{code}.yaml" for code in LANGUAGES]
        corpora = tuple(p for p in default_corpora() if p not in held)
        c0 = time.process_time()
        parser._classifier = parser._build_classifier(ClassifierOptions(corpora=corpora, cache=False, **overrides))
        fit_s += time.process_time() - c0
        for code, path in zip(LANGUAGES, held):
            counts: Counter[str] = Counter()
            for case in bench.load_cases(path):
                result = bench.parse_case(parser, case)
                verdict = bench.judge(case, result)
                question = not case.get("reject") and "followup" not in case and case.get("i") in READ_ONLY_INTENTS
                by_classifier = result.matched and result.method == "classifier"
                counts["total"] += 1
                counts["ok"] += verdict.ok
                counts["wrong"] += verdict.wrong
                counts["questions"] += question
                counts["questions_ok"] += question and verdict.ok
                counts["classifier"] += by_classifier
                counts["classifier_wrong"] += by_classifier and verdict.wrong
                if args.failures and (verdict.wrong or (question and not verdict.ok)):
                    tag = "WRONG" if verdict.wrong else "miss"
                    failures.append(f"  h{k}_{code} [{tag}] {case['t']!r}: expected {_expected(case)}; "
                                    f"got {verdict.got}")
            rows.append((f"held-out {k} {code}", counts))
            total[code].update(counts)
    _bar(len(sets), len(sets), t0, "done")
    sys.stderr.write("\n")

    def pct(n: int, d: int) -> str:
        return f"{100.0 * n / d:5.1f} %" if d else "    -  "

    print(f"leave-one-set-out: {len(sets)} trainings (classifier built in {fit_s:.1f} s CPU in all), "
          f"{time.perf_counter() - t0:.0f} s wall")
    print(f"{'set':<18} {'lines':>5} {'accepted':>9} {'wrong':>5} {'questions':>10} {'q. ok':>8} "
          f"{'by clf':>6} {'clf wrong':>9}")
    for name, c in rows + [(f"TOTAL {code}", total[code]) for code in LANGUAGES] + \
            [("TOTAL", total["fr"] + total["en"])]:
        print(f"{name:<18} {c['total']:>5} {pct(c['ok'], c['total']):>9} {c['wrong']:>5} "
              f"{c['questions']:>10} {pct(c['questions_ok'], c['questions']):>8} {c['classifier']:>6} "
              f"{c['classifier_wrong']:>9}")
    if failures:
        print("\nread-only questions missed and wrong lines:")
        print("\n".join(failures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
