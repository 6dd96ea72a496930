"""Delivery channels used by the outbox: Telegram, Discord, SMS (Twilio) and e-mail (SMTP)."""
from assistant.notify.channels.base import (
    Channel,
    PermanentSendError,
    RetryableSendError,
    SendError,
    SendResult,
)

import importlib
from typing import Any

# Channel classes are imported on first use: aiogram and twilio are slow to import.
_LAZY = {
    "DiscordChannel": "assistant.notify.channels.discord",
    "EmailChannel": "assistant.notify.channels.email",
    "SmsChannel": "assistant.notify.channels.sms",
    "TelegramChannel": "assistant.notify.channels.telegram",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'assistant.notify.channels' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

__all__ = [
    "Channel",
    "DiscordChannel",
    "EmailChannel",
    "PermanentSendError",
    "RetryableSendError",
    "SendError",
    "SendResult",
    "SmsChannel",
    "TelegramChannel",
]
