"""A vectorised futures trading environment over bars (numpy only, no torch).

The agent chooses a target position in contracts at the close of bar t; the change is filled at that
close and pays commission + slippage (ticks x tick value) per contract moved. Holding `target` from t to
t+1 earns target x (close[t+1] - close[t]) x point value. Reward = (P&L - costs) / reward_scale_usd.
Positions are clipped to [-max_position, +max_position]. Episodes are windows of `episode_bars` bars; an
episode end is a time limit (truncation), not a terminal state: the open position is marked to market,
no exit cost is charged, and learners bootstrap from the final observation given in `StepResult`.

Observation = normalised market features at bar t (see observation.py) + [position / max_position,
unrealised P&L / (4 x reward scale) clipped to +-5].
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from trading_core.instruments import INSTRUMENTS
from trading_core.intelligence.rl.observation import CLIP, WARMUP_BARS
from trading_core.intelligence.rl.types import RLInputError

# (tick size in points, tick value in USD) from the shared instrument table: ES $12.50, MNQ $0.50 a tick.
MARKET_SPECS: dict[str, tuple[float, float]] = {
    sym: (inst.tick_size, float(inst.tick_value)) for sym, inst in INSTRUMENTS.items()
}
AGENT_STATE_FEATURES: tuple[str, ...] = ("position", "unrealised_pnl")


def market_spec(market: str) -> tuple[float, float]:
    """(tick size in points, tick value in USD) for a market."""
    try:
        return MARKET_SPECS[market]
    except KeyError:
        raise RLInputError(
            f"unknown market {market!r}; supported: {', '.join(MARKET_SPECS)}",
            f"marché inconnu {market!r} ; marchés pris en charge : {', '.join(MARKET_SPECS)}",
        ) from None


@dataclass(frozen=True, slots=True)
class EnvConfig:
    market: str = "ES"
    tick_size: float = 0.25
    tick_value: float = 12.50
    commission_per_contract: float = 2.25  # USD per contract per side
    slippage_ticks: float = 1.0  # per contract per side
    max_position: int = 1
    episode_bars: int = 240
    reward_scale_usd: float = 50.0  # training sets this to the one-bar P&L standard deviation of one contract

    def __post_init__(self) -> None:
        if self.max_position < 1:
            raise RLInputError("max_position must be at least 1", "max_position doit valoir au moins 1")
        if self.episode_bars < 2:
            raise RLInputError("episode_bars must be at least 2", "episode_bars doit valoir au moins 2")
        if self.reward_scale_usd <= 0 or self.tick_size <= 0 or self.tick_value <= 0:
            raise RLInputError(
                "reward scale, tick size and tick value must be positive",
                "l'échelle de récompense, le pas et la valeur du tick doivent être positifs",
            )
        if self.commission_per_contract < 0 or self.slippage_ticks < 0:
            raise RLInputError(
                "commission and slippage cannot be negative",
                "la commission et le glissement ne peuvent pas être négatifs",
            )

    @classmethod
    def for_market(cls, market: str, **kw: Any) -> "EnvConfig":
        tick_size, tick_value = market_spec(market)
        return cls(market=market, tick_size=tick_size, tick_value=tick_value, **kw)

    @property
    def point_value(self) -> float:
        return self.tick_value / self.tick_size

    @property
    def cost_per_contract(self) -> float:
        """USD paid per contract per side: commission plus slippage."""
        return self.commission_per_contract + self.slippage_ticks * self.tick_value

    @property
    def n_targets(self) -> int:
        return 2 * self.max_position + 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def discrete_to_target(actions: np.ndarray, max_position: int) -> np.ndarray:
    """Discrete action index 0..2*max -> target position -max..+max."""
    return np.asarray(actions, dtype=np.int64) - max_position


def continuous_to_target(actions: np.ndarray, max_position: int) -> np.ndarray:
    """Continuous action in [-1, 1] -> nearest target position (|a| < 0.5/max means flat)."""
    a = np.clip(np.asarray(actions, dtype=np.float64), -1.0, 1.0)
    return np.rint(a * max_position).astype(np.int64)


@dataclass(slots=True)
class StepResult:
    obs: np.ndarray  # (n, D) next observation (first of a new episode where `done`)
    reward: np.ndarray  # (n,) float32, scaled
    done: np.ndarray  # (n,) bool: the episode ended at this step (time limit)
    final_obs: np.ndarray  # (n, D) observation reached by this step, before any reset
    pnl_usd: np.ndarray  # (n,) mark-to-market P&L of the held position over the bar
    cost_usd: np.ndarray  # (n,) commission + slippage paid at this step
    position: np.ndarray  # (n,) position held over the bar (after clipping)
    clipped: np.ndarray  # (n,) bool: the requested target exceeded the position limit
    episode_return_usd: np.ndarray  # (n,) net P&L of the finished episode where `done`, else NaN


class TradingEnv:
    """`n_envs` independent episodes stepped together.

    `features` are already normalised (T, F) float32 rows; `close` is (T,). Episodes start at a bar drawn
    uniformly in [lo, hi - episode_bars] from a seeded generator, or at the given `starts`.
    With `auto_reset=False` finished environments stay finished (fixed-window evaluation).
    """

    def __init__(
        self,
        features: np.ndarray,
        close: np.ndarray,
        cfg: EnvConfig,
        n_envs: int = 1,
        seed: int = 0,
        bounds: tuple[int, int] | None = None,
        auto_reset: bool = True,
    ) -> None:
        if features.ndim != 2 or features.shape[0] != close.shape[0]:
            raise RLInputError(
                "features must be (bars, features) with one row per close price",
                "les variables doivent être (barres, variables) avec une ligne par prix de clôture",
            )
        self.features = np.ascontiguousarray(features, dtype=np.float32)
        self.close = np.asarray(close, dtype=np.float64)
        self.cfg = cfg
        self.n_envs = int(n_envs)
        self.auto_reset = auto_reset
        lo, hi = bounds if bounds is not None else (WARMUP_BARS - 1, close.shape[0])
        self.lo, self.hi = max(0, int(lo)), min(int(hi), close.shape[0])
        if self.hi - self.lo < cfg.episode_bars + 1:
            raise RLInputError(
                f"need at least {cfg.episode_bars + 1} usable bars for one episode, got {self.hi - self.lo}",
                f"il faut au moins {cfg.episode_bars + 1} barres utilisables pour un épisode, reçu {self.hi - self.lo}",
            )
        self.rng = np.random.default_rng(seed)
        self.obs_dim = self.features.shape[1] + len(AGENT_STATE_FEATURES)
        n = self.n_envs
        self.t = np.zeros(n, dtype=np.int64)
        self.end = np.zeros(n, dtype=np.int64)
        self.pos = np.zeros(n, dtype=np.int64)
        self.entry = np.zeros(n, dtype=np.float64)
        self.ep_return = np.zeros(n, dtype=np.float64)
        self.finished = np.zeros(n, dtype=bool)

    # ----------------------------------------------------------------- episode starts
    def _draw_starts(self, k: int) -> np.ndarray:
        return self.rng.integers(self.lo, self.hi - self.cfg.episode_bars, size=k, endpoint=False)

    def _start(self, idx: np.ndarray, starts: np.ndarray) -> None:
        self.t[idx] = starts
        # The episode makes `episode_bars` decisions; the last one is marked at bar start + episode_bars.
        self.end[idx] = np.minimum(starts + self.cfg.episode_bars, self.hi - 1)
        self.pos[idx] = 0
        self.entry[idx] = 0.0
        self.ep_return[idx] = 0.0
        self.finished[idx] = False

    def reset(self, starts: np.ndarray | None = None) -> np.ndarray:
        if starts is None:
            starts = self._draw_starts(self.n_envs)
        starts = np.asarray(starts, dtype=np.int64)
        if starts.shape != (self.n_envs,) or (starts < self.lo).any() or (starts >= self.hi - 1).any():
            raise RLInputError(
                f"episode starts must be {self.n_envs} bar indices in [{self.lo}, {self.hi - 1})",
                f"les débuts d'épisode doivent être {self.n_envs} indices de barre dans [{self.lo}, {self.hi - 1})",
            )
        self._start(np.arange(self.n_envs), starts)
        return self.observe()

    # ----------------------------------------------------------------- observation
    def unrealised_usd(self) -> np.ndarray:
        return self.pos * (self.close[self.t] - self.entry) * self.cfg.point_value

    def observe(self) -> np.ndarray:
        agent = np.column_stack(
            [
                self.pos / self.cfg.max_position,
                np.clip(self.unrealised_usd() / (4.0 * self.cfg.reward_scale_usd), -CLIP, CLIP),
            ]
        ).astype(np.float32)
        return np.concatenate([self.features[self.t], agent], axis=1)

    # ----------------------------------------------------------------- step
    def step(self, targets: np.ndarray) -> StepResult:
        cfg = self.cfg
        req = np.asarray(targets, dtype=np.int64).reshape(self.n_envs)
        target = np.clip(req, -cfg.max_position, cfg.max_position)
        clipped = target != req
        active = ~self.finished
        # A finished (non-resetting) environment keeps its state and earns nothing.
        target = np.where(active, target, self.pos)

        delta = target - self.pos
        cost = np.abs(delta) * cfg.cost_per_contract
        px = self.close[self.t]
        # Average entry price: a new or flipped position enters at this close, an addition averages in,
        # a reduction keeps the entry of what remains.
        flipped = (self.pos == 0) | (np.sign(target) != np.sign(self.pos))
        adding = (~flipped) & (np.abs(target) > np.abs(self.pos))
        with np.errstate(invalid="ignore", divide="ignore"):
            averaged = (self.entry * np.abs(self.pos) + px * np.abs(delta)) / np.abs(target)
        self.entry = np.where(target == 0, 0.0, np.where(flipped, px, np.where(adding, averaged, self.entry)))
        self.pos = target

        t_next = np.where(active, self.t + 1, self.t)
        pnl = target * (self.close[t_next] - px) * cfg.point_value
        pnl = np.where(active, pnl, 0.0)
        cost = np.where(active, cost, 0.0)
        net = pnl - cost
        self.t = t_next
        self.ep_return += net
        done = active & (self.t >= self.end)

        final_obs = self.observe()
        ep_ret = np.where(done, self.ep_return, np.nan)
        obs = final_obs
        if done.any():
            idx = np.flatnonzero(done)
            if self.auto_reset:
                self._start(idx, self._draw_starts(idx.size))
                obs = self.observe()
            else:
                self.finished[idx] = True
        return StepResult(
            obs=obs,
            reward=(net / cfg.reward_scale_usd).astype(np.float32),
            done=done,
            final_obs=final_obs,
            pnl_usd=pnl,
            cost_usd=cost,
            position=target,
            clipped=clipped,
            episode_return_usd=ep_ret,
        )
