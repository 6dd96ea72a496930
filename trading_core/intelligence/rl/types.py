"""Typed results of the trade-probability models, rendered by the speech and chat answers.

Every report carries `trained`: when no checkpoint exists (or it cannot be read) the numeric fields are
None and `message_en` / `message_fr` say why and how to train, instead of inventing numbers.
Money is in USD per contract of the model's market; probabilities are in 0..1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ModelType = Literal["ppo_cvar", "qr_dqn", "ensemble"]
MODEL_TYPES: tuple[str, ...] = ("ppo_cvar", "qr_dqn", "ensemble")
ACTION_NAMES: tuple[str, ...] = ("short", "flat", "long")
ENSEMBLE_MEMBERS: tuple[str, ...] = ("sac", "ppo", "ddpg")


class RLInputError(ValueError):
    """Bad input to the RL layer (bars, observation, weights, market...), with a sentence in each language."""

    def __init__(self, message_en: str, message_fr: str) -> None:
        self.message_en, self.message_fr = message_en, message_fr
        super().__init__(message_en)

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


@dataclass(frozen=True, slots=True)
class CvarReport:
    """Tail risk of the PPO-CVaR policy: CVaR_alpha of episode losses measured on held-out windows."""

    trained: bool
    market: str
    message_en: str
    message_fr: str
    alpha: float | None = None
    cvar_loss_usd: float | None = None  # mean loss of the worst alpha share of evaluation episodes (>0 = loss)
    var_loss_usd: float | None = None  # loss at the (1 - alpha) quantile
    cvar_loss_normalised: float | None = None  # cvar_loss_usd / reward scale (one-bar P&L standard deviation)
    cvar_limit_usd: float | None = None  # the constraint the Lagrangian enforced during training
    lagrange_multiplier: float | None = None  # final lambda
    episodes: int | None = None  # evaluation episodes behind the estimate
    episode_bars: int | None = None
    trained_steps: int | None = None
    history: tuple[tuple[int, float, float], ...] = ()  # (env step, training CVaR USD, lambda) per update

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


@dataclass(frozen=True, slots=True)
class QuantileReport:
    """QR-DQN return distribution Z(s, a) for one state, per action (USD, discounted net P&L to go)."""

    trained: bool
    market: str
    message_en: str
    message_fr: str
    n_quantiles: int | None = None
    taus: tuple[float, ...] = ()  # quantile mid-points (2i + 1) / 2N
    actions: tuple[str, ...] = ()
    quantiles_usd: dict[str, tuple[float, ...]] = field(default_factory=dict)  # action -> sorted quantiles
    expected_usd: dict[str, float] = field(default_factory=dict)  # action -> mean of the quantiles
    prob_positive: dict[str, float] = field(default_factory=dict)  # action -> P(Z > 0)
    greedy_action: str | None = None
    state_source: str | None = None  # "bars", "observation", "bars_source", "last_state"; None: no state
    max_crossing_usd: float | None = None  # largest raw quantile crossing fixed by sorting (0 = none)

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


@dataclass(frozen=True, slots=True)
class EnsembleWeightsReport:
    """Weights of the SAC / PPO / DDPG ensemble, and each member's action for the state when one is given."""

    trained: bool
    market: str
    message_en: str
    message_fr: str
    members: tuple[str, ...] = ENSEMBLE_MEMBERS
    weights: tuple[float, ...] = ()
    member_actions: dict[str, float] = field(default_factory=dict)  # member -> action in [-1, 1] (short..long)
    combined_action: float | None = None  # weighted mean of member actions
    target_position: int | None = None  # contracts the combined action maps to
    state_source: str | None = None

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


@dataclass(frozen=True, slots=True)
class TradeProbability:
    """Probability that the trade the model would open now ends with a positive net P&L (after costs).

    `probability` is calibrated on the policy's own held-out trades (see `inference.py`); `method` says
    how. `model_probability` is the model's own uncalibrated figure where it has one (QR-DQN's P(Z > 0)).
    """

    trained: bool
    market: str
    model_type: str
    message_en: str
    message_fr: str
    probability: float | None = None  # for `direction`
    direction: str | None = None  # "long" or "short": the side the model prefers
    probability_long: float | None = None
    probability_short: float | None = None
    action_probabilities: dict[str, float] = field(default_factory=dict)  # short / flat / long, sums to 1
    recommended_action: str | None = None  # short / flat / long
    target_position: int | None = None
    method: str | None = None
    base_win_rate: float | None = None  # win rate of the policy's trades on held-out bars
    held_out_trades: int | None = None  # trades behind `probability`
    model_probability: float | None = None  # QR-DQN: P(Z(s, a) > 0) for `direction`, uncalibrated
    state_source: str | None = None

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


@dataclass(frozen=True, slots=True)
class TrainResult:
    model_type: str
    market: str
    seed: int
    steps: int
    checkpoint_dir: str
    wall_time_s: float
    steps_per_s: float
    evaluation: dict[str, float]
