"""Walk-forward out-of-sample evaluation of the intelligence layer on a bar file (`mia evaluate`).

Pipeline, all causal:
1. features on every bar (features.py);
2. candidate signals: CUSUM-filter events with the side of the multi-timeframe confluence (default), or
   confluence threshold crossings; each one's triple-barrier outcome after costs is its label (labels.py);
3. the bars after warm-up are cut into an initial training block (`initial_train_fraction`) and `n_folds`
   test blocks. For each test block: the HMM regime model is fitted on the bars before the block; the
   ensemble filter is trained on the signals whose outcome was known before the block started, minus an
   embargo (purging); it then scores the block's signals (approved when probability >= threshold);
4. out of sample (all test blocks together), on the same bars with the same costs: the filtered signals,
   all signals unfiltered, buy-and-hold and a moving-average crossover, one contract each.
Nothing tested is ever trained on. The report says plainly when the model does not beat a baseline.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from trading_core.intelligence.backtest import (
    StrategyResult,
    cost_model,
    ma_cross_positions,
    position_increments,
    sequential,
    summarise,
    trade_increments,
)
from trading_core.intelligence.data import load_bars
from trading_core.intelligence.features import WARMUP_BARS, compute_features, normalise_bars
from trading_core.intelligence.filter import MODEL_NAMES, FilterParams, MLEnsembleFilter, _auc
from trading_core.intelligence.labels import BarrierSpec, triple_barrier
from trading_core.intelligence.regime import RegimeDetector
from trading_core.intelligence.signals import confluence_signals, cusum_events, signal_matrix
from trading_core.intelligence.types import REGIMES, FeatureImportance, IntelligenceInputError

STRATEGY_LABELS: dict[str, tuple[str, str]] = {
    "ml_filter": ("ML filter", "filtre ML"),
    "unfiltered": ("all signals", "tous les signaux"),
    "buy_hold": ("buy & hold", "achat-conservation"),
    "ma_cross": ("MA cross", "croisement MM"),
}
_NS_PER_DAY = 86_400_000_000_000
_SIX_HOURS_NS = 6 * 3_600_000_000_000


@dataclass
class EvaluationSettings:
    market: str = "ES"
    threshold: float = 0.6
    n_folds: int = 4
    initial_train_fraction: float = 0.4
    embargo: int = 60  # bars between the last training outcome and the first test signal
    signal_mode: Literal["cusum", "cross"] = "cusum"
    cusum_h: float = 3.0
    min_confluence: float = 0.1
    cross_threshold: float = 0.3
    barrier: BarrierSpec = field(default_factory=BarrierSpec)
    ma_fast: int = 50
    ma_slow: int = 200
    commission_per_side: float = 2.25
    slippage_ticks: int = 1
    filter_params: FilterParams = field(default_factory=FilterParams)
    hmm_max_fit_bars: int = 20_000
    hmm_iter: int = 40
    mtf_weights: dict[str, float] | None = None
    gamma_factors: dict[str, float] | None = None
    min_train_signals: int = 100
    symbol: str | None = None
    seed: int = 42

    def __post_init__(self) -> None:
        if self.n_folds < 1 or not 0.05 <= self.initial_train_fraction <= 0.9 or self.embargo < 0:
            raise IntelligenceInputError(
                "n_folds >= 1, initial_train_fraction in [0.05, 0.9] and embargo >= 0 are required",
                "il faut n_folds >= 1, initial_train_fraction dans [0,05 ; 0,9] et embargo >= 0")
        if not 0.0 <= self.threshold <= 1.0:
            raise IntelligenceInputError(f"threshold must be in [0, 1], got {self.threshold}",
                                         f"le seuil doit être dans [0, 1], reçu {self.threshold}")


@dataclass
class FoldResult:
    fold: int
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    train_signals: int
    test_signals: int
    approved: int
    auc: float
    auc_by_model: dict[str, float]
    test_win_rate: float  # share of the block's signals that won after costs (unfiltered base rate)
    approved_win_rate: float


@dataclass
class EvaluationReport:
    source: str
    market: str
    settings: EvaluationSettings
    n_bars: int
    oos_start: pd.Timestamp
    oos_end: pd.Timestamp
    oos_bars: int
    folds: list[FoldResult]
    signals_total: int
    oos_signals: int
    oos_approved: int
    oos_auc: float
    oos_base_rate: float
    strategies: dict[str, StrategyResult]
    top_features: list[FeatureImportance]
    regime_share: dict[str, float]  # out-of-sample bars per regime (forward-filtered, fold models)
    round_trip_cost: float
    elapsed_s: float
    # series kept for the figures
    index: pd.DatetimeIndex = field(repr=False, default_factory=lambda: pd.DatetimeIndex([]))
    close: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    regime_probs: pd.DataFrame | None = field(repr=False, default=None)
    oos_start_idx: int = 0

    def verdicts(self) -> list[tuple[str, str]]:
        """Plain statements (English, French) comparing the filter with each baseline."""
        ml = self.strategies["ml_filter"]
        out: list[tuple[str, str]] = []
        for key in ("unfiltered", "buy_hold", "ma_cross"):
            other = self.strategies[key]
            en_name, fr_name = STRATEGY_LABELS[key]
            beat = ml.net_pnl > other.net_pnl
            out.append((
                f"The ML filter {'BEAT' if beat else 'did NOT beat'} {en_name} on net P&L "
                f"({ml.net_pnl:,.2f} vs {other.net_pnl:,.2f} USD).",
                f"Le filtre ML {'a BATTU' if beat else 'n a PAS battu'} {fr_name} sur le P&L net "
                f"({ml.net_pnl:,.2f} contre {other.net_pnl:,.2f} USD).".replace("n a", "n'a"),
            ))
        if math.isnan(self.oos_auc) or self.oos_auc < 0.55:
            out.append((
                f"Out-of-sample AUC {self.oos_auc:.3f}: the filter shows no reliable skill on this data.",
                f"AUC hors échantillon {self.oos_auc:.3f} : le filtre ne montre pas de capacité fiable sur ces données.",
            ))
        return out


def _trading_day(index: pd.DatetimeIndex) -> np.ndarray:
    et = index.tz_convert("America/New_York").tz_localize(None).as_unit("ns").asi8
    return (et + _SIX_HOURS_NS) // _NS_PER_DAY


def _progress(total: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="step", leave=False)


def evaluate_bars(
    bars: pd.DataFrame, settings: EvaluationSettings | None = None, *, source: str = "bars", progress: bool = False
) -> EvaluationReport:
    s = settings or EvaluationSettings()
    t_start = time.perf_counter()
    df = normalise_bars(bars)
    n = len(df)
    min_bars = WARMUP_BARS + 2000
    if n < min_bars:
        raise IntelligenceInputError(
            f"{source}: {n} bars is too short for a walk-forward evaluation (need at least {min_bars})",
            f"{source} : {n} barres, trop peu pour une évaluation walk-forward (il en faut au moins {min_bars})")
    costs = cost_model(s.market, s.commission_per_side, s.slippage_ticks)
    bar = _progress(3 + s.n_folds, progress, "evaluate")

    def tick() -> None:
        if bar is not None:
            bar.update(1)

    feats = compute_features(df, mtf_weights=s.mtf_weights, gamma_factors=s.gamma_factors, validate=False)
    close = df["close"].to_numpy(np.float64)
    open_ = df["open"].to_numpy(np.float64)
    tick()
    if s.signal_mode == "cusum":
        sig_idx, sig_side = cusum_events(feats, close, s.cusum_h, s.min_confluence)
    else:
        sig_idx, sig_side = confluence_signals(feats, s.cross_threshold)
    outcomes = triple_barrier(df, sig_idx, sig_side, feats["rv_30"].to_numpy()[sig_idx], s.barrier, costs)
    t0 = outcomes["signal_idx"].to_numpy()
    t1 = outcomes["exit_idx"].to_numpy()
    y = outcomes["label"].to_numpy()
    tick()

    first = WARMUP_BARS
    oos_start = first + int((n - first) * s.initial_train_fraction)
    edges = np.linspace(oos_start, n, s.n_folds + 1).astype(np.int64)
    proba = np.full(len(outcomes), np.nan)
    folds: list[FoldResult] = []
    regime_frames: list[pd.DataFrame] = []
    last_filter: MLEnsembleFilter | None = None
    last_regime: RegimeDetector | None = None
    for k in range(s.n_folds):
        a, b = int(edges[k]), int(edges[k + 1])
        detector = RegimeDetector(max_fit_bars=s.hmm_max_fit_bars, seed=s.seed, n_iter=s.hmm_iter)
        detector.fit(feats.iloc[:a], source=f"{source} bars < {a}", warm_start=last_regime)
        probs = detector.filter(feats.iloc[:b])  # causal: bar t only sees bars <= t
        regime_frames.append(probs.iloc[a:b])
        train = np.flatnonzero((t0 < a) & (t1 < a - s.embargo))
        test = np.flatnonzero((t0 >= a) & (t0 < b))
        fold = FoldResult(k + 1, df.index[a], df.index[b - 1], int(train.size), int(test.size), 0, float("nan"),
                          {}, float(y[test].mean()) if test.size else float("nan"), float("nan"))
        if train.size >= s.min_train_signals and np.unique(y[train]).size == 2 and test.size:
            x_train = signal_matrix(feats, t0[train], _sides(outcomes, train), probs)
            x_test = signal_matrix(feats, t0[test], _sides(outcomes, test), probs)
            flt = MLEnsembleFilter(threshold=s.threshold, params=s.filter_params)
            flt.fit(x_train, y[train], source=f"{source} fold {k + 1}")
            per = flt.predict_models(x_test)
            p = np.mean(np.vstack([per[m] for m in MODEL_NAMES]), axis=0)
            proba[test] = p
            ok = p >= s.threshold
            fold.approved = int(ok.sum())
            fold.auc = _auc(y[test], p)
            fold.auc_by_model = {m: _auc(y[test], per[m]) for m in MODEL_NAMES}
            fold.approved_win_rate = float(y[test][ok].mean()) if ok.any() else float("nan")
            last_filter = flt
        last_regime = detector
        folds.append(fold)
        tick()

    oos = t0 >= oos_start
    tested = oos & ~np.isnan(proba)
    approved = tested & (proba >= s.threshold)
    day = _trading_day(df.index)[oos_start:n]
    strategies: dict[str, StrategyResult] = {}
    for key, mask in (("ml_filter", approved), ("unfiltered", tested)):
        taken = sequential(outcomes, mask)
        inc = trade_increments(taken, close, oos_start, n, costs)
        strategies[key] = summarise(key, inc, taken["pnl_usd"].to_numpy(), day)
    hold = np.zeros(n)
    hold[oos_start:] = 1.0
    inc, trades = position_increments(hold, open_, close, oos_start, n, costs)
    strategies["buy_hold"] = summarise("buy_hold", inc, trades, day)
    inc, trades = position_increments(ma_cross_positions(close, s.ma_fast, s.ma_slow), open_, close, oos_start, n,
                                      costs)
    strategies["ma_cross"] = summarise("ma_cross", inc, trades, day)
    tick()
    if bar is not None:
        bar.close()

    regime_oos = pd.concat(regime_frames) if regime_frames else None
    share = {r: 0.0 for r in REGIMES}
    if regime_oos is not None and len(regime_oos):
        counts = regime_oos["regime"].value_counts(normalize=True)
        share = {r: float(counts.get(r, 0.0)) for r in REGIMES}
    full_regime = last_regime.filter(feats) if last_regime is not None else None
    return EvaluationReport(
        source=source,
        market=s.market,
        settings=s,
        n_bars=n,
        oos_start=df.index[oos_start],
        oos_end=df.index[n - 1],
        oos_bars=n - oos_start,
        folds=folds,
        signals_total=int(len(outcomes)),
        oos_signals=int(tested.sum()),
        oos_approved=int(approved.sum()),
        oos_auc=_auc(y[tested], proba[tested]),
        oos_base_rate=float(y[tested].mean()) if tested.any() else float("nan"),
        strategies=strategies,
        top_features=last_filter.top_features(10) if last_filter is not None else [],
        regime_share=share,
        round_trip_cost=costs.round_trip_usd,
        elapsed_s=time.perf_counter() - t_start,
        index=df.index,
        close=close,
        regime_probs=full_regime,
        oos_start_idx=oos_start,
    )


def _sides(outcomes: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    return outcomes["side"].to_numpy()[rows]


def evaluate_file(
    path: str | Path, settings: EvaluationSettings | None = None, *, progress: bool = False
) -> EvaluationReport:
    s = settings or EvaluationSettings()
    bars = load_bars(path, symbol=s.symbol)
    return evaluate_bars(bars, s, source=Path(path).name, progress=progress)


def _fmt(v: float | None, kind: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "usd":
        return f"{v:,.2f}"
    return f"{v:.2f}"


def format_report(report: EvaluationReport) -> str:
    """The evaluation table and verdicts, in English and French."""
    s = report.settings
    lines = [
        f"MIA walk-forward evaluation / évaluation walk-forward — {report.source} ({report.market})",
        f"bars / barres: {report.n_bars:,}; out-of-sample / hors échantillon: {report.oos_start:%Y-%m-%d %H:%M} → "
        f"{report.oos_end:%Y-%m-%d %H:%M} UTC ({report.oos_bars:,} bars, {s.n_folds} folds / plis)",
        f"costs / coûts: {s.commission_per_side:.2f} USD commission per side / par côté + {s.slippage_ticks} tick "
        f"slippage per fill / par exécution = {report.round_trip_cost:.2f} USD per round trip / par aller-retour",
        f"signals / signaux: {s.signal_mode}, barriers / barrières ±{s.barrier.pt_mult:g}σ√{s.barrier.horizon}, "
        f"{s.barrier.horizon} bars max; {report.signals_total:,} in total, {report.oos_signals:,} out of sample",
        f"filter / filtre: threshold / seuil {s.threshold:.2f}, approved / approuvés {report.oos_approved:,} "
        f"of / sur {report.oos_signals:,}; OOS AUC {_fmt(report.oos_auc, 'f')}; "
        f"win rate of all OOS signals / taux de gain de tous les signaux {_fmt(report.oos_base_rate, 'pct')}",
        "regime share OOS / part des régimes: "
        + ", ".join(f"{r} {100 * v:.0f}%" for r, v in report.regime_share.items()),
        "",
    ]
    head = ("strategy / stratégie", "trades", "win rate / gain", "profit factor", "net P&L USD", "Sharpe",
            "max DD USD")
    rows = []
    for key, res in report.strategies.items():
        en, fr = STRATEGY_LABELS[key]
        name = f"{en} / {fr}"
        if key == "ma_cross":
            name = f"MA {s.ma_fast}/{s.ma_slow} cross / croisement MM"
        rows.append((name, f"{res.trades:,}", _fmt(res.win_rate, "pct"), _fmt(res.profit_factor, "f"),
                     _fmt(res.net_pnl, "usd"), _fmt(res.sharpe, "f"), _fmt(res.max_drawdown, "usd")))
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(len(head))]
    lines.append("  ".join(h.ljust(widths[i]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(head)))
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
    lines.append("")
    lines.append("folds / plis:")
    for f in report.folds:
        lines.append(
            f"  {f.fold}: {f.test_start:%Y-%m-%d} → {f.test_end:%Y-%m-%d}  train {f.train_signals:,}  "
            f"test {f.test_signals:,}  approved {f.approved:,}  AUC {_fmt(f.auc, 'f')}  "
            f"base win {_fmt(f.test_win_rate, 'pct')}  approved win {_fmt(f.approved_win_rate, 'pct')}")
    if report.top_features:
        lines.append("top SHAP features (last fold) / principales caractéristiques SHAP: "
                     + ", ".join(f"{fi.name} {fi.value:.3f}" for fi in report.top_features[:5]))
    lines.append("")
    for en, fr in report.verdicts():
        lines.append(f"- {en}")
        lines.append(f"  {fr}")
    lines.append("Sharpe is annualised from daily P&L over a few weeks: a noisy figure. / Le Sharpe est annualisé "
                 "à partir du P&L quotidien sur quelques semaines : chiffre bruité.")
    lines.append(f"({report.elapsed_s:.1f} s)")
    return "\n".join(lines)
