"""Calibrate the grammar-constrained Whisper's confidence on labelled recordings, and print it.

    python bench/asr_calibrate.py --audio DIR [DIR ...] --labels LABELS.json [...] \
        [--noise NOISE.wav --snr 24 15 6] [--features out.jsonl] [--fit-only out.jsonl ...]

Every file goes through the live path (WAV source -> endpointer -> `ConstrainedWhisperRecognizer`,
both grammar languages listening) clean and at each SNR; for every endpointed utterance the
recogniser's features (`assistant/asr/confidence.py`) are saved with whether its best sentence
means the labelled command (intent and every slot; out-of-domain items are never right). A
logistic model is then fitted and evaluated by 5-fold cross-validation over *files* (all
conditions of one file fall in the same fold), and the script prints:

* acceptance, wrong actions and out-of-domain acceptances at several thresholds, per condition;
* the weights, intercept and chosen threshold to paste into `confidence.py` (`_WEIGHTS`,
  `Calibration.intercept`, `Calibration.threshold`): the lowest threshold with no wrong action and
  no out-of-domain acceptance in cross-validation, plus `--safety` (default 0.05).

Needs scikit-learn (a dependency of MIA). Figures measured on a loaded machine are not latency
figures: this script reports accuracy only (bench/asr_compare.py times the recognisers).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audio_fixtures import add_fixture_arguments  # noqa: E402

from assistant.asr.confidence import FEATURES  # noqa: E402
from assistant.asr.constrained_whisper import FILLS, SearchSettings  # noqa: E402


def collect(args: argparse.Namespace, out: Any) -> int:
    from assistant.asr.constrained_whisper import ConstrainedWhisperRecognizer, SearchSettings
    from assistant.asr.pipeline import Listener
    from assistant.audio import Endpointer, EndpointerConfig, iter_chunks
    from assistant.grammar import load_grammar
    from assistant.harness.labels import load_dataset
    from assistant.harness.noise import load_noise
    from assistant.harness.runner import Condition, reference_speech_power
    from assistant.harness.segmentation import stream_for
    from assistant.harness.scoring import Inferred, score

    grammar = load_grammar(args.grammar or None)
    # Both gates on every utterance (unless --logistic-only): the rescoring's raw candidate scores
    # are what --gate rescore fits. speculate=False: with --pause-s the final decoding reads the
    # speculative input itself (the audio up to the pause, then `pause_fill`), without real-time pacing.
    rec = ConstrainedWhisperRecognizer(args.model, grammar, settings=SearchSettings(
        compare_gates=not args.logistic_only, speculate=False, fill=args.fill))
    dataset = load_dataset(args.audio, args.labels)
    items = dataset.items
    if args.only:
        items = [it for it in items if it[1].file in set(args.only)]
    noises = [load_noise(n) for n in args.noise or []]
    conditions: list[tuple[Any, float | None]] = [] if args.no_clean else [(None, None)]
    conditions += [(n, s) for n in noises for s in args.snr]
    cfg = EndpointerConfig(pause_s=args.pause_s) if args.pause_s is not None else EndpointerConfig()
    reference = reference_speech_power(items) if noises else None
    count = 0
    t0 = time.perf_counter()
    for noise, snr in conditions:
        step = args.every if noise is None else args.every_noisy
        # Every out-of-domain item is kept clean, every other one in noise: rejection is half of what is measured.
        chosen = [it for i, it in enumerate(items)
                  if i % step == 0 or (it[1].intent is None and (noise is None or i % 2 == 0))]
        for path, label in chosen:
            # The file as the harness plays it (lead-in and noise mixed in when noisy).
            stream, lead, _ = stream_for(path, label, Condition(noise, snr), cfg, reference_power=reference)
            chunks = iter_chunks(stream)
            listener = Listener({"fr": rec, "en": rec}, Endpointer(cfg))
            cpu0 = time.process_time()
            heard = [h for h in listener.listen(chunks) if not (lead and h.utterance.speech_end_s <= lead)]
            cpu_file = time.process_time() - cpu0
            for i, h in enumerate(heard):
                tr = next(iter(h.transcripts.values()), None)
                if tr is None or not tr.detail.get("features"):
                    continue
                inferred = [Inferred(tr.detail["intent"], dict(tr.detail["slots"]))] if tr.detail.get("intent") else []
                # Judged per utterance: a noise burst the endpointer cut apart from the command is
                # its own utterance, whose best sentence must be refused.
                right = label.intent is not None and score(label, inferred).accepted
                rescore = dict(tr.detail.get("rescore") or {})
                for c in rescore.get("scored", []):
                    c["right"] = label.intent is not None and score(label, [Inferred(c["intent"], dict(c["slots"]))]).accepted
                out.write(json.dumps({
                    "file": label.file, "lang": label.language, "voice": label.file.split("/")[0],
                    "intent": label.intent, "slots": label.slots, "heard_intent": tr.detail.get("intent"), "heard_lang": tr.lang,
                    "heard_slots": tr.detail.get("slots"), "decoded_until_s": tr.detail.get("decoded_until_s"),
                    "pause_s": cfg.pause_s, "fill": args.fill if cfg.pause_s else None, "condition": "clean" if noise is None else f"{noise.name}@{snr:g}",
                    "segment": i, "segments": len(heard), "command": label.intent is not None, "right": right,
                    "features": tr.detail["features"], "accepted_now": tr.accepted, "confidence_now": tr.confidence,
                    "hypothesis": tr.detail.get("hypothesis"), "free": tr.detail.get("free"), "text": label.text,
                    "cpu_s": tr.processing_s, "logistic_accepted": tr.detail.get("logistic_accepted"),
                    "rescore": rescore, "latency_s": h.latency_s, "intent_rival": tr.detail.get("intent_rival"), "cpu_file_s": cpu_file,
                }, ensure_ascii=False) + "\n")
                out.flush()
                count += 1
            print(f"\r{count} utterances, {time.perf_counter() - t0:.0f} s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return count


def fit(rows: list[dict[str, Any]], safety: float) -> None:
    from sklearn.linear_model import LogisticRegression

    X = np.array([[r["features"][k] for k in FEATURES] for r in rows])
    y = np.array([bool(r["right"]) for r in rows])
    files = sorted({r["file"] for r in rows})
    fold = {f: i % 5 for i, f in enumerate(files)}
    probs = np.zeros(len(rows))
    for k in range(5):
        train = np.array([fold[r["file"]] != k for r in rows])
        if train.all() or not train.any() or len(set(y[train])) < 2:
            continue
        model = LogisticRegression(C=1.0, max_iter=5000).fit(X[train], y[train])
        probs[~train] = model.predict_proba(X[~train])[:, 1]
    conditions = sorted({r["condition"] for r in rows}, key=lambda c: (c != "clean", c))
    thresholds = [0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99]
    print("Cross-validated (5 folds over files): accepted commands / wrong actions / out-of-domain accepted")
    for cond in ["all", *conditions]:
        sel = [i for i, r in enumerate(rows) if cond in ("all", r["condition"])]
        cmd = [i for i in sel if rows[i]["command"]]
        ood = [i for i in sel if not rows[i]["command"]]
        top1 = np.mean([rows[i]["right"] for i in cmd]) if cmd else 0.0
        cells = []
        for th in thresholds:
            acc = np.mean([probs[i] >= th and rows[i]["right"] for i in cmd]) if cmd else 0.0
            wrong = sum(probs[i] >= th and not rows[i]["right"] for i in cmd)
            fa = sum(probs[i] >= th for i in ood)
            cells.append(f"{th}: {acc:.1%}/{wrong}/{fa}")
        print(f"  {cond:14s} n={len(cmd)}+{len(ood)} best-path right {top1:.1%} | " + "  ".join(cells))
    safe = [th for th in np.arange(0.5, 1.0, 0.005)
            if not any(probs[i] >= th and not rows[i]["right"] for i in range(len(rows)))]
    chosen = min(0.995, (min(safe) if safe else 0.995) + safety)
    model = LogisticRegression(C=1.0, max_iter=5000).fit(X, y)
    weights = {k: round(float(w), 4) for k, w in zip(FEATURES, model.coef_[0])}
    print("\nPaste into assistant/asr/confidence.py:")
    print(f"_WEIGHTS = {weights}")
    print(f"intercept = {round(float(model.intercept_[0]), 4)}, threshold = {chosen:.3f} "
          f"(lowest threshold without a wrong action in cross-validation: {min(safe) if safe else 'none'})")
    wrong = sorted((i for i in range(len(rows)) if not rows[i]["right"]), key=lambda i: -probs[i])[:10]
    print("\nMost confident wrong sentences (cross-validated):")
    for i in wrong:
        r = rows[i]
        print(f"  {probs[i]:.3f} {r['condition']:12s} {r['file']}: said {r['text']!r}, best path {r['hypothesis']!r}, "
              f"free {r['free']!r}")


# Voices the rescoring gate is calibrated on; every other voice is held out for the test figures.
CALIBRATION_VOICES = ("pico-en-US", "pico-en-GB", "pico-fr-FR", "mb-us1", "mb-us2", "mb-fr1", "mb-fr2", "mb-fr3")
END_FLOORS = (-2.0, -4.0, -8.0)
AGREE_WEIGHTS = (0.0, 1.0, 2.0)
COVERAGES = (0.0, 0.6, 0.7, 0.8, 0.9)


def _held_out(row: dict[str, Any]) -> bool:
    voice = row["file"].split("/")[0]
    if voice == "none":  # noise-only items: every other one (by name) is held out
        return sum(map(ord, row["file"] + (row.get("lang") or ""))) % 2 == 1
    return voice not in CALIBRATION_VOICES


def _rescore_view(row: dict[str, Any], end_floor: float,
                  agree_weight: float) -> tuple[dict[str, Any] | None, float, float, float]:
    """The rescored best candidate of one utterance (end clipped at `end_floor`, plus
    `agree_weight` x its agreement with the free decoding), its margin to the best different
    meaning, and its agreement with the free decoding."""
    from assistant.asr.rescoring import MARGIN_CAP, combine, coverage, similarity

    cands = (row.get("rescore") or {}).get("scored") or []
    if not cands:
        return None, 0.0, 0.0, 0.0
    free = row.get("free") or ""
    agree = {c["surface"]: similarity(c["surface"], free) for c in cands}

    def value(c: dict[str, Any]) -> float:
        return combine(c["total"], c["n"], c["end"], end_floor) + agree_weight * agree[c["surface"]]

    scored = sorted(cands, key=lambda c: -value(c))
    top = scored[0]
    key = (top["intent"], sorted(top["slots"].items()))
    other = next((c for c in scored[1:] if (c["intent"], sorted(c["slots"].items())) != key), None)
    margin = min(MARGIN_CAP, value(top) - value(other)) if other else MARGIN_CAP
    if any(c["surface"] == top["surface"] and (c["intent"], sorted(c["slots"].items())) != key for c in scored[1:]):
        margin = 0.0  # one sentence, two meanings: never accepted
    return top, margin, agree[top["surface"]], coverage(top["surface"], free)


def _per_file(rows: list[dict[str, Any]], accept: Any) -> dict[tuple[str, str], tuple[bool, bool, bool]]:
    """(file, condition) -> (is a command, understood exactly as labelled, wrong action or
    out-of-domain acceptance), from a per-utterance accept(row) -> (accepted, right)."""
    out: dict[tuple[str, str], list[tuple[bool, bool]]] = {}
    command: dict[tuple[str, str], bool] = {}
    for r in rows:
        key = (r["lang"] + ":" + r["file"], r["condition"])
        out.setdefault(key, []).append(accept(r))
        command[key] = r["command"]
    result = {}
    for key, decisions in out.items():
        accepted = [right for acc, right in decisions if acc]
        wrong = any(not right for right in accepted)
        result[key] = (command[key], command[key] and len(accepted) == 1 and not wrong, wrong)
    return result


def fit_rescore(rows: list[dict[str, Any]], safety: float) -> None:
    """Choose the end clipping, the margin and agreement thresholds of the rescoring gate on the
    calibration voices (no wrong action, no out-of-domain acceptance, most commands accepted),
    then print both gates side by side on the held-out voices."""
    seen: set[tuple[str, str, int]] = set()
    for r in rows:
        if not r.get("lang"):  # collected before the language was recorded, or a noise-only item
            voice = r["file"].split("/")[0]
            key = (r["file"], r["condition"], r["segment"])
            r["lang"] = "fr" if "-fr" in voice or (voice == "none" and key in seen) else "en"
            seen.add(key)
    calib = [r for r in rows if not _held_out(r)]
    test = [r for r in rows if _held_out(r)]
    best: tuple[float, ...] | None = None  # acceptance, floor, weight, coverage, margin, agreement
    margins = [round(x, 2) for x in np.arange(0.0, 3.01, 0.05)]
    agreements = [round(x, 2) for x in np.arange(0.3, 0.96, 0.05)]
    for floor, weight in [(f, w) for f in END_FLOORS for w in AGREE_WEIGHTS]:
        cache = {id(r): _rescore_view(r, floor, weight) for r in calib}
        for ag, cov in [(a, c) for a in agreements for c in COVERAGES]:
            for m in margins:
                def accept(r: dict[str, Any], m: float = m, ag: float = ag, cov: float = cov) -> tuple[bool, bool]:
                    top, margin, agree, covered = cache[id(r)]
                    return (top is not None and margin >= m and agree >= ag and covered >= cov,
                            bool(top and top["right"]))
                files = _per_file(calib, accept)
                if any(w for _, _, w in files.values()):
                    continue
                acc = sum(ok for _, ok, _ in files.values()) / max(1, sum(c for c, _, _ in files.values()))
                if best is None or acc > best[0] + 1e-9:
                    best = (acc, floor, weight, cov, m, ag)
                break  # larger margins only accept less
    if best is None:
        print("no rescoring threshold is safe on the calibration voices")
        return
    acc, floor, weight, cov, m, ag = best
    m_ship = round(m + safety, 2)
    print(f"rescoring gate on the calibration voices ({', '.join(CALIBRATION_VOICES)}, half the noise-only items): "
          f"{acc:.1%} of commands, 0 wrong, 0 out-of-domain at end floor {floor}, agreement weight {weight}, "
          f"coverage >= {cov}, margin >= {m}, "
          f"agreement >= {ag}; shipped margin {m_ship} (+{safety} safety)")
    print(f"Paste into assistant/asr/rescoring.py: END_FLOOR = {floor}; AGREEMENT_WEIGHT = {weight}; "
          f"Gate(margin={m_ship}, agreement={ag}, coverage={cov})")
    views = {id(r): _rescore_view(r, floor, weight) for r in test}

    def rescore_accept(r: dict[str, Any]) -> tuple[bool, bool]:
        top, margin, agree, covered = views[id(r)]
        return (top is not None and margin >= m_ship and agree >= ag and covered >= cov, bool(top and top["right"]))

    def logistic_accept(r: dict[str, Any]) -> tuple[bool, bool]:
        return (bool(r.get("logistic_accepted", r.get("accepted_now"))), bool(r["right"]))

    print("\nHeld-out voices: understood exactly as labelled / commands [wrong actions]; out-of-domain accepted / items")
    for lang in ("en", "fr"):
        for cond in sorted({r["condition"] for r in test}, key=lambda c: (c != "clean", c)):
            sel = [r for r in test if r["lang"] == lang and r["condition"] == cond]
            if not sel:
                continue
            cells = []
            for name, fn in (("logistic (current)", logistic_accept), ("rescoring", rescore_accept)):
                files = _per_file(sel, fn)
                n_cmd = sum(c for c, _, _ in files.values())
                ok = sum(o for _, o, _ in files.values())
                wrong = sum(w for c, _, w in files.values() if c)
                fa = sum(w for c, _, w in files.values() if not c)
                n_ood = sum(not c for c, _, _ in files.values())
                cells.append(f"{name}: {ok}/{n_cmd} {ok / max(1, n_cmd):.1%} [{wrong}], OOD {fa}/{n_ood}")
            print(f"  {lang} {cond:12s} " + " | ".join(cells))
    cpu = sorted({(r["lang"] + r["file"], r["condition"]): r.get("cpu_file_s", 0.0) for r in test}.values())
    lat = sorted(r.get("latency_s", 0.0) for r in test)
    resc = sorted((r.get("rescore") or {}).get("rescore_s", 0.0) for r in test)
    if cpu:
        q = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
        print(f"\nCPU per file (whole live path, both gates computed) p50 {q(cpu, .5):.3f} s p95 {q(cpu, .95):.3f} s; "
              f"end of speech -> intent p50 {q(lat, .5):.3f} s p95 {q(lat, .95):.3f} s (wall, shared machine); "
              f"rescoring alone p50 {q(resc, .5):.3f} s p95 {q(resc, .95):.3f} s (wall)")
    wrong_rows = [r for r in test if rescore_accept(r)[0] and not rescore_accept(r)[1]]
    for r in wrong_rows[:10]:
        print(f"  held-out wrong: {r['condition']} {r['file']}: said {r['text']!r}, chosen {(views[id(r)][0] or {}).get('surface')!r}")


def fit_voices(rows: list[dict[str, Any]], safety: float, unweighted: tuple[str, ...] = ("jump",)) -> None:
    """The logistic confidence fitted on the calibration voices only (CALIBRATION_VOICES, half the
    noise-only items); the threshold is the lowest with no wrong action and no out-of-domain
    acceptance in 5-fold cross-validation over the calibration files, plus `safety`; then the
    figures on the held-out voices, which took no part in the fit. `unweighted`: features left out
    of the fit (weight 0; `jump` is reported but unweighted in `PROMPTED`)."""
    from sklearn.linear_model import LogisticRegression

    for r in rows:
        if not r.get("lang"):  # an out-of-domain row of an older collection: the voice's language
            r["lang"] = "fr" if "fr" in r["file"].split("/")[0] else "en"
    calib = [r for r in rows if r.get("features") and not _held_out(r)]
    test = [r for r in rows if r.get("features") and _held_out(r)]
    if not calib or not test:
        print("need rows of both calibration and held-out voices")
        return

    def matrix(sel: list[dict[str, Any]]) -> np.ndarray:
        return np.array([[0.0 if k in unweighted else r["features"].get(k, 0.0) for k in FEATURES] for r in sel])

    X, y = matrix(calib), np.array([bool(r["right"]) for r in calib])
    files = sorted({r["file"] for r in calib})
    fold = {f: i % 5 for i, f in enumerate(files)}
    probs = np.zeros(len(calib))
    for k in range(5):
        train = np.array([fold[r["file"]] != k for r in calib])
        if len(set(y[train])) < 2:
            continue
        probs[~train] = LogisticRegression(C=1.0, max_iter=5000).fit(X[train], y[train]).predict_proba(X[~train])[:, 1]
    from assistant.asr.confidence import refusal

    # A sentence a rule of confidence.py refuses (`refusal`) does not set the threshold.
    ruled = {id(r) for r in rows if r.get("features") and refusal(rule_features(r)) is not None}
    ambiguous = {id(r) for r in rows if r.get("confidence_now") == 0.0 and not r.get("accepted_now")}
    wrong = [p for p, r in zip(probs, calib) if not r["right"] and id(r) not in ruled and id(r) not in ambiguous]
    lowest = min(0.999, max(wrong, default=0.5) + 1e-4)
    threshold = round(min(0.999, lowest + safety), 4)
    model = LogisticRegression(C=1.0, max_iter=5000).fit(X, y)
    weights = {k: round(float(w), 4) for k, w in zip(FEATURES, model.coef_[0])}
    cmd = [i for i, r in enumerate(calib) if r["command"]]
    print(f"calibration voices ({len(calib)} utterances): cross-validated, threshold {lowest:.4f} accepts "
          f"{np.mean([probs[i] >= lowest and calib[i]['right'] for i in cmd]):.1%} of commands with no wrong "
          f"action; best path right {np.mean([calib[i]['right'] for i in cmd]):.1%}")
    print("Paste into assistant/asr/confidence.py:")
    print(f"_WEIGHTS = {weights}")
    print(f"_INTERCEPT = {round(float(model.intercept_[0]), 4)}")
    print(f"_THRESHOLD = {threshold} (lowest safe {lowest:.4f} + safety {safety})")
    p_test = model.predict_proba(matrix(test))[:, 1]
    by_id = {id(r): p for r, p in zip(test, p_test)}
    print("\nHeld-out voices: understood exactly as labelled / commands [wrong actions]; out-of-domain accepted")
    for lang in ("en", "fr"):
        for cond in sorted({r["condition"] for r in test}, key=lambda c: (c != "clean", c)):
            sel = [r for r in test if r["lang"] == lang and r["condition"] == cond]
            if not sel:
                continue
            cells = []
            for name, fn in (("shipped gate now", lambda r: shipped_accept(r)),
                             ("refitted", lambda r: (by_id[id(r)] >= threshold and id(r) not in ruled
                                                     and id(r) not in ambiguous, bool(r["right"])))):
                per = _per_file(sel, fn)
                n_cmd = sum(c for c, _, _ in per.values())
                ok = sum(o for _, o, _ in per.values())
                wr = sum(w for c, _, w in per.values() if c)
                fa = sum(w for c, _, w in per.values() if not c)
                n_ood = sum(not c for c, _, _ in per.values())
                cells.append(f"{name}: {ok}/{n_cmd} {ok / max(1, n_cmd):.1%} [{wr}], OOD {fa}/{n_ood}")
            best = sum(bool(r["right"]) for r in sel if r["command"]) / max(1, sum(r["command"] for r in sel))
            print(f"  {lang} {cond:12s} best path right {best:.1%} | " + " | ".join(cells))
    from assistant.asr.confidence import Calibration

    print("\nThe whole set, the refitted gate with the rules as 'now':")
    audit(rows, Calibration(weights=weights, intercept=round(float(model.intercept_[0]), 4), threshold=threshold))
    shown = sorted((r for r in test if not r["right"] and id(r) not in ruled), key=lambda r: -by_id[id(r)])[:8]
    print("\nMost confident wrong sentences on the held-out voices:")
    for r in shown:
        print(f"  {by_id[id(r)]:.4f} {r['condition']} {r['file']}: said {r['text']!r}, best {r['hypothesis']!r}")


def voice_group(row: dict[str, Any]) -> str:
    """calibration / held-out (natural voices, CALIBRATION_VOICES or not), espeak, or none (noise-only)."""
    voice = row["file"].split("/")[0]
    if voice == "none":
        return "none"
    if voice.startswith("espeak"):
        return "espeak"
    return "calibration" if voice in CALIBRATION_VOICES else "held-out"


_PARSER: list[Any] = []


def rule_features(row: dict[str, Any]) -> dict[str, float]:
    """A row's saved features, with the rule features of confidence.py computed again from its
    best sentence and free decoding when it was collected before they existed (`confusable`
    needs the forced scores: rows collected before it have no `intent_margin` and pass it)."""
    from assistant.asr.confidence import unsupported_incomplete, unwritten_price

    from assistant.asr.confidence import CONFUSABLE_MARGIN

    feats = dict(row.get("features") or {})
    if "intent_margin" in feats:  # the rule as it is now (its margin may have changed since collection)
        feats["confusable"] = float(feats["intent_margin"] < CONFUSABLE_MARGIN)
    if feats and "unwritten_price" not in feats:
        feats["unwritten_price"] = float(unwritten_price(row.get("heard_slots") or {}, row.get("free") or ""))
    if feats and "incomplete" not in feats:
        if not _PARSER:
            from assistant.grammar import load_grammar
            from assistant.nlu.parser import Parser

            _PARSER.append(Parser(load_grammar(None), fuzzy=False, frames=False, classifier=False))
        langs = [row["heard_lang"]] if row.get("heard_lang") else [row["lang"], "en" if row["lang"] == "fr" else "fr"]
        lang = next((x for x in langs if _PARSER[0].parse(row.get("hypothesis") or "", x).intent), langs[0])
        feats["incomplete"] = float(unsupported_incomplete(_PARSER[0], row.get("hypothesis") or "",
                                                           row.get("free") or "", lang))
    return feats


def shipped_accept(row: dict[str, Any], calibration: Any = None) -> tuple[bool, bool]:
    """The decision of the gate in confidence.py now (or of `calibration` with its rules),
    recomputed from a row's saved features (an ambiguous sentence, saved with confidence 0,
    stays refused)."""
    from assistant.asr.confidence import PROMPTED, refusal

    cal = calibration or PROMPTED
    ambiguous = row.get("confidence_now") == 0.0 and not row.get("accepted_now")
    feats = rule_features(row)
    ok = (bool(feats) and not ambiguous and cal.probability(feats) >= cal.threshold
          and refusal(feats) is None)
    return ok, bool(row["right"])


def error_kind(row: dict[str, Any]) -> str:
    """What an accepted wrong sentence gets wrong: out_of_domain, wrong_intent, wrong_value,
    missing_slot (the dialogue then asks for it) or extra_slot."""
    if not row["command"]:
        return "out_of_domain"
    if row.get("heard_intent") != row.get("intent"):
        return "wrong_intent"
    said, heard = row.get("slots") or {}, row.get("heard_slots") or {}
    if any(k in heard and str(heard[k]).lower() != str(v).lower() for k, v in said.items()):
        return "wrong_value"
    return "missing_slot" if set(said) - set(heard) else "extra_slot"


def audit(rows: list[dict[str, Any]], calibration: Any = None) -> None:
    """Per language, voice group and condition, files: commands understood exactly as labelled
    [wrong actions], out-of-domain items refused; before (the decisions saved when collected) and
    now (the gate of confidence.py recomputed from the saved features); then every wrong action."""
    for r in rows:
        r.setdefault("voice", r["file"].split("/")[0])
    print("files: commands accepted as labelled / commands [wrong actions]; out-of-domain refused / items")
    print(f"  {'lang':4s} {'voices':11s} {'condition':10s} {'collected':>28s} {'now':>28s}")
    keys = sorted({(r["lang"], voice_group(r), r["condition"]) for r in rows},
                  key=lambda k: (k[0], k[2] != "clean", k[2], k[1]))
    totals: dict[str, list[int]] = {}
    for lang, group, cond in keys:
        sel = [r for r in rows if (r["lang"], voice_group(r), r["condition"]) == (lang, group, cond)]
        cells = []
        for name, fn in (("collected", lambda r: (bool(r.get("accepted_now")), bool(r["right"]))),
                         ("now", lambda r: shipped_accept(r, calibration))):
            per = _per_file(sel, fn)
            n_cmd = sum(c for c, _, _ in per.values())
            ok = sum(o for _, o, _ in per.values())
            wr = sum(w for c, _, w in per.values() if c)
            n_ood = sum(not c for c, _, _ in per.values())
            fa = sum(w for c, _, w in per.values() if not c)
            t = totals.setdefault(f"{name} {lang} {cond}", [0, 0, 0, 0, 0])
            for i, v in enumerate((ok, n_cmd, wr, n_ood - fa, n_ood)):
                t[i] += v
            cells.append(f"{ok:3d}/{n_cmd:3d} {ok / max(1, n_cmd):5.1%} [{wr}] OOD {n_ood - fa}/{n_ood}")
        print(f"  {lang:4s} {group:11s} {cond:10s} " + " | ".join(f"{c:>28s}" for c in cells))
    print("totals:")
    for key, (ok, n, wr, ref, n_ood) in totals.items():
        print(f"  {key:28s} {ok}/{n} {ok / max(1, n):.1%} [{wr} wrong], out-of-domain refused {ref}/{n_ood}")
    for name, fn in (("collected", lambda r: (bool(r.get("accepted_now")), bool(r["right"]))),
                     ("now", lambda r: shipped_accept(r, calibration))):
        wrong = [r for r in rows if fn(r)[0] and not r["right"]]
        print(f"\nwrong actions and out-of-domain acceptances ({name}): {len(wrong)}")
        for r in wrong:
            print(f"  {error_kind(r)}: {r['lang']} {r['condition']} {r['file']} ({voice_group(r)}): said {r['text']!r} "
                  f"{r.get('intent')} {r.get('slots')}; understood {r['hypothesis']!r} {r.get('heard_intent')} "
                  f"{r.get('heard_slots')}; free {r['free']!r}; confidence {r.get('confidence_now')}")
            print(f"      features {r['features']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_fixture_arguments(p)
    p.add_argument("--grammar", nargs="+")
    p.add_argument("--model", default=str(REPO.parent / "shared" / "models" / "faster-whisper-base"))
    p.add_argument("--noise", nargs="+")
    p.add_argument("--snr", nargs="+", type=float, default=[24.0, 15.0, 6.0])
    p.add_argument("--no-clean", action="store_true", help="noisy conditions only")
    p.add_argument("--every", type=int, default=1, help="use every k-th file (clean)")
    p.add_argument("--every-noisy", type=int, default=1, help="use every k-th file in noise")
    p.add_argument("--features", help="write the collected features here (JSON lines)")
    p.add_argument("--fit-only", nargs="+", metavar="FEATURES.jsonl", help="fit from features collected earlier")
    p.add_argument("--pause-s", type=float, default=None,
                   help="the endpointer's pause announcement, e.g. 0.2 (default: EndpointerConfig's, 0: none, the "
                        "audio as heard): every utterance is decoded from the speculative final decoding's "
                        "input, computed offline (no --realtime needed)")
    p.add_argument("--fill", choices=FILLS, default=SearchSettings.fill,
                   help="with --pause-s: what stands in for the trailing silence not heard at the pause")
    p.add_argument("--only", nargs="+", metavar="VOICE/FILE.wav",
                   help="collect these files only (as labelled, e.g. mb-en1/conf_15.wav)")
    p.add_argument("--logistic-only", action="store_true",
                   help="skip the forced rescoring (what --gate rescore fits): about a third less CPU")
    p.add_argument("--safety", type=float, default=0.05, help="added to the lowest safe threshold")
    p.add_argument("--unweighted", nargs="*", default=["jump"], metavar="FEATURE",
                   help="with --gate logistic-voices: features left out of the fit (default: jump, as PROMPTED)")
    p.add_argument("--audit", action="store_true",
                   help="print the audit table (per language, voice group, condition) and every wrong action, "
                        "collected and with the gate of confidence.py now, instead of fitting")
    p.add_argument("--gate", choices=("logistic", "logistic-voices", "rescore"), default="logistic",
                   help="what to fit: the logistic confidence (5-fold over files), the same fitted on the "
                        "calibration voices and reported on the held-out ones, or the rescoring gate "
                        "(calibration voices vs held-out voices, see CALIBRATION_VOICES)")
    args = p.parse_args(argv)
    rows: list[dict[str, Any]] = []
    if args.fit_only:
        for path in args.fit_only:
            rows += [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    else:
        if not args.audio or not args.labels:
            p.error("--audio and --labels are needed (or --fit-only)")
        target = Path(args.features) if args.features else Path("asr_features.jsonl")
        with open(target, "w", encoding="utf-8") as out:
            collect(args, out)
        rows = [json.loads(line) for line in open(target, encoding="utf-8") if line.strip()]
        print(f"features written to {target}")
    if not rows:
        print("no utterance collected", file=sys.stderr)
        return 1
    if args.audit:
        audit(rows)
    elif args.gate == "rescore":
        fit_rescore(rows, args.safety)
    elif args.gate == "logistic-voices":
        fit_voices(rows, args.safety, tuple(args.unweighted))
    else:
        fit(rows, args.safety)
    return 0


if __name__ == "__main__":
    sys.exit(main())
