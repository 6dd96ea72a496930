"""A scripted paper session on ES, placed through the Engine (PaperBroker + MarketClock).

Every price arrives in a new minute, so the ledger's equity curve has one point per step. ES: $50 per
point, 1 tick (0.25) slippage on market orders, $2.25 commission per contract per fill. Five trades:

  E  long 1   buy fills 6000.25, sell fills 6009.75   gross +475.00  net +470.50   held 60 s
  A  long 1   buy fills 6010.25, sell fills 6019.75   gross +475.00  net +470.50   held 120 s
  B  short 2  sell fills 6019.75, buy fills 6026.25   gross -650.00  net -659.00   held 120 s
  C  long 1   buy fills 6026.25, sell fills 6021.75   gross -225.00  net -229.50   held 60 s
  D  long 1   buy fills 6022.25, sell fills 6019.75   gross -125.00  net -129.50   held 60 s

Equity marks (minute 0..12): 100000, 99985.25, 100470.50, 100455.75, 100855.75, 100941.00 (peak),
100911.50, 100311.50, 100282.00, 100267.25, 100052.50, 100037.75, 99923.00.
"""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from trading_core.api import Engine
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.config import MiaConfig, load_config
from trading_core.instruments import get_instrument
from trading_core.types import OrderRequest, Side

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)  # Wednesday 10:00 New York: the open phase
DAY = date(2026, 11, 18)

# (side, quantity, price the order fills on) per step; None = a price move without an order
STEPS: list[tuple[Side | None, int, float]] = [
    (Side.BUY, 1, 6000.0), (Side.SELL, 1, 6010.0),  # E
    (Side.BUY, 1, 6010.0), (None, 0, 6018.0), (Side.SELL, 1, 6020.0),  # A
    (Side.SELL, 2, 6020.0), (None, 0, 6026.0), (Side.BUY, 2, 6026.0),  # B
    (Side.BUY, 1, 6026.0), (Side.SELL, 1, 6022.0),  # C
    (Side.BUY, 1, 6022.0), (Side.SELL, 1, 6020.0),  # D
]

EXPECTED = {
    "trades": 5, "wins": 2, "losses": 3, "win_rate": 0.4,
    "gross_profit": Decimal("941.00"), "gross_loss": Decimal("1018.00"), "net": Decimal("-77.00"),
    "profit_factor": 941 / 1018, "largest_win": Decimal("470.50"), "largest_loss": Decimal("659.00"),
    "max_drawdown": Decimal("1018.00"), "max_drawdown_pct": 1018 / 100941 * 100, "commissions": Decimal("27.00"),
}
EQUITY = [Decimal(x) for x in ("100000", "99985.25", "100470.50", "100455.75", "100855.75", "100941.00",
                               "100911.50", "100311.50", "100282.00", "100267.25", "100052.50", "100037.75",
                               "99923.00")]


def session_config(data_dir: Path) -> MiaConfig:
    return load_config(env={}, overrides={"data_dir": str(data_dir)})


def make_engine(config: MiaConfig) -> Engine:
    broker = PaperBroker(get_instrument, slippage_ticks=config.paper.slippage_ticks,
                         commission_per_contract=config.paper.commission_per_contract)
    return Engine(config, broker, clock=MarketClock(), mode="paper")


async def start_engine(config: MiaConfig) -> Engine:
    engine = make_engine(config)
    await engine.start(run_feed=False)
    engine.on_price("ES", 6000.0, T0)
    engine.on_price("MNQ", 21000.0, T0)
    return engine


async def play(engine: Engine, steps: list[tuple[Side | None, int, float]] = STEPS, start_minute: int = 1) -> None:
    for i, (side, qty, price) in enumerate(steps):
        if side is not None:
            res = await engine.place_order(OrderRequest("ES", side, qty, source="test"))
            assert res.accepted, res.rejection
        engine.on_price("ES", price, T0 + timedelta(minutes=start_minute + i))
        await asyncio.sleep(0)


async def scripted_session(data_dir: Path) -> Engine:
    engine = await start_engine(session_config(data_dir))
    await play(engine)
    return engine
