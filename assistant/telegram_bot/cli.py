"""`mia bot` (the Telegram chat bot alone, with an in-process paper engine and its market feed) and the
`mia run` front end that starts the same bot beside the voice loop when a token is configured.

The token is read only from the environment (`MIA_TELEGRAM_TOKEN`, through `trading_core.config.Secrets`).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING, Any

from assistant.app.lifecycle import Preset, interface_lang, paper_engine, run_preset
from assistant.app.services import RunOptions
from trading_core.config import MiaConfig, Secrets

if TYPE_CHECKING:
    from assistant.app.services import Services

log = logging.getLogger("mia.telegram")

NO_TOKEN = (
    "mia bot: no Telegram token: set MIA_TELEGRAM_TOKEN in the environment (tokens are never read from config files).\n"
    "mia bot : pas de jeton Telegram : définissez MIA_TELEGRAM_TOKEN dans l'environnement "
    "(les jetons ne sont jamais lus dans les fichiers de configuration)."
)
NO_ALLOWED = (
    "mia bot: telegram.allowed_chat_ids is empty: every chat will be refused until you add yours.\n"
    "mia bot : telegram.allowed_chat_ids est vide : tous les chats seront refusés tant que vous n'ajoutez pas le vôtre."
)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "bot",
        help="run the Telegram chat bot alone (paper engine + simulated market)",
        description=(
            "Run the Telegram chat bot with an in-process paper engine and the market feed, until Ctrl-C.\n"
            "The token comes only from the environment; allowed chats from the config.\n"
            "Example:\n  MIA_TELEGRAM_TOKEN=123:ABC MIA_TELEGRAM__ALLOWED_CHAT_IDS='[12345]' mia bot\n"
            "  mia bot --duration 60   (stop after a minute)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--duration", type=float, help="stop after this many seconds (demos and tests)")
    p.set_defaults(func=bot_command)
    return p


def bot_command(args: argparse.Namespace, config: MiaConfig) -> int:
    token = Secrets.from_env().telegram_token
    if not token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from aiogram.utils.token import TokenValidationError, validate_token

    try:
        validate_token(token)
    except TokenValidationError:
        # Name the variable, never the value.
        print("mia bot: MIA_TELEGRAM_TOKEN is not a valid bot token (expected '<digits>:<secret>').\n"
              "mia bot : MIA_TELEGRAM_TOKEN n'est pas un jeton de bot valide (attendu « <chiffres>:<secret> »).",
              file=sys.stderr)
        return 2
    try:
        return asyncio.run(run_bot(config, duration=getattr(args, "duration", None)))
    except KeyboardInterrupt:
        return 130


async def _bot_engine(config: MiaConfig, options: RunOptions) -> Any:
    if not config.telegram.allowed_chat_ids:
        print(NO_ALLOWED, file=sys.stderr)
    return await paper_engine(config, options)


def _bot_banner(services: Services) -> str:
    return (f"MIA Telegram bot — {services.engine.mode} — {services.config.market}. "
            "Ctrl-C to stop. / Ctrl-C pour arrêter.")


async def _bot_front(services: Services) -> int:
    """The bot preset's main front: the chat bot; a bot that cannot run ends the command (exit 2)."""
    token = Secrets.from_env().telegram_token
    if not token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from assistant.telegram_bot.bot import TelegramChatBot

    bot = TelegramChatBot(services.engine, services.config, token, limiter=services.telegram_limiter,
                          copy_sink=services.copy_answer)
    try:
        await bot.run(services.stop)
        return 0
    except RuntimeError as exc:
        print(f"mia bot: {exc}", file=sys.stderr)
        return 2
    finally:
        await bot.close()


BOT = Preset("bot", (("telegram", "assistant.telegram_bot.cli:_bot_front"),), _bot_engine, main="telegram",
             banner=_bot_banner)


async def run_bot(config: MiaConfig, *, duration: float | None = None, stop: asyncio.Event | None = None) -> int:
    """The long-running `mia bot`: paper engine with its feed and the chat bot, until a signal, `stop`
    or `duration` (the token is read from the environment)."""
    options = RunOptions(lang_setting=config.language, speech=False, duration=duration)
    return await run_preset(BOT, config, options, interface_lang(config.language), stop=stop)


def preload(config: MiaConfig) -> None:
    """aiogram takes seconds to import: `mia run` imports it before the market data flows, when a
    token says the bot will run."""
    if Secrets.from_env().telegram_token:
        import assistant.telegram_bot.bot  # noqa: F401


async def run_front_end(services: Services) -> None:
    """`mia run`'s Telegram front end: the chat bot on the running engine, when a token is configured;
    otherwise one log line and return. It paces its replies with the run's Telegram rate limiter, the one
    the alert outbox uses (one bot token, one set of limits)."""
    token = Secrets.from_env().telegram_token
    if not token:
        log.info("telegram bot off: MIA_TELEGRAM_TOKEN is not set")
        return
    from assistant.telegram_bot.bot import TelegramChatBot

    try:
        bot = TelegramChatBot(services.engine, services.config, token, limiter=services.telegram_limiter,
                              copy_sink=services.copy_answer)
    except ValueError as exc:
        log.error("telegram bot off: %s", exc)
        return
    if not services.config.telegram.allowed_chat_ids:
        log.warning("telegram bot: telegram.allowed_chat_ids is empty, every chat will be refused")
    try:
        await bot.run(services.stop)
    finally:
        await bot.close()


__all__ = ["BOT", "bot_command", "register", "run_bot", "run_front_end"]
