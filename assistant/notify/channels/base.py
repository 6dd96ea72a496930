"""What every delivery channel looks like to the outbox, and how channels report failures."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from assistant.notify.message import OutboxMessage


@dataclass(frozen=True, slots=True)
class SendResult:
    remote_id: str | None = None  # the service's id for the message (Telegram message_id, Twilio SID, ...)


class SendError(Exception):
    """Base of channel failures. `ambiguous`: the service may have accepted the message anyway
    (timeout, connection lost after the request was written), so a resend may duplicate it."""

    retryable: bool = True

    def __init__(self, message: str, *, retry_after: float | None = None, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class RetryableSendError(SendError):
    """Temporary: rate limit, 5xx, timeout, connection problem. The outbox retries with backoff."""

    retryable = True


class PermanentSendError(SendError):
    """Will never succeed as is (bad request, unknown chat, bad credentials): dead-lettered at once."""

    retryable = False


@runtime_checkable
class Channel(Protocol):
    """A delivery channel. One outbox worker per channel calls these, one message at a time."""

    name: str

    async def start(self) -> None:
        """Open client sessions (called once, inside the running event loop)."""

    async def close(self) -> None:
        """Release client sessions."""

    async def wait_ready(self, message: OutboxMessage) -> None:
        """Wait for the client-side rate limits; not counted in the send timeout."""

    async def send(self, message: OutboxMessage) -> SendResult:
        """Deliver once or raise a `SendError`. `message.in_doubt` asks for the possible-duplicate marker."""

    async def reconcile(self, message: OutboxMessage, known_remote_ids: frozenset[str]) -> SendResult | bool | None:
        """For a message whose earlier attempt may have gone through: a `SendResult` if the service has it
        (`known_remote_ids`: ids already matched to other outbox rows, not to be claimed twice), False if it
        surely does not, None when the service cannot tell (the outbox then resends, marked)."""
