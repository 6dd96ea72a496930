"""PPO with a CVaR constraint on episode losses, enforced by a Lagrange multiplier (discrete targets).

Objective: maximise E[R] subject to CVaR_alpha(L) <= d, with L = -episode net P&L. With the
Rockafellar-Uryasev form CVaR_alpha(L) = min_nu nu + E[(L - nu)+] / alpha, the Lagrangian is
E[R] - lambda * (nu + E[(L - nu)+] / alpha - d), optimised by
- nu = the empirical VaR_alpha of recent training episodes' losses;
- the policy: PPO on the combined advantage (A_r - lambda * A_c) / (1 + lambda), as in PPO-Lagrangian
  (Ray et al., 2019). A_r: GAE of the rewards. A_c: advantage of a "tail cost" with its own critic. The
  tail term (L - nu)+ / alpha of an episode in the tail (L > nu) is, since L = -sum(r_t), exactly
  sum_t c_t with c_t = (-r_t - nu / S) / alpha; other episodes cost 0. A_c uses one-step TD: the cost
  of a bar is known at that bar, and summing later bars' costs would only add noise to the credit;
- lambda: projected dual ascent after each rollout, lambda += lr * (CVaR_hat - d) / d, clipped to
  [0, lambda_max]; the relative violation keeps the step size independent of the market's dollar scale.
With `cvar_enabled=False` this is plain PPO (the ensemble's PPO member).

A rollout is exactly one episode per environment (rollout length = episode length, all environments
start together), so each episode's loss is known before its costs are assigned. (Charging the penalty
as one reward on the last step failed in practice: the observation carries no clock, so the critic
cannot see it coming, and GAE hands it to the last ~20 actions only. Folding lambda * c_t into the
reward stream, with GAE summing ~20 bars of amplified noise, left the policy unable to learn.)
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical

from trading_core.intelligence.rl.env import TradingEnv, discrete_to_target
from trading_core.intelligence.rl.nets import as_tensor, mlp, sign_distribution


@dataclass(frozen=True, slots=True)
class PPOConfig:
    n_envs: int = 32  # rollout = n_envs episodes of the environment's episode length
    epochs: int = 4
    minibatch: int = 512
    lr: float = 3e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    hidden: int = 64
    cvar_enabled: bool = True
    cvar_alpha: float = 0.1
    cvar_limit_usd: float = 1000.0  # the trainer sets it from the data (see train.py)
    lambda_lr: float = 0.05
    lambda_max: float = 10.0
    cvar_window: int = 200  # recent training episodes behind nu and CVaR_hat

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def empirical_var_cvar(losses: np.ndarray, alpha: float) -> tuple[float, float]:
    """(VaR, CVaR) of losses at level alpha: the mean of the worst ceil(alpha * n) losses."""
    x = np.sort(np.asarray(losses, dtype=np.float64))[::-1]
    k = max(1, math.ceil(alpha * x.size))
    return float(x[k - 1]), float(x[:k].mean())


class ActorCritic(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int) -> None:
        super().__init__()
        self.actor = mlp(obs_dim, n_actions, hidden, out_gain=0.01)
        self.critic = mlp(obs_dim, 1, hidden, out_gain=1.0)
        self.cost_critic = mlp(obs_dim, 1, hidden, out_gain=1.0)  # tail cost; used in training only

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.actor(obs), self.critic(obs).squeeze(-1)


class PPOAgent:
    def __init__(self, obs_dim: int, max_position: int, cfg: PPOConfig) -> None:
        self.cfg = cfg
        self.max_position = max_position
        self.n_actions = 2 * max_position + 1
        self.net = ActorCritic(obs_dim, self.n_actions, cfg.hidden)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=cfg.lr, eps=1e-5)
        self.lam = 0.0
        self.history: list[tuple[int, float, float, float]] = []  # (step, CVaR USD, lambda, mean return USD)

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def target_probs(self, obs: np.ndarray) -> np.ndarray:
        logits, _ = self.net(as_tensor(obs))
        return torch.softmax(logits, dim=-1).numpy().astype(np.float64)

    def action_distribution(self, obs: np.ndarray) -> np.ndarray:
        return sign_distribution(self.target_probs(obs), self.max_position)

    def targets(self, obs: np.ndarray) -> np.ndarray:
        return discrete_to_target(self.target_probs(obs).argmax(axis=1), self.max_position)

    def continuous_action(self, obs: np.ndarray) -> np.ndarray:
        """Expected target / max_position in [-1, 1]: PPO's vote in the ensemble."""
        p = self.target_probs(obs)
        levels = np.arange(-self.max_position, self.max_position + 1) / self.max_position
        return p @ levels

    @torch.no_grad()
    def value(self, obs: np.ndarray) -> np.ndarray:
        return self.net.critic(as_tensor(obs)).squeeze(-1).numpy()

    def state_dict(self) -> dict[str, Any]:
        return {"net": self.net.state_dict(), "lambda": torch.tensor(self.lam, dtype=torch.float64)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.lam = float(state["lambda"])

    # ------------------------------------------------------------------ training
    def learn(self, env: TradingEnv, total_steps: int, progress: Callable[[int], None] | None = None) -> int:
        cfg = self.cfg
        n, S = env.n_envs, env.cfg.episode_bars
        iters = max(1, math.ceil(total_steps / (n * S)))
        losses_window: deque[float] = deque(maxlen=cfg.cvar_window)  # normalised episode losses
        scale = env.cfg.reward_scale_usd
        done_steps = 0
        for _ in range(iters):
            obs = env.reset()
            b_obs = np.zeros((S, n, env.obs_dim), np.float32)
            b_act = np.zeros((S, n), np.int64)
            b_logp = np.zeros((S, n), np.float32)
            b_rew = np.zeros((S, n), np.float32)
            for s in range(S):
                with torch.no_grad():
                    dist = Categorical(logits=self.net.actor(as_tensor(obs)))
                    a = dist.sample()
                    logp = dist.log_prob(a)
                res = env.step(discrete_to_target(a.numpy(), self.max_position))
                b_obs[s], b_act[s], b_logp[s], b_rew[s] = obs, a.numpy(), logp.numpy(), res.reward
                obs = res.obs
            if not res.done.all():  # the environment's windows always fit; this guards the invariant
                raise RuntimeError("PPO rollout and episode boundaries are out of step")
            flat_obs = b_obs.reshape(S * n, -1)
            with torch.no_grad():
                t_all = as_tensor(flat_obs)
                val = self.net.critic(t_all).view(S, n).numpy()
                cval = self.net.cost_critic(t_all).view(S, n).numpy()
                t_fin = as_tensor(res.final_obs)
                # Time-limit end: bootstrap from the state actually reached.
                last_v = self.net.critic(t_fin).squeeze(-1).numpy()
                last_c = self.net.cost_critic(t_fin).squeeze(-1).numpy()
            ep_ret_usd = res.episode_return_usd.copy()
            losses = -ep_ret_usd / scale
            cost = np.zeros((S, n), np.float32)
            if cfg.cvar_enabled and len(losses_window) >= 10:
                nu, _ = empirical_var_cvar(np.asarray(losses_window), cfg.cvar_alpha)
                tail = losses > nu
                cost[:, tail] = (-b_rew[:, tail] - nu / S) / cfg.cvar_alpha
            losses_window.extend(losses.tolist())
            done_steps += n * S

            adv_r = np.zeros((S, n), np.float32)
            nxt = np.zeros(n, np.float32)
            for s in reversed(range(S)):
                nxt_v = last_v if s == S - 1 else val[s + 1]
                delta = b_rew[s] + cfg.gamma * nxt_v - val[s]
                nxt = delta + cfg.gamma * cfg.gae_lambda * (nxt if s < S - 1 else 0.0)
                adv_r[s] = nxt
            nxt_c = np.concatenate([cval[1:], last_c[None, :]], axis=0)
            adv_c = cost + cfg.gamma * nxt_c - cval
            ret_r, ret_c = adv_r + val, adv_c + cval
            sd = float(adv_r.std()) + 1e-8
            combined = ((adv_r - adv_r.mean()) / sd - self.lam * (adv_c - adv_c.mean()) / sd) / (1.0 + self.lam)
            self._update(flat_obs, b_act.reshape(-1), b_logp.reshape(-1), combined.reshape(-1),
                         ret_r.reshape(-1), ret_c.reshape(-1))
            cvar_usd = float("nan")
            if len(losses_window) >= max(10, math.ceil(1.0 / cfg.cvar_alpha)):
                _, cvar_n = empirical_var_cvar(np.asarray(losses_window), cfg.cvar_alpha)
                cvar_usd = cvar_n * scale
                if cfg.cvar_enabled:
                    violation = (cvar_usd - cfg.cvar_limit_usd) / cfg.cvar_limit_usd
                    self.lam = float(np.clip(self.lam + cfg.lambda_lr * violation, 0.0, cfg.lambda_max))
            self.history.append((done_steps, cvar_usd, self.lam, float(ep_ret_usd.mean())))
            if progress is not None:
                progress(n * S)
        return done_steps

    def _update(self, obs: np.ndarray, act: np.ndarray, logp_old: np.ndarray, adv: np.ndarray,
                ret: np.ndarray, ret_cost: np.ndarray) -> None:
        """Clipped-surrogate PPO on already-normalised advantages; both critics regress their returns."""
        cfg = self.cfg
        t_obs, t_act = as_tensor(obs), torch.as_tensor(act)
        t_logp, t_ret, t_retc = torch.as_tensor(logp_old), torch.as_tensor(ret), torch.as_tensor(ret_cost)
        t_adv = torch.as_tensor(adv)
        size = obs.shape[0]
        mb = min(cfg.minibatch, size)
        for _ in range(cfg.epochs):
            perm = torch.randperm(size)
            for start in range(0, size, mb):
                idx = perm[start:start + mb]
                o = t_obs[idx]
                dist = Categorical(logits=self.net.actor(o))
                logp = dist.log_prob(t_act[idx])
                ratio = torch.exp(logp - t_logp[idx])
                a = t_adv[idx]
                pg = -torch.min(ratio * a, torch.clamp(ratio, 1 - cfg.clip, 1 + cfg.clip) * a).mean()
                vf = 0.5 * (self.net.critic(o).squeeze(-1) - t_ret[idx]).pow(2).mean()
                vf = vf + 0.5 * (self.net.cost_critic(o).squeeze(-1) - t_retc[idx]).pow(2).mean()
                loss = pg + cfg.vf_coef * vf - cfg.ent_coef * dist.entropy().mean()
                self.opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.net.parameters(), cfg.max_grad_norm)
                self.opt.step()
