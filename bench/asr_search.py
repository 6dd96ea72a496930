"""How often the grammar-constrained search finds the right sentence, per language and condition.

    python bench/asr_search.py [--audio DIR ... --labels LABELS.json ...] [--every 5] \
        [--noise babble.wav --snr 6] [--set beam=6 token_bonus=0.5 ...] [--out rows.jsonl]

Separates the *search* (is the labelled command the best finished sentence?) from the *gate*
(is it accepted?), which `bench/asr_compare.py` mixes. Every file goes through the live
endpointer once; the endpointed segments are cached (`--cache`, keyed by file, condition and
endpointer settings) so that variants of `SearchSettings` (`--set name=value`) are compared on the
same audio. Printed per language and condition: the best sentence right, the right meaning among
the finished sentences at all, accepted by the gate, wrong acceptances (a command understood
differently, or an out-of-domain item accepted), and CPU time per utterance of the recogniser
(encoder + search + gate; process time, steadier than wall time on a shared machine).
`--out` writes one JSON line per utterance (features, right/wrong, the first alternatives) that
`bench/asr_calibrate.py --fit-only` reads.
"""
from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audio_fixtures import add_fixture_arguments  # noqa: E402


def _segments(args: argparse.Namespace, items: list[Any]) -> dict[tuple[str, str], list[np.ndarray]]:
    """(file, condition) -> the PCM of every endpointed utterance, as the live path cuts them."""
    from assistant.asr.base import Partial, Recognizer, Transcript
    from assistant.asr.pipeline import Listener
    from assistant.audio import Endpointer, EndpointerConfig, iter_chunks
    from assistant.harness.noise import load_noise
    from assistant.harness.runner import Condition, reference_speech_power
    from assistant.harness.segmentation import stream_for

    class Capture(Recognizer):
        def __init__(self) -> None:
            super().__init__("fr+en")
            self.chunks: list[np.ndarray] = []

        def _start(self) -> None:
            self.chunks = []

        def _feed(self, pcm: np.ndarray) -> Partial | None:
            self.chunks.append(pcm.copy())
            return None

        def _reset(self) -> None:
            self.chunks = []

        def _final(self) -> Transcript:
            pcm = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)
            self.chunks = []
            return Transcript("", 0.0, "fr", "capture", True, detail={"pcm": pcm})

    cfg = EndpointerConfig()
    noises = [load_noise(n) for n in args.noise or []]
    conditions: list[tuple[Any, float | None]] = [] if args.no_clean else [(None, None)]
    conditions += [(n, s) for n in noises for s in args.snr]
    reference = reference_speech_power(items) if noises else None
    key = json.dumps([sorted(str(p) for p, _ in items), [(n.name if n else None, s) for n, s in conditions],
                      repr(cfg)])
    import hashlib

    cache = Path(args.cache) / f"segments-v2-{hashlib.sha256(key.encode()).hexdigest()[:12]}.pkl"
    if cache.is_file():
        with open(cache, "rb") as fh:
            return pickle.load(fh)  # noqa: S301 - our own cache file
    out: dict[tuple[str, str], list[np.ndarray]] = {}
    cap = Capture()
    for noise, snr in conditions:
        cond = "clean" if noise is None else f"{noise.name}@{snr:g}"
        for path, label in items:
            # The file as the harness plays it (lead-in and noise mixed in when noisy).
            stream, lead, _ = stream_for(path, label, Condition(noise, snr), cfg, reference_power=reference)
            chunks = iter_chunks(stream)
            listener = Listener({"fr": cap, "en": cap}, Endpointer(cfg))
            heard = [h for h in listener.listen(chunks) if not (lead and h.utterance.speech_end_s <= lead)]
            out[(str(path), cond)] = [h.transcripts["fr"].detail["pcm"] for h in heard if h.transcripts]
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache, "wb") as fh:
        pickle.dump(out, fh)
    return out


def _speech_end(audio: np.ndarray) -> float:
    """End of the last 20-ms frame within 35 dB of the loudest one (seconds)."""
    frames = audio[: len(audio) // 320 * 320].reshape(-1, 320)
    if not len(frames):
        return 0.0
    energy = 10 * np.log10((frames.astype(np.float64) ** 2).mean(1) + 1e-10)
    active = np.flatnonzero(energy > energy.max() - 35.0)
    return round(float(active[-1] + 1) * 0.02, 3)


def _settings(pairs: list[str]) -> Any:
    from assistant.asr.constrained_whisper import SearchSettings

    types = {f.name: f.type for f in fields(SearchSettings)}
    changes: dict[str, Any] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in types:
            raise SystemExit(f"unknown setting {name!r}: {', '.join(types)}")
        kind = str(types[name])
        changes[name] = (int(value) if kind == "int" else float(value) if kind == "float"
                         else value.lower() in ("1", "true", "yes") if kind == "bool" else value)
    return replace(SearchSettings(), **changes)


def add_search_arguments(p: argparse.ArgumentParser, every: int) -> None:
    """The fixtures, the subset, the conditions and the settings (this bench and bench/asr_profile.py)."""
    add_fixture_arguments(p)
    p.add_argument("--model", default=str(REPO.parent / "shared" / "models" / "faster-whisper-base"))
    p.add_argument("--noise", nargs="+")
    p.add_argument("--snr", nargs="+", type=float, default=[6.0])
    p.add_argument("--no-clean", action="store_true")
    p.add_argument("--every", type=int, default=every)
    p.add_argument("--offset", type=int, default=0, help="start the every-k-th subset at this index")
    p.add_argument("--voices", nargs="+", help="only these voice folders (e.g. mb-fr4 mb-us3)")
    p.add_argument("--match", help="only the files whose name matches this regular expression (e.g. 'short_')")
    p.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help="SearchSettings fields")
    p.add_argument("--cache", default="/tmp/mia-asr-search-cache")


def subset(args: argparse.Namespace, dataset: Any) -> list[Any]:
    """The (path, label) items of `--voices` and the every-k-th subset; every out-of-domain item is
    kept: rejection is half of what is measured."""
    import re

    items = [it for it in dataset.items if (not args.voices or it[1].file.split("/")[0] in args.voices)
             and (not getattr(args, "match", None) or re.search(args.match, it[1].file))]
    return [it for i, it in enumerate(items) if i % args.every == args.offset % args.every or it[1].intent is None]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_search_arguments(p, every=4)
    p.add_argument("--out", help="one JSON line per utterance")
    p.add_argument("--show-wrong", type=int, default=0, help="print that many wrong best sentences")
    p.add_argument("--context", choices=["confirmation"],
                   help="decode every file in this reply context (as said after a read-back; docs/asr.md)")
    p.add_argument("--adapter", help="a decoder adapter (.npz, bench/whisper_adapter.py) for the grammar rows")
    args = p.parse_args(argv)

    from assistant.asr.constrained_whisper import ConstrainedWhisperRecognizer
    from assistant.grammar import load_grammar
    from assistant.harness.labels import load_dataset
    from assistant.harness.scoring import Inferred, score

    items = subset(args, load_dataset(args.audio, args.labels))
    segments = _segments(args, items)
    settings = _settings(args.set)
    rec = ConstrainedWhisperRecognizer(args.model, load_grammar(None), settings=settings)
    if args.adapter:
        from assistant.asr.adapter import load_adapter

        dec = rec.engine.decoder
        dec.set_adapter(load_adapter(args.adapter, args.model, dec.layers_n, dec.width))
        print(f"adapter: {args.adapter}", file=sys.stderr)
    if args.context:
        from assistant.asr.context import ReplyContext

        rec.set_context(ReplyContext(args.context))
    by_path = {str(path): label for path, label in items}  # "none/..." exists in both languages
    stats: dict[tuple[str, str], dict[str, int]] = {}
    cpu: list[float] = []
    wrong_shown = 0
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    t0 = time.perf_counter()
    for n, ((key, cond), pcms) in enumerate(segments.items()):
        label = by_path.get(key)
        if label is None:
            continue
        file = label.file
        lang = label.language or "?"
        cell = stats.setdefault((lang if label.intent else "ood", cond),
                                dict(n=0, best=0, among=0, accepted=0, wrong=0))
        cell["n"] += 1
        accepted_right = 0
        for seg_i, pcm in enumerate(pcms):
            audio = pcm.astype(np.float32) / 32768.0
            c0 = time.process_time()
            tr = rec._decode(audio) if len(audio) >= 1600 else None
            cpu.append(time.process_time() - c0)
            if tr is None:
                continue
            det = tr.detail
            best_right = bool(label.intent and det.get("intent")
                              and score(label, [Inferred(det["intent"], dict(det["slots"]))]).accepted)
            among = any(label.intent and score(label, [Inferred(a["intent"], dict(a["slots"]))]).accepted
                        for a in det.get("alternatives", []))
            cell["best"] += best_right
            cell["among"] += bool(among)
            if tr.accepted:
                if best_right:
                    accepted_right += 1
                else:
                    cell["wrong"] += 1
            if (not best_right and label.intent and wrong_shown < args.show_wrong):
                wrong_shown += 1
                print(f"  {cond} {file}: said {label.text!r} -> {det.get('surface')!r} "
                      f"(free {det.get('free')!r}) accepted={tr.accepted}", file=sys.stderr)
            if out:
                rescore = dict(det.get("rescore") or {})  # with --set compare_gates=true
                for c in rescore.get("scored", []):
                    c["right"] = bool(label.intent and score(label, [Inferred(c["intent"], dict(c["slots"]))]).accepted)
                out.write(json.dumps({
                    "rescore": rescore,
                    "file": file, "lang": lang, "condition": cond, "segment": seg_i,
                    "segments": len(pcms), "command": label.intent is not None, "right": best_right,
                    "features": det.get("features"), "accepted_now": tr.accepted, "logistic_accepted": tr.accepted,
                    "confidence_now": tr.confidence, "hypothesis": det.get("hypothesis"), "free": det.get("free"),
                    "text": label.text, "alternatives": det.get("alternatives"), "cpu_s": cpu[-1],
                    "label_intent": label.intent, "intent": det.get("intent") if tr.accepted else None,
                    "reply": det.get("reply"), "search_intent": det.get("search_intent"),
                    "audio_s": round(len(audio) / 16000, 3), "speech_end_s": _speech_end(audio),
                    "alt_right": [bool(label.intent and score(label, [Inferred(a["intent"], dict(a["slots"]))]).accepted)
                                  for a in det.get("alternatives", [])],
                }, ensure_ascii=False) + "\n")
        cell["accepted"] += accepted_right == 1 and len(pcms) >= 1
        print(f"\r{n + 1}/{len(segments)} {time.perf_counter() - t0:.0f} s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if out:
        out.close()
    print(f"settings: {settings}")
    print("lang  condition   n   best-right  right-among  accepted  wrong-accepted")
    for (lang, cond), c in sorted(stats.items()):
        n = max(1, c["n"])
        if lang == "ood":
            print(f"{lang:5s} {cond:10s} {c['n']:3d}  rejected {c['n'] - c['wrong']}/{c['n']}")
            continue
        print(f"{lang:5s} {cond:10s} {c['n']:3d}  {c['best'] / n:6.1%}      {c['among'] / n:6.1%}     "
              f"{c['accepted'] / n:6.1%}    {c['wrong']}")
    if cpu:
        q = sorted(cpu)
        print(f"recogniser CPU per utterance p50 {statistics.median(q) * 1000:.0f} ms, "
              f"p95 {q[int(0.95 * (len(q) - 1))] * 1000:.0f} ms (n={len(q)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
