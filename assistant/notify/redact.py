"""Keep secrets (bot tokens, webhook URLs, Twilio SID/token, SMTP password) out of logs, errors and reprs.

Client libraries put secrets in places we do not control: aiogram puts the bot token in every URL,
a Discord webhook URL *is* a credential, and twilio error objects carry the account SID in their URI.
Every error string the outbox stores or logs therefore goes through a `Redactor` first.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote

from trading_core.config import Secrets

MASK = "***"
# Values shorter than this are not treated as secrets: masking "1" everywhere would wreck messages.
_MIN_SECRET_LEN = 6


class Redactor:
    """Replaces every known secret value (and its URL-encoded form) with `***`."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._values: list[str] = []
        for value in secrets:
            self.add(value)

    @classmethod
    def from_secrets(cls, secrets: Secrets) -> "Redactor":
        values = [
            secrets.telegram_token,
            secrets.discord_webhook_url,
            secrets.twilio_account_sid,
            secrets.twilio_auth_token,
            secrets.smtp_password,
        ]
        red = cls(values)
        # A webhook URL ends in `/{id}/{token}`: the token alone also leaks through aiohttp error texts.
        if secrets.discord_webhook_url:
            red.add(secrets.discord_webhook_url.rstrip("/").rsplit("/", 1)[-1])
        # The secret part of a bot token is after the colon; the numeric bot id alone is public.
        if secrets.telegram_token and ":" in secrets.telegram_token:
            red.add(secrets.telegram_token.split(":", 1)[1])
        return red

    def add(self, value: str | None) -> None:
        if not value or len(value) < _MIN_SECRET_LEN:
            return
        for form in {value, quote(value, safe="")}:
            if form not in self._values:
                self._values.append(form)
        # Longest first, so a token is masked before a substring of it could be.
        self._values.sort(key=len, reverse=True)

    def __call__(self, text: object) -> str:
        out = str(text)
        for value in self._values:
            if value in out:
                out = out.replace(value, MASK)
        return out

    def __repr__(self) -> str:
        return f"Redactor({len(self._values)} values)"


class RedactingFilter(logging.Filter):
    """Logging filter that masks secrets in the formatted message of every record it sees."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill the logging call
            return True
        cleaned = self._redactor(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True
