"""Trades made by a policy, and a calibrated model of P(trade ends with a positive net P&L | entry state).

A trade is a run of bars with a non-zero position of one sign. Its net P&L is the mark-to-market P&L
over those bars minus every commission and slippage paid to open, resize and close it; a trade still
open when its evaluation window ends is charged the exit cost it would pay. Flipping long -> short
closes one trade and opens another (the flip cost is split by contracts closed / opened).

The outcome model is an L2-regularised logistic regression on [1, d, f, d*f] (d = +1 long / -1 short,
f = normalised market features at entry), fitted by Newton's method in numpy: small, deterministic,
stored as plain numbers in the checkpoint metadata. It is kept only if, fitted on the first 70 % of
the trades (in time order), it beats the constant base rate on the last 30 % (Brier score); otherwise
-- and with too few trades, or only wins / only losses -- the estimate is the smoothed win rate
(wins + 1) / (trades + 2). A number that does not beat the base rate is not presented as one that does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_TRADES_FOR_MODEL = 20
_L2 = 1.0


@dataclass(frozen=True, slots=True)
class Trades:
    entry_features: np.ndarray  # (K, F) market features at entry
    direction: np.ndarray  # (K,) +1 long, -1 short
    net_usd: np.ndarray  # (K,)
    entry_obs: np.ndarray | None = None  # (K, D) full observation the entry decision saw

    @property
    def n(self) -> int:
        return int(self.net_usd.shape[0])


def extract_trades(
    positions: np.ndarray, pnl_usd: np.ndarray, obs: np.ndarray, cost_per_contract: float,
    n_market: int | None = None,
) -> Trades:
    """`positions[s, e]` = position held over step s in env e, `pnl_usd[s, e]` its P&L, `obs[s, e]` the
    observation the decision at step s saw, whose first `n_market` columns (default: all) are the market
    features. Each env column is one window starting flat."""
    steps, n_envs = positions.shape
    feats: list[np.ndarray] = []
    dirs: list[int] = []
    nets: list[float] = []
    for e in range(n_envs):
        prev = 0
        net = 0.0
        for s in range(steps):
            p = int(positions[s, e])
            if np.sign(p) != np.sign(prev):
                if prev != 0:
                    nets.append(net - abs(prev) * cost_per_contract)
                if p != 0:
                    feats.append(obs[s, e])
                    dirs.append(1 if p > 0 else -1)
                    net = -abs(p) * cost_per_contract
            elif p != 0:
                net -= abs(p - prev) * cost_per_contract
            if p != 0:
                net += float(pnl_usd[s, e])
            prev = p
        if prev != 0:
            nets.append(net - abs(prev) * cost_per_contract)
    entry = np.asarray(feats, dtype=np.float64).reshape(-1, obs.shape[-1])
    m = obs.shape[-1] if n_market is None else n_market
    return Trades(
        entry_features=entry[:, :m],
        direction=np.asarray(dirs, dtype=np.float64),
        net_usd=np.asarray(nets, dtype=np.float64),
        entry_obs=entry,
    )


def _design(features: np.ndarray, direction: np.ndarray) -> np.ndarray:
    d = direction.reshape(-1, 1)
    return np.hstack([np.ones_like(d), d, features, d * features])


def _fit_logistic(x: np.ndarray, y: np.ndarray, iters: int = 50) -> np.ndarray:
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], _L2)
    reg[0] = 0.0  # the intercept is not shrunk
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + reg * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


@dataclass(frozen=True, slots=True)
class TradeOutcomeModel:
    weights: np.ndarray | None  # None: fall back to `base_rate`
    base_rate: float
    n_trades: int
    win_rate: float | None
    brier_model_holdout: float | None  # fit on the first 70 % of trades, scored on the last 30 %
    brier_base_holdout: float | None  # same split, constant base-rate forecast

    @classmethod
    def fit(cls, trades: Trades) -> "TradeOutcomeModel":
        y = (trades.net_usd > 0).astype(np.float64)
        n = trades.n
        base = (y.sum() + 1.0) / (n + 2.0)
        win = float(y.mean()) if n else None
        if n < MIN_TRADES_FOR_MODEL or y.min(initial=1.0) == y.max(initial=0.0):
            return cls(None, float(base), n, win, None, None)
        x = _design(trades.entry_features, trades.direction)
        cut = int(n * 0.7)
        if not (0 < y[:cut].mean() < 1):
            return cls(None, float(base), n, win, None, None)
        w_fit = _fit_logistic(x[:cut], y[:cut])
        p_hold = 1.0 / (1.0 + np.exp(-np.clip(x[cut:] @ w_fit, -30, 30)))
        brier_m = float(np.mean((p_hold - y[cut:]) ** 2))
        brier_b = float(np.mean((y[:cut].mean() - y[cut:]) ** 2))
        weights = _fit_logistic(x, y) if brier_m < brier_b else None
        return cls(weights, float(base), n, win, brier_m, brier_b)

    def predict(self, features: np.ndarray, direction: float) -> np.ndarray:
        """P(win) for each row of `features` (N, F) if a trade in `direction` (+1 / -1) opened there."""
        f = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if self.weights is None:
            return np.full(f.shape[0], self.base_rate)
        x = _design(f, np.full(f.shape[0], float(direction)))
        return 1.0 / (1.0 + np.exp(-np.clip(x @ self.weights, -30, 30)))

    def to_json(self) -> dict[str, Any]:
        return {
            "weights": None if self.weights is None else [float(v) for v in self.weights],
            "base_rate": self.base_rate,
            "n_trades": self.n_trades,
            "win_rate": self.win_rate,
            "brier_model_holdout": self.brier_model_holdout,
            "brier_base_holdout": self.brier_base_holdout,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "TradeOutcomeModel":
        w = d.get("weights")
        return cls(
            weights=None if w is None else np.asarray(w, dtype=np.float64),
            base_rate=float(d["base_rate"]),
            n_trades=int(d["n_trades"]),
            win_rate=d.get("win_rate"),
            brier_model_holdout=d.get("brier_model_holdout"),
            brier_base_holdout=d.get("brier_base_holdout"),
        )
