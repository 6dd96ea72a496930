"""Whisper's encoder through CTranslate2, on the utterance padded to a few seconds (not 30).

faster-whisper always pads to Whisper's 30-second window: the encoder then costs about 1.75 s
here for a 2-second command. `Whisper.encode` accepts a shorter log-mel input (the positional
embeddings are sliced), at a cost proportional to its length: about 0.13 s for 5 s on 2 cores.
The decoder (`whisper_decoder.py`) then reads this output instead of CTranslate2's own.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .base import BackendUnavailable

SAMPLE_RATE = 16000
MAX_WINDOW_S = 30.0  # Whisper's positional embeddings: 1500 encoder frames
_models: dict[tuple[str, str, int], Any] = {}
_lock = threading.Lock()


def load_ct2_whisper(model_dir: str | Path, compute_type: str = "int8", threads: int = 1) -> Any:
    """The CTranslate2 Whisper model (shared by every recogniser of the process)."""
    path = str(Path(model_dir).expanduser().resolve())
    try:
        import ctranslate2
    except ImportError:
        raise BackendUnavailable(
            "ctranslate2 n'est pas installé : pip install faster-whisper",
            "ctranslate2 is not installed: pip install faster-whisper",
        ) from None
    key = (path, compute_type, threads)
    with _lock:
        if key not in _models:
            try:
                _models[key] = ctranslate2.models.Whisper(path, device="cpu", compute_type=compute_type,
                                                          intra_threads=threads)
            except Exception as exc:  # noqa: BLE001 - ctranslate2 raises RuntimeError/ValueError
                raise BackendUnavailable(
                    f"Le modèle Whisper {path} ne se charge pas : {exc}",
                    f"The Whisper model {path} fails to load: {exc}",
                ) from None
        return _models[key]


class WhisperEncoder:
    """Log-mel features (faster-whisper's numpy feature extractor) -> CTranslate2 encoder."""

    def __init__(self, model_dir: str | Path, *, threads: int = 1, compute_type: str = "int8") -> None:
        self.model = load_ct2_whisper(model_dir, compute_type, threads)
        try:
            from faster_whisper.feature_extractor import FeatureExtractor
        except ImportError:
            raise BackendUnavailable("pip install faster-whisper", "pip install faster-whisper") from None
        self.features = FeatureExtractor(feature_size=self.model.n_mels if hasattr(self.model, "n_mels") else 80)

    def silence(self, model_dir: str | Path) -> np.ndarray:
        """Encoder output for 30 s of silence (1500 frames), computed once per model and kept in
        the user's cache folder (about 1.5 MB; computing it takes 2-3 s)."""
        model_bin = Path(model_dir).expanduser() / "model.bin"
        stat = model_bin.stat()
        key = hashlib.sha256(f"{model_bin.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mia" / f"whisper-silence-{key}.npy"
        try:
            out = np.load(cache)
            if out.ndim == 3 and out.shape[1] == 1500:
                return out.astype(np.float32)
        except (OSError, ValueError, EOFError):  # missing, truncated or empty: computed again
            pass
        out = self.encode(np.zeros(int(MAX_WINDOW_S * SAMPLE_RATE), np.float32), 0.0)
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            # A temporary name of its own: two processes (test workers, a bench beside `mia run`) may
            # write the cache at once, and a shared name let one publish the other's half-written file.
            fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=cache.name, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, out.astype(np.float16))
            os.replace(tmp, cache)
        except OSError:  # a read-only home only costs the 2-3 s again next time
            pass
        return out

    def encode(self, audio: np.ndarray, pad_s: float) -> np.ndarray:
        """Encoder output (1, frames, width) for float32 16 kHz audio followed by `pad_s` of silence."""
        import ctranslate2

        pad = np.zeros(int(pad_s * SAMPLE_RATE), np.float32)
        window = np.concatenate([audio.astype(np.float32, copy=False), pad])
        window = window[: int(MAX_WINDOW_S * SAMPLE_RATE)]
        feats = self.features(window, padding=0)
        if feats.shape[1] % 2:  # two mel frames per encoder frame
            feats = feats[:, :-1]
        view = ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32))
        return np.asarray(self.model.encode(view, to_cpu=True))
