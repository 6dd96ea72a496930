"""Fixtures for the Interactive Brokers tests: a fake TWS on 127.0.0.1 and the real ib_async client.

Time is pinned: the fake, the broker and the feed all read T0 (a Wednesday, market open), so the
front-month contract and the execution timestamps do not depend on the day the tests run.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from trading_core.api import Engine
from trading_core.broker.base import BrokerEvent
from trading_core.broker.ib import IBBroker
from trading_core.broker.reconcile import Reconciler
from trading_core.clock import FixedClock, MarketClock
from trading_core.config import MiaConfig, load_config
from trading_core.types import EngineEvent, EventKind
from tests.fakes.tws import FakeTws

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)  # Wednesday 10:00 New York
ACCOUNT = "DU1234567"


@pytest.fixture(autouse=True)
def _quiet_ib_async() -> None:
    # ib_async logs every order and every expected error at INFO/ERROR; the tests assert on behaviour
    logging.getLogger("ib_async").setLevel(logging.CRITICAL)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def tws(clock: FixedClock) -> AsyncIterator[FakeTws]:
    fake = FakeTws((ACCOUNT,), now=clock.now)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def make_config(tmp_path: Any, tws: FakeTws | None = None, **ib: Any) -> MiaConfig:
    section = {"port": tws.port if tws is not None else 7497, "account": ACCOUNT, "connect_timeout_s": 3.0,
               "reconnect_max_backoff_s": 0.4}
    section.update(ib)
    return load_config(env={}, overrides={"data_dir": str(tmp_path), "ib": section})


def make_broker(cfg: MiaConfig, clock: FixedClock, **options: Any) -> IBBroker:
    opts: dict[str, Any] = {"commission_wait_s": 1.0, "reconnect_initial_backoff_s": 0.05, "request_timeout_s": 3.0}
    opts.update(options)
    return IBBroker(cfg.ib, symbols=cfg.instruments.symbols, clock=clock, **opts)


class Collector:
    """An event sink that records every broker event."""

    def __init__(self) -> None:
        self.events: list[BrokerEvent] = []

    def __call__(self, event: BrokerEvent) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


async def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


def events_of(engine: Engine, kind: EventKind) -> list[EngineEvent]:
    return [e for e in engine.events_since(0, limit=None) if e.kind is kind]


async def start_engine(tmp_path: Any, tws: FakeTws, clock: FixedClock, *, es: float = 6000.0,
                       broker_options: dict[str, Any] | None = None) -> tuple[Engine, IBBroker, Reconciler]:
    """An engine on the IB broker, started, with ES/MNQ prices at T0 (engine on a market clock)."""
    cfg = make_config(tmp_path, tws)
    broker = make_broker(cfg, clock, **(broker_options or {}))
    engine = Engine(cfg, broker, clock=MarketClock(), mode="paper")
    reconciler = Reconciler(engine, broker, settle_s=0.05).attach()
    tws.set_price("ES", es)
    await engine.start(run_feed=False)
    engine.on_price("ES", es, T0)
    engine.on_price("MNQ", 21000.0, T0)
    await reconciler.wait()
    return engine, broker, reconciler


async def stop_engine(engine: Engine) -> None:
    await engine.stop()
    engine.close()


def minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)
