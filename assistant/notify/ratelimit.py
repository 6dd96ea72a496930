"""Client-side rate limits (token buckets), so the outbox stays under the services' limits instead of
collecting 429s. Telegram: about 1 message/s per chat and 30 messages/s overall."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable


class TokenBucket:
    """`rate` tokens per second, at most `capacity` banked. `reserve()` books a token and says how
    long to wait before using it; booking ahead keeps concurrent callers correctly spaced."""

    def __init__(self, rate: float, capacity: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError(f"token bucket needs rate > 0 and capacity >= 1 (got rate={rate}, capacity={capacity})")
        self.rate = float(rate)
        self.capacity = float(capacity)
        self._clock = clock
        self._tokens = float(capacity)
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def reserve(self) -> float:
        self._refill()
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def peek_delay(self) -> float:
        """Wait a `reserve()` would need now, without booking."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1.0 - self._tokens) / self.rate

    async def acquire(self) -> float:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)
        return delay


class TelegramRateLimiter:
    """Per-chat bucket plus one global bucket. Shared by the alert outbox and, later, the chat bot's
    replies: both go through the same bot token, so both must draw from the same buckets."""

    def __init__(
        self,
        per_chat_rate: float = 1.0,
        per_chat_burst: float = 2.0,
        global_rate: float = 30.0,
        global_burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_chat_rate = per_chat_rate
        self._per_chat_burst = per_chat_burst
        self._clock = clock
        self._global = TokenBucket(global_rate, global_burst, clock)
        self._chats: dict[Hashable, TokenBucket] = {}

    async def acquire(self, chat_id: Hashable) -> float:
        """Wait until one message may be sent to `chat_id`; returns the time waited."""
        # The outbox names a chat by its recipient text ("4242"), the bot by Telegram's integer id:
        # one chat, one bucket.
        key = str(chat_id)
        bucket = self._chats.get(key)
        if bucket is None:
            bucket = self._chats[key] = TokenBucket(self._per_chat_rate, self._per_chat_burst, self._clock)
        delay = max(bucket.reserve(), self._global.reserve())
        if delay > 0:
            await asyncio.sleep(delay)
        return delay
