"""Issue #15 item 8: the event loop keeps serving while the first market-regime query trains its models
(it used to freeze for seconds: the models trained under a lock that every bar needed on the loop).
Checked by behaviour: live prices keep reaching the engine, and a coroutine on the same loop keeps
seeing them, for the whole query."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from assistant.dialogue import Dialogue, shared_parser
from trading_core.api import Engine
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.config import load_config
from trading_core.instruments import get_instrument
from trading_core.marketdata.synthetic import SyntheticFeed

WEDNESDAY = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)


@pytest.mark.slow
async def test_prices_keep_flowing_while_the_first_regime_query_trains(tmp_path):
    parser = await asyncio.to_thread(shared_parser)
    cfg = load_config(env={}, overrides={"data_dir": str(tmp_path)})
    # a quote every 50 ms of wall time, after two hours of history for the models to start from
    from datetime import timedelta

    feed = SyntheticFeed(("ES", "MNQ"), speed=300.0, live_from=WEDNESDAY, warmup=timedelta(hours=2))
    engine = Engine(cfg, PaperBroker(get_instrument), feed=feed, clock=MarketClock(), mode="paper")
    await engine.start()
    seen: list[datetime] = []

    async def watch() -> None:  # runs on the engine's loop: it only sees prices if the loop serves
        while True:
            now = engine.clock.now()
            if not seen or now != seen[-1]:
                seen.append(now)
            await asyncio.sleep(0.02)

    try:
        while not engine.has_current_price("ES"):
            await asyncio.sleep(0.01)
        dialogue = Dialogue(engine, parser, config=cfg, source="voice")
        watcher = asyncio.create_task(watch())
        reply = await dialogue.handle("what is the market regime")  # no checkpoint: the models train now
        watcher.cancel()
        assert reply.kind == "answer" and "regime" in reply.text.lower(), reply.text
        # The query took seconds (training from scratch); prices flowed all along: the watcher saw the
        # market clock move many times, never frozen for most of the query.
        assert len(seen) >= 20, len(seen)
        moved = (seen[-1] - seen[0]).total_seconds()
        assert moved > 60, moved  # more than a simulated minute of quotes processed meanwhile
        assert (tmp_path / "checkpoints" / "regime" / "ES").exists()
        # and the trading side still answers at once afterwards
        assert (await engine.status()).state.value == "ACTIVE"
    finally:
        await engine.stop()
        engine.close()
