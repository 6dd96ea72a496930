"""Calibrate and measure `pocketsphinx-verified` (PocketSphinx proposes, Whisper verifies), English.

    # 1. collect: every file through the live endpointer (segments cached, as bench/asr_search.py),
    #    then PocketSphinx + the Whisper verification on each segment, one JSON line per segment
    python bench/asr_verify.py --every 2 --out clean.jsonl
    python bench/asr_verify.py --every 4 --offset 1 --noise audio_fixtures/generated/noise/babble.wav \
        --snr 6 --no-clean --out babble6.jsonl
    # 2. fit the thresholds on the calibration voices, print the held-out voices
    python bench/asr_verify.py --fit clean.jsonl babble6.jsonl [--safety-margin 0.3]

The rows keep every feature the decision uses (Whisper's margin, agreement, coverage, no-speech
probability, PocketSphinx's confidence), so `--fit` replays any thresholds offline: it keeps the
setting with the most commands understood and no wrong action nor out-of-domain acceptance on
the calibration voices (pico-en-US, pico-en-GB, mb-us1, mb-us2, half the noise-only items), adds
`--safety-margin` to the margin, and prints, on the *held-out* voices (mb-us3, mb-en1, the other
noise-only items) and side by side on the same segments: PocketSphinx alone (its own gate, as
shipped), and the verified recogniser with the shipped (`VerifySettings()`) and fitted thresholds.
Files count as understood when exactly one segment is accepted and it means the labelled command.
CPU per utterance = process time of PocketSphinx + verification for one segment.
"""
from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audio_fixtures import add_fixture_arguments  # noqa: E402

CALIBRATION_VOICES = ("pico-en-US", "pico-en-GB", "mb-us1", "mb-us2")


def _asr_search() -> Any:
    spec = importlib.util.spec_from_file_location("asr_search", REPO / "bench" / "asr_search.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def held_out(row: dict[str, Any]) -> bool:
    voice = row["file"].split("/")[0]
    if voice == "none":  # noise-only items: every other one (by name) is held out
        return sum(map(ord, row["file"])) % 2 == 1
    return voice not in CALIBRATION_VOICES


def collect(args: argparse.Namespace) -> int:
    from assistant.asr.verified import VerifiedRecognizer
    from assistant.grammar import load_grammar
    from assistant.harness.labels import load_dataset
    from assistant.harness.scoring import Inferred, score

    dataset = load_dataset(args.audio, args.labels)
    items = [it for it in dataset.items if not args.voices or it[1].file.split("/")[0] in args.voices]
    items = [it for i, it in enumerate(items) if i % args.every == args.offset % args.every or it[1].intent is None]
    segments = _asr_search()._segments(args, items)
    rec = VerifiedRecognizer(args.model, load_grammar(None))
    by_path = {str(path): label for path, label in items}
    out = open(args.out, "w", encoding="utf-8")
    t0 = time.perf_counter()
    for n, ((key, cond), pcms) in enumerate(segments.items()):
        label = by_path.get(key)
        if label is None:
            continue
        for seg_i, pcm in enumerate(pcms):
            # As the live path: PocketSphinx decodes while the audio streams in (`feed`), the
            # verification runs after the endpoint (`final`): CPU of both, apart.
            from assistant.audio.pcm import iter_chunks

            rec.reset()
            c0 = time.process_time()
            for chunk in iter_chunks(pcm):
                rec.feed(chunk)
            c1 = time.process_time()
            tr = rec.final()
            cpu = time.process_time() - c0
            final_cpu = time.process_time() - c1
            det = tr.detail
            ps = det.get("pocketsphinx", {})

            def right(intent: Any, slots: Any) -> bool:
                return bool(label.intent and intent and score(label, [Inferred(intent, dict(slots or {}))]).accepted)

            out.write(json.dumps({
                "file": label.file, "condition": cond, "segment": seg_i, "segments": len(pcms),
                "command": label.intent is not None, "text": label.text,
                "right": right(det.get("intent"), det.get("slots")),
                "runner_up_right": right((det.get("runner_up") or {}).get("intent"),
                                         (det.get("runner_up") or {}).get("slots")),
                "accepted_now": tr.accepted, "reason": det.get("reason"),
                "ps_text": ps.get("text"), "ps_confidence": ps.get("confidence", 0.0),
                "ps_accepted": ps.get("ps_accepted", False),
                **{k: det.get(k) for k in ("hypothesis", "intent", "slots", "free", "free_in_grammar", "no_speech_prob",
                                           "margin", "agreement", "coverage", "ambiguous", "gap", "rivals",
                                           "free_mean", "own_mean", "surface", "runner_up",
                                           "candidates", "encode_s", "free_s", "rescore_s")},
                "cpu_s": round(cpu, 4), "final_cpu_s": round(final_cpu, 4), "wall_s": round(tr.processing_s, 4), "decode_s": round(tr.decode_s, 4),
                "audio_s": round(len(pcm) / 16000, 3),
            }, ensure_ascii=False) + "\n")
        print(f"\r{n + 1}/{len(segments)} {time.perf_counter() - t0:.0f} s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    out.close()
    rec.close()
    return 0


# ---------------------------------------------------------------------------------------- fitting
def accept_rule(margin: float, agreement: float, coverage: float, ps_conf: float, no_speech: float,
                gap: float) -> Any:
    def accept(r: dict[str, Any]) -> bool:
        if r.get("margin") is None or r.get("ambiguous"):
            return False
        return (r["margin"] >= margin and r["agreement"] >= agreement and r["coverage"] >= coverage
                and r["ps_confidence"] >= ps_conf and r["no_speech_prob"] <= no_speech and r["gap"] <= gap)
    return accept


def ps_alone(r: dict[str, Any]) -> bool:
    return bool(r.get("ps_accepted"))


def ps_alone_right(r: dict[str, Any]) -> bool:
    """PocketSphinx's own sentence means the label (its meaning is the proposal's)."""
    return bool(r.get("right"))


def per_file(rows: list[dict[str, Any]], accept: Any) -> dict[tuple[str, str], tuple[bool, bool, bool]]:
    """(file, condition) -> (is a command, understood exactly once as labelled, acted wrongly)."""
    files: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        files.setdefault((r["file"], r["condition"]), []).append(r)
    out = {}
    for key, segs in files.items():
        acc = [r for r in segs if accept(r)]
        command = segs[0]["command"]
        good = command and len(acc) == 1 and acc[0]["right"]
        wrong = any(not r["right"] for r in acc) or (command and len(acc) > 1)
        out[key] = (command, good, wrong)
    return out


def table(rows: list[dict[str, Any]], accept: Any) -> dict[str, tuple[int, int, int, int, int]]:
    """condition -> (commands, understood, wrong, out-of-domain items, out-of-domain refused)."""
    cells: dict[str, list[int]] = {}
    for (_, cond), (command, good, wrong) in per_file(rows, accept).items():
        c = cells.setdefault(cond, [0, 0, 0, 0, 0])
        if command:
            c[0] += 1
            c[1] += good
            c[2] += wrong
        else:
            c[3] += 1
            c[4] += not wrong
    return {k: (v[0], v[1], v[2], v[3], v[4]) for k, v in cells.items()}


def fmt(cell: tuple[int, int, int, int, int]) -> str:
    n, good, wrong, ood, refused = cell
    return f"{good}/{n} {good / max(1, n):.1%} [{wrong}], OOD refused {refused}/{ood}"


GRID = {
    "margin": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5),
    "agreement": (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
    "coverage": (0.0, 0.5),
    "ps_conf": (0.0, 0.05, 0.2, 0.5),
    "no_speech": (1.0, 0.8),
    "gap": (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 100.0),
}


def fit(rows: list[dict[str, Any]], safety: float) -> None:
    from assistant.asr.verified import VerifySettings

    calib = [r for r in rows if not held_out(r)]
    test = [r for r in rows if held_out(r)]
    best: tuple[int, tuple[float, ...]] | None = None
    for combo in itertools.product(*GRID.values()):
        files = per_file(calib, accept_rule(*combo))
        if any(w for _, _, w in files.values()):
            continue
        good = sum(g for _, g, _ in files.values())
        # Ties: the stricter setting is the safer one (larger margin, agreement..., smaller gap).
        strict = combo[:-1] + (-combo[-1],)
        if best is None or good > best[0] or (good == best[0] and strict > best[1][:-1] + (-best[1][-1],)):
            best = (good, combo)
    if best is None:
        print("no setting is safe on the calibration voices")
        return
    combo = best[1]
    shipped = VerifySettings()
    shipped_combo = (shipped.margin, shipped.agreement, shipped.coverage, shipped.min_ps_confidence,
                     shipped.max_no_speech, shipped.max_gap)
    safe = (combo[0] + safety, *combo[1:])
    names = ", ".join(f"{k} {v}" for k, v in zip(GRID, combo))
    print(f"fitted on the calibration voices ({', '.join(CALIBRATION_VOICES)}, half the noise-only items): {names}; "
          f"{best[0]} files understood, no wrong action, no out-of-domain acceptance")
    print(f"with safety: margin {safe[0]:.2f}; shipped: {shipped_combo}")
    systems = {"PocketSphinx alone (its gate)": ps_alone, "verified, shipped": accept_rule(*shipped_combo),
               "verified, fitted": accept_rule(*combo), "verified, fitted + safety": accept_rule(*safe)}
    for title, subset in (("calibration voices", calib), ("HELD-OUT voices", test)):
        print(f"\n{title}: understood/n [wrong actions], out-of-domain refused")
        for name, rule in systems.items():
            cells = table(subset, rule)
            print(f"  {name:32s} " + " | ".join(f"{c}: {fmt(v)}" for c, v in sorted(cells.items())))
    for title, subset in (("calibration", calib), ("held-out", test)):
        right_best = [r for r in subset if r["command"]]
        print(f"{title}: PocketSphinx's sentence right for {sum(r['right'] for r in right_best)}/{len(right_best)} "
              f"command segments")
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[int(q * (len(ordered) - 1))] * 1000

    cpu = [r["cpu_s"] for r in rows]
    final = [r["final_cpu_s"] for r in rows if "final_cpu_s" in r]
    wall = [r["decode_s"] for r in rows]
    if cpu:
        print(f"CPU per utterance, PocketSphinx streaming + verification: p50 {pct(cpu, 0.5):.0f} ms, "
              f"p95 {pct(cpu, 0.95):.0f} ms (n={len(cpu)})")
        if final:
            print(f"CPU after the endpoint (PocketSphinx final + Whisper verification): p50 {pct(final, 0.5):.0f} ms, "
                  f"p95 {pct(final, 0.95):.0f} ms")
        print(f"wall after the endpoint: p50 {pct(wall, 0.5):.0f} ms, p95 {pct(wall, 0.95):.0f} ms")
    refused = [r for r in test if r["command"] and not rule_accepts(systems["verified, fitted + safety"], r)]
    print("\nheld-out commands refused by the fitted gate, why (first 15):")
    for r in refused[:15]:
        print(f"  {r['condition']:10s} {r['file']}: said {r['text']!r} PS {r['ps_text']!r} free {r['free']!r} "
              f"margin {r['margin']} agree {r['agreement']} right={r['right']}")


def rule_accepts(rule: Any, row: dict[str, Any]) -> bool:
    return bool(rule(row))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_fixture_arguments(p, langs=("en",))
    p.add_argument("--model", default=str(REPO.parent / "shared" / "models" / "faster-whisper-base"))
    p.add_argument("--noise", nargs="+")
    p.add_argument("--snr", nargs="+", type=float, default=[6.0])
    p.add_argument("--no-clean", action="store_true")
    p.add_argument("--every", type=int, default=2)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--voices", nargs="+")
    p.add_argument("--cache", default="/tmp/mia-asr-search-cache")
    p.add_argument("--out", help="collect: one JSON line per segment")
    p.add_argument("--fit", nargs="+", help="fit on these collected files instead of collecting")
    p.add_argument("--safety-margin", type=float, default=0.0)
    args = p.parse_args(argv)
    if args.fit:
        rows = [json.loads(line) for f in args.fit for line in open(f, encoding="utf-8") if line.strip()]
        fit(rows, args.safety_margin)
        return 0
    if not args.out:
        p.error("--out is required to collect (or --fit FILES)")
    return collect(args)


if __name__ == "__main__":
    sys.exit(main())
