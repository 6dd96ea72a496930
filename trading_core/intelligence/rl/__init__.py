"""Trade-probability models (PPO-CVaR, QR-DQN, SAC+PPO+DDPG ensemble) over a futures trading environment.

Importing this package does not import torch: the typed reports and `RLService` load torch only when a
checkpoint is used, and training (`train.py`) only when it runs. See `inference.py` for how the
probability of a profitable trade is defined for each model type.
"""
from trading_core.intelligence.rl.inference import PolicyRun, RLService
from trading_core.intelligence.rl.types import (
    ACTION_NAMES,
    ENSEMBLE_MEMBERS,
    MODEL_TYPES,
    CvarReport,
    EnsembleWeightsReport,
    ModelType,
    QuantileReport,
    RLInputError,
    TradeProbability,
    TrainResult,
)
from trading_core.intelligence.rl.weights import normalise_weights

__all__ = [
    "ACTION_NAMES",
    "ENSEMBLE_MEMBERS",
    "MODEL_TYPES",
    "CvarReport",
    "EnsembleWeightsReport",
    "ModelType",
    "PolicyRun",
    "QuantileReport",
    "RLInputError",
    "RLService",
    "TradeProbability",
    "TrainResult",
    "normalise_weights",
]
