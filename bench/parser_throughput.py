"""Parser throughput and latency on the NLU test corpus: MIA's parser side by side with hassil.

    .venv/bin/python bench/parser_throughput.py [--repeat 5] [--hassil-repeat 1] [--json FILE]

Corpus: every sentence of tests/nlu/cases_en.yaml and cases_fr.yaml (commands, paraphrases,
ASR-style errors, out-of-domain and ambiguous sentences). Both parsers run in this one
process on one core, with every loaded language active ("auto" language, as in MIA).

hassil gets an intents dict converted from the same grammar files (`to_hassil`); what cannot
be expressed in hassil is listed. hassil has no fuzzy stage, does not fold accents, and its
number ranges cannot hold 5012.25, so its accuracy on this corpus is expected to be lower:
the comparison is about speed first, accuracy second.

Targets (issue 3): >= 20 000 utterances/s on one core, p99 <= 1 ms.

Which build of the parser is measured is printed first: its modules compiled with mypyc (`make setup` compiles
them; assistant/nlu/native.py) or pure Python (no current build, or MIA_PURE_PYTHON=1). Compare the two by
running this script alternately with and without MIA_PURE_PYTHON=1.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.grammar import Grammar, load_grammar  # noqa: E402
from assistant.grammar.model import TextList  # noqa: E402
from assistant.nlu import native  # noqa: E402
from assistant.nlu.parser import Parser  # noqa: E402

CORPUS = [ROOT / "tests" / "nlu" / "cases_en.yaml", ROOT / "tests" / "nlu" / "cases_fr.yaml"]
HASSIL_INTEGER_CAP = 100  # hassil builds a word trie of every number of a range
_PERCENT_WORDS = {"en": "(percent|per cent|%)", "fr": "(pour cent|pourcent|%)"}


@dataclass
class Timing:
    """Per-utterance latencies. `clock` says what was measured: "cpu" is the thread's CPU
    time (what one core spends; immune to other processes pre-empting this one on a shared
    machine), "wall" is elapsed time (includes any pre-emption)."""

    name: str
    latencies_ns: list[int]
    total_s: float
    clock: str

    @property
    def throughput(self) -> float:
        return len(self.latencies_ns) / self.total_s

    def pct(self, q: float) -> float:
        data = sorted(self.latencies_ns)
        k = min(len(data) - 1, max(0, math.ceil(q / 100 * len(data)) - 1))
        return data[k] / 1000.0

    def row(self) -> dict[str, Any]:
        return {"parser": self.name, "clock": self.clock, "utterances": len(self.latencies_ns),
                "throughput_per_s": round(self.throughput), "p50_us": round(self.pct(50), 1),
                "p90_us": round(self.pct(90), 1), "p99_us": round(self.pct(99), 1),
                "max_us": round(max(self.latencies_ns) / 1000.0, 1),
                "mean_us": round(statistics.fmean(self.latencies_ns) / 1000.0, 1)}


def load_corpus() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in CORPUS:
        cases.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return cases


def measure(name: str, fn: Any, sentences: list[str], repeat: int, clock: str) -> Timing:
    for text in sentences:  # warm-up (lazy caches, branch predictors, …)
        fn(text)
    latencies: list[int] = []
    now = time.thread_time_ns if clock == "cpu" else time.perf_counter_ns
    for _ in range(repeat):
        for text in sentences:
            t0 = now()
            fn(text)
            latencies.append(now() - t0)
    return Timing(name, latencies, sum(latencies) / 1e9, clock)


# ------------------------------------------------------------------ accuracy
def _same(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    if expected.keys() != got.keys():
        return False
    for key, value in expected.items():
        other = got[key]
        if isinstance(value, (int, float)) and isinstance(other, (int, float)):
            if not math.isclose(value, other):
                return False
        elif str(value).lower() != str(other).lower():
            return False
    return True


def correct(case: dict[str, Any], matched: bool, intent: str | None, slots: dict[str, Any]) -> bool:
    if "not" in case:
        return not (matched and intent in case["not"])
    if "reject" in case:
        return not matched
    return matched and intent == case["i"] and _same(case.get("s", {}), slots)


# ------------------------------------------------------------------ hassil
def to_hassil(grammar: Grammar, lang: str) -> tuple[dict[str, Any], list[str]]:
    """hassil 3 intents dict for one language of our grammar, and what could not be mapped."""
    language = grammar.language(lang)
    notes: list[str] = []
    lists: dict[str, Any] = {}
    percent_lists: dict[str, str] = {}
    for name, lst in language.lists.items():
        if isinstance(lst, TextList):
            lists[name] = {"values": [{"in": form, "out": value.value}
                                      for value in lst.values for form in value.forms]}
        elif lst.kind == "integer":
            top = int(min(lst.maximum, HASSIL_INTEGER_CAP))
            lists[name] = {"range": {"from": int(lst.minimum), "to": top}}
            if lst.maximum > HASSIL_INTEGER_CAP:
                notes.append(f"list '{name}': integer range capped at {top} (hassil builds a word "
                             f"trie of every number; ours goes to {lst.maximum:g})")
        elif lst.kind == "decimal":
            lists[name] = {"range": {"from": int(lst.minimum), "to": int(lst.maximum), "words": False}}
            notes.append(f"list '{name}': decimals such as 5012.25 and numbers in words not "
                         "representable (digits-only integer range)")
        else:
            lists[name] = {"range": {"type": "percentage", "from": int(lst.minimum),
                                     "to": int(lst.maximum), "fractions": "halves"}}
            percent_lists[name] = lst.slot or name
            notes.append(f"list '{name}': percentage range with halves only (no 0.25, 0.75…); "
                         "'percent'/'%' words added after the slot")

    def convert(text: str) -> str:
        for list_name, slot in percent_lists.items():
            text = re.sub(r"\{" + re.escape(list_name) + r"(?::(\w+))?\}",
                          lambda m: f"{{{list_name}:{m.group(1) or slot}}} {_PERCENT_WORDS.get(lang, '%')}",
                          text)
        return text

    intents: dict[str, Any] = {}
    for intent in language.intents.values():
        blocks: dict[str, dict[str, Any]] = {}
        for tpl in intent.templates:
            key = json.dumps(tpl.fixed_slots, sort_keys=True, default=str)
            block = blocks.setdefault(key, {"sentences": []})
            if tpl.fixed_slots:
                block["slots"] = dict(tpl.fixed_slots)
            block["sentences"].append(convert(tpl.text))
        intents[intent.name] = {"data": list(blocks.values())}
        if intent.keywords:
            notes.append(f"intent '{intent.name}': keywords only guard fuzzy matching (no hassil equivalent)")
    rules = {name: convert(text) for name, (_, _, text) in _rule_texts(language).items()}
    notes.append("negations, required slots, fuzzy matching, accent folding and ASR spellings "
                 "(e s, s and p five hundred) have no hassil equivalent")
    return ({"language": lang, "intents": intents, "lists": lists, "expansion_rules": rules,
             "skip_words": list(language.skip_words)}, notes)


def _rule_texts(language: Any) -> dict[str, tuple[None, None, str]]:
    """Rule bodies as written (the loader keeps parsed trees; re-read the source files)."""
    out: dict[str, tuple[None, None, str]] = {}
    for source in language.sources:
        data = yaml.safe_load(Path(source).read_text(encoding="utf-8")) or {}
        for name, text in (data.get("rules") or {}).items():
            out[name] = (None, None, text)
    return out


def passes(text: str) -> int:
    """A number of passes over the corpus: 1 or more (0 would time nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} passes: at least 1 is needed to time anything")
    return value


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=passes, default=5, help="passes over the corpus for MIA (>= 1)")
    ap.add_argument("--hassil-repeat", type=passes, default=1, help="passes over the corpus for hassil (>= 1)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args()

    cases = load_corpus()
    sentences = [c["t"] for c in cases]
    print(f"corpus: {len(sentences)} sentences ({', '.join(p.name for p in CORPUS)})")
    print(f"python {platform.python_version()} on {platform.machine()}, one process, one thread")
    build = native.state()
    print(build.line())

    t0 = time.perf_counter()
    parser = Parser.from_paths()
    build_s = time.perf_counter() - t0
    mia_results = [parser.parse(t) for t in sentences]
    mia_ok = sum(correct(c, r.matched, r.intent, r.slots) for c, r in zip(cases, mia_results))
    exact = [t for t, r in zip(sentences, mia_results) if r.method == "exact"]
    other = [t for t, r in zip(sentences, mia_results) if r.method != "exact"]
    timings: list[Timing] = []
    for clock in ("cpu", "wall"):
        timings.append(measure("mia", parser.parse, sentences, args.repeat, clock))
        timings.append(measure("mia (exact matches)", parser.parse, exact, args.repeat, clock))
        timings.append(measure("mia (fuzzy / rejected)", parser.parse, other, args.repeat, clock))

    from hassil import Intents, recognize  # imported late: optional bench dependency

    grammar = load_grammar()
    t0 = time.perf_counter()
    hassil_intents: list[Intents] = []
    notes: list[str] = []
    for lang in grammar.languages:
        data, lang_notes = to_hassil(grammar, lang)
        hassil_intents.append(Intents.from_dict(data))
        notes.extend(f"[{lang}] {n}" for n in lang_notes)
    hassil_build_s = time.perf_counter() - t0

    def hassil_parse(text: str) -> Any:
        for intents in hassil_intents:
            result = recognize(text, intents)
            if result is not None:
                return result
        return None

    for clock in ("cpu", "wall"):
        timings.append(measure("hassil", hassil_parse, sentences, args.hassil_repeat, clock))
    hassil_ok = 0
    for case, text in zip(cases, sentences):
        result = hassil_parse(text)
        slots = {k: v.value for k, v in result.entities.items()} if result else {}
        hassil_ok += correct(case, result is not None, result.intent.name if result else None, slots)

    rows = [t.row() for t in sorted(timings, key=lambda t: (t.clock, t.name))]
    print()
    print(f"{'parser':24} {'clock':>5} {'utt':>6} {'utt/s':>9} {'p50 µs':>8} {'p90 µs':>8} {'p99 µs':>8} {'max µs':>9}")
    for r in rows:
        print(f"{r['parser']:24} {r['clock']:>5} {r['utterances']:6d} {r['throughput_per_s']:9d} {r['p50_us']:8.1f} "
              f"{r['p90_us']:8.1f} {r['p99_us']:8.1f} {r['max_us']:9.1f}")
    mia = next(t for t in timings if t.name == "mia" and t.clock == "cpu")
    hassil = next(t for t in timings if t.name == "hassil" and t.clock == "cpu")
    print()
    print(f"build: mia {build_s:.2f} s (both languages, exact + fuzzy indexes), hassil {hassil_build_s:.2f} s")
    print(f"accuracy on the corpus (intent + every slot, rejections rejected): "
          f"mia {mia_ok}/{len(cases)} ({100 * mia_ok / len(cases):.1f} %), "
          f"hassil {hassil_ok}/{len(cases)} ({100 * hassil_ok / len(cases):.1f} %)")
    print(f"mia methods: {len(exact)} exact, {len(other)} fuzzy or rejected")
    speedup = mia.throughput / hassil.throughput if hassil.throughput else float("inf")
    print(f"mia has {speedup:.0f}x hassil's throughput on this corpus (CPU time)")
    target = "met" if mia.throughput >= 20000 and mia.pct(99) <= 1000 else "NOT met"
    print(f"target >= 20 000 utt/s and p99 <= 1 ms on one core (CPU time): {target}")
    print("(wall-clock rows include pre-emption by other processes: compare them only on an idle machine)")
    print("\nnot converted to hassil:")
    for note in notes:
        print(f"  - {note}")
    if args.json:
        args.json.write_text(json.dumps({"parser_build": "compiled" if build.compiled else "pure", "rows": rows, "build_s": {"mia": build_s, "hassil": hassil_build_s},
                                         "accuracy": {"mia": mia_ok, "hassil": hassil_ok, "total": len(cases)},
                                         "not_converted": notes}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
