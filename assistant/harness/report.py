"""Summaries of a harness run: terminal table, JSON report, acceptance-vs-SNR plot.

Two acceptance figures are given side by side:
* `rate` - what MIA would act on: the dialogue's confidence gate (`dialogue.min_confidence`)
  applied, exactly as live;
* `no_gate` - the same scoring with every matched parse counted whatever the recogniser's
  confidence: it separates "heard wrong" from "heard right but not trusted".
"""
from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .runner import Condition, HeardRecord, Outcome, Pipeline, RunResult
from .scoring import Inferred, describe, score

REPORT_VERSION = 1


@dataclass(frozen=True)
class Rate:
    n: int
    accepted: int
    accepted_no_gate: int

    @property
    def rate(self) -> float:
        return self.accepted / self.n if self.n else 0.0

    @property
    def rate_no_gate(self) -> float:
        return self.accepted_no_gate / self.n if self.n else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "accepted": self.accepted, "rate": round(self.rate, 4),
                "accepted_no_gate": self.accepted_no_gate, "rate_no_gate": round(self.rate_no_gate, 4)}


def accepted_without_gate(o: Outcome) -> bool:
    """Score again counting every matched parse, even one the confidence gate refused."""
    if o.error is not None:
        return False
    inferred = [Inferred(h.parse["intent"], dict(h.parse["slots"])) for h in o.scored_heard
                if h.parse is not None and h.parse["matched"] and h.parse["intent"] is not None]
    return score(o.label, inferred, segments=o.segments if o.speech_span_s is not None else 1).accepted


def rate_of(outcomes: Iterable[Outcome]) -> Rate:
    items = list(outcomes)
    return Rate(len(items), sum(o.accepted for o in items), sum(accepted_without_gate(o) for o in items))


def _group(outcomes: list[Outcome], key: Callable[[Outcome], str]) -> dict[str, Rate]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[key(o)].append(o)
    return {k: rate_of(v) for k, v in groups.items()}


def _snr_order(label: str) -> tuple[int, float]:
    return (0, 0.0) if label == "clean" else (1, -float(label.split()[0]))


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Summary:
    overall: Rate
    by_language: dict[str, Rate]
    by_snr: dict[str, Rate]
    by_noise: dict[str, Rate]
    by_condition: dict[str, dict[str, Rate]]  # noise -> snr label -> rate
    by_intent: dict[str, Rate]
    errors: dict[str, int]
    latency: dict[str, dict[str, float]]  # backend -> n, p50_ms, p95_ms, mean_ms, max_ms
    rtf: dict[str, Any]  # path: whole path; asr: {backend: recogniser only}
    failures: list[Outcome]
    endpointer: dict[str, dict[str, int]] = field(default_factory=dict)  # condition -> segmentation counts


def endpointer_counts(outcomes: Iterable[Outcome]) -> dict[str, int]:
    """How the endpointer cut the files: commands split in two or more, speech files with no
    utterance at all (missed), utterances made of noise or silence alone (spurious)."""
    items = [o for o in outcomes if o.error is None]
    speech = [o for o in items if o.speech_span_s is not None]
    commands = [o for o in speech if not o.label.is_rejection]
    return {"files": len(items), "speech_files": len(speech),
            "split": sum(1 for o in commands if o.split), "missed": sum(1 for o in speech if o.missed),
            "spurious": sum(o.spurious for o in items),
            "spurious_files": sum(1 for o in items if o.spurious)}


def summarise(outcomes: list[Outcome]) -> Summary:
    by_snr = dict(sorted(_group(outcomes, lambda o: o.condition.snr_label).items(), key=lambda kv: _snr_order(kv[0])))
    noisy = [o for o in outcomes if not o.condition.is_clean]
    by_noise = _group(noisy, lambda o: o.condition.noise_name)
    by_condition: dict[str, dict[str, Rate]] = {}
    for name in by_noise:
        cells = _group([o for o in noisy if o.condition.noise_name == name], lambda o: o.condition.snr_label)
        by_condition[name] = dict(sorted(cells.items(), key=lambda kv: _snr_order(kv[0])))
    by_intent = dict(sorted(_group(outcomes, lambda o: o.label.intent or "(reject)").items(),
                            key=lambda kv: (kv[0] == "(reject)", kv[0])))
    errors = Counter(o.score.error for o in outcomes if not o.accepted and o.score.error)
    latencies: dict[str, list[float]] = defaultdict(list)
    for o in outcomes:
        for h in o.scored_heard:
            latencies[h.backend].append(h.latency_s)
    latency = {
        backend: {"n": len(v), "p50_ms": round(percentile(v, 50) * 1000, 1),
                  "p95_ms": round(percentile(v, 95) * 1000, 1), "mean_ms": round(sum(v) / len(v) * 1000, 1),
                  "max_ms": round(max(v) * 1000, 1)}
        for backend, v in sorted(latencies.items()) if v
    }
    return Summary(
        overall=rate_of(outcomes),
        by_language=dict(sorted(_group(outcomes, lambda o: o.language).items())),
        by_snr=by_snr, by_noise=by_noise, by_condition=by_condition, by_intent=by_intent,
        errors=dict(errors.most_common()), latency=latency, rtf=_rtf(outcomes),
        failures=[o for o in outcomes if not o.accepted],
        endpointer={name: endpointer_counts(group) for name, group in _by_condition(outcomes).items()},
    )


def _by_condition(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.condition.name].append(o)
    return dict(groups)


def _rtf(outcomes: list[Outcome]) -> dict[str, Any]:
    """Real-time factors: `path` is the whole path's (wall time / audio processed, over every file:
    endpointer, recognisers and parser); `asr[backend]` the recogniser's own over the utterances it
    decoded (its processing time / their audio; segments the endpointer discarded are not in it)."""
    proc = sum(o.processing_s for o in outcomes)
    audio = sum(o.stream_s for o in outcomes)
    asr: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for o in outcomes:
        for h in o.heard:
            for t in h.transcripts:
                asr[t.backend][0] += t.processing_s
                asr[t.backend][1] += t.audio_s
    return {"path": round(proc / audio, 4) if audio else 0.0,
            "asr": {name: round(p / a, 4) if a else 0.0 for name, (p, a) in sorted(asr.items())}}


# ---------------------------------------------------------------------------- terminal
def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def _row(title: str, r: Rate, width: int) -> str:
    return f"  {title:<{width}} {r.n:>6} {r.accepted:>9} {_pct(r.rate):>8} {_pct(r.rate_no_gate):>10}"


def got_text(o: Outcome) -> str:
    if o.error is not None:
        return "(unreadable)"
    if o.inferred:
        return ", ".join(describe(i.intent, i.slots) for i in o.inferred)
    reasons = [h.reason for h in o.scored_heard if h.reason]
    if not o.scored_heard:
        return "(no utterance: the endpointer found no speech)"
    return f"(nothing: {', '.join(dict.fromkeys(reasons))})" if reasons else "(nothing)"


def transcript_text(o: Outcome) -> str:
    texts = [h.transcript for h in o.scored_heard if h.transcript]
    return " / ".join(texts)


_TEXT: dict[str, tuple[str, str]] = {
    "head": ("MIA harness: {files} file(s) x {conditions} condition(s); recognisers: {backends}; grammar: {grammar}",
             "Banc MIA : {files} fichier(s) x {conditions} condition(s) ; reconnaissance : {backends} ; "
             "grammaire : {grammar}"),
    "snr": ("SNR = active-speech SNR (docs/harness.md); noise lead-in {lead:g} s; seed {seed}",
            "RSB = rapport signal/bruit sur la parole active (docs/harness.md) ; bruit d'amorce {lead:g} s ; "
            "graine {seed}"),
    "gate": ("Confidence gate (dialogue.min_confidence): {gate}",
             "Seuil de confiance (dialogue.min_confidence) : {gate}"),
    "table": ("Command acceptance", "Commandes acceptées"),
    "accepted": ("accepted", "acceptées"),
    "rate": ("rate", "taux"),
    "nogate": ("no gate", "sans seuil"),
    "overall": ("overall", "global"),
    "language": ("language", "langue"),
    "SNR": ("SNR", "RSB"),
    "noise": ("noise", "bruit"),
    "intent": ("intent", "intention"),
    "matrix": ("noise x SNR", "bruit x RSB"),
    "errors": ("Errors", "Erreurs"),
    "segmentation": ("Endpointer (split: a command cut in 2+ utterances; missed: speech with no utterance; "
                     "spurious: utterances of noise or silence alone)",
                     "Détecteur de parole (coupées : une commande coupée en 2 énoncés ou plus ; manquées : parole "
                     "sans énoncé ; parasites : énoncés faits de bruit ou de silence seuls)"),
    "seg_head": ("condition", "condition"),
    "split": ("split", "coupées"),
    "missed": ("missed", "manquées"),
    "spurious": ("spurious", "parasites"),
    "latency": ("Latency, endpoint decision -> intent (final decoding + parsing; live, the endpointer's "
                "{trailing:g} s trailing silence comes first)",
                "Latence, fin d'énoncé détectée -> intention (décodage final + analyse ; en direct, les "
                "{trailing:g} s de silence final du détecteur s'y ajoutent avant)"),
    "rtf": ("RTF of the whole path (endpointer + recognisers + parser, wall time / audio): {rtf:.3f}",
            "RTF du chemin complet (détecteur + reconnaissance + analyse, temps / durée audio) : {rtf:.3f}"),
    "failures": ("Failures ({n}):", "Échecs ({n}) :"),
    "expected": ("expected", "attendu "),
    "got": ("got     ", "obtenu  "),
    "heard": ("heard   ", "entendu "),
    "said": ("said", "dit"),
    "more": ("... {n} more (all of them in the --report JSON)", "... {n} de plus (tous dans le JSON de --report)"),
}


def _t(key: str, lang: str, **values: Any) -> str:
    en, fr = _TEXT[key]
    return (fr if lang == "fr" else en).format(**values)


def format_table(summary: Summary, pipeline: Pipeline | None, settings: dict[str, Any],
                 max_failures: int = 40, lang: str = "en") -> str:
    """The terminal report, in English or French (`lang`); intent and backend names stay as they are."""
    lines: list[str] = []
    backends = ", ".join(f"{k}={v}" for k, v in (pipeline.backends.items() if pipeline else [])) or "?"
    lines.append(_t("head", lang, files=settings.get("files", "?"), conditions=settings.get("conditions", "?"),
                    backends=backends, grammar=pipeline.grammar if pipeline else "?"))
    if settings.get("noises"):
        lines.append(_t("snr", lang, lead=settings.get("lead_in_s", 0.0), seed=settings.get("seed", 0)))
    lines.append(_t("gate", lang, gate=settings.get("min_confidence")))
    lines.append("")
    groups: list[tuple[str, dict[str, Rate]]] = [("language", summary.by_language), ("SNR", summary.by_snr)]
    if summary.by_noise:
        groups.append(("noise", summary.by_noise))
    groups.append(("intent", summary.by_intent))
    width = max([20] + [len(k) + 2 for _, g in groups for k in g])
    header = (f"  {_t('table', lang):<{width}} {'n':>6} {_t('accepted', lang):>9} {_t('rate', lang):>8} "
              f"{_t('nogate', lang):>10}")
    lines.append(header)
    lines.append("  " + "-" * (len(header) - 2))
    lines.append(_row(_t("overall", lang), summary.overall, width))
    for title, group in groups:
        lines.append(f"  {_t(title, lang)}")
        for key, rate in group.items():
            lines.append(_row("  " + key, rate, width))
    if summary.by_condition:
        snrs = sorted({s for cells in summary.by_condition.values() for s in cells}, key=_snr_order)
        lines.append("")
        lines.append("  " + f"{_t('matrix', lang):<14}" + "".join(f"{s:>9}" for s in snrs))
        for name, cells in summary.by_condition.items():
            cols = "".join(f"{_pct(cells[s].rate) if s in cells else '':>9}" for s in snrs)
            lines.append("  " + f"{name:<14}" + cols)
        clean = summary.by_snr.get("clean")
        if clean is not None:
            lines.append("  " + f"{'(clean)':<14}" + f"{_pct(clean.rate):>9}")
    if summary.errors:
        lines.append("")
        lines.append(f"  {_t('errors', lang)}: " + ", ".join(f"{k} {v}" for k, v in summary.errors.items()))
    if summary.endpointer:
        lines.append("")
        lines.append("  " + _t("segmentation", lang))
        cw = max([14] + [len(k) + 2 for k in summary.endpointer])
        lines.append(f"  {_t('seg_head', lang):<{cw}} {'files':>6} {_t('split', lang):>8} {_t('missed', lang):>8} "
                     f"{_t('spurious', lang):>9}")
        for name, c in summary.endpointer.items():
            lines.append(f"  {name:<{cw}} {c['files']:>6} {c['split']:>8} {c['missed']:>8} {c['spurious']:>9}")
    lines.append("")
    lines.append("  " + _t("latency", lang, trailing=float(settings.get("trailing_silence_s", 0.5))))
    lines.append(f"  {'backend':<22} {'n':>5} {'p50':>9} {'p95':>9} {'max':>9} {'RTF asr':>8}")
    asr_rtf = summary.rtf.get("asr", {})
    for name in sorted(set(summary.latency) | set(asr_rtf)):
        lat = summary.latency.get(name)
        lat_cols = (f"{lat['n']:>5} {lat['p50_ms']:>7.0f}ms {lat['p95_ms']:>7.0f}ms {lat['max_ms']:>7.0f}ms"
                    if lat else f"{'-':>5} {'-':>9} {'-':>9} {'-':>9}")
        rtf = f"{asr_rtf[name]:.3f}" if name in asr_rtf else "-"
        lines.append(f"  {name:<22} {lat_cols} {rtf:>8}")
    lines.append("  " + _t("rtf", lang, rtf=summary.rtf.get("path", 0.0)))
    if summary.failures:
        lines.append("")
        lines.append("  " + _t("failures", lang, n=len(summary.failures)))
        for o in summary.failures[:max_failures]:
            said = f' {_t("said", lang)} "{o.label.text}"' if o.label.text else ""
            lines.append(f"  - [{o.condition.name}] {o.file}{said}: {o.score.error}")
            lines.append(f"      {_t('expected', lang)} {describe(o.label.intent, o.label.slots)}")
            lines.append(f"      {_t('got', lang)} {got_text(o)}")
            tr = transcript_text(o)
            if tr:
                lines.append(f"      {_t('heard', lang)} \"{tr}\"")
        if len(summary.failures) > max_failures:
            lines.append("  " + _t("more", lang, n=len(summary.failures) - max_failures))
    return "\n".join(lines)


# ---------------------------------------------------------------------------- JSON
def _heard_dict(h: HeardRecord) -> dict[str, Any]:
    d = asdict(h)
    d["latency_ms"] = round(d.pop("latency_s") * 1000, 2)
    for t in d["transcripts"]:
        t["processing_ms"] = round(t.pop("processing_s") * 1000, 2)
    return d


def _condition_dict(c: Condition) -> dict[str, Any]:
    return {"name": c.name, "noise": None if c.noise is None else c.noise.name, "snr_db": c.snr_db}


def outcome_dict(o: Outcome) -> dict[str, Any]:
    return {
        "file": o.file, "language": o.language, "condition": _condition_dict(o.condition),
        "expected": {"intent": o.label.intent, "slots": o.label.slots, "text": o.label.text},
        "got": [{"intent": i.intent, "slots": i.slots} for i in o.inferred],
        "accepted": o.accepted, "accepted_no_gate": accepted_without_gate(o),
        "segments": o.segments, "split": o.split, "missed": o.missed, "spurious": o.spurious,
        "speech_span_s": None if o.speech_span_s is None else [round(t, 3) for t in o.speech_span_s],
        "error": o.score.error, "detail": o.score.detail, "transcript": transcript_text(o),
        "snr_measured_db": None if o.snr_measured_db is None else round(o.snr_measured_db, 2),
        "stream_s": round(o.stream_s, 3), "processing_ms": round(o.processing_s * 1000, 2), "rtf": round(o.rtf, 4),
        "heard": [_heard_dict(h) for h in o.heard], "read_error": o.error,
    }


def report_dict(result: RunResult, summary: Summary, pipeline: Pipeline | None,
                settings: dict[str, Any]) -> dict[str, Any]:
    def rates(group: dict[str, Rate]) -> dict[str, Any]:
        return {k: v.as_dict() for k, v in group.items()}

    return {
        "version": REPORT_VERSION,
        "settings": settings | ({"backends": pipeline.backends, "grammar": pipeline.grammar,
                                 "startup": pipeline.startup} if pipeline else {}),
        "summary": {
            "overall": summary.overall.as_dict(),
            "by_language": rates(summary.by_language),
            "by_snr": rates(summary.by_snr),
            "by_noise": rates(summary.by_noise),
            "by_condition": {k: rates(v) for k, v in summary.by_condition.items()},
            "by_intent": rates(summary.by_intent),
            "errors": summary.errors,
            "endpointer": summary.endpointer,
        },
        "latency": summary.latency,
        "rtf": summary.rtf,
        "wall_s": round(result.wall_s, 2),
        "failures": [outcome_dict(o) for o in summary.failures],
        "items": [outcome_dict(o) for o in result.outcomes],
    }


def write_json(path: str | Path, data: dict[str, Any]) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    tmp.replace(p)  # never leave a half-written report behind
    return p


# ---------------------------------------------------------------------------- plot
def write_plot(path: str | Path, summary: Summary, title: str = "MIA command acceptance vs SNR") -> Path:
    """PNG of acceptance vs SNR: one line per noise, clean as a dashed reference line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    all_snrs: set[float] = set()
    for name, cells in summary.by_condition.items():
        pts = sorted((float(k.split()[0]), v.rate * 100) for k, v in cells.items() if k != "clean")
        if pts:
            xs, ys = zip(*pts)
            all_snrs.update(xs)
            ax.plot(xs, ys, marker="o", label=name)
    clean = summary.by_snr.get("clean")
    if clean is not None:
        ax.axhline(clean.rate * 100, linestyle="--", color="grey", label=f"clean ({clean.rate * 100:.1f}%)")
    if all_snrs:
        ax.set_xlim(max(all_snrs) + 1, min(all_snrs) - 1)  # easy (high SNR) on the left, as usual
    ax.set_ylim(0, 102)
    ax.set_xlabel("SNR (dB, active speech)")
    ax.set_ylabel("command acceptance (%)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(str(p), format="png")
    return p
