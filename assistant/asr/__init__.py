"""Speech recognition: one streaming interface (`Recognizer`), three backends, backend selection,
and the listening pipeline (source -> endpointer -> recognisers).

Backends are imported lazily by `BackendChoice.create` so that a missing optional library
(vosk, faster-whisper) only matters for the language that needs it.
"""
from .base import (
    BackendUnavailable,
    GrammarError,
    Partial,
    Recognizer,
    RecognizerError,
    Transcript,
    Word,
)
from .pipeline import Heard, Listener, transcribe_file
from .select import BackendChoice, build_recognizers, hotwords_from_phrases, select_backends, startup_report

__all__ = [
    "BackendChoice", "BackendUnavailable", "GrammarError", "Heard", "Listener", "Partial", "Recognizer",
    "RecognizerError", "Transcript", "Word", "build_recognizers", "hotwords_from_phrases",
    "select_backends", "startup_report", "transcribe_file",
]
