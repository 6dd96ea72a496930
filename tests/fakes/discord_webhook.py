"""A fake Discord webhook: `POST {base}/api/webhooks/{id}/{token}` with JSON `{"content": ...}`.

Answers 204 (or 200 with the message object when `?wait=true`). Every answer carries the rate-limit
headers `X-RateLimit-Limit`, `-Remaining`, `-Reset`, `-Reset-After`, `-Bucket` of a fixed-window bucket
(`bucket_limit` requests per `bucket_window_s`, None to disable); going over answers 429 with JSON
`{"message", "retry_after", "global"}` and a `Retry-After` header. Errors use Discord's JSON shape
`{"message": ..., "code": N}`.

Real Discord webhooks take no idempotency key. This fake honours an `Idempotency-Key` header (a repeat
is answered with the original message and recorded with `duplicate=True`) so tests can count repeats.
"""
from __future__ import annotations

import json
import math
import time

from aiohttp import web

from tests.fakes.http_fake import TIMEOUT, FakeHTTPServer, FaultConfig

CONTENT_LIMIT = 2000
IDEMPOTENCY_HEADER = "Idempotency-Key"


class FakeDiscordWebhook(FakeHTTPServer):
    name = "discord"

    def __init__(
        self,
        webhook_id: str = "112233445566778899",
        token: str = "fake-webhook-token-abcdefghijklmnop",
        *,
        faults: FaultConfig | None = None,
        bucket_limit: int | None = 5,
        bucket_window_s: float = 2.0,
        channel_id: str = "998877665544332211",
    ) -> None:
        super().__init__(faults)
        self.webhook_id = webhook_id
        self.token = token
        self.channel_id = channel_id
        self.bucket_limit = bucket_limit
        self.bucket_window_s = bucket_window_s
        self.rate_limited = 0  # 429s from the emulated bucket (not injected faults)
        self._window_start = 0.0
        self._window_count = 0
        self._snowflake = 1_100_000_000_000_000_000

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/api/webhooks/{self.webhook_id}/{self.token}"

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/api/webhooks/{id}/{token}", self._handle)
        app.router.add_post("/api/v{version:\\d+}/webhooks/{id}/{token}", self._handle)

    # -- rate limit bucket -------------------------------------------------------------------------

    def _bucket_state(self) -> tuple[int, float]:
        """(remaining, reset_after) after counting nothing."""
        now = time.monotonic()
        if now - self._window_start >= self.bucket_window_s:
            self._window_start, self._window_count = now, 0
        assert self.bucket_limit is not None
        remaining = max(0, self.bucket_limit - self._window_count)
        return remaining, max(0.0, self._window_start + self.bucket_window_s - now)

    def _headers(self, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.bucket_limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": "fakebucket0001",
        }

    @staticmethod
    def _too_many(retry_after: float, headers: dict[str, str]) -> web.Response:
        headers = dict(headers, **{"Retry-After": str(max(1, math.ceil(retry_after)))})
        body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": False}
        return web.json_response(body, status=429, headers=headers)

    # -- HTTP --------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await self._latency()
        if request.match_info["id"] != self.webhook_id:
            return web.json_response({"message": "Unknown Webhook", "code": 10015}, status=404)
        if request.match_info["token"] != self.token:
            return web.json_response({"message": "Invalid Webhook Token", "code": 50027}, status=401)
        headers: dict[str, str] = {}
        if self.bucket_limit is not None:
            remaining, reset_after = self._bucket_state()
            if remaining <= 0:
                self.rate_limited += 1
                return self._too_many(reset_after, self._headers(0, reset_after))
            self._window_count += 1
            headers = self._headers(remaining - 1, reset_after)
        outcome = self._fault()
        if outcome == TIMEOUT and not self.faults.timeout_after_processing:
            await self._hang()
            return web.json_response({"message": "504: Gateway Timeout", "code": 0}, status=504)
        if outcome == "429":
            ra = self.faults.retry_after
            return self._too_many(ra, self._headers(0, ra))
        if outcome in ("500", "502", "503"):
            return web.json_response({"message": f"{outcome}: Internal Server Error", "code": 0}, status=int(outcome))

        try:
            payload = await request.json()
        except (ValueError, json.JSONDecodeError):
            return web.json_response({"message": "Cannot send an empty message", "code": 50006}, status=400, headers=headers)
        content = payload.get("content") if isinstance(payload, dict) else None
        if not isinstance(content, str) or not content.strip():
            return web.json_response({"message": "Cannot send an empty message", "code": 50006}, status=400, headers=headers)
        if len(content) > CONTENT_LIMIT:
            return web.json_response(
                {"message": "Invalid Form Body", "code": 50035,
                 "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                                     "message": "Must be 2000 or fewer in length."}]}}},
                status=400, headers=headers,
            )
        wait = request.query.get("wait", "false").lower() == "true"
        key = request.headers.get(IDEMPOTENCY_HEADER)
        hold = self._take_hold()
        if hold is not None and not hold.record:
            await self._park(hold)
            return web.json_response({"message": "502: Bad Gateway", "code": 0}, status=502)

        known = self._known(key)
        if known is not None:
            message = known
            self._record(key, self.channel_id, content, payload, message)
        else:
            self._snowflake += 1
            message = {
                "id": str(self._snowflake), "type": 0, "content": content, "channel_id": self.channel_id,
                "author": {"id": self.webhook_id, "username": payload.get("username") or "Webhook", "bot": True},
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "webhook_id": self.webhook_id,
                "mentions": [], "attachments": [], "embeds": [], "tts": False, "pinned": False, "flags": 0,
            }
            self._record(key, self.channel_id, content, payload, message)
        if hold is not None:
            await self._park(hold)
        if outcome == TIMEOUT:  # processed, but the answer never comes in time
            await self._hang()
        if wait:
            return web.json_response(message, status=200, headers=headers)
        return web.Response(status=204, headers=headers)
