"""Telegram chat front end: the trader commands MIA by typing in an allowed Telegram chat.

`TelegramChatBot(engine, config, token).run(stop)` polls the Bot API; `register(subparsers)` adds
`mia bot`; `run_front_end(ctx)` is what `mia run` attaches when `MIA_TELEGRAM_TOKEN` is set."""
import importlib
from typing import Any

# aiogram takes seconds to import: load the bot only when it is used, not for `mia --help`.
_LAZY = {
    "ConfirmButton": "assistant.telegram_bot.bot",
    "TelegramChatBot": "assistant.telegram_bot.bot",
    "parse_risk_args": "assistant.telegram_bot.bot",
    "register": "assistant.telegram_bot.cli",
    "run_bot": "assistant.telegram_bot.cli",
    "run_front_end": "assistant.telegram_bot.cli",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'assistant.telegram_bot' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["ConfirmButton", "TelegramChatBot", "parse_risk_args", "register", "run_bot", "run_front_end"]
