"""Shared pieces of the dashboard tests: the browser launch flags and an engine with a price history."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from trading_core.api import Engine
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.config import load_config
from trading_core.instruments import get_instrument
from trading_core.intelligence.service import IntelligenceService
from trading_core.marketdata.synthetic import SyntheticFeed
from trading_core.types import Bar

CHROMIUM = "/usr/bin/chromium"
# Playwright gives the browser a fresh temporary --user-data-dir itself (it refuses one in args).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

T_END = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)  # Wednesday 10:00 New York
HISTORY_BARS = 4000  # enough for the regime HMM and the filter to train in a few seconds
LIVE_BARS = 420  # more than the filter's 390-bar warm-up, so a live signal can be scored


def money_en(value: Decimal) -> str:
    q = Decimal(value).quantize(Decimal("0.01"))
    return ("-" if q < 0 else "") + f"${abs(q):,.2f}"


def _history(symbol: str):
    return SyntheticFeed((symbol,), seed=7, realtime=False).generate_frame(HISTORY_BARS, symbol)


async def engine_with_bars(data_dir: Path) -> tuple[Engine, datetime]:
    """A paper engine with an intelligence service (trained on demand on a small synthetic history) and
    the last LIVE_BARS one-minute ES bars fed through `on_bar`, ending at T_END."""
    config = load_config(env={}, overrides={"data_dir": str(data_dir)})
    broker = PaperBroker(get_instrument, slippage_ticks=config.paper.slippage_ticks,
                         commission_per_contract=config.paper.commission_per_contract)
    intel = IntelligenceService(config, data_dir=data_dir, history=_history)
    engine = Engine(config, broker, clock=MarketClock(), mode="paper", intelligence=intel)
    await engine.start(run_feed=False)
    frame = SyntheticFeed(("ES",), seed=11, realtime=False).generate_frame(LIVE_BARS, "ES")
    start = T_END - timedelta(minutes=LIVE_BARS)
    for i, row in enumerate(frame.itertuples()):
        ts = start + timedelta(minutes=i)
        engine.on_bar(Bar("ES", ts, float(row.open), float(row.high), float(row.low), float(row.close), int(row.volume)))
    engine.on_price("MNQ", 21000.0, T_END)
    return engine, T_END
