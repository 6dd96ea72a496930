"""QR-DQN learns the return distribution: sorted quantiles that collapse on a deterministic reward and
split on a coin-flip reward. gamma = 0 makes Z(s, a) the one-bar reward, known exactly here; no costs,
so the reward does not depend on the position held. kappa = 0.1 because these rewards are +-1 reward
unit: a Huber threshold as wide as the whole distribution would pull the quantiles to the middle."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from tests.intelligence_rl.conftest import const_step_bars  # noqa: E402
from trading_core.intelligence.rl import RLService  # noqa: E402
from trading_core.intelligence.rl.observation import WARMUP_BARS  # noqa: E402
from trading_core.intelligence.rl.qr_dqn import QRDQNConfig, quantile_taus  # noqa: E402
from trading_core.intelligence.rl.train import train_agent  # noqa: E402

NO_COSTS = {"episode_bars": 50, "commission_per_contract": 0.0, "slippage_ticks": 0.0}


def _fit(bars: pd.DataFrame, tmp: Path, n_quantiles: int, steps: int) -> tuple[np.ndarray, RLService]:
    cfg = QRDQNConfig(n_quantiles=n_quantiles, gamma=0.0, kappa=0.1, n_envs=4, learning_starts=64,
                      batch_size=64, buffer_size=10_000, target_update=50, eps_fraction=0.5)
    _, agent = train_agent("qr_dqn", "ES", bars=bars, steps=steps, seed=1, data_dir=tmp, algo_config=cfg,
                           env_overrides=NO_COSTS, progress=False)
    svc = RLService(data_dir=tmp)
    loaded = svc.load("qr_dqn", "ES")
    # States from the training part of the series, flat (the reward does not depend on it anyway).
    obs = np.stack([svc.observation(loaded, bars=bars.iloc[t - WARMUP_BARS + 1: t + 1])[0][0]
                    for t in range(WARMUP_BARS + 50, WARMUP_BARS + 450, 40)])
    return agent.quantiles(obs) * loaded.env_cfg.reward_scale_usd, svc  # (states, actions, N) USD


def test_quantiles_are_sorted_and_collapse_on_a_deterministic_reward(tmp_path: Path) -> None:
    bars = const_step_bars(1200, 0.25)  # +1 tick every bar: long earns 12.50 USD a bar, short loses it
    q, svc = _fit(bars, tmp_path, 51, 3000)
    assert q.shape[1:] == (3, 51)
    assert (np.diff(q, axis=2) >= 0).all()  # raw network output, not re-sorted
    truth = np.array([-12.5, 0.0, 12.5])
    centre = np.median(q, axis=(0, 2))
    assert np.abs(centre - truth).max() < 1.5, centre
    spread = np.median(q[:, :, 45] - q[:, :, 5], axis=0)  # 10 %..90 % width
    assert spread.max() < 1.5, spread
    rep = svc.qr_quantiles(bars=bars.iloc[:400])
    assert rep.greedy_action == "long" and rep.prob_positive["long"] == 1.0 and rep.prob_positive["short"] == 0.0
    assert rep.taus == tuple(quantile_taus(51)) and rep.max_crossing_usd == 0.0


def test_quantiles_split_on_a_coin_flip_reward(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    close = 5000 + np.cumsum(rng.choice([-1, 1], 1500)) * 0.25
    idx = pd.date_range("2025-03-03 14:30", periods=close.size, freq="1min", tz="UTC")
    bars = pd.DataFrame({"open": close, "high": close + 0.25, "low": close - 0.25, "close": close,
                         "volume": 100}, index=idx)
    q, _ = _fit(bars, tmp_path, 21, 3000)
    assert (np.diff(q, axis=2) >= 0).all()
    long_q = np.median(q[:, 2, :], axis=0)  # Z(long) is -12.50 or +12.50 USD with probability 1/2
    assert long_q[:6].mean() < -8 and long_q[-6:].mean() > 8, long_q
    flat_q = np.median(q[:, 1, :], axis=0)
    assert np.abs(flat_q).max() < 2.5, flat_q
