"""The reply gate of `whisper-grammar` in a confirmation context: calibration and figures.

    python bench/asr_search.py --every 1 --match 'short_|reply_' --context confirmation --out replies.jsonl
    python bench/asr_search.py --every 3 --match '^(?!.*(short|reply)_)' --context confirmation --out cmd.jsonl
    python bench/asr_replies.py replies.jsonl cmd.jsonl [babble.jsonl ...] [--fit] [--safety 0.1] \
        [--drop "C'est parti" ...] [--forms-only]

Reads the rows `bench/asr_search.py --context confirmation` writes (each utterance decoded as said
right after a read-back: the full search's decision, `search_intent`, and the reply scoring's
features, `reply`) and prints, per language, voice group (calibration voices / held-out voices, as
bench/asr_calibrate.py splits them) and condition, side by side:

* the answers to a read-back (files labelled confirm / cancel): understood, wrong, refused,
  without the context (the full search alone, today's path) and with it;
* every other command said during the read-back: how many became confirm (must be 0), cancel
  (acceptable: nothing is sent), themselves, another command, refused;
* out-of-domain sentences and noise-only items accepted as a reply (must be 0);
* the reply path's CPU per utterance (process time of the whole decoding, p50 / p95).

`--fit` searches the thresholds of `replies.ReplyGate` on the calibration voices (half the
noise-only items): confirm first, the most confirms accepted with no confirm for anything else
(another answer, a command, out-of-domain, noise), then cancel, the most cancels accepted with no
cancel for a confirm and no reply for out-of-domain or noise; among equals, the strictest
thresholds; then `--safety` is added to each margin. It prints the `ReplyGate(...)` to paste into
assistant/asr/replies.py and the figures with it.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterable
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from asr_calibrate import _held_out  # noqa: E402

from assistant.asr.replies import REPLY_INTENTS, ReplyGate  # noqa: E402


def decided(row: dict[str, Any], gate: ReplyGate | None) -> str | None:
    """The intent acted on for `row`: without the context (`gate` None), the full search's; with
    it, as `ConstrainedWhisperRecognizer._with_reply` decides."""
    search = row.get("search_intent")
    if gate is None:
        return search
    f = row.get("reply") or {}
    if search is not None:
        return None if search == "confirm" and f.get("meaning") == "cancel" else search
    return f["meaning"] if f.get("meaning") and gate.accepts(f) else None


def restrict(row: dict[str, Any], drop: set[str], forms_only: bool) -> dict[str, Any]:
    """`row` with its reply features computed again without some sentences (`drop`: written forms
    such as "C'est parti"; `forms_only`: without the search's own reply sentences), from the raw
    scores the rows keep."""
    f = row.get("reply") or {}
    if not f.get("scores") or not (drop or forms_only):
        return row
    best: dict[str, tuple[float, str, str]] = {}
    for intent, lang, surface, source, score in f["scores"]:
        if surface.strip() in drop or (forms_only and source != "reply"):
            continue
        if intent not in best or score > best[intent][0]:
            best[intent] = (score, surface, lang)
    if not best:
        return {**row, "reply": {**f, "meaning": None}}
    meaning = max(best, key=lambda k: best[k][0])
    top, surface, lang = best[meaning]
    other = max((v[0] for k, v in best.items() if k != meaning), default=-99.0)
    command = f.get("command_score")
    cap = 10.0
    return {**row, "reply": {**f, "meaning": meaning, "score": top, "surface": surface, "lang": lang,
                             "margin": min(cap, top - other),
                             "command": cap if command is None else min(cap, top - command),
                             "free": min(cap, top - f["free_score"])}}


def kind(row: dict[str, Any]) -> str:
    label = row.get("label_intent")
    if label in REPLY_INTENTS:
        return "reply"
    return "ood" if label is None else "command"


def wrong(row: dict[str, Any], out: str | None) -> bool:
    """A decision that must never happen: a confirm for anything but a confirm, a cancel for a
    confirm, any reply for out-of-domain speech or noise, a command for another."""
    label = row.get("label_intent")
    if out is None:
        return False
    if out == "confirm":
        return label != "confirm"
    if out == "cancel":
        return label == "confirm" or label is None
    if label is None or label in REPLY_INTENTS:
        return True
    return not (out == label and row.get("right"))


def tally(rows: Iterable[dict[str, Any]], gate: ReplyGate | None) -> dict[str, int]:
    t = dict(n=0, understood=0, wrong=0, refused=0, confirm=0, cancel=0, itself=0, other=0)
    for r in rows:
        out = decided(r, gate)
        t["n"] += 1
        k = kind(r)
        if k == "command":
            if out == "confirm":
                t["confirm"] += 1
            elif out == "cancel":
                t["cancel"] += 1
            elif out is None:
                t["refused"] += 1
            elif out == r["label_intent"] and r.get("right"):
                t["itself"] += 1
            else:
                t["other"] += 1
            continue
        if out is None:
            t["refused"] += 1
        elif wrong(r, out):
            t["wrong"] += 1
        else:
            t["understood"] += 1
    return t


def group_of(row: dict[str, Any]) -> str:
    return "held-out" if _held_out(row) else "calibration"


def report(rows: list[dict[str, Any]], gate: ReplyGate) -> None:
    cells: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        cells.setdefault((kind(r), r.get("lang") or "?", group_of(r), r["condition"]), []).append(r)
    sections = {
        "reply": "\nanswers to a read-back (confirm / cancel files): understood / wrong / refused\n"
                 "lang  voices       condition   n    without context        with the context",
        "command": "\ncommands said during a read-back, with the context: confirm / cancel / itself / other / refused",
        "ood": "\nout-of-domain and noise-only items accepted as anything: with the context (without)",
    }
    for section, title in sections.items():
        print(title)
        for (k, lang, grp, cond), rs in sorted(cells.items()):
            if k == section:
                a, b = tally(rs, None), tally(rs, gate)
                print(f"{lang:5s} {grp:12s} {cond:10s} {b['n']:3d}   {_line(section, a, b)}")
    cpu = sorted(r["cpu_s"] for r in rows if r.get("cpu_s") is not None)
    scored = sorted((r.get("reply") or {}).get("reply_cpu_s", 0.0) for r in rows
                    if (r.get("reply") or {}).get("reply_cpu_s") is not None)
    if cpu:
        print(f"\nCPU per utterance in the context (whole decoding, process time): p50 {statistics.median(cpu) * 1000:.0f} ms, "
              f"p95 {cpu[int(0.95 * (len(cpu) - 1))] * 1000:.0f} ms (n={len(cpu)})")
    if scored:
        print(f"  of which the reply scoring, when it ran: p50 {statistics.median(scored) * 1000:.0f} ms, "
              f"p95 {scored[int(0.95 * (len(scored) - 1))] * 1000:.0f} ms (n={len(scored)}; it does not run "
              f"when the search accepted a command other than confirm)")


def _line(section: str, a: dict[str, int], b: dict[str, int]) -> str:
    """One row of a section: `a` without the context, `b` with it."""
    if section == "reply":
        return f"{_triple(a):20s}   {_triple(b)}"
    if section == "command":
        return (f"confirm {b['confirm']}  cancel {b['cancel']}  itself {b['itself']}  other {b['other']}  "
                f"refused {b['refused']}   (without: itself {a['itself']}, other {a['other']}, "
                f"confirm {a['confirm']}, cancel {a['cancel']})")
    return f"{b['wrong']} ({a['wrong']})"


def _triple(t: dict[str, int]) -> str:
    n = max(1, t["n"])
    return f"{t['understood']}/{t['n']} {t['understood'] / n:5.1%} [{t['wrong']}] {t['refused']}"


GRID = {
    "margin": [x / 20 for x in range(0, 61)],
    "command": [x / 4 for x in range(-8, 17)],
    "free": [x / 10 for x in range(-30, 6)],
}


def fit(rows: list[dict[str, Any]], meaning: str, base: ReplyGate) -> ReplyGate:
    """The thresholds of `meaning` (see the module docstring) on the rows (calibration voices)."""
    pre = "confirm_" if meaning == "confirm" else "cancel_"
    # Only the rows the search refused (or where it accepted a confirm) reach the reply gate.
    cand = [r for r in rows if (r.get("reply") or {}).get("meaning") == meaning and r.get("search_intent") is None]
    import numpy as np

    feats = {k: np.array([r["reply"][k] for r in cand], dtype=float).reshape(-1) for k in GRID}
    bad = np.array([wrong(r, meaning) for r in cand], dtype=bool)
    good = np.array([r.get("label_intent") == meaning for r in cand], dtype=bool)
    # (margin, command, free, rows): accepted by each setting of the grid (the other thresholds as `base`).
    grid = [np.array(GRID[k]) for k in GRID]
    ok = ((feats["margin"][None, None, None, :] >= grid[0][:, None, None, None])
          & (feats["command"][None, None, None, :] >= grid[1][None, :, None, None])
          & (feats["free"][None, None, None, :] >= grid[2][None, None, :, None]))
    n_bad = (ok & bad).sum(-1)
    n_good = (ok & good).sum(-1)
    score = np.where(n_bad == 0, n_good * 1000.0 + grid[0][:, None, None] + grid[1][None, :, None]
                     + grid[2][None, None, :], -np.inf)
    a, b, c = np.unravel_index(int(np.argmax(score)), score.shape)
    return replace(base, **{pre + "margin": float(grid[0][a]), pre + "command": float(grid[1][b]),
                            pre + "free": float(grid[2][c])})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("rows", nargs="+", help="JSON lines of bench/asr_search.py --context confirmation")
    p.add_argument("--fit", action="store_true", help="fit the gate on the calibration voices")
    p.add_argument("--safety", type=float, default=0.1, help="added to each fitted margin (nats)")
    p.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help="ReplyGate fields to try")
    p.add_argument("--drop", nargs="*", default=[], metavar="SENTENCE",
                   help="leave these reply sentences out (as written: \"C'est parti\")")
    p.add_argument("--forms-only", action="store_true",
                   help="only the grammar's reply sentences (the `replies:` of confirm / cancel), not the search's own")
    args = p.parse_args(argv)
    # One row per utterance: a file decoded in two runs counts once, as the later run heard it.
    unique = {(r["file"], r["lang"], r["condition"], r.get("segment", 0)): r
              for path in args.rows for line in open(path, encoding="utf-8") if line.strip()
              for r in [json.loads(line)]}
    rows = list(unique.values())
    rows = [restrict(r, set(args.drop), args.forms_only)
            for r in rows if "search_intent" in r]  # every utterance (a noisy file may hold two)
    gate = ReplyGate()
    if args.set:
        kinds = {f.name: f.type for f in fields(ReplyGate)}
        gate = replace(gate, **{k: float(v) for k, _, v in (s.partition("=") for s in args.set) if k in kinds})
    if args.fit:
        cal = [r for r in rows if not _held_out(r)]
        gate = fit(cal, "confirm", gate)
        gate = fit(cal, "cancel", gate)
        s = args.safety
        gate = replace(gate, confirm_margin=gate.confirm_margin + s, confirm_command=gate.confirm_command + s,
                       confirm_free=gate.confirm_free + s, cancel_margin=gate.cancel_margin + s,
                       cancel_command=gate.cancel_command + s, cancel_free=gate.cancel_free + s)
        print("fitted on the calibration voices (+ safety):", file=sys.stderr)
    print(f"ReplyGate({', '.join(f'{k}={round(v, 3)!r}' for k, v in asdict(gate).items())})")
    report(rows, gate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
