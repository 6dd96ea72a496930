"""Triple-barrier outcomes and the bar-level P&L of the evaluated strategies."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trading_core.intelligence.backtest import (
    cost_model,
    ma_cross_positions,
    position_increments,
    sequential,
    summarise,
    trade_increments,
)
from trading_core.intelligence.labels import BarrierSpec, CostModel, triple_barrier
from trading_core.intelligence.types import IntelligenceInputError

ES = CostModel(tick_size=0.25, multiplier=50.0, commission_per_side=2.25, slippage_ticks=1)


def _bars(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    idx = pd.date_range("2024-05-06 14:00", periods=len(rows), freq="1min", tz="UTC")
    o, h, lo, c = map(np.array, zip(*rows))
    return pd.DataFrame({"open": o, "high": h, "low": lo, "close": c, "volume": 100.0}, index=idx)


def _flat(n: int, px: float = 100.0) -> list[tuple[float, float, float, float]]:
    return [(px, px, px, px)] * n


# sigma chosen so that width = sigma * sqrt(4) * close = 2 points
SIG = np.array([0.01])
SPEC = BarrierSpec(horizon=4, pt_mult=1.0, sl_mult=1.0)


def test_take_profit_first() -> None:
    rows = _flat(2) + [(100.0, 100.5, 99.5, 100.25), (100.25, 102.5, 100.0, 102.0)] + _flat(4, 102.0)
    out = triple_barrier(_bars(rows), np.array([1]), np.array([1]), SIG, SPEC, ES).iloc[0]
    assert out.entry_idx == 2 and out.entry_price == 100.25  # next open + 1 tick
    assert out.take_profit == 102.25 and out.stop_loss == 98.25
    assert out.reason == "tp" and out.exit_idx == 3 and out.exit_price == 102.0  # tp - 1 tick slippage
    assert out.points == pytest.approx(1.75)
    assert out.pnl_usd == pytest.approx(1.75 * 50 - 4.5) and out.label == 1


def test_same_bar_touch_counts_as_stop_and_gaps_fill_at_open() -> None:
    rows = _flat(2) + [(100.0, 103.0, 97.0, 100.0)] + _flat(4)
    out = triple_barrier(_bars(rows), np.array([1]), np.array([1]), SIG, SPEC, ES).iloc[0]
    assert out.reason == "sl" and out.exit_price == 98.0  # 98.25 stop - 1 tick
    rows = _flat(3) + [(95.0, 95.5, 94.0, 95.0)] + _flat(4, 95.0)  # opens below the stop
    out = triple_barrier(_bars(rows), np.array([1]), np.array([1]), SIG, SPEC, ES).iloc[0]
    assert out.reason == "sl" and out.exit_idx == 3 and out.exit_price == 94.75
    assert out.label == 0


def test_short_side_time_exit_and_end_of_data() -> None:
    rows = _flat(2) + [(100.0, 100.5, 99.5, 99.75)] * 6
    out = triple_barrier(_bars(rows), np.array([1]), np.array([-1]), SIG, SPEC, ES).iloc[0]
    assert out.reason == "time" and out.exit_idx == 2 + 3
    assert out.entry_price == 99.75 and out.exit_price == 100.0  # close 99.75 + 1 tick
    assert out.points == pytest.approx(-0.25)
    out = triple_barrier(_bars(_flat(4)), np.array([1]), np.array([1]), SIG, SPEC, ES).iloc[0]
    assert out.reason == "end" and out.exit_idx == 3
    # a signal on the last bar has no next open: dropped
    assert triple_barrier(_bars(_flat(4)), np.array([3]), np.array([1]), SIG, SPEC, ES).empty
    with pytest.raises(IntelligenceInputError):
        triple_barrier(_bars(_flat(4)), np.array([1]), np.array([2]), SIG, SPEC, ES)
    with pytest.raises(IntelligenceInputError):
        BarrierSpec(horizon=0)


def test_trade_increments_sum_to_trade_pnl_and_sequential_skips_overlaps() -> None:
    rng = np.random.default_rng(0)
    c = 5000 + np.cumsum(np.round(rng.normal(0, 1, 3000) * 4) / 4)
    o = np.concatenate(([c[0]], c[:-1]))
    h, lo = np.maximum(o, c) + 0.5, np.minimum(o, c) - 0.5
    bars = pd.DataFrame({"open": o, "high": h, "low": lo, "close": c, "volume": 1.0},
                        index=pd.date_range("2024-01-02", periods=3000, freq="1min", tz="UTC"))
    idx = np.arange(100, 2900, 7)
    side = np.where(rng.random(idx.size) < 0.5, 1, -1)
    out = triple_barrier(bars, idx, side, np.full(idx.size, 2e-4), BarrierSpec(horizon=30), ES)
    taken = sequential(out)
    assert (taken["entry_idx"].to_numpy()[1:] > taken["exit_idx"].to_numpy()[:-1]).all()
    inc = trade_increments(taken, c, 100, 3000, ES)
    assert inc.sum() == pytest.approx(taken["pnl_usd"].sum())
    res = summarise("x", inc, taken["pnl_usd"].to_numpy(), np.arange(2900) // 1380)
    assert res.trades == len(taken) and res.net_pnl == pytest.approx(inc.sum())
    assert res.max_drawdown >= 0
    with pytest.raises(IntelligenceInputError):
        trade_increments(taken, c, 500, 3000, ES)


def test_position_strategies_and_moving_average_causality() -> None:
    c = np.array([100.0, 101, 102, 101, 100, 99, 100, 101])
    o = np.array([100.0, 100, 101, 102, 101, 100, 99, 100])
    hold = np.ones(8)
    inc, trades = position_increments(hold, o, c, 0, 8, ES)
    per_side = 2.25 + 0.25 * 50
    assert inc.sum() == pytest.approx((c[-1] - o[0]) * 50 - 2 * per_side)
    assert trades.tolist() == pytest.approx([inc.sum()])
    pos = np.array([0, 1, 1, -1, -1, 0, 0, 1.0])
    inc, trades = position_increments(pos, o, c, 0, 8, ES)
    assert len(trades) == 3 and inc.sum() == pytest.approx(trades.sum())
    x = np.cumsum(np.random.default_rng(2).normal(size=400)) + 100
    p_full = ma_cross_positions(x, 5, 20)
    p_cut = ma_cross_positions(x[:250], 5, 20)
    np.testing.assert_array_equal(p_full[:250], p_cut)  # the position at t uses closes up to t-1
    assert (p_full[:20] == 0).all()
    assert cost_model("ES").multiplier == 50 and cost_model("mnq").multiplier == 2 and cost_model("NQ").multiplier == 20
    with pytest.raises(IntelligenceInputError, match="unknown market"):
        cost_model("CL")
