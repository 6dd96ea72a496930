"""Side by side on the same labelled recordings: PocketSphinx (English) + free Whisper (French) as
shipped before, free Whisper + parser for both languages, the grammar-constrained Whisper, and
PocketSphinx verified by Whisper for English (`verified`; French by the constrained Whisper), next
to PocketSphinx alone for English (`mixed`).

    python bench/asr_compare.py --audio DIR --labels labels_en.json labels_fr.json \
        [--noise babble.wav --snr 24 15 6] [--every 1] [--systems baseline,whisper,whisper-grammar]
    python bench/asr_compare.py --audio audio_fixtures/generated/en --labels audio_fixtures/labels_en.json \
        --systems mixed,whisper-grammar,verified --every 4 --noise babble.wav --snr 6

Every configuration listens to *both* languages, through exactly the live path (the harness:
WAV source -> endpointer -> recognisers -> parser -> confidence gate). Printed per system:

* command acceptance per language, clean and at each SNR (the utterance understood exactly as
  labelled, once);
* wrong actions: a command understood as a different intent or with a different slot value (or
  acted on twice), and false accepts: anything inferred for an out-of-domain item;
* latency, end of speech -> intent: from the endpointer's decision (which comes after its
  trailing silence, `asr.trailing_silence_s`, 0.5 s by default, reported separately) to the
  parsed intent, p50 / p95; with `--realtime` also from the last speech frame (what the user
  feels: the trailing silence included); and CPU time per utterance (process time of the whole
  path, speculative decodings included, which a loaded machine inflates much less than wall time),
  with the load average before and after each system;
* `--realtime` delivers the audio at the speed of speech, as a microphone does: needed to measure
  the speculative final decoding (started at the endpointer's pause announcement, 0.3 s before it
  closes the utterance); read as fast as possible, the file reaches the close before a speculation
  can have done anything. `--speculate 0.2` turns the endpointer's pause announcement on (off by
  default: see docs/asr.md, "Latency").
* the compile time and size of the grammar automaton.

On a shared, loaded machine wall-clock figures are inflated: compare systems within one run, and
quote the CPU time too.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audio_fixtures import add_fixture_arguments  # noqa: E402
from assistant.asr.constrained_whisper import FILLS  # noqa: E402

SYSTEMS = {
    "baseline": ({"backend_en": "pocketsphinx", "backend_fr": "whisper"}, "PocketSphinx EN + free Whisper FR"),
    "whisper": ({"backend_en": "whisper", "backend_fr": "whisper"}, "free Whisper + parser, EN and FR"),
    "whisper-grammar": ({"backend_en": "whisper-grammar", "backend_fr": "whisper-grammar"},
                        "Whisper constrained by the grammar, EN+FR in one search"),
    "verified": ({"backend_en": "pocketsphinx-verified", "backend_fr": "whisper-grammar"},
                 "PocketSphinx verified by Whisper EN + Whisper constrained by the French grammar"),
    "mixed": ({"backend_en": "pocketsphinx", "backend_fr": "whisper-grammar"},
              "PocketSphinx EN + Whisper constrained by the French grammar"),
}
WRONG = {"wrong_intent", "wrong_value", "missing_slot", "extra_slot", "several_inferences"}


@dataclass
class Cell:
    n: int = 0
    accepted: int = 0
    wrong: int = 0


@dataclass
class Tally:
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)  # (language, condition) -> commands
    ood: dict[str, Cell] = field(default_factory=dict)  # condition -> out-of-domain items
    latency: list[float] = field(default_factory=list)
    from_speech_end: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    load: list[str] = field(default_factory=list)  # load average before and after


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def run_system(name: str, args: argparse.Namespace, items: list[Any], conditions: list[Any], noisy_every: int) -> Tally:
    from assistant.harness.runner import build_pipeline, reference_speech_power, run_file
    from trading_core.config import load_config

    overrides, _ = SYSTEMS[name]
    config = load_config(None, env={}, overrides={"asr": {"whisper_model": args.model, **overrides}})
    pipeline = build_pipeline(config, lang="auto")
    if args.speculate is not None:
        pipeline.endpointer_config = replace(pipeline.endpointer_config, pause_s=args.speculate)
    for rec in pipeline.recognizers.values():
        if args.fill and hasattr(rec, "settings") and hasattr(rec.settings, "fill"):
            rec.settings = replace(rec.settings, fill=args.fill)
    for line in pipeline.startup:
        print("   ", line)
    reference = reference_speech_power(items) if any(not c.is_clean for c in conditions) else None
    tally = Tally()
    tally.load.append(load_average())
    try:
        for cond in conditions:
            subset = items if cond.is_clean else items[::noisy_every]
            for k, (path, label) in enumerate(subset):
                c0 = time.process_time()
                out = run_file(pipeline, path, label, cond, reference_power=reference, realtime=args.realtime)
                cpu = time.process_time() - c0
                heard = out.scored_heard
                if heard:
                    tally.cpu.append(cpu / len(heard))
                    tally.latency.extend(h.latency_s for h in heard)
                    tally.from_speech_end.extend(h.from_speech_end_s for h in heard)
                if label.intent is None:
                    cell = tally.ood.setdefault(cond.name, Cell())
                    cell.n += 1
                    cell.wrong += not out.accepted
                    continue
                cell = tally.cells.setdefault((label.language or "?", cond.name), Cell())
                cell.n += 1
                cell.accepted += out.accepted
                cell.wrong += (not out.accepted) and (out.score.error in WRONG)
                if sys.stderr.isatty():  # a progress line on a terminal; a log file gets the total only
                    print(f"\r    {cond.name}: {k + 1}/{len(subset)}", end="", file=sys.stderr, flush=True)
            print(f"\r    {cond.name}: {len(subset)}/{len(subset)}", file=sys.stderr)
    finally:
        pipeline.close()
    tally.load.append(load_average())
    return tally


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def report(results: dict[str, Tally], conditions: list[Any], trailing_s: float, realtime: bool = False) -> None:
    names = [c.name for c in conditions]
    print(f"\nCommand acceptance (accepted/n, wrong actions in brackets); end of speech = the endpointer's "
          f"decision, after {trailing_s:.1f} s of trailing silence")
    for system, tally in results.items():
        print(f"\n{system}: {SYSTEMS[system][1]}")
        for lang in sorted({k[0] for k in tally.cells}):
            row = []
            for cond in names:
                c = tally.cells.get((lang, cond))
                if c:
                    row.append(f"{cond}: {c.accepted}/{c.n} {c.accepted / c.n:.1%} [{c.wrong}]")
            print(f"  {lang}: " + " | ".join(row))
        ood = [f"{cond}: {tally.ood[cond].n - tally.ood[cond].wrong}/{tally.ood[cond].n} rejected"
               for cond in names if cond in tally.ood]
        print("  out-of-domain: " + (" | ".join(ood) if ood else "none in the set"))
        wrong = sum(c.wrong for c in tally.cells.values())
        fa = sum(c.wrong for c in tally.ood.values())
        print(f"  wrong actions: {wrong}, false accepts: {fa}")
        if tally.latency:
            print(f"  end of speech -> intent: p50 {statistics.median(tally.latency) * 1000:.0f} ms, "
                  f"p95 {_pct(tally.latency, 95) * 1000:.0f} ms (n={len(tally.latency)}); CPU per utterance "
                  f"p50 {statistics.median(tally.cpu) * 1000:.0f} ms, p95 {_pct(tally.cpu, 95) * 1000:.0f} ms")
            if realtime:
                print(f"  last speech frame -> intent (real time, {trailing_s:.1f} s trailing silence included): "
                      f"p50 {statistics.median(tally.from_speech_end) * 1000:.0f} ms, "
                      f"p95 {_pct(tally.from_speech_end, 95) * 1000:.0f} ms")
            else:
                print("  (audio read as fast as possible: --realtime for live latencies)")
            print(f"  load average (1/5/15 min) before: {tally.load[0]}, after: {tally.load[-1]}")


def automaton_figures(model: str) -> None:
    import tracemalloc

    from assistant.asr.token_graph import TokenAutomaton
    from assistant.asr.whisper_tokenizer import load_tokenizer
    from assistant.grammar import load_grammar
    from assistant.grammar.graph import word_graph

    tokenizer = load_tokenizer(model)
    _ = tokenizer.token_texts
    grammar = load_grammar(None)
    tracemalloc.start()
    c0 = time.process_time()
    automaton = TokenAutomaton({lang: word_graph(grammar, lang) for lang in grammar.languages}, tokenizer)
    automaton.prepare()
    cpu = time.process_time() - c0
    size, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stats = [g.stats() for g in automaton.graphs]
    print(f"Grammar automaton: {', '.join(f'{lang}: {s}' for lang, s in zip(automaton.langs, stats))}; "
          f"compiled in {cpu * 1000:.0f} ms CPU, {size / 1e6:.1f} MB")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # Without arguments (`make bench`): the project fixtures, both languages, a 1-in-10 subset.
    add_fixture_arguments(p)
    p.add_argument("--noise", nargs="+")
    p.add_argument("--snr", nargs="+", type=float, default=[24.0, 15.0, 6.0])
    p.add_argument("--every", type=int, default=10, help="use every k-th labelled file (default 10: a quicker subset; 1 for all)")
    p.add_argument("--every-noisy", type=int, default=0, help="in noise, every k-th of those (default: same)")
    p.add_argument("--systems", default="baseline,whisper,whisper-grammar")
    p.add_argument("--realtime", action="store_true",
                   help="deliver the audio at the speed of speech (live latencies; takes the audio's duration)")
    p.add_argument("--speculate", type=float, default=None, metavar="PAUSE_S",
                   help="announce a pause this long after the last speech frame, so the final decoding starts "
                        "then (speculative); 0: no announcement, the final decoding starts at the close "
                        "(default: the endpointer's setting, EndpointerConfig.pause_s)")
    p.add_argument("--fill", choices=FILLS, default=None,
                   help="what stands in for the trailing silence not heard at the pause "
                        "(default: SearchSettings.fill; docs/asr.md, 'Latency')")
    p.add_argument("--model", default=str(REPO.parent / "shared" / "models" / "faster-whisper-base"))
    args = p.parse_args(argv)

    from assistant.audio import EndpointerConfig
    from assistant.harness.labels import load_dataset
    from assistant.harness.noise import load_noise
    from assistant.harness.runner import conditions_for

    dataset = load_dataset(args.audio, args.labels)
    items = dataset.items[:: args.every]
    noises = [load_noise(n) for n in args.noise or []]
    conditions = conditions_for(noises, args.snr if noises else [])
    automaton_figures(args.model)
    print(f"{len(items)} files x {len(conditions)} conditions")
    results: dict[str, Tally] = {}
    for name in args.systems.split(","):
        print(f"\n== {name}")
        results[name] = run_system(name.strip(), args, items, conditions, max(1, args.every_noisy or 1))
        report({name: results[name]}, conditions, EndpointerConfig().trailing_silence_s, args.realtime)
    report(results, conditions, EndpointerConfig().trailing_silence_s, args.realtime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
