"""Run labelled audio through exactly the live listening path and score what MIA would act on.

The path, function for function, is the one `mia listen` / `mia run` use:

    WavSource (any file -> 16 kHz mono, trailing silence appended)
      -> Listener(recognisers, Endpointer(config.asr))       assistant/asr/pipeline.py
      -> choose_parse(heard, parser, prefer)                  assistant/voice/loop.py
      -> is_understood(parse, confidence, min_confidence)     assistant/dialogue/manager.py

Recognisers come from `prepare_recognizers` (backend selection and grammar compilation of the voice
loop), the parser is the dialogue's shared one (or one built from `--grammar`). Dialogue and engine
are not called: the harness stops at "what would be acted on".

Noisy conditions: the noise runs through a lead-in before the utterance (the endpointer's
noise-floor window plus its trailing silence), as in a room where the microphone has been open for a
while; utterances that end inside that lead-in are the endpointer settling and are recorded as
`warmup`, not scored. Each file is a fresh conversation (a new endpointer; recognisers are reset).
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.asr.pipeline import Heard, Listener
from assistant.audio import Endpointer, EndpointerConfig, WavSource, iter_chunks, paced
from assistant.audio.pcm import FRAME_SAMPLES, SAMPLE_RATE, to_float

from .labels import Label
from .noise import Mix, Noise, active_mask, active_speech_power, measured_snr, mix_at_snr
from .scoring import Inferred, Score, score

LANGS = ("en", "fr")


@dataclass(frozen=True)
class Condition:
    """Clean audio, or one noise at one SNR."""

    noise: Noise | None = None
    snr_db: float | None = None

    @property
    def is_clean(self) -> bool:
        return self.noise is None

    @property
    def snr_label(self) -> str:
        return "clean" if self.snr_db is None else f"{self.snr_db:g} dB"

    @property
    def noise_name(self) -> str:
        return "clean" if self.noise is None else self.noise.name

    @property
    def name(self) -> str:
        return "clean" if self.noise is None else f"{self.noise.name} @ {self.snr_db:g} dB"


def conditions_for(noises: list[Noise], snrs: list[float], include_clean: bool = True) -> list[Condition]:
    out = [Condition()] if include_clean else []
    out += [Condition(n, float(s)) for n in noises for s in snrs]
    return out


@dataclass
class Pipeline:
    """Everything the live path needs, built once and reused for every file."""

    recognizers: dict[str, Any]
    parser: Any
    endpointer_config: EndpointerConfig
    prefer: str | None  # language that breaks ties (forced --lang, else the configured language)
    min_confidence: float
    languages: tuple[str, ...]  # listening languages
    backends: dict[str, str]  # language -> backend name
    startup: list[str]  # the recogniser start-up lines, as `mia listen` prints them
    grammar: str  # description of the grammar in use

    def close(self) -> None:
        for rec in {id(r): r for r in self.recognizers.values()}.values():
            rec.close()


def build_pipeline(config: Any, *, lang: str = "auto", backend: str | None = None,
                   grammar_paths: list[str] | None = None, min_confidence: float | None = None,
                   ui_lang: str = "en") -> Pipeline:
    """Recognisers + parser as the voice loop builds them. Raises `GrammarError` (bad grammar file),
    `RecognizerError` (explicit backend that cannot run) or `HarnessError` (nothing can listen)."""
    from assistant.dialogue import shared_parser
    from assistant.grammar import load_grammar
    from assistant.nlu.parser import Parser
    from assistant.voice.front import endpointer_for, listen_languages, prepare_recognizers

    # Recognisers first: an explicit backend that cannot run is refused before the parser compiles.
    grammar = load_grammar(grammar_paths if grammar_paths else None)
    described = ", ".join(grammar_paths) if grammar_paths else "grammars/ (project)"
    wanted = listen_languages(lang)
    langs = tuple(code for code in wanted if code in grammar.languages)
    if not langs:
        raise HarnessError(
            f"La grammaire ({described}) ne couvre aucune des langues demandées ({', '.join(wanted)}) ; "
            f"langues de la grammaire : {', '.join(grammar.languages)}",
            f"The grammar ({described}) covers none of the requested languages ({', '.join(wanted)}); "
            f"grammar languages: {', '.join(grammar.languages)}",
        )
    recognizers, startup = prepare_recognizers(config, ui_lang, langs, backend, grammar=grammar)
    if not recognizers:
        raise HarnessError("Aucun moteur de reconnaissance disponible :\n  " + "\n  ".join(startup),
                           "No speech recogniser is available:\n  " + "\n  ".join(startup))
    # The project grammars: the dialogue's shared parser, the very object the voice loop uses.
    parser = Parser(grammar) if grammar_paths else shared_parser()
    prefer = lang if lang in LANGS else (config.language if config.language in LANGS else None)
    threshold = float(config.dialogue.min_confidence if min_confidence is None else min_confidence)
    return Pipeline(
        recognizers=recognizers, parser=parser,
        endpointer_config=endpointer_for(config).config,  # the live loop's settings (config asr.*)
        prefer=prefer, min_confidence=threshold, languages=tuple(recognizers),
        backends={code: rec.backend for code, rec in recognizers.items()},
        startup=startup, grammar=described,
    )


class HarnessError(RuntimeError):
    """The harness cannot run (bilingual message)."""

    def __init__(self, fr: str, en: str) -> None:
        self.fr = fr
        self.en = en
        super().__init__(f"{fr}\n{en}")


# ---------------------------------------------------------------------------- one file
@dataclass
class TranscriptRecord:
    backend: str
    lang: str
    text: str
    confidence: float
    out_of_grammar: bool
    audio_s: float
    processing_s: float


@dataclass
class HeardRecord:
    """One endpointed utterance of a file and what became of it."""

    start_s: float  # stream time of the first speech frame
    end_s: float  # stream time of the endpoint decision
    speech_end_s: float  # stream time of the end of the last speech frame
    transcripts: list[TranscriptRecord]
    transcript: str  # the transcript the decision used ("" when none was usable)
    backend: str  # backend(s) that decoded it, e.g. "pocketsphinx" or "pocketsphinx+whisper"
    parse: dict[str, Any] | None  # intent, slots, matched, reason, language, score, method
    understood: bool  # what the dialogue would act on
    reason: str | None  # why not understood: too_long, recogniser_rejected, nothing_decoded, low_confidence,
    #                     or the parser's reason (no_match, missing_quantity, ambiguous_symbol...)
    latency_s: float  # endpoint decision -> intent (final decoding + parsing)
    warmup: bool = False  # ended inside the noise lead-in: not scored
    on_speech: bool = False  # overlaps the labelled speech of the file (else noise or silence made it)
    # last speech frame -> intent: what the user feels, trailing silence included (meaningful when the
    # audio is paced in real time, `run_file(realtime=True)`)
    from_speech_end_s: float = 0.0


@dataclass
class Outcome:
    file: str  # label key
    condition: Condition
    label: Label
    heard: list[HeardRecord]
    inferred: list[Inferred]
    score: Score
    stream_s: float  # audio processed (lead-in, file, trailing silence)
    processing_s: float  # wall time of the whole path for this file
    snr_measured_db: float | None = None
    error: str | None = None  # the file could not be processed (bilingual message)
    speech_span_s: tuple[float, float] | None = None  # stream times of the file's speech (None: no speech)

    @property
    def segments(self) -> int:
        """Utterances the endpointer made of the file's speech: 1 is right, 0 missed, 2+ split."""
        return sum(1 for h in self.scored_heard if h.on_speech)

    @property
    def split(self) -> bool:
        return self.speech_span_s is not None and self.segments > 1

    @property
    def missed(self) -> bool:
        """Speech in the file, and no utterance on it (nothing reached a recogniser)."""
        return self.speech_span_s is not None and self.error is None and self.segments == 0

    @property
    def spurious(self) -> int:
        """Utterances made of noise or silence alone (outside the speech, or in a file without any)."""
        return sum(1 for h in self.scored_heard if not h.on_speech)

    @property
    def language(self) -> str:
        return self.label.language or "?"

    @property
    def accepted(self) -> bool:
        return self.score.accepted

    @property
    def rtf(self) -> float:
        return self.processing_s / self.stream_s if self.stream_s > 0 else 0.0

    @property
    def scored_heard(self) -> list[HeardRecord]:
        return [h for h in self.heard if not h.warmup]


def lead_in_s(cfg: EndpointerConfig) -> float:
    """Noise before the utterance: enough for the endpointer's noise floor to settle (its window),
    and for the segment that the noise onset opens to close (its trailing silence), plus margin."""
    return cfg.floor_window_s + cfg.trailing_silence_s + 0.5


def _parse_dict(parsed: Any) -> dict[str, Any]:
    return {
        "intent": parsed.intent, "slots": dict(parsed.slots), "matched": parsed.matched,
        "reason": parsed.reason, "language": parsed.language, "score": parsed.score, "method": parsed.method,
    }


def _heard_text(t: Any) -> str:
    """What a recogniser decoded, even when it then refused it (kept in its diagnostics)."""
    return str(t.text or t.detail.get("hypothesis") or t.detail.get("raw") or "")


def speech_span(pcm: np.ndarray) -> tuple[float, float] | None:
    """First and last active 20 ms frame of a clean file, in seconds (see noise.active_mask)."""
    mask = active_mask(to_float(pcm))
    if not mask.any():
        return None
    idx = np.flatnonzero(mask)
    frame = FRAME_SAMPLES / SAMPLE_RATE
    return float(idx[0] * frame), float((idx[-1] + 1) * frame)


def _decide(heard: Heard, pipeline: Pipeline, warmup: bool) -> tuple[HeardRecord, Inferred | None]:
    from assistant.dialogue.manager import is_understood
    from assistant.voice.loop import choose_parse

    t0 = time.perf_counter()
    parsed, tr = choose_parse(heard, pipeline.parser, pipeline.prefer)
    understood = False
    reason: str | None
    if parsed is None or tr is None:
        # Cut at the maximum length; or the recogniser refused what it decoded (out of grammar, low
        # acoustic fit, whisper's no-speech / hallucination checks); or it decoded nothing at all.
        decoded = any(_heard_text(t) for t in heard.transcripts.values())
        reason = heard.rejected or ("recogniser_rejected" if decoded else "nothing_decoded")
    elif not parsed.matched:
        reason = parsed.reason or "no_match"
    elif not is_understood(parsed, tr.confidence, pipeline.min_confidence):
        reason = "low_confidence"
    else:
        understood, reason = True, None
    parse_s = time.perf_counter() - t0
    latency = heard.latency_s + parse_s
    unique = {id(t): t for t in heard.transcripts.values()}.values()
    record = HeardRecord(
        start_s=heard.utterance.start_s, end_s=heard.utterance.end_s, speech_end_s=heard.utterance.speech_end_s,
        transcripts=[TranscriptRecord(t.backend, t.lang, _heard_text(t), round(t.confidence, 4), t.out_of_grammar,
                                      round(t.audio_s, 3), t.processing_s) for t in unique],
        transcript=tr.text if tr is not None else " | ".join(_heard_text(t) for t in unique if _heard_text(t)),
        backend="+".join(sorted({t.backend for t in unique})) or "+".join(sorted(set(pipeline.backends.values()))),
        parse=_parse_dict(parsed) if parsed is not None else None,
        understood=understood, reason=reason, latency_s=latency, warmup=warmup,
        from_speech_end_s=heard.from_speech_end_s + parse_s,
    )
    inferred = (Inferred(parsed.intent, dict(parsed.slots))
                if understood and parsed is not None and parsed.intent is not None else None)
    return record, inferred


def run_file(pipeline: Pipeline, path: Path, label: Label, condition: Condition, *, seed: int = 0,
             reference_power: float | None = None, realtime: bool = False) -> Outcome:
    """One file under one condition, through the live path. `realtime`: the audio is delivered at
    the speed of speech, as a microphone would (latencies then are the live ones; without it the
    file is read as fast as it is processed, so nothing can be done during the trailing silence)."""
    cfg = pipeline.endpointer_config
    source = WavSource(path, trailing_silence_s=cfg.trailing_silence_s + 0.1)  # as `mia listen --input wav`
    pcm = source.pcm
    pad = int(source.trailing_silence_s * SAMPLE_RATE)
    span = speech_span(pcm[: len(pcm) - pad]) if label.text is not None or not label.is_rejection else None
    lead = 0.0
    mix: Mix | None = None
    chunks: Iterable[np.ndarray] = source
    snr_measured: float | None = None
    if condition.noise is not None:
        assert condition.snr_db is not None
        lead = lead_in_s(cfg)
        n_lead = int(lead * SAMPLE_RATE)
        stream = np.concatenate([np.zeros(n_lead, np.int16), pcm])
        file_span = (n_lead, len(stream) - pad)
        mix = mix_at_snr(stream, file_span, condition.noise, condition.snr_db, seed=seed, utterance=label.file,
                         reference_power=reference_power)
        if not mix.used_reference:
            snr_measured = measured_snr(stream, mix.pcm, file_span, mix.scale)
        chunks = iter_chunks(mix.pcm, source.chunk_samples)
        stream_s = len(mix.pcm) / SAMPLE_RATE
    else:
        stream_s = len(pcm) / SAMPLE_RATE
    for rec in {id(r): r for r in pipeline.recognizers.values()}.values():
        rec.reset()
    listener = Listener(pipeline.recognizers, Endpointer(cfg))
    if realtime:
        chunks = paced(chunks)
    heard: list[HeardRecord] = []
    inferred: list[Inferred] = []
    stream_span = None if span is None else (span[0] + lead, span[1] + lead)
    t0 = time.perf_counter()
    for h in listener.listen(chunks):
        warmup = lead > 0 and h.utterance.speech_end_s <= lead
        record, inf = _decide(h, pipeline, warmup)
        record.on_speech = stream_span is not None and overlaps(record, stream_span)
        heard.append(record)
        if inf is not None and not warmup:
            inferred.append(inf)
    processing = time.perf_counter() - t0
    out = Outcome(label.file, condition, label, heard, inferred, Score(True), stream_s, processing, snr_measured,
                  speech_span_s=stream_span)
    out.score = score(label, inferred, segments=out.segments if stream_span is not None else 1)
    return out


def overlaps(h: HeardRecord, span: tuple[float, float]) -> bool:
    """The utterance holds some of the labelled speech (its speech frames meet the span)."""
    return h.start_s < span[1] and h.speech_end_s > span[0]


def reference_speech_power(items: list[tuple[Path, Label]]) -> float | None:
    """Median active-speech power of the files (for files with no speech of their own)."""
    from assistant.audio import AudioInputError, read_audio

    powers = []
    for path, _ in items:
        try:
            p = active_speech_power(to_float(read_audio(path)))
        except AudioInputError:  # reported when the file itself is run
            continue
        if p is not None:
            powers.append(p)
    return statistics.median(powers) if powers else None


@dataclass
class RunResult:
    outcomes: list[Outcome] = field(default_factory=list)
    wall_s: float = 0.0


def run(pipeline: Pipeline, items: list[tuple[Path, Label]], conditions: list[Condition], *, seed: int = 0,
        progress: bool = True, on_outcome: Callable[[Outcome], None] | None = None) -> RunResult:
    """Every file under every condition, with a progress bar on stderr. A file that cannot be read
    is scored as an error (its message kept), and the run goes on."""
    from tqdm import tqdm

    from assistant.audio import AudioInputError

    reference = reference_speech_power(items) if any(not c.is_clean for c in conditions) else None
    result = RunResult()
    t0 = time.perf_counter()
    bar = tqdm(total=len(items) * len(conditions), unit="utt", desc="harness", disable=not progress,
               dynamic_ncols=True, leave=False)
    try:
        for cond in conditions:
            bar.set_postfix_str(cond.name)
            for path, label in items:
                try:
                    out = run_file(pipeline, path, label, cond, seed=seed, reference_power=reference)
                except (AudioInputError, ValueError) as exc:
                    out = Outcome(label.file, cond, label, [], [], Score(False, "unreadable", str(exc)),
                                  0.0, 0.0, error=str(exc))
                result.outcomes.append(out)
                if on_outcome is not None:
                    on_outcome(out)
                bar.update(1)
    finally:
        bar.close()
    result.wall_s = time.perf_counter() - t0
    return result
