"""Replay: the fast path (skipping bars where nothing can happen) equals stepping every bar."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from trading_core.api import Engine
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.config import load_config
from trading_core.instruments import get_instrument
from trading_core.replay import replay_frame, run_replay
from trading_core.strategies import Breakout, SmaCross

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "market" / "intraday"
FILE = SHARED / "es_1m_2023-09-24_2023-10-09_firstrate-sample.csv.gz"
pytestmark = pytest.mark.skipif(not FILE.exists(), reason="shared market data not beside the checkout")


def _config(tmp_path, **risk):
    return load_config(env={}, overrides={"data_dir": str(tmp_path), "risk": {"enforce_trading_hours": False, **risk}})


async def _run(tmp_path, df, strategy, fast: bool, **risk):
    cfg = _config(tmp_path / ("fast" if fast else "slow"), **risk)
    engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
    await engine.start(run_feed=False)
    orders, rejected, stepped = await replay_frame(engine, df, "ES", strategy, fast=fast)
    fills = [(f.side, f.quantity, f.price) for f in engine.ledger.fills()]
    m = await engine.performance_metrics()
    state = engine.state
    await engine.stop()
    engine.close()
    return orders, fills, m, stepped, state


@pytest.mark.parametrize("strategy", [SmaCross(10, 30), Breakout(20)])
async def test_fast_replay_matches_bar_by_bar_replay(tmp_path, strategy):
    from trading_core.marketdata.csv_replay import load_bars_csv

    df, _ = load_bars_csv(FILE)
    df = df.iloc[:4000]
    fast = await _run(tmp_path, df, strategy, True)
    slow = await _run(tmp_path, df, strategy, False)
    assert fast[0] == slow[0] and fast[0] > 10
    assert fast[1] == slow[1]  # identical fills, in order
    assert fast[2].net_pnl == slow[2].net_pnl and fast[2].trades == slow[2].trades
    assert fast[3] < slow[3]  # the fast path really skipped bars


async def test_daily_loss_limit_is_enforced_inside_skipped_segments(tmp_path):
    from trading_core.marketdata.csv_replay import load_bars_csv

    df, _ = load_bars_csv(FILE)
    df = df.iloc[:6000]
    big = SmaCross(30, 120, size=8)
    fast = await _run(tmp_path, df, big, True, daily_loss_limit=1500, max_order_size=20)
    slow = await _run(tmp_path, df, big, False, daily_loss_limit=1500, max_order_size=20)
    assert fast[1] == slow[1]
    assert fast[2].net_pnl == slow[2].net_pnl


async def test_run_replay_reports_metrics_and_corrupt_rows(tmp_path):
    bad = tmp_path / "bars.csv"
    import gzip

    with gzip.open(FILE, "rt") as fh:
        rows = [next(fh) for _ in range(1500)]
    rows.insert(100, "2023-09-25T00:00:00Z,x,not-a-number,1,2,3\n")
    bad.write_text("".join(rows))
    out = await run_replay(bad, "sma_cross", _config(tmp_path), "ES", show_progress=False)
    assert out.bars == 1499  # header + 1499 good rows + 1 corrupt row
    assert out.rows_skipped == 1
    assert out.metrics.trades > 0 and out.orders >= out.metrics.trades
    assert out.final_equity != Decimal("100000")
