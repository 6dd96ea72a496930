"""Trading environment: cost accounting, position limits, episodes, reproducibility, bad input."""
from __future__ import annotations

import numpy as np
import pytest

from trading_core.intelligence.rl.env import EnvConfig, TradingEnv, continuous_to_target, discrete_to_target
from trading_core.intelligence.rl.types import RLInputError


def _env(close: np.ndarray, n_envs: int = 1, **kw: object) -> TradingEnv:
    cfg = EnvConfig.for_market(kw.pop("market", "ES"), **kw)  # type: ignore[arg-type]
    feats = np.zeros((close.size, 3), np.float32)
    return TradingEnv(feats, close, cfg, n_envs=n_envs, seed=0, bounds=(0, close.size))


@pytest.mark.parametrize("market, expected", [("ES", 2 * (2.25 + 12.50)), ("MNQ", 2 * (2.25 + 0.50))])
def test_round_trip_costs_exactly_two_sides_of_commission_and_slippage(market: str, expected: float) -> None:
    env = _env(np.full(20, 5000.0), market=market, episode_bars=10)
    env.reset(np.array([0]))
    opened = env.step(np.array([1]))
    closed = env.step(np.array([0]))
    total_cost = opened.cost_usd[0] + closed.cost_usd[0]
    assert total_cost == expected
    assert opened.pnl_usd[0] == 0 and closed.pnl_usd[0] == 0
    assert env.ep_return[0] == -expected
    # Rewards are the same net P&L, scaled.
    assert (opened.reward[0] + closed.reward[0]) == pytest.approx(-expected / env.cfg.reward_scale_usd)


def test_round_trip_with_a_price_move_nets_points_times_point_value_minus_costs() -> None:
    close = np.array([5000.0, 5002.5, 5002.5, 5002.5] + [5002.5] * 10)
    env = _env(close, slippage_ticks=2, commission_per_contract=1.5, episode_bars=10)
    env.reset(np.array([0]))
    r1 = env.step(np.array([1]))  # long from 5000.00, marked at 5002.50
    r2 = env.step(np.array([0]))
    assert r1.pnl_usd[0] == 2.5 * 50.0
    assert r1.cost_usd[0] + r2.cost_usd[0] == 2 * (1.5 + 2 * 12.5)
    assert env.ep_return[0] == 125.0 - 2 * (1.5 + 25.0)


def test_flip_pays_for_both_contracts_and_holding_is_free() -> None:
    env = _env(np.full(20, 5000.0), max_position=2, episode_bars=10)
    env.reset(np.array([0]))
    c = env.cfg.cost_per_contract
    assert env.step(np.array([1])).cost_usd[0] == c
    assert env.step(np.array([1])).cost_usd[0] == 0.0
    assert env.step(np.array([-1])).cost_usd[0] == 2 * c
    assert env.step(np.array([2])).cost_usd[0] == 3 * c


def test_position_limits_are_enforced_and_reported() -> None:
    env = _env(np.full(30, 5000.0), n_envs=3, max_position=2, episode_bars=10)
    env.reset(np.array([0, 0, 0]))
    res = env.step(np.array([5, -9, 1]))
    assert res.position.tolist() == [2, -2, 1]
    assert res.clipped.tolist() == [True, True, False]
    assert res.cost_usd.tolist() == [2 * env.cfg.cost_per_contract, 2 * env.cfg.cost_per_contract,
                                     env.cfg.cost_per_contract]
    assert continuous_to_target(np.array([-1.0, -0.3, 0.2, 0.9, 7.0]), 1).tolist() == [-1, 0, 0, 1, 1]
    assert discrete_to_target(np.array([0, 1, 2]), 1).tolist() == [-1, 0, 1]


def test_unrealised_pnl_uses_average_entry_price() -> None:
    close = np.array([100.0, 101.0, 103.0, 103.0] + [103.0] * 10)
    env = _env(close, max_position=2, episode_bars=10, reward_scale_usd=50.0)
    env.reset(np.array([0]))
    env.step(np.array([1]))  # enter 1 at 100
    env.step(np.array([2]))  # add 1 at 101: average 100.5, now marked at 103
    assert env.entry[0] == 100.5
    assert env.unrealised_usd()[0] == 2 * (103.0 - 100.5) * 50.0
    obs = env.observe()
    assert obs[0, -2] == 1.0  # position / max
    assert obs[0, -1] == pytest.approx(250.0 / (4 * 50.0))


def test_episodes_truncate_with_final_observation_and_reproducible_starts() -> None:
    close = 5000.0 + np.cumsum(np.random.default_rng(1).integers(-2, 3, 500)) * 0.25
    feats = np.arange(close.size, dtype=np.float32)[:, None]
    cfg = EnvConfig.for_market("ES", episode_bars=5)
    a = TradingEnv(feats, close, cfg, n_envs=4, seed=11)
    b = TradingEnv(feats, close, cfg, n_envs=4, seed=11)
    oa, ob = a.reset(), b.reset()
    assert np.array_equal(oa, ob)
    start_t = a.t.copy()
    net = np.zeros(4)
    for k in range(5):
        ra, rb = a.step(np.array([1, -1, 0, 1])), b.step(np.array([1, -1, 0, 1]))
        assert np.array_equal(ra.obs, rb.obs) and np.array_equal(ra.reward, rb.reward)
        net += ra.pnl_usd - ra.cost_usd
    assert ra.done.all()
    assert np.allclose(ra.episode_return_usd, net)
    # final_obs is the bar the episode reached; obs is the first bar of the next episode, flat.
    assert np.array_equal(ra.final_obs[:, 0], (start_t + 5).astype(np.float32))
    assert (ra.obs[:, -2] == 0).all()
    assert not np.isnan(ra.episode_return_usd).any()


def test_fixed_windows_stop_when_finished() -> None:
    close = np.linspace(5000, 5010, 40)
    feats = np.zeros((40, 1), np.float32)
    env = TradingEnv(feats, close, EnvConfig.for_market("ES", episode_bars=3), n_envs=2, bounds=(0, 40),
                     auto_reset=False)
    env.reset(np.array([0, 10]))
    for _ in range(3):
        res = env.step(np.array([1, 1]))
    assert res.done.all()
    after = env.step(np.array([1, -1]))
    assert not after.done.any() and (after.pnl_usd == 0).all() and (after.cost_usd == 0).all()


def test_bad_configuration_and_inputs_are_refused_in_both_languages() -> None:
    with pytest.raises(RLInputError) as e:
        EnvConfig.for_market("CL")
    assert "CL" in e.value.message_en and "marché inconnu" in e.value.message_fr
    with pytest.raises(RLInputError):
        EnvConfig(max_position=0)
    with pytest.raises(RLInputError):
        EnvConfig(commission_per_contract=-1.0)
    with pytest.raises(RLInputError) as e:
        _env(np.full(5, 5000.0), episode_bars=10)
    assert "épisode" in e.value.message_fr
    env = _env(np.full(30, 5000.0), n_envs=2, episode_bars=5)
    with pytest.raises(RLInputError):
        env.reset(np.array([0]))  # wrong count
    with pytest.raises(RLInputError):
        env.reset(np.array([0, 99]))  # outside the data
