"""The one streaming recogniser interface shared by every backend.

Feed 16 kHz mono int16 chunks as they arrive (`feed` may return a partial result), then call
`final()` once the endpointer closes the utterance. `pause(silence)` says the speech paused: unless
`resume()` follows, the utterance is the audio fed so far plus `silence` samples that are not
speech; a backend may then start its final decoding early (the constrained Whisper does). `final()` returns a `Transcript` and leaves
the recogniser ready for the next utterance; `reset()` drops the current one (noise segment).

`out_of_grammar` is the backend's own verdict that the audio is not one of the phrases it was
constrained to (a grammar backend never forces it onto the closest phrase); for a free
transcription backend (whisper) it only means "nothing usable was heard", and the parser decides.
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..audio.pcm import FRAME_SAMPLES, SAMPLE_RATE, iter_chunks

if TYPE_CHECKING:
    from .context import ReplyContext


class RecognizerError(Exception):
    """A recogniser could not be built or run; bilingual message for the user."""

    def __init__(self, fr: str, en: str) -> None:
        self.fr = fr
        self.en = en
        super().__init__(f"{fr}\n{en}")


class BackendUnavailable(RecognizerError):
    """The backend's library or model is missing; the message says what to install."""


class GrammarError(RecognizerError):
    """The grammar handed to a backend cannot be used (unknown words, syntax, empty)."""


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float
    confidence: float


@dataclass(frozen=True)
class Partial:
    text: str


@dataclass(frozen=True)
class Transcript:
    text: str  # normalised: lowercase words separated by single spaces ("" when nothing)
    confidence: float  # 0..1
    lang: str  # "en" | "fr"
    backend: str  # "pocketsphinx" | "vosk" | "whisper"
    out_of_grammar: bool
    words: tuple[Word, ...] = ()
    audio_s: float = 0.0  # audio fed for this utterance
    processing_s: float = 0.0  # CPU wall time spent in feed() + final()
    decode_s: float = 0.0  # time spent in final() alone: what the user waits for after the endpoint
    detail: dict[str, Any] = field(default_factory=dict)  # backend diagnostics (scores, raw text)

    @property
    def rtf(self) -> float:
        """Real-time factor: processing time / audio duration."""
        return self.processing_s / self.audio_s if self.audio_s > 0 else 0.0

    @property
    def accepted(self) -> bool:
        return bool(self.text) and not self.out_of_grammar


class Recognizer(ABC):
    """Base class: subclasses implement `_start`, `_feed`, `_final`, `_reset`."""

    backend: str = ""
    #: Whether the backend uses a reply context (`set_context`); the others ignore it.
    uses_context: bool = False

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.context: ReplyContext | None = None
        self._active = False
        self._audio_samples = 0
        self._processing_s = 0.0

    # ---------------------------------------------------------------- public API
    def feed(self, pcm: np.ndarray) -> Partial | None:
        if pcm.dtype != np.int16 or pcm.ndim != 1:
            raise TypeError("Recognizer.feed expects 1-D int16 PCM at 16 kHz mono")
        t0 = time.perf_counter()
        if not self._active:
            self._start()
            self._active = True
        self._audio_samples += len(pcm)
        partial = self._feed(pcm) if len(pcm) else None
        self._processing_s += time.perf_counter() - t0
        return partial

    def final(self) -> Transcript:
        t0 = time.perf_counter()
        if not self._active:
            self._start()
        tr = self._final()
        decode_s = time.perf_counter() - t0
        out = Transcript(
            text=tr.text, confidence=tr.confidence, lang=tr.lang, backend=self.backend,
            out_of_grammar=tr.out_of_grammar, words=tr.words,
            audio_s=self._audio_samples / SAMPLE_RATE,
            processing_s=self._processing_s + decode_s, decode_s=decode_s, detail=tr.detail,
        )
        self._active = False
        self._audio_samples = 0
        self._processing_s = 0.0
        return out

    def pause(self, silence: int) -> None:
        """The speech paused; `silence` samples of non-speech will follow before `final()`, unless
        `resume()` is called first."""
        if self._active:
            self._pause(silence)

    def resume(self) -> None:
        """The speech resumed after `pause()`: the utterance goes on."""
        if self._active:
            self._resume()

    def reset(self) -> None:
        if self._active:
            self._reset()
        self._active = False
        self._audio_samples = 0
        self._processing_s = 0.0

    def set_context(self, context: ReplyContext | None) -> None:
        """What the dialogue waits for next (assistant/asr/context.py), None when nothing: it applies
        to the utterances decoded from now on. A backend that cannot use it ignores it (the
        default); `whisper-grammar` also scores the expected replies (docs/asr.md, "Reply contexts")."""
        self.context = context

    def recognize(self, pcm: np.ndarray, chunk_samples: int = FRAME_SAMPLES) -> Transcript:
        """Whole utterance in one call (streams it through `feed` in chunks)."""
        self.reset()
        for chunk in iter_chunks(pcm, chunk_samples):
            self.feed(chunk)
        return self.final()

    def close(self) -> None:
        """Release native resources (optional for most backends)."""
        self.reset()

    # ---------------------------------------------------------------- backend hooks
    @abstractmethod
    def _start(self) -> None: ...

    @abstractmethod
    def _feed(self, pcm: np.ndarray) -> Partial | None: ...

    @abstractmethod
    def _final(self) -> Transcript: ...

    @abstractmethod
    def _reset(self) -> None: ...

    def _pause(self, silence: int) -> None:
        """Optional: most backends decode at `final()` only."""

    def _resume(self) -> None:
        """Optional: undo what `_pause` started."""


def normalise_text(text: str) -> str:
    """Lowercase, single-spaced, without the recognisers' filler tokens."""
    words = [w for w in text.lower().split() if not (w.startswith(("<", "[", "+")) or w == "(null)")]
    return " ".join(words)
