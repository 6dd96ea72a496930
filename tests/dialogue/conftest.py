"""Shared fixtures: a paper engine in tmp_path (PaperBroker + MarketClock, as the engine tests do),
a price ticker so market orders fill, the project parser (compiled once per session)."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from assistant.dialogue import Dialogue, shared_parser
from assistant.nlu.parser import Parser
from trading_core.api import Engine
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.config import MiaConfig, load_config
from trading_core.instruments import get_instrument

# A Wednesday, 10:00 New York: the market is open.
T0 = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)
PRICES = {"ES": 6000.0, "MNQ": 21000.0}


def make_config(tmp_path: Any, **overrides: Any) -> MiaConfig:
    return load_config(env={}, overrides={"data_dir": str(tmp_path), **overrides})


def make_engine(config: MiaConfig, mode: str = "paper") -> Engine:
    """The engine on the paper broker; `mode="live"` labels it live (what a live session's dialogue sees)."""
    broker = PaperBroker(get_instrument, slippage_ticks=config.paper.slippage_ticks,
                         commission_per_contract=config.paper.commission_per_contract)
    return Engine(config, broker, clock=MarketClock(), mode=mode)


class Ticker:
    """Prices every 20 ms of wall time (one market second each), so market orders fill as on a live feed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ts = T0
        self._task: asyncio.Task[None] | None = None

    def tick(self) -> None:
        self.ts += timedelta(seconds=1)
        for symbol, price in PRICES.items():
            self.engine.on_price(symbol, price, self.ts)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.02)
            self.tick()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@pytest.fixture(scope="session")
def parser() -> Parser:
    return shared_parser()


@pytest.fixture
def config(tmp_path: Any) -> MiaConfig:
    return make_config(tmp_path)


@pytest.fixture
async def engine(config: MiaConfig) -> AsyncIterator[Engine]:
    async for eng in running_engine(config):
        yield eng


async def running_engine(config: MiaConfig, mode: str = "paper") -> AsyncIterator[Engine]:
    """A started engine with prices ticking (market orders fill), stopped and closed after use."""
    eng = make_engine(config, mode)
    await eng.start(run_feed=False)
    for symbol, price in PRICES.items():
        eng.on_price(symbol, price, T0)
    ticker = Ticker(eng)
    ticker.start()
    eng.ticker = ticker  # type: ignore[attr-defined]
    try:
        yield eng
    finally:
        await ticker.stop()
        await eng.stop()
        eng.close()


@pytest.fixture
def copies() -> list[tuple[str, str, str, str]]:
    return []


@pytest.fixture
def dialogue(engine: Engine, parser: Parser, config: MiaConfig, copies: list[tuple[str, str, str, str]]) -> Dialogue:
    return Dialogue(engine, parser, config=config, copy_sink=lambda *a: copies.append(a), fill_wait_s=2.0)


def orders_of(engine: Engine) -> list:
    """Every order the engine's ledger holds (what reached the broker)."""
    return engine.ledger.orders(limit=None)


@pytest.fixture
def typed(engine: Engine, parser: Parser, config: MiaConfig) -> Dialogue:
    """The dialogue of the typed loop (`mia run --input text`)."""
    return Dialogue(engine, parser, config=config, source="text", fill_wait_s=2.0)
