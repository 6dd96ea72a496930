"""The Interactive Brokers broker (TWS or IB Gateway) through `ib_async`, behind the same `Broker`
interface as the paper broker.

Connection
- `connect()` opens the API connection with `IbConfig.connect_timeout_s`, checks that the configured
  account (`ib.account`) is among the connected session's managed accounts, qualifies the front-month
  contracts and syncs the account summary. Positions, open and completed orders and today's executions
  are synced by ib_async itself during its connect.
- A lost connection (socket closed, TWS restart) sends `ConnectionUpdate(False)` and starts
  reconnecting in the background with exponential backoff (`reconnect_initial_backoff_s`, doubling, at
  most `IbConfig.reconnect_max_backoff_s`). After a reconnect the orders this broker tracks are
  re-synchronised (executions missed while away are reported, orders no longer open at IB are reported
  cancelled), cancels requested while away are sent, then `ConnectionUpdate(True)` is sent: the engine
  turns both into alerts, and `trading_core.broker.reconcile` (subscribed through
  `add_connection_listener`, which also sees the first connection) compares positions and working
  orders (`open_order_ids`) with the ledger.
- Orders placed by MIA in an earlier run and still working at IB are adopted at connect (recognised by
  `orderRef`); their executions from before the adoption are not re-reported (a missing fill shows as a
  position mismatch, never as a silent ledger change).
- TWS messages 1100 (TWS lost its link to IB's servers) and 1101/1102 (restored) are reported as
  `ConnectionUpdate(False)` / `ConnectionUpdate(True)` as well: orders cannot reach the exchange then.
- A `paper=True` broker refuses to connect to a live-trading port (7496 TWS, 4001 Gateway).

Contracts: `ContractBook` (trading_core.broker.ib_contracts) qualifies the front month of each root from
`trading_core.calendar` (local symbol such as ESZ6, exchange CME, currency USD) and re-qualifies after
a roll.

Orders (every one already passed the engine's risk gate)
- MARKET -> MKT (tif DAY); LIMIT -> LMT and STOP -> STP (tif GTC, so a protective stop outlives the
  session). All orders carry `outsideRth=1`: without it IB triggers stops only in regular trading
  hours, and index futures trade almost around the clock. `orderRef` is the engine's order id, so an
  order can be recognised after a reconnect or a restart of MIA.
- A bracket [parent, stop loss, take profit] follows IB's transmit rule: every order of the group is
  sent with `transmit=0` except the last one, whose `transmit=1` releases the whole group at once; the
  children carry `parentId` (IB holds them until the parent fills and cancels the sibling when one
  fills) and also the engine's `oco_group` as `ocaGroup` (ocaType 1), which keeps them one-cancels-other
  even where the parent link is gone (e.g. children re-sent after the parent filled).
- IB error messages about an order end it: code 202 (cancelled) -> CANCELLED, any other code ->
  REJECTED with the rejection IB_ERROR (params `ib_code`, IB's `text`) (CANCELLED with that reason when part of it had
  already filled). Warnings (ib_async's list, e.g. 399) leave the order working and are only logged.

Executions and commissions: a fill is reported once both its execDetails and its commissionReport
have arrived, so the ledger records the real commission. If the report does not come within
`commission_wait_s` (default 2 s; TWS normally sends it within milliseconds), the fill is reported with
the estimate `fallback_commission_per_contract` x quantity and a warning is logged (a late report is
logged with the difference; the ledger is not rewritten). Events go to the sink in the order IB sent
them: anything behind a fill that waits for its commission waits too. The fill id is IB's execId, so a
re-sent execution is never booked twice.

Positions and account: `broker_positions()` asks TWS for positions (reqPositions) and returns those of
the configured account in the instruments MIA trades (ES, MNQ futures, summed over expiries, average
price = IB's avgCost / multiplier); other holdings of the account are ignored. `broker_account()`
returns NetLiquidation and realised / unrealised P&L from the account summary synced at connect.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from ib_async import IB, Contract, LimitOrder, MarketOrder, StopOrder, Trade
from ib_async import Order as IbOrder
from ib_async.objects import CommissionReport, Execution
from ib_async.objects import Fill as IbFill
from ib_async.order import OrderStatus as IbStatus

from trading_core import calendar as cme
from trading_core.broker.base import (
    BrokerAccount,
    BrokerEvent,
    BrokerPosition,
    ConnectionUpdate,
    EventSink,
    OrderUpdate,
    check_submission,
)
from trading_core.broker.ib_contracts import (
    ContractBook,
    ContractNotFoundError,
    IBAccountError,
    IBConnectionError,
    IBError,
    ib_rejection,
)
from trading_core.clock import Clock
from trading_core.config import IbConfig
from trading_core.instruments import UnknownSymbolError, get_instrument, is_on_tick
from trading_core.risk.reasons import PriceLabel, ReasonCode, reject
from trading_core.types import Fill, Order, OrderStatus, OrderType, Rejection, Side

log = logging.getLogger("mia.broker.ib")

LIVE_PORTS = frozenset({7496, 4001})  # TWS live, IB Gateway live
PAPER_PORTS = frozenset({7497, 4002})  # TWS paper, IB Gateway paper
CODE_CANCELLED = 202
CODES_LINK_LOST = frozenset({1100})
CODES_LINK_RESTORED = frozenset({1101, 1102})
_WORKING_STATES = frozenset({IbStatus.PreSubmitted, IbStatus.Submitted})
_ENDED_STATES = frozenset({IbStatus.Cancelled, IbStatus.ApiCancelled, IbStatus.Inactive})
_UNSET = 1e300  # ib_async's UNSET_DOUBLE is 1.797e308; anything this large is "no value"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _money(value: float | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() and abs(d) < Decimal(_UNSET) else None


# ---------------------------------------------------------------------------------- broker state


@dataclass(slots=True)
class _Tracked:
    """This broker's view of one engine order at IB."""

    order_id: str  # engine id, also IB orderRef
    ib_id: int  # IB orderId (0 for an order adopted from a completed-orders list)
    symbol: str
    side: Side
    quantity: int
    filled: int = 0
    acked: bool = False
    final: bool = False
    broker_ref: str | None = None
    exec_ids: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Outgoing:
    event: BrokerEvent | None
    ready: bool


@dataclass(slots=True)
class _PendingFill:
    tracked: _Tracked
    exec_id: str
    side: Side
    quantity: int
    price: float
    ts: datetime
    status: OrderStatus
    slot: _Outgoing
    timer: asyncio.TimerHandle | None = None


class IBBroker:
    """`trading_core.broker.base.Broker` on Interactive Brokers (see the module docstring)."""

    name = "ib"

    def __init__(
        self,
        config: IbConfig,
        *,
        symbols: Sequence[str] = ("ES", "MNQ"),
        roll_days: int = cme.DEFAULT_ROLL_DAYS,
        paper: bool | None = None,
        clock: Clock | None = None,
        commission_wait_s: float = 2.0,
        fallback_commission_per_contract: Decimal = Decimal("2.25"),
        reconnect_initial_backoff_s: float = 1.0,
        request_timeout_s: float = 10.0,
        ib: IB | None = None,
    ) -> None:
        if not commission_wait_s > 0:
            raise ValueError(f"commission_wait_s = {commission_wait_s!r} is not valid; allowed: a number > 0")
        if not reconnect_initial_backoff_s > 0:
            raise ValueError(
                f"reconnect_initial_backoff_s = {reconnect_initial_backoff_s!r} is not valid; allowed: a number > 0"
            )
        if fallback_commission_per_contract < 0:
            raise ValueError("fallback_commission_per_contract must be >= 0")
        self.config = config
        self.paper = paper
        self.ib = ib or IB()
        self._clock = clock
        self.contracts = ContractBook(self.ib, symbols, roll_days, clock, request_timeout_s)
        self.commission_wait_s = float(commission_wait_s)
        self.fallback_commission_per_contract = Decimal(fallback_commission_per_contract)
        self.reconnect_initial_backoff_s = float(reconnect_initial_backoff_s)
        self.request_timeout_s = float(request_timeout_s)
        self.account_id: str | None = config.account
        self.reconnect_attempts: list[float] = []  # time.monotonic() of every reconnect attempt
        self.reconnects = 0
        self._sink: EventSink | None = None
        self._ready = False
        self._announced = False
        self._stopping = False
        self._connecting = False
        self._link_down = False  # TWS up, but its link to IB's servers is down (1100)
        self._reconnect_task: asyncio.Task[None] | None = None
        self._by_order_id: dict[str, _Tracked] = {}
        self._by_ib_id: dict[int, _Tracked] = {}
        self._outbox: deque[_Outgoing] = deque()
        self._pending: dict[str, _PendingFill] = {}  # execId -> fill waiting for its commission
        self._estimated: dict[str, Decimal] = {}  # execId -> commission booked without a report
        self._pending_cancels: list[str] = []
        self._refused_ids: set[str] = set()  # refused before reaching IB
        self._connection_listeners: list[Callable[[ConnectionUpdate], None]] = []
        self.ib.orderStatusEvent += self._on_status
        self.ib.execDetailsEvent += self._on_exec
        self.ib.commissionReportEvent += self._on_commission
        self.ib.errorEvent += self._on_error
        self.ib.disconnectedEvent += self._on_disconnected

    # ------------------------------------------------------------------ plumbing

    def set_event_sink(self, sink: EventSink) -> None:
        self._sink = sink
        self._flush()

    def add_connection_listener(self, callback: Callable[[ConnectionUpdate], None]) -> None:
        """Also tell `callback` about every ConnectionUpdate, after the event sink (the reconciler uses
        it: it must run after the first connection as well, which the engine does not alert on)."""
        self._connection_listeners.append(callback)

    def remove_connection_listener(self, callback: Callable[[ConnectionUpdate], None]) -> None:
        if callback in self._connection_listeners:
            self._connection_listeners.remove(callback)

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else _utc_now()

    @property
    def _where(self) -> str:
        return f"TWS/IB Gateway {self.config.host}:{self.config.port}"

    def _push(self, event: BrokerEvent) -> None:
        self._outbox.append(_Outgoing(event, True))
        self._flush()

    def _flush(self) -> None:
        """Deliver, in order, every event up to the first fill still waiting for its commission."""
        if self._sink is None:
            return
        while self._outbox and self._outbox[0].ready:
            event = self._outbox.popleft().event
            if event is None:
                continue
            try:
                self._sink(event)
            except Exception:  # keep delivering: later events describe state that already changed at IB
                log.exception("event sink failed on %r", event)
            if isinstance(event, ConnectionUpdate):
                for callback in list(self._connection_listeners):
                    try:
                        callback(event)
                    except Exception:  # a listener must not stop order events
                        log.exception("connection listener failed on %r", event)

    @property
    def pending_events(self) -> int:
        """Events not yet delivered (fills waiting for their commission report and what queues behind)."""
        return len(self._outbox)

    async def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every event received from IB has been delivered; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._outbox:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    # ------------------------------------------------------------------ connection

    @property
    def connected(self) -> bool:
        return self._ready and not self._link_down and self.ib.isConnected()

    @property
    def managed_accounts(self) -> list[str]:
        return self.ib.managedAccounts() if self.ib.isConnected() else []

    async def connect(self) -> None:
        """Connect (if not connected yet) and report the connection to the event sink once."""
        self._stopping = False
        if not self._ready:
            if self._reconnect_task is not None and not self._reconnect_task.done():
                self._reconnect_task.cancel()
            await self._open()
        if self._sink is not None and not self._announced:
            self._announced = True
            self._push(ConnectionUpdate(True, self._now(), f"{self._where}, {self.account_id}"))

    async def _open(self) -> None:
        cfg = self.config
        if self.paper and cfg.port in LIVE_PORTS:
            raise IBConnectionError(
                "IB_LIVE_PORT_IN_PAPER",
                f"Port {cfg.port} is a live-trading port of Interactive Brokers; a paper run never connects to it "
                "(use 7497 for TWS or 4002 for IB Gateway paper trading).",
                f"Le port {cfg.port} est un port de trading réel d'Interactive Brokers ; une session papier ne s'y "
                "connecte jamais (utilisez 7497 pour TWS ou 4002 pour IB Gateway en papier).",
            )
        self._connecting = True
        try:
            try:
                await self.ib.connectAsync(cfg.host, cfg.port, cfg.client_id, timeout=cfg.connect_timeout_s)
            except TimeoutError:
                raise IBConnectionError(
                    "IB_CONNECT_TIMEOUT",
                    f"No answer from {self._where} within {cfg.connect_timeout_s:g} s. Is TWS or IB Gateway running "
                    "with the API enabled?",
                    f"Pas de réponse de {self._where} en {cfg.connect_timeout_s:g} s. TWS ou IB Gateway est-il lancé "
                    "avec l'API activée ?",
                ) from None
            except (OSError, ConnectionError) as exc:
                raise IBConnectionError(
                    "IB_CONNECT_FAILED",
                    f"Cannot connect to {self._where}: {exc}. Is TWS or IB Gateway running with the API enabled "
                    f"on that port, and client id {cfg.client_id} free?",
                    f"Connexion impossible à {self._where} : {exc}. TWS ou IB Gateway est-il lancé avec l'API "
                    f"activée sur ce port, et l'identifiant client {cfg.client_id} libre ?",
                ) from None
            accounts = self.ib.managedAccounts()
            if cfg.account is not None and cfg.account not in accounts:
                self.ib.disconnect()
                raise IBAccountError(
                    "IB_ACCOUNT_MISMATCH",
                    f"The session at {self._where} manages {', '.join(accounts) or 'no account'}, not the configured "
                    f"account {cfg.account}.",
                    f"La session de {self._where} gère {', '.join(accounts) or 'aucun compte'}, pas le compte "
                    f"configuré {cfg.account}.",
                )
            self.account_id = cfg.account or (accounts[0] if accounts else None)
            await self.contracts.refresh()
            try:
                await asyncio.wait_for(self.ib.reqAccountSummaryAsync(), self.request_timeout_s)
            except TimeoutError:
                log.warning("account summary not received within %.0f s", self.request_timeout_s)
            if not self.ib.isConnected():
                raise IBConnectionError(
                    "IB_CONNECT_FAILED",
                    f"{self._where} closed the connection during the start-up synchronisation.",
                    f"{self._where} a fermé la connexion pendant la synchronisation de démarrage.",
                )
            self._link_down = False
            self._ready = True
            self._resync_orders()
            self._send_pending_cancels()
            log.info("connected to %s, account %s, client id %d", self._where, self.account_id, cfg.client_id)
        finally:
            self._connecting = False

    async def disconnect(self) -> None:
        self._stopping = True
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None and not task.done():
            task.cancel()
        for exec_id in list(self._pending):  # never lose a fill: book it with the estimate now
            self._commission_timeout(exec_id)
        was_up = self._ready
        self._ready = False
        if self.ib.isConnected():
            self.ib.disconnect()
        if was_up and self._announced:
            self._push(ConnectionUpdate(False, self._now(), f"{self._where} — arrêt demandé / stopped on request"))
        self._announced = False

    def _on_disconnected(self) -> None:
        if self._stopping or self._connecting:
            return
        was_up = self._ready
        self._ready = False
        if was_up:
            log.error("connection to %s lost; reconnecting", self._where)
            self._push(ConnectionUpdate(False, self._now(), f"{self._where} — connexion perdue / connection lost"))
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect_loop(), name="ib-reconnect")

    async def _reconnect_loop(self) -> None:
        delay = self.reconnect_initial_backoff_s
        attempt = 0
        while not self._stopping:
            await asyncio.sleep(delay)
            if self._stopping:
                return
            attempt += 1
            self.reconnect_attempts.append(time.monotonic())
            try:
                await self._open()
            except IBAccountError as exc:
                log.critical("reconnect refused: %s", exc)
                self._push(ConnectionUpdate(False, self._now(), f"{exc.message_en} / {exc.message_fr}"))
                return
            except (IBError, OSError, ConnectionError) as exc:
                delay = min(delay * 2, self.config.reconnect_max_backoff_s)
                log.warning("reconnect attempt %d to %s failed (%s); next in %.2f s", attempt, self._where, exc, delay)
                continue
            self.reconnects += 1
            self._announced = True
            self._push(ConnectionUpdate(
                True, self._now(), f"{self._where}, {self.account_id} — {attempt} tentative(s) / attempt(s)"
            ))
            return

    # ------------------------------------------------------------------ resync after (re)connect

    def _lookup(self, order: IbOrder) -> _Tracked | None:
        if order.clientId == self.config.client_id and order.orderId in self._by_ib_id:
            return self._by_ib_id[order.orderId]
        return self._by_order_id.get(order.orderRef) if order.orderRef else None

    def _lookup_exec(self, ex: Execution) -> _Tracked | None:
        if ex.clientId == self.config.client_id and ex.orderId in self._by_ib_id:
            return self._by_ib_id[ex.orderId]
        return self._by_order_id.get(ex.orderRef) if ex.orderRef else None

    def _track(self, tracked: _Tracked) -> _Tracked:
        self._by_order_id[tracked.order_id] = tracked
        if tracked.ib_id:
            self._by_ib_id[tracked.ib_id] = tracked
        return tracked

    def _adopt(self, trade: Trade) -> _Tracked | None:
        """Track an order MIA placed in an earlier run (recognised by its orderRef)."""
        symbol = self.contracts.symbol_of(trade.contract)
        if symbol is None or not trade.order.orderRef:
            return None
        tracked = _Tracked(
            order_id=trade.order.orderRef,
            ib_id=trade.order.orderId if trade.order.clientId == self.config.client_id else 0,
            symbol=symbol,
            side=Side(trade.order.action),
            quantity=int(trade.order.totalQuantity),
            filled=int(trade.orderStatus.filled),
            acked=True,
            broker_ref=self._ref(trade.order),
        )
        log.info("adopted working order %s (IB %s) from an earlier session", tracked.order_id, trade.order.orderId)
        return self._track(tracked)

    def _resync_orders(self) -> None:
        """After a (re)connect: report what happened at IB to the orders this broker tracks."""
        cid = self.config.client_id
        trades = self.ib.trades()
        by_ref = {t.order.orderRef: t for t in trades if t.order.orderRef}
        for t in self.ib.openTrades():
            if t.order.orderRef and t.order.orderRef not in self._by_order_id and t.order.clientId == cid:
                self._adopt(t)
        fills = self.ib.fills()
        for tracked in list(self._by_order_id.values()):
            if tracked.final:
                continue
            for f in fills:
                if self._lookup_exec(f.execution) is tracked and f.execution.execId not in tracked.exec_ids:
                    report = f.commissionReport if f.commissionReport.execId else None
                    self._queue_fill(tracked, f.execution, report)
            if tracked.final:
                continue
            trade = self.ib.wrapper.trades.get((cid, tracked.ib_id)) if tracked.ib_id else None
            trade = trade or by_ref.get(tracked.order_id)
            status = trade.orderStatus.status if trade is not None else None
            if status in _WORKING_STATES or status in (IbStatus.PendingCancel, IbStatus.PendingSubmit):
                assert trade is not None  # a status comes from a trade
                if not tracked.acked and status in _WORKING_STATES:
                    tracked.acked = True
                    self._push(OrderUpdate(tracked.order_id, OrderStatus.WORKING, self._now(),
                                           broker_ref=self._ref(trade.order)))
                continue
            if status == IbStatus.Filled:
                log.error("order %s is Filled at IB but only %d/%d were reported; the reconciliation will show it",
                          tracked.order_id, tracked.filled, tracked.quantity)
                continue
            tracked.final = True
            if status is None:
                log.warning("order %s is not open at IB after the reconnect; reported cancelled", tracked.order_id)
            self._push(OrderUpdate(tracked.order_id, OrderStatus.CANCELLED, self._now(), broker_ref=tracked.broker_ref))

    def _send_pending_cancels(self) -> None:
        pending, self._pending_cancels = self._pending_cancels, []
        for order_id in pending:
            tracked = self._by_order_id.get(order_id)
            if tracked is not None and not tracked.final:
                log.info("sending the cancel of %s requested while disconnected", order_id)
                self._send_cancel(tracked)

    # ------------------------------------------------------------------ orders

    @staticmethod
    def _ref(order: IbOrder) -> str:
        return f"{order.orderId}/{order.permId}" if order.permId else str(order.orderId)

    def _reject(self, orders: Sequence[Order], rejection: Rejection) -> None:
        now = self._now()
        for o in orders:
            tracked = self._by_order_id.get(o.order_id)
            if tracked is not None:
                tracked.final = True
            else:
                self._refused_ids.add(o.order_id)
            self._push(OrderUpdate(o.order_id, OrderStatus.REJECTED, now, rejection=rejection))

    @staticmethod
    def _problem(order: Order) -> Rejection | None:
        try:
            inst = get_instrument(order.symbol)
        except UnknownSymbolError as exc:
            return exc.to_rejection()
        q = order.quantity
        if isinstance(q, bool) or not isinstance(q, int) or q <= 0:
            return reject(ReasonCode.BROKER_INVALID_QUANTITY, quantity=repr(q))
        needed = {OrderType.MARKET: None, OrderType.LIMIT: "limit_price", OrderType.STOP: "stop_price"}
        if order.order_type not in needed:
            return reject(ReasonCode.BROKER_INVALID_ORDER_TYPE, order_type=order.order_type)
        attr = needed[order.order_type]
        if attr is not None:
            px = getattr(order, attr)
            label = PriceLabel.LIMIT if attr == "limit_price" else PriceLabel.STOP
            if isinstance(px, bool) or not isinstance(px, (int, float)) or not math.isfinite(px) or px <= 0:
                return reject(ReasonCode.BROKER_INVALID_PRICE, "not_positive", order_type=order.order_type,
                              label=label, price=repr(px))
            if not is_on_tick(px, inst.tick_size):
                return reject(ReasonCode.BROKER_INVALID_PRICE, "off_tick", order_type=order.order_type, label=label,
                              symbol=inst.symbol, price=float(px), tick=inst.tick_size)
        return None

    def _ib_order(self, order: Order) -> IbOrder:
        common = dict(
            orderRef=order.order_id,
            account=self.account_id or "",
            outsideRth=True,
            tif="DAY" if order.order_type is OrderType.MARKET else "GTC",
        )
        action = order.side.value
        if order.order_type is OrderType.MARKET:
            return MarketOrder(action, order.quantity, **common)
        if order.order_type is OrderType.LIMIT:
            return LimitOrder(action, order.quantity, float(order.limit_price), **common)  # type: ignore[arg-type]
        return StopOrder(action, order.quantity, float(order.stop_price), **common)  # type: ignore[arg-type]

    async def submit(self, orders: list[Order]) -> None:
        """Send one order, or a bracket [parent, stop loss, take profit] (or any batch of groups).
        Acknowledgements, fills and rejections arrive through the event sink."""
        orders = check_submission("IBBroker", orders, self._sink, lambda oid: oid in self._by_order_id or oid in self._refused_ids)
        if not self.connected:
            self._reject(orders, reject(ReasonCode.BROKER_DISCONNECTED, broker=self.name))
            return
        by_id = {o.order_id: o for o in orders}
        groups: dict[str, list[Order]] = {}
        for o in orders:
            root = o.parent_id if o.parent_id in by_id else o.order_id
            groups.setdefault(root, []).append(o)
        for root, members in groups.items():
            parent = by_id[root]
            await self._submit_group([parent, *(m for m in members if m is not parent)])

    async def _submit_group(self, members: list[Order]) -> None:
        for o in members:
            problem = self._problem(o)
            if problem is not None:
                self._reject(members, problem)
                return
        parent = members[0]
        if any(o.symbol != parent.symbol for o in members):
            self._reject(members, reject(ReasonCode.BROKER_INVALID_BRACKET, "one_symbol"))
            return
        try:
            contract = await self.contracts.qualify(parent.symbol)
        except IBError as exc:
            self._reject(members, exc.rejection())
            return
        if not self.connected:  # lost while qualifying
            self._reject(members, reject(ReasonCode.BROKER_DISCONNECTED, broker=self.name))
            return
        ib_orders: list[IbOrder] = []
        ib_ids: dict[str, int] = {}
        for o in members:
            ib_order = self._ib_order(o)
            ib_order.orderId = self.ib.client.getReqId()
            ib_ids[o.order_id] = ib_order.orderId
            if o.parent_id is not None:
                parent_ib = ib_ids.get(o.parent_id)
                if parent_ib is None:
                    working = self._by_order_id.get(o.parent_id)
                    parent_ib = working.ib_id if working is not None and not working.final and working.ib_id else None
                if parent_ib is not None:
                    ib_order.parentId = parent_ib
            if o.oco_group:
                ib_order.ocaGroup = o.oco_group
                ib_order.ocaType = 1  # cancel the rest of the group, with block
            ib_order.transmit = False  # IB's rule: the last order of the group transmits them all
            ib_orders.append(ib_order)
        ib_orders[-1].transmit = True
        sent = 0
        try:
            for o, ib_order in zip(members, ib_orders):
                self._track(_Tracked(o.order_id, ib_order.orderId, get_instrument(o.symbol).symbol, o.side, o.quantity))
                self.ib.placeOrder(contract, ib_order)
                sent += 1
        except ConnectionError:
            # Orders already sent without transmit stay inert in TWS; none of the group can work.
            self._reject(members, reject(ReasonCode.BROKER_DISCONNECTED, "while_sending", broker=self.name))
            log.error("connection lost after sending %d of %d orders of group %s", sent, len(members), parent.order_id)

    async def cancel(self, order_id: str) -> None:
        """Cancel a working order. While disconnected the cancel is kept and sent after the reconnect
        (the order may still be working at IB, so it is never reported cancelled before IB says so)."""
        tracked = self._by_order_id.get(order_id)
        if tracked is not None and tracked.final:
            log.info("cancel %s: already final at IB", order_id)
            return
        if not self.connected:
            log.warning("cancel %s requested while disconnected; it will be sent after the reconnect", order_id)
            if order_id not in self._pending_cancels:
                self._pending_cancels.append(order_id)
            return
        if tracked is None:
            trade = next((t for t in self.ib.openTrades() if t.order.orderRef == order_id), None)
            tracked = self._adopt(trade) if trade is not None else None
            if tracked is None:
                # IB's open-order list (synced at connect, kept live since) does not hold it.
                log.warning("cancel %s: not working at IB; reported cancelled", order_id)
                self._push(OrderUpdate(order_id, OrderStatus.CANCELLED, self._now()))
                return
        self._send_cancel(tracked)

    def _send_cancel(self, tracked: _Tracked) -> None:
        trade = self.ib.wrapper.trades.get((self.config.client_id, tracked.ib_id)) if tracked.ib_id else None
        if trade is None:
            trade = next((t for t in self.ib.openTrades() if t.order.orderRef == tracked.order_id), None)
        if trade is not None and trade.order.orderId:
            self.ib.cancelOrder(trade.order)
        elif tracked.ib_id:
            self.ib.client.cancelOrder(tracked.ib_id, "")
        else:
            log.error("cannot cancel %s: no IB order id known", tracked.order_id)

    def on_price(self, symbol: str, price: float, ts: datetime) -> None:
        """IB matches orders itself; market prices are not needed here."""
        return None

    # ------------------------------------------------------------------ IB events

    def _on_status(self, trade: Trade) -> None:
        tracked = self._lookup(trade.order)
        if tracked is None or tracked.final:
            return
        status = trade.orderStatus.status
        tracked.broker_ref = self._ref(trade.order)
        if status in _WORKING_STATES:
            if not tracked.acked:
                tracked.acked = True
                self._push(OrderUpdate(tracked.order_id, OrderStatus.WORKING, self._now(), broker_ref=tracked.broker_ref))
            return
        if status not in _ENDED_STATES:
            return  # PendingSubmit, PendingCancel, Filled (fills report that), ValidationError (a warning)
        if trade.log and trade.log[-1].errorCode:
            return  # ended by an IB error message: _on_error reports it with IB's code and text
        tracked.final = True
        if status == IbStatus.Inactive:
            rejection = reject(ReasonCode.IB_INACTIVE)
            final = OrderStatus.REJECTED if tracked.filled == 0 else OrderStatus.CANCELLED
            self._push(OrderUpdate(tracked.order_id, final, self._now(), rejection=rejection, broker_ref=tracked.broker_ref))
            return
        self._push(OrderUpdate(tracked.order_id, OrderStatus.CANCELLED, self._now(), broker_ref=tracked.broker_ref))

    def _on_error(self, req_id: int, code: int, text: str, contract: Contract | None) -> None:
        tracked = self._by_ib_id.get(req_id) if req_id > 0 else None
        if tracked is None:
            self._on_session_message(code, text)
            return
        if tracked.final:
            log.info("IB message %d on finished order %s: %s", code, tracked.order_id, text)
            return
        trade = self.ib.wrapper.trades.get((self.config.client_id, req_id))
        if trade is not None and not trade.isDone():
            log.warning("IB warning %d on order %s (still working): %s", code, tracked.order_id, text)
            return
        tracked.final = True
        if code == CODE_CANCELLED:
            self._push(OrderUpdate(tracked.order_id, OrderStatus.CANCELLED, self._now(), broker_ref=tracked.broker_ref))
            return
        rejection = ib_rejection(code, text)
        final = OrderStatus.REJECTED if tracked.filled == 0 else OrderStatus.CANCELLED
        log.warning("order %s ended by IB error %d: %s", tracked.order_id, code, text)
        self._push(OrderUpdate(tracked.order_id, final, self._now(), rejection=rejection, broker_ref=tracked.broker_ref))

    def _on_session_message(self, code: int, text: str) -> None:
        if code in CODES_LINK_LOST and self._ready and not self._link_down:
            self._link_down = True
            self._push(ConnectionUpdate(False, self._now(), f"{self._where} — lien TWS-IB coupé / TWS lost IB ({code}): {text}"))
        elif code in CODES_LINK_RESTORED and self._link_down:
            self._link_down = False
            self._resync_orders()
            self._push(ConnectionUpdate(True, self._now(), f"{self._where} — lien TWS-IB rétabli / TWS-IB link restored ({code})"))
        elif 2100 <= code < 2200:
            log.info("IB notice %d: %s", code, text)
        else:
            log.warning("IB message %d: %s", code, text)

    def _on_exec(self, trade: Trade, fill: IbFill) -> None:
        execution = fill.execution
        tracked = self._lookup_exec(execution)
        if tracked is None:
            log.info("execution %s is not for a MIA order; ignored", execution.execId)
            return
        if execution.execId in tracked.exec_ids:
            return
        report = fill.commissionReport
        self._queue_fill(tracked, execution, report if report.execId else None)

    def _queue_fill(self, tracked: _Tracked, ex: Execution, report: CommissionReport | None) -> None:
        qty = int(round(ex.shares))
        if qty <= 0 or abs(ex.shares - qty) > 1e-9:
            log.error("execution %s of %s has a quantity of %r contracts; not booked", ex.execId, tracked.order_id, ex.shares)
            return
        tracked.exec_ids.add(ex.execId)
        tracked.filled += qty
        status = OrderStatus.FILLED if tracked.filled >= tracked.quantity else OrderStatus.WORKING
        if status is OrderStatus.FILLED:
            tracked.final = True
        side = Side.BUY if ex.side == "BOT" else Side.SELL if ex.side == "SLD" else tracked.side
        ts = ex.time if isinstance(ex.time, datetime) and ex.time.tzinfo is not None and ex.time.year > 1970 else self._now()
        slot = _Outgoing(None, False)
        self._outbox.append(slot)
        pending = _PendingFill(tracked, ex.execId, side, qty, float(ex.price), ts.astimezone(timezone.utc), status, slot)
        commission = _money(report.commission) if report is not None else None
        if commission is not None and commission >= 0:
            self._complete(pending, commission)
            self._flush()
            return
        self._pending[ex.execId] = pending
        pending.timer = asyncio.get_running_loop().call_later(self.commission_wait_s, self._commission_timeout, ex.execId)

    def _complete(self, p: _PendingFill, commission: Decimal) -> None:
        fill = Fill(
            fill_id=p.exec_id,
            order_id=p.tracked.order_id,
            symbol=p.tracked.symbol,
            side=p.side,
            quantity=p.quantity,
            price=p.price,
            commission=commission,
            ts=p.ts,
        )
        p.slot.event = OrderUpdate(p.tracked.order_id, p.status, p.ts, fill=fill, broker_ref=p.tracked.broker_ref)
        p.slot.ready = True

    def _on_commission(self, trade: Trade, fill: IbFill, report: CommissionReport) -> None:
        pending = self._pending.pop(report.execId, None)
        commission = _money(report.commission)
        if pending is None:
            estimate = self._estimated.pop(report.execId, None)
            if estimate is not None:
                log.warning("late commission report for %s: %s USD (booked estimate %s USD, ledger not rewritten)",
                            report.execId, commission, estimate)
            return
        if pending.timer is not None:
            pending.timer.cancel()
        if commission is None or commission < 0:
            commission = self.fallback_commission_per_contract * pending.quantity
            log.warning("commission report for %s has no usable amount (%r); booked estimate %s USD",
                        report.execId, report.commission, commission)
        self._complete(pending, commission)
        self._flush()

    def _commission_timeout(self, exec_id: str) -> None:
        pending = self._pending.pop(exec_id, None)
        if pending is None:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        estimate = self.fallback_commission_per_contract * pending.quantity
        self._estimated[exec_id] = estimate
        log.warning("no commission report for execution %s within %.1f s; booked estimate %s USD",
                    exec_id, self.commission_wait_s, estimate)
        self._complete(pending, estimate)
        self._flush()

    # ------------------------------------------------------------------ account views

    def open_order_ids(self) -> set[str]:
        """Engine order ids (orderRef) of the orders working at IB for this client, as synced at connect
        and kept live since, plus orders sent but not yet acknowledged."""
        self._require_connection()
        ids = {t.order.orderRef for t in self.ib.openTrades()
               if t.order.orderRef and t.order.clientId in (self.config.client_id, 0)}
        ids |= {t.order_id for t in self._by_order_id.values() if not t.final}
        return ids

    def _require_connection(self) -> None:
        if not self.ib.isConnected() or not self._ready:
            raise IBConnectionError(
                "BROKER_DISCONNECTED",
                "Interactive Brokers is not connected.",
                "Interactive Brokers n'est pas connecté.",
            )

    async def broker_positions(self) -> list[BrokerPosition]:
        """Positions of the configured account in ES / MNQ futures, fresh from TWS (reqPositions)."""
        self._require_connection()
        positions = await asyncio.wait_for(self.ib.reqPositionsAsync(), self.request_timeout_s)
        totals: dict[str, tuple[float, float]] = {}  # symbol -> (quantity, quantity x price)
        for p in positions:
            if p.account != self.account_id or not p.position:
                continue
            symbol = self.contracts.symbol_of(p.contract)
            if symbol is None:
                log.info("ignoring %s %s position %s: not an instrument MIA trades", p.contract.secType,
                         p.contract.localSymbol or p.contract.symbol, p.position)
                continue
            multiplier = float(p.contract.multiplier or get_instrument(symbol).multiplier)
            qty, notional = totals.get(symbol, (0.0, 0.0))
            totals[symbol] = (qty + p.position, notional + p.position * p.avgCost / multiplier)
        out = []
        for symbol, (qty, notional) in sorted(totals.items()):
            if qty:
                out.append(BrokerPosition(symbol, int(round(qty)), notional / qty))
        return out

    async def broker_account(self) -> BrokerAccount:
        """Net liquidation value and P&L of the configured account from the account summary."""
        self._require_connection()
        # loads the summary on first use; TWS keeps it up to date afterwards (a subscription)
        values = await asyncio.wait_for(self.ib.accountSummaryAsync(self.account_id or ""), self.request_timeout_s)

        def pick(tag: str) -> Decimal | None:
            for currency in ("USD", "BASE"):
                for v in values:
                    if v.tag == tag and v.currency == currency:
                        return _money(v.value)
            return None

        return BrokerAccount(
            account_id=self.account_id or "",
            net_liquidation=pick("NetLiquidation"),
            realized_pnl=pick("RealizedPnL"),
            unrealized_pnl=pick("UnrealizedPnL"),
        )


__all__ = [
    "ContractBook",
    "ContractNotFoundError",
    "IBAccountError",
    "IBBroker",
    "IBConnectionError",
    "IBError",
    "LIVE_PORTS",
    "PAPER_PORTS",
    "ib_rejection",
]
