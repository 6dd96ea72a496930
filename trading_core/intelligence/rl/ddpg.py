"""Deep deterministic policy gradient (Lillicrap et al., 2016) with a one-dimensional action in [-1, 1].

Deterministic tanh actor, one critic, Polyak-averaged target networks, Gaussian exploration noise.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from trading_core.intelligence.rl.env import TradingEnv, continuous_to_target
from trading_core.intelligence.rl.nets import as_tensor, mlp, soft_update
from trading_core.intelligence.rl.replay import Batch, ReplayBuffer, run_off_policy


@dataclass(frozen=True, slots=True)
class DDPGConfig:
    n_envs: int = 8
    buffer_size: int = 100_000
    batch_size: int = 128
    actor_lr: float = 1e-4
    critic_lr: float = 1e-3
    gamma: float = 0.99
    tau: float = 0.005
    noise_std: float = 0.3
    learning_starts: int = 2_000
    updates_per_step: int = 1
    hidden: int = 64

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class DDPGAgent:
    def __init__(self, obs_dim: int, max_position: int, cfg: DDPGConfig, seed: int) -> None:
        self.cfg = cfg
        self.max_position = max_position
        self.actor = mlp(obs_dim, 1, cfg.hidden, act=nn.ReLU, out_gain=0.01)
        self.actor_t = mlp(obs_dim, 1, cfg.hidden, act=nn.ReLU, out_gain=0.01)
        self.critic = mlp(obs_dim + 1, 1, cfg.hidden, act=nn.ReLU)
        self.critic_t = mlp(obs_dim + 1, 1, cfg.hidden, act=nn.ReLU)
        self.actor_t.load_state_dict(self.actor.state_dict())
        self.critic_t.load_state_dict(self.critic.state_dict())
        self.opt_actor = torch.optim.Adam(self.actor.parameters(), lr=cfg.actor_lr)
        self.opt_critic = torch.optim.Adam(self.critic.parameters(), lr=cfg.critic_lr)
        self.buffer = ReplayBuffer(cfg.buffer_size, obs_dim, (1,), np.float32, seed)
        self.rng = np.random.default_rng(seed + 1)

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def continuous_action(self, obs: np.ndarray) -> np.ndarray:
        return torch.tanh(self.actor(as_tensor(obs))).squeeze(1).numpy().astype(np.float64)

    def targets(self, obs: np.ndarray) -> np.ndarray:
        return continuous_to_target(self.continuous_action(obs), self.max_position)

    def target_probs(self, obs: np.ndarray) -> np.ndarray:
        """The deployed actor is deterministic: all mass on its rounded target."""
        t = self.targets(obs) + self.max_position
        p = np.zeros((t.size, 2 * self.max_position + 1))
        p[np.arange(t.size), t] = 1.0
        return p

    def state_dict(self) -> dict[str, Any]:
        return {"actor": self.actor.state_dict(), "critic": self.critic.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.actor.load_state_dict(state["actor"])
        self.actor_t.load_state_dict(state["actor"])
        self.critic.load_state_dict(state["critic"])
        self.critic_t.load_state_dict(state["critic"])

    # ------------------------------------------------------------------ training
    def explore(self, obs: np.ndarray, step: int, total: int) -> tuple[np.ndarray, np.ndarray]:
        a = self.continuous_action(obs) + self.rng.normal(0.0, self.cfg.noise_std, size=obs.shape[0])
        a = np.clip(a, -1.0, 1.0).astype(np.float32)
        return a[:, None], continuous_to_target(a, self.max_position)

    def update(self, batch: Batch) -> None:
        cfg = self.cfg
        obs, nxt = as_tensor(batch.obs), as_tensor(batch.next_obs)
        act, rew = torch.as_tensor(batch.action), torch.as_tensor(batch.reward)
        with torch.no_grad():
            a2 = torch.tanh(self.actor_t(nxt))
            y = rew + cfg.gamma * self.critic_t(torch.cat([nxt, a2], dim=1)).squeeze(1)
        q = self.critic(torch.cat([obs, act], dim=1)).squeeze(1)
        c_loss = (q - y).pow(2).mean()
        self.opt_critic.zero_grad()
        c_loss.backward()
        self.opt_critic.step()
        a_loss = -self.critic(torch.cat([obs, torch.tanh(self.actor(obs))], dim=1)).mean()
        self.opt_actor.zero_grad()
        a_loss.backward()
        self.opt_actor.step()
        soft_update(self.critic_t, self.critic, cfg.tau)
        soft_update(self.actor_t, self.actor, cfg.tau)

    def learn(self, env: TradingEnv, total_steps: int, progress: Callable[[int], None] | None = None) -> int:
        c = self.cfg
        return run_off_policy(self, env, total_steps, c.batch_size, c.learning_starts, c.updates_per_step, progress)
