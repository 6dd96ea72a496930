"""The signal pipeline: from a bar window to scored candidates. The SAME functions serve live and replay.

- `SymbolPipeline` (live) keeps one symbol's history window (see scoring.window_bounds) and, after each
  bar, `evaluate()` computes `scoring.window_table` on it and, when the last bar raises a candidate,
  scores it with `score_candidates`. It runs in a worker thread (a window table costs a few ms).
- The replay computes the same window tables once per window (`models.anchored_tables`) and scores all
  its candidates with `score_candidates` in one batch.

Regime probabilities: the replay runs the HMM forward filter over the bars in order; live steps the
same filter one bar at a time (`RegimeDetector.update`), and runs it over its window after a gap (bars
not evaluated while the autopilot was off) or a model change. The filter forgets its starting point
within a few dozen bars, so the two agree to rounding (1e-15). Likewise the RL observation, whose
features look back 121 bars at most, is computed live on the last 242 bars and in replay over each
window: equal to rounding. Everything else is computed by the same code on the same numbers.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from trading_core.autopilot.models import ModelBundle, TradeModel, filter_matrix, filter_probabilities
from trading_core.autopilot.scoring import WindowTable, window_start, window_table
from trading_core.config import AUTOPILOT_SCORE_COMPONENTS, MiaConfig
from trading_core.intelligence.filter import MODEL_NAMES
from trading_core.intelligence.gamma import PHASE_BY_CODE
from trading_core.intelligence.features import TIMEFRAMES
from trading_core.intelligence.types import REGIMES
from trading_core.types import Bar

_COLS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A scored candidate signal (before sizing and the risk gate)."""

    symbol: str
    bar_ts: datetime
    side: int  # +1 long, -1 short
    entry: float  # the bar's close
    atr: float
    stop_points: float
    score: float
    confidence: float
    components: dict[str, float]
    confluence: float
    trends: dict[str, float]
    gamma_phase: str
    gamma_factor: float
    regime: dict[str, float]
    filter_probability: float
    filter_models: dict[str, float]
    model_type: str
    model_trained: bool
    model_probability: float | None
    model_direction: str | None
    model_base_rate: float | None = None  # the policy's average held-out trade, smoothed win rate

    @property
    def ts(self) -> datetime:
        return self.bar_ts + timedelta(minutes=1)  # decided at the bar's close


def score_candidates(
    symbol: str,
    bar_ts: list[datetime],
    features: pd.DataFrame,
    sides: np.ndarray,
    score: np.ndarray,
    confidence: np.ndarray,
    components: dict[str, np.ndarray],
    atr: np.ndarray,
    stop_points: np.ndarray,
    close: np.ndarray,
    regime: np.ndarray,
    rl_features: Callable[[np.ndarray], np.ndarray] | None,
    bundle: ModelBundle,
    trade_model: TradeModel,
    filter_threshold: float,
) -> list[Candidate]:
    """Filter and trade-probability scores of K candidates given their rows (arrays of length K).

    The trade-probability model only scores candidates the filter approved (`rl_features(i)` gives the
    raw RL features of candidates i): for the others its number would decide nothing."""
    k = len(sides)
    if k == 0:
        return []
    x = filter_matrix(features, score, confidence, sides, regime)
    p_filter, per = filter_probabilities(bundle, x)
    p_model = np.full(k, np.nan)
    direction: list[str | None] = [None] * k
    approved = np.flatnonzero(p_filter >= filter_threshold)
    if trade_model.trained and rl_features is not None and approved.size:
        p, d = trade_model.probabilities(rl_features(approved), np.asarray(sides)[approved])
        p_model[approved] = p
        for j, i in enumerate(approved.tolist()):
            direction[i] = d[j]
    conf = features["mtf_confluence"].to_numpy(np.float64).tolist()
    gcode = features["gamma_phase"].to_numpy(np.float64).tolist()
    gfac = features["gamma_factor"].to_numpy(np.float64).tolist()
    trends = [dict(zip(TIMEFRAMES, row)) for row in
              features[[f"trend_{tf}" for tf in TIMEFRAMES]].to_numpy(np.float64).tolist()]
    comps = [dict(zip(AUTOPILOT_SCORE_COMPONENTS, row)) for row in
             np.column_stack([components[c] for c in AUTOPILOT_SCORE_COMPONENTS]).tolist()]
    regimes = [dict(zip(REGIMES, row)) for row in np.asarray(regime, np.float64).tolist()]
    models = [dict(zip(MODEL_NAMES, row)) for row in np.column_stack([per[m] for m in MODEL_NAMES]).tolist()]
    sides_l = np.asarray(sides).tolist()
    entry, atr_l, stop_l = close.tolist(), atr.tolist(), stop_points.tolist()
    score_l, conf_l, pf, pm_l = score.tolist(), confidence.tolist(), p_filter.tolist(), p_model.tolist()
    mt, trained = trade_model.model_type, trade_model.trained
    base = trade_model.base_rate
    out = []
    for i in range(k):
        code, g, pm = gcode[i], gfac[i], pm_l[i]
        out.append(Candidate(
            symbol, bar_ts[i], int(sides_l[i]), entry[i], atr_l[i], stop_l[i], score_l[i], conf_l[i], comps[i],
            conf[i], trends[i], PHASE_BY_CODE.get(int(code), "normal") if math.isfinite(code) else "normal",
            g if math.isfinite(g) else 1.0, regimes[i], pf[i], models[i], mt, trained,
            None if math.isnan(pm) else pm, direction[i], base,
        ))
    return out


class PipelineInputError(ValueError):
    def __init__(self, message_en: str, message_fr: str) -> None:
        self.message_en, self.message_fr = message_en, message_fr
        super().__init__(message_en)


class SymbolPipeline:
    """One symbol's history window and the live evaluation of its last bar.

    `append` runs on the event loop (microseconds); `evaluate` in a worker thread, one call at a time
    and in bar order (the autopilot's worker guarantees it)."""

    def __init__(self, symbol: str, config: MiaConfig, tick: float) -> None:
        self.symbol = symbol
        self.config = config
        self.tick = tick
        self.history = int(config.autopilot.history_bars)
        self._ts = np.zeros(self.history, np.int64)
        self._px = np.zeros((self.history, len(_COLS)), np.float64)
        self._len = 0  # rows held (the window)
        self.bars_seen = 0
        self._start = 0  # bars_seen index of the window's first row
        self._lock = threading.Lock()
        # regime forward-filter state (worker thread only)
        self._regime_state: np.ndarray | None = None
        self._regime_upto = -1
        self._regime_model: object | None = None

    # ------------------------------------------------------------------ history (event loop)
    def is_after_last(self, bar: Bar) -> bool:
        """The bar begins after the last one held (or none is held)."""
        with self._lock:
            return not self._len or int(pd.Timestamp(bar.ts).value) > self._ts[self._len - 1]

    def append(self, bar: Bar) -> None:
        prices = (bar.open, bar.high, bar.low, bar.close)
        if not all(isinstance(p, (int, float)) and math.isfinite(p) and p > 0 for p in prices) \
                or bar.high < bar.low or bar.volume < 0 or bar.ts.tzinfo is None:
            raise PipelineInputError(f"bad bar for {self.symbol} at {bar.ts}: {prices} volume {bar.volume}",
                                     f"barre invalide pour {self.symbol} à {bar.ts} : {prices} volume {bar.volume}")
        ns = int(pd.Timestamp(bar.ts).value)  # UTC nanoseconds
        with self._lock:
            if self._len and ns <= self._ts[self._len - 1]:
                raise PipelineInputError(
                    f"{self.symbol} bar at {bar.ts} is not after the previous one; ignored",
                    f"la barre {self.symbol} de {bar.ts} n'est pas postérieure à la précédente ; ignorée")
            self.bars_seen += 1
            start = window_start(self.bars_seen, self.history)
            if start != self._start:  # the window moves: drop its oldest rows
                drop = start - self._start
                keep = self._len - drop
                self._ts[:keep] = self._ts[drop:self._len]
                self._px[:keep] = self._px[drop:self._len]
                self._len = keep
                self._start = start
            self._ts[self._len] = ns
            self._px[self._len] = (bar.open, bar.high, bar.low, bar.close, float(bar.volume))
            self._len += 1

    def snapshot(self) -> tuple[pd.DataFrame, int, int]:
        """(window as a bar frame, bars seen, window start) — a copy the worker thread may keep."""
        with self._lock:
            n = self._len
            idx = pd.DatetimeIndex(self._ts[:n].copy().view("M8[ns]")).tz_localize("UTC")
            frame = pd.DataFrame(self._px[:n].copy(), index=idx, columns=list(_COLS))
            return frame, self.bars_seen, self._start

    def load_history(self, bars: pd.DataFrame) -> None:
        """Seed the window with older bars (UTC index, OHLCV), oldest first."""
        for ts, row in zip(bars.index, bars[list(_COLS)].itertuples(index=False)):
            self.append(Bar(self.symbol, ts.to_pydatetime(), float(row[0]), float(row[1]), float(row[2]),
                            float(row[3]), int(row[4])))

    # ------------------------------------------------------------------ evaluation (worker thread)
    def _regime_last(self, bundle: ModelBundle, table: WindowTable, bars_seen: int, start: int) -> np.ndarray:
        det = bundle.regime
        if det is None:
            return np.full((1, len(REGIMES)), 1.0 / len(REGIMES))
        order = [det.state_labels.index(r) for r in REGIMES]
        if self._regime_model is det and self._regime_upto == bars_seen - 1 and self._regime_state is not None:
            obs = det.observations(table.features.iloc[-1:])[0]
            state = det.update(self._regime_state, obs)
        else:  # first bar, a gap or new models: run the filter over the window
            obs = det.observations(table.features)
            state = det.hmm.filter(det._standardise(obs))[-1]
        self._regime_state, self._regime_upto, self._regime_model = state, bars_seen, det
        return np.asarray(state, np.float64)[order][None, :]

    def evaluate(self, bundle: ModelBundle, trade_model: TradeModel,
                 snapshot: tuple[pd.DataFrame, int, int] | None = None) -> Candidate | None:
        """The candidate raised by the window's last bar, scored; None when there is none."""
        frame, bars_seen, start = snapshot or self.snapshot()
        if len(frame) < 2:
            return None
        table = window_table(frame, self.config, self.tick)
        regime = self._regime_last(bundle, table, bars_seen, start)
        side = int(table.candidate[-1])
        if side == 0:
            return None
        def rl_raw(_rows: np.ndarray) -> np.ndarray:
            from trading_core.intelligence.rl.observation import WARMUP_BARS, compute_features as rl_compute

            # the RL features look back at most WARMUP_BARS bars: a tail twice that long gives the replay's
            # numbers (computed over the whole window) to rounding, at a fraction of the cost
            return rl_compute(frame.iloc[-2 * WARMUP_BARS:]).features[-1:]

        return score_candidates(
            self.symbol, [frame.index[-1].to_pydatetime()], table.features.iloc[-1:], np.array([side]),
            table.score[-1:], table.confidence[-1:], {k: v[-1:] for k, v in table.components.items()},
            table.atr[-1:], table.stop_points[-1:], frame["close"].to_numpy()[-1:], regime, rl_raw,
            bundle, trade_model, self.config.autopilot.filter_threshold)[0]
