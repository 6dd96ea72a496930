"""Issue #15 item 9: live market data that stops while the market is open raises one stale-data alert,
and its return is said; on the IB feed (real ib_async client, fake TWS)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.rendering import en, fr
from trading_core.api import Engine
from trading_core.clock import MarketClock
from trading_core.marketdata.ib_feed import IBFeed
from trading_core.types import EventKind, Severity
from tests.ib.conftest import T0, make_broker, make_config, wait_for


async def test_stale_data_alert_once_then_back(tmp_path, tws, clock):
    cfg = make_config(tmp_path, tws)
    cfg = cfg.model_copy(update={"feed": cfg.feed.model_copy(update={"stale_after_s": 0.6})})
    broker = make_broker(cfg, clock)
    feed = IBFeed(broker.ib, broker.contracts, ("ES",), clock=clock, warmup_bars=0)
    engine = Engine(cfg, broker, feed=feed, clock=MarketClock(), mode="paper")
    await engine.start()

    def kinds(kind):
        return [e for e in engine.events_since(0, limit=None) if e.kind is kind]

    try:
        await wait_for(lambda: tws.subscribers("ES") == 1)
        for i in range(3):
            tws.push_realtime_bar("ES", T0 + timedelta(seconds=5 * i), 6000.0, 6000.25, 5999.75, 6000.0)
        await wait_for(lambda: engine.has_current_price("ES"))
        # then TWS sends nothing more while the market is open
        await wait_for(lambda: kinds(EventKind.MARKET_DATA_STALE), timeout=5)
        await asyncio.sleep(1.2)
        [stale] = kinds(EventKind.MARKET_DATA_STALE)
        assert stale.severity is Severity.CRITICAL and "nothing received" in en(stale)
        tws.push_realtime_bar("ES", T0 + timedelta(seconds=15), 6000.0, 6000.25, 5999.75, 6000.25)
        await wait_for(lambda: [e for e in kinds(EventKind.SYSTEM) if "flowing again" in en(e)], timeout=5)
        [back] = [e for e in kinds(EventKind.SYSTEM) if "flowing again" in en(e)]
        assert "arrivent de nouveau" in fr(back)
    finally:
        await engine.stop()
        engine.close()
