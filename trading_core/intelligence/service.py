"""IntelligenceService: what the Engine holds to answer regime / SHAP / signal-quality queries.

- `on_bar(bar)` validates and buffers the bar (per symbol): microseconds, because the engine calls it on
  its event loop for every bar. The HMM forward filter folds the new bars in when a query needs them
  (`regime`, `signal_quality`), in the querying (worker) thread. Bad bars raise IntelligenceInputError
  and are not stored.
- `regime(symbol)` -> RegimeInfo; `top_features(n)` -> global mean |SHAP|; `signal_quality(...)` ->
  SignalQuality from the ensemble filter; `last_signal_features(n)` -> SHAP of the last scored signal.
- Models load lazily from `<data_dir>/checkpoints/regime/<SYMBOL>/hmm.json` and
  `<data_dir>/checkpoints/filter/<SYMBOL>/`. Without a checkpoint they are trained once on bootstrap
  history and saved: the configured CSV file when the feed is `csv`, otherwise the embedded synthetic
  market (seeded by `feed.seed`). A first query can therefore take a few seconds of CPU; call `prepare()`
  in a worker thread at start-up to pay it early. `retrain(symbol, bars)` trains on given bars.
- The Engine holds this service in a child process (trading_core.intelligence.worker), so that its
  imports, training and feature work never hold the event loop's GIL.
All methods are synchronous and thread-safe. The data lock is only ever held for a few list and dict
operations (never while features are computed or models trained), so `on_bar` never waits behind a
query; training is serialised by a separate lock.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trading_core.config import MiaConfig, load_config
from trading_core.intelligence.backtest import cost_model
from trading_core.intelligence.features import ER_N, REQUIRED_COLUMNS, WARMUP_BARS, compute_features, normalise_bars
from trading_core.intelligence.filter import FilterParams, MLEnsembleFilter
from trading_core.intelligence.gamma import PHASE_BY_CODE, gamma_phase
from trading_core.intelligence.labels import BarrierSpec, triple_barrier
from trading_core.intelligence.regime import RegimeDetector
from trading_core.intelligence.signals import cusum_events, signal_matrix, signal_row
from trading_core.intelligence.types import (
    REGIMES,
    FeatureImportance,
    IntelligenceInputError,
    RegimeInfo,
    SignalQuality,
)
from trading_core.types import Bar, Side

log = logging.getLogger(__name__)

# Bars fed to compute_features for one online regime step: the observation (rv_30, er_30, ret_15) of the
# last bar depends on its last 31 bars only, so this tail gives the same value as the full history.
_REGIME_TAIL = 64


@dataclass
class _Models:
    regime: RegimeDetector
    filter: MLEnsembleFilter
    source: str


class _SymbolState:
    def __init__(self, maxlen: int) -> None:
        self.bars: deque[tuple[datetime, float, float, float, float, float]] = deque(maxlen=maxlen)
        self.state_probs: np.ndarray | None = None  # HMM filtered distribution, HMM state order
        self.filtered_upto = 0  # bars_seen value the state_probs include
        self.informative = 0  # bars whose regime observation was complete
        self.bars_seen = 0
        self.last_ts: datetime | None = None

    def rows(self, last: int | None = None) -> list[tuple[datetime, float, float, float, float, float]]:
        """A copy of the buffered bars (take it under the service's lock, build frames outside)."""
        return list(self.bars) if last is None else list(self.bars)[-last:]

    def frame(self, last: int | None = None) -> pd.DataFrame:
        return _frame(self.rows(last))


def _frame(rows: list[tuple[datetime, float, float, float, float, float]]) -> pd.DataFrame:
    idx = pd.DatetimeIndex([r[0] for r in rows]).as_unit("ns")
    arr = np.asarray([r[1:] for r in rows], dtype=np.float64).reshape(len(rows), 5)
    return pd.DataFrame(arr, index=idx, columns=list(REQUIRED_COLUMNS))


def _side_of(value: Any) -> int:
    if isinstance(value, Side):
        return value.sign
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("buy", "long", "achat", "acheter", "+1", "1"):
            return 1
        if v in ("sell", "short", "vente", "vendre", "-1"):
            return -1
    elif isinstance(value, (int, float, np.integer, np.floating)) and value in (1, -1):
        return int(value)
    raise IntelligenceInputError(f"side must be BUY/SELL (or +1/-1), got {value!r}",
                                 f"le sens doit être BUY/SELL (ou +1/-1), reçu {value!r}")


class IntelligenceService:
    def __init__(
        self,
        config: MiaConfig | None = None,
        *,
        data_dir: str | Path | None = None,
        history: Callable[[str], pd.DataFrame] | Mapping[str, pd.DataFrame] | None = None,
        bootstrap_bars: int = 30_000,
        buffer_bars: int = 6_000,
        filter_params: FilterParams | None = None,
    ) -> None:
        self.config = config or load_config()
        self.data_dir = Path(data_dir).expanduser() if data_dir is not None else self.config.data_path
        self.symbols: tuple[str, ...] = tuple(self.config.instruments.symbols)
        self._history = history
        self._bootstrap_bars = int(bootstrap_bars)
        self._buffer_bars = max(int(buffer_bars), WARMUP_BARS + _REGIME_TAIL)
        self._filter_params = filter_params or FilterParams(seed=self.config.feed.seed)
        self._states: dict[str, _SymbolState] = {}
        self._models: dict[str, _Models] = {}
        self._last_symbol: str | None = None
        self._lock = threading.RLock()  # data: held for list / dict operations only
        self._train_lock = threading.Lock()  # one training (seconds of CPU) at a time, outside `_lock`

    # ------------------------------------------------------------------ helpers
    @property
    def intel(self) -> Any:
        return self.config.intelligence

    def _symbol(self, symbol: str | None) -> str:
        name = (symbol or self.config.market)
        if not isinstance(name, str) or name.strip().upper() not in self.symbols:
            raise IntelligenceInputError(f"unknown symbol {symbol!r}; configured: {list(self.symbols)}",
                                         f"symbole inconnu {symbol!r} ; configurés : {list(self.symbols)}")
        return name.strip().upper()

    def _state(self, symbol: str) -> _SymbolState:
        st = self._states.get(symbol)
        if st is None:
            st = self._states[symbol] = _SymbolState(self._buffer_bars)
        return st

    def _regime_dir(self, symbol: str) -> Path:
        return self.data_dir / "checkpoints" / "regime" / symbol

    def _filter_dir(self, symbol: str) -> Path:
        return self.data_dir / "checkpoints" / "filter" / symbol

    def _features(self, bars: pd.DataFrame) -> pd.DataFrame:
        return compute_features(bars, mtf_weights=self.intel.mtf_weights, gamma_factors=self.intel.gamma_factors)

    # ------------------------------------------------------------------ models
    def _bootstrap_history(self, symbol: str) -> tuple[pd.DataFrame, str]:
        if self._history is not None:
            df = self._history(symbol) if callable(self._history) else self._history[symbol]
            return df, "history"
        feed = self.config.feed
        if feed.kind == "csv" and feed.csv_path:
            from trading_core.intelligence.data import load_bars

            return load_bars(feed.csv_path, symbol=symbol), f"csv:{Path(feed.csv_path).name}"
        from trading_core.marketdata.synthetic import SyntheticFeed

        gen = SyntheticFeed((symbol,), seed=feed.seed, realtime=False)
        df = gen.generate_frame(self._bootstrap_bars, symbol)
        return df, f"synthetic(seed {feed.seed}, {self._bootstrap_bars} bars)"

    def _train(self, symbol: str, bars: pd.DataFrame, source: str) -> _Models:
        bars = normalise_bars(bars)
        feats = self._features(bars)
        detector = RegimeDetector(seed=self.config.feed.seed).fit(feats, source=source)
        probs = detector.filter(feats)
        idx, side = cusum_events(feats, bars["close"].to_numpy(np.float64))
        costs = cost_model(symbol, float(self.config.paper.commission_per_contract), self.config.paper.slippage_ticks)
        outcomes = triple_barrier(bars, idx, side, feats["rv_30"].to_numpy()[idx], BarrierSpec(), costs)
        x = signal_matrix(feats, outcomes["signal_idx"].to_numpy(), outcomes["side"].to_numpy(), probs)
        flt = MLEnsembleFilter(threshold=self.intel.filter_threshold, params=self._filter_params)
        flt.fit(x, outcomes["label"].to_numpy(), source=source)
        detector.save(self._regime_dir(symbol))
        flt.save(self._filter_dir(symbol))
        log.info("intelligence models for %s trained on %s (%d bars, %d signals)", symbol, source, len(bars), len(x))
        return _Models(detector, flt, f"trained:{source}")

    def _load(self, symbol: str) -> _Models | None:
        try:
            det = RegimeDetector.load(self._regime_dir(symbol))
            flt = MLEnsembleFilter.load(self._filter_dir(symbol), threshold=self.intel.filter_threshold)
        except FileNotFoundError:
            return None
        except IntelligenceInputError as exc:
            # keep the unreadable files for inspection, then retrain
            stamp = time.strftime("%Y%m%d-%H%M%S")
            for d in (self._regime_dir(symbol), self._filter_dir(symbol)):
                if d.exists():
                    d.rename(d.with_name(f"{d.name}.unreadable-{stamp}"))
            log.warning("intelligence checkpoint for %s unreadable, retraining: %s", symbol, exc)
            return None
        return _Models(det, flt, "checkpoint")

    def _ensure_models(self, symbol: str) -> _Models:
        models = self._models.get(symbol)
        if models is not None:
            return models
        # Loading or training takes seconds: under the training lock only, never the data lock that
        # `on_bar` (the engine's event loop) takes for every bar.
        with self._train_lock:
            models = self._models.get(symbol)
            if models is None:
                models = self._load(symbol)
                if models is None:
                    bars, source = self._bootstrap_history(symbol)
                    models = self._train(symbol, bars, source)
                with self._lock:
                    self._models[symbol] = models
            return models

    def prepare(self, symbols: tuple[str, ...] | None = None) -> None:
        """Load or train every symbol's models now (call from a worker thread at start-up)."""
        for s in symbols or self.symbols:
            self._ensure_models(self._symbol(s))
            self._catch_up(self._symbol(s))

    def retrain(self, symbol: str, bars: pd.DataFrame, source: str = "bars") -> None:
        """Train the symbol's regime model and filter on `bars`, save them, and refilter the live state."""
        sym = self._symbol(symbol)
        with self._train_lock:
            models = self._train(sym, bars, source)
        with self._lock:
            self._models[sym] = models
            st = self._state(sym)
            st.state_probs, st.filtered_upto, st.informative = None, 0, 0
        self._catch_up(sym)

    # ------------------------------------------------------------------ live bars
    def on_bar(self, bar: Bar) -> None:
        if not isinstance(bar, Bar):
            raise IntelligenceInputError(f"on_bar takes a Bar, got {type(bar).__name__}",
                                         f"on_bar attend une Bar, reçu {type(bar).__name__}")
        sym = self._symbol(bar.symbol)
        prices = (bar.open, bar.high, bar.low, bar.close)
        if not all(isinstance(p, (int, float)) and math.isfinite(p) and p > 0 for p in prices) or bar.high < bar.low \
                or bar.high < max(bar.open, bar.close) or bar.low > min(bar.open, bar.close) or bar.volume < 0:
            raise IntelligenceInputError(f"bad bar for {sym} at {bar.ts}: {prices} volume {bar.volume}",
                                         f"barre invalide pour {sym} à {bar.ts} : {prices} volume {bar.volume}")
        if bar.ts.tzinfo is None:
            raise IntelligenceInputError(f"bar time {bar.ts} has no time zone", f"l'heure {bar.ts} n'a pas de fuseau")
        ts = bar.ts.astimezone(timezone.utc)
        with self._lock:
            st = self._state(sym)
            if st.last_ts is not None and ts <= st.last_ts:
                raise IntelligenceInputError(
                    f"bar for {sym} at {ts} is not after the previous one ({st.last_ts}); ignored",
                    f"la barre {sym} de {ts} n'est pas postérieure à la précédente ({st.last_ts}) ; ignorée")
            st.bars.append((ts, float(bar.open), float(bar.high), float(bar.low), float(bar.close),
                            float(bar.volume)))
            st.bars_seen += 1
            st.last_ts = ts
            self._last_symbol = sym

    # Up to this many new bars are folded in one HMM step each (a feature tail per bar); more, and the
    # whole buffer is refiltered at once (vectorised), which gives the same distribution.
    _STEP_LIMIT = 8

    def _catch_up(self, sym: str) -> None:
        """Fold the buffered bars the forward filter has not seen yet. The features are computed from a
        copy, outside the data lock; the result is published for the bars the copy held (bars that
        arrived meanwhile are folded in by the next query)."""
        models = self._ensure_models(sym)
        with self._lock:
            st = self._state(sym)
            seen = st.bars_seen
            missing = seen - st.filtered_upto
            if missing <= 0 or not st.bars:
                return
            start_probs = st.state_probs
            informative = st.informative
            if missing <= self._STEP_LIMIT and start_probs is not None and len(st.bars) >= missing:
                rows = st.rows(_REGIME_TAIL + missing)
            else:
                rows, start_probs = st.rows(), None
        if start_probs is not None:
            feats = self._features(_frame(rows))
            observations = models.regime.observations(feats)[-missing:]
            probs = start_probs
            for obs in observations:
                probs = models.regime.update(probs, obs)
                informative += int(np.isfinite(obs).all())
        else:
            # refilter the whole buffer from the start distribution: same result as stepping bar by bar
            feats = self._features(_frame(rows))
            obs_all = models.regime.observations(feats)
            probs = models.regime.hmm.filter(models.regime._standardise(obs_all))[-1]
            informative = int(np.isfinite(obs_all).all(axis=1).sum())
        with self._lock:
            if st.filtered_upto < seen:
                st.state_probs, st.informative, st.filtered_upto = probs, informative, seen

    # ------------------------------------------------------------------ queries
    def regime(self, symbol: str | None = None) -> RegimeInfo:
        sym = self._symbol(symbol)
        models = self._ensure_models(sym)
        self._catch_up(sym)
        with self._lock:
            st = self._state(sym)
            if st.state_probs is None or st.informative == 0:
                return RegimeInfo(sym, "unknown", 0.0, {r: 1.0 / len(REGIMES) for r in REGIMES}, st.last_ts,
                                  st.bars_seen, models.source)
            dist = models.regime.distribution(st.state_probs)
            best = max(dist, key=dist.__getitem__)
            return RegimeInfo(sym, best, dist[best], dist, st.last_ts, st.bars_seen, models.source)

    def top_features(self, n: int = 10, symbol: str | None = None) -> list[FeatureImportance]:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise IntelligenceInputError(f"n must be a positive integer, got {n!r}",
                                         f"n doit être un entier positif, reçu {n!r}")
        return self._ensure_models(self._symbol(symbol)).filter.top_features(n)

    def last_signal_features(self, n: int = 10, symbol: str | None = None) -> list[FeatureImportance]:
        return self._ensure_models(self._symbol(symbol)).filter.last_contributions(n)

    def signal_quality(
        self,
        features: Mapping[str, Any] | pd.DataFrame | pd.Series | None = None,
        *,
        symbol: str | None = None,
        side: Side | str | int | None = None,
    ) -> SignalQuality:
        """Score a trade signal.

        `features`: None (the symbol's buffered live bars), a DataFrame of bars (OHLCV) or of features
        (FEATURE_COLUMNS; the last row is used), or a mapping of feature values (FEATURE_COLUMNS names, or
        the already oriented MODEL_FEATURES). A mapping may carry `symbol` and `side`. Without a side, the
        side of the multi-timeframe confluence is used (the primary signal's direction).
        """
        raw_side: Any = side
        if isinstance(features, pd.Series):
            features = features.to_dict()
        if isinstance(features, Mapping):
            symbol = symbol or features.get("symbol")
            raw_side = raw_side if raw_side is not None else features.get("side")
        sym = self._symbol(symbol or self._last_symbol)
        ts: datetime | None = None
        if features is None:
            with self._lock:
                st = self._state(sym)
                if len(st.bars) <= WARMUP_BARS:
                    raise IntelligenceInputError(
                        f"not enough {sym} bars yet for a signal ({len(st.bars)}, need > {WARMUP_BARS})",
                        f"pas encore assez de barres {sym} pour un signal ({len(st.bars)}, il en faut > {WARMUP_BARS})")
                rows = st.rows()
            raw = self._features(_frame(rows)).iloc[-1]
            ts = raw.name.to_pydatetime()
            raw_map: dict[str, Any] = raw.to_dict()
        elif isinstance(features, pd.DataFrame):
            if len(features) == 0:
                raise IntelligenceInputError("empty features frame", "tableau de caractéristiques vide")
            if all(c in features.columns for c in REQUIRED_COLUMNS):
                if len(features) <= WARMUP_BARS:
                    raise IntelligenceInputError(
                        f"need more than {WARMUP_BARS} bars to compute signal features, got {len(features)}",
                        f"il faut plus de {WARMUP_BARS} barres pour calculer les caractéristiques, reçu {len(features)}")
                last = self._features(features).iloc[-1]
            else:
                last = features.iloc[-1]
            raw_map = last.to_dict()
            ts = last.name.to_pydatetime() if isinstance(last.name, pd.Timestamp) else None
        elif isinstance(features, Mapping):
            raw_map = dict(features)
        else:
            raise IntelligenceInputError(f"features must be a mapping, a DataFrame or None, got {type(features).__name__}",
                                         f"les caractéristiques doivent être un dictionnaire, un DataFrame ou None, "
                                         f"reçu {type(features).__name__}")
        if raw_side is None:
            conf = raw_map.get("mtf_confluence")
            if conf is None or not math.isfinite(float(conf)):
                raise IntelligenceInputError("no side given and no mtf_confluence to infer it",
                                             "aucun sens donné et pas de mtf_confluence pour le déduire")
            raw_side = 1 if float(conf) >= 0 else -1
        s = _side_of(raw_side)
        models = self._ensure_models(sym)
        info = self.regime(sym)
        dist = info.distribution if info.regime != "unknown" else None
        numeric = {k: v for k, v in raw_map.items() if k != "symbol"}
        numeric["side"] = s
        try:
            row = signal_row({k: float(v) for k, v in numeric.items()}, s, dist)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, IntelligenceInputError):
                raise
            raise IntelligenceInputError(f"feature values must be numbers ({exc})",
                                         f"les valeurs des caractéristiques doivent être des nombres ({exc})") from None
        verdict = models.filter.score(row)
        phase, factor = "normal", 1.0
        code = raw_map.get("gamma_phase")
        if code is not None and math.isfinite(float(code)) and int(code) in PHASE_BY_CODE:
            phase = PHASE_BY_CODE[int(code)]
            factor = float(self.intel.gamma_factors.get(phase, 1.0))
        elif ts is not None:
            phase, factor = gamma_phase(ts, self.intel.gamma_factors)
        return SignalQuality(
            symbol=sym,
            side="BUY" if s > 0 else "SELL",
            probability=verdict.probability,
            approved=verdict.approved,
            threshold=models.filter.threshold,
            model_probabilities=dict(verdict.model_probabilities),
            top_features=verdict.contributions[:5],
            regime=info,
            gamma_phase=phase,
            position_factor=factor,
            cached=verdict.cached,
            ts=ts,
            features={k: float(v) for k, v in row.iloc[0].items()},
        )

    # ------------------------------------------------------------------ figures
    def write_figures(self, symbol: str | None = None) -> list[Path]:
        """regime_<SYM>_live.png (buffered bars) and shap_<SYM>.png in <data_dir>/figures/<SYM>/."""
        from trading_core.intelligence.figures import figures_dir, regime_figure, shap_figure

        sym = self._symbol(symbol)
        models = self._ensure_models(sym)
        out = figures_dir(self.data_dir, sym)
        paths = [shap_figure(models.filter.top_features(10), out / f"shap_{sym}.png",
                             f"{sym}: ensemble filter ({models.source}) / filtre d'ensemble",
                             last_signal=models.filter.last_contributions(10) or None)]
        with self._lock:
            st = self._state(sym)
            rows = st.rows() if len(st.bars) > ER_N + 1 else None
        bars = _frame(rows) if rows is not None else None
        if bars is not None:
            feats = self._features(bars)
            probs = models.regime.filter(feats)
            paths.append(regime_figure(feats.index, bars["close"].to_numpy(), probs, out / f"regime_{sym}_live.png",
                                       f"{sym}: live regime (HMM, forward-filtered) / régime en direct"))
        return paths

