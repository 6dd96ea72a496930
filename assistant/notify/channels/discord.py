"""Discord channel: execute a webhook (POST JSON {"content": ...}) with aiohttp.

Rate limits are read from the answers rather than hard-coded: after a response saying
`X-RateLimit-Remaining: 0`, the next request waits `X-RateLimit-Reset-After` seconds; a 429 carries
`retry_after` (JSON, seconds, fractional) and `Retry-After` (header).

Discord webhooks take no idempotency key. We still send an `Idempotency-Key` header (ignored by
Discord, used by the test fake to count repeats); after an ambiguous attempt the message is resent with
a "possible duplicate" mark.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

import aiohttp

from assistant.notify.channels.base import (
    PermanentSendError,
    RetryableSendError,
    SendResult,
)
from assistant.notify.message import OutboxMessage, possible_duplicate_mark, truncate
from assistant.notify.redact import Redactor

DISCORD_CONTENT_LIMIT = 2000
IDEMPOTENCY_HEADER = "Idempotency-Key"


def _float_header(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


class DiscordChannel:
    """Posts to one Discord webhook (the URL is a secret: it comes from MIA_DISCORD_WEBHOOK_URL)."""

    name = "discord"

    def __init__(
        self,
        webhook_url: str,
        *,
        timeout_s: float = 10.0,
        username: str | None = "MIA",
        redactor: Redactor | None = None,
    ) -> None:
        parts = urlsplit(webhook_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or "/webhooks/" not in parts.path:
            raise ValueError("MIA_DISCORD_WEBHOOK_URL is not a webhook URL (https://discord.com/api/webhooks/<id>/<token>)")
        self.__url = webhook_url
        self.timeout_s = timeout_s
        self.username = username
        self._redact = redactor or Redactor()
        self._redact.add(webhook_url)
        self._redact.add(webhook_url.rstrip("/").rsplit("/", 1)[-1])
        self._session: aiohttp.ClientSession | None = None
        self._blocked_until = 0.0  # monotonic time before which the bucket is empty

    def __repr__(self) -> str:
        return f"DiscordChannel(host={urlsplit(self.__url).netloc!r}, webhook=***)"

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_s))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def wait_ready(self, message: OutboxMessage) -> None:
        delay = self._blocked_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def format(self, message: OutboxMessage) -> str:
        text = message.body
        if message.in_doubt:
            text = possible_duplicate_mark(message.lang) + text
        return truncate(text, DISCORD_CONTENT_LIMIT)

    def _note_bucket(self, resp: aiohttp.ClientResponse) -> None:
        remaining = _float_header(resp.headers, "X-RateLimit-Remaining")
        reset_after = _float_header(resp.headers, "X-RateLimit-Reset-After")
        if remaining is not None and remaining <= 0 and reset_after is not None:
            self._blocked_until = max(self._blocked_until, time.monotonic() + reset_after)

    async def send(self, message: OutboxMessage) -> SendResult:
        if self._session is None:
            raise RuntimeError("DiscordChannel.start() has not been called")
        payload = {
            "content": self.format(message),
            # Alerts quote user text (voice transcripts): never let it ping @everyone or anyone else.
            "allowed_mentions": {"parse": []},
        }
        if self.username:
            payload["username"] = self.username
        try:
            async with self._session.post(
                self.__url,
                params={"wait": "true"},  # confirm the message was saved, and get its id
                json=payload,
                headers={IDEMPOTENCY_HEADER: message.idempotency_key},
            ) as resp:
                body = await resp.text()
                self._note_bucket(resp)
                status = resp.status
                headers = resp.headers
        except asyncio.TimeoutError:
            raise RetryableSendError(f"discord: no answer within {self.timeout_s:g} s", ambiguous=True) from None
        except aiohttp.ClientConnectorError as exc:
            raise RetryableSendError(f"discord: cannot connect ({self._redact(exc)})") from None
        except aiohttp.ClientError as exc:
            raise RetryableSendError(f"discord: {type(exc).__name__}: {self._redact(exc)}", ambiguous=True) from None

        data: dict = {}
        if body:
            try:
                parsed = json.loads(body)
                data = parsed if isinstance(parsed, dict) else {}
            except ValueError:
                data = {}
        if 200 <= status < 300:
            return SendResult(remote_id=str(data["id"]) if "id" in data else None)
        detail = str(data.get("message") or body[:200] or "no details")
        if status == 429:
            retry_after = data.get("retry_after")
            if not isinstance(retry_after, (int, float)):
                retry_after = _float_header(headers, "Retry-After")
            scope = "global" if data.get("global") or headers.get("X-RateLimit-Global") else "webhook"
            raise RetryableSendError(
                f"discord 429 ({scope} rate limit): {detail}", retry_after=float(retry_after or 1.0)
            )
        if status >= 500:
            raise RetryableSendError(f"discord {status}: {self._redact(detail)}")
        if status in (401, 403, 404):
            raise PermanentSendError(
                f"discord {status}: {self._redact(detail)} (is MIA_DISCORD_WEBHOOK_URL still valid?)"
            )
        raise PermanentSendError(f"discord {status}: {self._redact(detail)}")

    async def reconcile(self, message: OutboxMessage, known_remote_ids: frozenset[str]) -> SendResult | bool | None:
        # A webhook can fetch a message by id but cannot list or search: we cannot know.
        return None
