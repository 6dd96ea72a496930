"""Where the CPU of one `whisper-grammar` utterance goes: process time per stage, and a profile.

    python bench/asr_profile.py [--every 10] [--voices mb-fr4 ...] [--limit 40] [--noise babble.wav --snr 6] \
        [--set threads=1 ...] [--profile out.prof] [--top 30]

The utterances are the endpointed segments of `bench/asr_search.py` (same cache, same subset
options). Each is decoded once through the recogniser's `_decode` (encoder, search, rules and
gate, as the live path does); the stages are timed in process time by wrapping the recogniser's
parts, so a shared machine inflates them less than wall time. With `--profile`, cProfile runs
over the same loop (process time) and prints its first `--top` functions by internal time.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from asr_search import _segments, _settings, add_search_arguments, subset  # noqa: E402


def _timed(obj: Any, name: str, stage: str, spent: dict[str, float]) -> None:
    """Replace `obj.name` by a wrapper adding its process time to `spent[stage]`."""
    inner: Callable[..., Any] = getattr(obj, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        c0 = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[stage] = spent.get(stage, 0.0) + time.process_time() - c0

    setattr(obj, name, wrapper)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_search_arguments(p, every=10)
    p.add_argument("--limit", type=int, default=0, help="at most that many utterances (0: all)")
    p.add_argument("--repeat", type=int, default=1, help="decode each utterance that many times")
    p.add_argument("--profile", help="write a cProfile of the loop there and print its top functions")
    p.add_argument("--top", type=int, default=30)
    args = p.parse_args(argv)

    from assistant.asr.constrained_whisper import ConstrainedWhisperRecognizer
    from assistant.grammar import load_grammar
    from assistant.harness.labels import load_dataset

    segments = _segments(args, subset(args, load_dataset(args.audio, args.labels)))
    pcms = [pcm for seg in segments.values() for pcm in seg if len(pcm) >= 1600]
    if args.limit:
        pcms = pcms[:args.limit]
    c0 = time.process_time()
    rec = ConstrainedWhisperRecognizer(args.model, load_grammar(None), settings=_settings(args.set))
    print(f"start-up (compile + warm-up) {time.process_time() - c0:.2f} s CPU", file=sys.stderr)
    spent: dict[str, float] = {}
    engine = rec.engine
    _timed(engine.encoder, "encode", "encoder", spent)
    _timed(engine.decoder, "cross", "cross keys/values", spent)
    _timed(engine.decoder, "step", "decoder steps", spent)
    _timed(engine.decoder, "first_steps", "decoder steps", spent)
    _timed(rec.rescorer, "intent_margin", "confusable rule (forced)", spent)
    import assistant.asr.confidence as confidence

    _timed(confidence, "decide", "gate + rules", spent)
    _timed(confidence, "rank", "rank", spent)
    _timed(rec.automaton, "text", "grammar text", spent)
    _timed(rec.search, "run", "search (total)", spent)
    cpu: list[float] = []
    prof = cProfile.Profile(time.process_time) if args.profile else None
    for _ in range(args.repeat):
        for pcm in pcms:
            audio = pcm.astype(np.float32) / 32768.0
            t = time.process_time()
            if prof is not None:
                prof.enable()
            rec._decode(audio)
            if prof is not None:
                prof.disable()
            cpu.append(time.process_time() - t)
    total = sum(cpu)
    q = sorted(cpu)
    print(f"utterances {len(cpu)}; CPU per utterance p50 {statistics.median(q) * 1000:.0f} ms, "
          f"p95 {q[int(0.95 * (len(q) - 1))] * 1000:.0f} ms, mean {total / len(q) * 1000:.0f} ms")
    steps = spent.get("decoder steps", 0.0)
    search = spent.get("search (total)", 0.0)
    rows = dict(spent)
    rows["search outside decoder steps/cross"] = search - steps - spent.get("cross keys/values", 0.0)
    for stage, s in sorted(rows.items(), key=lambda kv: -kv[1]):
        print(f"  {stage:38s} {s / len(cpu) * 1000:7.1f} ms / utterance  {s / total:6.1%}")
    if prof is not None:
        prof.dump_stats(args.profile)
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
