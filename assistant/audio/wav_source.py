"""Audio files as a source: any rate, channel count or sample format -> 16 kHz mono int16 chunks.

libsndfile (through `soundfile`) reads WAV (8/16/24/32-bit integer, float), FLAC, OGG and AIFF,
so the harness can use compact FLAC fixtures without a conversion step.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .errors import AudioInputError
from .pcm import FRAME_SAMPLES, SAMPLE_RATE, iter_chunks, to_16k_mono_int16


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    sample_rate: int
    channels: int
    frames: int
    subtype: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def probe(path: str | Path) -> AudioInfo:
    """Header information of an audio file, with a bilingual error for anything unreadable."""
    p = Path(path)
    if not p.exists():
        raise AudioInputError(
            f"Fichier audio introuvable : {p}", f"Audio file not found: {p}"
        )
    if p.is_dir():
        raise AudioInputError(
            f"{p} est un dossier, pas un fichier audio", f"{p} is a folder, not an audio file"
        )
    try:
        info = sf.info(str(p))
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioInputError(
            f"Fichier audio illisible ({p}) : format non reconnu ou fichier abîmé ({exc})",
            f"Unreadable audio file ({p}): unknown format or damaged file ({exc})",
        ) from None
    return AudioInfo(p, int(info.samplerate), int(info.channels), int(info.frames), str(info.subtype))


def read_audio(path: str | Path) -> np.ndarray:
    """Whole file as 16 kHz mono int16."""
    info = probe(path)
    if info.frames == 0:
        raise AudioInputError(
            f"Le fichier audio {info.path} ne contient aucun échantillon",
            f"The audio file {info.path} contains no samples",
        )
    try:
        # float32 read normalises every integer width (8/16/24/32-bit) to [-1, 1].
        data, rate = sf.read(str(info.path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioInputError(
            f"Lecture impossible de {info.path} : {exc}", f"Cannot read {info.path}: {exc}"
        ) from None
    return to_16k_mono_int16(data, int(rate))


class WavSource:
    """Iterate 16 kHz mono int16 chunks of an audio file.

    `realtime=True` paces the chunks at the speed of speech, as a microphone would deliver them
    (useful to measure live latencies on recorded audio). `trailing_silence_s` appends digital
    silence so an utterance that ends at the very end of a file is endpointed like a live one.
    """

    def __init__(
        self,
        path: str | Path,
        chunk_ms: int = 20,
        realtime: bool = False,
        trailing_silence_s: float = 0.0,
    ) -> None:
        if chunk_ms <= 0:
            raise ValueError("chunk_ms must be positive")
        self.path = Path(path)
        self.info = probe(self.path)
        self.chunk_samples = SAMPLE_RATE * chunk_ms // 1000 or FRAME_SAMPLES
        self.realtime = realtime
        self.trailing_silence_s = trailing_silence_s
        self._pcm: np.ndarray | None = None

    @property
    def pcm(self) -> np.ndarray:
        if self._pcm is None:
            pcm = read_audio(self.path)
            if self.trailing_silence_s > 0:
                pad = np.zeros(int(self.trailing_silence_s * SAMPLE_RATE), dtype=np.int16)
                pcm = np.concatenate([pcm, pad])
            self._pcm = pcm
        return self._pcm

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / SAMPLE_RATE

    def __iter__(self) -> Iterator[np.ndarray]:
        chunks = iter_chunks(self.pcm, self.chunk_samples)
        return paced(chunks) if self.realtime else chunks


def paced(chunks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """16 kHz chunks delivered at the speed of speech: each once it would have been fully recorded
    by a microphone (the time spent by the consumer between chunks counts)."""
    start = time.monotonic()
    sent = 0
    for chunk in chunks:
        sent += len(chunk)
        delay = start + sent / SAMPLE_RATE - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield chunk
