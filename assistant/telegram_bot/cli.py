"""`mia bot` (the Telegram chat bot alone, with an in-process paper engine and its market feed) and the
`mia run` front end that starts the same bot beside the voice loop when a token is configured.

The token is read only from the environment (`MIA_TELEGRAM_TOKEN`, through `trading_core.config.Secrets`).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

from trading_core.config import MiaConfig, Secrets

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
        return asyncio.run(run_bot(config, token, duration=getattr(args, "duration", None)))
    except ValueError as exc:  # a malformed token: the message names the variable, never the value
        print(f"mia bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def run_bot(config: MiaConfig, token: str, *, duration: float | None = None,
                  stop: asyncio.Event | None = None, engine: Any = None) -> int:
    """The long-running `mia bot`: paper engine with its feed, the chat bot, until a signal, `stop` or
    `duration`. An `engine` may be passed (tests); it is then neither started nor stopped here."""
    from assistant.telegram_bot.bot import TelegramChatBot
    from trading_core.api import Engine

    bot = TelegramChatBot(engine or Engine.from_config(config, realtime=True, mode="paper"), config, token)
    own_engine = engine is None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except Exception:  # not the main thread, or a loop without signal support (Windows)
            pass
    if not config.telegram.allowed_chat_ids:
        print(NO_ALLOWED, file=sys.stderr)
    if own_engine:
        await bot.engine.start()
    timer = loop.call_later(duration, stop.set) if duration else None
    try:
        print(f"MIA Telegram bot — {bot.engine.mode} — {config.market}. Ctrl-C to stop. / Ctrl-C pour arrêter.")
        await bot.run(stop)
        return 0
    except RuntimeError as exc:
        print(f"mia bot: {exc}", file=sys.stderr)
        return 2
    finally:
        if timer is not None:
            timer.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)
        await bot.close()
        if own_engine:
            await bot.engine.stop()
            bot.engine.close()


def preload(config: MiaConfig) -> None:
    """aiogram takes seconds to import: `mia run` imports it before the market data flows, when a
    token says the bot will run."""
    if Secrets.from_env().telegram_token:
        import assistant.telegram_bot.bot  # noqa: F401


async def run_front_end(ctx: Any) -> None:
    """`mia run`'s Telegram front end: the chat bot on the running engine, when a token is configured;
    otherwise one log line and return. Uses the alert outbox's Telegram rate limiter when one is shared
    in `ctx.extras["telegram_limiter"]`."""
    token = Secrets.from_env().telegram_token
    if not token:
        log.info("telegram bot off: MIA_TELEGRAM_TOKEN is not set")
        return
    from assistant.telegram_bot.bot import TelegramChatBot

    try:
        bot = TelegramChatBot(ctx.engine, ctx.config, token, limiter=ctx.extras.get("telegram_limiter"))
    except ValueError as exc:
        log.error("telegram bot off: %s", exc)
        return
    if not ctx.config.telegram.allowed_chat_ids:
        log.warning("telegram bot: telegram.allowed_chat_ids is empty, every chat will be refused")
    ctx.extras["telegram_bot"] = bot
    try:
        await bot.run(ctx.stop)
    finally:
        ctx.extras.pop("telegram_bot", None)
        await bot.close()


__all__ = ["bot_command", "register", "run_bot", "run_front_end"]
