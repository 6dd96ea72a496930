"""SMS channel: the twilio client (`messages.create_async` over `AsyncTwilioHttpClient`).

`api_base` replaces https://api.twilio.com (tests point it at a local fake). Twilio's Messages API takes
no idempotency key, but it can list messages: after an attempt that may have gone through (timeout,
process killed mid-request) the channel looks for a message with the same To, From and body created
since that attempt, and only resends when there is none. The `Idempotency-Key` header we add is
ignored by Twilio and lets the test fake count repeats.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
from datetime import datetime, timezone
from urllib.parse import urlsplit

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from assistant.notify.channels.base import (
    PermanentSendError,
    RetryableSendError,
    SendResult,
)
from assistant.notify.message import OutboxMessage, truncate
from assistant.notify.redact import RedactingFilter, Redactor

SMS_BODY_LIMIT = 1600
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Clock skew tolerated between us and Twilio when matching an interrupted attempt to a listed message.
RECONCILE_SKEW_S = 120.0

_idempotency_key: contextvars.ContextVar[str | None] = contextvars.ContextVar("mia_twilio_idem", default=None)


class _MiaTwilioHttpClient(AsyncTwilioHttpClient):
    """Adds our idempotency header and always applies the timeout (the stock client passes the
    per-call timeout, which the REST layer leaves at None, i.e. wait forever)."""

    async def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                      allow_redirects=False) -> Response:
        headers = dict(headers or {})
        key = _idempotency_key.get()
        if key and method.upper() == "POST":
            headers[IDEMPOTENCY_HEADER] = key
        return await super().request(
            method, url, params=params, data=data, headers=headers, auth=auth,
            timeout=timeout if timeout is not None else self.timeout, allow_redirects=allow_redirects,
        )


def _twilio_time(value: object) -> float | None:
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return dt.timestamp()
    return None


def _same_text(a: str | None, b: str) -> bool:
    return " ".join((a or "").split()) == " ".join(b.split())


class SmsChannel:
    """Sends SMS from `from_number` to the message's recipient (E.164)."""

    name = "sms"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        api_base: str | None = None,
        timeout_s: float = 10.0,
        redactor: Redactor | None = None,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("SMS needs MIA_TWILIO_ACCOUNT_SID and MIA_TWILIO_AUTH_TOKEN in the environment")
        if not from_number:
            raise ValueError("SMS needs alert_manager.sms_from (the Twilio number to send from)")
        if api_base is not None:
            parts = urlsplit(api_base)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"alert_manager.twilio_api_base {api_base!r} is not an http(s) URL")
        self.__sid = account_sid
        self.__token = auth_token
        self.from_number = from_number
        self.api_base = api_base.rstrip("/") if api_base else None
        self.timeout_s = timeout_s
        self._redact = redactor or Redactor()
        self._redact.add(account_sid)
        self._redact.add(auth_token)
        # The twilio client logs each request URL, which contains the account SID: mask it.
        self._logger = logging.getLogger("mia.notify.twilio_http")
        if self._logger.level == logging.NOTSET:
            # The stock client logs every request at INFO (headers included): keep that for debugging only.
            self._logger.setLevel(logging.WARNING)
        if not any(isinstance(f, RedactingFilter) for f in self._logger.filters):
            self._logger.addFilter(RedactingFilter(self._redact))
        self._client: Client | None = None
        self._http: _MiaTwilioHttpClient | None = None

    def __repr__(self) -> str:
        return f"SmsChannel(from={self.from_number!r}, api_base={self.api_base!r}, account_sid=***, auth_token=***)"

    async def start(self) -> None:
        if self._client is not None:
            return
        # Created inside the running loop: the aiohttp session binds to it.
        self._http = _MiaTwilioHttpClient(timeout=self.timeout_s, logger=self._logger)
        self._client = Client(self.__sid, self.__token, http_client=self._http)
        if self.api_base:
            self._client.api.base_url = self.api_base

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        self._http = None
        self._client = None

    async def wait_ready(self, message: OutboxMessage) -> None:
        # Twilio queues messages itself (about 1 segment/s per long code); a 429 here is honoured by retry.
        return None

    def _error(self, exc: BaseException) -> RetryableSendError | PermanentSendError:
        if isinstance(exc, TwilioRestException):
            text = self._redact(f"twilio {exc.status} (code {exc.code}): {exc.msg}")
            if exc.status == 429 or exc.status >= 500:
                return RetryableSendError(text)
            if exc.status in (401, 403):
                return PermanentSendError(text + " (check MIA_TWILIO_ACCOUNT_SID / MIA_TWILIO_AUTH_TOKEN)")
            return PermanentSendError(text)
        if isinstance(exc, asyncio.TimeoutError):
            return RetryableSendError(f"twilio: no answer within {self.timeout_s:g} s", ambiguous=True)
        if isinstance(exc, aiohttp.ClientConnectorError):
            return RetryableSendError(f"twilio: cannot connect ({self._redact(exc)})")
        if isinstance(exc, aiohttp.ClientError):
            return RetryableSendError(f"twilio: {type(exc).__name__}: {self._redact(exc)}", ambiguous=True)
        if isinstance(exc, TwilioException):
            status = getattr(exc, "status", None)
            text = self._redact(f"twilio error: {exc}")
            if isinstance(status, int) and 400 <= status < 500 and status != 429:
                return PermanentSendError(text)
            return RetryableSendError(text)
        return RetryableSendError(self._redact(f"twilio: {type(exc).__name__}: {exc}"), ambiguous=True)

    async def send(self, message: OutboxMessage) -> SendResult:
        if self._client is None:
            raise RuntimeError("SmsChannel.start() has not been called")
        token = _idempotency_key.set(message.idempotency_key)
        try:
            created = await self._client.messages.create_async(
                to=message.recipient, from_=self.from_number, body=truncate(message.body, SMS_BODY_LIMIT)
            )
        except (TwilioException, aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise self._error(exc) from None
        finally:
            _idempotency_key.reset(token)
        return SendResult(remote_id=created.sid)

    async def reconcile(self, message: OutboxMessage, known_remote_ids: frozenset[str]) -> SendResult | bool | None:
        """Look for this message among the latest ones Twilio has from our number to this recipient."""
        if self._client is None:
            raise RuntimeError("SmsChannel.start() has not been called")
        since = (message.attempt_started_ts or message.created_ts) - RECONCILE_SKEW_S
        body = truncate(message.body, SMS_BODY_LIMIT)
        try:
            listed = await self._client.messages.list_async(to=message.recipient, from_=self.from_number, limit=50)
        except (TwilioException, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise self._error(exc) from None
        for m in listed:
            created = _twilio_time(m.date_created)
            if m.sid in known_remote_ids or not _same_text(m.body, body):
                continue
            if created is not None and created < since:
                continue
            return SendResult(remote_id=m.sid)
        return False
