"""Telegram chat front end: the trader commands MIA by typing in an allowed Telegram chat.

`TelegramChatBot(engine, config, token).run(stop)` polls the Bot API; `register(subparsers)` adds
`mia bot`; `run_front_end(services)` is what `mia run` attaches when `MIA_TELEGRAM_TOKEN` is set."""
from assistant.lazy import lazy_exports

# aiogram takes seconds to import: load the bot only when it is used, not for `mia --help`.
_LAZY = {
    "ConfirmButton": "assistant.telegram_bot.bot",
    "TelegramChatBot": "assistant.telegram_bot.bot",
    "parse_risk_args": "assistant.telegram_bot.bot",
    "register": "assistant.telegram_bot.cli",
    "run_bot": "assistant.telegram_bot.cli",
    "run_front_end": "assistant.telegram_bot.cli",
}



__all__ = ["ConfirmButton", "TelegramChatBot", "parse_risk_args", "register", "run_bot", "run_front_end"]

__getattr__ = lazy_exports("assistant.telegram_bot", globals(), _LAZY)
