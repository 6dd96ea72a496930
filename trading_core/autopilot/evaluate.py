"""`mia evaluate --autopilot`: the autopilot's walk-forward replay side by side with baselines.

All on the same bars after the same start (the first walk-forward test block), through the same replay
rules (risk gate, paper fills with slippage, commissions, daily loss limit):
- autopilot: the walk-forward replay (replay.py): filter, trade-probability model, capped-Kelly sizing;
- all candidates: the very same candidates, each one taken (one trade at a time), no filter, no model,
  sized at the full risk % (the "confluence signals without the filter");
- buy and hold: one contract long from the start to the end;
- moving-average cross: one contract, long when SMA(50) > SMA(200), short below (the evaluation's MA).
The autopilot and "all candidates" are sized from risk % of equity (often several contracts), the
baselines hold one contract: the table also gives the P&L per contract traded. Net P&L is the change of
equity marked to market at the last close.
The verdict of the last evaluation or replay is saved (`save_verdict`) so that switching the autopilot
to `auto` can say when it lost money in replay (`last_verdict`).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trading_core.autopilot.kernel import AutopilotKernel, KernelResult
from trading_core.autopilot.replay import AutopilotReplay
from trading_core.backtest import BacktestKernel
from trading_core.config import MiaConfig
from trading_core.instruments import get_instrument
from trading_core.strategies import sma

LABELS = {
    "autopilot": ("autopilot", "pilote automatique"),
    "all_candidates": ("all candidates (no filter)", "tous les candidats (sans filtre)"),
    "buy_hold": ("buy & hold, 1 contract", "achat-conservation, 1 contrat"),
    "ma_cross": ("MA 50/200 cross, 1 contract", "croisement MM 50/200, 1 contrat"),
}


@dataclass(frozen=True)
class StrategyRow:
    key: str
    trades: int
    win_rate: float  # NaN without trades
    profit_factor: float | None
    net_pnl: Decimal
    max_drawdown: Decimal
    contracts_traded: int  # sum over trades of the quantity

    @property
    def pnl_per_contract(self) -> float:
        return float(self.net_pnl) / self.contracts_traded if self.contracts_traded else float("nan")


@dataclass
class AutopilotEvaluation:
    replay: AutopilotReplay
    rows: list[StrategyRow]
    start: pd.Timestamp
    end: pd.Timestamp

    def row(self, key: str) -> StrategyRow:
        return next(r for r in self.rows if r.key == key)


def _row(key: str, res: Any, contracts: int) -> StrategyRow:
    """Closed trades' statistics; net P&L marked to market at the last close (a position still open then
    counts as one more trade and its contracts, without an exit cost)."""
    m = res.metrics
    still_open = abs(int(res.final_position))
    net = res.final_equity - Decimal(res.starting_balance)
    return StrategyRow(key, m.trades + (1 if still_open else 0), m.win_rate if m.trades else float("nan"),
                       m.profit_factor, net, m.max_drawdown, contracts + still_open)


def evaluate_autopilot(rep: AutopilotReplay, bars: pd.DataFrame, config: MiaConfig) -> AutopilotEvaluation:
    inst = get_instrument(rep.symbol)
    o = bars["open"].to_numpy(np.float64)
    c = bars["close"].to_numpy(np.float64)
    ts = bars.index.as_unit("ns").asi8
    start = rep.trade_from
    cfg = config.model_copy(update={"autopilot": config.autopilot.model_copy(update={"model_type": rep.model_type})})
    rows = [_row("autopilot", rep.result, sum(t.quantity for t in rep.result.trades))]
    # every candidate taken: filter and model out of the way, full risk % (Kelly at its cap)
    cands = {t: replace(cd, filter_probability=1.0, model_trained=False, model_probability=None)
             for t, cd in rep.candidate_map.items()}
    everything: KernelResult = AutopilotKernel(cfg, inst).run(o, c, ts, cands)
    rows.append(_row("all_candidates", everything, sum(t.quantity for t in everything.trades)))
    hold = np.zeros(len(c), np.int64)
    hold[start:] = 1
    base = BacktestKernel(cfg, inst, get_instrument)
    bh = base.run(o, c, ts, hold)
    rows.append(_row("buy_hold", bh, sum(t.quantity for t in bh.trades)))
    fast, slow = sma(c, 50), sma(c, 200)
    ma = np.where(np.isnan(slow), 0, np.where(fast > slow, 1, -1)).astype(np.int64)
    ma[:start] = 0
    mk = BacktestKernel(cfg, inst, get_instrument).run(o, c, ts, ma)
    rows.append(_row("ma_cross", mk, sum(t.quantity for t in mk.trades)))
    return AutopilotEvaluation(rep, rows, bars.index[start], bars.index[-1])


def _f(x: float | None, kind: str, fr: bool) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    s = f"{100 * x:.1f}%" if kind == "pct" else f"{x:,.2f}"
    if fr:
        s = s.replace(",", "\u202f").replace(".", ",").replace("%", " %")
    return s


def format_evaluation(ev: AutopilotEvaluation, lang: str = "en") -> str:
    fr = lang == "fr"
    rep = ev.replay
    head = (("stratégie", "trades", "gain", "facteur de profit", "P&L net USD", "perte max USD", "USD/contrat") if fr
            else ("strategy", "trades", "win rate", "profit factor", "net P&L USD", "max DD USD", "USD/contract"))
    table = []
    for r in ev.rows:
        name = LABELS[r.key][1 if fr else 0]
        table.append((name, str(r.trades), _f(r.win_rate, "pct", fr), _f(r.profit_factor, "f", fr),
                      _f(float(r.net_pnl), "f", fr), _f(float(r.max_drawdown), "f", fr),
                      _f(r.pnl_per_contract, "f", fr)))
    widths = [max(len(head[i]), *(len(t[i]) for t in table)) for i in range(len(head))]
    out = []
    if fr:
        out.append(f"Évaluation walk-forward du pilote automatique — {rep.source} ({rep.symbol}), "
                   f"{ev.start:%Y-%m-%d %H:%M} → {ev.end:%Y-%m-%d %H:%M} UTC, après commissions et glissement")
        out.append(f"modèle : {rep.model_type} — {rep.model_note_fr} ; {len(rep.folds)} plis, candidats {rep.candidates}")
    else:
        out.append(f"Autopilot walk-forward evaluation — {rep.source} ({rep.symbol}), "
                   f"{ev.start:%Y-%m-%d %H:%M} → {ev.end:%Y-%m-%d %H:%M} UTC, after commissions and slippage")
        out.append(f"model: {rep.model_type} — {rep.model_note_en}; {len(rep.folds)} folds, {rep.candidates} candidates")
    out.append("  ".join(h.ljust(widths[i]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(head)))
    out.append("  ".join("-" * w for w in widths))
    for t in table:
        out.append("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(t)))
    ap = ev.row("autopilot")
    for key in ("all_candidates", "buy_hold", "ma_cross"):
        other = ev.row(key)
        beat = ap.net_pnl > other.net_pnl
        name = LABELS[key][1 if fr else 0]
        if fr:
            out.append(f"- Le pilote automatique {'a BATTU' if beat else 'n’a PAS battu'} « {name} » sur le P&L net.")
        else:
            out.append(f"- The autopilot {'BEAT' if beat else 'did NOT beat'} '{name}' on net P&L.")
    if rep.lost_money:
        out.append("- Le pilote automatique a PERDU de l'argent sur ces données." if fr
                   else "- The autopilot LOST money on this data.")
    if ap.trades < 30:
        out.append(f"- {ap.trades} trade(s) : trop peu pour conclure." if fr
                   else f"- {ap.trades} trade(s): too few to conclude anything.")
    return "\n".join(out)


# --------------------------------------------------------------------------- saved verdicts
@dataclass(frozen=True)
class ReplayVerdict:
    symbol: str
    source: str
    model_type: str
    when_utc: str
    bars: int
    trades: int
    net_pnl: str  # Decimal as text
    lost_money: bool

    def message(self, lang: str) -> str:
        pnl = Decimal(self.net_pnl)
        if lang == "fr":
            amount = f"{pnl:,.2f}".replace(",", "\u202f").replace(".", ",") + " $"
            if self.lost_money:
                return (f"Attention : en rejeu sur {self.source}, le pilote automatique a perdu de l'argent "
                        f"({amount} en {self.trades} trades, après coûts).")
            return f"En rejeu sur {self.source}, le pilote automatique a gagné {amount} en {self.trades} trades, après coûts."
        amount = f"${pnl:,.2f}"
        if self.lost_money:
            return (f"Warning: in replay on {self.source} the autopilot lost money ({amount} over {self.trades} "
                    "trades, after costs).")
        return f"In replay on {self.source} the autopilot made {amount} over {self.trades} trades, after costs."


def verdict_path(data_dir: str | Path, symbol: str) -> Path:
    return Path(data_dir).expanduser() / "autopilot" / f"replay_verdict_{symbol.upper()}.json"


def save_verdict(rep: AutopilotReplay, data_dir: str | Path) -> ReplayVerdict:
    v = ReplayVerdict(rep.symbol, rep.source, rep.model_type, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                      rep.bars, rep.result.metrics.trades, str(rep.result.net_pnl), rep.lost_money)
    path = verdict_path(data_dir, rep.symbol)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(v), indent=1), encoding="utf-8")
    tmp.replace(path)
    return v


def last_verdict(data_dir: str | Path, symbol: str) -> ReplayVerdict | None:
    """The verdict of the last autopilot replay or evaluation on `symbol`, or None (never run, unreadable)."""
    try:
        d = json.loads(verdict_path(data_dir, symbol).read_text(encoding="utf-8"))
        return ReplayVerdict(**d)
    except (OSError, ValueError, TypeError):
        return None
