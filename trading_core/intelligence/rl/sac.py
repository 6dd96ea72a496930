"""Soft actor-critic (Haarnoja et al., 2018) with a one-dimensional action in [-1, 1].

The action is a tanh-squashed Gaussian; it maps to a target position by rounding a * max_position.
Twin critics with target networks, automatic entropy temperature (target entropy -1).
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

_LOG_STD_MIN, _LOG_STD_MAX = -5.0, 2.0


@dataclass(frozen=True, slots=True)
class SACConfig:
    n_envs: int = 8
    buffer_size: int = 100_000
    batch_size: int = 128
    lr: float = 3e-4
    gamma: float = 0.99
    tau: float = 0.005
    learning_starts: int = 2_000
    updates_per_step: int = 1
    hidden: int = 64

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def target_bins(max_position: int) -> tuple[np.ndarray, np.ndarray]:
    """Action interval [lo, hi) of each target -max..+max under round(a * max)."""
    k = np.arange(-max_position, max_position + 1, dtype=np.float64)
    lo = np.clip((k - 0.5) / max_position, -1.0, 1.0)
    hi = np.clip((k + 0.5) / max_position, -1.0, 1.0)
    return lo, hi


class SACAgent:
    def __init__(self, obs_dim: int, max_position: int, cfg: SACConfig, seed: int) -> None:
        self.cfg = cfg
        self.max_position = max_position
        self.actor = mlp(obs_dim, 2, cfg.hidden, act=nn.ReLU, out_gain=0.01)
        self.q1 = mlp(obs_dim + 1, 1, cfg.hidden, act=nn.ReLU)
        self.q2 = mlp(obs_dim + 1, 1, cfg.hidden, act=nn.ReLU)
        self.q1_t = mlp(obs_dim + 1, 1, cfg.hidden, act=nn.ReLU)
        self.q2_t = mlp(obs_dim + 1, 1, cfg.hidden, act=nn.ReLU)
        self.q1_t.load_state_dict(self.q1.state_dict())
        self.q2_t.load_state_dict(self.q2.state_dict())
        self.log_alpha = torch.zeros(1, requires_grad=True)
        self.opt_actor = torch.optim.Adam(self.actor.parameters(), lr=cfg.lr)
        self.opt_q = torch.optim.Adam(list(self.q1.parameters()) + list(self.q2.parameters()), lr=cfg.lr)
        self.opt_alpha = torch.optim.Adam([self.log_alpha], lr=cfg.lr)
        self.target_entropy = -1.0
        self.buffer = ReplayBuffer(cfg.buffer_size, obs_dim, (1,), np.float32, seed)

    def _dist(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.actor(obs)
        mu, log_std = out[:, :1], out[:, 1:].clamp(_LOG_STD_MIN, _LOG_STD_MAX)
        return mu, log_std.exp()

    def _sample(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, std = self._dist(obs)
        u = mu + std * torch.randn_like(mu)
        a = torch.tanh(u)
        logp = torch.distributions.Normal(mu, std).log_prob(u) - torch.log(1.0 - a.pow(2) + 1e-6)
        return a, logp.sum(dim=1)

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def continuous_action(self, obs: np.ndarray) -> np.ndarray:
        """Deterministic (mean) action tanh(mu) in [-1, 1]."""
        mu, _ = self._dist(as_tensor(obs))
        return torch.tanh(mu).squeeze(1).numpy().astype(np.float64)

    def targets(self, obs: np.ndarray) -> np.ndarray:
        return continuous_to_target(self.continuous_action(obs), self.max_position)

    @torch.no_grad()
    def target_probs(self, obs: np.ndarray) -> np.ndarray:
        """P(round(tanh(u) * max) = k) under the Gaussian policy, in closed form (B, 2*max+1)."""
        mu, std = self._dist(as_tensor(obs))
        lo, hi = target_bins(self.max_position)
        u_lo = torch.as_tensor(np.arctanh(np.clip(lo, -1 + 1e-12, 1 - 1e-12)), dtype=torch.float32)
        u_hi = torch.as_tensor(np.arctanh(np.clip(hi, -1 + 1e-12, 1 - 1e-12)), dtype=torch.float32)
        cdf_hi = torch.special.ndtr((u_hi - mu) / std)
        cdf_lo = torch.special.ndtr((u_lo - mu) / std)
        cdf_hi[:, -1] = 1.0
        cdf_lo[:, 0] = 0.0
        p = (cdf_hi - cdf_lo).clamp(min=0.0).numpy().astype(np.float64)
        return p / p.sum(axis=1, keepdims=True)

    def state_dict(self) -> dict[str, Any]:
        return {"actor": self.actor.state_dict(), "q1": self.q1.state_dict(), "q2": self.q2.state_dict(),
                "log_alpha": self.log_alpha.detach().clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.actor.load_state_dict(state["actor"])
        self.q1.load_state_dict(state["q1"])
        self.q2.load_state_dict(state["q2"])
        self.q1_t.load_state_dict(state["q1"])
        self.q2_t.load_state_dict(state["q2"])
        with torch.no_grad():
            self.log_alpha.copy_(state["log_alpha"])

    # ------------------------------------------------------------------ training
    def explore(self, obs: np.ndarray, step: int, total: int) -> tuple[np.ndarray, np.ndarray]:
        with torch.no_grad():
            a, _ = self._sample(as_tensor(obs))
        a_np = a.numpy()
        return a_np, continuous_to_target(a_np[:, 0], self.max_position)

    def update(self, batch: Batch) -> None:
        cfg = self.cfg
        obs, nxt = as_tensor(batch.obs), as_tensor(batch.next_obs)
        act, rew = torch.as_tensor(batch.action), torch.as_tensor(batch.reward)
        alpha = self.log_alpha.exp().detach()
        with torch.no_grad():
            a2, logp2 = self._sample(nxt)
            x2 = torch.cat([nxt, a2], dim=1)
            q_next = torch.min(self.q1_t(x2), self.q2_t(x2)).squeeze(1) - alpha * logp2
            y = rew + cfg.gamma * q_next
        x = torch.cat([obs, act], dim=1)
        q_loss = (self.q1(x).squeeze(1) - y).pow(2).mean() + (self.q2(x).squeeze(1) - y).pow(2).mean()
        self.opt_q.zero_grad()
        q_loss.backward()
        self.opt_q.step()

        a_new, logp = self._sample(obs)
        xn = torch.cat([obs, a_new], dim=1)
        q_new = torch.min(self.q1(xn), self.q2(xn)).squeeze(1)
        actor_loss = (alpha * logp - q_new).mean()
        self.opt_actor.zero_grad()
        actor_loss.backward()
        self.opt_actor.step()

        alpha_loss = -(self.log_alpha * (logp.detach() + self.target_entropy)).mean()
        self.opt_alpha.zero_grad()
        alpha_loss.backward()
        self.opt_alpha.step()
        soft_update(self.q1_t, self.q1, cfg.tau)
        soft_update(self.q2_t, self.q2, cfg.tau)

    def learn(self, env: TradingEnv, total_steps: int, progress: Callable[[int], None] | None = None) -> int:
        c = self.cfg
        return run_off_policy(self, env, total_steps, c.batch_size, c.learning_starts, c.updates_per_step, progress)
