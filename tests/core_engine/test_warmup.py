"""Issue #15 item 1: a restart replays the simulated market's history as a warm-up that feeds the bar
buffers only. Restored positions are never marked, filled, loss-checked or traded on hours-old
prices, and orders wait for a current price (and say so)."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

from trading_core.api import Engine
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.config import load_config
from trading_core.instruments import get_instrument
from trading_core.marketdata.feed import HistoryBar
from trading_core.marketdata.synthetic import SyntheticFeed
from tests.rendering import en, fr
from trading_core.types import EventKind, OrderRequest, Side, TradingState

# A Wednesday, 22:00 New York: a quiet evening hour of the Globex session.
LIVE = datetime(2026, 11, 19, 3, 0, tzinfo=timezone.utc)
WARMUP = timedelta(hours=10)


def _engine(tmp_path, feed: SyntheticFeed, **risk) -> Engine:
    cfg = load_config(env={}, overrides={"data_dir": str(tmp_path), "risk": risk})
    broker = PaperBroker(get_instrument, slippage_ticks=1, commission_per_contract=cfg.paper.commission_per_contract)
    return Engine(cfg, broker, feed=feed, clock=MarketClock(), mode="paper")


async def _one_shot_buy(tmp_path, qty: int, **risk) -> float:
    """What `mia order --yes buy 2 ES` does without `mia run`: prime, order, wait for the fill."""
    feed = SyntheticFeed(("ES", "MNQ"), realtime=False, live_from=LIVE)
    engine = _engine(tmp_path, feed, **risk)
    await engine.start(run_feed=False)
    await engine.prime_market()
    pump = asyncio.create_task(engine.pump_last_prices())
    try:
        res = await engine.place_order(OrderRequest("ES", Side.BUY, qty), wait_fill=5.0)
    finally:
        pump.cancel()
    assert res.accepted and res.fills, res
    await engine.stop()
    engine.close()
    return res.fills[0].price


def _history_moves_far(entry: float, limit: float) -> bool:
    """Whether marking 2 ES at the warm-up's prices would have crossed the daily loss limit."""
    feed = SyntheticFeed(("ES",), live_from=LIVE)
    frame = feed.generate_frame(10_000)
    window = frame[(frame.index >= LIVE - WARMUP) & (frame.index < LIVE)]
    return bool(((window["low"] - entry) * 2 * 50).min() < -limit)


async def test_restart_warm_up_never_marks_fills_or_trips_on_history(tmp_path):
    limit = 300  # tight: any mark at an hours-old price breaches it
    entry = await _one_shot_buy(tmp_path, 2, daily_loss_limit=limit)
    assert _history_moves_far(entry, limit), "the scenario must be one the old warm-up liquidated"

    # `mia run`: a paced live market after ten hours of history replayed at full speed
    feed = SyntheticFeed(("ES", "MNQ"), speed=20.0, live_from=LIVE, warmup=WARMUP)
    engine = _engine(tmp_path, feed, daily_loss_limit=limit)
    await engine.start()
    try:
        # The feed task has not run yet: the restored price is known but not current.
        assert "ES" in engine.last_prices() and not engine.has_current_price("ES")
        assert (await engine.status()).live_symbols == ()  # `mia status` says "(not live yet)"
        refused = await engine.place_order(OrderRequest("ES", Side.BUY, 1))
        assert not refused.accepted and refused.rejection.code == "NO_CURRENT_PRICE"
        assert "no current price for ES yet" in en(refused.rejection)
        assert "pas encore de prix actuel pour ES" in fr(refused.rejection)

        deadline = time.monotonic() + 30
        while not (engine.has_current_price("ES") and engine.has_current_price("MNQ")):
            assert time.monotonic() < deadline, "no live price after the warm-up"
            await asyncio.sleep(0.01)
        assert (await engine.status()).live_symbols == ("ES", "MNQ")
        # the warm-up filled the bar buffers (ATR sizing, models): the open minutes of ten hours
        # (nine here: the 17:00-18:00 New York break is inside) ...
        assert len(engine.bars("ES")) >= 540
        assert engine.bars("ES")[0].ts >= LIVE - WARMUP - timedelta(minutes=1)
        # ... and nothing else: still ACTIVE, still long 2 ES, no breach, no cancel, no closing order
        assert engine.state is TradingState.ACTIVE
        assert [(p.symbol, p.quantity) for p in await engine.positions()] == [("ES", 2)]
        kinds = {e.kind for e in engine.events_since(0, limit=None)}
        assert EventKind.RISK_BREACH not in kinds and EventKind.ORDER_CANCELLED not in kinds
        assert len(engine.ledger.fills()) == 1
        # equity is marked at live prices only, never at history
        curve = engine.ledger.equity_curve()
        assert curve and min(p.ts for p in curve) >= LIVE, [p.ts for p in curve if p.ts < LIVE]
        pnl = await engine.pnl_today()
        assert abs(pnl.total) < limit
        # an order now fills at a live price, never before it was placed
        res = await engine.place_order(OrderRequest("ES", Side.SELL, 1), wait_fill=30.0)
        assert res.accepted and res.fills
        assert res.fills[0].ts >= res.order.created_ts >= LIVE
    finally:
        await engine.stop()
        engine.close()
    for order in engine.ledger.__class__(tmp_path / "ledger_paper.sqlite3").orders(limit=None):
        assert order.created_ts >= LIVE


async def test_history_is_typed_apart_and_live_starts_at_live_from():
    feed = SyntheticFeed(("ES",), realtime=False, live_from=LIVE, warmup=timedelta(hours=1), max_bars=70)
    events = [e async for e in feed.stream()]
    history = [e for e in events if isinstance(e, HistoryBar)]
    live = [e for e in events if not isinstance(e, HistoryBar)]
    assert len(history) == 60 and history[-1].bar.ts == LIVE - timedelta(minutes=1)
    assert live and min(e.ts for e in live) == LIVE  # no quote inside the history
    # the anchored market: the same minute has the same bar whatever the warm-up length
    again = [e async for e in SyntheticFeed(("ES",), realtime=False, live_from=LIVE, max_bars=10).stream()]
    first_live_bar = next(e for e in live if not hasattr(e, "last"))
    assert next(e for e in again if not hasattr(e, "last")) == first_live_bar


async def test_a_restart_continues_the_simulated_market_after_what_the_ledger_saw(tmp_path):
    later = LIVE + timedelta(minutes=30)  # a previous run at speed 60 ran ahead of the wall clock
    feed = SyntheticFeed(("ES", "MNQ"), realtime=False, live_from=LIVE)
    feed.continue_after(later + timedelta(seconds=20))
    assert feed.live_from == later + timedelta(minutes=1)
    feed.continue_after(LIVE)  # never backwards
    assert feed.live_from == later + timedelta(minutes=1)


class _SilentFeed(SyntheticFeed):
    """A feed that starts but never prices anything (a stopped data source)."""

    async def stream(self):  # type: ignore[override]
        await asyncio.sleep(3600)
        if False:  # pragma: no cover - an async generator that yields nothing
            yield None


async def test_a_market_that_never_prices_is_said_in_both_languages_not_a_bare_timeout(tmp_path):
    from trading_core.api import MarketNotReadyError

    engine = _engine(tmp_path, _SilentFeed(("ES", "MNQ"), realtime=False, live_from=LIVE))
    await engine.start(run_feed=False)
    try:
        try:
            await engine.prime_market(timeout=0.2)
        except MarketNotReadyError as exc:
            assert exc.symbols == ["ES", "MNQ"]
            assert "no price for ES, MNQ within 0.2 s" in exc.message("en") and "nothing was done" in exc.message("en")
            assert "aucun prix pour ES, MNQ en 0.2 s" in exc.message("fr") and "rien n'a été fait" in exc.message("fr")
        else:
            raise AssertionError("prime_market returned without any price")
    finally:
        await engine.stop()
        engine.close()


def test_the_cli_says_a_core_error_and_a_timeout_in_words(capsys):
    from assistant.cli import _report_failure
    from trading_core.api import MarketNotReadyError

    assert _report_failure(MarketNotReadyError(["ES"], 30)) == 1
    err = capsys.readouterr().err
    assert "mia: no price for ES within 30 s" in err and "mia : aucun prix pour ES en 30 s" in err
    assert _report_failure(TimeoutError()) == 1
    err = capsys.readouterr().err
    assert "timed out" in err and "délai dépassé" in err and "system error: ." not in err


def test_an_accelerated_simulated_market_starts_with_its_session_ahead():
    """Ten minutes before the 17:00 New York close: in real time the market starts now (and closes as the
    real one does); faster than real time it starts ten hours after the session's open: those ten hours are
    its warm-up history, and twelve hours lie ahead."""
    from trading_core import calendar as cme
    from trading_core.marketdata.factory import WARMUP, simulated_start

    now = datetime(2026, 12, 7, 21, 50, tzinfo=timezone.utc)  # Monday, 16:50 in New York
    assert simulated_start(now) == now
    start = simulated_start(now, accelerated=True)
    assert start <= now - timedelta(hours=12) and cme.is_market_open(start)
    assert all(cme.is_market_open(start + timedelta(minutes=m)) for m in range(0, 12 * 60, 15))
    assert all(cme.is_market_open(start - WARMUP + timedelta(minutes=m)) for m in range(0, 10 * 60, 15))
    early = datetime(2026, 12, 8, 0, 30, tzinfo=timezone.utc)  # Monday 19:30: an hour and a half in, as it is
    assert simulated_start(early, accelerated=True) == early
    weekend = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)  # Saturday: the last session, both ways
    assert simulated_start(weekend) == simulated_start(weekend, accelerated=True)
