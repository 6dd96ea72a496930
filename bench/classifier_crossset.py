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


def _percentile(data: list[int], q: float) -> float:
    data = sorted(data)
    return data[min(len(data) - 1, int(q * len(data)))] / 1000.0


def cost(repeat: int = 5) -> int:
    """CPU time per parse on the throughput corpus (tests/nlu/cases_*.yaml, as
    bench/parser_throughput.py) with and without the classifier, the two parsers interleaved
    sentence by sentence so that machine load hits both alike."""
    import yaml

    from assistant.grammar import load_grammar
    from assistant.nlu.parser import Parser

    sentences = [str(c["t"]) for name in ("cases_en.yaml", "cases_fr.yaml")
                 for c in yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))]
    grammar = load_grammar(None)
    parsers = {"without classifier": Parser(grammar, classifier=False), "with classifier": Parser(grammar)}
    times: dict[str, list[int]] = {name: [] for name in parsers}
    for _ in range(repeat):
        for text in sentences:
            for name, parser in parsers.items():
                t0 = time.thread_time_ns()
                parser.parse(text)
                times[name].append(time.thread_time_ns() - t0)
    decided = sum(1 for t in sentences if parsers["with classifier"].parse(t).method == "classifier")
    print(f"corpus: {len(sentences)} sentences x {repeat} (cases_en/fr.yaml); {decided} decided by the classifier")
    print(f"{'parser':<20} {'utt/s':>8} {'p50 µs':>8} {'p90 µs':>8} {'p99 µs':>8} {'max µs':>8}   (CPU time)")
    for name, data in times.items():
        print(f"{name:<20} {len(data) / (sum(data) / 1e9):>8.0f} {_percentile(data, 0.5):>8.1f} "
              f"{_percentile(data, 0.9):>8.1f} {_percentile(data, 0.99):>8.1f} {max(data) / 1000:>8.1f}")
    stage = parsers["with classifier"]._classifier
    if stage is not None:
        refused = [t for t in sentences if not parsers["without classifier"].parse(t).matched]
        spent: list[int] = []
        scored = 0
        for _ in range(repeat):
            for text in refused:
                t0 = time.thread_time_ns()
                guess = stage.classify(text, "en")
                spent.append(time.thread_time_ns() - t0)
                scored += guess.ranking != ()
        print(f"the stage alone on the {len(refused)} refused sentences: p50 {_percentile(spent, 0.5):.1f} µs, "
              f"p99 {_percentile(spent, 0.99):.1f} µs CPU ({scored // repeat} reached the model, the rest were "
              f"gated)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--failures", action="store_true", help="list the misses and wrong lines after")
    ap.add_argument("--probability", type=float, help="override the probability threshold")
    ap.add_argument("--margin", type=float, help="override the margin threshold")
    ap.add_argument("--cost", action="store_true",
                    help="only measure the parse cost with and without the classifier (CPU time)")
    args = ap.parse_args(argv)
    if args.cost:
        return cost()

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
        examples = stage.training_examples()
        stage.train(examples)
        train_s = time.process_time() - t0
        print(f"== {name}: trained without {', '.join(p.name for p in held)} "
              f"({len(corpora)} corpora, {len(examples)} examples; parser + classifier built in "
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
