"""Shared fixtures: small seeded bar frames and tiny learner configurations (hundreds of steps)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def random_walk_bars(n: int, seed: int = 0, start: float = 5000.0, tick: float = 0.25) -> pd.DataFrame:
    """Prices on the tick grid; a mild trend in the first half so learners have something to find."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([-2, -1, 0, 1, 2], size=n, p=[0.15, 0.2, 0.3, 0.2, 0.15]).astype(float)
    steps[: n // 2] += rng.random(n // 2) < 0.1
    close = start + np.cumsum(steps) * tick
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) + tick * rng.integers(0, 3, n)
    low = np.minimum(open_, close) - tick * rng.integers(0, 3, n)
    idx = pd.date_range("2025-03-03 14:30", periods=n, freq="1min", tz="UTC")
    vol = rng.integers(10, 500, n)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": vol}, index=idx)


def const_step_bars(n: int, step: float, start: float = 5000.0) -> pd.DataFrame:
    close = start + step * np.arange(n, dtype=float)
    idx = pd.date_range("2025-03-03 14:30", periods=n, freq="1min", tz="UTC")
    return pd.DataFrame({"open": close, "high": close + 0.25, "low": close - 0.25, "close": close,
                         "volume": np.full(n, 100)}, index=idx)


@pytest.fixture(scope="session")
def bars() -> pd.DataFrame:
    return random_walk_bars(1500, seed=7)


def tiny_config(model_type: str):  # noqa: ANN201 - returns one of the learners' config dataclasses
    from trading_core.intelligence.rl.ddpg import DDPGConfig
    from trading_core.intelligence.rl.ensemble import EnsembleConfig
    from trading_core.intelligence.rl.ppo_cvar import PPOConfig
    from trading_core.intelligence.rl.qr_dqn import QRDQNConfig
    from trading_core.intelligence.rl.sac import SACConfig

    if model_type == "ppo_cvar":
        return PPOConfig(n_envs=4, minibatch=64, epochs=2, cvar_window=40, cvar_alpha=0.1)
    if model_type == "qr_dqn":
        return QRDQNConfig(n_quantiles=11, n_envs=4, learning_starts=64, batch_size=32, buffer_size=4096,
                           target_update=50)
    return EnsembleConfig(
        sac=SACConfig(n_envs=4, learning_starts=64, batch_size=32, buffer_size=4096),
        ppo=PPOConfig(n_envs=4, minibatch=64, epochs=2, cvar_enabled=False),
        ddpg=DDPGConfig(n_envs=4, learning_starts=64, batch_size=32, buffer_size=4096),
    )


TINY_ENV = {"episode_bars": 50}
