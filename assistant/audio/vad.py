"""Trained voice activity detection for the endpointer: Silero VAD through onnxruntime.

The `silero-vad` wheel ships its ONNX models (MIT licence) inside the package; onnxruntime is
already installed as a faster-whisper dependency, so no torch code runs and nothing is downloaded.
The model reads 512-sample windows (32 ms at 16 kHz) plus the last 64 samples of the previous one
and carries a recurrent state: fed 20 ms frames, `SileroVad` runs it whenever a whole window is
buffered and reports the latest speech probability for every frame.

Why a trained model: clatter, music, a door or a breath have energy, and the energy endpointer's
pitch check still let drum hits and ringing pans through as "speech"; Silero gives them a
probability near 0 while a one-word "yes" said by any test voice reaches 0.9+. What it cannot do
is tell the talker from a room full of other talkers (babble is speech to it): the endpointer
therefore still requires speech frames to stand above the adaptive noise floor.

CPU cost: about 0.13 ms per 32 ms window on one thread here (0.08 ms per 20 ms frame), measured
by bench/endpointer.py.
"""
from __future__ import annotations

from importlib import resources
from typing import Any

import numpy as np

from .errors import AudioInputError

WINDOW = 512  # samples per model call at 16 kHz
CONTEXT = 64  # samples of the previous window the model sees again
MODEL_FILE = "silero_vad_16k_op15.onnx"


def silero_available() -> bool:
    """True when both the model (silero-vad wheel) and onnxruntime are installed."""
    import importlib.util

    if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("silero_vad") is None:
        return False
    try:
        return resources.files("silero_vad.data").joinpath(MODEL_FILE).is_file()
    except (ModuleNotFoundError, FileNotFoundError):
        return False


_SESSION: Any = None


def _session() -> Any:
    """One onnxruntime session per process (the model is stateless; the state is passed in)."""
    global _SESSION
    if _SESSION is None:
        if not silero_available():
            raise AudioInputError(
                "Détection de parole Silero indisponible : pip install silero-vad onnxruntime "
                "(ou asr.vad: energy dans la configuration)",
                "Silero voice activity detection unavailable: pip install silero-vad onnxruntime "
                "(or asr.vad: energy in the configuration)",
            )
        import onnxruntime as ort

        opts = ort.SessionOptions()
        # One thread: a 32 ms window is far too small to gain from more, and the recognisers
        # need the other core.
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        path = resources.files("silero_vad.data").joinpath(MODEL_FILE)
        with resources.as_file(path) as model:
            _SESSION = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
    return _SESSION


class SileroVad:
    """Streaming speech probability. `process(frame)` takes int16 samples (any count) and returns
    the probability of the most recent complete window (0.0 before the first one)."""

    name = "silero"

    def __init__(self) -> None:
        self._session = _session()
        self._sr = np.array(16000, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros((1, CONTEXT), dtype=np.float32)
        self._buffer = np.zeros(0, dtype=np.float32)
        self.probability = 0.0

    def process(self, pcm: np.ndarray) -> float:
        x = pcm.astype(np.float32) / 32768.0
        self._buffer = np.concatenate([self._buffer, x]) if self._buffer.size else x
        while self._buffer.size >= WINDOW:
            window = np.concatenate([self._context, self._buffer[None, :WINDOW]], axis=1)
            out, self._state = self._session.run(None, {"input": window, "state": self._state, "sr": self._sr})
            self._context = window[:, -CONTEXT:]
            self._buffer = self._buffer[WINDOW:]
            self.probability = float(out[0, 0])
        return self.probability
