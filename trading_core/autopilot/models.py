"""The autopilot's models: its own regime HMM + ensemble filter (a "bundle"), and the trade-probability model.

Bundle. The ensemble filter (`intelligence.filter.MLEnsembleFilter`: RandomForest + XGBoost +
LogisticRegression) is trained on the autopilot's own candidates, labelled with the outcome of the very
bracket the autopilot would place: stop = risk.atr_stop_multiple x ATR, target = reward_risk x that
distance, the label being 1 when the trade wins after commissions and slippage (`labels.triple_barrier`,
at most `label_horizon_bars` bars). The prices the labels walk through are the ones the paper broker sees
(each bar's open, then its close), so the filter learns the trades the engine would make. Its inputs are
`signals.signal_matrix` (features in the trade direction, regime probabilities) plus the score and the
confidence. The regime detector (`intelligence.regime.RegimeDetector`) is fitted on the same bars.
Saved under `<data_dir>/checkpoints/autopilot/<SYMBOL>/` (regime/, filter/, meta.json written last).

Trade-probability model. `config.autopilot.model_type` (ppo_cvar, qr_dqn, ensemble) names a checkpoint
of `intelligence.rl` (trained by `mia train`). Its probability for a candidate is the checkpoint's
trade-outcome model (P(a trade of that policy wins | market state at entry, side)) for the candidate's
side, on the normalised RL observation of the bar; the policy's own preferred side is recorded. Without a
usable checkpoint the autopilot says so in both languages and decides with the filter alone.
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trading_core.autopilot.scoring import WindowTable, window_bounds, window_table
from trading_core.config import MiaConfig
from trading_core.intelligence.filter import MODEL_NAMES, FilterParams, MLEnsembleFilter
from trading_core.intelligence.labels import BarrierSpec, triple_barrier
from trading_core.intelligence.regime import RegimeDetector
from trading_core.intelligence.signals import signal_matrix
from trading_core.intelligence.types import REGIMES, IntelligenceInputError

log = logging.getLogger("mia.autopilot.models")

BUNDLE_VERSION = 1
EXTRA_FEATURES: tuple[str, ...] = ("ap_score", "ap_confidence")
_LABEL_EN = {"ppo_cvar": "PPO-CVaR", "qr_dqn": "QR-DQN", "ensemble": "SAC+PPO+DDPG ensemble"}
_LABEL_FR = {"ppo_cvar": "PPO-CVaR", "qr_dqn": "QR-DQN", "ensemble": "ensemble SAC+PPO+DDPG"}


# --------------------------------------------------------------------------- the whole-file tables
@dataclass
class AnchoredTables:
    """`window_table` over a whole bar frame, window by window as the live autopilot computes it."""

    bars: pd.DataFrame
    windows: list[tuple[int, int, int]]  # (start, first, end) from scoring.window_bounds
    tables: list[WindowTable]
    window_of: np.ndarray  # window number each bar is read from
    score: np.ndarray
    confidence: np.ndarray
    candidate: np.ndarray
    atr: np.ndarray
    stop_points: np.ndarray
    _rl: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _all: pd.DataFrame | None = field(default=None, repr=False)
    _regime: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def all_features(self) -> pd.DataFrame:
        """Every bar's feature row as read live (window by window), one frame."""
        if self._all is None:
            self._all = pd.concat([self.tables[w].features.iloc[f - s:e - s]
                                   for w, (s, f, e) in enumerate(self.windows)])
        return self._all

    def regime(self, detector: RegimeDetector) -> np.ndarray:
        """(n, 3) forward-filtered regime probabilities of every bar (cached per detector)."""
        key = id(detector)
        if key not in self._regime:
            cols = [f"p_{r}" for r in REGIMES]
            self._regime = {key: detector.filter(self.all_features)[cols].to_numpy(np.float64)}
        return self._regime[key]

    @property
    def n(self) -> int:
        return int(self.score.shape[0])

    def row(self, t: int) -> tuple[int, int]:
        """(window number, row inside that window's table) of bar t."""
        w = int(self.window_of[t])
        return w, t - self.windows[w][0]

    def features_at(self, rows: np.ndarray) -> pd.DataFrame:
        """Feature rows of bars `rows` (as read live), in the given order."""
        rows = np.asarray(rows, np.int64)
        if rows.size == 0:
            return self.tables[0].features.iloc[:0]
        w_of = self.window_of[rows]
        parts, order = [], []
        for w in np.unique(w_of).tolist():
            sel = np.flatnonzero(w_of == w)
            parts.append(self.tables[w].features.iloc[rows[sel] - self.windows[w][0]])
            order.append(sel)
        out = pd.concat(parts) if len(parts) > 1 else parts[0]
        return out.iloc[np.argsort(np.concatenate(order), kind="stable")]

    def components_at(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        rows = np.asarray(rows, np.int64)
        names = list(self.tables[0].components) if self.tables else []
        out = {k: np.full(rows.size, np.nan) for k in names}
        for k, t in enumerate(rows.tolist()):
            w, r = self.row(t)
            for name in names:
                out[name][k] = self.tables[w].components[name][r]
        return out

    def rl_features_at(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, np.int64)
        out = np.empty((rows.size, 0))
        for k, t in enumerate(rows.tolist()):
            w, r = self.row(t)
            feats = self.rl_features(w)
            if out.shape[1] == 0:
                out = np.full((rows.size, feats.shape[1]), np.nan)
            out[k] = feats[r]
        return out

    def rl_features(self, w: int) -> np.ndarray:
        """RL observation features (raw) of window w, computed once."""
        if w not in self._rl:
            from trading_core.intelligence.rl.observation import compute_features as rl_compute

            s, _, e = self.windows[w]
            self._rl[w] = rl_compute(self.bars.iloc[s:e]).features
        return self._rl[w]


def anchored_tables(bars: pd.DataFrame, config: MiaConfig, tick: float) -> AnchoredTables:
    n = len(bars)
    windows = window_bounds(n, config.autopilot.history_bars)
    tables: list[WindowTable] = []
    window_of = np.zeros(n, np.int32)
    score, conf, atr, stop = (np.full(n, np.nan) for _ in range(4))
    cand = np.zeros(n, np.int8)
    for w, (s, f, e) in enumerate(windows):
        tab = window_table(bars.iloc[s:e], config, tick)
        tables.append(tab)
        window_of[f:e] = w
        a, b = f - s, e - s
        score[f:e] = tab.score[a:b]
        conf[f:e] = tab.confidence[a:b]
        cand[f:e] = tab.candidate[a:b]
        atr[f:e] = tab.atr[a:b]
        stop[f:e] = tab.stop_points[a:b]
    return AnchoredTables(bars, windows, tables, window_of, score, conf, cand, atr, stop)


def regime_probabilities(detector: RegimeDetector | None, tables: AnchoredTables, rows: np.ndarray) -> np.ndarray:
    """(len(rows), 3) regime probabilities (trend, range, defensive) of bars `rows`: the HMM forward
    filter run over the bars in order (live steps the same filter bar by bar). Uniform without a detector."""
    rows = np.asarray(rows, np.int64)
    if detector is None or rows.size == 0:
        return np.full((rows.shape[0], len(REGIMES)), 1.0 / len(REGIMES))
    return tables.regime(detector)[rows]


def filter_matrix(features: pd.DataFrame, score: np.ndarray, confidence: np.ndarray, sides: np.ndarray,
                  regime: np.ndarray) -> pd.DataFrame:
    """The filter's input rows: `signal_matrix` (features in the trade direction, regime) + score, confidence."""
    idx = np.arange(len(features))
    x = signal_matrix(features.reset_index(drop=True), idx, sides, regime)
    x["ap_score"] = np.asarray(score, np.float64) * np.asarray(sides, np.float64)
    x["ap_confidence"] = np.asarray(confidence, np.float64)
    return x


# --------------------------------------------------------------------------- labels
def price_path(bars: pd.DataFrame) -> pd.DataFrame:
    """Bars whose high/low are max/min(open, close): the prices the paper broker sees."""
    o = bars["open"].to_numpy(np.float64)
    c = bars["close"].to_numpy(np.float64)
    return pd.DataFrame({"open": o, "high": np.maximum(o, c), "low": np.minimum(o, c), "close": c},
                        index=bars.index)


def bracket_outcomes(bars: pd.DataFrame, rows: np.ndarray, sides: np.ndarray, stop_points: np.ndarray,
                     config: MiaConfig, symbol: str) -> pd.DataFrame:
    """Triple-barrier outcomes of the autopilot's brackets (see the module docstring)."""
    from trading_core.intelligence.backtest import cost_model

    ap = config.autopilot
    h = ap.label_horizon_bars
    close = bars["close"].to_numpy(np.float64)
    sigma = stop_points / (math.sqrt(h) * close[rows])  # so that the barrier width is the stop distance
    costs = cost_model(symbol, float(config.paper.commission_per_contract), int(config.paper.slippage_ticks))
    spec = BarrierSpec(horizon=h, pt_mult=float(ap.reward_risk), sl_mult=1.0, min_width_ticks=1)
    return triple_barrier(price_path(bars), rows, sides, sigma, spec, costs)


# --------------------------------------------------------------------------- the bundle
@dataclass
class ModelBundle:
    symbol: str
    regime: RegimeDetector | None
    filter: MLEnsembleFilter
    info: dict[str, Any]

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        meta_path = directory / "meta.json"
        if meta_path.exists():
            meta_path.unlink()  # written last: no meta.json means an incomplete bundle
        if self.regime is not None:
            self.regime.save(directory / "regime")
        self.filter.save(directory / "filter")
        tmp = directory / "meta.json.tmp"
        tmp.write_text(json.dumps({"version": BUNDLE_VERSION, "symbol": self.symbol, "regime": self.regime is not None,
                                   **self.info}, indent=1, default=str), encoding="utf-8")
        tmp.replace(meta_path)
        return directory

    @classmethod
    def load(cls, directory: Path, threshold: float) -> "ModelBundle":
        meta_path = directory / "meta.json"
        if not meta_path.exists():
            raise FileNotFoundError(meta_path)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("version") != BUNDLE_VERSION:
                raise ValueError(f"version {meta.get('version')} != {BUNDLE_VERSION}")
            regime = RegimeDetector.load(directory / "regime") if meta.get("regime") else None
            flt = MLEnsembleFilter.load(directory / "filter", threshold=threshold)
        except (OSError, ValueError, KeyError) as exc:
            raise IntelligenceInputError(f"autopilot models in {directory} are unreadable ({exc})",
                                         f"les modèles du pilote automatique dans {directory} sont illisibles ({exc})"
                                         ) from None
        info = {k: v for k, v in meta.items() if k not in ("version", "symbol", "regime")}
        return cls(str(meta["symbol"]), regime, flt, info)


def bundle_dir(data_dir: str | Path, symbol: str) -> Path:
    return Path(data_dir).expanduser() / "checkpoints" / "autopilot" / symbol.upper()


def train_bundle(
    tables: AnchoredTables,
    config: MiaConfig,
    symbol: str,
    *,
    end: int | None = None,
    embargo: int = 0,
    source: str = "bars",
    seed: int = 42,
    filter_params: FilterParams | None = None,
    warm_regime: RegimeDetector | None = None,
) -> ModelBundle:
    """Fit the regime detector and the filter on bars [0, end) only: candidates whose bracket outcome is
    known before `end - embargo` (purging). Raises IntelligenceInputError when there is too little."""
    n = tables.n if end is None else int(end)
    bars = tables.bars
    regime: RegimeDetector | None = None
    feats_train = tables.all_features.iloc[:n]
    try:
        regime = RegimeDetector(seed=seed).fit(feats_train, source=source, warm_start=warm_regime)
    except IntelligenceInputError as exc:
        log.warning("autopilot regime model not trained (%s): uniform regime inputs", exc.message_en)
    idx = np.flatnonzero(tables.candidate[:n] != 0)
    sides = tables.candidate[idx].astype(np.int64)
    outcomes = bracket_outcomes(bars, idx, sides, tables.stop_points[idx], config, symbol)
    known = outcomes["exit_idx"].to_numpy() < n - embargo
    outcomes = outcomes[known]
    rows = outcomes["signal_idx"].to_numpy()
    y = outcomes["label"].to_numpy()
    if rows.size < 20 or np.unique(y).size < 2:
        raise IntelligenceInputError(
            f"{source}: {rows.size} labelled autopilot candidates with outcomes {sorted(set(y.tolist()))}: too few "
            "to train the filter (need 20 with wins and losses)",
            f"{source} : {rows.size} candidats étiquetés, issues {sorted(set(y.tolist()))} : trop peu pour "
            "entraîner le filtre (il en faut 20, gagnants et perdants)")
    regime_p = regime_probabilities(regime, tables, rows)
    x = filter_matrix(tables.features_at(rows), tables.score[rows], tables.confidence[rows],
                      outcomes["side"].to_numpy(), regime_p)
    flt = MLEnsembleFilter(threshold=config.autopilot.filter_threshold, params=filter_params or FilterParams(seed=seed))
    flt.fit(x, y, source=source)
    info = {
        "source": source,
        "first_bar": str(bars.index[0]), "last_bar": str(bars.index[n - 1]), "bars": int(n),
        "signals": int(rows.size), "win_rate": float(y.mean()),
        "reward_risk": float(config.autopilot.reward_risk), "atr_stop_multiple": float(config.risk.atr_stop_multiple),
        "label_horizon_bars": int(config.autopilot.label_horizon_bars),
    }
    return ModelBundle(symbol, regime, flt, info)


def filter_probabilities(bundle: ModelBundle, x: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    per = bundle.filter.predict_models(x)
    return np.mean(np.vstack([per[k] for k in MODEL_NAMES]), axis=0), per


# --------------------------------------------------------------------------- trade-probability model
@dataclass
class TradeModel:
    """The RL checkpoint named by `model_type`, or the reason it cannot be used."""

    model_type: str
    symbol: str
    loaded: Any | None  # intelligence.rl.inference.LoadedModel
    message_en: str
    message_fr: str

    @property
    def trained(self) -> bool:
        return self.loaded is not None

    @property
    def base_rate(self) -> float | None:
        return float(self.loaded.outcome.base_rate) if self.loaded is not None else None

    def probabilities(self, raw: np.ndarray, sides: np.ndarray) -> tuple[np.ndarray, list[str | None]]:
        """P(win) for each row's side and the policy's preferred side, from raw RL features (K, F)."""
        k = raw.shape[0]
        if self.loaded is None or k == 0:
            return np.full(k, np.nan), [None] * k
        from trading_core.intelligence.rl.env import AGENT_STATE_FEATURES

        x = self.loaded.normaliser.apply(raw)
        p = np.where(np.asarray(sides) > 0, self.loaded.outcome.predict(x, 1.0), self.loaded.outcome.predict(x, -1.0))
        obs = np.concatenate([x, np.zeros((k, len(AGENT_STATE_FEATURES)), np.float32)], axis=1)
        dist = self.loaded.agent.action_distribution(obs)  # (K, 3): short, flat, long
        direction: list[str | None] = ["long" if d[2] >= d[0] else "short" for d in dist]
        return np.asarray(p, np.float64), direction


def load_trade_model(config: MiaConfig, symbol: str, model_type: str | None = None,
                     data_dir: str | Path | None = None) -> TradeModel:
    """Load the checkpoint (imports torch) or explain, in both languages, why the filter decides alone."""
    mt = model_type or config.autopilot.model_type
    if mt == "none":
        return TradeModel(mt, symbol, None, "No trade-probability model configured: the filter decides alone.",
                          "Aucun modèle de probabilité configuré : le filtre décide seul.")
    from trading_core.intelligence.rl.checkpoints import CheckpointInvalid, CheckpointMissing
    from trading_core.intelligence.rl.inference import RLService

    service = RLService(config, market=symbol, data_dir=data_dir, model_type=mt)
    try:
        loaded = service.load(mt, symbol)
    except (CheckpointMissing, CheckpointInvalid) as exc:
        cmd = f"mia train --model-type {mt} --market {symbol}"
        what = "cannot be used" if isinstance(exc, CheckpointInvalid) else "is not trained"
        what_fr = "est inutilisable" if isinstance(exc, CheckpointInvalid) else "n'est pas entraîné"
        return TradeModel(mt, symbol, None,
                          f"The {_LABEL_EN[mt]} trade-probability model for {symbol} {what}: the autopilot decides "
                          f"with the ML filter alone. Train it with: {cmd}",
                          f"Le modèle de probabilité {_LABEL_FR[mt]} pour {symbol} {what_fr} : le pilote automatique "
                          f"décide avec le filtre ML seul. Pour l'entraîner : {cmd}")
    return TradeModel(mt, symbol, loaded, f"{_LABEL_EN[mt]} trade-probability model loaded for {symbol}.",
                      f"Modèle de probabilité {_LABEL_FR[mt]} chargé pour {symbol}.")
