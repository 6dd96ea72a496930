"""faster-whisper (CTranslate2, int8): free transcription in French and English, no grammar.

Whisper is not streaming: `feed` buffers, `final` transcribes the whole utterance. The text is
handed to the parser, which decides what it means; `out_of_grammar` here only says "nothing
usable was heard" (empty text, Whisper's own no-speech verdict, or a repetition loop - the
typical hallucination on synthetic or noisy audio, e.g. "M 2 3 4 4 4 4 ...").

Decoding: beam search (5) at temperature 0 only (the temperature-fallback retries cost seconds and
mostly produce hallucinations on short commands), no previous-text conditioning, and optional
`hotwords` - the vocabulary of the grammars - which measurably helps on command words
("contrats E S", "régime de marché"); see the report in bench/asr_latency.py.
"""
from __future__ import annotations

import math
import re
import threading
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .base import BackendUnavailable, Partial, Recognizer, RecognizerError, Transcript

LANGS = ("fr", "en")
_models: dict[tuple[str, str, int], Any] = {}
_models_lock = threading.Lock()
_transcribe_lock = threading.Lock()  # one CTranslate2 model, many recognisers: serialise decoding


def check_model_dir(path: str | Path) -> Path:
    p = Path(path).expanduser()
    if not (p / "model.bin").is_file() or not (p / "config.json").is_file():
        raise BackendUnavailable(
            f"Modèle Whisper (CTranslate2) introuvable dans {p} : il faut model.bin et config.json "
            "(réglage asr.whisper_model)",
            f"Whisper (CTranslate2) model not found in {p}: model.bin and config.json are needed "
            "(setting asr.whisper_model)",
        )
    return p


def load_model(path: str | Path, compute_type: str = "int8", cpu_threads: int = 0) -> Any:
    p = check_model_dir(path)
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise BackendUnavailable(
            "faster-whisper n'est pas installé : pip install faster-whisper",
            "faster-whisper is not installed: pip install faster-whisper",
        ) from None
    key = (str(p.resolve()), compute_type, cpu_threads)
    with _models_lock:
        if key not in _models:
            try:
                model = WhisperModel(key[0], device="cpu", compute_type=compute_type, cpu_threads=cpu_threads)
            except Exception as exc:  # noqa: BLE001 - ctranslate2 raises RuntimeError/ValueError
                raise BackendUnavailable(
                    f"Le modèle Whisper {p} ne se charge pas : {exc}",
                    f"The Whisper model {p} fails to load: {exc}",
                ) from None
            if (p / "tokenizer.json").is_file():
                # A tokenizer.json missing the first BPE merge encodes hotwords into token
                # sequences Whisper never saw: use the repaired one (whisper_tokenizer.py).
                from .whisper_tokenizer import load_tokenizer

                tokenizer = load_tokenizer(p)
                if tokenizer.repaired:
                    model.hf_tokenizer = tokenizer.hf
            _models[key] = model
        return _models[key]


_EDGE_PUNCT = re.compile(r"^[^\w%€$]+|[^\w%€$]+$")


def clean_text(text: str) -> str:
    """Lowercase, punctuation trimmed at word edges ("Arrête, tout !" -> "arrête tout");
    inner punctuation ("0,5", "aujourd'hui", "vingt-et-un") is kept for the parser."""
    words = (_EDGE_PUNCT.sub("", w) for w in text.lower().split())
    return " ".join(w for w in words if w)


def compression_ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


class WhisperRecognizer(Recognizer):
    backend = "whisper"

    def __init__(
        self,
        model_path: str | Path,
        lang: str = "fr",
        compute_type: str = "int8",
        beam_size: int = 5,
        hotwords: str | None = None,
        cpu_threads: int = 0,
        max_new_tokens: int = 64,
    ) -> None:
        if lang not in (*LANGS, "auto"):
            raise RecognizerError(
                f"Langue non prise en charge par Whisper ici : {lang} (fr, en ou auto)",
                f"Language not supported with Whisper here: {lang} (fr, en or auto)",
            )
        super().__init__(lang)
        self._model = load_model(model_path, compute_type, cpu_threads)
        self.beam_size = beam_size
        self.hotwords = hotwords or None
        self.max_new_tokens = max_new_tokens
        self._chunks: list[np.ndarray] = []

    def _start(self) -> None:
        self._chunks = []

    def _feed(self, pcm: np.ndarray) -> Partial | None:
        self._chunks.append(pcm.copy())
        return None

    def _reset(self) -> None:
        self._chunks = []

    def _pick_language(self, audio: np.ndarray) -> tuple[str, float]:
        """Language detection restricted to French/English (Whisper knows ~100 languages, and
        a short synthetic command is sometimes detected as Dutch or Catalan)."""
        _, _, probs = self._model.detect_language(audio)
        table = dict(probs)
        best = max(LANGS, key=lambda code: table.get(code, 0.0))
        return best, float(table.get(best, 0.0))

    def _final(self) -> Transcript:
        pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        self._chunks = []
        if len(pcm) < 1600:  # under 0.1 s: nothing to transcribe
            return Transcript("", 0.0, self.lang if self.lang != "auto" else "fr", self.backend,
                              True, detail={"reason": "too short"})
        audio = pcm.astype(np.float32) / 32768.0
        with _transcribe_lock:
            lang, lang_prob = (self.lang, 1.0) if self.lang != "auto" else self._pick_language(audio)
            segments, info = self._model.transcribe(
                audio, language=lang, beam_size=self.beam_size, temperature=0.0,
                condition_on_previous_text=False, without_timestamps=True, vad_filter=False,
                max_new_tokens=self.max_new_tokens, hotwords=self.hotwords,
            )
            segs = list(segments)
        raw = " ".join(s.text.strip() for s in segs).strip()
        text = clean_text(raw)
        if not segs or not text:
            return Transcript("", 0.0, lang, self.backend, True, detail={"raw": raw,
                                                                         "reason": "empty"})
        avg_logprob = float(np.mean([s.avg_logprob for s in segs]))
        no_speech = float(max(s.no_speech_prob for s in segs))
        ratio = compression_ratio(raw)
        reason = None
        if no_speech > 0.6 and avg_logprob < -1.0:
            reason = "no speech"
        elif ratio > 2.4:
            reason = "repetition (hallucination)"
        confidence = math.exp(avg_logprob) * (1.0 - no_speech) * (lang_prob if self.lang == "auto" else 1.0)
        return Transcript(
            text=text if reason is None else "",
            confidence=float(min(1.0, max(0.0, confidence))) if reason is None else 0.0,
            lang=lang, backend=self.backend, out_of_grammar=reason is not None,
            detail={"raw": raw, "avg_logprob": avg_logprob, "no_speech_prob": no_speech,
                    "compression_ratio": ratio, "language_probability": lang_prob,
                    **({"reason": reason} if reason else {})},
        )
