"""`Autopilot`: the signal pipeline attached to the engine, its three modes and the catastrophe monitor.

Modes (a state machine, default `off`):
- off: bars are kept (so the history is ready) but nothing is computed or decided;
- propose: each signal that passes the filters, the sizing and a risk-gate preview becomes a pending
  proposal, executed only by `confirm(signal_id)` before it expires (`dialogue.confirm_timeout_s`, wall
  clock). A newer proposal on the same symbol replaces an older one; leaving propose mode expires them;
- auto: each sized signal is sent at once as a bracket order through `Engine.place_order` (risk gate).
`auto` on a live engine needs `live_ack=True` (the front asks the trader for the typed acknowledgement).
A halt, a daily-loss breach or the kill switch turns the autopilot off and says so (AUTOPILOT_MODE).

Persistence (the engine's ledger, SQLite WAL, survives kill -9): the mode (kv `autopilot_mode`), every
signal with its latest decision (table autopilot_signals) and the catastrophe monitor (kv). After a
restart the mode is restored - except `auto` on a live engine without a new acknowledgement, which comes
back `off` - and every proposal still pending is marked EXPIRED (EXPIRED_RESTART): a proposal is never
executed after a restart, because its price and its confirmation window belong to the previous run.

Threading: `on_bar` (event loop) only stores the bar; the window computation runs in a worker thread
(`asyncio.to_thread`), one bar at a time in order; sizing, the gate and the order are back on the loop.
When bars arrive faster than they can be decided (a feed replaying history at full speed), only the
newest bar of a symbol is decided: an older one is history by the time the worker could reach it.
`settle()` waits until every bar handed over so far has been decided (replays and tests use it, one
bar at a time, so there every bar is decided).
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from trading_core.autopilot.catastrophe import CatastropheMonitor
from trading_core.autopilot.decide import DecisionContext, Decision, decide, make_signal
from trading_core.autopilot.models import ModelBundle, TradeModel, bundle_dir, load_trade_model
from trading_core.autopilot.pipeline import Candidate, PipelineInputError, SymbolPipeline
from trading_core.autopilot.types import (
    AutopilotMode,
    AutopilotSignal,
    AutopilotStatus,
    CatastropheLevel,
    ConfirmResult,
    LevelChange,
    ModeChange,
    ReasonCode,
    SetModeResult,
    SignalDecision,
)
from trading_core.instruments import get_instrument
from trading_core.risk.reasons import reject
from trading_core.types import (
    Bar,
    EngineEvent,
    EventKind,
    OrderRequest,
    OrderType,
    Severity,
    TradingState,
)

log = logging.getLogger("mia.autopilot")
MODE_KEY = "autopilot_mode"
MONITOR_KEY = "autopilot_monitor"
class Autopilot:
    """See the module docstring. Build it on a started or not-yet-started engine, then `await start()`."""

    def __init__(
        self,
        engine: Any,
        *,
        bundles: dict[str, ModelBundle] | None = None,
        trade_models: dict[str, TradeModel] | None = None,
        volatility: Any | None = None,
        data_dir: str | Path | None = None,
        bootstrap_bars: int = 30_000,
    ) -> None:
        self.engine = engine
        self.config = engine.config
        ap = self.config.autopilot
        self.symbols: tuple[str, ...] = tuple(ap.symbols or [self.config.market])
        self.data_dir = Path(data_dir).expanduser() if data_dir is not None else self.config.data_path
        self._instruments = {s: get_instrument(s) for s in self.symbols}
        self._pipes = {s: SymbolPipeline(s, self.config, float(self._instruments[s].tick_size)) for s in self.symbols}
        self._bundles: dict[str, ModelBundle] = dict(bundles or {})
        self._trade_models: dict[str, TradeModel] = dict(trade_models or {})
        self.volatility = volatility  # autopilot.volatility.VolatilityGate or None
        self._bootstrap_bars = bootstrap_bars
        self._mode = AutopilotMode.OFF
        # the latest bar of each symbol waiting for the worker: a bar the worker could not reach before
        # the next one arrived is history by then, so only the newest is decided (replays settle per bar)
        self._latest: dict[str, tuple[pd.DataFrame, int, int]] = {}
        self._queue: deque[str] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pending: dict[str, tuple[AutopilotSignal, OrderRequest]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._monitor = CatastropheMonitor(ap.catastrophe, Decimal(self.config.account.starting_balance))
        self._monitor_session: str | None = None
        self._prepare_task: asyncio.Task[None] | None = None
        self._started = False
        self.last_error: str | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self, *, live_ack: bool = False, prepare: bool = True) -> None:
        """Attach to the engine and restore the persisted state (see the module docstring). `prepare`:
        load (or train) the models now; False leaves it to the first switch out of `off`."""
        led = self.engine.ledger
        for sym, pipe in self._pipes.items():
            for bar in self.engine.bars(sym):
                self._append(pipe, bar)
        saved = led.get_state(MONITOR_KEY, None)
        acct = self.engine.portfolio.account(self.engine.clock.now())
        if saved:
            self._monitor.level = CatastropheLevel(saved.get("level", "INFO"))
            self._monitor.peak_equity = Decimal(str(saved.get("peak_equity", acct.cash)))
        else:
            self._monitor.peak_equity = acct.cash
        self._monitor_session = self.engine.trading_day()
        self.engine.autopilot = self
        self.engine.add_listener(self._on_event)
        self._started = True
        for sig in led.autopilot_signals(limit=None, decision=SignalDecision.PROPOSED.value):
            self._finish(sig, SignalDecision.EXPIRED, ReasonCode.EXPIRED_RESTART)
        stored = led.get_state(MODE_KEY, None)
        mode = AutopilotMode(stored) if stored else AutopilotMode(self.config.autopilot.mode)
        if mode is AutopilotMode.AUTO and self.engine.mode == "live" and not live_ack:
            self._set_mode(AutopilotMode.OFF, "live_ack", persist=True, force_event=True)
        elif mode is not AutopilotMode.OFF and self.engine.state is TradingState.HALTED:
            self._set_mode(AutopilotMode.OFF, "halt", persist=True, force_event=True)
        else:
            self._mode = mode
            if stored is None:
                led.set_state(MODE_KEY, mode.value)
        if prepare:
            self._prepare_task = asyncio.get_running_loop().create_task(self.prepare())

    async def prepare(self) -> None:
        """Load (or train once, from the bootstrap history) every symbol's models, off the event loop."""
        try:
            await asyncio.to_thread(self._prepare_sync)
        except Exception as exc:  # a model problem must not take the engine down: the autopilot stays unready
            log.exception("autopilot models could not be prepared")
            self.last_error = str(exc)

    def _prepare_sync(self) -> None:
        if self.volatility is None and self.config.autopilot.use_volatility_forecast:
            self.volatility = load_volatility_gate(self.config, self.data_dir)
        for sym in self.symbols:
            if sym not in self._bundles:
                self._bundles[sym] = self._load_or_train(sym)
            if sym not in self._trade_models:
                tm = load_trade_model(self.config, sym, data_dir=self.data_dir)
                self._trade_models[sym] = tm
                if not tm.trained:
                    log.warning("%s", tm.message_en)

    def _load_or_train(self, symbol: str) -> ModelBundle:
        from trading_core.autopilot.models import anchored_tables, train_bundle
        from trading_core.intelligence.types import IntelligenceInputError

        directory = bundle_dir(self.data_dir, symbol)
        try:
            return ModelBundle.load(directory, self.config.autopilot.filter_threshold)
        except FileNotFoundError:
            pass
        except IntelligenceInputError as exc:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
            directory.rename(directory.with_name(f"{directory.name}.unreadable-{stamp}"))
            log.warning("autopilot models for %s unreadable, retraining: %s", symbol, exc.message_en)
        bars, source = bootstrap_history(self.config, symbol, self._bootstrap_bars)
        tables = anchored_tables(bars, self.config, float(self._instruments[symbol].tick_size))
        bundle = train_bundle(tables, self.config, symbol, source=source, seed=self.config.feed.seed)
        bundle.save(directory)
        log.info("autopilot models for %s trained on %s", symbol, source)
        return bundle

    async def stop(self) -> None:
        for h in self._timers.values():
            h.cancel()
        self._timers.clear()
        for t in [self._worker, self._prepare_task, *self._tasks]:
            if t is not None and not t.done():
                t.cancel()
        self.engine.remove_listener(self._on_event)
        if getattr(self.engine, "autopilot", None) is self:
            self.engine.autopilot = None
        self._started = False

    @property
    def mode(self) -> AutopilotMode:
        return self._mode

    @property
    def ready(self) -> bool:
        return all(s in self._bundles and s in self._trade_models for s in self.symbols)

    # ------------------------------------------------------------------ bars
    def _append(self, pipe: SymbolPipeline, bar: Bar) -> bool:
        try:
            pipe.append(bar)
            return True
        except PipelineInputError as exc:
            log.warning("%s", exc.message_en)
            return False

    def on_history_bar(self, bar: Bar) -> None:
        """A warm-up bar from before the live session (Engine.on_history_bar): kept in the history window,
        never decided on. One `start()` already took from the engine's buffer is passed over in silence."""
        pipe = self._pipes.get(bar.symbol)
        if pipe is not None and pipe.is_after_last(bar):
            self._append(pipe, bar)

    def on_bar(self, bar: Bar) -> None:
        """A completed bar (called by Engine.on_bar after the close price was processed)."""
        pipe = self._pipes.get(bar.symbol)
        if pipe is None or not self._append(pipe, bar):
            return
        if self.engine.trading_day() != self._monitor_session:
            self._monitor_session = self.engine.trading_day()
            self._spawn(self._check_level())  # a new session restarts the daily measures
        if self._mode is AutopilotMode.OFF or not self.ready:
            return
        if bar.symbol not in self._latest:
            self._queue.append(bar.symbol)
        self._latest[bar.symbol] = pipe.snapshot()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work(), name="mia-autopilot")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait until every bar, fill reaction and level action handed over so far is done (and what
        those start: a level action's fills start level checks). Bounded, so that a caller never chases
        a live feed that keeps handing over bars."""
        for _ in range(20):
            pending = [t for t in (self._worker, *self._tasks) if t is not None and not t.done()]
            if not pending:
                return
            await asyncio.gather(*pending, return_exceptions=True)

    async def _work(self) -> None:
        while self._queue:
            symbol = self._queue.popleft()
            snap = self._latest.pop(symbol)
            bundle, tm = self._bundles.get(symbol), self._trade_models.get(symbol)
            if bundle is None or tm is None:
                continue
            try:
                cand = await asyncio.to_thread(self._evaluate, symbol, bundle, tm, snap)
            except Exception:  # one bad evaluation must not stop the next bars
                log.exception("autopilot evaluation failed for %s", symbol)
                continue
            if cand is not None:
                try:
                    await self._handle(*cand)
                except Exception:
                    log.exception("autopilot decision failed for %s", symbol)

    def _evaluate(self, symbol: str, bundle: ModelBundle, tm: TradeModel,
                  snap: tuple[pd.DataFrame, int, int]) -> tuple[Candidate, float] | None:
        """Worker thread: the candidate of the bar, with the volatility factor of its day (the forecast
        runs the LSTM once a day: not on the event loop)."""
        cand = self._pipes[symbol].evaluate(bundle, tm, snap)
        if cand is None:
            return None
        return cand, self.volatility.factor(cand.bar_ts) if self.volatility is not None else 1.0

    # ------------------------------------------------------------------ decisions
    async def _context(self, symbol: str, vol: float) -> DecisionContext:
        eng = self.engine
        working = await eng.working_orders()
        in_trade = eng.portfolio.net_quantity(symbol) != 0 or any(o.symbol == symbol for o in working)
        return DecisionContext(
            equity=eng.portfolio.account(eng.clock.now()).equity, in_trade=in_trade,
            risk_percent=eng.risk_percent_for(symbol), level=self._monitor.level,
            level_factor=self._monitor.size_factor, volatility_factor=vol,
        )

    def _request(self, sig: AutopilotSignal) -> OrderRequest:
        return OrderRequest(sig.symbol, sig.side, quantity=sig.quantity, order_type=OrderType.BRACKET,
                            stop_loss=sig.stop_loss, take_profit=sig.take_profit,
                            client_order_id=f"ap-{sig.signal_id}", source="autopilot")

    async def _handle(self, cand: Candidate, vol: float = 1.0) -> None:
        await self.engine.settle_risk()  # a loss-limit reaction to this bar acts first, as in replay
        await self.settle_levels()
        mode = self._mode
        if mode is AutopilotMode.OFF:
            return
        ctx = await self._context(cand.symbol, vol)
        d = decide(cand, ctx, self.config, self._instruments[cand.symbol])
        now = datetime.now(timezone.utc)
        if not d.sized:
            self._record(make_signal(cand, d, ctx, self.config, mode=mode.value, decision=SignalDecision.REFUSED,
                                     decided_ts=now))
            return
        draft = make_signal(cand, d, ctx, self.config, mode=mode.value, decision=SignalDecision.PROPOSED, decided_ts=now)
        req = self._request(draft)
        if mode is AutopilotMode.AUTO:
            await self._execute(draft, req)
            return
        preview = await self.engine.preview_order(req)
        if preview.rejection is not None:
            self._record(replace(draft, decision=SignalDecision.REFUSED, reason=preview.rejection))
            return
        for sid, (old, _) in list(self._pending.items()):
            if old.symbol == cand.symbol:
                self._drop_pending(sid)
                self._finish(old, SignalDecision.EXPIRED, ReasonCode.SUPERSEDED)
        timeout = float(self.config.dialogue.confirm_timeout_s)
        sig = replace(draft, expires_ts=now + timedelta(seconds=timeout))
        self._pending[sig.signal_id] = (sig, req)
        self._timers[sig.signal_id] = asyncio.get_running_loop().call_later(timeout, self._expire, sig.signal_id)
        self._record(sig)

    async def _execute(self, sig: AutopilotSignal, req: OrderRequest) -> ConfirmResult:
        res = await self.engine.place_order(req)
        now = datetime.now(timezone.utc)
        if res.accepted and res.order is not None:
            done = replace(sig, decision=SignalDecision.EXECUTED, order_id=res.order.order_id, decided_ts=now,
                           reason=None)
            self._record(done)
            return ConfirmResult(True, done, duplicate=res.duplicate)
        rej = res.rejection or reject(ReasonCode.BROKER_REJECTED)
        done = replace(sig, decision=SignalDecision.REFUSED, reason=rej, decided_ts=now,
                       order_id=res.order.order_id if res.order is not None else None)
        self._record(done)
        return ConfirmResult(False, done, code="REFUSED", rejection=rej)

    _KINDS = {SignalDecision.PROPOSED: EventKind.AUTOPILOT_PROPOSAL, SignalDecision.EXECUTED: EventKind.AUTOPILOT_EXECUTED,
              SignalDecision.REFUSED: EventKind.AUTOPILOT_REFUSED, SignalDecision.EXPIRED: EventKind.AUTOPILOT_EXPIRED}

    def _record(self, sig: AutopilotSignal) -> None:
        """Store the signal's decision and announce it (one event per decision, the signal as its data)."""
        self.engine.ledger.record_signal(sig)
        self.engine.publish(self._KINDS[sig.decision], Severity.INFO, sig, symbol=sig.symbol)

    def _finish(self, sig: AutopilotSignal, decision: SignalDecision, code: ReasonCode) -> None:
        self._record(replace(sig, decision=decision, reason=reject(code), decided_ts=datetime.now(timezone.utc)))

    def _drop_pending(self, signal_id: str) -> tuple[AutopilotSignal, OrderRequest] | None:
        h = self._timers.pop(signal_id, None)
        if h is not None:
            h.cancel()
        return self._pending.pop(signal_id, None)

    def _expire(self, signal_id: str) -> None:
        item = self._drop_pending(signal_id)
        if item is not None:
            self._finish(item[0], SignalDecision.EXPIRED, ReasonCode.EXPIRED_TIMEOUT)

    # ------------------------------------------------------------------ front-end calls
    async def confirm(self, signal_id: str) -> ConfirmResult:
        """Execute a pending proposal (explicit confirmation). A second confirmation sends nothing."""
        item = self._pending.get(signal_id)
        if item is None:
            known = self.engine.ledger.autopilot_signal(signal_id)
            if known is None:
                return ConfirmResult(False, None, code="UNKNOWN_SIGNAL")
            if known.decision is SignalDecision.EXECUTED:
                return ConfirmResult(True, known, duplicate=True)
            code = "EXPIRED" if known.decision is SignalDecision.EXPIRED else "NOT_PENDING"
            return ConfirmResult(False, known, code=code)
        sig, req = item
        if sig.expires_ts is not None and datetime.now(timezone.utc) > sig.expires_ts:
            self._expire(signal_id)
            return ConfirmResult(False, self.engine.ledger.autopilot_signal(signal_id), code="EXPIRED")
        self._drop_pending(signal_id)
        return await self._execute(sig, req)

    async def decline(self, signal_id: str) -> ConfirmResult:
        """The trader said no: the proposal ends (EXPIRED, reason DECLINED) and nothing is sent."""
        item = self._drop_pending(signal_id)
        if item is None:
            return ConfirmResult(False, self.engine.ledger.autopilot_signal(signal_id), code="NOT_PENDING")
        self._finish(item[0], SignalDecision.EXPIRED, ReasonCode.DECLINED)
        return ConfirmResult(True, self.engine.ledger.autopilot_signal(signal_id), code="DECLINED")

    async def set_mode(self, mode: AutopilotMode | str, reason: str = "user", *, live_ack: bool = False) -> SetModeResult:
        new = AutopilotMode(mode)
        if new is AutopilotMode.AUTO and self.engine.mode == "live" and not live_ack:
            return SetModeResult(False, self._mode, code="LIVE_ACK_REQUIRED", reason=reason)
        if new is not AutopilotMode.OFF and self.engine.state is TradingState.HALTED:
            return SetModeResult(False, self._mode, code="ENGINE_HALTED", reason=reason)
        self._set_mode(new, reason, persist=True)
        if new is not AutopilotMode.OFF and self._started and not self.ready and (
                self._prepare_task is None or self._prepare_task.done()):
            # started off without its models (a run that may never use them): load them now
            self._prepare_task = asyncio.get_running_loop().create_task(self.prepare())
        return SetModeResult(True, new, reason=reason)

    def _set_mode(self, new: AutopilotMode, reason: str, *, persist: bool, force_event: bool = False) -> None:
        prev = self._mode
        if new is prev and not force_event:
            return
        self._mode = new
        if persist:
            self.engine.ledger.set_state(MODE_KEY, new.value)
        if prev is AutopilotMode.PROPOSE and new is not AutopilotMode.PROPOSE:
            for sid in list(self._pending):
                item = self._drop_pending(sid)
                if item is not None:
                    self._finish(item[0], SignalDecision.EXPIRED, ReasonCode.EXPIRED_MODE)
        if new is AutopilotMode.OFF:
            self._queue.clear()
            self._latest.clear()
        sev = Severity.WARNING if new is AutopilotMode.OFF and reason != "user" else Severity.INFO
        self.engine.publish(EventKind.AUTOPILOT_MODE, sev, ModeChange(prev, new, reason))

    # ------------------------------------------------------------------ engine events
    def _on_event(self, ev: EngineEvent) -> None:
        kind = ev.kind
        if kind is EventKind.KILL_SWITCH:
            if self._mode is not AutopilotMode.OFF:
                self._set_mode(AutopilotMode.OFF, "kill_switch", persist=True)
        elif kind in (EventKind.STATE_CHANGE, EventKind.RISK_BREACH) and ev.state is not None:
            if ev.state.current is TradingState.HALTED and self._mode is not AutopilotMode.OFF:
                self._set_mode(AutopilotMode.OFF, "daily_loss" if kind is EventKind.RISK_BREACH else "halt",
                               persist=True)
            elif ev.state.current is TradingState.ACTIVE and ev.state.previous is not TradingState.ACTIVE:
                # resuming is the trader's decision to trade again: the drawdown measure restarts here
                self._monitor.restart_peak(self._closed_equity())
                self._spawn(self._check_level())
        elif kind is EventKind.FILL:
            self._spawn(self._check_level())

    def _closed_equity(self) -> Decimal:
        return self.engine.portfolio.account(self.engine.clock.now()).cash

    async def settle_levels(self) -> None:
        pending = [t for t in self._tasks if not t.done() and t is not asyncio.current_task()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _check_level(self) -> None:
        pnl = await self.engine.pnl_today()
        change = self._monitor.evaluate(pnl.realized - pnl.commissions, self.engine.portfolio.consecutive_losses,
                                        self._closed_equity())
        self.engine.ledger.set_state(MONITOR_KEY, {"level": self._monitor.level.value,
                                                   "peak_equity": str(self._monitor.peak_equity)})
        if change is not None:
            await self._apply_level(change)

    async def _apply_level(self, change: LevelChange) -> None:
        sev = {CatastropheLevel.INFO: Severity.INFO, CatastropheLevel.WARNING: Severity.WARNING,
               CatastropheLevel.CRITICAL: Severity.CRITICAL, CatastropheLevel.CATASTROPHE: Severity.CRITICAL}
        self.engine.publish(EventKind.CATASTROPHE_LEVEL, sev[change.current], change)
        state = self.engine.state
        if change.action == "reduce_only" and state is TradingState.ACTIVE:
            await self.engine.reduce_only(f"catastrophe level {change.current.value}")
        elif change.action == "halt_and_flatten" and state is not TradingState.HALTED:
            await self.engine.kill_switch(f"catastrophe level {change.current.value}")

    # ------------------------------------------------------------------ queries
    def signals(self, limit: int | None = 50, since: datetime | None = None) -> list[AutopilotSignal]:
        return self.engine.ledger.autopilot_signals(limit=limit, since=since)

    def pending(self) -> list[AutopilotSignal]:
        return [s for s, _ in self._pending.values()]

    @property
    def level(self) -> CatastropheLevel:
        return self._monitor.level

    def status(self) -> AutopilotStatus:
        tms = [self._trade_models[s] for s in self.symbols if s in self._trade_models]
        trained = bool(tms) and all(t.trained for t in tms)
        msg = next((t for t in tms if not t.trained), tms[0] if tms else None)
        return AutopilotStatus(
            mode=self._mode, model_type=self.config.autopilot.model_type, model_trained=trained,
            model_message_en=msg.message_en if msg else "Models are loading.",
            model_message_fr=msg.message_fr if msg else "Chargement des modèles en cours.",
            symbols=self.symbols, level=self._monitor.level, pending=tuple(self.pending()),
            last_signals=tuple(self.signals(limit=10)), bars_seen={s: p.bars_seen for s, p in self._pipes.items()},
            ready=self.ready, volatility_factor_used=bool(self.volatility is not None and self.volatility.usable),
            extras={"error": self.last_error} if self.last_error else {},
        )


def load_volatility_gate(config: Any, data_dir: Path) -> Any | None:
    """The VIX forecast's sizing gate, only when its checkpoint beat the naive forecast (read from the
    metadata first: no torch import otherwise); None when there is nothing to apply."""
    from trading_core.autopilot.volatility import VolatilityGate, checkpoint_path
    from trading_core.intelligence.rl.checkpoints import CheckpointInvalid, CheckpointMissing, read_metadata

    try:
        meta = read_metadata(checkpoint_path(config, data_dir=data_dir))
    except (CheckpointMissing, CheckpointInvalid):
        return None
    if not meta.get("walk_forward", {}).get("beats_baseline"):
        log.info("VIX forecast not used for sizing: it did not beat the naive forecast out of sample")
        return None
    gate = VolatilityGate.from_config(config, data_dir=data_dir)
    return gate if gate.usable else None


def bootstrap_history(config: Any, symbol: str, n_bars: int) -> tuple[pd.DataFrame, str]:
    """Bars to train on when no checkpoint exists: the configured CSV file, else the seeded synthetic market
    (as the intelligence service does)."""
    feed = config.feed
    if feed.kind == "csv" and feed.csv_path:
        from trading_core.intelligence.data import load_bars

        return load_bars(feed.csv_path, symbol=symbol), f"csv:{Path(feed.csv_path).name}"
    from trading_core.marketdata.synthetic import SyntheticFeed

    gen = SyntheticFeed((symbol,), seed=feed.seed, realtime=False)
    return gen.generate_frame(n_bars, symbol), f"synthetic(seed {feed.seed}, {n_bars} bars)"


async def attach(engine: Any, *, live_ack: bool = False, prepare: bool = True, **kwargs: Any) -> Autopilot:
    """Build an Autopilot on `engine`, restore its persisted state and start loading its models."""
    pilot = Autopilot(engine, **kwargs)
    await pilot.start(live_ack=live_ack, prepare=prepare)
    return pilot
