"""`mia replay`: replay a bar file through the engine's own paper broker with a built-in strategy.

Speed comes from not doing per-bar work that cannot change anything: the strategy's targets are
computed vectorised, the engine (risk gate → paper broker → ledger) is driven bar by bar only where
something can happen — a target change, working orders, or a bar where the daily loss limit could
be crossed — and the equity curve is marked to market vectorised. Fills are at the next bar's open
with the configured slippage and commission, like the live paper path.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from trading_core.config import MiaConfig
from trading_core.instruments import get_instrument
from trading_core.strategies import Strategy, get_strategy, STRATEGIES
from trading_core.types import Bar, OrderRequest, PerformanceMetrics, Side


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
    engine_bars: int  # bars the engine processed one by one

    @property
    def bars_per_second(self) -> float:
        return self.bars / self.seconds if self.seconds > 0 else float("inf")


def _frame_arrays(df: pd.DataFrame) -> tuple[np.ndarray, ...]:
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


async def replay_frame(
    engine: Any,
    df: pd.DataFrame,
    symbol: str,
    strategy: Strategy,
    progress: Callable[[int], None] | None = None,
    fast: bool = True,
) -> tuple[int, int, int]:
    """Drive `engine` over the bars in `df`. Returns (orders sent, orders rejected, engine bars)."""
    ts, o, h, l, c, v = _frame_arrays(df)
    n = len(c)
    if n == 0:
        return 0, 0, 0
    inst = get_instrument(symbol)
    target = strategy.target_positions(o, h, l, c)
    change = np.flatnonzero(np.diff(target, prepend=0) != 0)
    limit = float(engine.config.risk.daily_loss_limit)
    mult = float(inst.multiplier)
    orders = rejected = engine_bars = 0
    py_ts = ts.to_pydatetime()

    def step(i: int) -> None:
        nonlocal engine_bars
        engine_bars += 1
        bar = Bar(symbol, py_ts[i], o[i], h[i], l[i], c[i], int(v[i]))
        # the open first: market orders decided at the previous close fill there
        engine.on_price(symbol, o[i], py_ts[i])
        engine.on_bar(bar)

    def position() -> int:
        return engine.portfolio.net_quantity(symbol)

    halted_session: str | None = None
    i = 0
    k = 0  # index into `change`
    while i < n:
        while k < len(change) and change[k] < i:
            k += 1
        pos = position()
        wanted = int(target[i - 1]) if i > 0 else 0  # decided at the previous close
        if fast and not engine._orders and pos == wanted and engine.state.value == "ACTIVE":
            # Nothing can happen before the bar after the next target change, unless the daily
            # loss limit could be crossed on the way (checked on the segment's worst price).
            nxt = min(int(change[k]) + 1 if k < len(change) else n, n)
            if nxt > i + 1 and pos != 0:
                worst = l[i:nxt].min() if pos > 0 else h[i:nxt].max()
                last = engine.last_prices.get(symbol, o[i])
                if float(engine._pnl_today_total()) + pos * (worst - last) * mult <= -limit:
                    nxt = i + 1
            if nxt > i + 1:
                engine.on_price(symbol, c[nxt - 2], py_ts[nxt - 2] + timedelta(minutes=1))
                if progress:
                    progress(nxt - 1 - i)
                i = nxt - 1
                continue
        step(i)
        if engine.state.value == "HALTED" and engine._session != halted_session:
            # a backtest starts each trading day afresh after a daily-loss halt
            if halted_session is not None:
                await engine.resume("replay: new session")
                halted_session = None
            else:
                halted_session = engine._session
        pos = position()
        wanted = int(target[i]) if engine.state.value == "ACTIVE" else 0
        if not engine._orders and wanted != pos and i + 1 < n:
            delta = wanted - pos
            res = await engine.place_order(OrderRequest(symbol, Side.BUY if delta > 0 else Side.SELL, abs(delta), source="strategy"))
            orders += 1
            rejected += 0 if res.accepted else 1
        if progress:
            progress(1)
        i += 1
    # Let the fill callbacks scheduled by the last bar run.
    await asyncio.sleep(0)
    return orders, rejected, engine_bars


def equity_curve(df: pd.DataFrame, fills: list[Any], symbol: str, starting: Decimal) -> np.ndarray:
    """Vectorised mark-to-market equity at each bar close from the engine's fills."""
    ts, o, h, l, c, v = _frame_arrays(df)
    inst = get_instrument(symbol)
    mult = float(inst.multiplier)
    pos = np.zeros(len(c))
    cash = np.zeros(len(c))
    if fills:
        t_idx = ts.searchsorted(pd.DatetimeIndex([f.ts for f in fills]), side="right") - 1
        for f, k in zip(fills, t_idx):
            k = max(int(k), 0)
            signed = f.quantity * f.side.sign
            pos[k] += signed
            cash[k] += -signed * f.price * mult - float(f.commission)
    return float(starting) + np.cumsum(cash) + np.cumsum(pos) * c * mult


async def run_replay(
    path: Path,
    strategy_name: str,
    config: MiaConfig,
    symbol: str | None = None,
    show_progress: bool = True,
    ledger_dir: Path | None = None,
) -> ReplayOutcome:
    from trading_core.api import Engine
    from trading_core.broker.paper import PaperBroker
    from trading_core.clock import MarketClock
    from trading_core.marketdata.csv_replay import load_bars_csv

    strategy = get_strategy(strategy_name)
    symbol = get_instrument(symbol or config.market).symbol
    df, report = load_bars_csv(path)
    broker = PaperBroker(get_instrument, slippage_ticks=config.paper.slippage_ticks, commission_per_contract=config.paper.commission_per_contract)
    from trading_core.ledger import Ledger

    # A backtest needs no durability: an in-memory ledger unless the caller wants the file.
    ledger = Ledger(ledger_dir / f"replay_{symbol}_{int(time.time())}.sqlite3" if ledger_dir else ":memory:")
    engine = Engine(config, broker, ledger=ledger, clock=MarketClock(), mode="paper")
    engine.symbols = (symbol,)
    await engine.start(run_feed=False)
    bar_fmt = "{l_bar}{bar}| {n_fmt}/{total_fmt} bars [{elapsed}<{remaining}, {rate_fmt}]"
    pbar = None
    if show_progress:
        from tqdm import tqdm

        pbar = tqdm(total=len(df), unit="bar", bar_format=bar_fmt, file=sys.stderr, mininterval=0.5)
    t0 = time.perf_counter()
    try:
        with ledger.batch():
            orders, rejected, engine_bars = await replay_frame(engine, df, symbol, strategy, pbar.update if pbar else None)
        elapsed = time.perf_counter() - t0
        metrics = await engine.performance_metrics()
        acct = await engine.account()
    finally:
        if pbar:
            pbar.close()
        await engine.stop()
        engine.close()
    return ReplayOutcome(
        bars=len(df),
        seconds=elapsed,
        orders=orders,
        rejected=rejected,
        metrics=metrics,
        final_equity=acct.equity,
        rows_skipped=sum(report.skipped.values()),
        skipped_reasons=dict(report.skipped),
        engine_bars=engine_bars,
    )


def render_outcome(out: ReplayOutcome, lang: str = "en") -> str:
    m = out.metrics
    pf = f"{m.profit_factor:.2f}" if m.profit_factor is not None else "-"
    lines = [
        f"bars {out.bars} in {out.seconds:.2f}s ({out.bars_per_second:,.0f} bars/s; {out.engine_bars} stepped by the engine)",
        f"orders {out.orders} (rejected {out.rejected}); corrupt rows skipped {out.rows_skipped} {out.skipped_reasons or ''}",
        f"trades {m.trades}  win rate {m.win_rate * 100:.1f}%  profit factor {pf}",
        f"net P&L ${m.net_pnl:,.2f}  largest win ${m.largest_win:,.2f}  largest loss ${m.largest_loss:,.2f}",
        f"avg win ${m.average_win:,.2f}  avg loss ${m.average_loss:,.2f}  max drawdown ${m.max_drawdown:,.2f} ({m.max_drawdown_pct:.2f}%)",
        f"final equity ${out.final_equity:,.2f}",
    ]
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser(
        "replay",
        help="replay a bar file through the paper broker with a built-in strategy",
        description="Replay OHLCV bars (CSV or CSV.gz: ts_utc,open,high,low,close,volume) through the risk gate and "
        "paper broker with a simple strategy, then print performance metrics. Corrupt rows are skipped and counted.\n"
        "Example: mia replay ../shared/data/market/intraday/es_1m_2019-09-01_2019-09-30_quantcs109.csv.gz --strategy sma_cross",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("file", type=Path, help="CSV or CSV.gz bar file")
    r.add_argument("--strategy", default="sma_cross", choices=sorted(STRATEGIES), help="built-in strategy")
    r.add_argument("--symbol", choices=["ES", "MNQ"], help="instrument for sizing and P&L (default: config market)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.set_defaults(func=_replay_command)


def _replay_command(args: argparse.Namespace, config: MiaConfig) -> int:
    if not args.file.exists():
        print(f"mia replay: no such file: {args.file} / fichier introuvable", file=sys.stderr)
        return 2
    # A replay is a backtest: market hours come from the data itself.
    cfg = config.model_copy(update={"risk": config.risk.model_copy(update={"enforce_trading_hours": False})})
    try:
        out = asyncio.run(run_replay(args.file, args.strategy, cfg, args.symbol, show_progress=not args.no_progress))
    except ValueError as exc:
        print(f"mia replay: {exc}", file=sys.stderr)
        return 2
    print(render_outcome(out))
    return 0
