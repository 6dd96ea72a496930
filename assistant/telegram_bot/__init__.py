"""Telegram chat front end: the trader commands MIA by typing in an allowed Telegram chat.

`TelegramChatBot(engine, config, token).run(stop)` polls the Bot API; `register(subparsers)` adds
`mia bot`; `run_front_end(ctx)` is what `mia run` attaches when `MIA_TELEGRAM_TOKEN` is set."""
from assistant.telegram_bot.bot import ConfirmButton, TelegramChatBot, parse_risk_args
from assistant.telegram_bot.cli import register, run_bot, run_front_end

__all__ = ["ConfirmButton", "TelegramChatBot", "parse_risk_args", "register", "run_bot", "run_front_end"]
