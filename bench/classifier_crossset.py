"""Cross-set generalisation of the read-only classifier (assistant/nlu/classifier.py).

    .venv/bin/python bench/classifier_crossset.py [--failures] [--probability P] [--margin M]

The classifier learns from the labelled corpora, so scoring it on a corpus it learnt from says
little. Here each blind held-out set is scored by a classifier trained WITHOUT it:

* held-out 2 (tests/nlu/paraphrases_heldout2_{fr,en}.yaml) by one trained on everything else;
* held-out 1 (paraphrases_heldout1_*) by one trained on everything else.

Each file is printed before (parser without the classifier) and after, with the bench's
scoring (bench/paraphrase_acceptance.py): commands, refusals, follow-ups, WRONG. Also printed:
the training time (CPU seconds; scikit-learn fit on one thread, no cache) and the classifier's
share of the accepted lines. Accuracy does not depend on machine load; the times do.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "nlu"
SPLITS = {
    "held-out 2": [CORPUS / "paraphrases_heldout2_fr.yaml", CORPUS / "paraphrases_heldout2_en.yaml"],
    "held-out 1": [CORPUS / "paraphrases_heldout1_fr.yaml", CORPUS / "paraphrases_heldout1_en.yaml"],
}


def _acceptance() -> ModuleType:
    spec = importlib.util.spec_from_file_location("paraphrase_acceptance", ROOT / "bench" / "paraphrase_acceptance.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def score(bench: ModuleType, parser: object, path: Path) -> object:
    result = bench.Score(path.name)
    for case in bench.load_cases(path):
        result.add(case, bench.judge(case, parser.parse(str(case["t"]))))  # type: ignore[attr-defined]
    return result


def line(s: object) -> str:
    c = s.counts  # type: ignore[attr-defined]
    return (f"commands {c['command_ok']}/{c['command_total']}, refusals {c['reject_ok']}/{c['reject_total']}, "
            f"follow-ups {c['followup_ok']}/{c['followup_total']}, overall {c['ok']}/{c['total']} "
            f"({100.0 * c['ok'] / max(1, c['total']):.1f} %), WRONG {c['wrong']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--failures", action="store_true", help="list the misses and wrong lines after")
    ap.add_argument("--probability", type=float, help="override the probability threshold")
    ap.add_argument("--margin", type=float, help="override the margin threshold")
    args = ap.parse_args(argv)

    from assistant.grammar import load_grammar
    from assistant.nlu.classifier import ClassifierOptions, ReadOnlyClassifier, default_corpora
    from assistant.nlu.parser import Parser

    bench = _acceptance()
    grammar = load_grammar(None)
    before = Parser(grammar, classifier=False)
    overrides = {k: v for k, v in (("probability", args.probability), ("margin", args.margin)) if v is not None}
    for name, held in SPLITS.items():
        missing = [p for p in held if not p.is_file()]
        if missing:
            print(f"== {name}: missing {', '.join(map(str, missing))}")
            continue
        corpora = tuple(p for p in default_corpora() if p not in held)
        options = ClassifierOptions(corpora=corpora, cache=False, **overrides)
        c0 = time.process_time()
        after = Parser(grammar, classifier=options)
        assert isinstance(after._classifier, ReadOnlyClassifier)
        stage = after._classifier
        c1 = time.process_time()
        t0 = time.process_time()
        stage.train(stage.training_examples())
        train_s = time.process_time() - t0
        print(f"== {name}: trained without {', '.join(p.name for p in held)} "
              f"({len(corpora)} corpora, {stage.examples} examples; parser + classifier built in "
              f"{c1 - c0:.2f} s CPU, of which the classifier's fit alone {train_s:.2f} s CPU)")
        for path in held:
            b, a = score(bench, before, path), score(bench, after, path)
            by_classifier = sum(1 for case in bench.load_cases(path)
                                if after.parse(str(case["t"])).method == "classifier")
            print(f"   {path.name}\n      before: {line(b)}\n      after:  {line(a)}  "
                  f"[{by_classifier} lines decided by the classifier]")
            if args.failures:
                for tag, case, verdict in a.failures:  # type: ignore[attr-defined]
                    expected = ("reject" if case.get("reject") else
                                f"followup {case['followup']}" if "followup" in case else
                                f"{case['i']} {case.get('s') or {}}")
                    print(f"      [{tag}] {case['t']!r}: expected {expected}; got {verdict.got}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
