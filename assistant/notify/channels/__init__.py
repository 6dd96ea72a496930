"""Delivery channels used by the outbox: Telegram, Discord, SMS (Twilio) and e-mail (SMTP)."""
from assistant.notify.channels.base import (
    Channel,
    PermanentSendError,
    RetryableSendError,
    SendError,
    SendResult,
)

from assistant.lazy import lazy_exports

# Channel classes are imported on first use: aiogram and twilio are slow to import.
_LAZY = {
    "DiscordChannel": "assistant.notify.channels.discord",
    "EmailChannel": "assistant.notify.channels.email",
    "SmsChannel": "assistant.notify.channels.sms",
    "TelegramChannel": "assistant.notify.channels.telegram",
}


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

__getattr__ = lazy_exports("assistant.notify.channels", globals(), _LAZY)
