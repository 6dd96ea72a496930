"""Quantile-regression DQN (Dabney et al., 2018) over discrete target positions.

The network gives N quantiles of the return distribution Z(s, a) for every action, at the quantile
mid-points tau_i = (2i + 1) / 2N. Z is the discounted net P&L to go (reward units; x reward scale =
USD) of taking `a` now and acting greedily afterwards. Trained with the quantile Huber loss against
r + gamma * Z(s', argmax_a' E[Z(s', a')]) from a target network; epsilon-greedy exploration.

Quantile head: non-crossing, as in Zhou, Wang & Feng (2020, "Non-crossing quantile regression for
distributional RL"): per action a location b, a spread w = softplus(.) >= 0 and shares
p = softmax(.), with theta_i = b + w * (p_1 + ... + p_i). The quantiles are sorted by construction. With
51 independent outputs (the original head) a short run left quantiles crossing by several dollars,
which a user-facing "quantiles" answer cannot show; the loss and targets are unchanged.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from trading_core.intelligence.rl.env import TradingEnv, discrete_to_target
from trading_core.intelligence.rl.nets import as_tensor, mlp, sign_distribution
from trading_core.intelligence.rl.replay import Batch, ReplayBuffer, run_off_policy


@dataclass(frozen=True, slots=True)
class QRDQNConfig:
    n_quantiles: int = 51
    n_envs: int = 8
    buffer_size: int = 100_000
    batch_size: int = 64
    lr: float = 5e-4
    gamma: float = 0.99
    learning_starts: int = 2_000
    updates_per_step: int = 1  # gradient steps per vector step (n_envs env steps)
    target_update: int = 500  # gradient steps between target network copies
    eps_start: float = 1.0
    eps_end: float = 0.05
    eps_fraction: float = 0.3
    kappa: float = 1.0
    hidden: int = 64
    max_grad_norm: float = 10.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def quantile_taus(n: int) -> np.ndarray:
    return (2.0 * np.arange(n) + 1.0) / (2.0 * n)


class QuantileNet(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, n_quantiles: int, hidden: int) -> None:
        super().__init__()
        self.n_actions, self.n_quantiles = n_actions, n_quantiles
        # Per action: location, spread, and N share logits.
        self.body = mlp(obs_dim, n_actions * (n_quantiles + 2), hidden, act=nn.ReLU)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        out = self.body(obs).view(-1, self.n_actions, self.n_quantiles + 2)
        loc, spread = out[..., :1], nn.functional.softplus(out[..., 1:2])
        shares = torch.softmax(out[..., 2:], dim=-1)
        return loc + spread * torch.cumsum(shares, dim=-1)


def quantile_huber_loss(pred: torch.Tensor, target: torch.Tensor, taus: torch.Tensor, kappa: float) -> torch.Tensor:
    """pred (B, N) quantiles of Z(s, a); target (B, N') samples of the Bellman target."""
    u = target.unsqueeze(1) - pred.unsqueeze(2)  # (B, N, N')
    huber = torch.where(u.abs() <= kappa, 0.5 * u.pow(2), kappa * (u.abs() - 0.5 * kappa))
    weight = (taus.view(1, -1, 1) - (u.detach() < 0).float()).abs()
    return (weight * huber / kappa).mean(dim=2).sum(dim=1).mean()


class QRDQNAgent:
    def __init__(self, obs_dim: int, max_position: int, cfg: QRDQNConfig, seed: int) -> None:
        self.cfg = cfg
        self.max_position = max_position
        self.n_actions = 2 * max_position + 1
        self.net = QuantileNet(obs_dim, self.n_actions, cfg.n_quantiles, cfg.hidden)
        self.target = QuantileNet(obs_dim, self.n_actions, cfg.n_quantiles, cfg.hidden)
        self.target.load_state_dict(self.net.state_dict())
        self.opt = torch.optim.Adam(self.net.parameters(), lr=cfg.lr, eps=0.01 / cfg.batch_size)
        self.taus = torch.as_tensor(quantile_taus(cfg.n_quantiles), dtype=torch.float32)
        self.buffer = ReplayBuffer(cfg.buffer_size, obs_dim, (), np.int64, seed)
        self.rng = np.random.default_rng(seed + 1)
        self.grad_steps = 0

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def quantiles(self, obs: np.ndarray) -> np.ndarray:
        """Raw network quantiles (B, n_actions, N) in reward units (not re-sorted)."""
        return self.net(as_tensor(obs)).numpy().astype(np.float64)

    def targets(self, obs: np.ndarray) -> np.ndarray:
        return discrete_to_target(self.quantiles(obs).mean(axis=2).argmax(axis=1), self.max_position)

    def action_distribution(self, obs: np.ndarray) -> np.ndarray:
        """The deployed policy is greedy, so its distribution is one-hot on argmax E[Z]."""
        greedy = self.quantiles(obs).mean(axis=2).argmax(axis=1)
        onehot = np.zeros((greedy.size, self.n_actions))
        onehot[np.arange(greedy.size), greedy] = 1.0
        return sign_distribution(onehot, self.max_position)

    def state_dict(self) -> dict[str, Any]:
        return {"net": self.net.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.target.load_state_dict(state["net"])

    # ------------------------------------------------------------------ training
    def explore(self, obs: np.ndarray, step: int, total: int) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.cfg
        frac = min(1.0, step / max(1.0, cfg.eps_fraction * total))
        eps = cfg.eps_start + frac * (cfg.eps_end - cfg.eps_start)
        greedy = self.quantiles(obs).mean(axis=2).argmax(axis=1)
        rand = self.rng.integers(0, self.n_actions, size=obs.shape[0])
        act = np.where(self.rng.random(obs.shape[0]) < eps, rand, greedy).astype(np.int64)
        return act, discrete_to_target(act, self.max_position)

    def update(self, batch: Batch) -> None:
        cfg = self.cfg
        obs, nxt = as_tensor(batch.obs), as_tensor(batch.next_obs)
        act = torch.as_tensor(batch.action)
        rew = torch.as_tensor(batch.reward)
        with torch.no_grad():
            z_next = self.target(nxt)  # (B, A, N)
            a_star = z_next.mean(dim=2).argmax(dim=1)
            z_star = z_next[torch.arange(z_next.shape[0]), a_star]  # (B, N)
            target = rew.unsqueeze(1) + cfg.gamma * z_star
        pred = self.net(obs)[torch.arange(obs.shape[0]), act]
        loss = quantile_huber_loss(pred, target, self.taus, cfg.kappa)
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.net.parameters(), cfg.max_grad_norm)
        self.opt.step()
        self.grad_steps += 1
        if self.grad_steps % cfg.target_update == 0:
            self.target.load_state_dict(self.net.state_dict())

    def learn(self, env: TradingEnv, total_steps: int, progress: Callable[[int], None] | None = None) -> int:
        c = self.cfg
        return run_off_policy(self, env, total_steps, c.batch_size, c.learning_starts, c.updates_per_step, progress)
