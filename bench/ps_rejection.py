"""PocketSphinx (English) rejection through the live path: command acceptance and false accepts of
out-of-domain speech, clean and in noise, for one or more gate centres (`reject_score`).

    python bench/ps_rejection.py [--every 1] [--every-noisy 4] [--noise babble music clatter]
        [--snr 24 15 6] [--centres -110,-118,-126] [--active-senones] [--save run.json | --load run.json]

Every English file of audio_fixtures/ (labels_en.json) goes through the harness path (WAV source ->
endpointer -> PocketSphinx -> parser -> confidence gate), clean and mixed with each noise at each SNR;
in noise, every k-th command (`--every-noisy`) and *every* rejection item. The recogniser runs once with
its acoustic gate open and keeps, for each utterance, the fit S and the coverage of its confidence, so
any centre is then scored offline (`--load` re-scores a saved run without decoding again).

Printed per centre: commands understood exactly as labelled (accepted/n) per condition, wrong actions
(a command understood as another one) in brackets, and false accepts (anything inferred for an
out-of-domain or non-speech item) per condition. The run decodes with `compute_all_senones` (every senone
scored: the fit's normaliser is an unconstrained bound); `--active-senones` decodes with PocketSphinx's
and the backend's default (senones of the grammar's active HMMs only) to compare; see
assistant/asr/pocketsphinx_backend.py. CPU time per file is printed (the machine may be
shared: compare within one run).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WRONG = {"wrong_intent", "wrong_value", "missing_slot", "extra_slot", "several_inferences"}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def collect(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Decode every file under every condition with the gate open; one row per (file, condition)."""
    from assistant.asr.pocketsphinx_backend import PocketsphinxRecognizer, PocketsphinxSettings
    from assistant.harness import runner
    from assistant.harness.labels import load_dataset
    from assistant.harness.noise import load_noise
    from trading_core.config import load_config

    open_gate = PocketsphinxSettings(reject_score=-1e9, compute_all_senones=not args.active_senones)
    config = load_config(None, env={}, overrides={"asr": {"backend_en": "pocketsphinx"}})
    pipeline = runner.build_pipeline(config, lang="en", backend="pocketsphinx")
    rec = pipeline.recognizers["en"]
    assert isinstance(rec, PocketsphinxRecognizer)
    import warnings

    from assistant.grammar import load_grammar
    from assistant.grammar.compile import to_jsgf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jsgf = to_jsgf(load_grammar(None), "en")
    rec.close()  # rebuilt: the normaliser is chosen when the decoder is made
    rec = pipeline.recognizers["en"] = PocketsphinxRecognizer(jsgf, lang="en", settings=open_gate)
    fits: list[dict[str, Any]] = []  # the fit of each decoded utterance, in order
    final = rec._final

    def keep_fit() -> Any:
        tr = final()
        fits.append(dict(tr.detail))
        return tr

    rec._final = keep_fit  # type: ignore[method-assign]
    dataset = load_dataset([REPO / "audio_fixtures" / "generated" / "en"], [REPO / "audio_fixtures" / "labels_en.json"])
    items = dataset.items[:: args.every]
    noises = [load_noise(n) for n in args.noise]
    conditions = runner.conditions_for(noises, args.snr if noises else [])
    reference = runner.reference_speech_power(items) if noises else None
    rows: list[dict[str, Any]] = []
    c0 = time.process_time()
    for cond in conditions:
        subset = items if cond.is_clean else [it for k, it in enumerate(items)
                                              if k % args.every_noisy == 0 or it[1].intent is None]
        for k, (path, label) in enumerate(subset):
            fits.clear()
            out = runner.run_file(pipeline, path, label, cond, reference_power=reference)
            decoded = iter(fits)
            utterances = []
            for h in out.heard:
                cut = h.reason == "too_long"  # not decoded
                fit = None if cut else next(decoded)
                utterances.append({"warmup": h.warmup, "cut": cut, "text": fit.get("hypothesis", "") if fit else "",
                                   "fit": {k: fit[k] for k in ("score", "unexplained")} if fit and "score" in fit
                                   else None})
            rows.append({"file": label.file, "condition": cond.name, "intent": label.intent, "slots": label.slots,
                         "segments": out.segments if out.speech_span_s is not None else 1,
                         "utterances": utterances})
            print(f"\r  {cond.name}: {k + 1}/{len(subset)}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    n = len(rows)
    print(f"{n} runs, CPU {1000 * (time.process_time() - c0) / max(1, n):.0f} ms per file")
    pipeline.close()
    return rows


def score_rows(rows: list[dict[str, Any]], centre: float) -> tuple[dict[str, list[int]], dict[str, list[int]], list[str]]:
    """(commands per condition [n, accepted, wrong], rejection items per condition [n, false accepts], details)."""
    from assistant.asr.pocketsphinx_backend import PocketsphinxSettings
    from assistant.dialogue.manager import is_understood, shared_parser
    from assistant.harness.labels import Label
    from assistant.harness.scoring import Inferred, score

    s = PocketsphinxSettings()
    parser = shared_parser()
    commands: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    rejections: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    notes: list[str] = []
    for row in rows:
        inferred = []
        for u in row["utterances"]:
            if u["warmup"] or u["cut"] or not u["text"] or not u["fit"]:
                continue
            fit = u["fit"]
            confidence = (_sigmoid((fit["score"] - centre) / s.score_scale)
                          * _sigmoid((s.max_unexplained - fit["unexplained"]) / s.unexplained_scale))
            if confidence < 0.5:
                continue
            parsed = parser.parse(u["text"], "en", prefer="en")
            if is_understood(parsed, confidence, 0.5) and parsed.intent is not None:
                inferred.append(Inferred(parsed.intent, dict(parsed.slots)))
        label = Label(row["file"], row["intent"], row["slots"] or {}, "en")
        verdict = score(label, inferred, segments=row["segments"])
        if row["intent"] is None:
            cell = rejections[row["condition"]]
            cell[0] += 1
            cell[1] += not verdict.accepted
            if not verdict.accepted:
                notes.append(f"false accept  {row['condition']:16s} {row['file']}: {verdict.detail}")
        else:
            cell = commands[row["condition"]]
            cell[0] += 1
            cell[1] += verdict.accepted
            if not verdict.accepted and verdict.error in WRONG:
                cell[2] += 1
                notes.append(f"wrong action  {row['condition']:16s} {row['file']}: {verdict.detail}")
    return commands, rejections, notes


def report(rows: list[dict[str, Any]], centres: list[float], verbose: bool) -> None:
    for centre in centres:
        commands, rejections, notes = score_rows(rows, centre)
        print(f"\nreject_score {centre:g}")
        for cond, (n, ok, wrong) in commands.items():
            fa_n, fa = rejections.get(cond, [0, 0])
            print(f"  {cond:16s} commands {ok:3d}/{n:<3d} {ok / n:6.1%} [{wrong} wrong]   "
                  f"out-of-domain false accepts {fa}/{fa_n}")
        total_fa = sum(v[1] for v in rejections.values())
        total_wrong = sum(v[2] for v in commands.values())
        print(f"  total: false accepts {total_fa}/{sum(v[0] for v in rejections.values())}, wrong actions {total_wrong}")
        if verbose:
            for line in notes:
                print("   ", line)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--every", type=int, default=1, help="every k-th labelled file (a quicker subset)")
    p.add_argument("--every-noisy", type=int, default=4, help="in noise, every k-th command (rejection items: all)")
    p.add_argument("--noise", nargs="*", default=["babble", "music", "clatter"])
    p.add_argument("--snr", nargs="+", type=float, default=[24.0, 15.0, 6.0])
    p.add_argument("--centres", default="-118", help="comma-separated reject_score values to score")
    p.add_argument("--active-senones", action="store_true",
                   help="decode with the default normaliser (grammar-active senones only), as the backend does by default")
    p.add_argument("--save", help="write the decoded run (JSON) to re-score it later with --load")
    p.add_argument("--load", help="score a saved run instead of decoding")
    p.add_argument("-v", "--verbose", action="store_true", help="list every false accept and wrong action")
    args = p.parse_args(argv)
    if args.load:
        rows = json.loads(Path(args.load).read_text(encoding="utf-8"))
    else:
        rows = collect(args)
        if args.save:
            Path(args.save).write_text(json.dumps(rows), encoding="utf-8")
    report(rows, [float(c) for c in args.centres.split(",")], args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
