"""Mix a noise recording into an utterance at a requested signal-to-noise ratio.

SNR definition (active-speech SNR, in dB):

    SNR = 10 * log10( P_speech / P_noise )

* `P_speech` is the mean power of the clean utterance over its *active* 20 ms frames: frames whose
  power is at most `ACTIVE_RANGE_DB` (30 dB) below the loudest frame and above `ACTIVE_FLOOR_DBFS`
  (-70 dBFS). Pauses, leading and trailing silence do not dilute the speech level, so the same SNR
  means the same difficulty for a short "yes" and a long order with pauses.
* `P_noise` is the mean power of the (scaled) noise over the span of the utterance file, i.e. of the
  noise the words are actually heard in.

Picovoice's benchmark uses the ratio of the loudest 2048-sample frames instead; for speech that is
typically a few dB above the active-speech SNR, so compare figures with that in mind.

Files with no active frame (a silence item) have no speech level of their own: their noise is set
from a reference speech level (the median over the run's utterances), so a silence item is mixed
with the same noise level as its neighbours.

The noise is looped when shorter than the stream and cropped when longer, starting at an offset
drawn from a generator seeded with (seed, utterance name, noise name): reproducible across runs and
machines, different between utterances, and the same for one utterance at every SNR (only the level
changes along an SNR curve). A mix that would clip is scaled down as a whole, which keeps its SNR.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.audio import AudioInputError, read_audio
from assistant.audio.pcm import FRAME_SAMPLES, float_to_int16, to_float

ACTIVE_RANGE_DB = 30.0
ACTIVE_FLOOR_DBFS = -70.0
_PEAK_LIMIT = 0.99  # of full scale


class NoiseError(ValueError):
    """A noise file cannot be used; bilingual message."""

    def __init__(self, fr: str, en: str) -> None:
        self.fr = fr
        self.en = en
        super().__init__(f"{fr}\n{en}")


@dataclass(frozen=True)
class Noise:
    name: str  # file stem, used in reports
    path: Path
    samples: np.ndarray  # float32, 16 kHz mono, in [-1, 1]

    @property
    def duration_s(self) -> float:
        return len(self.samples) / 16_000


@dataclass(frozen=True)
class Mix:
    pcm: np.ndarray  # int16 16 kHz mono: clean + noise (whole stream)
    snr_db: float  # requested
    noise_gain: float  # factor applied to the noise excerpt
    scale: float  # overall factor applied to avoid clipping (1.0 when none was needed)
    offset: int  # first noise sample used
    speech_power: float  # active-speech power of the clean utterance (or the reference)
    used_reference: bool  # True when the utterance had no active frame


# The fixture set's synthesised noises (audio_fixtures/generate.py), usable by name: --noise babble.
FIXTURE_NOISES = ("pink", "brown", "babble", "music", "clatter")


def fixture_noise_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "audio_fixtures" / "generated" / "noise"


def resolve_noise(spec: str | Path) -> Path:
    """A noise file path, or the name of one of the fixture set's noises ("babble", "music"...)."""
    p = Path(spec)
    if p.exists() or str(spec) not in FIXTURE_NOISES:
        return p
    built = fixture_noise_dir() / f"{spec}.wav"
    if not built.is_file():
        raise NoiseError(
            f"Le bruit « {spec} » du jeu de fixtures n'est pas encore fabriqué ({built}) : lancez "
            "make fixtures (ou .venv/bin/python -m audio_fixtures.generate)",
            f"The fixture noise '{spec}' has not been made yet ({built}): run make fixtures "
            "(or .venv/bin/python -m audio_fixtures.generate)",
        )
    return built


def load_noise(path: str | Path) -> Noise:
    """Read a noise file (any format/rate soundfile reads) as 16 kHz mono float; a bare name of
    `FIXTURE_NOISES` is the fixture set's noise of that name."""
    p = resolve_noise(path)
    try:
        pcm = read_audio(p)
    except AudioInputError as exc:
        raise NoiseError(f"Fichier de bruit inutilisable : {exc.fr}", f"Unusable noise file: {exc.en}") from None
    samples = to_float(pcm)
    if len(samples) < FRAME_SAMPLES or float(np.mean(samples.astype(np.float64) ** 2)) < 1e-12:
        raise NoiseError(
            f"Le fichier de bruit {p} est vide ou silencieux : impossible de régler un rapport signal/bruit",
            f"The noise file {p} is empty or silent: no signal-to-noise ratio can be set with it",
        )
    return Noise(p.stem, p, samples)


def frame_powers(x: np.ndarray) -> np.ndarray:
    """Mean power of each whole 20 ms frame of a float signal."""
    n = len(x) // FRAME_SAMPLES
    if n == 0:
        return np.zeros(0)
    frames = x[: n * FRAME_SAMPLES].astype(np.float64).reshape(n, FRAME_SAMPLES)
    return np.mean(frames * frames, axis=1)


def active_mask(x: np.ndarray) -> np.ndarray:
    """Which 20 ms frames are active speech (see the module docstring)."""
    p = frame_powers(x)
    if p.size == 0:
        return np.zeros(0, dtype=bool)
    floor = 10 ** (ACTIVE_FLOOR_DBFS / 10)
    threshold = max(float(p.max()) * 10 ** (-ACTIVE_RANGE_DB / 10), floor)
    return p >= threshold


def active_speech_power(x: np.ndarray) -> float | None:
    """Mean power over the active frames of a float signal; None when nothing is active."""
    p = frame_powers(x)
    mask = active_mask(x)
    if not mask.any():
        return None
    return float(p[mask].mean())


def mean_power(x: np.ndarray) -> float:
    x64 = x.astype(np.float64)
    return float(np.mean(x64 * x64)) if x64.size else 0.0


def noise_offset(seed: int, utterance: str, noise: str, length: int) -> int:
    """Deterministic start of the noise excerpt for one utterance (see module docstring)."""
    key = [seed & 0xFFFFFFFF, zlib.crc32(utterance.encode("utf-8")), zlib.crc32(noise.encode("utf-8"))]
    return int(np.random.default_rng(key).integers(0, max(1, length)))


def excerpt(noise: np.ndarray, offset: int, length: int) -> np.ndarray:
    """`length` samples of `noise` from `offset`, looping around its end."""
    idx = (offset + np.arange(length)) % len(noise)
    return noise[idx]


def mix_at_snr(
    stream: np.ndarray,
    speech_span: tuple[int, int],
    noise: Noise,
    snr_db: float,
    *,
    seed: int,
    utterance: str,
    reference_power: float | None = None,
) -> Mix:
    """Add `noise` to the int16 `stream` so that the utterance in `stream[speech_span]` is heard at
    `snr_db`. The noise covers the whole stream (lead-in and trailing silence included), as room
    noise would; its level is measured over the utterance span only."""
    if stream.dtype != np.int16 or stream.ndim != 1:
        raise TypeError("mix_at_snr expects 1-D int16 PCM")
    start, end = speech_span
    if not 0 <= start < end <= len(stream):
        raise ValueError(f"speech span {speech_span} outside a stream of {len(stream)} samples")
    clean = to_float(stream).astype(np.float64)
    p_speech = active_speech_power(clean[start:end])
    used_reference = p_speech is None
    if p_speech is None:
        if reference_power is None or reference_power <= 0:
            raise ValueError(f"{utterance}: no active speech and no reference speech level to set the noise from")
        p_speech = reference_power
    offset = noise_offset(seed, utterance, noise.name, len(noise.samples))
    n = excerpt(noise.samples.astype(np.float64), offset, len(stream))
    p_noise = mean_power(n[start:end])
    if p_noise <= 0:
        # A silent stretch of an otherwise valid noise file: fall back to the whole excerpt.
        p_noise = mean_power(n)
    gain = float(np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10))))
    mixed = clean + gain * n
    peak = float(np.max(np.abs(mixed))) if mixed.size else 0.0
    scale = _PEAK_LIMIT / peak if peak > _PEAK_LIMIT else 1.0
    return Mix(float_to_int16((mixed * scale).astype(np.float32)), float(snr_db), gain, scale, offset,
               float(p_speech), used_reference)


def measured_snr(clean: np.ndarray, mixed: np.ndarray, speech_span: tuple[int, int], scale: float = 1.0) -> float:
    """SNR of a mix, measured back from the int16 signals with the same definition (for tests and
    the report): the noise is what the mix adds to the (scaled) clean stream."""
    c = to_float(clean).astype(np.float64) * scale
    m = to_float(mixed).astype(np.float64)
    start, end = speech_span
    p_speech = active_speech_power(c[start:end])
    if p_speech is None:
        raise ValueError("no active speech in the clean signal")
    return 10 * float(np.log10(p_speech / mean_power((m - c)[start:end])))
