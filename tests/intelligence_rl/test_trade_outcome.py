"""Trade extraction (costs on entry, resize, flip and exit) and the trade-outcome probability model."""
from __future__ import annotations

import numpy as np

from trading_core.intelligence.rl.trade_outcome import TradeOutcomeModel, Trades, extract_trades


def test_trades_count_every_cost_and_split_flips() -> None:
    c = 10.0
    # One env: flat, long 1 (2 bars), flip to short 1 (1 bar), flat, long 2 until the window ends.
    pos = np.array([0, 1, 1, -1, 0, 2, 2])[:, None]
    pnl = np.array([0.0, 50.0, -20.0, 30.0, 0.0, 40.0, 40.0])[:, None]
    mkt = np.arange(7, dtype=np.float32)[:, None, None]
    t = extract_trades(pos, pnl, mkt, c)
    assert t.direction.tolist() == [1, -1, 1]
    assert t.entry_features[:, 0].tolist() == [1.0, 3.0, 5.0]
    assert t.net_usd.tolist() == [50 - 20 - 2 * c, 30 - 2 * c, 80 - 2 * (2 * c)]


def test_outcome_model_finds_a_planted_edge_and_beats_the_base_rate_out_of_sample() -> None:
    rng = np.random.default_rng(0)
    n = 600
    f = rng.standard_normal((n, 3))
    d = rng.choice([-1.0, 1.0], n)
    # Longs win when feature 0 is high, shorts when it is low.
    p_true = 1 / (1 + np.exp(-2.0 * d * f[:, 0]))
    net = np.where(rng.random(n) < p_true, 25.0, -25.0)
    model = TradeOutcomeModel.fit(Trades(f, d, net))
    assert model.weights is not None and model.n_trades == n
    assert model.brier_model_holdout < model.brier_base_holdout
    hi = np.array([[2.0, 0.0, 0.0]])
    assert model.predict(hi, +1)[0] > 0.8 and model.predict(hi, -1)[0] < 0.2
    again = TradeOutcomeModel.from_json(model.to_json())
    assert np.array_equal(again.predict(f, 1), model.predict(f, 1))


def test_too_few_trades_fall_back_to_the_smoothed_win_rate() -> None:
    t = Trades(np.zeros((3, 2)), np.array([1.0, -1.0, 1.0]), np.array([5.0, -1.0, 2.0]))
    model = TradeOutcomeModel.fit(t)
    assert model.weights is None
    assert model.base_rate == (2 + 1) / (3 + 2)
    assert model.predict(np.zeros((4, 2)), 1).tolist() == [0.6] * 4
    empty = TradeOutcomeModel.fit(Trades(np.zeros((0, 2)), np.zeros(0), np.zeros(0)))
    assert empty.base_rate == 0.5 and empty.win_rate is None


def test_a_model_that_does_not_beat_the_base_rate_is_not_used() -> None:
    rng = np.random.default_rng(1)
    n = 200
    f = rng.standard_normal((n, 8))
    d = rng.choice([-1.0, 1.0], n)
    net = np.where(rng.random(n) < 0.45, 10.0, -10.0)  # outcomes unrelated to the features
    model = TradeOutcomeModel.fit(Trades(f, d, net))
    assert model.brier_model_holdout is not None and model.brier_model_holdout >= model.brier_base_holdout
    assert model.weights is None
    assert np.all(model.predict(f, 1) == model.base_rate)
