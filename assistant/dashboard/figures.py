"""The dashboard's figures as PNG files in `<data_dir>/figures/<market>/`, rewritten every refresh:

- dashboard_equity.png: equity curve, and the net P&L of each closed trade;
- dashboard_system.png: voice-pipeline latency per stage (p50 / p95) and the monitor's system readings;
- regime_<SYM>_live.png and shap_<SYM>.png: drawn by the intelligence layer's own figure code, when its
  models are loaded;
- advanced_<SYM>.png: CVaR / QR-DQN / ensemble panels, through the intelligence `advanced_figure`
  (which says "not available: train the model" for a model without checkpoint).
matplotlib's object API on the Agg canvas (no pyplot state): safe on a worker thread.
"""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("mia.dashboard")
_DPI = 100


def _figure(w: float, h: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), dpi=_DPI, layout="constrained")


def _times(points: list[list[Any]]) -> list[datetime]:
    return [datetime.fromisoformat(p[0]) for p in points]


def equity_figure(snap: dict[str, Any], path: Path) -> Path:
    fig = _figure(11, 6)
    ax, ax2 = fig.subplots(2, 1, height_ratios=[2, 1])
    curve = snap.get("equity_curve") or []
    if curve:
        ax.plot(_times(curve), [p[1] for p in curve], color="#1f77b4", lw=1.5)
        start = snap["account"]["starting"]
        if start is not None:
            ax.axhline(start, color="#888888", lw=0.8, ls="--", label=f"start / départ {start:,.0f}")
            ax.legend(loc="upper left", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no equity recorded yet / aucune valeur enregistrée", ha="center", va="center",
                transform=ax.transAxes)
    acct = snap["account"]
    ax.set_title(f"{snap['market']} {snap['mode']}: equity / valeur du compte {acct['equity']:,.2f} USD — "
                 f"P&L today / du jour {snap['pnl']['total']:,.2f}", fontsize=10)
    ax.set_ylabel("USD")
    ax.grid(alpha=0.25)
    trades = snap.get("trades") or []
    if trades:
        vals = [t["pnl"] for t in trades]
        ax2.bar(range(1, len(vals) + 1), vals, color=["#2ca02c" if v >= 0 else "#d62728" for v in vals])
        ax2.axhline(0, color="black", lw=0.6)
        ax2.set_xlabel("closed trade / trade clôturé")
    else:
        ax2.text(0.5, 0.5, "no closed trade / aucun trade clôturé", ha="center", va="center", transform=ax2.transAxes)
        ax2.set_xticks([])
        ax2.set_yticks([])
    ax2.set_ylabel("net P&L, USD")
    ax2.grid(axis="y", alpha=0.25)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def system_figure(snap: dict[str, Any], path: Path) -> Path:
    fig = _figure(11, 4.2)
    ax, ax2 = fig.subplots(1, 2)
    mon = snap.get("monitor") or {}
    lat = mon.get("latency") or []
    if lat:
        names = [s["stage"] for s in lat]
        x = range(len(names))
        ax.bar([i - 0.2 for i in x], [s["p50"] for s in lat], width=0.4, label="p50", color="#1f77b4")
        ax.bar([i + 0.2 for i in x], [s["p95"] for s in lat], width=0.4, label="p95", color="#ff7f0e")
        ax.set_xticks(list(x))
        ax.set_xticklabels(names, fontsize=8)
        ax.set_xlim(-0.75, max(len(names), 4) - 0.25)  # one stage is not a full-width bar
        th = (mon.get("thresholds") or {}).get("latency")
        if th:
            ax.axhline(th[0], color="#ff7f0e", ls="--", lw=0.8)
            ax.axhline(th[1], color="#d62728", ls="--", lw=0.8)
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no voice command yet / aucune commande vocale", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
    ax.set_title("Voice latency / latence vocale (s)", fontsize=10)
    ax.grid(axis="y", alpha=0.25)
    sysm = mon.get("system")
    if sysm:
        labels = ["CPU", "memory\nmémoire", "disk\ndisque"]
        vals = [sysm["cpu_percent"], sysm["memory_percent"], sysm["disk_percent"] or 0.0]
        ax2.bar(labels, vals, color=["#9467bd", "#8c564b", "#7f7f7f"])
        for i, v in enumerate(vals):
            ax2.text(i, v, f"{v:.0f}%", ha="center", va="bottom", fontsize=9)
        ax2.set_ylim(0, 100)
    else:
        ax2.text(0.5, 0.5, "no system sample / aucune mesure système", ha="center", va="center", transform=ax2.transAxes)
    ax2.set_title("System / système (%)", fontsize=10)
    ax2.grid(axis="y", alpha=0.25)
    fig.savefig(path)
    return path


def render_figures(snap: dict[str, Any], out_dir: str, market: str) -> list[str]:
    """The figures drawn from the snapshot alone (equity, system, advanced). A plain function of plain
    data, so it can run in a child process: rendering holds the GIL for a second or more, which must
    not stall the engine's event loop. A figure that fails is logged and skipped."""
    from trading_core.intelligence.figures import advanced_figure

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, Any]] = [
        ("equity", lambda: equity_figure(snap, out / "dashboard_equity.png")),
        ("system", lambda: system_figure(snap, out / "dashboard_system.png")),
    ]
    intel = snap.get("intel") or {}
    if intel.get("status") == "ready":
        def advanced() -> Path:
            cvar, q, ens = intel.get("cvar") or {}, intel.get("quantiles") or {}, intel.get("ensemble") or {}
            # the configured weights are real even before the ensemble is trained
            weights = dict(zip(ens.get("members") or [], ens.get("weights") or [])) or None
            return advanced_figure(
                out / f"advanced_{market}.png",
                cvar_loss=cvar.get("cvar_loss_usd") if cvar.get("trained") else None,
                cvar_history=[row for row in (cvar.get("history") or []) if row[1] is not None] or None,
                quantiles=(q.get("quantiles_usd") or None) if q.get("trained") else None,
                taus=q.get("taus") or None,
                ensemble_weights=weights,
                title=f"{market}: advanced risk metrics / métriques de risque avancées",
            )

        jobs.append(("advanced", advanced))
    written: list[str] = []
    for name, job in jobs:
        try:
            written.append(str(job()))
        except Exception as exc:  # one broken figure must not stop the others or the page
            log.warning("dashboard figure %s failed: %s: %s", name, type(exc).__name__, exc)
    return written


