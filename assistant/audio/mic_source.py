"""Microphone source (sounddevice / PortAudio): 16 kHz mono int16 chunks from a chosen input device.

Device choice: an index, an exact name, or a unique part of a name ("pulse", "USB"); None takes
the system default input. A missing or unknown device raises `AudioInputError` in French and
English, listing the input devices that do exist.

The stream is closed with `abort()`, never `stop()`: `stop()` waits for PortAudio to drain
buffers, which hangs forever on sources that only deliver while something writes (PulseAudio
pipe sources, some USB devices after an unplug).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np

from .errors import AudioInputError
from .pcm import FRAME_SAMPLES, SAMPLE_RATE, float_to_int16, resample, to_float

log = logging.getLogger(__name__)

_QUEUE_SECONDS = 30  # audio buffered for a slow consumer before the oldest chunks are dropped


def _sd() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # "PortAudio library not found"
        raise AudioInputError(
            f"Bibliothèque PortAudio absente ({exc}) : installez le paquet libportaudio2",
            f"PortAudio library missing ({exc}): install the libportaudio2 package",
        ) from None
    return sounddevice


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    hostapi: str
    max_input_channels: int
    default_samplerate: float


def refresh_devices() -> None:
    """Re-scan audio devices (PortAudio only enumerates them when it initialises, so a sound
    server started after import would otherwise stay invisible)."""
    sd = _sd()
    terminate = getattr(sd, "_terminate", None)
    initialize = getattr(sd, "_initialize", None)
    if terminate and initialize:
        terminate()
        initialize()


def list_input_devices() -> list[InputDevice]:
    sd = _sd()
    apis = [a["name"] for a in sd.query_hostapis()]
    out = []
    for i, d in enumerate(sd.query_devices()):
        if d["max_input_channels"] > 0:
            out.append(
                InputDevice(i, d["name"], apis[d["hostapi"]], int(d["max_input_channels"]),
                            float(d["default_samplerate"]))
            )
    return out


def _describe(devices: list[InputDevice]) -> str:
    return ", ".join(f"[{d.index}] {d.name}" for d in devices)


def resolve_input_device(spec: int | str | None) -> InputDevice:
    """Find the input device for an index, a name or a unique part of one (None = default)."""
    sd = _sd()
    devices = list_input_devices()
    if not devices:
        raise AudioInputError(
            "Aucun micro (périphérique d'entrée audio) n'est disponible sur cette machine. "
            "Branchez un micro ou utilisez --input wav FICHIER ou --input text.",
            "No microphone (audio input device) is available on this machine. "
            "Plug one in, or use --input wav FILE or --input text.",
        )
    if spec is None or (isinstance(spec, str) and spec.strip() == ""):
        default_in = sd.default.device[0] if sd.default.device is not None else -1
        for d in devices:
            if d.index == default_in:
                return d
        return devices[0]
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        idx = int(spec)
        for d in devices:
            if d.index == idx:
                return d
        raise AudioInputError(
            f"Le périphérique d'entrée n°{idx} n'existe pas ou n'a pas d'entrée. "
            f"Entrées disponibles : {_describe(devices)}",
            f"Input device #{idx} does not exist or has no input channel. "
            f"Available inputs: {_describe(devices)}",
        )
    wanted = spec.strip().lower()
    exact = [d for d in devices if d.name.lower() == wanted]
    if exact:
        return exact[0]
    partial = [d for d in devices if wanted in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise AudioInputError(
            f"Le nom de micro « {spec} » est ambigu : {_describe(partial)}. Précisez le nom ou l'index.",
            f"Microphone name '{spec}' is ambiguous: {_describe(partial)}. Give the full name or the index.",
        )
    raise AudioInputError(
        f"Micro « {spec} » introuvable. Entrées disponibles : {_describe(devices)}",
        f"Microphone '{spec}' not found. Available inputs: {_describe(devices)}",
    )


class MicSource:
    """Live microphone as an iterator of 16 kHz mono int16 chunks.

    Use as a context manager; iteration ends when `close()` is called (from any thread) or after
    `max_duration_s`. If the device cannot record at 16 kHz it is opened at its own rate and each
    block is resampled.
    """

    def __init__(
        self,
        device: int | str | None = None,
        chunk_ms: int = 20,
        max_duration_s: float | None = None,
        read_timeout_s: float = 2.0,
    ) -> None:
        self.device = resolve_input_device(device)
        self.chunk_ms = chunk_ms
        self.max_duration_s = max_duration_s
        self.read_timeout_s = read_timeout_s
        self.overflows = 0
        self.dropped_chunks = 0
        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=_QUEUE_SECONDS * 1000 // chunk_ms)
        self._closed = threading.Event()
        self._stream: Any = None
        self._rate = SAMPLE_RATE

    # -------------------------------------------------------------- lifecycle
    def open(self) -> "MicSource":
        sd = _sd()
        rate = SAMPLE_RATE
        try:
            sd.check_input_settings(device=self.device.index, channels=1, dtype="int16",
                                    samplerate=SAMPLE_RATE)
        except Exception:  # noqa: BLE001 - PortAudio reports unsupported rates with varied errors
            rate = int(self.device.default_samplerate)
        self._rate = rate
        blocksize = rate * self.chunk_ms // 1000
        try:
            self._stream = sd.InputStream(
                device=self.device.index, channels=1, samplerate=rate, dtype="int16",
                blocksize=blocksize, callback=self._callback,
            )
            self._stream.start()
        except Exception as exc:  # noqa: BLE001 - PortAudioError and OSError alike
            self._stream = None
            raise AudioInputError(
                f"Impossible d'ouvrir le micro [{self.device.index}] {self.device.name} : {exc}",
                f"Cannot open microphone [{self.device.index}] {self.device.name}: {exc}",
            ) from None
        log.info("microphone open: [%d] %s at %d Hz", self.device.index, self.device.name, rate)
        return self

    def close(self) -> None:
        self._closed.set()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()  # see module docstring: stop() can hang
            finally:
                stream.close()

    def __enter__(self) -> "MicSource":
        return self.open() if self._stream is None else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -------------------------------------------------------------- audio
    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status and getattr(status, "input_overflow", False):
            self.overflows += 1
        block = indata[:, 0].copy()
        try:
            self._queue.put_nowait(block)
        except queue.Full:
            # Consumer stalled for _QUEUE_SECONDS: keep the newest audio, it is what the user says now.
            try:
                self._queue.get_nowait()
            except queue.Empty:
                pass
            self.dropped_chunks += 1
            self._queue.put_nowait(block)

    def _convert(self, block: np.ndarray) -> np.ndarray:
        if self._rate == SAMPLE_RATE:
            return block
        return float_to_int16(resample(to_float(block), self._rate, SAMPLE_RATE))

    def read(self, timeout: float | None = None) -> np.ndarray | None:
        """Next chunk, or None if nothing arrived within `timeout` or the source is closed."""
        if self._closed.is_set() and self._queue.empty():
            return None
        try:
            block = self._queue.get(timeout=self.read_timeout_s if timeout is None else timeout)
        except queue.Empty:
            return None
        return self._convert(block)

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._stream is None and not self._closed.is_set():
            self.open()
        start = time.monotonic()
        stalls = 0
        while not self._closed.is_set():
            if self.max_duration_s is not None and time.monotonic() - start >= self.max_duration_s:
                break
            chunk = self.read()
            if chunk is None:
                stalls += 1
                if stalls == 1:
                    log.warning(
                        "le micro ne délivre plus d'audio / the microphone delivers no audio (%s)",
                        self.device.name,
                    )
                continue
            stalls = 0
            yield chunk

    @property
    def sample_rate(self) -> int:
        """Rate the device was opened at (chunks are always delivered at 16 kHz)."""
        return self._rate


__all__ = [
    "FRAME_SAMPLES",
    "InputDevice",
    "MicSource",
    "list_input_devices",
    "refresh_devices",
    "resolve_input_device",
]
