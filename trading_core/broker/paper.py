"""The paper broker: simulated execution against the last prices the engine feeds it.

Fill model (all prices in whole ticks):
- MARKET fills at the NEXT price received after submission (never at the price the decision was
  based on, so replays have no look-ahead): a buy at price + `slippage_ticks`, a sell at price - slippage.
- LIMIT: a buy fills on the first price at or below its limit, a sell at or above; the fill is at that
  price, i.e. at the limit when the market reaches it and better than the limit when the market gapped
  past it. No slippage (a limit never fills worse than its price).
- STOP: a buy stop triggers on the first price at or above the stop, a sell stop at or below, and fills
  at once like a market order on that price (with slippage): a gap through the stop fills at the gapped
  price, as at the exchange.
- Brackets: children (stop loss, take profit) sharing an `oco_group` and carrying `parent_id` stay held
  until the parent fills, then work from the next price on. When any order of an OCO group fills, the
  rest of the group is cancelled. Cancelling a parent that has not filled cancels its held children.
- Every fill pays `commission_per_contract` x quantity. Paper orders always fill completely.

Events (`OrderUpdate`, `ConnectionUpdate`) go to the sink synchronously and in order: WORKING when an
order is accepted (children included; they are held at the broker), FILLED with the `Fill`, CANCELLED.
A refusal (not connected, unknown symbol, bad quantity or price, inconsistent bracket) is a REJECTED
update carrying a `Rejection`: a venue reason code and its parameters.

`on_price` is on the replay hot path: when no order works on the symbol, or the price is inside the
band where nothing can trigger, it returns after a dict lookup and two float comparisons.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from decimal import Decimal

from trading_core.broker.base import (
    BrokerAccount,
    BrokerEvent,
    BrokerPosition,
    ConnectionUpdate,
    EventSink,
    OrderUpdate,
    check_submission,
)
from trading_core.clock import Clock
from trading_core.portfolio import InstrumentSpec, Portfolio, PortfolioError
from trading_core.risk.reasons import PriceLabel, ReasonCode, reject
from trading_core.types import Fill, Order, OrderStatus, OrderType, Rejection, Side

log = logging.getLogger("mia.broker.paper")

_INF = math.inf


class _Working:
    """The broker's own copy of a live order (the engine's `Order` objects are never mutated here)."""

    __slots__ = (
        "order_id", "symbol", "side", "sign", "qty", "kind", "limit_px", "stop_px", "limit_ticks",
        "stop_ticks", "parent_id", "oco_group", "broker_ref", "tick_size",
    )

    def __init__(self, order: Order, symbol: str, tick_size: float, broker_ref: str) -> None:
        self.order_id = order.order_id
        self.symbol = symbol  # canonical spelling, as prices arrive
        self.side = order.side
        self.sign = order.side.sign
        self.qty = order.quantity
        self.kind = order.order_type
        self.limit_px = order.limit_price
        self.stop_px = order.stop_price
        self.limit_ticks = None if order.limit_price is None else round(order.limit_price / tick_size)
        self.stop_ticks = None if order.stop_price is None else round(order.stop_price / tick_size)
        self.parent_id = order.parent_id
        self.oco_group = order.oco_group
        self.broker_ref = broker_ref
        self.tick_size = tick_size


class _SymbolBook:
    """Active orders of one symbol and the price band inside which none of them can trigger."""

    __slots__ = ("orders", "low", "high", "market", "tick_size")

    def __init__(self, tick_size: float) -> None:
        self.orders: dict[str, _Working] = {}
        self.low = -_INF  # something triggers when price <= low
        self.high = _INF  # ... or when price >= high
        self.market = False  # a market order waits for the next price
        self.tick_size = tick_size

    def refresh(self) -> None:
        low, high, market = -_INF, _INF, False
        for w in self.orders.values():
            if w.kind is OrderType.MARKET:
                market = True
            elif w.kind is OrderType.LIMIT:
                assert w.limit_px is not None  # a working limit order has its price (validated on submit)
                if w.sign > 0:
                    low = max(low, w.limit_px)
                else:
                    high = min(high, w.limit_px)
            else:  # STOP
                assert w.stop_px is not None
                if w.sign > 0:
                    high = min(high, w.stop_px)
                else:
                    low = max(low, w.stop_px)
        self.low, self.high, self.market = low, high, market


class PaperBroker:
    """Simulated broker implementing `trading_core.broker.base.Broker`."""

    name = "paper"

    def __init__(
        self,
        instrument_lookup: Callable[[str], InstrumentSpec],
        slippage_ticks: int = 1,
        commission_per_contract: Decimal = Decimal("2.25"),
        clock: Clock | None = None,
        starting_balance: Decimal = Decimal("100000"),
        account_id: str = "PAPER",
    ) -> None:
        if isinstance(slippage_ticks, bool) or not isinstance(slippage_ticks, int) or slippage_ticks < 0:
            raise ValueError(f"slippage_ticks = {slippage_ticks!r} is not valid; allowed: an int >= 0")
        if (
            isinstance(commission_per_contract, bool)
            or not isinstance(commission_per_contract, (Decimal, int))
            or not Decimal(commission_per_contract).is_finite()
            or commission_per_contract < 0
        ):
            raise ValueError(
                f"commission_per_contract = {commission_per_contract!r} is not valid; allowed: a Decimal >= 0"
            )
        self._lookup = instrument_lookup
        self.slippage_ticks = slippage_ticks
        self.commission_per_contract = Decimal(commission_per_contract)
        self._clock = clock
        self.account_id = account_id
        self._sink: EventSink | None = None
        self._connected = False
        self._books: dict[str, _SymbolBook] = {}  # only symbols with active orders
        self._working: dict[str, _Working] = {}  # active and held orders by id
        self._held: dict[str, list[_Working]] = {}  # parent order id -> children waiting for its fill
        self._final: dict[str, OrderStatus] = {}  # orders this broker finished with
        self._specs: dict[str, tuple[str, float]] = {}
        self._last: dict[str, float] = {}
        self._last_ts: datetime | None = None
        self._ref_seq = 0
        self._portfolio = Portfolio(instrument_lookup, Decimal(starting_balance), account_id=account_id)

    # ------------------------------------------------------------------ plumbing

    def set_event_sink(self, sink: EventSink) -> None:
        self._sink = sink

    def _now(self) -> datetime:
        if self._clock is not None:
            return self._clock.now()
        return self._last_ts or datetime.now(timezone.utc)

    def _emit(self, events: list[BrokerEvent]) -> None:
        """Deliver in order. If the sink raises, the remaining events are still delivered (the broker's
        state already moved on) and the first error is re-raised afterwards."""
        sink = self._sink
        if sink is None:
            if events:
                log.warning("paper broker has no event sink; %d event(s) not delivered", len(events))
            return
        error: BaseException | None = None
        for ev in events:
            try:
                sink(ev)
            except Exception as exc:  # keep delivering: later events describe state that already changed
                log.exception("event sink failed on %r", ev)
                if error is None:
                    error = exc
        if error is not None:
            raise error

    def _spec(self, symbol: str) -> tuple[str, float] | None:
        """(canonical symbol, tick size), or None for a symbol the instrument table does not know."""
        spec = self._specs.get(symbol)
        if spec is None:
            try:
                inst = self._lookup(symbol)
            except Exception:  # the lookup's own unknown-symbol error
                return None
            spec = self._specs[symbol] = (inst.symbol, float(inst.tick_size))
        return spec

    # ------------------------------------------------------------------ connection

    async def connect(self) -> None:
        if not self._connected:
            self._connected = True
            self._emit([ConnectionUpdate(True, self._now(), "paper broker ready")])

    async def disconnect(self) -> None:
        if self._connected:
            self._connected = False
            self._emit([ConnectionUpdate(False, self._now(), "paper broker stopped")])

    @property
    def connected(self) -> bool:
        return self._connected

    # ------------------------------------------------------------------ orders

    def _validate(self, order: Order) -> Rejection | None:
        spec = self._spec(order.symbol) if isinstance(order.symbol, str) else None
        if spec is None:
            return reject(ReasonCode.BROKER_UNKNOWN_SYMBOL, symbol=str(order.symbol))
        tick = spec[1]
        q = order.quantity
        if isinstance(q, bool) or not isinstance(q, int) or q <= 0:
            return reject(ReasonCode.BROKER_INVALID_QUANTITY, quantity=repr(q))
        needed = {OrderType.MARKET: (), OrderType.LIMIT: ("limit_price",), OrderType.STOP: ("stop_price",)}
        if order.order_type not in needed:
            return reject(ReasonCode.BROKER_INVALID_ORDER_TYPE, order_type=order.order_type)
        for attr in needed[order.order_type]:
            px = getattr(order, attr)
            label = PriceLabel.LIMIT if attr == "limit_price" else PriceLabel.STOP
            if isinstance(px, bool) or not isinstance(px, (int, float)) or not math.isfinite(px) or px <= 0:
                return reject(ReasonCode.BROKER_INVALID_PRICE, "not_positive", order_type=order.order_type,
                              label=label, price=repr(px))
            if abs(px / tick - round(px / tick)) > 1e-6:
                return reject(ReasonCode.BROKER_INVALID_PRICE, "off_tick", order_type=order.order_type, label=label,
                              symbol=order.symbol, price=float(px), tick=tick)
        return None

    @staticmethod
    def _bracket_problem(parent: Order, children: list[Order]) -> Rejection | None:
        bad = reject(ReasonCode.BROKER_INVALID_BRACKET)
        for c in children:
            if c.side is not parent.side.opposite or c.quantity != parent.quantity or c.symbol != parent.symbol:
                return bad
        stops = [c.stop_price for c in children if c.order_type is OrderType.STOP and c.stop_price is not None]
        targets = [c.limit_price for c in children if c.order_type is OrderType.LIMIT and c.limit_price is not None]
        entry = parent.limit_price if parent.order_type is OrderType.LIMIT else None
        long = parent.side is Side.BUY
        for s in stops:
            for t in targets:
                if (long and not s < t) or (not long and not s > t):
                    return bad
            if entry is not None and ((long and not s < entry) or (not long and not s > entry)):
                return bad
        for t in targets:
            if entry is not None and ((long and not t > entry) or (not long and not t < entry)):
                return bad
        return None

    async def submit(self, orders: list[Order]) -> None:
        """Accept orders: one order, a bracket [parent, stop loss, take profit], or any batch (e.g. the
        working orders resubmitted after a restart). A child whose parent is in the batch or still working
        here is held until the parent fills; a child whose parent is unknown here (filled in an earlier
        run) works at once."""
        orders = check_submission("PaperBroker", orders, self._sink, lambda oid: oid in self._working or oid in self._final)

        now = self._now()
        events: list[BrokerEvent] = []
        if not self._connected:
            rej = reject(ReasonCode.BROKER_DISCONNECTED, broker=self.name)
            for o in orders:
                self._final[o.order_id] = OrderStatus.REJECTED
                events.append(OrderUpdate(o.order_id, OrderStatus.REJECTED, now, rejection=rej))
            self._emit(events)
            return

        # Group each parent with the children of the same batch: a bracket is accepted or refused whole.
        by_id = {o.order_id: o for o in orders}
        groups: dict[str, list[Order]] = {}
        for o in orders:
            root = o.parent_id if o.parent_id in by_id else o.order_id
            groups.setdefault(root, []).append(o)

        accepted: list[_Working] = []
        for root, members in groups.items():
            problem: Rejection | None = None
            for o in members:
                problem = self._validate(o)
                if problem is not None:
                    break
            parent = by_id[root]
            children = [o for o in members if o is not parent]
            members = [parent, *children]  # the parent is acknowledged first
            if problem is None and children:
                problem = self._bracket_problem(parent, children)
            if problem is None and parent.parent_id is not None and self._final.get(parent.parent_id) in (
                OrderStatus.CANCELLED,
                OrderStatus.REJECTED,
            ):
                problem = reject(ReasonCode.BROKER_PARENT_INACTIVE)
            if problem is not None:
                for o in members:
                    self._final[o.order_id] = OrderStatus.REJECTED
                    events.append(OrderUpdate(o.order_id, OrderStatus.REJECTED, now, rejection=problem))
                continue
            for o in members:
                self._ref_seq += 1
                symbol, tick = self._specs[o.symbol]
                w = _Working(o, symbol, tick, f"P{self._ref_seq}")
                accepted.append(w)
                events.append(OrderUpdate(o.order_id, OrderStatus.WORKING, now, broker_ref=w.broker_ref))

        for w in accepted:
            self._working[w.order_id] = w
        for w in accepted:
            if w.parent_id is not None and w.parent_id in self._working:
                self._held.setdefault(w.parent_id, []).append(w)
            else:
                self._activate(w)
        self._emit(events)

    def _activate(self, w: _Working) -> None:
        book = self._books.get(w.symbol)
        if book is None:
            book = self._books[w.symbol] = _SymbolBook(w.tick_size)
        book.orders[w.order_id] = w
        book.refresh()

    def _remove(self, w: _Working, status: OrderStatus) -> None:
        """Take an order off the broker (active or held) and remember how it ended."""
        self._working.pop(w.order_id, None)
        self._final[w.order_id] = status
        book = self._books.get(w.symbol)
        if book is not None and book.orders.pop(w.order_id, None) is not None:
            if book.orders:
                book.refresh()
            else:
                del self._books[w.symbol]
        if w.parent_id is not None:
            siblings = self._held.get(w.parent_id)
            if siblings and w in siblings:
                siblings.remove(w)
                if not siblings:
                    del self._held[w.parent_id]

    def _cancel_into(self, w: _Working, now: datetime, events: list[BrokerEvent]) -> None:
        self._remove(w, OrderStatus.CANCELLED)
        events.append(OrderUpdate(w.order_id, OrderStatus.CANCELLED, now, broker_ref=w.broker_ref))
        for child in self._held.pop(w.order_id, []):
            self._cancel_into(child, now, events)

    async def cancel(self, order_id: str) -> None:
        """Cancel a working order (and the held children of a parent that has not filled).

        Cancelling an order that already ended here is a no-op (a cancel racing a fill is normal). An id
        this broker never saw is reported CANCELLED, since it is certainly not working here; the
        engine then stops tracking it.
        """
        now = self._now()
        w = self._working.get(order_id)
        if w is not None:
            events: list[BrokerEvent] = []
            self._cancel_into(w, now, events)
            self._emit(events)
            return
        if order_id in self._final:
            log.info("cancel %s: already %s", order_id, self._final[order_id].value)
            return
        log.warning("cancel %s: unknown to the paper broker; reported as cancelled", order_id)
        self._final[order_id] = OrderStatus.CANCELLED
        self._emit([OrderUpdate(order_id, OrderStatus.CANCELLED, now)])

    # ------------------------------------------------------------------ prices and fills

    def on_price(self, symbol: str, price: float, ts: datetime) -> None:
        self._last[symbol] = price
        self._last_ts = ts
        book = self._books.get(symbol)
        if book is None or not (book.market or price <= book.low or price >= book.high):
            return
        if self._connected:
            self._match(book, symbol, price, ts)

    def _match(self, book: _SymbolBook, symbol: str, price: float, ts: datetime) -> None:
        tick = book.tick_size
        if not (isinstance(price, (int, float)) and math.isfinite(price) and price > 0):
            raise ValueError(f"paper broker: price for {symbol} must be a finite number > 0, got {price!r}")
        t = price / tick
        pt = round(t)
        if abs(t - pt) > 1e-6:
            raise ValueError(f"paper broker: price {price!r} of {symbol} is not a multiple of the tick {tick}")
        slip = self.slippage_ticks
        events: list[BrokerEvent] = []
        for w in list(book.orders.values()):
            if w.order_id not in self._working:
                continue  # cancelled by an OCO sibling's fill on this same price
            kind = w.kind
            if kind is OrderType.MARKET:
                fill_ticks = pt + w.sign * slip
            elif kind is OrderType.LIMIT:
                assert w.limit_ticks is not None
                if (pt <= w.limit_ticks) if w.sign > 0 else (pt >= w.limit_ticks):
                    fill_ticks = pt  # at the limit, or better after a gap
                else:
                    continue
            else:  # STOP
                assert w.stop_ticks is not None
                if (pt >= w.stop_ticks) if w.sign > 0 else (pt <= w.stop_ticks):
                    fill_ticks = pt + w.sign * slip
                else:
                    continue
            self._fill(w, fill_ticks, ts, events)
        self._emit(events)

    def _fill(self, w: _Working, fill_ticks: int, ts: datetime, events: list[BrokerEvent]) -> None:
        fill = Fill(
            fill_id=f"{w.order_id}-F1",
            order_id=w.order_id,
            symbol=w.symbol,
            side=w.side,
            quantity=w.qty,
            price=fill_ticks * w.tick_size,
            commission=self.commission_per_contract * w.qty,
            ts=ts,
        )
        self._remove(w, OrderStatus.FILLED)
        try:
            self._portfolio.apply_fill(fill)
        except PortfolioError:  # the broker's own account view must never block a fill report
            log.exception("paper account could not book %s", fill.fill_id)
        events.append(OrderUpdate(w.order_id, OrderStatus.FILLED, ts, fill=fill, broker_ref=w.broker_ref))
        if w.oco_group is not None:
            group = [o for o in self._working.values() if o.oco_group == w.oco_group and o.parent_id != w.order_id]
            for other in group:
                self._cancel_into(other, ts, events)
        for child in self._held.pop(w.order_id, []):
            self._activate(child)  # works from the next price on (this loop iterates a snapshot)

    # ------------------------------------------------------------------ account views

    def restore_fills(self, fills: Iterable[Fill]) -> None:
        """Rebuild the paper account from recorded fills (the ledger's, after a restart), so that
        `broker_positions` agrees with the ledger instead of starting flat. Call before trading."""
        fresh = Portfolio(self._lookup, self._portfolio.starting_balance, account_id=self.account_id)
        for f in fills:
            fresh.apply_fill(f)
        self._portfolio = fresh

    def working_order_ids(self) -> list[str]:
        """Ids of orders still working here (held bracket children included), oldest first."""
        return list(self._working)

    def last_price(self, symbol: str) -> float | None:
        return self._last.get(symbol)

    def _mark_account(self) -> None:
        for symbol, px in self._last.items():
            try:
                self._portfolio.mark(symbol, px)
            except PortfolioError:
                log.warning("paper account: cannot mark %s at %r", symbol, px)

    async def broker_positions(self) -> list[BrokerPosition]:
        return [BrokerPosition(p.symbol, p.quantity, p.avg_price) for p in self._portfolio.positions()]

    async def broker_account(self) -> BrokerAccount:
        """Net liquidation value and P&L as the paper account sees them; realised P&L is net of
        commissions, as a live broker reports it."""
        self._mark_account()
        acct = self._portfolio.account(self._now())
        return BrokerAccount(
            account_id=self.account_id,
            net_liquidation=acct.equity,
            realized_pnl=acct.realized_pnl - acct.commissions,
            unrealized_pnl=acct.unrealized_pnl,
        )
