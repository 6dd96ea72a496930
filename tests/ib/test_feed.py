"""IB market data: warm-up history, 5-second bars aggregated to 1-minute bars, quotes, into the engine."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from trading_core.api import Engine
from trading_core.clock import MarketClock
from trading_core.marketdata.feed import HistoryBar
from trading_core.marketdata.ib_feed import IBFeed, MinuteBarBuilder
from trading_core.types import Bar, Quote
from tests.ib.conftest import T0, make_broker, make_config, minute, wait_for


def five_second_bars(start_minute: int, count: int, base: float = 6000.0) -> list[tuple]:
    """`count` 5-second bars from minute `start_minute`: prices climb one tick per bar."""
    out = []
    for i in range(count):
        ts = minute(start_minute) + timedelta(seconds=5 * i)
        o = base + 0.25 * i
        out.append((ts, o, o + 0.5, o - 0.25, o + 0.25, 10 + i))
    return out


def test_minute_builder_aggregates_and_drops_partial_minutes():
    b = MinuteBarBuilder("ES")
    bars = []
    for ts, o, h, low, c, v in five_second_bars(0, 12) + five_second_bars(1, 6, base=6010.0):
        bars += b.add(ts, o, h, low, c, v)
    assert bars == [Bar("ES", minute(0), 6000.0, 6003.25, 5999.75, 6003.0, sum(range(10, 22)), "1m")]
    # minute 1 is in progress; a bar of minute 2 closes it
    bars = b.add(minute(2), 6020.0, 6020.0, 6020.0, 6020.0, 1)
    assert [x.ts for x in bars] == [minute(1)] and bars[0].open == 6010.0 and bars[0].close == 6011.5
    # a subscription that starts at :30 never emits that minute with a wrong open
    late = MinuteBarBuilder("ES")
    out = []
    for ts, o, h, low, c, v in five_second_bars(5, 12)[6:]:
        out += late.add(ts, o, h, low, c, v)
    assert out == [] and late.dropped == 1
    # an older bar than the minute in progress is ignored
    assert b.add(minute(0), 1.0, 1.0, 1.0, 1.0, 1) == []


async def _broker_and_feed(tmp_path, tws, clock, **feed_options):
    broker = make_broker(make_config(tmp_path, tws), clock)
    await broker.connect()
    feed = IBFeed(broker.ib, broker.contracts, ("ES", "MNQ"), clock=clock, **feed_options)
    return broker, feed


async def test_warmup_history_comes_first_then_live_bars_and_quotes(tmp_path, tws, clock):
    broker, feed = await _broker_and_feed(tmp_path, tws, clock, warmup_bars=30)
    got: list[Bar | Quote] = []

    async def consume() -> None:
        async for item in feed.stream():
            got.append(item)

    task = asyncio.create_task(consume())
    try:
        await wait_for(lambda: tws.subscribers("ES") == 1 and tws.subscribers("MNQ") == 1)
        # history is typed apart: it feeds indicators, never prices or fills
        assert len(got) == 60 and all(isinstance(h, HistoryBar) for h in got)
        warm = [h.bar for h in got]
        assert all(b.timeframe == "1m" for b in warm)
        assert [b.ts for b in warm] == sorted(b.ts for b in warm)  # oldest first across symbols
        es = [b for b in warm if b.symbol == "ES"]
        assert es[-1].ts == T0 - timedelta(minutes=1) and es[0].ts == T0 - timedelta(minutes=30)
        assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high for b in es)
        assert all(b.ts.tzinfo is not None for b in es)
        for ts, o, h, low, c, v in five_second_bars(0, 12):
            assert tws.push_realtime_bar("ES", ts, o, h, low, c, v) == 1
        await wait_for(lambda: any(isinstance(x, Bar) and x.ts == T0 for x in got))
        live = got[60:]
        quotes = [x for x in live if isinstance(x, Quote)]
        assert len(quotes) == 12 and quotes[0].ts == T0 + timedelta(seconds=5) and quotes[-1].last == 6003.0
        [bar] = [x for x in live if isinstance(x, Bar)]
        assert (bar.symbol, bar.open, bar.high, bar.low, bar.close, bar.volume) == (
            "ES", 6000.0, 6003.25, 5999.75, 6003.0, sum(range(10, 22)))
        assert live[-1] is bar  # the minute comes after its last quote
        assert feed.last_price("ES") == 6003.0 and feed.stats.bars == 61
    finally:
        feed.stop()
        await asyncio.wait_for(task, 2.0)
        await wait_for(lambda: tws.subscribers("ES") == 0)  # unsubscribed on stop
        await broker.disconnect()


async def test_tick_quotes_stream_last_trades(tmp_path, tws, clock):
    broker, feed = await _broker_and_feed(tmp_path, tws, clock, warmup_bars=0, quotes="ticks")
    got: list[Bar | Quote] = []

    async def consume() -> None:
        async for item in feed.stream():
            got.append(item)

    task = asyncio.create_task(consume())
    try:
        await wait_for(lambda: tws.subscribers("ES", "ticks") == 1)
        tws.set_price("ES", 6001.5)
        tws.set_price("MNQ", 21010.25)
        await wait_for(lambda: {(q.symbol, q.last) for q in got} >= {("ES", 6001.5), ("MNQ", 21010.25)})
        assert all(isinstance(q, Quote) for q in got)
    finally:
        feed.stop()
        await asyncio.wait_for(task, 2.0)
        await broker.disconnect()


async def test_bars_stream_into_the_engine(tmp_path, tws, clock):
    cfg = make_config(tmp_path, tws)
    broker = make_broker(cfg, clock)
    feed = IBFeed(broker.ib, broker.contracts, ("ES", "MNQ"), clock=clock, warmup_bars=20)
    engine = Engine(cfg, broker, feed=feed, clock=MarketClock(), mode="paper")
    await engine.start(run_feed=True)
    try:
        await wait_for(lambda: len(engine.bars("ES")) == 20 and tws.subscribers("ES") == 1)
        # warm-up history filled the buffers but priced nothing: no current price, no market clock
        assert "ES" not in engine.last_prices() and not engine.has_current_price("ES")
        for ts, o, h, low, c, v in five_second_bars(0, 12) + five_second_bars(1, 12, base=6004.0):
            tws.push_realtime_bar("ES", ts, o, h, low, c, v)
        await wait_for(lambda: engine.bars("ES")[-1].ts == minute(1))
        assert [b.close for b in engine.bars("ES")[-2:]] == [6003.0, 6007.0]
        assert engine.last_prices()["ES"] == 6007.0 and engine.clock.now() == minute(2)
        assert len(engine.bars("MNQ")) == 20
    finally:
        await engine.stop()
        engine.close()


async def test_feed_recovers_missed_bars_and_resubscribes_after_a_reconnect(tmp_path, tws, clock):
    broker, feed = await _broker_and_feed(tmp_path, tws, clock, warmup_bars=5)
    got: list[Bar | Quote] = []

    async def consume() -> None:
        async for item in feed.stream():
            got.append(item)

    task = asyncio.create_task(consume())
    try:
        await wait_for(lambda: tws.subscribers("ES") == 1)
        last_es = max(h.bar.ts for h in got if h.bar.symbol == "ES")
        await tws.drop_connections()
        await wait_for(lambda: not broker.connected)
        clock.ts = T0 + timedelta(minutes=3)  # three minutes pass before the reconnect
        await wait_for(lambda: broker.connected and tws.subscribers("ES") == 1, timeout=4.0)
        # bars missed while away are history by the time they arrive
        recovered = [h.bar for h in got if isinstance(h, HistoryBar) and h.bar.symbol == "ES" and h.bar.ts > last_es]
        assert [b.ts for b in recovered] == [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    finally:
        feed.stop()
        await asyncio.wait_for(task, 2.0)
        await broker.disconnect()


async def test_data_lost_message_1101_makes_the_feed_subscribe_again(tmp_path, tws, clock):
    broker, feed = await _broker_and_feed(tmp_path, tws, clock, warmup_bars=0)
    task = asyncio.create_task(anext(feed.stream()))
    try:
        await wait_for(lambda: tws.subscribers("ES") == 1)
        tws.send_error(-1, 1101, "Connectivity between IB and TWS has been restored- data lost.")
        # the feed drops the dead requests and sends new ones
        await wait_for(lambda: sum(1 for _, msg in tws.requests if msg == 50) == 4)
        await wait_for(lambda: tws.subscribers("ES") == 1 and tws.subscribers("MNQ") == 1)
        tws.push_realtime_bar("ES", T0, 6000.0, 6000.25, 5999.75, 6000.0)
        first = await asyncio.wait_for(task, 2.0)
        assert isinstance(first, Quote) and first.symbol == "ES"
    finally:
        feed.stop()
        await broker.disconnect()
