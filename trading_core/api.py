"""The engine API: the one door into trading for voice, chat, CLI and dashboards.

Every path that can change a position goes through `Engine.place_order` / `close_positions` /
`kill_switch`, and every new order passes the risk gate before the broker sees it. The ledger
(SQLite, WAL) records orders, fills, events, equity and state; after a crash the portfolio is
rebuilt from the recorded fills, so the state is exactly what was committed.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import replace
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable
from zoneinfo import ZoneInfo

from trading_core import calendar as cme
from trading_core.broker.base import Broker, BrokerEvent, ConnectionUpdate, OrderUpdate
from trading_core.clock import Clock, MarketClock, WallClock
from trading_core.config import MiaConfig
from trading_core.instruments import Instrument, UnknownSymbolError, get_instrument, round_to_tick
from trading_core.ledger import EquityPoint, Ledger
from trading_core.marketdata.feed import HistoryBar, MarketFeed
from trading_core.metrics import performance_metrics
from trading_core.portfolio import ClosedTrade, Portfolio
from trading_core.private import private_dir
from trading_core.protocols import RLAPI, IntelligenceAPI
from trading_core.risk import sizing
from trading_core.risk.gate import OrderIntent, RiskContext, RiskGate, reduces_exposure
from trading_core.risk.reasons import ReasonCode, reject
from trading_core.types import (
    AccountSnapshot,
    Bar,
    ClosePreview,
    CloseResult,
    ClosingOrder,
    ConnectionChange,
    EngineEvent,
    EngineStatus,
    EventKind,
    EventPayload,
    FeedFailed,
    FeedStale,
    Fill,
    FillEvent,
    HaltPreview,
    HaltResult,
    LossLimitBreach,
    Notice,
    Order,
    OrderEvent,
    OrderPreview,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    PerformanceMetrics,
    PnLSummary,
    Position,
    Quote,
    ReconciliationMismatch,
    Rejection,
    RiskSettingChange,
    SetRiskResult,
    Severity,
    Side,
    StateChange,
    SystemNotice,
    TradingState,
)

if TYPE_CHECKING:
    from trading_core.intelligence.rl.types import CvarReport, EnsembleWeightsReport, QuantileReport
    from trading_core.autopilot.controller import Autopilot
    from trading_core.autopilot.stats import AutopilotStats
    from trading_core.autopilot.types import AutopilotSignal, AutopilotStatus, ConfirmResult, SetModeResult
    from trading_core.intelligence.types import FeatureImportance, RegimeInfo, SignalQuality

log = logging.getLogger("mia.engine")
ET = ZoneInfo("America/New_York")
_BARS_KEPT = 600  # per symbol, enough for ATR and the intelligence warm-up
# Stop distance used for sizing before any bar exists (points): about 2 ATR of a quiet 1-min market.
_FALLBACK_STOP_POINTS = {"ES": 5.0, "MNQ": 20.0}
_STATE_KEY = "trading_state"
_RISK_KEY = "risk_settings"
_LAST_PRICES_KEY = "last_prices"
_LAST_MARKET_TS_KEY = "last_market_ts"
_BREACH_KEY = "daily_loss_breach_session"  # the trading day whose loss limit was hit (alerted once)
# Orders sent to flatten a position carry this client id prefix, so a later close (or a restart)
# recognises them and lets them finish instead of cancelling and resending them.
CLOSING_PREFIX = "mia-close-"
_FLATTEN_RETRY_S = 5.0  # after a breach, a flatten that ended without flattening is retried this often
_CANCEL_WAIT_S = 5.0  # how long a close waits for the broker to confirm its cancels
# Last prices are committed with the ledger's state as they change, at most this often (and at
# every fill), so that after a kill -9 the next command marks at the last price seen, never at a default.
PRICE_PERSIST_INTERVAL_S = 0.5
_LOG_LEVEL = {Severity.INFO: logging.INFO, Severity.WARNING: logging.WARNING, Severity.CRITICAL: logging.CRITICAL}


@lru_cache(maxsize=4096)
def _session_of_utc_hour(hour: datetime) -> str:
    return cme.session_date(hour).isoformat()


def _order_with(o: Order, **changes: Any) -> Order:
    """A new snapshot of `o` with `changes` (orders are immutable: holders never see them change).
    Built field by field: `dataclasses.replace` introspects the fields at every call."""
    g = changes.get
    return Order(
        o.order_id, o.client_order_id, o.symbol, o.side, o.quantity, o.order_type,
        g("status", o.status), o.created_ts, o.limit_price, o.stop_price, o.parent_id,
        g("oco_group", o.oco_group), g("filled_quantity", o.filled_quantity), g("avg_fill_price", o.avg_fill_price),
        g("reason", o.reason), o.source, g("broker_ref", o.broker_ref),
    )


def _log_detail(p: EventPayload) -> str:
    """An event's data on one log line (the log is for developers; users read `assistant.present`)."""
    if isinstance(p, OrderEvent):
        o = p.order
        why = f" {p.rejection.code.value}{p.rejection.params}" if p.rejection is not None else ""
        return f"{o.order_id} {o.side.value} {o.quantity} {o.symbol} {o.order_type.value} {o.status.value}{why}"
    if isinstance(p, FillEvent):
        f = p.fill
        return f"{f.order_id} {f.side.value} {f.quantity} {f.symbol} at {f.price} (commission {f.commission})"
    if isinstance(p, StateChange):
        return f"{p.previous.value} -> {p.current.value} ({p.reason})"
    if isinstance(p, LossLimitBreach):
        return f"pnl {p.pnl} limit -{p.limit} flatten={p.flatten}"
    return repr(p)


class MarketNotReadyError(Exception):
    """No price for a market within the wait: a one-shot command cannot mark or fill anything.
    Carries an English and a French sentence (the fronts say one)."""

    def __init__(self, symbols: list[str], timeout: float) -> None:
        self.symbols, self.timeout = symbols, timeout
        names = ", ".join(symbols)
        self.message_en = (f"no price for {names} within {timeout:g} s: the market data did not start "
                           f"(a busy machine or a stopped feed); nothing was done, try again")
        self.message_fr = (f"aucun prix pour {names} en {timeout:g} s : les données de marché n'ont pas démarré "
                           f"(machine chargée ou flux arrêté) ; rien n'a été fait, réessayez")
        super().__init__(self.message_en)

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


class EventSubscription:
    """An async iterator over engine events; close it (or leave the `async with`) to unsubscribe."""

    def __init__(self, engine: "Engine", maxsize: int = 10_000) -> None:
        self._engine = engine
        self.queue: asyncio.Queue[EngineEvent] = asyncio.Queue(maxsize)

    def __aiter__(self) -> AsyncIterator[EngineEvent]:
        return self

    async def __anext__(self) -> EngineEvent:
        return await self.queue.get()

    async def get(self, timeout: float | None = None) -> EngineEvent:
        return await asyncio.wait_for(self.queue.get(), timeout)

    def close(self) -> None:
        self._engine._subscriptions.discard(self)

    async def __aenter__(self) -> "EventSubscription":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class Engine:
    """Async trading engine. Build with `Engine.from_config(config)` or inject parts for tests."""

    def __init__(
        self,
        config: MiaConfig,
        broker: Broker,
        *,
        ledger: Ledger | None = None,
        feed: MarketFeed | None = None,
        clock: Clock | None = None,
        intelligence: IntelligenceAPI | None = None,
        rl: RLAPI | None = None,
        mode: str | None = None,
    ) -> None:
        self.config = config
        self.broker = broker
        self.feed = feed
        self.mode = mode or config.mode
        data = config.data_path
        private_dir(data)
        self.ledger = ledger or Ledger(data / f"ledger_{self.mode}.sqlite3")
        self.clock: Clock = clock or (MarketClock() if feed is not None and self.mode == "paper" else WallClock())
        self.gate = RiskGate(config.risk, get_instrument)
        self.portfolio = Portfolio(get_instrument, config.account.starting_balance)
        self.intelligence: IntelligenceAPI | None = intelligence
        self.rl: RLAPI | None = rl
        self.autopilot: Autopilot | None = None  # trading_core.autopilot.Autopilot once attached (it sets this)
        self._volatility: Any | None = None
        self.symbols: tuple[str, ...] = tuple(config.instruments.symbols)
        self._last_prices: dict[str, float] = {}
        # Symbols whose last price is current: received live in this process (or, for a one-shot
        # command, the last recorded price it opened with). Orders need one; history never gives one.
        self._current: set[str] = set()
        self._bars: dict[str, deque[Bar]] = {s: deque(maxlen=_BARS_KEPT) for s in self.symbols}
        self._state = TradingState.ACTIVE
        self._risk_percent = config.risk.default_risk_percent
        self._risk_per_symbol: dict[str, Decimal] = {}
        self._orders: dict[str, Order] = {}  # working (non-final) orders by id
        self._fill_waiters: dict[str, asyncio.Future[Fill | None]] = {}
        self._subscriptions: set[EventSubscription] = set()
        self._listeners: list[Callable[[EngineEvent], None]] = []
        self._session: str | None = None
        self._session_realized = Decimal(0)
        self._session_commissions = Decimal(0)
        self._session_fills = 0
        self._equity_marked_minute: datetime | None = None
        self._feed_task: asyncio.Task[None] | None = None
        self._last_data = time.monotonic()  # when the feed last delivered anything
        self._breach_task: asyncio.Task[None] | None = None
        self._breached_session: str | None = None  # trading day of the last daily-loss breach
        self._last_flatten_try = float("-inf")  # loop time of the last automatic flatten
        self._flatten_lock = asyncio.Lock()  # closes run one at a time: two never race
        self._final_waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._prices_dirty = False
        self._prices_persisted_at = float("-inf")
        self._started_ts: datetime | None = None
        self._lock = asyncio.Lock()
        self._pending_resubmit: list[Order] = []
        self._stopping = False
        self._broker_lost = False
        self._services_lock = threading.Lock()
        broker.set_event_sink(self._on_broker_event)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_config(cls, config: MiaConfig, *, realtime: bool = True, mode: str | None = None) -> "Engine":
        """The embedded default: paper broker on the configured feed (synthetic unless told otherwise)."""
        from trading_core.broker.paper import PaperBroker
        from trading_core.marketdata.factory import build_feed

        broker = PaperBroker(
            get_instrument,
            slippage_ticks=config.paper.slippage_ticks,
            commission_per_contract=config.paper.commission_per_contract,
        )
        feed = build_feed(config, realtime=realtime)
        return cls(config, broker, feed=feed, mode=mode)

    # ------------------------------------------------------------------ lifecycle
    def prepare(self) -> None:
        """The feed's slow set-up (the simulated market generates its history): blocking, so call it
        in a worker thread before `start`. Nothing to do for a feed without one."""
        prepare = getattr(self.feed, "prepare", None)
        if callable(prepare):
            prepare()

    async def start(self, run_feed: bool = True) -> None:
        """Restore state from the ledger, connect the broker and start consuming market data."""
        self._restore()
        last_ts = self.ledger.get_state(_LAST_MARKET_TS_KEY, None)
        continue_after = getattr(self.feed, "continue_after", None)
        if last_ts and callable(continue_after):
            # a simulated market continues where this ledger last saw it, never earlier
            continue_after(datetime.fromisoformat(last_ts))
        await self.broker.connect()
        # Awaited here, not left to a task: a one-shot command that ends at once must not close the
        # ledger under a resubmission still writing to it.
        await self._resubmit()
        self._started_ts = datetime.now(timezone.utc)
        self._emit(EventKind.SYSTEM, Severity.INFO, SystemNotice(Notice.ENGINE_STARTED))
        if run_feed and self.feed is not None:
            self._feed_task = asyncio.create_task(self._consume_feed(), name="mia-feed")

    async def stop(self) -> None:
        self._stopping = True
        if self._breach_task is not None and not self._breach_task.done():
            # a halt + flatten in progress finishes (its orders are in the ledger) before the ledger closes
            try:
                await asyncio.wait_for(asyncio.shield(self._breach_task), 10.0)
            except Exception:
                log.exception("risk reaction unfinished at stop")
        if self._feed_task is not None:
            if self.feed is not None:
                self.feed.stop()
            self._feed_task.cancel()
            try:
                await self._feed_task
            except (asyncio.CancelledError, Exception):  # the feed may end with its own error
                pass
            self._feed_task = None
        try:
            await self.broker.disconnect()
        finally:
            self._persist_market()

    def _persist_market(self) -> None:
        """Last prices and the market time, committed together (one transaction)."""
        values: dict[str, Any] = {_LAST_PRICES_KEY: self._last_prices}
        if isinstance(self.clock, MarketClock):
            values[_LAST_MARKET_TS_KEY] = self.clock.now().isoformat()
        self.ledger.set_states(values)
        self._prices_dirty = False
        self._prices_persisted_at = time.monotonic()

    async def prime_market(self, timeout: float = 30.0) -> None:
        """Make sure every symbol has a current price: the last recorded one, else the feed's first
        live quotes (history is skipped: it never prices anything).

        Used by one-shot CLI commands, which do not run the feed continuously: for them the last
        recorded price is the market (the paper broker fills at it). Raises `MarketNotReadyError`
        when a market has no price after `timeout` seconds (the simulated feed's warm-up takes a few
        seconds on a busy machine: the wait is generous)."""
        self._current.update(s for s in self.symbols if s in self._last_prices)
        missing = [s for s in self.symbols if s not in self._current]
        if not missing or self.feed is None:
            return

        feed = self.feed

        async def first_prices() -> None:
            async for item in feed.stream():
                if isinstance(item, Bar):
                    self.on_bar(item)
                elif isinstance(item, Quote):
                    self.on_price(item.symbol, item.last, item.ts)
                elif isinstance(item, HistoryBar):
                    self.on_history_bar(item.bar)
                if all(s in self._current for s in self.symbols):
                    break

        try:
            await asyncio.wait_for(first_prices(), timeout)
        except asyncio.TimeoutError:
            raise MarketNotReadyError([s for s in self.symbols if s not in self._current], timeout) from None
        self._persist_market()

    async def pump_last_prices(self, interval: float = 0.02) -> None:
        """Repeat the last price of each symbol (one-shot mode): the paper broker's "next price"."""
        while True:
            await asyncio.sleep(interval)
            for sym, px in list(self._last_prices.items()):
                self.on_price(sym, px, self.clock.now())

    def close(self) -> None:
        for part in (self.intelligence, self.rl):
            closer = getattr(part, "close", None)
            if callable(closer):
                try:
                    closer()  # e.g. the intelligence process
                except Exception:
                    log.exception("closing %s failed", type(part).__name__)
        self.ledger.close()

    async def __aenter__(self) -> "Engine":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
        self.close()

    def _restore(self) -> None:
        state = self.ledger.get_state(_STATE_KEY, TradingState.ACTIVE.value)
        self._state = TradingState(state)
        self._breached_session = self.ledger.get_state(_BREACH_KEY, None)
        risk = self.ledger.get_state(_RISK_KEY, None)
        if risk:
            self._risk_percent = Decimal(risk.get("default", str(self._risk_percent)))
            self._risk_per_symbol = {k: Decimal(v) for k, v in risk.get("per_symbol", {}).items()}
        self._last_prices.update(self.ledger.get_state(_LAST_PRICES_KEY, {}) or {})
        last_ts = self.ledger.get_state(_LAST_MARKET_TS_KEY, None)
        if last_ts and isinstance(self.clock, MarketClock):
            self.clock.advance(datetime.fromisoformat(last_ts))
        now = self.clock.now()
        session = self._session_key(now)
        self._session = session
        self.portfolio = Portfolio(get_instrument, self.config.account.starting_balance)
        fills = self.ledger.fills()
        for fill in fills:
            trades = self.portfolio.apply_fill(fill)
            if self._session_key(fill.ts) == session:
                self._session_realized += sum((t.gross_pnl for t in trades), Decimal(0))
                self._session_commissions += fill.commission
                self._session_fills += 1
        if hasattr(self.broker, "restore_fills"):
            # a new paper broker starts flat: give it the committed positions
            self.broker.restore_fills(fills)
        for sym, px in self._last_prices.items():
            self.portfolio.mark(sym, px)
        self._orders = {o.order_id: o for o in self.ledger.open_orders()}
        if self._orders:
            # A working order of a previous run is not at the (new) paper broker: resubmit it so
            # protective stops survive a restart. A live broker reconciles instead.
            if getattr(self.broker, "name", "") == "paper":
                self._pending_resubmit = list(self._orders.values())
        log.info("restored: state=%s fills=%d working=%d", self._state.value, len(fills), len(self._orders))

    # ------------------------------------------------------------------ market data
    async def _resubmit(self) -> None:
        orders, self._pending_resubmit = self._pending_resubmit, []
        if orders:
            await self.broker.submit(orders)

    async def _consume_feed(self) -> None:
        assert self.feed is not None  # started only with a feed
        watchdog = asyncio.create_task(self._watch_staleness(), name="mia-feed-watchdog")
        try:
            async for item in self.feed.stream():
                if isinstance(item, Quote):
                    self.on_price(item.symbol, item.last, item.ts)
                elif isinstance(item, Bar):
                    self.on_bar(item)
                elif isinstance(item, HistoryBar):
                    self.on_history_bar(item.bar)
                self._last_data = time.monotonic()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a feed failure is an alert, not a crash of the engine
            log.exception("market data feed failed")
            self._emit(EventKind.MARKET_DATA_STALE, Severity.CRITICAL, FeedFailed(str(exc) or type(exc).__name__))
        finally:
            watchdog.cancel()

    async def _watch_staleness(self) -> None:
        """Alert once when no market data has arrived for `feed.stale_after_s` while the market is
        open (prices, the loss check and fills all depend on it), and say when it flows again."""
        limit = float(self.config.feed.stale_after_s)
        self._last_data = time.monotonic()
        stale = False
        while True:
            await asyncio.sleep(min(1.0, limit / 4))
            silent = time.monotonic() - self._last_data
            if not stale and silent > limit and cme.is_market_open(self.clock.now()):
                stale = True
                self._emit(EventKind.MARKET_DATA_STALE, Severity.CRITICAL, FeedStale(round(silent, 1)))
            elif stale and silent <= limit:
                stale = False
                self._emit(EventKind.SYSTEM, Severity.WARNING, SystemNotice(Notice.FEED_RESUMED))

    def on_history_bar(self, bar: Bar) -> None:
        """A bar from before the live session (warm-up): bar buffers, intelligence and the autopilot's
        history window only. It never moves the clock, a price, a mark, a fill, the P&L or a risk check,
        and the autopilot decides nothing on it: its prices are old."""
        self._buffer_bar(bar)
        if self.autopilot is not None:
            # (the warm-up replays while the fronts start: an autopilot attached meanwhile still gets it whole,
            # so its first decision needs no live history of its own)
            self.autopilot.on_history_bar(bar)

    def _buffer_bar(self, bar: Bar) -> None:
        if bar.symbol in self._bars:
            self._bars[bar.symbol].append(bar)
        else:
            self._bars[bar.symbol] = deque([bar], maxlen=_BARS_KEPT)
        if self.intelligence is not None:
            try:
                self.intelligence.on_bar(bar)
            except Exception:  # intelligence must never stop trading data from flowing
                log.exception("intelligence on_bar failed")

    def on_bar(self, bar: Bar) -> None:
        """Feed a completed live bar (also used by replays): buffers, then its close as a price."""
        self._buffer_bar(bar)
        self.on_price(bar.symbol, bar.close, bar.ts + timedelta(minutes=1))
        if self.autopilot is not None:
            # after the close was processed: the autopilot decides on this bar in its worker (settle() waits)
            self.autopilot.on_bar(bar)

    def has_current_price(self, symbol: str) -> bool:
        return symbol in self._current

    def on_price(self, symbol: str, price: float, ts: datetime) -> None:
        """A new live last price: advance the market clock, fill the paper broker, mark the portfolio."""
        if isinstance(self.clock, MarketClock):
            self.clock.advance(ts)
        if self._last_prices.get(symbol) != price:
            self._last_prices[symbol] = price
            self._prices_dirty = True
        self._current.add(symbol)
        self.portfolio.mark(symbol, price)
        self._roll_session(ts)
        self.broker.on_price(symbol, price, ts)
        minute = ts.replace(second=0, microsecond=0)
        if minute != self._equity_marked_minute:
            self._equity_marked_minute = minute
            acct = self.portfolio.account(ts)
            self.ledger.record_equity(ts, acct.equity, acct.realized_pnl, acct.unrealized_pnl)
        if self._prices_dirty and time.monotonic() - self._prices_persisted_at >= PRICE_PERSIST_INTERVAL_S:
            self._persist_market()
        self._check_daily_loss()

    # ------------------------------------------------------------------ sessions and P&L
    @staticmethod
    def _session_key(ts: datetime) -> str:
        if ts.tzinfo is timezone.utc:
            # Sessions change at 18:00 New York time, always a whole UTC hour (ET is UTC-5 or UTC-4),
            # so the key is the same for a whole UTC hour: look it up once per hour, not per price.
            return _session_of_utc_hour(ts.replace(minute=0, second=0, microsecond=0))
        return cme.session_date(ts).isoformat()

    def _roll_session(self, ts: datetime) -> None:
        key = self._session_key(ts)
        if key != self._session:
            if self._session is not None:
                # Like the daily loss limit, the consecutive-loss stop is a daily rule: a new trading
                # day starts the count again (otherwise the first stop would block trading for good).
                self.portfolio.reset_consecutive_losses()
            self._session = key
            self._session_realized = Decimal(0)
            self._session_commissions = Decimal(0)
            self._session_fills = 0

    def _pnl_today_total(self) -> Decimal:
        unrealized = self.portfolio.unrealized_pnl()
        return self._session_realized + unrealized - self._session_commissions

    def _check_daily_loss(self) -> None:
        """After each live price. The first breach of a trading day halts, alerts once and (by
        default) flattens; later prices never alert again. While halted after a breach, a flatten
        that ended without flattening (a closing order rejected or cancelled elsewhere) is retried
        every few seconds, never while a closing order is still working."""
        if self._breach_task is not None and not self._breach_task.done():
            return  # the reaction to this breach is still running
        if self._pnl_today_total() > -self.config.risk.daily_loss_limit:
            return
        if self._breached_session != self._session:
            if self._state is TradingState.HALTED and not self._has_exposure():
                return  # halted and flat: there is nothing left to protect
            self._breached_session = self._session
            self.ledger.set_state(_BREACH_KEY, self._session)
            # A task: the price callback is synchronous, the flatten is not. `settle()` awaits it.
            self._breach_task = asyncio.get_running_loop().create_task(self._daily_loss_breach())
            return
        if (
            self.config.risk.flatten_on_daily_loss
            and self._state is TradingState.HALTED
            and self.portfolio.has_position()
            and not self._flatten_in_flight()
        ):
            now = asyncio.get_running_loop().time()
            if now - self._last_flatten_try >= _FLATTEN_RETRY_S:
                self._last_flatten_try = now
                log.warning("daily loss limit: positions still open after the flatten; closing again")
                self._breach_task = asyncio.get_running_loop().create_task(self._flatten_after_breach())

    async def settle(self) -> None:
        """Wait until the risk reaction started by the last price (halt + flatten) has run, and the
        autopilot's decision on the last bar. Replays call this after each price so that a breach acts
        before the next bar, as it would live, where prices arrive far apart."""
        await self.settle_risk()
        if self.autopilot is not None:
            await self.autopilot.settle()

    async def settle_risk(self) -> None:
        """Wait until the daily-loss reaction started by the last price (halt + flatten) has run."""
        task = self._breach_task
        if task is not None and not task.done():
            await task

    def _has_exposure(self) -> bool:
        return bool(self._orders) or self.portfolio.has_position()

    async def _daily_loss_breach(self) -> None:
        limit = self.config.risk.daily_loss_limit
        pnl = self._pnl_today_total()
        change = self._set_state(TradingState.HALTED, "daily loss limit")
        flatten = self.config.risk.flatten_on_daily_loss
        self._emit(EventKind.RISK_BREACH, Severity.CRITICAL, LossLimitBreach(pnl, limit, flatten, change))
        if self.config.risk.flatten_on_daily_loss:
            await self._flatten_after_breach()

    async def _flatten_after_breach(self) -> None:
        self._last_flatten_try = asyncio.get_running_loop().time()
        try:
            await self.close_positions(None, source="risk")
        except Exception:  # the next price retries; a failure here must not kill the price callback
            log.exception("flatten after the daily loss breach failed")

    # ------------------------------------------------------------------ risk context
    def _risk_context(self, now: datetime) -> RiskContext:
        positions = self.portfolio.net_positions()
        pending: dict[str, int] = {}
        for o in self._orders.values():
            if o.parent_id is None and not o.status.is_final:
                pending[o.symbol] = pending.get(o.symbol, 0) + o.side.sign * (o.quantity - o.filled_quantity)
        acct = self.portfolio.account(now)
        exiting = {s: self._exit_commitment(s, q) for s, q in positions.items() if q}
        return RiskContext(
            now=now,
            state=self._state,
            market_open=cme.is_market_open(now),
            positions=positions,
            pending=pending,
            exiting={s: n for s, n in exiting.items() if n},
            # Only current prices count: a restored or historical price must not let an order through.
            last_prices={s: p for s, p in self._last_prices.items() if s in self._current},
            price_pending=True,
            equity=acct.equity,
            balance=acct.cash,
            pnl_today=self._pnl_today_total(),
            consecutive_losses=self.portfolio.consecutive_losses,
        )

    def risk_percent_for(self, symbol: str) -> Decimal:
        return self._risk_per_symbol.get(symbol, self._risk_percent)

    def _stop_distance(self, instrument: Instrument, req: OrderRequest, entry: float | None) -> float:
        if req.stop_loss is not None and entry is not None:
            return abs(entry - req.stop_loss)
        bars = self._bars.get(instrument.symbol) or ()
        if len(bars) > self.config.risk.atr_period:
            recent = list(bars)[-(self.config.risk.atr_period * 3):]
            value = sizing.atr(
                [b.high for b in recent], [b.low for b in recent], [b.close for b in recent],
                self.config.risk.atr_period,
            )
            if value and value > 0:
                return sizing.default_stop_distance(value, self.config.risk.atr_stop_multiple, instrument.tick_size)
        return _FALLBACK_STOP_POINTS.get(instrument.symbol, 10 * instrument.tick_size)

    # ------------------------------------------------------------------ orders
    async def preview_order(self, req: OrderRequest) -> OrderPreview:
        """Resolve quantity and estimated risk and run the risk gate, without side effects."""
        preview = self._evaluate(req, with_risk=True)
        if preview.rejection is None and req.client_order_id:
            existing = self.ledger.get_order_by_client_id(req.client_order_id)
            conflict = self._client_id_conflict(existing, preview.request, preview.quantity) if existing else None
            if conflict is not None:
                return replace(preview, rejection=conflict)
        return preview

    def _client_id_conflict(self, existing: Order, req: OrderRequest, quantity: int | None) -> Rejection | None:
        """A client order id names ONE order: the same request again is a harmless retry (the
        existing order is returned), a different one under the same id is refused, never merged."""
        entry = req.order_type
        if entry is OrderType.BRACKET:
            entry = OrderType.LIMIT if req.limit_price is not None else OrderType.MARKET
        same = (
            existing.symbol == req.symbol.upper()
            and existing.side is req.side
            and (quantity is None or existing.quantity == quantity)
            and existing.order_type is entry
            and existing.limit_price == (req.limit_price if entry is OrderType.LIMIT else None)
            and existing.stop_price == (req.stop_price if entry is OrderType.STOP else None)
        )
        if same and req.order_type is OrderType.BRACKET:
            sl = self.ledger.get_order_by_client_id(f"{existing.client_order_id}-sl")
            tp = self.ledger.get_order_by_client_id(f"{existing.client_order_id}-tp")
            same = bool(sl and tp and sl.stop_price == req.stop_loss and tp.limit_price == req.take_profit)
        elif same:
            same = self.ledger.get_order_by_client_id(f"{existing.client_order_id}-sl") is None
        if same:
            return None
        return reject(
            ReasonCode.DUPLICATE_CLIENT_ID, client_id=existing.client_order_id, side=existing.side,
            quantity=existing.quantity, symbol=existing.symbol, order_type=existing.order_type,
            limit_price=existing.limit_price,
        )

    def _evaluate(self, req: OrderRequest, with_risk: bool) -> OrderPreview:
        try:
            instrument = get_instrument(req.symbol)
        except UnknownSymbolError:
            return OrderPreview(req, req.quantity or 0, None, None, None, reject(ReasonCode.UNKNOWN_SYMBOL, symbol=req.symbol))
        if instrument.symbol != req.symbol:
            req = replace(req, symbol=instrument.symbol)
        now = self.clock.now()
        ref: float | None
        if req.order_type is OrderType.STOP and req.stop_price is not None:
            ref = req.stop_price
        elif req.limit_price is not None and req.order_type in (OrderType.LIMIT, OrderType.BRACKET):
            ref = req.limit_price
        else:
            ref = self._last_prices.get(instrument.symbol)
        # The stop distance (ATR) is only needed to size from risk % or to read the risk back.
        stop_points = self._stop_distance(instrument, req, ref) if with_risk or req.quantity is None else None
        if req.quantity is None:
            assert stop_points is not None
            quantity, rejection = self._resolve_quantity(req, instrument, stop_points, now)
        else:
            # A risk said with a quantity ("2 ES with 8 % risk") does not size the order, but one
            # beyond the policy is refused rather than dropped silently.
            quantity, rejection = req.quantity, self._stated_risk(req)
        if rejection is None:
            rejection = self.gate.check(self._risk_context(now), self._intent(req, quantity))
        risk_usd = sizing.estimated_risk_usd(quantity, stop_points, instrument) if quantity > 0 and stop_points else None
        return OrderPreview(req, quantity, ref, risk_usd, stop_points, rejection)

    def _stated_risk(self, req: OrderRequest) -> Rejection | None:
        if req.risk_percent is None:
            return None
        maximum = self.config.risk.max_risk_percent
        bad = sizing.validate_risk_percent(Decimal(str(req.risk_percent)), maximum)
        if bad is None or bad.variant:
            return bad
        return reject(ReasonCode.RISK_PERCENT_OUT_OF_RANGE, "order", percent=bad.params["percent"], max=bad.params["max"])

    def _resolve_quantity(
        self, req: OrderRequest, instrument: Instrument, stop_points: float, now: datetime
    ) -> tuple[int, Rejection | None]:
        if req.quantity is not None:
            return req.quantity, None
        pct = req.risk_percent if req.risk_percent is not None else self.risk_percent_for(instrument.symbol)
        bad = sizing.validate_risk_percent(Decimal(str(pct)), self.config.risk.max_risk_percent)
        if bad is not None:
            return 0, bad
        equity = self.portfolio.account(now).equity
        qty = sizing.contracts_from_risk(equity, Decimal(str(pct)), stop_points, instrument)
        if qty <= 0:
            return 0, reject(ReasonCode.SIZE_ZERO_FROM_RISK, percent=pct, symbol=instrument.symbol)
        return qty, None

    @staticmethod
    def _intent(req: OrderRequest, quantity: int) -> OrderIntent:
        return OrderIntent(
            symbol=req.symbol,
            side=req.side,
            quantity=quantity,
            order_type=req.order_type,
            limit_price=req.limit_price,
            stop_price=req.stop_price,
            stop_loss=req.stop_loss,
            take_profit=req.take_profit,
        )

    async def place_order(self, req: OrderRequest, wait_fill: float = 0.0) -> OrderResult:
        """Risk-check and submit an order. `wait_fill` > 0 waits that long for the entry fill
        (or for the broker's refusal, which then makes the result not accepted)."""
        async with self._lock:
            result, fut = await self._place_locked(req)
        if fut is None or result.order is None:
            return result
        oid = result.order.order_id
        fill: Fill | None = None
        if wait_fill > 0:
            try:
                fill = await asyncio.wait_for(asyncio.shield(fut), wait_fill)
            except asyncio.TimeoutError:
                pass
        elif fut.done():
            fill = fut.result()
        order = self._orders.get(oid) or self.ledger.get_order(oid) or result.order
        if order.status is OrderStatus.REJECTED:
            return replace(result, accepted=False, order=order, rejection=order.reason)
        return replace(result, order=order, fills=(fill,) if fill is not None else ())

    async def _place_locked(self, req: OrderRequest) -> tuple[OrderResult, "asyncio.Future[Fill | None] | None"]:
        now = self.clock.now()
        # The engine's own closing orders carry fresh ids: no lookup (a read flushes a replay's batch).
        if req.client_order_id and not req.client_order_id.startswith(CLOSING_PREFIX):
            existing = self.ledger.get_order_by_client_id(req.client_order_id)
            if existing is not None:
                conflict = self._client_id_conflict(existing, req, req.quantity)
                if conflict is not None:
                    return OrderResult(False, existing, conflict, duplicate=True), None
                return OrderResult(existing.status is not OrderStatus.REJECTED, existing, existing.reason, duplicate=True), None
        preview = self._evaluate(req, with_risk=False)
        req = preview.request
        quantity = preview.quantity
        client_id = req.client_order_id or f"mia-{uuid.uuid4().hex[:16]}"
        entry_type = req.order_type
        if entry_type is OrderType.BRACKET:
            entry_type = OrderType.LIMIT if req.limit_price is not None else OrderType.MARKET
        denied = preview.rejection
        parent = Order(
            order_id=f"O-{uuid.uuid4().hex[:12]}",
            client_order_id=client_id,
            symbol=req.symbol.upper(),
            side=req.side,
            quantity=quantity,
            order_type=entry_type,
            status=OrderStatus.PENDING if denied is None else OrderStatus.REJECTED,
            created_ts=now,
            limit_price=req.limit_price if entry_type is OrderType.LIMIT else None,
            stop_price=req.stop_price if entry_type is OrderType.STOP else None,
            reason=denied,
            source=req.source,
        )
        if denied is not None:
            stored, created = self.ledger.insert_order(parent)
            if not created:
                return OrderResult(stored.status is not OrderStatus.REJECTED, stored, stored.reason, duplicate=True), None
            self._emit(EventKind.ORDER_DENIED, Severity.WARNING, OrderEvent(parent, denied), symbol=parent.symbol)
            return OrderResult(False, parent, denied), None
        orders = [parent]
        children: list[Order] = []
        if req.order_type is OrderType.BRACKET:
            group = f"OCO-{parent.order_id}"
            for kind, price in ((OrderType.STOP, req.stop_loss), (OrderType.LIMIT, req.take_profit)):
                child = Order(
                    order_id=f"O-{uuid.uuid4().hex[:12]}",
                    client_order_id=f"{client_id}-{'sl' if kind is OrderType.STOP else 'tp'}",
                    symbol=parent.symbol,
                    side=req.side.opposite,
                    quantity=quantity,
                    order_type=kind,
                    status=OrderStatus.PENDING,
                    created_ts=now,
                    limit_price=price if kind is OrderType.LIMIT else None,
                    stop_price=price if kind is OrderType.STOP else None,
                    parent_id=parent.order_id,
                    oco_group=group,
                    source=req.source,
                )
                children.append(child)
            orders.extend(children)
        recorded = self.ledger.insert_orders(orders)
        if recorded[0] is not parent:
            existing = recorded[0]  # the client id was already known: return the first order
            return OrderResult(existing.status is not OrderStatus.REJECTED, existing, existing.reason, duplicate=True), None
        self.gate.record(now)
        for o in orders:
            self._orders[o.order_id] = o
        fut: asyncio.Future[Fill | None] = asyncio.get_running_loop().create_future()
        self._fill_waiters[parent.order_id] = fut
        self._emit(EventKind.ORDER_ACCEPTED, Severity.INFO, OrderEvent(parent), symbol=parent.symbol)
        await self.broker.submit(orders)
        return OrderResult(True, self._orders.get(parent.order_id, parent), None, tuple(children)), fut

    async def cancel_order(self, order_id: str) -> bool:
        order = self._orders.get(order_id)
        if order is None or order.status.is_final:
            return False
        await self.broker.cancel(order_id)
        return True

    def _close_plan(self, symbol: str | None, pinned_ids: dict[str, str] | None = None) -> ClosePreview:
        """What closing `symbol` (None: everything) does now: the working orders it cancels and the
        closing orders it sends (for what the orders it keeps, earlier closing orders, do not close)."""
        targets = {symbol} if symbol else (
            {p.symbol for p in self.portfolio.positions() if p.quantity} | {o.symbol for o in self._orders.values()}
        )
        cancels = tuple(o for o in self._orders.values()
                        if o.symbol in targets and not o.status.is_final and not self._is_closing(o))
        cancelled = {o.order_id for o in cancels}
        positions = tuple(p for p in self.portfolio.positions() if p.quantity and p.symbol in targets)
        closing: list[ClosingOrder] = []
        in_progress: list[str] = []
        for pos in positions:
            missing = abs(pos.quantity) - self._exit_commitment(pos.symbol, pos.quantity, excluding=cancelled)
            if missing <= 0:
                in_progress.append(pos.symbol)
                continue
            client_id = (pinned_ids or {}).get(pos.symbol) or f"{CLOSING_PREFIX}{uuid.uuid4().hex[:16]}"
            closing.append(ClosingOrder(pos.symbol, Side.SELL if pos.quantity > 0 else Side.BUY, missing, client_id))
        return ClosePreview(symbol, positions, cancels, tuple(closing), tuple(in_progress))

    @staticmethod
    def _same_plan(pinned: ClosePreview, now: ClosePreview) -> bool:
        return (
            {p.symbol: p.quantity for p in pinned.positions} == {p.symbol: p.quantity for p in now.positions}
            and {o.order_id for o in pinned.cancels} == {o.order_id for o in now.cancels}
            and [(c.symbol, c.side, c.quantity) for c in pinned.closing] == [(c.symbol, c.side, c.quantity) for c in now.closing]
            and set(pinned.in_progress) == set(now.in_progress)
        )

    def _stale(self, pinned: ClosePreview, now: ClosePreview) -> CloseResult | None:
        """A refusal when what a close would do changed since its read-back was confirmed."""
        if self._same_plan(pinned, now):
            return None
        symbols = (pinned.symbol,) if pinned.symbol else tuple(sorted({p.symbol for p in now.positions}))
        return CloseResult(symbols, (), 0, not now.positions, rejection=reject(ReasonCode.PREVIEW_CHANGED),
                           preview=pinned, current=now)

    async def preview_close(self, symbol: str | None = None) -> ClosePreview:
        """Exactly what `close_positions(symbol)` would do now, without doing it: the positions, the
        working orders it cancels, the closing orders it sends (client ids pinned). Confirming this
        read-back means passing it back as `close_positions(..., preview=...)`."""
        if symbol is not None:
            try:
                symbol = get_instrument(symbol).symbol
            except UnknownSymbolError:
                return ClosePreview(symbol, (), (), (), rejection=reject(ReasonCode.UNKNOWN_SYMBOL, symbol=symbol))
        async with self._flatten_lock:
            return self._close_plan(symbol)

    async def close_positions(self, symbol: str | None = None, source: str = "api", *,
                              preview: ClosePreview | None = None) -> CloseResult:
        """Flatten `symbol` (or everything): cancel its working orders, wait for the broker to
        confirm the cancels, then send one closing market order for what no working order already
        closes. Allowed even when HALTED.

        With the confirmed `preview` (see `preview_close`), exactly that is done, with its client ids;
        if the positions or orders changed since, nothing is done and the result says so
        (PREVIEW_CHANGED, with what a close would do now).

        Idempotent: a closing order still working from an earlier close is kept (never cancelled and
        resent), and a position it already covers gets no second one ("in progress"). An order whose
        cancel the broker has not confirmed still counts as closing its part, so two exits can never
        reverse a position."""
        if preview is not None:
            symbol = preview.symbol
        if symbol is not None:
            try:
                symbol = get_instrument(symbol).symbol
            except UnknownSymbolError:
                rej = reject(ReasonCode.UNKNOWN_SYMBOL, symbol=symbol)
                return CloseResult((symbol,), (OrderResult(False, None, rej),), 0, False, rejection=rej)
        async with self._flatten_lock:
            plan = self._close_plan(symbol)
            if preview is not None:
                stale = self._stale(preview, plan)
                if stale is not None:
                    return stale
                plan = self._close_plan(symbol, {c.symbol: c.client_order_id for c in preview.closing})
            targets = (symbol,) if symbol else tuple(sorted(
                {p.symbol for p in plan.positions} | {o.symbol for o in plan.cancels}
            ))
            cancelling = [o.order_id for o in plan.cancels]
            for oid in cancelling:
                await self.broker.cancel(oid)
            if cancelling:
                await self._wait_final(cancelling, _CANCEL_WAIT_S)
            results: list[OrderResult] = []
            in_progress = list(plan.in_progress)
            for closing in plan.closing:
                # after the cancels: what no working order closes (a cancel not confirmed still counts)
                position = self.portfolio.net_quantity(closing.symbol)
                missing = min(closing.quantity, abs(position) - self._exit_commitment(closing.symbol, position))
                if missing <= 0:
                    in_progress.append(closing.symbol)
                    continue
                req = OrderRequest(symbol=closing.symbol, side=closing.side, quantity=missing, source=source,
                                   client_order_id=closing.client_order_id)
                results.append(await self.place_order(req, wait_fill=0.0))
            flat = all(p.quantity == 0 for p in self.portfolio.positions() if p.symbol in targets)
            return CloseResult(targets, tuple(results), len(cancelling), flat, tuple(in_progress), preview=plan)

    @staticmethod
    def _is_closing(order: Order) -> bool:
        return order.client_order_id.startswith(CLOSING_PREFIX)

    def _flatten_in_flight(self) -> bool:
        return any(self._is_closing(o) and not o.status.is_final for o in self._orders.values())

    def _exit_commitment(self, symbol: str, position: int, excluding: set[str] | frozenset[str] = frozenset()) -> int:
        """Contracts of `position` that working orders already close: every working order on the
        reducing side counts (entries, closes, protective children, cancels not yet confirmed), an
        OCO group once (only one of its orders can fill), a child held until its parent fills not
        at all (it will protect contracts the position does not hold yet). `excluding`: orders about
        to be cancelled."""
        if position == 0:
            return 0
        exit_side = Side.SELL if position > 0 else Side.BUY
        total = 0
        groups: dict[str, int] = {}
        for o in self._orders.values():
            if o.symbol != symbol or o.side is not exit_side or o.status.is_final or o.order_id in excluding:
                continue
            if o.parent_id is not None and o.parent_id in self._orders:
                continue
            remaining = o.quantity - o.filled_quantity
            if o.oco_group:
                groups[o.oco_group] = max(groups.get(o.oco_group, 0), remaining)
            else:
                total += remaining
        return total + sum(groups.values())

    async def _wait_final(self, order_ids: list[str], timeout: float) -> bool:
        """Wait until the broker has finished with these orders (filled, cancelled or rejected);
        False when some are still working after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[None]] = []
        for oid in order_ids:
            if oid in self._orders:
                fut: asyncio.Future[None] = loop.create_future()
                self._final_waiters.setdefault(oid, []).append(fut)
                futures.append(fut)
        if not futures:
            return True
        done, pending = await asyncio.wait(futures, timeout=timeout)
        for fut in pending:
            fut.cancel()
        if pending:
            log.warning("close: %d cancel(s) not confirmed by the broker after %.1f s", len(pending), timeout)
        return not pending

    # ------------------------------------------------------------------ broker events
    def _on_broker_event(self, event: BrokerEvent) -> None:
        if isinstance(event, ConnectionUpdate):
            # Our own connect at start-up and disconnect at stop are not news; a drop or a
            # reconnection while running is.
            if self._stopping or (event.connected and not self._broker_lost):
                log.info("broker %s: %s", "connected" if event.connected else "disconnected", event.detail)
                return
            self._broker_lost = not event.connected
            if event.connected:
                self._emit(EventKind.BROKER_RECONNECTED, Severity.WARNING, ConnectionChange(True, event.detail))
            else:
                self._emit(EventKind.BROKER_DISCONNECTED, Severity.CRITICAL, ConnectionChange(False, event.detail))
            return
        self._on_order_update(event)

    def report_reconciliation(self, mismatch: ReconciliationMismatch) -> EngineEvent:
        """Alert (RECONCILIATION_MISMATCH, CRITICAL) that the broker's state differs from the ledger.
        Nothing is overwritten: the ledger stays as recorded and a person decides."""
        symbols = {d.symbol for d in mismatch.positions}
        symbol = symbols.pop() if len(symbols) == 1 and not mismatch.missing_orders else None
        return self._emit(EventKind.RECONCILIATION_MISMATCH, Severity.CRITICAL, mismatch, symbol=symbol)

    def _on_order_update(self, upd: OrderUpdate) -> None:
        order = self._orders.get(upd.order_id) or self.ledger.get_order(upd.order_id)
        if order is None:
            log.warning("update for unknown order %s", upd.order_id)
            return
        broker_ref = upd.broker_ref or order.broker_ref
        if upd.fill is not None:
            fill = upd.fill
            done = order.filled_quantity + fill.quantity
            prev_avg = order.avg_fill_price or 0.0
            order = _order_with(
                order, broker_ref=broker_ref, filled_quantity=done,
                avg_fill_price=(prev_avg * (done - fill.quantity) + fill.price * fill.quantity) / done,
                status=OrderStatus.FILLED if done >= order.quantity else OrderStatus.WORKING,
            )
            self._keep(order)
            trades = self.portfolio.apply_fill(fill)
            if self._session_key(fill.ts) == self._session:
                self._session_realized += sum((t.gross_pnl for t in trades), Decimal(0))
                self._session_commissions += fill.commission
                self._session_fills += 1
            self.ledger.record_fill(fill, order)
            if self._prices_dirty:
                self._persist_market()  # a fill: the prices it was marked against are worth keeping now
            self._emit(EventKind.FILL, Severity.INFO, FillEvent(fill, order), symbol=fill.symbol)
            if order.status is OrderStatus.FILLED:
                fut = self._fill_waiters.pop(order.order_id, None)
                if fut is not None and not fut.done():
                    fut.set_result(fill)
        else:
            order = _order_with(order, broker_ref=broker_ref, status=upd.status,
                                reason=upd.rejection if upd.rejection is not None else order.reason)
            self._keep(order)
            self.ledger.update_order(order)
            if upd.status is OrderStatus.REJECTED:
                rej = upd.rejection or reject(ReasonCode.BROKER_REJECTED)
                self._emit(EventKind.ORDER_REJECTED, Severity.WARNING, OrderEvent(order, rej), symbol=order.symbol)
            elif upd.status is OrderStatus.CANCELLED:
                self._emit(EventKind.ORDER_CANCELLED, Severity.INFO, OrderEvent(order, upd.rejection), symbol=order.symbol)
        if order.status.is_final:
            fut = self._fill_waiters.pop(order.order_id, None)
            if fut is not None and not fut.done():
                fut.set_result(None)  # rejected or cancelled: nobody waits for a fill any more
            for waiter in self._final_waiters.pop(order.order_id, ()):
                if not waiter.done():
                    waiter.set_result(None)

    def _keep(self, order: Order) -> None:
        """The working orders hold the latest snapshot of each order; a final one leaves them."""
        if order.status.is_final:
            self._orders.pop(order.order_id, None)
        else:
            self._orders[order.order_id] = order

    # ------------------------------------------------------------------ queries
    def now(self) -> datetime:
        """Market time: the simulated market's clock in paper mode, the wall clock live."""
        return self.clock.now()

    def trading_day(self) -> str | None:
        """The CME trading day the engine is in (the daily loss and P&L roll with it); None before a price."""
        return self._session

    def last_prices(self) -> dict[str, float]:
        """The last price of each symbol (a copy; `has_current_price` says which are live)."""
        return dict(self._last_prices)

    def bars(self, symbol: str, last: int | None = None) -> tuple[Bar, ...]:
        """The completed 1-minute bars kept for `symbol` (history and live), oldest first."""
        kept = tuple(self._bars.get(symbol.upper(), ()))
        return kept if last is None else kept[-last:]

    def closed_trades(self) -> tuple[ClosedTrade, ...]:
        """Every closed round trip (FIFO), oldest first."""
        return tuple(self.portfolio.closed_trades)

    def closed_trade_count(self) -> int:
        return len(self.portfolio.closed_trades)

    def equity_curve(self, since: datetime | None = None) -> list[EquityPoint]:
        """The equity recorded once a minute (from the ledger), oldest first."""
        return self.ledger.equity_curve(since=since)

    def order(self, order_id: str) -> Order | None:
        """The latest snapshot of an order, working or not."""
        return self._orders.get(order_id) or self.ledger.get_order(order_id)

    async def positions(self) -> list[Position]:
        return [p for p in self.portfolio.positions() if p.quantity != 0]

    async def account(self) -> AccountSnapshot:
        return self.portfolio.account(self.clock.now())

    async def pnl_today(self) -> PnLSummary:
        unrealized = sum((p.unrealized_pnl for p in self.portfolio.positions()), Decimal(0))
        return PnLSummary(
            day=self._session or self._session_key(self.clock.now()),
            realized=self._session_realized,
            unrealized=unrealized,
            commissions=self._session_commissions,
            total=self._session_realized + unrealized - self._session_commissions,
            trades=self._session_fills,
        )

    async def working_orders(self) -> list[Order]:
        return list(self._orders.values())

    async def recent_orders(self, limit: int = 50) -> list[Order]:
        return self.ledger.orders(limit=limit)

    async def performance_metrics(self) -> PerformanceMetrics:
        return performance_metrics(
            self.portfolio.closed_trades, self.ledger.equity_curve(), self.config.account.starting_balance
        )

    async def status(self) -> EngineStatus:
        now = self.clock.now()
        acct = self.portfolio.account(now)
        return EngineStatus(
            state=self._state,
            mode=self.mode,
            broker=getattr(self.broker, "name", type(self.broker).__name__),
            broker_connected=bool(self.broker.connected),
            feed=getattr(self.feed, "name", "none") if self.feed is not None else "none",
            market_open=cme.is_market_open(now),
            symbols=self.symbols,
            last_prices=dict(self._last_prices),
            equity=acct.equity,
            pnl_today=self._pnl_today_total(),
            open_positions=sum(1 for p in self.portfolio.positions() if p.quantity),
            working_orders=len(self._orders),
            risk_percent=self._risk_percent,
            consecutive_losses=self.portfolio.consecutive_losses,
            started_ts=self._started_ts,
            live_symbols=tuple(s for s in self.symbols if s in self._current),
        )

    @property
    def state(self) -> TradingState:
        return self._state

    # ------------------------------------------------------------------ controls
    async def preview_set_risk(self, percent: Decimal | float | str, symbol: str | None = None) -> SetRiskResult:
        """What `set_risk` would apply, checked the same way, with nothing changed (a setting heard by voice is
        read back before it is applied)."""
        return self._checked_risk(percent, symbol)

    def _checked_risk(self, percent: Decimal | float | str, symbol: str | None) -> SetRiskResult:
        if symbol is not None:
            try:
                symbol = get_instrument(symbol).symbol
            except UnknownSymbolError:
                return SetRiskResult(False, symbol, None, reject(ReasonCode.UNKNOWN_SYMBOL, symbol=symbol))
        bad = sizing.validate_risk_percent(percent, self.config.risk.max_risk_percent)
        if bad is not None:
            return SetRiskResult(False, symbol, None, bad)
        pct = sizing.parse_risk_percent(percent)
        assert pct is not None  # validated above
        return SetRiskResult(True, symbol, pct)

    async def set_risk(self, percent: Decimal | float | str, symbol: str | None = None) -> SetRiskResult:
        """Change the per-trade risk (% of equity), for one symbol or as the default; range-checked."""
        checked = self._checked_risk(percent, symbol)
        if not checked.ok or checked.risk_percent is None:
            return checked
        pct, symbol = checked.risk_percent, checked.symbol
        if symbol is None:
            self._risk_percent = pct
        else:
            self._risk_per_symbol[symbol] = pct
        self.ledger.set_state(
            _RISK_KEY,
            {"default": str(self._risk_percent), "per_symbol": {k: str(v) for k, v in self._risk_per_symbol.items()}},
        )
        self._emit(EventKind.RISK_SETTING_CHANGED, Severity.INFO, RiskSettingChange(pct, symbol), symbol=symbol)
        return SetRiskResult(True, symbol, pct)

    def _set_state(self, state: TradingState, reason: str) -> StateChange:
        prev = self._state
        self._state = state
        self.ledger.set_state(_STATE_KEY, state.value)
        return StateChange(prev, state, reason)

    def _halt_cancels(self) -> tuple[Order, ...]:
        """Working entry orders a halt cancels: those that could add exposure (protective stop-loss /
        take-profit children, and orders that only reduce a position, stay)."""
        positions = {p.symbol: p.quantity for p in self.portfolio.positions()}
        return tuple(
            o for o in self._orders.values()
            if o.parent_id is None and not o.status.is_final
            and not reduces_exposure(positions.get(o.symbol, 0), o.side, o.quantity - o.filled_quantity)
        )

    async def preview_halt(self, flatten: bool = False) -> HaltPreview:
        """What `halt` (or with `flatten`, `kill_switch`) would do now: the read-back to confirm."""
        positions = tuple(p for p in self.portfolio.positions() if p.quantity)
        if flatten:
            close = await self.preview_close(None)
            return HaltPreview(self._state, close.cancels, positions, close)
        return HaltPreview(self._state, self._halt_cancels(), positions)

    async def halt(self, reason: str = "user", *, preview: HaltPreview | None = None) -> HaltResult:
        """No new orders. Working entry orders are cancelled (they could add exposure); protective
        stop-loss / take-profit children stay, and closing positions remains allowed.

        With the confirmed `preview`, the orders it named are cancelled; an entry order placed since
        the read-back is cancelled too (a halted book never keeps an order that adds exposure) and
        reported in `unexpected`."""
        change = self._set_state(TradingState.HALTED, reason)
        cancels = self._halt_cancels()
        pinned = {o.order_id for o in preview.cancels} if preview is not None else {o.order_id for o in cancels}
        for o in cancels:
            await self.broker.cancel(o.order_id)
        self._emit(EventKind.STATE_CHANGE, Severity.WARNING, change)
        ids = tuple(o.order_id for o in cancels)
        return HaltResult(change, ids, tuple(i for i in ids if i not in pinned))

    async def reduce_only(self, reason: str = "user") -> StateChange:
        """Only orders that shrink a position without reversing it are accepted from now on (working
        orders stay: none of them is cancelled)."""
        change = self._set_state(TradingState.REDUCING, reason)
        self._emit(EventKind.STATE_CHANGE, Severity.WARNING, change)
        return change

    async def resume(self, reason: str = "user") -> StateChange:
        change = self._set_state(TradingState.ACTIVE, reason)
        self.portfolio.reset_consecutive_losses()  # resuming is the trader's decision to trade again
        self._emit(EventKind.STATE_CHANGE, Severity.INFO, change)
        return change

    async def kill_switch(self, reason: str = "user", *, preview: HaltPreview | None = None) -> CloseResult:
        """Halt, cancel every working order and flatten every position. With the confirmed `preview`,
        nothing is done when the positions or orders changed since the read-back (see `close_positions`)."""
        if preview is not None and preview.flatten is not None:
            async with self._flatten_lock:
                current = self._close_plan(None)
            stale = self._stale(preview.flatten, current)
            if stale is not None:
                return stale
        change = self._set_state(TradingState.HALTED, f"kill switch: {reason}")
        self._emit(EventKind.KILL_SWITCH, Severity.CRITICAL, change)
        return await self.close_positions(
            None, source="kill_switch", preview=preview.flatten if preview is not None else None
        )

    # ------------------------------------------------------------------ intelligence
    def _require(self, part: str) -> Any:
        """The intelligence or RL service, built on first use. It may be called from a worker
        thread (queries run off the event loop), so it works on copies of the bar buffers and
        only publishes the service once it has seen the history."""
        obj = getattr(self, part)
        if obj is not None:
            return obj
        with self._services_lock:
            obj = getattr(self, part)
            if obj is not None:
                return obj
            if part == "intelligence":
                # The service runs in its own process (see trading_core.intelligence.worker): its
                # imports, training and feature work never hold this process's GIL.
                from trading_core.intelligence.worker import IntelligenceWorker

                service = IntelligenceWorker(self.config, self.config.data_path)
                history = sorted((b for bars in list(self._bars.values()) for b in list(bars)),
                                 key=lambda b: b.ts)
                for b in history:
                    service.on_bar(b)
                self.intelligence = service
                return service
            from trading_core.intelligence.rl.inference import RLService

            self.rl = RLService(
                self.config,
                data_dir=self.config.data_path,
                bars_source=lambda sym: list(self._bars.get(sym, ())),
            )
            return self.rl

    # The services are built (imports, the bar history replayed into them) and the models trained or
    # loaded (seconds) off the event loop, so prices, fills and speech keep flowing meanwhile.
    async def _service(self, part: str) -> Any:
        obj = getattr(self, part)
        return obj if obj is not None else await asyncio.to_thread(self._require, part)

    @property
    def intelligence_loaded(self) -> bool:
        """True once the intelligence service exists (its first query builds it: seconds)."""
        return self.intelligence is not None

    def intelligence_cache_info(self) -> dict[str, int] | None:
        """The intelligence service's prediction cache counters (hits, misses), when it keeps them."""
        info = getattr(self.intelligence, "cache_info", None)
        if not callable(info):
            return None
        try:
            data = info()
            return {"hits": int(data["hits"]), "misses": int(data["misses"])}
        except Exception:  # counters are a nicety: never an error for whoever asks
            return None

    async def regime(self, symbol: str | None = None) -> RegimeInfo:
        symbol = get_instrument(symbol or self.config.market).symbol
        service = await self._service("intelligence")
        return await asyncio.to_thread(service.regime, symbol)

    async def top_features(self, n: int = 5) -> list[FeatureImportance]:
        service = await self._service("intelligence")
        return await asyncio.to_thread(service.top_features, n)

    async def signal_quality(self, features: Any = None) -> SignalQuality:
        service = await self._service("intelligence")
        return await asyncio.to_thread(service.signal_quality, features)

    async def cvar_loss(self) -> CvarReport:
        service = await self._service("rl")
        return await asyncio.to_thread(service.cvar_loss)

    async def qr_quantiles(self) -> QuantileReport:
        service = await self._service("rl")
        return await asyncio.to_thread(service.qr_quantiles)

    async def ensemble_weights(self) -> EnsembleWeightsReport:
        service = await self._service("rl")
        return await asyncio.to_thread(service.ensemble_weights)

    async def write_intelligence_figures(self, symbol: str | None = None) -> list[Path]:
        """The regime and SHAP figures of the loaded intelligence service (none when it runs in its own
        process or is not loaded: drawing would load models)."""
        writer = getattr(self.intelligence, "write_figures", None)
        if not callable(writer):
            return []
        return list(await asyncio.to_thread(writer, symbol or self.config.market))

    async def volatility_forecast(self) -> Any:
        """Next-day VIX forecast of the LSTM (`trading_core.autopilot.volatility.VolatilityForecast`), with
        its walk-forward record against the naive forecast; off the event loop (loads torch)."""
        from trading_core.autopilot.volatility import forecast_service

        if self._volatility is None:
            self._volatility = forecast_service(self.config)
        return await asyncio.to_thread(self._volatility.forecast)

    async def autopilot_signals(self, limit: int | None = 50, since: datetime | None = None) -> list[AutopilotSignal]:
        """The autopilot's recent signals with their scores and decisions (from the ledger), oldest first."""
        return self.ledger.autopilot_signals(limit=limit, since=since)

    async def set_autopilot_mode(self, mode: str, *, live_ack: bool = False, reason: str = "user") -> SetModeResult:
        """Switch the autopilot off / propose / auto (`SetModeResult`); `auto` on a live engine needs
        `live_ack` (the front asked the typed acknowledgement). Refused (code AUTOPILOT_NOT_RUNNING) when
        no autopilot is attached."""
        from trading_core.autopilot.types import AutopilotMode, SetModeResult

        if self.autopilot is None:
            return SetModeResult(False, AutopilotMode.OFF, code="AUTOPILOT_NOT_RUNNING")
        return await self.autopilot.set_mode(mode, reason, live_ack=live_ack)

    async def confirm_signal(self, signal_id: str) -> ConfirmResult:
        """Execute a pending autopilot proposal (the trader's explicit confirmation): `ConfirmResult`."""
        from trading_core.autopilot.types import ConfirmResult

        if self.autopilot is None:
            return ConfirmResult(False, None, code="AUTOPILOT_NOT_RUNNING")
        return await self.autopilot.confirm(signal_id)

    async def decline_signal(self, signal_id: str) -> ConfirmResult:
        """End a pending autopilot proposal without trading: `ConfirmResult`."""
        from trading_core.autopilot.types import ConfirmResult

        if self.autopilot is None:
            return ConfirmResult(False, None, code="AUTOPILOT_NOT_RUNNING")
        return await self.autopilot.decline(signal_id)

    def autopilot_status(self) -> AutopilotStatus | None:
        """The autopilot's mode, level, pending proposals and last signals
        (`trading_core.autopilot.types.AutopilotStatus`), or None when no autopilot is attached."""
        return self.autopilot.status() if self.autopilot is not None else None

    async def autopilot_stats(self, day: date | None = None) -> AutopilotStats:
        """What the autopilot did in CME session `day` (default: the current one): signals by decision and
        reason, each executed signal's result, autopilot vs manual P&L
        (`trading_core.autopilot.stats.AutopilotStats`); read from the ledger off the event loop."""
        from trading_core.autopilot.stats import ledger_stats

        the_day = day or cme.session_date(self.clock.now())
        return await asyncio.to_thread(ledger_stats, self.ledger, get_instrument,
                                       Decimal(self.config.account.starting_balance), the_day)

    # ------------------------------------------------------------------ events
    def subscribe(self) -> EventSubscription:
        sub = EventSubscription(self)
        self._subscriptions.add(sub)
        return sub

    def add_listener(self, callback: Callable[[EngineEvent], None]) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[EngineEvent], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def events_since(self, seq: int = 0, limit: int | None = 1000) -> list[EngineEvent]:
        return self.ledger.events(since_seq=seq, limit=limit)

    def publish(self, kind: EventKind, severity: Severity, payload: EventPayload, *,
                symbol: str | None = None) -> EngineEvent:
        """Record and announce an event of a component attached to the engine (the autopilot): the same
        ledger row, subscribers and listeners as the engine's own events. The payload must fit the kind."""
        return self._emit(kind, severity, payload, symbol=symbol)

    def _emit(self, kind: EventKind, severity: Severity, payload: EventPayload, *, symbol: str | None = None) -> EngineEvent:
        """Record an event in the ledger, then hand it to every subscriber and listener."""
        ts = datetime.now(timezone.utc)
        seq = self.ledger.append_event(EngineEvent(kind, severity, ts, payload, symbol))
        event = EngineEvent(kind, severity, ts, payload, symbol, seq)
        if log.isEnabledFor(_LOG_LEVEL[severity]):
            log.log(_LOG_LEVEL[severity], "%s: %s", kind.value, _log_detail(payload))
        for sub in list(self._subscriptions):
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                log.error("event subscriber too slow; dropping its oldest event")
                sub.queue.get_nowait()
                sub.queue.put_nowait(event)
        for cb in list(self._listeners):
            try:
                cb(event)
            except Exception:  # a broken listener must not break trading
                log.exception("event listener failed")
        return event

    # ------------------------------------------------------------------ snapshot
    def snapshot(self) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "ts": now,
            "mode": self.mode,
            "state": self._state,
            "risk_percent": self._risk_percent,
            "risk_per_symbol": dict(self._risk_per_symbol),
            "account": self.portfolio.account(now),
            "positions": self.portfolio.positions(),
            "working_orders": list(self._orders.values()),
            "last_prices": dict(self._last_prices),
            "pnl_today": self._pnl_today_total(),
            "closed_trades": len(self.portfolio.closed_trades),
        }

    def round_price(self, symbol: str, price: float) -> float:
        return round_to_tick(price, get_instrument(symbol).tick_size)
