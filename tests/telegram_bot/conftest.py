"""Fixtures: the fake Bot API on 127.0.0.1, a paper engine at a Wednesday 15:00 UTC whose prices tick so
market orders fill, and the real aiogram bot polling the fake."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from assistant.dialogue import shared_parser
from assistant.nlu.parser import Parser
from assistant.telegram_bot import TelegramChatBot
from tests.fakes.telegram_api import FakeTelegramAPI
from trading_core.api import Engine
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.config import load_config
from trading_core.instruments import get_instrument

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnop"
ALLOWED = 555  # the trader's private chat
STRANGER = 777
T0 = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)  # Wednesday 10:00 New York: market open


def make_config(tmp_path, **telegram: Any):
    section = {"allowed_chat_ids": [ALLOWED], "queries_from_strangers": False, "confirm_timeout_s": 60.0} | telegram
    return load_config(env={}, overrides={"data_dir": str(tmp_path), "telegram": section})


@pytest.fixture(scope="session")
def compiled_parser() -> Parser:
    """The project grammars, compiled once for the whole folder (seconds, more on a loaded machine);
    `shared_parser` caches it, so bots built without a parser reuse it too."""
    return shared_parser()


@pytest.fixture
async def tg(compiled_parser) -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(TOKEN) as fake:
        yield fake


@pytest.fixture
async def engine(tmp_path) -> AsyncIterator[Engine]:
    cfg = make_config(tmp_path)
    broker = PaperBroker(get_instrument, slippage_ticks=cfg.paper.slippage_ticks,
                         commission_per_contract=cfg.paper.commission_per_contract)
    eng = Engine(cfg, broker, clock=MarketClock(), mode="paper")
    await eng.start(run_feed=False)
    eng.on_price("ES", 6000.0, T0)
    eng.on_price("MNQ", 21000.0, T0)

    async def tick() -> None:
        # The paper broker fills a market order at the next price: keep prices coming.
        n = 0
        while True:
            await asyncio.sleep(0.02)
            n += 1
            eng.on_price("ES", 6000.0, T0 + timedelta(milliseconds=20 * n))
            eng.on_price("MNQ", 21000.0, T0 + timedelta(milliseconds=20 * n))

    ticker = asyncio.create_task(tick())
    yield eng
    ticker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await ticker
    await eng.stop()
    eng.close()


@pytest.fixture
async def start_bot(tg, engine, tmp_path, compiled_parser) -> AsyncIterator[Callable[..., Any]]:
    """`await start_bot(**telegram_section)` -> a running TelegramChatBot polling the fake."""
    running: list[tuple[TelegramChatBot, asyncio.Event, asyncio.Task[None]]] = []

    async def start(**telegram: Any) -> TelegramChatBot:
        cfg = make_config(tmp_path, **({"api_base": tg.base_url} | telegram))
        bot = TelegramChatBot(engine, cfg, TOKEN, parser=compiled_parser, polling_timeout_s=5, fill_wait_s=2.0)
        stop = asyncio.Event()
        task = asyncio.create_task(bot.run(stop))
        running.append((bot, stop, task))
        await tg.wait_until(lambda: any(m == "getUpdates" for m, _ in tg.calls), timeout=20)
        return bot

    yield start
    for bot, stop, task in running:
        stop.set()
        await asyncio.wait_for(task, 10)


async def wait_for(predicate: Callable[[], Any], timeout: float = 8.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def messages(tg: FakeTelegramAPI, chat_id: int) -> list[dict[str, Any]]:
    """What the bot sent to a chat, in order (the fake's stored message, with reply_markup)."""
    return [r.payload for r in tg.received if r.recipient == str(chat_id)]


def buttons(msg: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (msg.get("reply_markup") or {}).get("inline_keyboard") or []
    return [(b["text"], b["callback_data"]) for row in rows for b in row]
