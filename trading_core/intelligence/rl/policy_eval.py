"""Run a deployed (greedy / mean-action) policy on fixed, non-overlapping windows of held-out bars.

Gives the episode net P&L distribution (for CVaR), the trades (for the trade-outcome model) and the same
windows' buy-and-hold result, so that reports compare the policy with the simplest baseline.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from trading_core.intelligence.rl.env import EnvConfig, TradingEnv
from trading_core.intelligence.rl.trade_outcome import Trades, extract_trades
from trading_core.intelligence.rl.types import RLInputError

MAX_EVAL_EPISODES = 512


@dataclass(frozen=True, slots=True)
class EvalResult:
    episode_returns_usd: np.ndarray
    buy_hold_returns_usd: np.ndarray  # one contract long for the same windows, entry cost paid
    trades: Trades
    episode_bars: int

    def var_cvar(self, alpha: float) -> tuple[float, float]:
        """(VaR, CVaR) of episode losses (USD, positive = loss): mean of the worst ceil(alpha * n)."""
        losses = np.sort(-self.episode_returns_usd)[::-1]
        k = max(1, math.ceil(alpha * losses.size))
        return float(losses[k - 1]), float(losses[:k].mean())

    def summary(self) -> dict[str, float]:
        r, bh = self.episode_returns_usd, self.buy_hold_returns_usd
        t = self.trades
        return {
            "episodes": float(r.size),
            "episode_bars": float(self.episode_bars),
            "mean_episode_usd": float(r.mean()),
            "std_episode_usd": float(r.std()),
            "total_usd": float(r.sum()),
            "profitable_episode_share": float((r > 0).mean()),
            "buy_hold_mean_episode_usd": float(bh.mean()),
            "buy_hold_total_usd": float(bh.sum()),
            "trades": float(t.n),
            "trade_win_rate": float((t.net_usd > 0).mean()) if t.n else float("nan"),
            "mean_trade_usd": float(t.net_usd.mean()) if t.n else float("nan"),
        }


def window_starts(lo: int, hi: int, episode_bars: int, max_episodes: int = MAX_EVAL_EPISODES) -> np.ndarray:
    starts = np.arange(lo, hi - episode_bars, episode_bars, dtype=np.int64)
    if starts.size == 0:
        raise RLInputError(
            f"the evaluation segment ({hi - lo} bars) is shorter than one episode ({episode_bars + 1} bars)",
            f"le segment d'évaluation ({hi - lo} barres) est plus court qu'un épisode ({episode_bars + 1} barres)",
        )
    return starts[:max_episodes]


def evaluate_policy(
    targets_fn: Callable[[np.ndarray], np.ndarray],
    features: np.ndarray,
    close: np.ndarray,
    cfg: EnvConfig,
    bounds: tuple[int, int],
) -> EvalResult:
    starts = window_starts(bounds[0], bounds[1], cfg.episode_bars)
    env = TradingEnv(features, close, cfg, n_envs=starts.size, seed=0, bounds=bounds, auto_reset=False)
    obs = env.reset(starts)
    n_feat = features.shape[1]
    positions = np.zeros((cfg.episode_bars, starts.size), np.int64)
    pnl = np.zeros((cfg.episode_bars, starts.size))
    seen = np.zeros((cfg.episode_bars, starts.size, env.obs_dim), np.float32)
    returns = np.zeros(starts.size)
    for s in range(cfg.episode_bars):
        seen[s] = obs
        res = env.step(targets_fn(obs))
        positions[s], pnl[s] = res.position, res.pnl_usd
        done = res.done
        returns[done] = res.episode_return_usd[done]
        obs = res.obs
    bh = (close[starts + cfg.episode_bars] - close[starts]) * cfg.point_value - cfg.cost_per_contract
    return EvalResult(
        episode_returns_usd=returns,
        buy_hold_returns_usd=bh,
        trades=extract_trades(positions, pnl, seen, cfg.cost_per_contract, n_market=n_feat),
        episode_bars=cfg.episode_bars,
    )
