"""source -> endpointer -> recogniser(s): the live listening path, shared with the harness.

Recognisers are fed *while* the person speaks (each `SpeechAudio` event), so when the endpointer
closes the utterance only the final decoding step is left: that is the latency the user feels
after the trailing silence. Several languages can listen at once (one recogniser per language,
all fed the same audio); the parser then chooses among the transcripts.

Speculative final decoding (off by default: `EndpointerConfig.pause_s` / config `asr.pause_s`,
docs/asr.md "Exact speculation"): when the endpointer announces a pause (`SpeechPaused`, 0.2 s after the
last speech frame), each recogniser is told (`Recognizer.pause`) and may start its final decoding
then, on the audio so far followed by a stand-in for the silence still to come; if speech resumes
(`SpeechResumed`) that work is dropped. The constrained Whisper does so in a worker thread: its
result is the one `final()` gives at the close (which decodes the same input), about 0.3 s sooner.

A segment the endpointer discards (noise burst, click) resets the recognisers. An utterance cut
at the maximum length is not decoded at all: a 60-second ramble is "not understood", never
forced onto a command.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..audio.endpointer import (
    Endpointer,
    EndpointerConfig,
    SegmentDiscarded,
    SpeechAudio,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    Utterance,
    UtteranceEnded,
)
from ..audio.wav_source import WavSource
from .base import Partial, Recognizer, Transcript
from .context import ReplyContext

PartialCallback = Callable[[str, Partial], None]


@dataclass(frozen=True)
class Heard:
    """One endpointed utterance and what each language's recogniser made of it."""

    utterance: Utterance
    transcripts: dict[str, Transcript] = field(default_factory=dict)
    rejected: str | None = None  # "too_long" when cut at max length (not decoded)
    latency_s: float = 0.0  # endpoint decision -> all transcripts ready
    # last speech frame -> all transcripts ready: what the user feels (in real time; includes the
    # endpointer's trailing silence)
    from_speech_end_s: float = 0.0

    @property
    def best(self) -> Transcript | None:
        """The accepted transcript with the highest confidence, or None (nothing usable)."""
        ok = [t for t in self.transcripts.values() if t.accepted]
        return max(ok, key=lambda t: t.confidence) if ok else None

    @property
    def understood(self) -> bool:
        return self.rejected is None and self.best is not None


class Listener:
    """Drive recognisers from a PCM stream through an endpointer."""

    def __init__(
        self,
        recognizers: dict[str, Recognizer],
        endpointer: Endpointer | None = None,
        on_partial: PartialCallback | None = None,
        on_speech_start: Callable[[float], None] | None = None,
    ) -> None:
        if not recognizers:
            raise ValueError("Listener needs at least one recogniser")
        self.recognizers = recognizers
        self.endpointer = endpointer or Endpointer()
        self.on_partial = on_partial
        self.on_speech_start = on_speech_start
        # The same recogniser object may serve two languages (e.g. whisper "auto"): feed it once.
        unique: dict[int, tuple[str, Recognizer]] = {}
        for lang, rec in recognizers.items():
            unique.setdefault(id(rec), (lang, rec))
        self._fed = list(unique.values())
        self._unique = [rec for _, rec in self._fed]
        self.context: ReplyContext | None = None

    def process(self, chunk: np.ndarray) -> list[Heard]:
        return self._handle(self.endpointer.process(chunk))

    def flush(self) -> list[Heard]:
        return self._handle(self.endpointer.flush())

    def listen(self, source: Iterable[np.ndarray]) -> Iterator[Heard]:
        """Yield every utterance heard in `source` (a WavSource, a MicSource, any chunk iterable)."""
        for chunk in source:
            yield from self.process(chunk)
        yield from self.flush()

    def set_context(self, context: ReplyContext | None) -> None:
        """Hand the dialogue's reply context (assistant/asr/context.py) to every recogniser; None
        clears it. Backends that cannot use it ignore it."""
        self.context = context
        for rec in self._unique:
            rec.set_context(context)

    def reset(self) -> None:
        self.endpointer.reset()
        for rec in self._unique:
            rec.reset()

    def _handle(self, events: list) -> list[Heard]:
        out: list[Heard] = []
        for ev in events:
            if isinstance(ev, SpeechStarted):
                if self.on_speech_start:
                    self.on_speech_start(ev.start_s)
            elif isinstance(ev, SpeechAudio):
                for lang, rec in self._fed:
                    partial = rec.feed(ev.pcm)
                    if partial is not None and self.on_partial:
                        self.on_partial(lang, partial)
            elif isinstance(ev, SpeechPaused):
                for rec in self._unique:
                    rec.pause(ev.silence_to_close)
            elif isinstance(ev, SpeechResumed):
                for rec in self._unique:
                    rec.resume()
            elif isinstance(ev, SegmentDiscarded):
                for rec in self._unique:
                    rec.reset()
            elif isinstance(ev, UtteranceEnded):
                out.append(self._finish(ev.utterance))
        return out

    def _finish(self, utt: Utterance) -> Heard:
        if utt.truncated:
            for rec in self._unique:
                rec.reset()
            now = time.monotonic()
            return Heard(utt, {}, rejected="too_long", latency_s=now - utt.closed_at,
                         from_speech_end_s=now - utt.speech_end_at)
        finals: dict[int, Transcript] = {id(rec): rec.final() for rec in self._unique}
        transcripts = {lang: finals[id(rec)] for lang, rec in self.recognizers.items()}
        now = time.monotonic()
        return Heard(utt, transcripts, latency_s=now - utt.closed_at, from_speech_end_s=now - utt.speech_end_at)


def transcribe_file(
    path: str | Path,
    recognizers: dict[str, Recognizer],
    endpointer_config: EndpointerConfig | None = None,
) -> list[Heard]:
    """Run one audio file through exactly the live path (used by `mia listen --input wav` and
    the harness). Silence is appended so a command that ends with the file is endpointed the
    way a live one is, after the trailing silence."""
    cfg = endpointer_config or EndpointerConfig()
    source = WavSource(path, trailing_silence_s=cfg.trailing_silence_s + 0.1)
    listener = Listener(recognizers, Endpointer(cfg))
    return list(listener.listen(source))
