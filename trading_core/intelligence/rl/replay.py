"""Replay buffer and the collection loop shared by the off-policy learners (QR-DQN, SAC, DDPG).

Episode ends in the trading environment are time limits, so every transition bootstraps from the
observation actually reached (`StepResult.final_obs`), never from the first observation of the next
episode. numpy only: the learners own the torch side.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from trading_core.intelligence.rl.env import TradingEnv


@dataclass(slots=True)
class Batch:
    obs: np.ndarray
    action: np.ndarray
    reward: np.ndarray
    next_obs: np.ndarray


class ReplayBuffer:
    def __init__(self, capacity: int, obs_dim: int, action_shape: tuple[int, ...], action_dtype: type,
                 seed: int) -> None:
        self.capacity = int(capacity)
        self.obs = np.zeros((self.capacity, obs_dim), np.float32)
        self.next_obs = np.zeros((self.capacity, obs_dim), np.float32)
        self.action: np.ndarray = np.zeros((self.capacity, *action_shape), action_dtype)
        self.reward = np.zeros(self.capacity, np.float32)
        self.size = 0
        self.ptr = 0
        self.rng = np.random.default_rng(seed)

    def add(self, obs: np.ndarray, action: np.ndarray, reward: np.ndarray, next_obs: np.ndarray) -> None:
        k = obs.shape[0]
        idx = (self.ptr + np.arange(k)) % self.capacity
        self.obs[idx], self.action[idx], self.reward[idx], self.next_obs[idx] = obs, action, reward, next_obs
        self.ptr = int((self.ptr + k) % self.capacity)
        self.size = min(self.size + k, self.capacity)

    def sample(self, batch: int) -> Batch:
        idx = self.rng.integers(0, self.size, size=batch)
        return Batch(self.obs[idx], self.action[idx], self.reward[idx], self.next_obs[idx])


class OffPolicyLearner(Protocol):
    buffer: ReplayBuffer

    def explore(self, obs: np.ndarray, step: int, total: int) -> tuple[np.ndarray, np.ndarray]:
        """(action to store, target positions to send to the env) for a batch of observations."""

    def update(self, batch: Batch) -> None: ...


def run_off_policy(
    agent: OffPolicyLearner,
    env: TradingEnv,
    total_steps: int,
    batch_size: int,
    learning_starts: int,
    updates_per_step: int,
    progress: Callable[[int], None] | None,
) -> int:
    """Collect `total_steps` environment steps (rounded up to whole vector steps), updating as we go."""
    obs = env.reset()
    n = env.n_envs
    steps = 0
    while steps < total_steps:
        stored, targets = agent.explore(obs, steps, total_steps)
        res = env.step(targets)
        agent.buffer.add(obs, stored, res.reward, res.final_obs)
        obs = res.obs
        steps += n
        if steps >= learning_starts and agent.buffer.size >= batch_size:
            for _ in range(updates_per_step):
                agent.update(agent.buffer.sample(batch_size))
        if progress is not None:
            progress(n)
    return steps
