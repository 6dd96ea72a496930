"""Replay: the kernel (array speed) trades exactly as the live engine driven price by price."""
from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trading_core.api import Engine
from trading_core.backtest import BacktestKernel
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.config import load_config
from trading_core.instruments import get_instrument
from trading_core.ledger import Ledger
from trading_core.marketdata.csv_replay import load_bars_csv
from trading_core.metrics import performance_metrics
from trading_core.portfolio import Portfolio
from trading_core.replay import replay_frame, replay_with_kernel, run_replay
from trading_core.strategies import Breakout, SmaCross
from trading_core.types import EventKind, TradingState

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "market" / "intraday"
FILE = SHARED / "es_1m_2023-09-24_2023-10-09_firstrate-sample.csv.gz"
FILE_2020 = SHARED / "es_1m_2020-06-17_2020-08-10_ESU0_ib_spawnaga.csv.gz"
FILE_NQ = SHARED / "nq_1m_2023-11-19_2023-12-04_firstrate-sample.csv.gz"
pytestmark = pytest.mark.skipif(not FILE.exists(), reason="shared market data not beside the checkout")


def _config(tmp_path, **risk):
    return load_config(env={}, overrides={"data_dir": str(tmp_path), "risk": {"enforce_trading_hours": False, **risk}})


async def _engine_replay(cfg, df, strategy, symbol="ES"):
    broker = PaperBroker(get_instrument, slippage_ticks=cfg.paper.slippage_ticks,
                         commission_per_contract=cfg.paper.commission_per_contract)
    engine = Engine(cfg, broker, ledger=Ledger(":memory:"), clock=MarketClock(), mode="paper")
    halts = []
    engine.add_listener(lambda ev: halts.append(ev) if ev.kind is EventKind.RISK_BREACH
                        and ev.state is not None and ev.state.previous is TradingState.ACTIVE else None)
    await engine.start(run_feed=False)
    orders, rejected, _ = await replay_frame(engine, df, symbol, strategy)
    sent = engine.ledger.orders(limit=None)  # the strategy's orders and the risk flattens
    out = {
        "orders": orders,
        "rejected": sum(1 for o in sent if o.reason is not None),
        "fills": [(f.side, f.quantity, f.price, f.ts, f.commission) for f in engine.ledger.fills()],
        "trades": [(t.pnl, t.gross_pnl, t.commission, t.entry_price, t.exit_price, t.opened_ts, t.closed_ts)
                   for t in engine.portfolio.closed_trades],
        "equity": (await engine.account()).equity,
        "state": engine.state,
        "halts": len(halts),
    }
    await engine.stop()
    engine.close()
    return out


def _kernel_view(res):
    return {
        "orders": sum(1 for o in res.orders if o.source == "strategy"),
        "rejected": res.rejected,
        "fills": [(f.side, f.quantity, f.price, f.ts, f.commission) for f in res.fills],
        "trades": [(t.pnl, t.gross_pnl, t.commission, t.entry_price, t.exit_price, t.opened_ts, t.closed_ts)
                   for t in res.trades],
        "equity": res.final_equity,
        "state": res.final_state,
        "halts": len(res.halts),
    }


CASES = [
    pytest.param(SmaCross(10, 30), {"daily_loss_limit": 1_000_000, "max_consecutive_losses": 100}, id="sma-no-limits"),
    pytest.param(Breakout(20), {}, id="breakout-defaults"),
    pytest.param(SmaCross(30, 120, size=8), {"daily_loss_limit": 1500, "max_order_size": 20}, id="halts-and-flattens"),
    pytest.param(SmaCross(5, 20, size=3), {"daily_loss_limit": 800, "max_order_size": 5, "max_consecutive_losses": 4},
                 id="consecutive-losses"),
    pytest.param(SmaCross(5, 20, size=3), {"daily_loss_limit": 800, "flatten_on_daily_loss": False}, id="halt-no-flatten"),
    pytest.param(SmaCross(3, 8, size=3), {"max_position_per_symbol": 4, "max_orders_per_minute": 1,
                                          "daily_loss_limit": 1_000_000}, id="position-limit-and-throttle"),
    pytest.param(SmaCross(3, 8, size=2), {"enforce_trading_hours": True, "daily_loss_limit": 1_000_000,
                                          "max_consecutive_losses": 100}, id="trading-hours"),  # 2 MARKET_CLOSED
]


@pytest.mark.parametrize("strategy, risk", CASES)
async def test_kernel_trades_exactly_as_the_engine(tmp_path, strategy, risk):
    df, _ = load_bars_csv(FILE)
    df = df.iloc[:3500]
    cfg = _config(tmp_path, **risk)
    engine = await _engine_replay(cfg, df, strategy)
    kernel = _kernel_view(replay_with_kernel(cfg, df, "ES", strategy))
    assert engine["fills"], "the case must trade"
    if risk.get("enforce_trading_hours"):
        assert engine["rejected"] > 0  # orders decided at the close that lands on 17:00 New York
    for key in engine:
        assert kernel[key] == engine[key], key


async def test_kernel_matches_the_engine_on_another_year_and_slippage(tmp_path):
    df, _ = load_bars_csv(FILE_2020)
    df = df.iloc[:3000]
    cfg = _config(tmp_path, daily_loss_limit=600, max_order_size=10).model_copy(
        update={"paper": load_config(env={}).paper.model_copy(update={"slippage_ticks": 3,
                                                                       "commission_per_contract": Decimal("1.10")})})
    strategy = SmaCross(8, 21, size=2)
    engine = await _engine_replay(cfg, df, strategy)
    kernel = _kernel_view(replay_with_kernel(cfg, df, "ES", strategy))
    assert engine["halts"] >= 1
    assert kernel == engine


async def test_kernel_matches_the_engine_on_micro_nasdaq(tmp_path):
    df, _ = load_bars_csv(FILE_NQ, "MNQ")
    df = df.iloc[:3000]
    cfg = _config(tmp_path, daily_loss_limit=150, max_order_size=10)
    strategy = SmaCross(5, 20, size=4)
    engine = await _engine_replay(cfg, df, strategy, "MNQ")
    kernel = _kernel_view(replay_with_kernel(cfg, df, "MNQ", strategy))
    assert engine["fills"] and engine["halts"] >= 1
    assert kernel == engine


def test_a_breach_halts_then_flattens_at_the_next_price_and_resumes_next_session(tmp_path):
    df, _ = load_bars_csv(FILE)
    cfg = _config(tmp_path, daily_loss_limit=1500, max_order_size=20)
    res = replay_with_kernel(cfg, df.iloc[:6000], "ES", SmaCross(30, 120, size=8))
    assert res.halts
    by_price = {o.price_index: o for o in res.orders}
    fill_price_index = {number: p for number, p, *_ in res._fills}
    for halt in res.halts:
        assert halt.pnl <= -Decimal(1500)
        flatten = by_price[halt.price_index]
        assert flatten.source == "risk" and flatten.accepted
        number = res.orders.index(flatten)
        assert fill_price_index[number] == halt.price_index + 1  # the next price, not the breach price
        # nothing is sent between the flatten and the resume, which happens in a later session
        end = halt.resumed_index if halt.resumed_index is not None else 10**12
        assert not [o for o in res.orders if halt.price_index < o.price_index < end]
        if halt.resumed_index is not None:
            assert res._ts(halt.resumed_index) - halt.ts > pd.Timedelta(minutes=30)


def test_kernel_accounting_equals_the_portfolio(tmp_path):
    df, _ = load_bars_csv(FILE)
    df = df.iloc[:5000]
    cfg = _config(tmp_path, daily_loss_limit=1_000_000, max_order_size=20, max_consecutive_losses=100)
    res = replay_with_kernel(cfg, df, "ES", SmaCross(7, 25, size=3))
    book = Portfolio(get_instrument, cfg.account.starting_balance)
    ours = []
    for f in res.fills:
        ours.extend(book.apply_fill(f))
    book.mark("ES", float(df["close"].iloc[-1]))
    assert [(t.pnl, t.gross_pnl, t.commission, t.quantity, t.entry_price, t.pnl_ticks) for t in ours] == \
        [(t.pnl, t.gross_pnl, t.commission, t.quantity, t.entry_price, t.pnl_ticks) for t in res.trades]
    assert book.account(res.fills[-1].ts).equity == res.final_equity
    assert res.final_position == book.net_quantity("ES")


def test_metrics_in_cents_equal_the_decimal_metrics(tmp_path):
    df, _ = load_bars_csv(FILE)
    res = replay_with_kernel(_config(tmp_path), df.iloc[:4000], "ES", Breakout(15))
    curve = [Decimal(int(c)).scaleb(-2) for c in res.equity_cents]
    expected = performance_metrics(res.trades, curve, res.starting_balance)
    got = res.metrics
    assert got.trades == expected.trades > 0
    for name in ("wins", "losses", "gross_profit", "gross_loss", "net_pnl", "largest_win", "largest_loss",
                 "average_win", "average_loss", "max_drawdown"):
        assert getattr(got, name) == getattr(expected, name), name
    assert got.max_drawdown_pct == pytest.approx(expected.max_drawdown_pct, rel=1e-12)
    assert got.profit_factor == pytest.approx(expected.profit_factor, rel=1e-12)


def test_every_order_passes_the_risk_gate(tmp_path):
    df, _ = load_bars_csv(FILE)
    res = replay_with_kernel(_config(tmp_path, max_order_size=2), df.iloc[:2000], "ES", SmaCross(10, 30, size=3))
    assert res.orders and not res.fills
    assert {o.rejection.code for o in res.orders} == {"QTY_ABOVE_MAX"}


def test_bad_inputs_are_refused_with_a_reason(tmp_path):
    kernel = BacktestKernel(_config(tmp_path), get_instrument("ES"), get_instrument)
    ts = (pd.date_range("2024-01-02 15:00", periods=4, freq="1min", tz="UTC").as_unit("ns").asi8)
    good = np.array([4800.0, 4800.25, 4800.5, 4800.75])
    with pytest.raises(ValueError, match="multiples of the tick"):
        kernel.run(good + 0.1, good, ts, np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="same length"):
        kernel.run(good, good[:3], ts, np.zeros(4, np.int64))
    empty = kernel.run(good[:0], good[:0], ts[:0], np.zeros(0, np.int64))
    assert empty.order_count == 0 and empty.final_equity == Decimal("100000")
    flat = kernel.run(good, good, ts, np.zeros(4, np.int64))
    assert flat.order_count == 0 and flat.metrics.trades == 0


async def test_run_replay_reports_metrics_and_corrupt_rows(tmp_path):
    bad = tmp_path / "bars.csv"
    with gzip.open(FILE, "rt") as fh:
        rows = [next(fh) for _ in range(1500)]
    rows.insert(100, "2023-09-25T00:00:00Z,x,not-a-number,1,2,3\n")
    bad.write_text("".join(rows))
    out = await run_replay(bad, "sma_cross", _config(tmp_path), "ES", show_progress=False)
    assert out.bars == 1499  # header + 1499 good rows + 1 corrupt row
    assert out.rows_skipped == 1
    assert out.metrics.trades > 0 and out.orders >= out.metrics.trades
    assert out.final_equity != Decimal("100000")
    same = await run_replay(bad, "sma_cross", _config(tmp_path), "ES", show_progress=False, engine_mode=True)
    assert (same.mode, out.mode) == ("engine", "kernel")
    assert same.metrics.net_pnl == out.metrics.net_pnl and same.final_equity == out.final_equity


def test_progress_counts_every_bar(tmp_path):
    df, _ = load_bars_csv(FILE)
    seen = []
    replay_with_kernel(_config(tmp_path), df.iloc[:3333], "ES", SmaCross(), seen.append)
    assert sum(seen) == 3333 and len(seen) > 10


class _RandomTargets:
    """Targets that jump around (sizes -4..4, holding a few bars): exercises partial closes, flips,
    adds, position limits and halts far more than a crossover does."""

    name = "random"
    description = "random targets for tests"

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def target_positions(self, open_, high, low, close):
        rng = np.random.default_rng(self.seed)
        n = len(close)
        change = rng.random(n) < 0.15
        values = rng.integers(-4, 5, n)
        idx = np.where(change, np.arange(n), 0)
        np.maximum.accumulate(idx, out=idx)
        return values[idx].astype(np.int64)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_kernel_matches_the_engine_on_random_targets(tmp_path, seed):
    rng = np.random.default_rng(100 + seed)
    df, _ = load_bars_csv(FILE)
    start = int(rng.integers(0, len(df) - 2000))
    df = df.iloc[start:start + 1800]
    risk = {
        "daily_loss_limit": int(rng.choice([300, 800, 5000])),
        "max_order_size": int(rng.choice([3, 8])),
        "max_position_per_symbol": int(rng.choice([3, 10])),
        "max_consecutive_losses": int(rng.choice([2, 6, 100])),
        "flatten_on_daily_loss": bool(rng.integers(0, 2)),
        "max_orders_per_minute": int(rng.choice([1, 30])),
    }
    cfg = _config(tmp_path, **risk)
    strategy = _RandomTargets(seed)
    engine = await _engine_replay(cfg, df, strategy)
    kernel = _kernel_view(replay_with_kernel(cfg, df, "ES", strategy))
    assert engine["fills"], risk
    assert kernel == engine, risk
