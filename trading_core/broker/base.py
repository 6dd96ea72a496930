"""The broker interface shared by the paper broker and the Interactive Brokers broker.

The engine owns risk checks and the ledger; a broker only executes orders that already passed the
risk gate and reports what happened through the event sink, in order. Brokers never import the
engine.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Callable, Protocol, runtime_checkable

from trading_core.types import AccountSnapshot, Fill, Order, OrderStatus, Position, Rejection


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """The broker's news about one order: status change, fill, or rejection."""

    order_id: str
    status: OrderStatus
    ts: datetime
    fill: Fill | None = None  # set when this update is an execution
    rejection: Rejection | None = None  # set when the broker refused (IB code and text)
    broker_ref: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectionUpdate:
    connected: bool
    ts: datetime
    detail: str


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    symbol: str
    quantity: int
    avg_price: float


@dataclass(frozen=True, slots=True)
class BrokerAccount:
    account_id: str
    net_liquidation: Decimal | None
    realized_pnl: Decimal | None
    unrealized_pnl: Decimal | None


BrokerEvent = OrderUpdate | ConnectionUpdate
EventSink = Callable[[BrokerEvent], None]


@runtime_checkable
class Broker(Protocol):
    name: str

    def set_event_sink(self, sink: EventSink) -> None:
        """Where the broker sends OrderUpdate / ConnectionUpdate events (called from the event loop)."""

    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    @property
    def connected(self) -> bool: ...

    async def submit(self, orders: list[Order]) -> None:
        """Submit one order, or a bracket as [parent, stop_loss, take_profit] (children carry parent_id
        and a shared oco_group). Acknowledgements, fills and rejections arrive via the event sink."""

    async def cancel(self, order_id: str) -> None: ...

    def on_price(self, symbol: str, price: float, ts: datetime) -> None:
        """A new last price (paper broker fills against it; a live broker ignores it)."""

    async def broker_positions(self) -> list[BrokerPosition]:
        """Positions as the broker sees them, for reconciliation against the ledger."""

    async def broker_account(self) -> BrokerAccount: ...


__all__ = [
    "AccountSnapshot",
    "Broker",
    "BrokerAccount",
    "BrokerEvent",
    "BrokerPosition",
    "ConnectionUpdate",
    "EventSink",
    "Fill",
    "Order",
    "OrderUpdate",
    "Position",
]


def check_submission(broker: str, orders: list[Order], sink: object, known: Callable[[str], bool]) -> list[Order]:
    """The preconditions every broker's `submit` shares, raised as programming errors (never as
    trading refusals): an event sink to report to, a non-empty batch of live `Order`s, and no order
    id seen before (`known`) or twice in the batch. Returns the batch as a list."""
    if sink is None:
        raise RuntimeError(f"{broker}.submit: call set_event_sink() first, or every update would be lost")
    orders = list(orders)
    if not orders:
        raise ValueError(f"{broker}.submit: no orders given")
    seen: set[str] = set()
    for o in orders:
        if not isinstance(o, Order):
            raise ValueError(f"{broker}.submit: expected trading_core.types.Order, got {type(o).__name__}")
        if o.status.is_final:
            raise ValueError(f"{broker}.submit: order {o.order_id} is already {o.status.value}")
        if known(o.order_id) or o.order_id in seen:
            raise ValueError(f"{broker}.submit: order {o.order_id} was already submitted")
        seen.add(o.order_id)
    return orders
