"""Helpers shared by the notify tests: constants, channel builders, a recording speaker, an SMTP sink."""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from assistant.notify.channels import (
    DiscordChannel,
    EmailChannel,
    SmsChannel,
    TelegramChannel,
)
from assistant.notify.outbox import BackoffPolicy, Outbox
from assistant.notify.ratelimit import TelegramRateLimiter
from tests.fakes.discord_webhook import FakeDiscordWebhook
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI

TG_TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnop"
TW_SID = "AC" + "1234abcd" * 4
TW_TOKEN = "twilio-secret-auth-token-0123456789"
SMS_FROM = "+15550001111"
SMS_TO = "+33612345678"
CHAT_ID = 4242


def no_limits() -> TelegramRateLimiter:
    """Telegram limits lifted (tests that are not about rate limits would otherwise take seconds)."""
    return TelegramRateLimiter(per_chat_rate=1000.0, per_chat_burst=1000.0, global_rate=1000.0, global_burst=1000.0)


def telegram_channel(
    fake: FakeTelegramAPI, *, timeout_s: float = 2.0, limiter: TelegramRateLimiter | None = None
) -> TelegramChannel:
    return TelegramChannel(TG_TOKEN, api_base=fake.base_url, timeout_s=timeout_s, limiter=limiter or no_limits())


def discord_channel(fake: FakeDiscordWebhook, *, timeout_s: float = 2.0) -> DiscordChannel:
    return DiscordChannel(fake.webhook_url, timeout_s=timeout_s)


def sms_channel(fake: FakeTwilioAPI, *, timeout_s: float = 2.0) -> SmsChannel:
    return SmsChannel(TW_SID, TW_TOKEN, SMS_FROM, api_base=fake.base_url, timeout_s=timeout_s)


def email_channel(host: str, port: int, *, timeout_s: float = 2.0) -> EmailChannel:
    return EmailChannel(host, port, "mia@example.org", timeout_s=timeout_s)


def make_outbox(path: Path, channels, **kw) -> Outbox:
    kw.setdefault("backoff", BackoffPolicy(base_s=0.02, max_s=0.2))
    kw.setdefault("send_timeout_s", 2.0)
    kw.setdefault("poll_interval_s", 0.1)
    return Outbox(path, channels, **kw)


@dataclass
class SmtpSink:
    """aiosmtpd handler collecting every accepted message."""

    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse_with: str | None = None  # e.g. "550 no such user" makes DATA fail
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class RecordingSpeaker:
    """Stands in for assistant/speech: records what it was asked to say, in order."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def say(self, text: str, lang: str, profile: str) -> None:
        self.events.append(("say", text, lang, profile))

    async def preempt(self) -> None:
        await asyncio.sleep(0)
        self.events.append(("preempt",))

    @property
    def said(self) -> list[tuple]:
        return [e[1:] for e in self.events if e[0] == "say"]
