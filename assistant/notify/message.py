"""The outbox row as the rest of the notify package sees it."""
from __future__ import annotations

import enum
from dataclasses import dataclass


class MessageStatus(str, enum.Enum):
    PENDING = "pending"  # waiting for its turn (or for its backoff to end)
    SENDING = "sending"  # an attempt is in flight
    SENT = "sent"
    DEAD = "dead"  # gave up (max attempts or permanent error); `mia outbox retry` revives it


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to enqueue. `dedup_key` is unique in the outbox: enqueueing it twice is a no-op."""

    channel: str
    recipient: str
    body: str
    dedup_key: str
    subject: str | None = None
    lang: str = "en"
    priority: int = 3
    category: str = "system"


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    dedup_key: str
    idempotency_key: str  # stable across retries and restarts; sent to the service where it can take one
    channel: str
    recipient: str
    body: str
    subject: str | None
    lang: str
    priority: int
    category: str
    status: MessageStatus
    attempts: int
    last_error: str | None
    created_ts: float
    updated_ts: float
    next_attempt_ts: float
    attempt_started_ts: float | None
    sent_ts: float | None
    remote_id: str | None
    in_doubt: bool  # an earlier attempt may have been delivered (timeout, or killed while sending)


POSSIBLE_DUPLICATE_MARK = {"en": "[possible duplicate] ", "fr": "[doublon possible] "}


def possible_duplicate_mark(lang: str) -> str:
    return POSSIBLE_DUPLICATE_MARK["fr" if lang == "fr" else "en"]


def truncate(text: str, limit: int) -> str:
    """Cut to the service's length limit, saying so, rather than having the service reject it."""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
