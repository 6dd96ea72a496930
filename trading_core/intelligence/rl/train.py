"""Train one model type on one market and save a checkpoint. Imports torch.

Pipeline: bars -> features (observation.py) -> time split (first 80 % train, last 20 % held out) ->
normalisation fitted on the training part -> learner -> evaluation of the deployed policy on
non-overlapping held-out windows (episode P&L, CVaR, trades, buy-and-hold on the same windows) ->
trade-outcome model fitted on the held-out trades -> checkpoint.

Reward scale: the standard deviation of one contract's one-bar P&L on the training part, so rewards
are O(1) for every market. CVaR limit (PPO-CVaR): `cvar_limit_fraction` x the CVaR of holding one
contract long over training windows of the same length, i.e. "at most half the tail loss of buy and
hold" by default.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trading_core.config import MiaConfig
from trading_core.intelligence.rl.agents import AlgoConfig, make_agent
from trading_core.intelligence.rl.checkpoints import checkpoint_dir, save_checkpoint
from trading_core.intelligence.rl.defaults import (
    CVAR_ALPHA,
    CVAR_LIMIT_FRACTION,
    DEFAULT_SEED,
    DEFAULT_STEPS,
    DEFAULT_SYNTHETIC_BARS,
    EVAL_FRACTION,
    VERSION,
)
from trading_core.intelligence.rl.data import load_csv_bars, synthetic_bars
from trading_core.intelligence.rl.ensemble import EnsembleAgent, EnsembleConfig
from trading_core.intelligence.rl.env import EnvConfig, TradingEnv
from trading_core.intelligence.rl.observation import FEATURE_NAMES, WARMUP_BARS, Normaliser, compute_features
from trading_core.intelligence.rl.policy_eval import evaluate_policy
from trading_core.intelligence.rl.ppo_cvar import PPOAgent, PPOConfig, empirical_var_cvar
from trading_core.intelligence.rl.qr_dqn import QRDQNConfig
from trading_core.intelligence.rl.trade_outcome import TradeOutcomeModel
from trading_core.intelligence.rl.types import MODEL_TYPES, RLInputError, TrainResult
from trading_core.intelligence.rl.weights import normalise_weights



def default_algo_config(model_type: str, config: MiaConfig) -> AlgoConfig:
    ic = config.intelligence
    if model_type == "ppo_cvar":
        return PPOConfig(cvar_alpha=CVAR_ALPHA)
    if model_type == "qr_dqn":
        return QRDQNConfig(n_quantiles=ic.qr_quantiles)
    if model_type == "ensemble":
        return EnsembleConfig(weights=normalise_weights(ic.ensemble_weights))
    raise RLInputError(
        f"unknown model type {model_type!r}; choose one of {', '.join(MODEL_TYPES)}",
        f"type de modèle inconnu {model_type!r} ; choisissez parmi {', '.join(MODEL_TYPES)}",
    )


def buy_hold_cvar(close: np.ndarray, cfg: EnvConfig, lo: int, hi: int, alpha: float) -> float:
    """CVaR_alpha (USD) of the loss of one contract held long over every episode-length window in [lo, hi)."""
    starts = np.arange(lo, hi - cfg.episode_bars, max(1, cfg.episode_bars // 4))
    if starts.size == 0:
        return float("nan")
    pnl = (close[starts + cfg.episode_bars] - close[starts]) * cfg.point_value - cfg.cost_per_contract
    return empirical_var_cvar(-pnl, alpha)[1]


def qr_calibration(agent: Any, trades: Any) -> dict[str, float]:
    """How P(Z(s, a) > 0) at the held-out trade entries compares with how those trades ended."""
    z = agent.quantiles(trades.entry_obs.astype(np.float32))  # (K, A, N)
    mp = agent.max_position
    a_idx = mp + (trades.direction * mp).astype(np.int64)  # full-size long / short target
    p_raw = (z[np.arange(z.shape[0]), a_idx] > 0).mean(axis=1)
    won = (trades.net_usd > 0).astype(np.float64)
    return {
        "trades": float(trades.n),
        "mean_p_z_positive": float(p_raw.mean()),
        "realised_win_rate": float(won.mean()),
        "brier_p_z_positive": float(np.mean((p_raw - won) ** 2)),
        "brier_base_rate": float(np.mean((won.mean() - won) ** 2)),
    }


def train(model_type: str, market: str = "ES", **kwargs: Any) -> TrainResult:
    """Train `model_type` on `market` and save its checkpoint; same seed and inputs -> same weights.
    Keyword arguments are those of `train_agent`."""
    return train_agent(model_type, market, **kwargs)[0]


def train_agent(
    model_type: str,
    market: str = "ES",
    *,
    bars: pd.DataFrame | None = None,
    data_path: str | Path | None = None,
    steps: int | None = None,
    seed: int = DEFAULT_SEED,
    config: MiaConfig | None = None,
    data_dir: str | Path | None = None,
    algo_config: AlgoConfig | None = None,
    env_overrides: dict[str, Any] | None = None,
    synthetic_n_bars: int = DEFAULT_SYNTHETIC_BARS,
    progress: bool = True,
    threads: int | None = None,
) -> tuple[TrainResult, Any]:
    """Train, evaluate on the held-out bars, save; returns the result and the trained learner."""
    from trading_core.intelligence.rl.nets import TRAIN_THREADS, seed_everything  # torch, lazily

    config = config or MiaConfig()
    if model_type not in MODEL_TYPES:
        raise RLInputError(
            f"unknown model type {model_type!r}; choose one of {', '.join(MODEL_TYPES)}",
            f"type de modèle inconnu {model_type!r} ; choisissez parmi {', '.join(MODEL_TYPES)}",
        )
    steps = DEFAULT_STEPS[model_type] if steps is None else int(steps)
    if steps < 1:
        raise RLInputError(f"steps must be a positive integer, got {steps}",
                           f"le nombre de pas doit être un entier positif, reçu {steps}")
    env_kw = {
        "commission_per_contract": float(config.paper.commission_per_contract),
        "slippage_ticks": float(config.paper.slippage_ticks),
        **(env_overrides or {}),
    }
    env_cfg = EnvConfig.for_market(market, **env_kw)

    # ------------------------------------------------------------------ data
    if bars is not None:
        data_info: dict[str, Any] = {"source": "dataframe", "bars": int(len(bars))}
    elif data_path is not None:
        bars, data_info = load_csv_bars(data_path, market)
    else:
        bars, data_info = synthetic_bars(synthetic_n_bars, market, seed)
    series = compute_features(bars)
    n = series.n
    split = int(n * (1.0 - EVAL_FRACTION))
    if split - WARMUP_BARS < env_cfg.episode_bars + 1 or n - split < env_cfg.episode_bars + 1:
        need = math.ceil((env_cfg.episode_bars + 1 + WARMUP_BARS) / (1 - EVAL_FRACTION))
        need = max(need, math.ceil((env_cfg.episode_bars + 1) / EVAL_FRACTION))
        raise RLInputError(
            f"{n} bars are too few: with {env_cfg.episode_bars}-bar episodes at least {need} are needed",
            f"{n} barres ne suffisent pas : avec des épisodes de {env_cfg.episode_bars} barres il en faut au moins {need}",
        )
    norm = Normaliser.fit(series.features[:split])
    features = norm.apply(series.features)
    close = series.close
    bar_sd = float(np.std(np.diff(close[WARMUP_BARS:split]))) * env_cfg.point_value
    # Flat prices (only in contrived data) would give a zero scale; one tick keeps rewards finite.
    env_cfg = replace(env_cfg, reward_scale_usd=bar_sd if bar_sd > 0 else env_cfg.tick_value)
    train_bounds = (WARMUP_BARS - 1, split)
    eval_bounds = (split, n)

    algo = algo_config or default_algo_config(model_type, config)
    cvar_extra: dict[str, Any] = {}
    if model_type == "ppo_cvar" and isinstance(algo, PPOConfig):
        bh_cvar = buy_hold_cvar(close, env_cfg, *train_bounds, algo.cvar_alpha)
        limit = CVAR_LIMIT_FRACTION * bh_cvar if np.isfinite(bh_cvar) and bh_cvar > 0 else 2 * env_cfg.cost_per_contract
        algo = replace(algo, cvar_limit_usd=float(limit))
        cvar_extra = {"buy_hold_cvar_usd": bh_cvar, "limit_fraction": CVAR_LIMIT_FRACTION}

    # ------------------------------------------------------------------ learn
    threads = TRAIN_THREADS if threads is None else int(threads)
    seed_everything(seed, threads)
    obs_dim = features.shape[1] + 2
    agent = make_agent(model_type, obs_dim, env_cfg.max_position, algo, seed)

    def make_env(n_envs: int, env_seed: int) -> TradingEnv:
        return TradingEnv(features, close, env_cfg, n_envs=n_envs, seed=env_seed, bounds=train_bounds)

    total = steps * (3 if model_type == "ensemble" else 1)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="step", desc=f"train {model_type} {market}", dynamic_ncols=True)
    t0 = time.perf_counter()
    try:
        cb = bar.update if bar is not None else None
        if isinstance(agent, EnsembleAgent):
            env_steps = agent.learn(make_env, steps, cb, seed=seed)
        else:
            env_steps = agent.learn(make_env(algo.n_envs, seed + 1), steps, cb)  # type: ignore[union-attr]
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t0

    # ------------------------------------------------------------------ evaluate on held-out bars
    ev = evaluate_policy(agent.targets, features, close, env_cfg, eval_bounds)
    outcome = TradeOutcomeModel.fit(ev.trades)
    evaluation = ev.summary()
    evaluation["wall_time_s"] = wall
    evaluation["env_steps"] = float(env_steps)
    meta: dict[str, Any] = {
        "model_type": model_type,
        "market": market,
        "seed": seed,
        "steps": steps,
        "env_steps": env_steps,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "software": VERSION,
        "torch_version": _torch_version(),
        "torch_threads": threads,
        "data": {**data_info, "train_bars": split, "eval_bars": n - split, "eval_fraction": EVAL_FRACTION},
        "env": env_cfg.to_json(),
        "algo": algo.to_json(),
        "obs_dim": obs_dim,
        "observation": {"market_features": list(FEATURE_NAMES), "agent_features": ["position", "unrealised_pnl"],
                        "warmup_bars": WARMUP_BARS},
        "normalisation": norm.to_json(),
        "evaluation": evaluation,
        "trade_outcome": outcome.to_json(),
    }
    if model_type == "qr_dqn" and ev.trades.n and ev.trades.entry_obs is not None:
        meta["qr_calibration"] = qr_calibration(agent, ev.trades)
    if isinstance(agent, PPOAgent) and model_type == "ppo_cvar":
        alpha = algo.cvar_alpha  # type: ignore[union-attr]
        var_usd, cvar_usd = ev.var_cvar(alpha)
        meta["cvar"] = {
            "alpha": alpha,
            "cvar_loss_usd": cvar_usd,
            "var_loss_usd": var_usd,
            "cvar_loss_normalised": cvar_usd / env_cfg.reward_scale_usd,
            "cvar_limit_usd": algo.cvar_limit_usd,  # type: ignore[union-attr]
            "lagrange_multiplier": agent.lam,
            "episodes": int(ev.episode_returns_usd.size),
            "episode_bars": env_cfg.episode_bars,
            **cvar_extra,
        }
        meta["history"] = [[s, c, lam, r] for s, c, lam, r in agent.history]
    out_dir = checkpoint_dir(data_dir if data_dir is not None else config.data_path, model_type, market)
    save_checkpoint(out_dir, agent.state_dict(), meta)
    result = TrainResult(
        model_type=model_type,
        market=market,
        seed=seed,
        steps=steps,
        checkpoint_dir=str(out_dir),
        wall_time_s=wall,
        steps_per_s=env_steps / wall if wall > 0 else float("inf"),
        evaluation=evaluation,
    )
    return result, agent


def _torch_version() -> str:
    import torch

    return str(torch.__version__)
