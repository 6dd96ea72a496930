"""Text -> PCM with pyttsx3 driving libespeak-ng.

pyttsx3 gotchas handled here (pyttsx3 2.99, espeak driver):
- espeak can only be initialised once per process and pyttsx3 caches its engine: one shared
  synthesiser, used under a lock, serves every speaker.
- `runAndWait()` can return before the file is complete: we wait for the `finished-utterance`
  callback *and* for a WAV whose header agrees with its size.
- the WAV header always says 22050 Hz. That is espeak-ng's real rate for its own voices, but
  MBROLA voices ("mb-fr1") run at 16000 Hz: the true rate is taken from the voice, not the header.
- the driver prints "Audio saved to ..." on stdout: silenced.
- an utterance sometimes comes back empty (the end is reported before the audio): retried.
- rate, volume and pitch set through `setProperty` are sometimes not applied (libespeak-ng in the
  asynchronous mode pyttsx3 uses; measured: the previous or the default rate in about 1 utterance
  in 3). They are therefore also given as espeak-ng embedded commands at the head of the text
  (Ctrl-A + value + S/A/P), which apply to that utterance only and are deterministic.
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .base import SpeechError, VoiceProfile

ESPEAK_RATE = 22050
MBROLA_RATE = 16000


@dataclass(frozen=True)
class Synthesis:
    pcm: np.ndarray  # int16 mono
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / self.sample_rate if self.sample_rate else 0.0


def true_rate(voice: str) -> int:
    v = voice.lower()
    return MBROLA_RATE if v.startswith(("mb/", "mb-")) else ESPEAK_RATE


def _complete_wav(path: Path) -> bool:
    """True when the file is a WAV whose header matches its length (fully written)."""
    try:
        size = path.stat().st_size
        with wave.open(str(path), "rb") as w:
            expected = w.getnframes() * w.getsampwidth() * w.getnchannels()
        return size >= 44 and size - 44 == expected
    except (OSError, wave.Error, EOFError):
        return False


_CONTROL = {c: " " for c in range(32) if chr(c) not in "\n\t"}


def _with_prosody(text: str, profile: VoiceProfile) -> str:
    """`text` led by espeak-ng embedded commands for speed (words/min), amplitude and pitch; control
    characters in the text itself are blanked so that it cannot carry commands of its own."""
    rate = max(80, min(450, int(profile.rate)))
    amplitude = max(0, min(200, int(round(float(profile.volume) * 100))))
    pitch = max(0, min(99, int(profile.pitch)))
    return f"\x01{rate}S\x01{amplitude}A\x01{pitch}P " + text.translate(_CONTROL)


class _OtherThreadsOnly:
    """sys.stdout while pyttsx3 runs: what the synthesising thread prints (pyttsx3's chatter) is
    dropped, every other thread's output goes through. `contextlib.redirect_stdout` swaps the
    stream for the whole process, which swallowed the answers the dialogue printed meanwhile."""

    def __init__(self, stream: Any, muted: int) -> None:
        self._stream = stream
        self._muted = muted

    def write(self, text: str) -> int:
        if threading.get_ident() == self._muted:
            return len(text)
        return int(self._stream.write(text))

    def flush(self) -> None:
        if threading.get_ident() != self._muted:
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _quiet_thread() -> Any:
    real = sys.stdout
    quiet = _OtherThreadsOnly(real, threading.get_ident())
    sys.stdout = quiet
    try:
        yield
    finally:
        if sys.stdout is quiet:  # unless someone else swapped it meanwhile
            sys.stdout = real


class Pyttsx3Synth:
    """Process-wide synthesiser (see module docstring for why there is only one)."""

    _instance: "Pyttsx3Synth | None" = None
    _instance_lock = threading.Lock()

    @classmethod
    def shared(cls) -> "Pyttsx3Synth":
        with cls._instance_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def __init__(self) -> None:
        try:
            import pyttsx3
        except ImportError:
            raise SpeechError(
                "pyttsx3 n'est pas installé : pip install pyttsx3", "pyttsx3 is not installed: pip install pyttsx3"
            ) from None
        try:
            self._engine: Any = pyttsx3.init("espeak")
        except (RuntimeError, OSError) as exc:
            raise SpeechError(
                f"espeak-ng indisponible ({exc}) : installez le paquet espeak-ng",
                f"espeak-ng unavailable ({exc}): install the espeak-ng package",
            ) from None
        # The espeak driver prints "Audio saved to <file>" on stdout for every file, which lands
        # in the trader's terminal; silence that one module's print.
        import sys

        driver = sys.modules.get("pyttsx3.drivers.espeak")
        if driver is not None:
            driver.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._engine.connect("finished-utterance", self._on_finished)
        self._voice_ids = {v.id.lower() for v in self._engine.getProperty("voices")}
        self._tmpdir = Path(tempfile.mkdtemp(prefix="mia-tts-"))

    def _on_finished(self, name: Any = None, completed: bool = True) -> None:
        self._finished.set()

    def has_voice(self, voice: str) -> bool:
        return voice.lower() in self._voice_ids

    def check_voice(self, voice: str) -> None:
        if not self.has_voice(voice):
            sample = ", ".join(sorted(v for v in self._voice_ids if "fr" in v or "en" in v)[:12])
            raise SpeechError(
                f"Voix espeak-ng inconnue : {voice}. Exemples disponibles : {sample}",
                f"Unknown espeak-ng voice: {voice}. Available examples: {sample}",
            )

    def synthesize(self, text: str, voice: str, profile: VoiceProfile, timeout_s: float = 30.0) -> Synthesis:
        """PCM for `text`. A text with words that comes back silent is synthesised again: the espeak
        driver sometimes reports the end of an utterance before its audio (measured ~1 in 50)."""
        self.check_voice(voice)
        syn = self._synthesize_once(text, voice, profile, timeout_s)
        tries = 1
        while not len(syn.pcm) and any(ch.isalnum() for ch in text) and tries < 3:
            syn = self._synthesize_once(text, voice, profile, timeout_s)
            tries += 1
        return syn

    def _synthesize_once(self, text: str, voice: str, profile: VoiceProfile, timeout_s: float) -> Synthesis:
        with self._lock:
            eng = self._engine
            eng.setProperty("voice", voice)
            eng.setProperty("rate", int(profile.rate))
            eng.setProperty("volume", float(profile.volume))
            eng.setProperty("pitch", int(profile.pitch))
            fd, name = tempfile.mkstemp(suffix=".wav", dir=self._tmpdir)
            os.close(fd)
            path = Path(name)
            path.unlink()
            self._finished.clear()
            try:
                with _quiet_thread():
                    eng.save_to_file(_with_prosody(text, profile), str(path))
                    eng.runAndWait()
                deadline = time.monotonic() + timeout_s
                # runAndWait may return early: wait for the callback and a consistent file.
                while not (self._finished.is_set() and _complete_wav(path)):
                    if time.monotonic() > deadline:
                        raise SpeechError(
                            f"La synthèse n'a pas abouti en {timeout_s:.0f} s", f"Synthesis did not finish in {timeout_s:.0f} s"
                        )
                    time.sleep(0.005)
                with wave.open(str(path), "rb") as w:
                    frames = w.readframes(w.getnframes())
                    width = w.getsampwidth()
            finally:
                path.unlink(missing_ok=True)
        if width != 2:
            raise SpeechError("Format de synthèse inattendu", "Unexpected synthesis format")
        return Synthesis(np.frombuffer(frames, dtype=np.int16).copy(), true_rate(voice))
