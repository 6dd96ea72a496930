"""`RLService`: what the engine holds to answer CVaR, QR-DQN quantile, ensemble weight and trade
probability questions from trained checkpoints.

Importing this module does not import torch. Checkpoints are loaded on first use and reloaded when a
new training run replaces them. Without a checkpoint every report has `trained=False` and a sentence
(FR / EN) saying how to train, never made-up numbers. Malformed input (bars, observation, weights,
market) raises `RLInputError` with a sentence in each language.

"Probability of a profitable trade": a trade is the position the model would open now, held as the
policy holds it until it goes flat or flips; profitable = net P&L > 0 after commission and slippage on
entry and exit. For every model type the number comes from the trades the trained policy made on the
held-out bars (trade_outcome.py): a logistic model of the outcome given the entry features and side,
used only when it beat the plain held-out win rate on a later slice of those trades; otherwise that win
rate itself. It is given for a long and a short entry; `direction` is the side the policy prefers
(PPO: its action probabilities; QR-DQN: the larger E[Z]; ensemble: the sign of the weighted action).
QR-DQN's own P(Z(s, a) > 0) -- the share of the quantiles of its return distribution above zero -- is
reported as `model_probability` but not used as the answer: Z is the discounted P&L to go of the whole
greedy policy (later trades included), and Q-learning's max makes it optimistic; the checkpoint
records how it compared with the realised win rate of the held-out trades.
Action distributions: PPO's categorical policy; QR-DQN's greedy policy (one-hot); the ensemble's
weighted mixture of SAC (closed-form Gaussian), PPO and DDPG (point mass).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence, TypeAlias, Union

import numpy as np
import pandas as pd

from trading_core.config import MiaConfig
from trading_core.intelligence.rl.checkpoints import (
    METADATA_FILE,
    CheckpointInvalid,
    CheckpointMissing,
    checkpoint_dir,
    load_state,
    read_metadata,
)
from trading_core.intelligence.rl.env import AGENT_STATE_FEATURES, EnvConfig, TradingEnv, market_spec
from trading_core.intelligence.rl.observation import CLIP, WARMUP_BARS, Normaliser, compute_features
from trading_core.intelligence.rl.trade_outcome import TradeOutcomeModel
from trading_core.intelligence.rl.types import (
    ACTION_NAMES,
    ENSEMBLE_MEMBERS,
    MODEL_TYPES,
    CvarReport,
    EnsembleWeightsReport,
    QuantileReport,
    RLInputError,
    TradeProbability,
)
from trading_core.intelligence.rl.weights import normalise_weights
from trading_core.types import Bar

_LABEL_EN = {"ppo_cvar": "PPO-CVaR", "qr_dqn": "QR-DQN", "ensemble": "SAC+PPO+DDPG ensemble"}
_LABEL_FR = {"ppo_cvar": "PPO-CVaR", "qr_dqn": "QR-DQN", "ensemble": "ensemble SAC+PPO+DDPG"}
_ACTION_FR = {"short": "vente", "flat": "neutre", "long": "achat"}
_KEEP_BARS = 4 * WARMUP_BARS  # recent bars remembered as the "current state"
Bars: TypeAlias = Union["pd.DataFrame", Sequence[Bar]]


@dataclass(slots=True)
class LoadedModel:
    model_type: str
    market: str
    directory: Path
    meta: dict[str, Any]
    mtime_ns: int
    agent: Any
    env_cfg: EnvConfig
    normaliser: Normaliser
    outcome: TradeOutcomeModel


@dataclass(frozen=True, slots=True)
class PolicyRun:
    """The deployed policy stepped through a bar series (flat during the warm-up bars)."""

    index: pd.Index
    positions: np.ndarray  # contracts held from bar t to t+1
    pnl_usd: np.ndarray  # mark-to-market P&L over bar t -> t+1
    cost_usd: np.ndarray  # commission + slippage paid at bar t

    @property
    def net_usd(self) -> np.ndarray:
        return self.pnl_usd - self.cost_usd


def _pct(x: float) -> str:
    return f"{100.0 * x:.0f}%"


def _pct_fr(x: float) -> str:
    return f"{100.0 * x:.0f} %"


def _usd(x: float) -> str:
    return f"{x:,.0f} USD"


def _usd_fr(x: float) -> str:
    return f"{x:,.0f} USD".replace(",", "\u202f")


def _num_fr(x: float, signed: bool = False) -> str:
    return (f"{x:+.2f}" if signed else f"{x:.2f}").replace(".", ",")


def target_names(max_position: int) -> tuple[str, ...]:
    if max_position == 1:
        return ACTION_NAMES
    return tuple(f"{k:+d}" if k else "flat" for k in range(-max_position, max_position + 1))


class RLService:
    """Lazy, cached access to the trained trade-probability models of each market."""

    def __init__(
        self,
        config: MiaConfig | None = None,
        *,
        market: str | None = None,
        data_dir: str | Path | None = None,
        model_type: str | None = None,
        weights: Sequence[float] | None = None,
        bars_source: Callable[[str], Bars | None] | None = None,
    ) -> None:
        """`bars_source(market)`, when given, supplies the recent bars for reports asked without bars or
        an observation (e.g. the engine's `lambda s: list(self.bars.get(s, ()))`)."""
        self.config = config or MiaConfig()
        self.bars_source = bars_source
        self.market = market or self.config.market
        market_spec(self.market)
        self.data_dir = Path(data_dir).expanduser() if data_dir is not None else self.config.data_path
        self.model_type = model_type or self.config.intelligence.model_type
        self._check_model_type(self.model_type)
        self.weights = normalise_weights(weights if weights is not None else self.config.intelligence.ensemble_weights)
        self._cache: dict[tuple[str, str], LoadedModel] = {}
        self._last_bars: dict[str, pd.DataFrame] = {}

    # ------------------------------------------------------------------ plumbing
    @staticmethod
    def _check_model_type(model_type: str) -> None:
        if model_type not in MODEL_TYPES:
            raise RLInputError(
                f"unknown model type {model_type!r}; choose one of {', '.join(MODEL_TYPES)}",
                f"type de modèle inconnu {model_type!r} ; choisissez parmi {', '.join(MODEL_TYPES)}",
            )

    def _market(self, market: str | None) -> str:
        m = market or self.market
        market_spec(m)
        return m

    def checkpoint_dir(self, model_type: str, market: str | None = None) -> Path:
        return checkpoint_dir(self.data_dir, model_type, self._market(market))

    def _untrained(self, model_type: str, market: str, exc: Exception | None) -> tuple[str, str]:
        cmd = f"mia train --model-type {model_type} --market {market}"
        if isinstance(exc, CheckpointInvalid):
            return (
                f"The {_LABEL_EN[model_type]} checkpoint for {market} cannot be used: {exc.message_en}. "
                f"Retrain it with: {cmd}",
                f"Le point de contrôle {_LABEL_FR[model_type]} pour {market} est inutilisable : {exc.message_fr}. "
                f"Ré-entraînez-le avec : {cmd}",
            )
        return (
            f"No trained {_LABEL_EN[model_type]} model for {market} yet. Train one with: {cmd}",
            f"Aucun modèle {_LABEL_FR[model_type]} entraîné pour {market}. Pour l'entraîner : {cmd}",
        )

    def _metadata(self, model_type: str, market: str) -> dict[str, Any]:
        return read_metadata(self.checkpoint_dir(model_type, market))

    def load(self, model_type: str, market: str | None = None) -> LoadedModel:
        """Load (or reuse) a checkpoint. Raises CheckpointMissing / CheckpointInvalid."""
        self._check_model_type(model_type)
        m = self._market(market)
        directory = self.checkpoint_dir(model_type, m)
        meta_path = directory / METADATA_FILE
        key = (model_type, m)
        cached = self._cache.get(key)
        try:
            mtime = meta_path.stat().st_mtime_ns
        except FileNotFoundError:
            self._cache.pop(key, None)
            raise CheckpointMissing(f"no checkpoint in {directory}", f"aucun point de contrôle dans {directory}") from None
        if cached is not None and cached.mtime_ns == mtime:
            return cached
        meta = read_metadata(directory)
        if meta.get("model_type") != model_type or meta.get("market") != m:
            raise CheckpointInvalid(
                f"{directory} holds a {meta.get('model_type')} model for {meta.get('market')}",
                f"{directory} contient un modèle {meta.get('model_type')} pour {meta.get('market')}",
            )
        from trading_core.intelligence.rl.agents import algo_config_from_json, make_agent  # torch, lazily
        from trading_core.intelligence.rl.ensemble import EnsembleAgent

        try:
            env_cfg = EnvConfig(**meta["env"])
            normaliser = Normaliser.from_json(meta["normalisation"])
            outcome = TradeOutcomeModel.from_json(meta["trade_outcome"])
            algo = algo_config_from_json(model_type, meta["algo"])
            agent = make_agent(model_type, int(meta["obs_dim"]), env_cfg.max_position, algo, int(meta["seed"]))
            agent.load_state_dict(load_state(directory, meta))
        except (CheckpointMissing, CheckpointInvalid):
            raise
        except RLInputError as exc:
            raise CheckpointInvalid(exc.message_en, exc.message_fr) from None
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointInvalid(
                f"metadata or weights are incomplete ({type(exc).__name__}: {exc})",
                f"métadonnées ou poids incomplets ({type(exc).__name__} : {exc})",
            ) from None
        if isinstance(agent, EnsembleAgent):
            agent.set_weights(self.weights)
        loaded = LoadedModel(model_type, m, directory, meta, mtime, agent, env_cfg, normaliser, outcome)
        self._cache[key] = loaded
        return loaded

    def warm_up(self, market: str | None = None) -> tuple[str, ...]:
        """Load every usable checkpoint of a market now (imports torch, ~1-2 s) so that the first spoken
        question does not wait; call it off the event loop (`asyncio.to_thread`). Returns what loaded."""
        ready = []
        for mt in MODEL_TYPES:
            try:
                self.load(mt, market)
                ready.append(mt)
            except (CheckpointMissing, CheckpointInvalid):
                continue
        return tuple(ready)

    def is_trained(self, model_type: str, market: str | None = None) -> bool:
        try:
            self._metadata(model_type, self._market(market))
            return True
        except (CheckpointMissing, CheckpointInvalid):
            return False

    def set_ensemble_weights(self, weights: Sequence[float]) -> tuple[float, ...]:
        """Validate and normalise new SAC / PPO / DDPG weights; applied to loaded ensembles at once."""
        self.weights = normalise_weights(weights)
        for (mt, _m), loaded in self._cache.items():
            if mt == "ensemble":
                loaded.agent.set_weights(self.weights)
        return self.weights

    def update_bars(self, bars: Bars, market: str | None = None) -> None:
        """Remember the latest bars as the market's current state for reports asked without bars."""
        m = self._market(market)
        from trading_core.intelligence.rl.observation import bars_to_frame

        self._last_bars[m] = bars_to_frame(bars).tail(_KEEP_BARS)

    # ------------------------------------------------------------------ observation
    def observation(
        self,
        loaded: LoadedModel,
        bars: Bars | None = None,
        obs: np.ndarray | Sequence[float] | None = None,
        position: int = 0,
        unrealised_usd: float = 0.0,
    ) -> tuple[np.ndarray | None, str | None]:
        """(1, D) normalised observation and where it came from, or (None, None) without any state."""
        dim = int(loaded.meta["obs_dim"])
        if obs is not None:
            arr = np.asarray(obs, dtype=np.float64).reshape(-1)
            if arr.size != dim or not np.isfinite(arr).all():
                raise RLInputError(
                    f"observation must be {dim} finite numbers (market features + "
                    f"{', '.join(AGENT_STATE_FEATURES)}), got {arr.size}",
                    f"l'observation doit compter {dim} nombres finis (variables de marché + "
                    f"{', '.join(AGENT_STATE_FEATURES)}), reçu {arr.size}",
                )
            return arr.astype(np.float32)[None, :], "observation"
        if bars is None and self.bars_source is not None:
            supplied = self.bars_source(loaded.market)
            # Right after start-up the engine has fewer bars than the warm-up: that is "no state yet".
            if supplied is not None and len(supplied) >= WARMUP_BARS:
                self.update_bars(supplied, loaded.market)
                return self._observation_from_last_bars(loaded, position, unrealised_usd), "bars_source"
        if bars is not None:
            self.update_bars(bars, loaded.market)
            source = "bars"
        elif loaded.market in self._last_bars:
            source = "last_state"
        else:
            return None, None
        return self._observation_from_last_bars(loaded, position, unrealised_usd), source

    def _observation_from_last_bars(self, loaded: LoadedModel, position: int, unrealised_usd: float) -> np.ndarray:
        frame = self._last_bars[loaded.market].tail(WARMUP_BARS)
        if len(frame) < WARMUP_BARS:
            raise RLInputError(
                f"need at least {WARMUP_BARS} recent bars to build the model's state, got {len(frame)}",
                f"il faut au moins {WARMUP_BARS} barres récentes pour construire l'état du modèle, reçu {len(frame)}",
            )
        raw = compute_features(frame).features[-1:]
        mkt = loaded.normaliser.apply(raw)
        cfg = loaded.env_cfg
        try:
            pos = float(np.clip(int(position), -cfg.max_position, cfg.max_position)) / cfg.max_position
            unreal = float(np.clip(float(unrealised_usd) / (4.0 * cfg.reward_scale_usd), -CLIP, CLIP))
        except (TypeError, ValueError):
            raise RLInputError(
                "position must be an integer and unrealised P&L a number",
                "la position doit être un entier et le P&L latent un nombre",
            ) from None
        if not math.isfinite(unreal):
            raise RLInputError("unrealised P&L must be finite", "le P&L latent doit être fini")
        return np.concatenate([mkt, np.array([[pos, unreal]], np.float32)], axis=1)

    # ------------------------------------------------------------------ reports
    def cvar_loss(self, market: str | None = None) -> CvarReport:
        """CVaR of the PPO-CVaR policy's episode losses on held-out bars (from the checkpoint; no torch)."""
        m = self._market(market)
        try:
            meta = self._metadata("ppo_cvar", m)
            c = meta["cvar"]
            cvar, var = c["cvar_loss_usd"], c["var_loss_usd"]
            alpha, lam = float(c["alpha"]), float(c["lagrange_multiplier"])
        except (CheckpointMissing, CheckpointInvalid, KeyError, TypeError) as exc:
            err = exc if isinstance(exc, (CheckpointMissing, CheckpointInvalid)) else CheckpointInvalid(
                "metadata has no CVaR figures", "les métadonnées n'ont pas de chiffres CVaR")
            en, fr = self._untrained("ppo_cvar", m, err)
            return CvarReport(trained=False, market=m, message_en=en, message_fr=fr)
        eps, bars_n = int(c["episodes"]), int(c["episode_bars"])
        limit = c.get("cvar_limit_usd")
        hist = tuple((int(s), float("nan") if cv is None else float(cv), float(lm))
                     for s, cv, lm, *_ in meta.get("history", []))
        within_en = within_fr = ""
        if limit is not None:
            ok = cvar <= limit
            within_en = f", {'within' if ok else 'above'} the {_usd(limit)} limit"
            within_fr = f", {'sous' if ok else 'au-dessus de'} la limite de {_usd_fr(limit)}"
        lvl = int(round(alpha * 100))
        return CvarReport(
            trained=True,
            market=m,
            message_en=(
                f"{m}: CVaR {lvl}% of the PPO-CVaR policy is a loss of {_usd(cvar)} per contract per "
                f"{bars_n}-bar episode{within_en} (VaR {_usd(var)}, multiplier λ = {lam:.2f}, "
                f"{eps} held-out episodes)."
            ),
            message_fr=(
                f"{m} : la CVaR {lvl} % de la politique PPO-CVaR est une perte de {_usd_fr(cvar)} par contrat "
                f"et par épisode de {bars_n} barres{within_fr} (VaR {_usd_fr(var)}, multiplicateur λ = "
                f"{_num_fr(lam)}, {eps} épisodes hors échantillon)."
            ),
            alpha=alpha,
            cvar_loss_usd=float(cvar),
            var_loss_usd=float(var),
            cvar_loss_normalised=float(c["cvar_loss_normalised"]),
            cvar_limit_usd=None if limit is None else float(limit),
            lagrange_multiplier=lam,
            episodes=eps,
            episode_bars=bars_n,
            trained_steps=int(meta.get("env_steps", meta.get("steps", 0))),
            history=hist,
        )

    def qr_quantiles(
        self,
        bars: Bars | None = None,
        obs: np.ndarray | Sequence[float] | None = None,
        market: str | None = None,
        position: int = 0,
        unrealised_usd: float = 0.0,
    ) -> QuantileReport:
        """Quantiles (USD) of the QR-DQN return distribution per action for the current state."""
        m = self._market(market)
        try:
            loaded = self.load("qr_dqn", m)
        except (CheckpointMissing, CheckpointInvalid) as exc:
            en, fr = self._untrained("qr_dqn", m, exc)
            return QuantileReport(trained=False, market=m, message_en=en, message_fr=fr)
        from trading_core.intelligence.rl.qr_dqn import quantile_taus

        agent = loaded.agent
        n_q = agent.cfg.n_quantiles
        taus = tuple(float(t) for t in quantile_taus(n_q))
        names = target_names(loaded.env_cfg.max_position)
        x, source = self.observation(loaded, bars, obs, position, unrealised_usd)
        if x is None:
            return QuantileReport(
                trained=True, market=m, n_quantiles=n_q, taus=taus, actions=names,
                message_en=f"{m}: the QR-DQN model is trained ({n_q} quantiles) but no market state is known yet; "
                           f"at least {WARMUP_BARS} recent 1-minute bars are needed to get the quantiles.",
                message_fr=f"{m} : le modèle QR-DQN est entraîné ({n_q} quantiles) mais aucun état de marché "
                           f"n'est encore connu ; il faut au moins {WARMUP_BARS} barres d'une minute récentes pour obtenir les quantiles.",
            )
        raw = agent.quantiles(x)[0] * loaded.env_cfg.reward_scale_usd  # (A, N) USD
        crossing = float(np.max(np.maximum(0.0, raw[:, :-1] - raw[:, 1:]))) if n_q > 1 else 0.0
        q = np.sort(raw, axis=1)
        mean = q.mean(axis=1)
        greedy = names[int(mean.argmax())]
        p_pos = (q > 0).mean(axis=1)
        med = {a: float(np.median(q[i])) for i, a in enumerate(names)}
        summary_en = "; ".join(f"{a}: median {_usd(med[a])}, P(>0) {_pct(p_pos[i])}" for i, a in enumerate(names))
        summary_fr = "; ".join(
            f"{_ACTION_FR.get(a, a)} : médiane {_usd_fr(med[a])}, P(>0) {_pct_fr(p_pos[i])}" for i, a in enumerate(names)
        )
        return QuantileReport(
            trained=True,
            market=m,
            message_en=f"{m} QR-DQN return quantiles ({n_q}) — {summary_en}. Best action: {greedy}.",
            message_fr=f"{m} quantiles QR-DQN du rendement ({n_q}) — {summary_fr}. Meilleure action : "
                       f"{_ACTION_FR.get(greedy, greedy)}.",
            n_quantiles=n_q,
            taus=taus,
            actions=names,
            quantiles_usd={a: tuple(float(v) for v in q[i]) for i, a in enumerate(names)},
            expected_usd={a: float(mean[i]) for i, a in enumerate(names)},
            prob_positive={a: float(p_pos[i]) for i, a in enumerate(names)},
            greedy_action=greedy,
            state_source=source,
            max_crossing_usd=crossing,
        )

    def ensemble_weights(
        self,
        bars: Bars | None = None,
        obs: np.ndarray | Sequence[float] | None = None,
        market: str | None = None,
        position: int = 0,
        unrealised_usd: float = 0.0,
    ) -> EnsembleWeightsReport:
        """The ensemble's weights (configuration) and, with a state, each member's action."""
        m = self._market(market)
        w = self.weights
        w_en = ", ".join(f"{name.upper()} {_pct(x)}" for name, x in zip(ENSEMBLE_MEMBERS, w))
        w_fr = ", ".join(f"{name.upper()} {_pct_fr(x)}" for name, x in zip(ENSEMBLE_MEMBERS, w))
        try:
            loaded = self.load("ensemble", m)
        except (CheckpointMissing, CheckpointInvalid) as exc:
            en, fr = self._untrained("ensemble", m, exc)
            return EnsembleWeightsReport(
                trained=False, market=m, weights=w,
                message_en=f"Configured ensemble weights: {w_en}. {en}",
                message_fr=f"Poids configurés de l'ensemble : {w_fr}. {fr}",
            )
        x, source = self.observation(loaded, bars, obs, position, unrealised_usd)
        if x is None:
            return EnsembleWeightsReport(
                trained=True, market=m, weights=w,
                message_en=f"{m} ensemble weights: {w_en}. Each member's action needs at least {WARMUP_BARS} recent "
                           "1-minute bars.",
                message_fr=f"{m} poids de l'ensemble : {w_fr}. L'action de chaque membre demande au moins "
                           f"{WARMUP_BARS} barres d'une minute récentes.",
            )
        agent = loaded.agent
        acts = {k: float(v[0]) for k, v in agent.member_actions(x).items()}
        combined = float(sum(wi * acts[k] for wi, k in zip(w, ENSEMBLE_MEMBERS)))
        target = int(agent.targets(x)[0])
        a_en = ", ".join(f"{k.upper()} {acts[k]:+.2f}" for k in ENSEMBLE_MEMBERS)
        a_fr = ", ".join(f"{k.upper()} {_num_fr(acts[k], signed=True)}" for k in ENSEMBLE_MEMBERS)
        return EnsembleWeightsReport(
            trained=True,
            market=m,
            weights=w,
            member_actions=acts,
            combined_action=combined,
            target_position=target,
            state_source=source,
            message_en=f"{m} ensemble weights: {w_en}. Member actions (-1 short .. +1 long): {a_en}; "
                       f"combined {combined:+.2f} -> target position {target:+d}.",
            message_fr=f"{m} poids de l'ensemble : {w_fr}. Actions des membres (-1 vente .. +1 achat) : {a_fr} ; "
                       f"combinée {_num_fr(combined, signed=True)} -> position cible {target:+d}.",
        )

    def trade_probability(
        self,
        bars: Bars | None = None,
        obs: np.ndarray | Sequence[float] | None = None,
        market: str | None = None,
        model_type: str | None = None,
        position: int = 0,
        unrealised_usd: float = 0.0,
    ) -> TradeProbability:
        """Probability of a profitable trade and the action distribution for the current state."""
        m = self._market(market)
        mt = model_type or self.model_type
        self._check_model_type(mt)
        try:
            loaded = self.load(mt, m)
        except (CheckpointMissing, CheckpointInvalid) as exc:
            en, fr = self._untrained(mt, m, exc)
            return TradeProbability(trained=False, market=m, model_type=mt, message_en=en, message_fr=fr)
        x, source = self.observation(loaded, bars, obs, position, unrealised_usd)
        base = loaded.outcome.win_rate
        if x is None:
            return TradeProbability(
                trained=True, market=m, model_type=mt, base_win_rate=base,
                message_en=f"{m}: the {_LABEL_EN[mt]} model is trained but no market state is known yet; "
                           f"it needs at least {WARMUP_BARS} recent 1-minute bars.",
                message_fr=f"{m} : le modèle {_LABEL_FR[mt]} est entraîné mais aucun état de marché n'est encore "
                           f"connu ; il faut au moins {WARMUP_BARS} barres d'une minute récentes.",
            )
        agent = loaded.agent
        cfg = loaded.env_cfg
        dist = agent.action_distribution(x)[0]
        target = int(agent.targets(x)[0])
        n_feat = x.shape[1] - len(AGENT_STATE_FEATURES)
        outcome = loaded.outcome
        p_long = float(outcome.predict(x[:, :n_feat], +1.0)[0])
        p_short = float(outcome.predict(x[:, :n_feat], -1.0)[0])
        model_p: float | None = None
        note_en = note_fr = ""
        if mt == "qr_dqn":
            z = np.sort(agent.quantiles(x)[0], axis=1)  # (A, N), reward units
            mean = z.mean(axis=1)
            mp = cfg.max_position
            long_i = mp + 1 + int(mean[mp + 1:].argmax())
            short_i = int(mean[:mp].argmax())
            prefer_long = bool(mean[long_i] >= mean[short_i])
            model_p = float((z[long_i if prefer_long else short_i] > 0).mean())
            cal = loaded.meta.get("qr_calibration") or {}
            note_en = f" QR-DQN's own distribution says {_pct(model_p)}"
            note_fr = f" La distribution QR-DQN seule donne {_pct_fr(model_p)}"
            if cal.get("mean_p_z_positive") is not None and cal.get("realised_win_rate") is not None:
                note_en += (f"; on held-out trades it averaged {_pct(cal['mean_p_z_positive'])} against "
                            f"{_pct(cal['realised_win_rate'])} realised")
                note_fr += (f" ; sur les trades hors échantillon elle donnait {_pct_fr(cal['mean_p_z_positive'])} "
                            f"en moyenne pour {_pct_fr(cal['realised_win_rate'])} réalisés")
            note_en, note_fr = note_en + ".", note_fr + "."
        elif mt == "ensemble":
            c = float(agent.combined_action(x)[0])
            prefer_long = c > 0 or (c == 0 and dist[2] >= dist[0])
        else:
            prefer_long = bool(dist[2] >= dist[0])
        n_tr = outcome.n_trades
        if outcome.weights is not None:
            method = (f"logistic trade-outcome model on {n_tr} held-out trades of this policy (it beat their "
                      "win rate on a later slice of them)")
        elif n_tr == 0:
            method = "no held-out trades: 50% is an uninformed prior, not an estimate"
        elif outcome.brier_model_holdout is None:
            method = f"smoothed win rate of {n_tr} held-out trades of this policy (too few for a model)"
        else:
            method = (f"smoothed win rate of {n_tr} held-out trades of this policy (a logistic model did not "
                      "beat it on a later slice)")
        direction = "long" if prefer_long else "short"
        prob = p_long if prefer_long else p_short
        action = ACTION_NAMES[int(np.sign(target)) + 1]
        dist_d = {a: float(p) for a, p in zip(ACTION_NAMES, dist)}
        d_en = ", ".join(f"{a} {_pct(dist_d[a])}" for a in ("long", "flat", "short"))
        d_fr = ", ".join(f"{_ACTION_FR[a]} {_pct_fr(dist_d[a])}" for a in ("long", "flat", "short"))
        dir_fr = "acheteur" if prefer_long else "vendeur"
        return TradeProbability(
            trained=True,
            market=m,
            model_type=mt,
            probability=prob,
            direction=direction,
            probability_long=p_long,
            probability_short=p_short,
            action_probabilities=dist_d,
            recommended_action=action,
            target_position=target,
            method=method,
            base_win_rate=base,
            held_out_trades=outcome.n_trades,
            model_probability=model_p,
            state_source=source,
            message_en=f"{m} {_LABEL_EN[mt]}: probability of a profitable {direction} trade {_pct(prob)}, "
                       f"from {outcome.n_trades} held-out trades (recommended: {action}; policy {d_en}).{note_en}",
            message_fr=f"{m} {_LABEL_FR[mt]} : probabilité d'un trade {dir_fr} gagnant {_pct_fr(prob)}, "
                       f"d'après {outcome.n_trades} trades hors échantillon (recommandé : {_ACTION_FR[action]} ; "
                       f"politique {d_fr}).{note_fr}",
        )

    # ------------------------------------------------------------------ batch use (evaluation, figures)
    def run_policy(self, bars: Bars, model_type: str | None = None, market: str | None = None) -> PolicyRun:
        """Step the deployed policy through `bars` in time order, position fed back into the state.
        Raises CheckpointMissing when the model is not trained."""
        mt = model_type or self.model_type
        loaded = self.load(mt, market)
        series = compute_features(bars)
        n = series.n
        if n < WARMUP_BARS + 2:
            raise RLInputError(
                f"need at least {WARMUP_BARS + 2} bars to run a policy, got {n}",
                f"il faut au moins {WARMUP_BARS + 2} barres pour exécuter une politique, reçu {n}",
            )
        start = WARMUP_BARS - 1
        cfg = EnvConfig(**{**loaded.env_cfg.to_json(), "episode_bars": n - 1 - start})
        env = TradingEnv(loaded.normaliser.apply(series.features), series.close, cfg, n_envs=1,
                         bounds=(start, n), auto_reset=False)
        obs = env.reset(np.array([start]))
        positions = np.zeros(n, np.int64)
        pnl = np.zeros(n)
        cost = np.zeros(n)
        for t in range(start, n - 1):
            res = env.step(loaded.agent.targets(obs))
            positions[t], pnl[t], cost[t] = res.position[0], res.pnl_usd[0], res.cost_usd[0]
            obs = res.obs
        return PolicyRun(index=series.index, positions=positions, pnl_usd=pnl, cost_usd=cost)
