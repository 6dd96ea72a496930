"""E-mail channel: plain SMTP with the standard library, run in a worker thread.

The Message-ID is derived from the outbox idempotency key, so a resend after an interrupted attempt
carries the same Message-ID (many mail stores fold such copies together) and a "possible duplicate"
subject mark."""
from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from assistant.notify.channels.base import (
    PermanentSendError,
    RetryableSendError,
    SendResult,
)
from assistant.notify.message import OutboxMessage, possible_duplicate_mark
from assistant.notify.redact import Redactor


class EmailChannel:
    """Sends each message as one text/plain e-mail to `recipient` (comma-separated addresses allowed)."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        from_addr: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_s: float = 10.0,
        redactor: Redactor | None = None,
    ) -> None:
        if not from_addr or "@" not in from_addr:
            raise ValueError(f"alert_manager.email_from {from_addr!r} is not an e-mail address")
        self.host, self.port, self.from_addr = host, port, from_addr
        self.username = username or (from_addr if password else None)
        self.__password = password
        self.starttls = starttls
        self.timeout_s = timeout_s
        self._redact = redactor or Redactor()
        self._redact.add(password)

    def __repr__(self) -> str:
        shown = "***" if self.__password else None
        return f"EmailChannel(host={self.host!r}, port={self.port}, from={self.from_addr!r}, password={shown})"

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def wait_ready(self, message: OutboxMessage) -> None:
        return None

    def build(self, message: OutboxMessage) -> EmailMessage:
        mail = EmailMessage()
        subject = message.subject or message.body.splitlines()[0][:120]
        if message.in_doubt:
            subject = possible_duplicate_mark(message.lang) + subject
        mail["Subject"] = subject
        mail["From"] = self.from_addr
        mail["To"] = message.recipient
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = f"<{message.idempotency_key}@mia.local>"
        mail.set_content(message.body)
        return mail

    def _send_blocking(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.__password:
                smtp.login(self.username or self.from_addr, self.__password)
            smtp.send_message(mail)

    async def send(self, message: OutboxMessage) -> SendResult:
        mail = self.build(message)
        try:
            await asyncio.to_thread(self._send_blocking, mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentSendError(f"smtp login refused ({exc.smtp_code}); check MIA_SMTP_PASSWORD") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {code for code, _ in exc.recipients.values()}
            text = f"smtp refused recipients {sorted(exc.recipients)}: codes {sorted(codes)}"
            if all(c >= 500 for c in codes):
                raise PermanentSendError(text) from None
            raise RetryableSendError(text) from None
        except smtplib.SMTPResponseException as exc:
            text = self._redact(f"smtp {exc.smtp_code}: {exc.smtp_error!r}")
            if exc.smtp_code >= 500:
                raise PermanentSendError(text) from None
            raise RetryableSendError(text) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise RetryableSendError(f"smtp server disconnected: {self._redact(exc)}", ambiguous=True) from None
        except (socket.timeout, TimeoutError):
            raise RetryableSendError(f"smtp: no answer within {self.timeout_s:g} s", ambiguous=True) from None
        except ConnectionRefusedError as exc:
            raise RetryableSendError(f"smtp {self.host}:{self.port} refused the connection: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableSendError(self._redact(f"smtp {type(exc).__name__}: {exc}"), ambiguous=True) from None
        return SendResult(remote_id=mail["Message-ID"])

    async def reconcile(self, message: OutboxMessage, known_remote_ids: frozenset[str]) -> SendResult | bool | None:
        return None
