"""The recent voice (and typed / chat) commands with their transcripts and MIA's answers, in memory.

The voice loop calls `CommandLog.record(transcript, intent, answer, lang)` after each answer; the
dashboard shows the ring. Thread-safe; nothing is written to disk (the ledger and the alert copies
already keep what matters).
"""
from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CommandRecord:
    seq: int
    ts: float  # time.time()
    transcript: str
    intent: str | None
    answer: str
    lang: str
    source: str  # voice / text / telegram
    latency_s: float | None = None  # end of speech → answer, when the caller knows it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CommandLog:
    def __init__(self, size: int = 50) -> None:
        if size < 1:
            raise ValueError(f"size must be >= 1 (got {size})")
        self._ring: deque[CommandRecord] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._listeners: list[Any] = []

    def record(
        self,
        transcript: str,
        intent: str | None,
        answer: str,
        lang: str,
        *,
        source: str = "voice",
        latency_s: float | None = None,
    ) -> CommandRecord:
        if not isinstance(transcript, str) or not isinstance(answer, str):
            raise ValueError("transcript and answer must be text")
        if lang not in ("fr", "en"):
            raise ValueError(f"lang must be 'fr' or 'en' (got {lang!r})")
        with self._lock:
            rec = CommandRecord(next(self._seq), time.time(), " ".join(transcript.split()), intent,
                                answer.strip(), lang, source, latency_s)
            self._ring.append(rec)
            listeners = list(self._listeners)
        for cb in listeners:
            try:
                cb(rec)
            except Exception:  # a dashboard that went away must not break the voice loop
                pass
        return rec

    def recent(self, n: int | None = None) -> list[CommandRecord]:
        """Newest first."""
        with self._lock:
            items = list(self._ring)
        items.reverse()
        return items if n is None else items[:n]

    def add_listener(self, callback: Any) -> None:
        with self._lock:
            self._listeners.append(callback)

    def remove_listener(self, callback: Any) -> None:
        with self._lock:
            if callback in self._listeners:
                self._listeners.remove(callback)

    def __len__(self) -> int:
        return len(self._ring)
