"""Replaying a bar file through the risk gate and the paper broker with a built-in strategy (`mia replay`,
whose command and printed report are in `assistant/replay_cli.py`).

Two ways to run the same trading:
- the default, `trading_core.backtest.BacktestKernel`: the engine's rules (risk gate, paper fill rule,
  FIFO P&L, daily loss halt and flatten) applied at array speed;
- `--engine` (`replay_frame`): the live `Engine` itself, driven price by price (open, then close of
  each bar): the reference the kernel is tested against, about 100 times slower.
Fills are at the next price with the configured slippage and commission, like the live paper path.
"""
from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd

from trading_core.config import MiaConfig
from trading_core.instruments import get_instrument
from trading_core.strategies import Strategy, get_strategy
from trading_core.types import Bar, OrderRequest, PerformanceMetrics, Side

_YIELD_EVERY_S = 0.01  # replay_frame gives the event loop a turn at least this often

if TYPE_CHECKING:
    from trading_core.backtest import BacktestResult


@dataclass(frozen=True)
class ReplayOutcome:
    bars: int
    seconds: float
    orders: int
    rejected: int
    metrics: PerformanceMetrics
    final_equity: Decimal
    rows_skipped: int
    skipped_reasons: dict[str, int]
    stepped_prices: int  # prices handled one by one (the kernel skips quiet stretches as a block)
    halts: int = 0
    mode: str = "kernel"
    rejections: dict[str, int] = field(default_factory=dict)  # refusals by risk-gate reason code

    @property
    def bars_per_second(self) -> float:
        return self.bars / self.seconds if self.seconds > 0 else float("inf")


def _frame_arrays(df: pd.DataFrame) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ts = df.index if isinstance(df.index, pd.DatetimeIndex) else pd.DatetimeIndex(df["ts_utc"])
    if ts.tz is None:
        ts = ts.tz_localize("UTC")
    return (
        ts,
        df["open"].to_numpy(float),
        df["high"].to_numpy(float),
        df["low"].to_numpy(float),
        df["close"].to_numpy(float),
        df["volume"].to_numpy(np.int64) if "volume" in df else np.zeros(len(df), np.int64),
    )


def _utc_ns(ts: pd.DatetimeIndex) -> np.ndarray:
    return ts.tz_convert("UTC").as_unit("ns").asi8


def replay_with_kernel(
    config: MiaConfig,
    df: pd.DataFrame,
    symbol: str,
    strategy: Strategy,
    progress: Callable[[int], None] | None = None,
) -> "BacktestResult":
    """Run `df` through the replay kernel (see trading_core.backtest)."""
    from trading_core.backtest import BacktestKernel

    ts, o, h, l, c, _v = _frame_arrays(df)
    kernel = BacktestKernel(config, get_instrument(symbol), get_instrument)
    return kernel.run(o, c, _utc_ns(ts), strategy.target_positions(o, h, l, c), progress)


async def replay_frame(
    engine: Any,
    df: pd.DataFrame,
    symbol: str,
    strategy: Strategy,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int, int]:
    """Drive the live `engine` price by price over `df` (the reference for the kernel).
    Returns (orders sent, orders rejected, prices stepped)."""
    def prepare() -> tuple[Any, ...]:  # array work on a month of bars: in a worker thread
        ts, o, h, l, c, v = _frame_arrays(df)
        if len(c) == 0:
            return ()
        return ts.to_pydatetime(), o, h, l, c, v, strategy.target_positions(o, h, l, c)

    prepared = await asyncio.to_thread(prepare)
    if not prepared:
        return 0, 0, 0
    py_ts, o, h, l, c, v, target = prepared
    n = len(c)
    orders = rejected = 0
    halted_session: str | None = None
    # Hand the event loop back every few milliseconds: a replay through the live engine must not
    # freeze whatever else runs on the loop (a `mia run` next to it, the dashboard, speech).
    next_yield = time.perf_counter() + _YIELD_EVERY_S
    for i in range(n):
        if time.perf_counter() >= next_yield:
            await asyncio.sleep(0)
            next_yield = time.perf_counter() + _YIELD_EVERY_S
        # the open first: a market order decided at the previous close fills there
        engine.on_price(symbol, o[i], py_ts[i])
        await engine.settle()  # a loss-limit breach halts and flattens before the next price
        engine.on_bar(Bar(symbol, py_ts[i], o[i], h[i], l[i], c[i], int(v[i])))
        await engine.settle()
        if engine.state.value == "HALTED" and engine._session != halted_session:
            # a backtest starts each trading day afresh after a daily-loss halt
            if halted_session is not None:
                await engine.resume("replay: new session")
                halted_session = None
            else:
                halted_session = engine._session
        pos = engine.portfolio.net_quantity(symbol)
        wanted = int(target[i]) if engine.state.value == "ACTIVE" else 0
        if not engine._orders and wanted != pos and i + 1 < n:
            delta = wanted - pos
            res = await engine.place_order(OrderRequest(symbol, Side.BUY if delta > 0 else Side.SELL, abs(delta), source="strategy"))
            orders += 1
            rejected += 0 if res.accepted else 1
        if progress:
            progress(1)
    await asyncio.sleep(0)
    return orders, rejected, 2 * n


def _load_bars(path: Path) -> tuple[pd.DataFrame, Any]:
    from trading_core.marketdata.csv_replay import load_bars_csv

    return load_bars_csv(path)


async def run_replay(
    path: Path,
    strategy_name: str,
    config: MiaConfig,
    symbol: str | None = None,
    show_progress: bool = True,
    engine_mode: bool = False,
) -> ReplayOutcome:
    """Load `path` (corrupt rows skipped and counted) and replay it with `strategy_name`.
    `engine_mode` drives the live Engine price by price instead of the kernel (same trading, slower)."""
    strategy = get_strategy(strategy_name)
    symbol = get_instrument(symbol or config.market).symbol
    df, report = await asyncio.to_thread(_load_bars, path)  # importing the reader and parsing a month: off the loop
    if report.truncated:
        from trading_core.marketdata.csv_replay import CsvFormatError

        # Results on a file cut short would look complete and be wrong: refuse, say where it stops.
        last = report.last_ts.isoformat() if report.last_ts else "-"
        raise CsvFormatError(
            f"{path} is a truncated compressed file (the data stops at {last}, {report.rows_ok} bars read): "
            "nothing was replayed; download or copy it again",
            f"{path} est un fichier compressé tronqué (les données s'arrêtent à {last}, {report.rows_ok} barres lues) : "
            "rien n'a été rejoué ; téléchargez-le ou copiez-le à nouveau",
        )
    if len(df) == 0:
        from trading_core.marketdata.csv_replay import CsvFormatError

        raise CsvFormatError(f"{path} has no valid bar ({report.summary('en')})",
                             f"{path} n'a aucune barre valide ({report.summary('fr')})")
    pbar = None
    if show_progress:
        from tqdm import tqdm

        bar_fmt = "{l_bar}{bar}| {n_fmt}/{total_fmt} bars [{elapsed}<{remaining}, {rate_fmt}]"
        pbar = tqdm(total=len(df), unit="bar", bar_format=bar_fmt, file=sys.stderr, mininterval=0.5)
    try:
        if engine_mode:
            out = await _run_on_engine(df, strategy, config, symbol, pbar.update if pbar else None)
        else:
            t0 = time.perf_counter()
            res = await asyncio.to_thread(replay_with_kernel, config, df, symbol, strategy, pbar.update if pbar else None)
            metrics = res.metrics
            out = (time.perf_counter() - t0, res.order_count, res.rejected, metrics, res.final_equity,
                   res.stepped_prices, len(res.halts),
                   dict(Counter(o.rejection.code.value for o in res.orders if o.rejection is not None)))
    finally:
        if pbar:
            pbar.close()
    elapsed, orders, rejected, metrics, equity, stepped, halts, reasons = out
    return ReplayOutcome(
        bars=len(df), seconds=elapsed, orders=orders, rejected=rejected, metrics=metrics, final_equity=equity,
        rows_skipped=sum(report.skipped.values()), skipped_reasons=dict(report.skipped), stepped_prices=stepped,
        halts=halts, mode="engine" if engine_mode else "kernel", rejections=reasons,
    )


async def _run_on_engine(
    df: pd.DataFrame, strategy: Strategy, config: MiaConfig, symbol: str, progress: Callable[[int], None] | None
) -> tuple[float, int, int, PerformanceMetrics, Decimal, int, int, dict[str, int]]:
    from trading_core.api import Engine
    from trading_core.broker.paper import PaperBroker
    from trading_core.clock import MarketClock
    from trading_core.ledger import Ledger
    from trading_core.types import EventKind

    broker = PaperBroker(get_instrument, slippage_ticks=config.paper.slippage_ticks, commission_per_contract=config.paper.commission_per_contract)
    # A backtest needs no durability: an in-memory ledger.
    engine = Engine(config, broker, ledger=Ledger(":memory:"), clock=MarketClock(), mode="paper")
    engine.symbols = (symbol,)
    halts = 0

    def count(ev: Any) -> None:
        nonlocal halts
        if ev.kind is EventKind.RISK_BREACH and ev.state is not None and ev.state.previous.value == "ACTIVE":
            halts += 1

    engine.add_listener(count)
    await engine.start(run_feed=False)
    t0 = time.perf_counter()
    try:
        with engine.ledger.batch():
            _, _, stepped = await replay_frame(engine, df, symbol, strategy, progress)
            # the events and equity points written behind are flushed by a read, in a worker thread
            await asyncio.to_thread(engine.ledger.last_event_seq)
        elapsed = time.perf_counter() - t0
        from trading_core.metrics import performance_metrics

        # thousands of equity points and orders: read and summed in a worker thread, the loop keeps serving
        metrics = await asyncio.to_thread(lambda: performance_metrics(
            engine.portfolio.closed_trades, engine.ledger.equity_curve(), config.account.starting_balance))
        acct = await engine.account()
        sent = await asyncio.to_thread(engine.ledger.orders, None)  # the strategy's orders and the risk flattens
    finally:
        await engine.stop()
        engine.close()
    reasons = dict(Counter(o.reason.code.value for o in sent if o.reason is not None))
    return elapsed, len(sent), sum(reasons.values()), metrics, acct.equity, stepped, halts, reasons
