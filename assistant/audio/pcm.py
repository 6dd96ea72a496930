"""PCM helpers: everything downstream of a source is 16 kHz, mono, int16.

Resampling uses a polyphase FIR (scipy.signal.resample_poly), which band-limits before
decimating; naive sample dropping would alias the 4-8 kHz band that fricatives
("s", "f") live in, and recognisers are sensitive to that.
"""
from __future__ import annotations

from collections.abc import Iterator
from math import gcd

import numpy as np

SAMPLE_RATE = 16_000
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000  # 320


def to_float(pcm: np.ndarray) -> np.ndarray:
    """Any integer or float PCM array -> float32 in [-1, 1] (shape preserved)."""
    if pcm.dtype == np.int16:
        return pcm.astype(np.float32) / 32768.0
    if pcm.dtype == np.int32:
        return (pcm.astype(np.float64) / 2147483648.0).astype(np.float32)
    if pcm.dtype == np.uint8:
        return (pcm.astype(np.float32) - 128.0) / 128.0
    if np.issubdtype(pcm.dtype, np.floating):
        return pcm.astype(np.float32, copy=False)
    raise TypeError(f"unsupported PCM dtype {pcm.dtype}")


def float_to_int16(x: np.ndarray) -> np.ndarray:
    """float in [-1, 1] -> int16 with clipping (no wrap-around on overs). The scale is the same
    32768 as `to_float`, so int16 -> float -> int16 is lossless."""
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def to_mono(x: np.ndarray) -> np.ndarray:
    """(frames, channels) -> (frames,) by averaging channels; 1-D input is returned as is."""
    if x.ndim == 1:
        return x
    if x.ndim != 2:
        raise ValueError(f"expected 1-D or 2-D audio, got shape {x.shape}")
    return x.mean(axis=1, dtype=np.float32) if x.shape[1] > 1 else x[:, 0]


def resample(x: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE) -> np.ndarray:
    """Polyphase resampling of a float mono signal."""
    if rate_in <= 0 or rate_out <= 0:
        raise ValueError(f"sample rates must be positive (got {rate_in} -> {rate_out})")
    if rate_in == rate_out or x.size == 0:
        return x.astype(np.float32, copy=False)
    g = gcd(int(rate_in), int(rate_out))
    from scipy.signal import resample_poly  # imported here: scipy.signal is slow to import

    return resample_poly(x, rate_out // g, rate_in // g).astype(np.float32)


def to_16k_mono_int16(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Any rate / channel count / sample format -> 16 kHz mono int16."""
    mono = to_mono(to_float(pcm))
    return float_to_int16(resample(mono, rate, SAMPLE_RATE))


def iter_chunks(pcm: np.ndarray, chunk_samples: int = FRAME_SAMPLES) -> Iterator[np.ndarray]:
    """Split a 1-D array into consecutive chunks (the last one may be shorter)."""
    if chunk_samples <= 0:
        raise ValueError("chunk_samples must be positive")
    for i in range(0, len(pcm), chunk_samples):
        yield pcm[i : i + chunk_samples]


def dbfs(pcm: np.ndarray) -> float:
    """RMS level of int16 PCM in dB relative to full scale (-100 for digital silence)."""
    if pcm.size == 0:
        return -100.0
    x = pcm.astype(np.float64) / 32768.0
    return float(10.0 * np.log10(np.mean(x * x) + 1e-10))
