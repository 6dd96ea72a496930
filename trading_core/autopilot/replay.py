"""`mia replay FILE --strategy autopilot`: the autopilot's pipeline over a bar file, walk-forward.

1. `models.anchored_tables`: the window tables the live autopilot would compute, bar by bar (scoring.py);
2. models, walk-forward: the bars after warm-up are cut into an initial training block
   (`initial_fraction`, 40 %) and `folds` test blocks. For each test block the regime model and the
   filter are trained on the bars BEFORE the block, on candidates whose bracket outcome was known before
   it (purged by label_horizon_bars), and the trade-probability model (when one is chosen) is trained by
   `intelligence.rl.train` on the same earlier bars with a small step budget (`rl_steps`) in a scratch
   directory. The block's candidates are scored by those models only. Nothing before the first test
   block is traded. With `bundle=` (fixed models, e.g. trained on another file), every candidate after
   warm-up is scored by it instead;
3. `kernel.AutopilotKernel`: sizing, risk gate, brackets, daily-loss and catastrophe reactions at
   kernel speed.
`replay_on_engine` drives the live Engine + Autopilot bar by bar over the same bars instead: the
cross-check the tests compare with the kernel (same signals, orders and fills).
"""
from __future__ import annotations

import asyncio
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trading_core.autopilot.kernel import AutopilotKernel, KernelResult, lost_money
from trading_core.autopilot.models import (
    AnchoredTables,
    ModelBundle,
    TradeModel,
    anchored_tables,
    load_trade_model,
    regime_probabilities,
    train_bundle,
)
from trading_core.autopilot.pipeline import Candidate, score_candidates
from trading_core.config import MiaConfig
from trading_core.instruments import get_instrument
from trading_core.intelligence.types import IntelligenceInputError


@dataclass
class FoldInfo:
    fold: int
    start: pd.Timestamp
    end: pd.Timestamp
    train_signals: int
    candidates: int
    trained: bool
    note: str = ""
    start_bar: int = 0
    train_last_bar: str = ""  # the last bar the fold's models were trained on


@dataclass
class AutopilotReplay:
    source: str
    symbol: str
    model_type: str
    model_note_en: str
    model_note_fr: str
    bars: int
    trade_from: int  # first bar that may trade (start of the first test block, or after warm-up)
    folds: list[FoldInfo]
    candidates: int
    result: KernelResult
    seconds_tables: float
    seconds_training: float
    seconds_scoring: float
    seconds_kernel: float
    candidate_map: dict[int, Candidate] = field(default_factory=dict, repr=False)  # bar -> scored candidate

    @property
    def seconds_replay(self) -> float:
        """Pipeline + kernel, without model training."""
        return self.seconds_tables + self.seconds_scoring + self.seconds_kernel

    @property
    def bars_per_second(self) -> float:
        return self.bars / self.seconds_replay if self.seconds_replay > 0 else math.inf

    @property
    def lost_money(self) -> bool:
        return lost_money(self.result)


def candidates_for(
    tables: AnchoredTables, rows: np.ndarray, bundle: ModelBundle, trade_model: TradeModel, symbol: str,
    filter_threshold: float,
) -> dict[int, Candidate]:
    """Score the candidates at bars `rows` exactly as the live pipeline would (score_candidates)."""
    rows = np.asarray(rows, np.int64)
    if rows.size == 0:
        return {}
    idx = tables.bars.index
    cands = score_candidates(
        symbol, list(idx[rows].to_pydatetime()), tables.features_at(rows),
        tables.candidate[rows].astype(np.int64), tables.score[rows], tables.confidence[rows],
        tables.components_at(rows), tables.atr[rows], tables.stop_points[rows],
        tables.bars["close"].to_numpy(np.float64)[rows], regime_probabilities(bundle.regime, tables, rows),
        lambda i: tables.rl_features_at(rows[i]), bundle, trade_model, filter_threshold,
    )
    return dict(zip(rows.tolist(), cands))


def _warm_imports() -> None:
    """Import scipy's filters now, so that the timed pipeline does not pay a one-off import."""
    from trading_core.intelligence.features import _lfilter

    _lfilter()
    import scipy.ndimage  # noqa: F401


def _progress(total: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    import sys

    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="bar", file=sys.stderr, mininterval=0.5, leave=False)


def _train_trade_model(config: MiaConfig, symbol: str, model_type: str, bars: pd.DataFrame, steps: int,
                       scratch: Path, seed: int) -> TradeModel:
    from trading_core.intelligence.rl.train import train_agent
    from trading_core.intelligence.rl.types import RLInputError

    try:
        train_agent(model_type, symbol, bars=bars, steps=steps, seed=seed, config=config, data_dir=scratch,
                    progress=False, threads=1)
    except RLInputError as exc:
        return TradeModel(model_type, symbol, None, f"trade-probability model not trained: {exc.message_en}",
                          f"modèle de probabilité non entraîné : {exc.message_fr}")
    return load_trade_model(config, symbol, model_type, data_dir=scratch)


def run_autopilot_replay(
    bars: pd.DataFrame,
    config: MiaConfig,
    symbol: str,
    *,
    source: str = "bars",
    model_type: str | None = None,
    folds: int = 4,
    initial_fraction: float = 0.4,
    rl_steps: int = 20_000,
    bundle: ModelBundle | None = None,
    trade_model: TradeModel | None = None,
    volatility_factor: Callable[[datetime], float] | None = None,
    seed: int = 42,
    progress: bool = False,
    filter_params: Any = None,
) -> AutopilotReplay:
    """See the module docstring. `bars`: one symbol's 1-minute bars, UTC index, OHLCV."""
    sym = get_instrument(symbol).symbol
    inst = get_instrument(sym)
    mt = model_type or (trade_model.model_type if trade_model is not None else config.autopilot.model_type)
    cfg = config.model_copy(update={"autopilot": config.autopilot.model_copy(update={"model_type": mt})})
    n = len(bars)
    warm = cfg.autopilot.min_history_bars
    if n < warm + 100:
        raise IntelligenceInputError(f"{source}: {n} bars are too few for the autopilot (need {warm + 100})",
                                     f"{source} : {n} barres, trop peu pour le pilote automatique (il en faut {warm + 100})")
    _warm_imports()
    t0 = time.perf_counter()
    tables = anchored_tables(bars, cfg, float(inst.tick_size))
    t_tables = time.perf_counter() - t0
    cand_rows = np.flatnonzero(tables.candidate != 0)
    t_train = t_score = 0.0
    fold_info: list[FoldInfo] = []
    candidates: dict[int, Candidate] = {}
    notes: tuple[str, str] = ("", "")
    if bundle is not None:
        tm = trade_model or load_trade_model(cfg, sym, mt)
        notes = (tm.message_en, tm.message_fr)
        trade_from = warm
        t1 = time.perf_counter()
        candidates = candidates_for(tables, cand_rows[cand_rows >= trade_from], bundle, tm, sym,
                                    cfg.autopilot.filter_threshold)
        t_score = time.perf_counter() - t1
    else:
        if not 1 <= folds <= 20 or not 0.05 <= initial_fraction <= 0.9:
            raise IntelligenceInputError("folds must be 1..20 and the initial fraction 0.05..0.9",
                                         "il faut 1 à 20 plis et une fraction initiale de 0,05 à 0,9")
        trade_from = warm + int((n - warm) * initial_fraction)
        edges = np.linspace(trade_from, n, folds + 1).astype(np.int64)
        bar = _progress(folds, progress, "walk-forward")
        prev_regime = None
        untrained_notes: list[tuple[str, str]] = []
        with tempfile.TemporaryDirectory(prefix="mia-autopilot-wf-") as scratch:
            for k in range(folds):
                a, b = int(edges[k]), int(edges[k + 1])
                rows = cand_rows[(cand_rows >= a) & (cand_rows < b)]
                info = FoldInfo(k + 1, bars.index[a], bars.index[b - 1], 0, int(rows.size), False, start_bar=a)
                t1 = time.perf_counter()
                try:
                    fb = train_bundle(tables, cfg, sym, end=a, embargo=cfg.autopilot.label_horizon_bars,
                                      source=f"{source} bars < {a}", seed=seed, warm_regime=prev_regime,
                                      filter_params=filter_params)
                    prev_regime = fb.regime
                    info.train_signals, info.trained = int(fb.info["signals"]), True
                    info.train_last_bar = str(fb.info["last_bar"])
                except IntelligenceInputError as exc:
                    info.note = exc.message_en
                    fb = None
                if fb is not None and mt != "none":
                    tm = _train_trade_model(cfg, sym, mt, bars.iloc[:a], rl_steps, Path(scratch) / f"fold{k + 1}", seed)
                else:
                    tm = load_trade_model(cfg, sym, "none")
                if not tm.trained:
                    untrained_notes.append((tm.message_en, tm.message_fr))
                t_train += time.perf_counter() - t1
                if fb is not None:
                    t2 = time.perf_counter()
                    candidates.update(candidates_for(tables, rows, fb, tm, sym, cfg.autopilot.filter_threshold))
                    t_score += time.perf_counter() - t2
                fold_info.append(info)
                if bar is not None:
                    bar.update(1)
        if bar is not None:
            bar.close()
        if mt == "none":
            notes = ("filter alone (no trade-probability model chosen)", "filtre seul (aucun modèle de probabilité choisi)")
        elif untrained_notes:
            notes = untrained_notes[0]
        else:
            notes = (f"{mt} trained per fold on earlier bars ({rl_steps:,} steps)",
                     f"{mt} entraîné par pli sur les barres antérieures ({_fr_int(rl_steps)} pas)")
    t3 = time.perf_counter()
    idx_ns = bars.index.as_unit("ns").asi8
    result = AutopilotKernel(cfg, inst).run(
        bars["open"].to_numpy(np.float64), bars["close"].to_numpy(np.float64), idx_ns, candidates,
        volatility_factor=volatility_factor)
    t_kernel = time.perf_counter() - t3
    return AutopilotReplay(
        source=source, symbol=sym, model_type=mt, model_note_en=notes[0], model_note_fr=notes[1], bars=n,
        trade_from=trade_from, folds=fold_info, candidates=len(candidates), result=result,
        seconds_tables=t_tables, seconds_training=t_train, seconds_scoring=t_score, seconds_kernel=t_kernel,
        candidate_map=candidates,
    )


async def replay_on_engine(
    bars: pd.DataFrame,
    config: MiaConfig,
    symbol: str,
    bundle: ModelBundle,
    trade_model: TradeModel,
    *,
    volatility: Any | None = None,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """Drive the live Engine + Autopilot (mode auto) bar by bar: open price, settle, bar, settle, and the
    replay's resume rule (a halted or reduce-only engine resumes at the first close of a later session
    and the autopilot is switched back on). Returns what the ledger and the events recorded."""
    from trading_core.api import Engine
    from trading_core.autopilot.controller import Autopilot
    from trading_core.autopilot.types import AutopilotMode
    from trading_core.broker.paper import PaperBroker
    from trading_core.clock import MarketClock
    from trading_core.ledger import Ledger
    from trading_core.types import Bar, EventKind, TradingState

    sym = get_instrument(symbol).symbol
    broker = PaperBroker(get_instrument, slippage_ticks=config.paper.slippage_ticks,
                         commission_per_contract=config.paper.commission_per_contract)
    cfg = config.model_copy(update={"autopilot": config.autopilot.model_copy(update={"symbols": [sym]})})
    engine = Engine(cfg, broker, ledger=Ledger(":memory:"), clock=MarketClock(), mode="paper")
    engine.symbols = (sym,)
    levels: list[Any] = []
    engine.add_listener(lambda ev: levels.append((ev.ts, ev.level_change)) if ev.kind is EventKind.CATASTROPHE_LEVEL else None)
    await engine.start(run_feed=False)
    pilot = Autopilot(engine, bundles={sym: bundle}, trade_models={sym: trade_model}, volatility=volatility,
                      data_dir=data_dir)
    await pilot.start(prepare=False)
    await pilot.set_mode(AutopilotMode.AUTO, "replay")
    o = bars["open"].to_numpy(np.float64)
    h = bars["high"].to_numpy(np.float64)
    lo = bars["low"].to_numpy(np.float64)
    c = bars["close"].to_numpy(np.float64)
    v = bars["volume"].to_numpy(np.float64)
    ts = bars.index.to_pydatetime()
    halted_session: str | None = None
    try:
        with engine.ledger.batch():
            for i in range(len(c)):
                engine.on_price(sym, o[i], ts[i])
                await engine.settle()
                engine.on_bar(Bar(sym, ts[i], o[i], h[i], lo[i], c[i], int(v[i])))
                await engine.settle()
                if engine.state is not TradingState.ACTIVE:
                    if halted_session is None:
                        halted_session = engine.trading_day()
                    elif engine.trading_day() != halted_session:
                        halted_session = None
                        await engine.resume("replay: new session")
                        await engine.settle()
                        if engine.state is not TradingState.HALTED:
                            await pilot.set_mode(AutopilotMode.AUTO, "replay")
        out = {
            "signals": engine.ledger.autopilot_signals(limit=None),
            "orders": engine.ledger.orders(limit=None),
            "fills": engine.ledger.fills(),
            "trades": list(engine.portfolio.closed_trades),
            "levels": levels,
            "equity": (await engine.account()).equity,
            "position": engine.portfolio.net_quantity(sym),
        }
    finally:
        await pilot.stop()
        await engine.stop()
        engine.close()
    return out


def _fr_int(x: float) -> str:
    return f"{x:,.0f}".replace(",", "\u202f")


def _fr_num(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def format_replay(rep: AutopilotReplay, lang: str = "en") -> str:
    """The replay's summary, in one language (the CLI prints the user's)."""
    r = rep.result
    m = r.metrics
    fr = lang == "fr"
    pf = "-" if m.profit_factor is None else f"{m.profit_factor:.2f}"
    dec = ", ".join(f"{k} {v}" for k, v in sorted(r.decisions().items(), key=lambda kv: -kv[1])) or "-"

    def usd(x: Decimal) -> str:
        return (f"{x:,.2f}".replace(",", "\u202f").replace(".", ",") + " $") if fr else f"${x:,.2f}"

    verdict_en = ("The autopilot LOST money on this replay, after commissions and slippage." if rep.lost_money
                  else "The autopilot did not lose money on this replay (after commissions and slippage).")
    verdict_fr = ("Le pilote automatique a PERDU de l'argent sur ce rejeu, après commissions et glissement." if rep.lost_money
                  else "Le pilote automatique n'a pas perdu d'argent sur ce rejeu (après commissions et glissement).")
    if fr:
        lines = [
            f"pilote automatique {rep.symbol} sur {rep.source} : {rep.bars} barres, trading à partir de la barre "
            f"{rep.trade_from} ({len(rep.folds)} plis walk-forward)" if rep.folds else
            f"pilote automatique {rep.symbol} sur {rep.source} : {rep.bars} barres (modèles fixes)",
            f"modèle : {rep.model_type} — {rep.model_note_fr}",
            f"vitesse : {_fr_int(rep.bars_per_second)} barres/s hors entraînement (tables "
            f"{_fr_num(rep.seconds_tables)} s, scores {_fr_num(rep.seconds_scoring)} s, noyau "
            f"{_fr_num(rep.seconds_kernel)} s) ; entraînement {_fr_num(rep.seconds_training, 1)} s",
            f"candidats {rep.candidates}, décisions : {dec}",
            f"trades {m.trades}  taux de réussite {m.win_rate * 100:.1f} %  facteur de profit {pf}".replace(".", ","),
            f"P&L net {usd(m.net_pnl)}  perte maximale depuis un sommet {usd(m.max_drawdown)} "
            f"({m.max_drawdown_pct:.2f} %)".replace(".", ",", 1),
            f"capital final {usd(r.final_equity)} ; arrêts {len(r.halts)} ; changements de niveau {len(r.levels)}",
            verdict_fr,
        ]
    else:
        lines = [
            f"autopilot {rep.symbol} on {rep.source}: {rep.bars} bars, trading from bar {rep.trade_from} "
            f"({len(rep.folds)} walk-forward folds)" if rep.folds else
            f"autopilot {rep.symbol} on {rep.source}: {rep.bars} bars (fixed models)",
            f"model: {rep.model_type} — {rep.model_note_en}",
            f"speed: {rep.bars_per_second:,.0f} bars/s without training (tables {rep.seconds_tables:.2f}s, scores "
            f"{rep.seconds_scoring:.2f}s, kernel {rep.seconds_kernel:.2f}s); training {rep.seconds_training:.1f}s",
            f"candidates {rep.candidates}, decisions: {dec}",
            f"trades {m.trades}  win rate {m.win_rate * 100:.1f}%  profit factor {pf}",
            f"net P&L {usd(m.net_pnl)}  max drawdown {usd(m.max_drawdown)} ({m.max_drawdown_pct:.2f}%)",
            f"final equity {usd(r.final_equity)}; halts {len(r.halts)}; level changes {len(r.levels)}",
            verdict_en,
        ]
    return "\n".join(lines)


def format_engine_run(out: dict[str, Any], bars: int, seconds: float, lang: str = "en") -> str:
    """Summary of `replay_on_engine` (the cross-check of the kernel)."""
    counts: dict[str, int] = {}
    for s in out["signals"]:
        key = s.decision.value if s.reason_code is None else f"{s.decision.value}:{s.reason_code}"
        counts[key] = counts.get(key, 0) + 1
    dec = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "-"
    eq = out["equity"]
    if lang == "fr":
        return (f"moteur en direct, barre par barre : {bars} barres en {_fr_num(seconds, 1)} s ; décisions : {dec} ; "
                f"trades {len(out['trades'])} ; capital final {_fr_num(float(eq))} $")
    return (f"live engine, bar by bar: {bars} bars in {seconds:.1f}s; decisions: {dec}; trades {len(out['trades'])}; "
            f"final equity ${eq:,.2f}")
