"""SAC + PPO + DDPG ensemble: each member proposes an action in [-1, 1] (short .. long) and the
ensemble acts on the weighted mean, rounded to a target position (seed weights 0.4 / 0.3 / 0.3).

Members' actions: SAC's mean action tanh(mu), PPO's expected target / max_position under its categorical
policy, DDPG's deterministic actor. The ensemble's action distribution (short / flat / long) is the
weighted mixture of the members' distributions (SAC's Gaussian in closed form, PPO's categorical,
DDPG's point mass). Each member trains on its own environment stream for the same number of steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from trading_core.intelligence.rl.ddpg import DDPGAgent, DDPGConfig
from trading_core.intelligence.rl.env import TradingEnv, continuous_to_target
from trading_core.intelligence.rl.nets import sign_distribution
from trading_core.intelligence.rl.ppo_cvar import PPOAgent, PPOConfig
from trading_core.intelligence.rl.sac import SACAgent, SACConfig
from trading_core.intelligence.rl.types import ENSEMBLE_MEMBERS
from trading_core.intelligence.rl.weights import DEFAULT_WEIGHTS, normalise_weights


@dataclass(frozen=True, slots=True)
class EnsembleConfig:
    sac: SACConfig = field(default_factory=SACConfig)
    ppo: PPOConfig = field(default_factory=lambda: PPOConfig(cvar_enabled=False))
    ddpg: DDPGConfig = field(default_factory=DDPGConfig)
    weights: tuple[float, ...] = DEFAULT_WEIGHTS

    def to_json(self) -> dict[str, Any]:
        return {"sac": self.sac.to_json(), "ppo": self.ppo.to_json(), "ddpg": self.ddpg.to_json(),
                "weights": list(self.weights)}


class EnsembleAgent:
    def __init__(self, obs_dim: int, max_position: int, cfg: EnsembleConfig, seed: int) -> None:
        self.cfg = cfg
        self.max_position = max_position
        self.weights = normalise_weights(cfg.weights)
        self.sac = SACAgent(obs_dim, max_position, cfg.sac, seed)
        self.ppo = PPOAgent(obs_dim, max_position, cfg.ppo)
        self.ddpg = DDPGAgent(obs_dim, max_position, cfg.ddpg, seed + 2)

    def set_weights(self, weights: tuple[float, ...] | list[float]) -> None:
        self.weights = normalise_weights(weights)

    # ------------------------------------------------------------------ inference
    def member_actions(self, obs: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "sac": self.sac.continuous_action(obs),
            "ppo": self.ppo.continuous_action(obs),
            "ddpg": self.ddpg.continuous_action(obs),
        }

    def combined_action(self, obs: np.ndarray) -> np.ndarray:
        acts = self.member_actions(obs)
        return np.sum([w * acts[m] for w, m in zip(self.weights, ENSEMBLE_MEMBERS)], axis=0)

    def targets(self, obs: np.ndarray) -> np.ndarray:
        return continuous_to_target(self.combined_action(obs), self.max_position)

    def action_distribution(self, obs: np.ndarray) -> np.ndarray:
        probs = {"sac": self.sac.target_probs(obs), "ppo": self.ppo.target_probs(obs),
                 "ddpg": self.ddpg.target_probs(obs)}
        mix = np.sum([w * probs[m] for w, m in zip(self.weights, ENSEMBLE_MEMBERS)], axis=0)
        return sign_distribution(mix, self.max_position)

    def state_dict(self) -> dict[str, Any]:
        return {"sac": self.sac.state_dict(), "ppo": self.ppo.state_dict(), "ddpg": self.ddpg.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.sac.load_state_dict(state["sac"])
        self.ppo.load_state_dict(state["ppo"])
        self.ddpg.load_state_dict(state["ddpg"])

    # ------------------------------------------------------------------ training
    def learn(self, make_env: Callable[[int, int], TradingEnv], steps_per_member: int,
              progress: Callable[[int], None] | None = None, seed: int = 0) -> int:
        """`make_env(n_envs, seed)` builds a fresh environment stream for each member."""
        done = self.sac.learn(make_env(self.cfg.sac.n_envs, seed + 11), steps_per_member, progress)
        done += self.ppo.learn(make_env(self.cfg.ppo.n_envs, seed + 12), steps_per_member, progress)
        done += self.ddpg.learn(make_env(self.cfg.ddpg.n_envs, seed + 13), steps_per_member, progress)
        return done
