"""Vosk (Kaldi) with a phrase-list grammar: the primary engine when a model is installed.

The recogniser is restricted to the phrases compiled from the grammars plus "[unk]", Vosk's
out-of-vocabulary branch. Audio that matches no phrase comes out as "[unk]" (possibly mixed with
a few in-grammar words), which we report as out of grammar instead of trusting the rest.
Vosk's own endpointing can split an utterance in two (AcceptWaveform returns True mid-way); the
pieces are joined, since our endpointer decides where utterances end.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .base import BackendUnavailable, GrammarError, Partial, Recognizer, RecognizerError, Transcript, Word

UNK = "[unk]"
_MODEL_MARKERS = ("am/final.mdl", "final.mdl", "conf/model.conf")
_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def vosk_grammar(phrases: list[str]) -> list[str]:
    """Normalised, de-duplicated phrase list with the "[unk]" rejection branch last."""
    seen: dict[str, None] = {}
    for p in phrases:
        norm = " ".join(p.lower().split())
        if norm and norm != UNK:
            seen[norm] = None
    if not seen:
        raise GrammarError(
            "La liste de phrases pour Vosk est vide", "The phrase list for Vosk is empty"
        )
    return [*seen, UNK]


def vosk_grammar_json(phrases: list[str]) -> str:
    return json.dumps(vosk_grammar(phrases), ensure_ascii=False)


def grammar_words(phrases: list[str]) -> set[str]:
    return {w for p in vosk_grammar(phrases) if p != UNK for w in p.split()}


def parse_vosk_result(raw: str) -> tuple[str, list[Word], bool]:
    """Vosk Result()/FinalResult() JSON -> (text without [unk], words, had_unk).

    With SetWords(True) Vosk gives `{"result": [{"word", "start", "end", "conf"}...], "text": ...}`;
    without it only `{"text": ...}`. A malformed payload raises RecognizerError.
    """
    try:
        data = json.loads(raw) if raw else {}
    except json.JSONDecodeError as exc:
        raise RecognizerError(
            f"Réponse Vosk illisible : {exc}", f"Unreadable Vosk result: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise RecognizerError("Réponse Vosk inattendue", "Unexpected Vosk result")
    words: list[Word] = []
    had_unk = False
    for item in data.get("result", []) or []:
        w = str(item.get("word", ""))
        if w == UNK:
            had_unk = True
            continue
        words.append(Word(w, float(item.get("start", 0.0)), float(item.get("end", 0.0)),
                          float(item.get("conf", 1.0))))
    tokens = str(data.get("text", "")).split()
    if UNK in tokens:
        had_unk = True
    text = " ".join(t for t in tokens if t != UNK)
    return text, words, had_unk


def check_model_dir(path: str | Path, lang: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_dir() or not any((p / m).exists() for m in _MODEL_MARKERS):
        raise BackendUnavailable(
            f"Modèle Vosk introuvable ou incomplet dans {p} (langue {lang}). "
            f"Installez-le avec : mia models download {lang}",
            f"Vosk model missing or incomplete in {p} (language {lang}). "
            f"Install it with: mia models download {lang}",
        )
    return p


def load_model(path: str | Path, lang: str) -> Any:
    p = check_model_dir(path, lang)
    try:
        import vosk
    except ImportError:
        raise BackendUnavailable(
            "Vosk n'est pas installé : pip install vosk", "Vosk is not installed: pip install vosk"
        ) from None
    key = str(p.resolve())
    with _models_lock:
        if key not in _models:
            vosk.SetLogLevel(-1)
            try:
                _models[key] = vosk.Model(key)
            except Exception as exc:  # noqa: BLE001 - vosk raises a bare Exception on bad models
                raise BackendUnavailable(
                    f"Le modèle Vosk {p} ne se charge pas : {exc}",
                    f"The Vosk model {p} fails to load: {exc}",
                ) from None
        return _models[key]


class VoskRecognizer(Recognizer):
    backend = "vosk"

    def __init__(self, model_path: str | Path, phrases: list[str], lang: str) -> None:
        super().__init__(lang)
        import vosk

        self._model = load_model(model_path, lang)
        grammar = vosk_grammar(phrases)
        missing = sorted(w for w in grammar_words(phrases) if self._model.find_word(w) < 0)
        if missing:
            raise GrammarError(
                f"Mots absents du vocabulaire du modèle Vosk ({lang}) : " + ", ".join(missing),
                f"Words missing from the Vosk model vocabulary ({lang}): " + ", ".join(missing),
            )
        self._grammar_json = json.dumps(grammar, ensure_ascii=False)
        self._rec = vosk.KaldiRecognizer(self._model, 16000, self._grammar_json)
        self._rec.SetWords(True)
        self._pieces: list[str] = []

    def _start(self) -> None:
        self._pieces = []

    def _feed(self, pcm: np.ndarray) -> Partial | None:
        if self._rec.AcceptWaveform(pcm.tobytes()):
            self._pieces.append(self._rec.Result())
            return None
        partial = json.loads(self._rec.PartialResult() or "{}").get("partial", "")
        return Partial(" ".join(t for t in partial.split() if t != UNK))

    def _reset(self) -> None:
        self._rec.Reset()
        self._pieces = []

    def _final(self) -> Transcript:
        self._pieces.append(self._rec.FinalResult())
        self._rec.Reset()
        return transcript_from_results(self._pieces, self.lang)


def transcript_from_results(results: list[str], lang: str) -> Transcript:
    """Join Vosk result payloads of one utterance into a Transcript (pure; unit-tested)."""
    texts: list[str] = []
    words: list[Word] = []
    had_unk = False
    for raw in results:
        text, ws, unk = parse_vosk_result(raw)
        if text:
            texts.append(text)
        words.extend(ws)
        had_unk = had_unk or unk
    text = " ".join(texts)
    if not text:
        return Transcript("", 0.0, lang, "vosk", True, detail={"reason": "nothing recognised",
                                                               "unk": had_unk})
    confs = [w.confidence for w in words] or [1.0]
    confidence = float(np.mean(confs)) * (0.0 if had_unk else 1.0)
    return Transcript(text, confidence, lang, "vosk", had_unk, tuple(words),
                      detail={"unk": had_unk, "min_word_conf": min(confs)})
