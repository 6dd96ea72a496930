"""Typed results of the market-intelligence layer, rendered by the speech and chat answers.

Probabilities are in 0..1. SHAP values are in log-odds units of the XGBoost member of the
ensemble filter (TreeSHAP through `pred_contribs`): positive pushes towards "the trade wins".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

REGIMES: tuple[str, ...] = ("trend", "range", "defensive")
# What front ends say for each regime, per language.
REGIME_NAMES: dict[str, dict[str, str]] = {
    "trend": {"en": "trending", "fr": "tendance"},
    "range": {"en": "range-bound", "fr": "en range"},
    "defensive": {"en": "defensive (high volatility)", "fr": "défensif (forte volatilité)"},
    "unknown": {"en": "unknown (not enough data)", "fr": "inconnu (pas assez de données)"},
}
GAMMA_PHASES: tuple[str, ...] = ("expiry_week", "gamma_peak", "gamma_moderate", "normal", "post_expiry")
GAMMA_PHASE_NAMES: dict[str, dict[str, str]] = {
    "expiry_week": {"en": "options expiry week", "fr": "semaine d'expiration des options"},
    "gamma_peak": {"en": "gamma peak (week before expiry)", "fr": "pic de gamma (semaine avant l'expiration)"},
    "gamma_moderate": {"en": "moderate gamma", "fr": "gamma modéré"},
    "normal": {"en": "normal", "fr": "normal"},
    "post_expiry": {"en": "post-expiry", "fr": "après l'expiration"},
}


class IntelligenceInputError(ValueError):
    """Bad input to the intelligence layer, with a sentence in each language. Nothing is changed when raised."""

    def __init__(self, message_en: str, message_fr: str) -> None:
        self.message_en, self.message_fr = message_en, message_fr
        super().__init__(message_en)

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


@dataclass(frozen=True, slots=True)
class RegimeInfo:
    """Current market regime of one symbol from the forward-filtered 3-state Gaussian HMM."""

    symbol: str
    regime: str  # "trend" / "range" / "defensive", or "unknown" before enough bars
    probability: float  # filtered probability of `regime`
    distribution: dict[str, float]  # the seeds' hmm_state_distribution: regime -> probability (sums to 1)
    ts: datetime | None  # start of the last bar used (UTC)
    bars_seen: int = 0
    model_source: str = ""  # "checkpoint", "trained:<source>" ...

    def name(self, lang: str) -> str:
        return REGIME_NAMES.get(self.regime, REGIME_NAMES["unknown"])["fr" if lang == "fr" else "en"]


@dataclass(frozen=True, slots=True)
class FeatureImportance:
    """One feature and its importance: mean |SHAP| globally, or the signed SHAP value for one signal."""

    name: str
    value: float


@dataclass(frozen=True, slots=True)
class SignalQuality:
    """The ensemble filter's verdict on one trade signal."""

    symbol: str
    side: str  # "BUY" / "SELL"
    probability: float  # ensemble mean P(trade wins after costs)
    approved: bool  # probability >= threshold
    threshold: float
    model_probabilities: dict[str, float]  # "random_forest" / "xgboost" / "logistic_regression" -> probability
    top_features: tuple[FeatureImportance, ...]  # signed SHAP contributions of this signal, largest |value| first
    regime: RegimeInfo | None = None
    gamma_phase: str = "normal"
    position_factor: float = 1.0  # the gamma-cycle size adjustment (config gamma_factors)
    cached: bool = False  # answered from the prediction cache
    ts: datetime | None = None  # bar the features describe
    features: dict[str, float] = field(default_factory=dict)  # the model inputs that were scored

    def verdict(self, lang: str) -> str:
        if lang == "fr":
            return "approuvé" if self.approved else "rejeté"
        return "approved" if self.approved else "rejected"
