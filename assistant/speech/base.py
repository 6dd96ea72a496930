"""The `Speaker` interface: queued speech with a calm and an urgent profile.

`say()` returns at once; a worker thread speaks queued items in order. An urgent item pre-empts:
everything still waiting is dropped (recorded in `dropped`) and the item being spoken is cut, so
"daily loss limit reached, trading halted" is never stuck behind a long market summary.
`flush()` waits until the queue is empty. `hold()` queues without speaking (e.g. while the
microphone is open, so MIA does not listen to itself).
"""
from __future__ import annotations

import logging
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

ProfileName = Literal["calm", "urgent"]
PROFILES: tuple[str, ...] = ("calm", "urgent")
LANGS: tuple[str, ...] = ("fr", "en")


class SpeechError(Exception):
    """Speech output problem the user can fix (unknown voice, bad settings); bilingual message."""

    def __init__(self, fr: str, en: str) -> None:
        self.fr = fr
        self.en = en
        super().__init__(f"{fr}\n{en}")


@dataclass(frozen=True)
class VoiceProfile:
    rate: int  # words per minute (espeak-ng)
    volume: float  # 0..1
    pitch: int  # 0..99, 50 = voice default


@dataclass(frozen=True)
class SpeechSettings:
    voices: dict[str, str]  # lang -> espeak-ng voice id ("gmw/en-us", "roa/fr")
    profiles: dict[str, VoiceProfile]

    @classmethod
    def from_config(cls, speech: Any) -> "SpeechSettings":
        """From `trading_core.config.SpeechConfig`."""
        return cls(
            voices={"en": speech.voice_en, "fr": speech.voice_fr},
            profiles={
                "calm": VoiceProfile(speech.calm_rate, speech.calm_volume, getattr(speech, "calm_pitch", 50)),
                "urgent": VoiceProfile(speech.urgent_rate, speech.urgent_volume,
                                       getattr(speech, "urgent_pitch", 65)),
            },
        )

    @classmethod
    def default(cls) -> "SpeechSettings":
        return cls(
            voices={"en": "gmw/en-us", "fr": "roa/fr"},
            profiles={"calm": VoiceProfile(170, 0.9, 50), "urgent": VoiceProfile(200, 1.0, 65)},
        )


@dataclass(frozen=True)
class SpokenItem:
    text: str
    lang: str
    profile: str
    path: Path | None = None  # WAV written (WavSpeaker)
    duration_s: float = 0.0
    played: bool = False  # audio actually went to a sound device
    interrupted: bool = False  # cut by an urgent item


@dataclass
class _Request:
    text: str
    lang: str
    profile: str


class Speaker(ABC):
    """Queued speaker. Subclasses implement `_speak(request) -> SpokenItem`."""

    def __init__(self, settings: SpeechSettings | None = None) -> None:
        self.settings = settings or SpeechSettings.default()
        self.spoken: list[SpokenItem] = []
        self.dropped: list[SpokenItem] = []
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._interrupt = threading.Event()
        self._idle = threading.Condition()
        self._pending = 0
        self._held = threading.Event()
        self._held.set()  # set = allowed to speak
        self._closed = False
        self._worker = threading.Thread(target=self._run, name=f"{type(self).__name__}-worker", daemon=True)
        self._worker.start()

    # ---------------------------------------------------------------- public API
    def say(self, text: str, lang: str, profile: str = "calm") -> None:
        if lang not in self.settings.voices:
            raise SpeechError(
                f"Langue de synthèse inconnue : {lang} (fr ou en)", f"Unknown speech language: {lang} (fr or en)"
            )
        if profile not in self.settings.profiles:
            raise SpeechError(
                f"Profil de voix inconnu : {profile} (calm ou urgent)",
                f"Unknown voice profile: {profile} (calm or urgent)",
            )
        if self._closed:
            raise SpeechError("La synthèse vocale est arrêtée", "Speech output is closed")
        text = text.strip()
        if not text:
            return
        if profile == "urgent":
            self._preempt()
        with self._idle:
            self._pending += 1
        self._queue.put(_Request(text, lang, profile))

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until everything queued has been spoken; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    @property
    def busy(self) -> bool:
        with self._idle:
            return self._pending > 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Queue speech without saying it until the block ends."""
        self._held.clear()
        try:
            yield
        finally:
            self._held.set()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._held.set()
        self._queue.put(None)
        self._worker.join(timeout=10)

    def __enter__(self) -> "Speaker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()
        self.close()

    # ---------------------------------------------------------------- internals
    def _preempt(self) -> None:
        dropped: list[_Request] = []
        while True:
            try:
                req = self._queue.get_nowait()
            except queue.Empty:
                break
            if req is None:
                self._queue.put(None)
                break
            dropped.append(req)
        for req in dropped:
            self.dropped.append(SpokenItem(req.text, req.lang, req.profile))
        with self._idle:
            self._pending -= len(dropped)
            self._idle.notify_all()
        self._interrupt.set()  # cut what is being spoken now (if anything)

    def _run(self) -> None:
        while True:
            req = self._queue.get()
            if req is None:
                return
            self._held.wait()
            self._interrupt.clear()
            try:
                item = self._speak(req)
            except Exception as exc:  # noqa: BLE001 - a speech failure must never kill the worker
                log.warning("synthèse vocale impossible / speech failed: %s", exc)
                item = SpokenItem(req.text, req.lang, req.profile)
            self.spoken.append(item)
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    @abstractmethod
    def _speak(self, req: _Request) -> SpokenItem: ...


class NullSpeaker(Speaker):
    """Speaks nothing; records what would have been said (tests, `speech.enabled: false`)."""

    def _speak(self, req: _Request) -> SpokenItem:
        return SpokenItem(req.text, req.lang, req.profile)
