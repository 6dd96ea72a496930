"""Telegram channel: aiogram `Bot.send_message`, through a local Bot API server when a base URL is set.

Telegram's sendMessage takes no idempotency key and the Bot API cannot list what a bot sent, so a
message whose earlier attempt may have arrived (timeout, process killed mid-request) is resent with a
visible "possible duplicate" mark: the reader can tell a repeat from a new alert.
"""
from __future__ import annotations

import asyncio

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.utils.token import TokenValidationError, validate_token

from assistant.notify.channels.base import (
    PermanentSendError,
    RetryableSendError,
    SendResult,
)
from assistant.notify.message import OutboxMessage, possible_duplicate_mark, truncate
from assistant.notify.ratelimit import TelegramRateLimiter
from assistant.notify.redact import Redactor

TELEGRAM_TEXT_LIMIT = 4096


def _parse_chat_id(recipient: str) -> int | str:
    # Numeric ids for private chats and groups; "@channelname" for public channels.
    try:
        return int(recipient)
    except ValueError:
        if recipient.startswith("@") and len(recipient) > 1:
            return recipient
        raise PermanentSendError(f"telegram recipient {recipient!r} is neither a chat id nor an @channel") from None


def network_error_is_ambiguous(exc: BaseException) -> bool:
    """True when the request may have reached the server: timeouts and connections lost mid-exchange.
    A refused or unresolvable connection means nothing was sent."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, aiohttp.ClientConnectorError):
        return False
    return True


class TelegramChannel:
    """Sends alert texts to Telegram chats. `recipient` is the chat id (as text).

    `limiter` is public so that the chat bot, which replies with the same token, draws from the same
    per-chat and global budgets."""

    name = "telegram"

    def __init__(
        self,
        token: str,
        *,
        api_base: str | None = None,
        timeout_s: float = 10.0,
        limiter: TelegramRateLimiter | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        try:
            validate_token(token)
        except TokenValidationError:
            # The library's message never contains the token; neither does ours.
            raise ValueError("MIA_TELEGRAM_TOKEN is not a valid bot token (expected '<digits>:<secret>')") from None
        self.__token = token
        self.api_base = api_base
        self.timeout_s = timeout_s
        self.limiter = limiter or TelegramRateLimiter()
        self._redact = redactor or Redactor([token])
        self._redact.add(token)
        self._bot: Bot | None = None

    def __repr__(self) -> str:
        return f"TelegramChannel(api_base={self.api_base!r}, token=***)"

    @property
    def bot(self) -> Bot:
        """The aiogram Bot (after `start()`), for callers that need more than sendMessage."""
        if self._bot is None:
            raise RuntimeError("TelegramChannel.start() has not been called")
        return self._bot

    async def start(self) -> None:
        if self._bot is not None:
            return
        if self.api_base:
            session = AiohttpSession(api=TelegramAPIServer.from_base(self.api_base), timeout=self.timeout_s)
        else:
            session = AiohttpSession(timeout=self.timeout_s)
        self._bot = Bot(token=self.__token, session=session)

    async def close(self) -> None:
        if self._bot is not None:
            await self._bot.session.close()
            self._bot = None

    async def wait_ready(self, message: OutboxMessage) -> None:
        await self.limiter.acquire(message.recipient)

    def format(self, message: OutboxMessage) -> str:
        text = message.body
        if message.in_doubt:
            text = possible_duplicate_mark(message.lang) + text
        return truncate(text, TELEGRAM_TEXT_LIMIT)

    async def send(self, message: OutboxMessage) -> SendResult:
        chat_id = _parse_chat_id(message.recipient)
        try:
            sent = await self.bot.send_message(chat_id=chat_id, text=self.format(message))
        except TelegramRetryAfter as exc:
            raise RetryableSendError(
                f"telegram 429: {exc.message}", retry_after=float(exc.retry_after)
            ) from None
        except (TelegramServerError, RestartingTelegram) as exc:
            raise RetryableSendError(f"telegram server error: {self._redact(exc.message)}") from None
        except TelegramNetworkError as exc:
            raise RetryableSendError(
                f"telegram network error: {self._redact(exc.message)}", ambiguous=network_error_is_ambiguous(exc)
            ) from None
        except TelegramMigrateToChat as exc:
            raise PermanentSendError(
                f"telegram chat {chat_id} became supergroup {exc.migrate_to_chat_id}; update telegram_chat_ids"
            ) from None
        except TelegramUnauthorizedError as exc:
            raise PermanentSendError(f"telegram refused the bot token (401 {exc.message}); check MIA_TELEGRAM_TOKEN") from None
        except (TelegramBadRequest, TelegramForbiddenError, TelegramNotFound, TelegramEntityTooLarge,
                TelegramConflictError) as exc:
            raise PermanentSendError(f"telegram refused the message: {self._redact(exc.message)}") from None
        except ClientDecodeError as exc:
            # A proxy's HTML error page, for instance: the request may still have been handled.
            raise RetryableSendError(f"telegram answer unreadable: {self._redact(exc.message)}", ambiguous=True) from None
        except TelegramAPIError as exc:
            raise RetryableSendError(f"telegram error: {self._redact(exc.message)}") from None
        except asyncio.TimeoutError:
            raise RetryableSendError("telegram request timed out", ambiguous=True) from None
        return SendResult(remote_id=str(sent.message_id))

    async def reconcile(self, message: OutboxMessage, known_remote_ids: frozenset[str]) -> SendResult | bool | None:
        # The Bot API has no way to list messages a bot sent: we cannot know.
        return None
