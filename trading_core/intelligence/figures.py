"""PNG figures of the intelligence layer (matplotlib, Agg; no pyplot global state, safe in threads).

Written to `<data_dir>/figures/<market>/`:
- regime_<tag>.png: price coloured by the forward-filtered HMM regime, and the regime probabilities;
- shap_<tag>.png: top-10 features by mean |SHAP| (and the last signal's signed contributions);
- performance_<tag>.png: out-of-sample equity curves and drawdowns of the model and the baselines;
- advanced_<tag>.png: CVaR loss, QR-DQN quantiles and ensemble weights, from numbers the RL models supply.
Titles and axis labels are in English and French. The x axis of price series is the bar number (market
closures take no room), labelled with dates.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trading_core.intelligence.types import REGIMES, FeatureImportance

if TYPE_CHECKING:
    from trading_core.intelligence.evaluate import EvaluationReport

REGIME_COLOURS: dict[str, str] = {"trend": "#2ca02c", "range": "#1f77b4", "defensive": "#d62728"}
STRATEGY_COLOURS: dict[str, str] = {
    "ml_filter": "#d62728", "unfiltered": "#ff7f0e", "buy_hold": "#7f7f7f", "ma_cross": "#1f77b4",
}
_DPI = 110


def figures_dir(data_dir: str | Path, market: str) -> Path:
    path = Path(data_dir).expanduser() / "figures" / market.upper()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    return fig


def _date_ticks(ax: Any, index: pd.DatetimeIndex, n_ticks: int = 8) -> None:
    n = len(index)
    if n == 0:
        return
    pos = np.unique(np.linspace(0, n - 1, n_ticks).astype(int))
    ax.set_xticks(pos)
    span_days = (index[-1] - index[0]).total_seconds() / 86400.0
    fmt = "%Y-%m-%d" if span_days > 20 else "%m-%d %H:%M"
    ax.set_xticklabels([index[i].strftime(fmt) for i in pos], fontsize=8)
    ax.set_xlim(0, n - 1)


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=_DPI)
    return path


def regime_figure(
    index: pd.DatetimeIndex,
    close: np.ndarray,
    regime_probs: pd.DataFrame,
    path: Path,
    title: str = "",
    oos_start_idx: int | None = None,
) -> Path:
    """Price coloured by the most probable regime of each bar, and the three probabilities stacked."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    fig = _figure(12, 6.5)
    ax, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
    n = len(close)
    x = np.arange(n, dtype=np.float64)
    labels = regime_probs["regime"].to_numpy()
    pts = np.column_stack([x, close])
    segs = np.stack([pts[:-1], pts[1:]], axis=1)
    colours = [REGIME_COLOURS.get(str(r), "#bbbbbb") for r in labels[1:]]
    ax.add_collection(LineCollection(list(segs), colors=colours, linewidths=0.9))
    finite = close[np.isfinite(close)]
    pad = (finite.max() - finite.min()) * 0.03 or 1.0
    ax.set_ylim(finite.min() - pad, finite.max() + pad)
    ax.set_ylabel("price / prix")
    ax.set_title(title or "Market regime (HMM, forward-filtered) / Régime de marché (HMM, filtré)", fontsize=11)
    handles = [Line2D([0], [0], color=REGIME_COLOURS[r], lw=3) for r in REGIMES]
    names = ["trend / tendance", "range / en range", "defensive / défensif"]
    ax.legend(handles, names, loc="upper left", fontsize=8, framealpha=0.85)
    ax.grid(alpha=0.25)
    probs = regime_probs[[f"p_{r}" for r in REGIMES]].to_numpy()
    block = max(1, n // 600)  # at most ~600 columns: per-bar flicker is unreadable on tens of thousands of bars
    m = (n // block) * block
    if block > 1 and m:
        xb = x[:m].reshape(-1, block).mean(axis=1)
        pb = probs[:m].reshape(-1, block, len(REGIMES)).mean(axis=1)
    else:
        xb, pb = x, probs
    ax2.stackplot(xb, np.nan_to_num(pb).T, colors=[REGIME_COLOURS[r] for r in REGIMES], alpha=0.85)
    ax2.set_ylim(0, 1)
    ax2.set_ylabel("probability /\nprobabilité" + (f"\n(mean of {block} bars)" if block > 1 else ""), fontsize=9)
    if oos_start_idx is not None and 0 < oos_start_idx < n:
        for a in (ax, ax2):
            a.axvline(oos_start_idx, color="black", ls="--", lw=1)
        ax.text(oos_start_idx, ax.get_ylim()[1], " out-of-sample → / hors échantillon →", va="top", fontsize=8)
    _date_ticks(ax2, index)
    ax2.set_xlabel("bars (UTC dates) / barres (dates UTC)")
    return _save(fig, path)


def shap_figure(
    importances: Sequence[FeatureImportance],
    path: Path,
    title: str = "",
    last_signal: Sequence[FeatureImportance] | None = None,
    top: int = 10,
) -> Path:
    """Top features by mean |SHAP| and, when given, the signed SHAP contributions of the last signal."""
    panels = 2 if last_signal else 1
    fig = _figure(11 if panels == 2 else 7.5, 5.2)
    axes = np.atleast_1d(fig.subplots(1, panels))
    imp = list(importances)[:top]
    ax = axes[0]
    if imp:
        names = [f.name for f in imp][::-1]
        vals = [f.value for f in imp][::-1]
        ax.barh(names, vals, color="#1f77b4")
        for i, v in enumerate(vals):
            ax.text(v, i, f" {v:.3f}", va="center", fontsize=8)
        ax.set_xlim(0, max(vals) * 1.2 if max(vals) > 0 else 1)
    else:
        ax.text(0.5, 0.5, "no trained filter / aucun filtre entraîné", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_xlabel("mean |SHAP| (log-odds) / |SHAP| moyen (log-cote)")
    ax.set_title(f"Top {top} features (XGBoost TreeSHAP) / principales caractéristiques", fontsize=10)
    ax.tick_params(axis="y", labelsize=9)
    ax.grid(axis="x", alpha=0.25)
    if last_signal:
        ax2 = axes[1]
        sig = list(last_signal)[:top]
        names = [f.name for f in sig][::-1]
        vals = [f.value for f in sig][::-1]
        ax2.barh(names, vals, color=["#2ca02c" if v >= 0 else "#d62728" for v in vals])
        ax2.axvline(0, color="black", lw=0.8)
        ax2.set_xlabel("SHAP (log-odds) / SHAP (log-cote)")
        ax2.set_title("Last signal: + towards win / dernier signal : + vers le gain", fontsize=10)
        ax2.tick_params(axis="y", labelsize=9)
        ax2.grid(axis="x", alpha=0.25)
    if title:
        fig.suptitle(title, fontsize=11)
    return _save(fig, path)


def performance_figure(
    index: pd.DatetimeIndex,
    equity: Mapping[str, np.ndarray],
    path: Path,
    title: str = "",
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Equity curves (USD, one contract, after costs) and their drawdowns over the same bars."""
    fig = _figure(12, 6.5)
    ax, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    n = len(index)
    x = np.arange(n)
    for key, eq in equity.items():
        name = (labels or {}).get(key, key)
        colour = STRATEGY_COLOURS.get(key)
        lw = 1.8 if key == "ml_filter" else 1.1
        ax.plot(x, eq, label=f"{name}: {eq[-1]:,.0f} USD" if len(eq) else name, color=colour, lw=lw)
        peak = np.maximum.accumulate(np.concatenate(([0.0], eq)))[1:]
        ax2.plot(x, eq - peak, color=colour, lw=lw)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("equity, USD / capital, USD")
    ax.legend(loc="upper left", fontsize=8, framealpha=0.85)
    ax.grid(alpha=0.25)
    ax.set_title(title or "Out-of-sample equity / capital hors échantillon", fontsize=11)
    ax2.set_ylabel("drawdown, USD")
    ax2.grid(alpha=0.25)
    _date_ticks(ax2, index)
    ax2.set_xlabel("bars (UTC dates) / barres (dates UTC)")
    return _save(fig, path)


def _not_available(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"{what}\n\nnot available: train the model\nnon disponible : entraîner le modèle",
            ha="center", va="center", fontsize=9, transform=ax.transAxes, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])


def advanced_figure(
    path: Path,
    *,
    cvar_loss: float | None = None,
    cvar_history: Sequence[Sequence[float]] | Sequence[float] | None = None,
    quantiles: Mapping[str, Sequence[float]] | Sequence[float] | None = None,
    taus: Sequence[float] | None = None,
    ensemble_weights: Mapping[str, float] | Sequence[float] | None = None,
    title: str = "",
) -> Path:
    """Three panels from numbers the RL models supply (any may be None).

    cvar_history: values, or (step, value[, ...]) rows (e.g. CvarReport.history); quantiles: one sorted
    quantile array, or action -> array (e.g. QuantileReport.quantiles_usd); ensemble_weights: SAC/PPO/DDPG.
    """
    fig = _figure(14, 4.6)
    ax1, ax2, ax3 = fig.subplots(1, 3)
    # CVaR
    hist: list[Any] = list(cvar_history or [])
    if hist:
        steps: np.ndarray
        vals: np.ndarray
        if np.ndim(hist[0]) == 0:
            steps, vals = np.arange(len(hist)), np.asarray(hist, dtype=np.float64)
        else:
            arr = np.asarray([row[:2] for row in hist], dtype=np.float64)
            steps, vals = arr[:, 0], arr[:, 1]
        ax1.plot(steps, vals, color="#d62728", lw=1.4, label="training CVaR / CVaR d'entraînement")
        if cvar_loss is not None:
            ax1.axhline(cvar_loss, color="black", ls="--", lw=1, label=f"held-out / test: {cvar_loss:,.1f} USD")
        ax1.legend(fontsize=8)
        ax1.set_xlabel("step / pas")
        ax1.grid(alpha=0.25)
    elif cvar_loss is not None:
        ax1.bar(["CVaR"], [cvar_loss], color="#d62728")
        ax1.text(0, cvar_loss, f"{cvar_loss:,.1f} USD", ha="center", va="bottom", fontsize=9)
    else:
        _not_available(ax1, "CVaR loss / perte CVaR")
    ax1.set_title("PPO-CVaR loss / perte CVaR (USD)", fontsize=10)
    # quantiles
    if quantiles is not None and len(quantiles):
        series = dict(quantiles) if isinstance(quantiles, Mapping) else {"Z": quantiles}
        for name, q in series.items():
            qa = np.sort(np.asarray(q, dtype=float))
            tt = np.asarray(taus, dtype=float) if taus is not None and len(taus) == len(qa) else \
                (2 * np.arange(len(qa)) + 1) / (2 * len(qa))
            ax2.plot(tt, qa, marker=".", ms=3, lw=1.2, label=str(name))
        ax2.axhline(0, color="black", lw=0.6)
        ax2.set_xlabel("quantile level τ / niveau τ")
        ax2.set_ylabel("return, USD / rendement, USD")
        ax2.legend(fontsize=8)
        ax2.grid(alpha=0.25)
    else:
        _not_available(ax2, "QR-DQN quantiles")
    ax2.set_title("QR-DQN return quantiles / quantiles du rendement", fontsize=10)
    # ensemble weights
    if ensemble_weights is not None and len(ensemble_weights):
        if isinstance(ensemble_weights, Mapping):
            names, w = list(ensemble_weights), [float(v) for v in ensemble_weights.values()]
        else:
            w = [float(v) for v in ensemble_weights]
            names = ["SAC", "PPO", "DDPG"][: len(w)] if len(w) <= 3 else [f"m{i}" for i in range(len(w))]
        bars = ax3.bar([str(n).upper() for n in names], w, color=["#9467bd", "#8c564b", "#e377c2"][: len(w)])
        for b_, v in zip(bars, w):
            ax3.text(b_.get_x() + b_.get_width() / 2, v, f"{v:.2f}", ha="center", va="bottom", fontsize=9)
        ax3.set_ylim(0, max(1.0, max(w) * 1.15))
        ax3.grid(axis="y", alpha=0.25)
    else:
        _not_available(ax3, "ensemble weights / poids")
    ax3.set_title("Ensemble weights / poids de l'ensemble", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=11)
    return _save(fig, path)


def advanced_figure_from_reports(
    path: Path, cvar: Any = None, quantiles: Any = None, weights: Any = None, title: str = ""
) -> Path:
    """advanced_*.png from the RL layer's CvarReport / QuantileReport / EnsembleWeightsReport (duck-typed;
    a report with trained=False, or None, gives a "not available" panel)."""
    def ok(report: Any) -> bool:
        return report is not None and bool(getattr(report, "trained", False))

    weights_map = None
    if ok(weights) and bool(getattr(weights, "weights", ())):
        weights_map = dict(zip(getattr(weights, "members", ("sac", "ppo", "ddpg")), weights.weights))
    return advanced_figure(
        path,
        cvar_loss=getattr(cvar, "cvar_loss_usd", None) if ok(cvar) else None,
        cvar_history=[row[:2] for row in getattr(cvar, "history", ())] if ok(cvar) else None,
        quantiles=(dict(getattr(quantiles, "quantiles_usd", {})) or None) if ok(quantiles) else None,
        taus=getattr(quantiles, "taus", None) if ok(quantiles) else None,
        ensemble_weights=weights_map,
        title=title,
    )


def write_evaluation_figures(report: "EvaluationReport", out_dir: Path, tag: str | None = None) -> list[Path]:
    """regime_, shap_ and performance_ PNGs of an evaluation; returns their paths."""
    from trading_core.intelligence.evaluate import STRATEGY_LABELS

    tag = tag or Path(report.source).name.split(".")[0]
    written: list[Path] = []
    if report.regime_probs is not None:
        written.append(regime_figure(
            report.index, report.close, report.regime_probs, out_dir / f"regime_{tag}.png",
            f"{report.market} {tag}: regime (HMM, forward-filtered) / régime (HMM, filtré)",
            report.oos_start_idx))
    written.append(shap_figure(report.top_features, out_dir / f"shap_{tag}.png",
                               f"{report.market} {tag}: ensemble filter, last fold / filtre, dernier pli"))
    labels = {k: f"{en} / {fr}" for k, (en, fr) in STRATEGY_LABELS.items()}
    labels["ma_cross"] = f"MA {report.settings.ma_fast}/{report.settings.ma_slow} cross / croisement MM"
    written.append(performance_figure(
        report.index[report.oos_start_idx:], {k: v.equity for k, v in report.strategies.items()},
        out_dir / f"performance_{tag}.png",
        f"{report.market} {tag}: out-of-sample, 1 contract, after costs / hors échantillon, 1 contrat, après coûts",
        labels))
    return written
