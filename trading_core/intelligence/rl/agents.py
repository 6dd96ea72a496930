"""Build a learner of a given model type from its (JSON-able) hyper-parameters. Imports torch."""
from __future__ import annotations

from typing import Any

from trading_core.intelligence.rl.ddpg import DDPGConfig
from trading_core.intelligence.rl.ensemble import EnsembleAgent, EnsembleConfig
from trading_core.intelligence.rl.ppo_cvar import PPOAgent, PPOConfig
from trading_core.intelligence.rl.qr_dqn import QRDQNAgent, QRDQNConfig
from trading_core.intelligence.rl.sac import SACConfig
from trading_core.intelligence.rl.types import MODEL_TYPES, RLInputError

Agent = PPOAgent | QRDQNAgent | EnsembleAgent
AlgoConfig = PPOConfig | QRDQNConfig | EnsembleConfig


def algo_config_from_json(model_type: str, d: dict[str, Any]) -> AlgoConfig:
    if model_type == "ppo_cvar":
        return PPOConfig(**d)
    if model_type == "qr_dqn":
        return QRDQNConfig(**d)
    if model_type == "ensemble":
        return EnsembleConfig(
            sac=SACConfig(**d["sac"]), ppo=PPOConfig(**d["ppo"]), ddpg=DDPGConfig(**d["ddpg"]),
            weights=tuple(d["weights"]),
        )
    raise RLInputError(
        f"unknown model type {model_type!r}; choose one of {', '.join(MODEL_TYPES)}",
        f"type de modèle inconnu {model_type!r} ; choisissez parmi {', '.join(MODEL_TYPES)}",
    )


def make_agent(model_type: str, obs_dim: int, max_position: int, cfg: AlgoConfig, seed: int) -> Agent:
    if model_type == "ppo_cvar" and isinstance(cfg, PPOConfig):
        return PPOAgent(obs_dim, max_position, cfg)
    if model_type == "qr_dqn" and isinstance(cfg, QRDQNConfig):
        return QRDQNAgent(obs_dim, max_position, cfg, seed)
    if model_type == "ensemble" and isinstance(cfg, EnsembleConfig):
        return EnsembleAgent(obs_dim, max_position, cfg, seed)
    raise RLInputError(
        f"model type {model_type!r} does not match hyper-parameters {type(cfg).__name__}",
        f"le type de modèle {model_type!r} ne correspond pas aux hyper-paramètres {type(cfg).__name__}",
    )
