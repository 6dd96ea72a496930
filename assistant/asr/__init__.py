"""Speech recognition: one streaming interface (`Recognizer`), three backends, backend selection,
and the listening pipeline (source -> endpointer -> recognisers).

Backends are imported lazily by `BackendChoice.create` so that a missing optional library
(vosk, faster-whisper) only matters for the language that needs it.
"""
from assistant.lazy import lazy_exports

# Imported on first use: the pipeline pulls in scipy's filters, which `mia --help` and
# `mia models list` do not need.
_LAZY = {
    **dict.fromkeys(
        ("BackendUnavailable", "GrammarError", "Partial", "Recognizer", "RecognizerError", "Transcript", "Word"),
        "assistant.asr.base",
    ),
    **dict.fromkeys(("Heard", "Listener", "transcribe_file"), "assistant.asr.pipeline"),
    **dict.fromkeys(
        ("BackendChoice", "build_recognizers", "hotwords_from_phrases", "select_backends", "startup_report"),
        "assistant.asr.select",
    ),
}



__all__ = [
    "BackendChoice", "BackendUnavailable", "GrammarError", "Heard", "Listener", "Partial", "Recognizer",
    "RecognizerError", "Transcript", "Word", "build_recognizers", "hotwords_from_phrases",
    "select_backends", "startup_report", "transcribe_file",
]

__getattr__ = lazy_exports("assistant.asr", globals(), _LAZY)
