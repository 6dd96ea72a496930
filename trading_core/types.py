"""Domain types shared by every part of the trading core and by its front ends.

Prices are floats that are always exact multiples of the instrument tick (0.25 is exactly
representable in binary floating point, so tick multiples never drift). Money is `Decimal`
in USD. Quantities are signed ints for positions and positive ints for orders.

Everything the engine hands out is immutable data: an `Order` is a snapshot (a later status is a new
`Order`), an event carries a typed payload, a refusal carries a code and its parameters. No sentence
is written here: the fronts render these values (`assistant/present`).
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:  # the autopilot's records import this module; only type checkers import them here
    from trading_core.autopilot.types import AutopilotSignal, LevelChange, ModeChange
    from trading_core.risk.reasons import ReasonCode


class Side(str, enum.Enum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> "Side":
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(str, enum.Enum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    BRACKET = "BRACKET"  # entry (market or limit) + stop loss + take profit, children OCO


class OrderStatus(str, enum.Enum):
    PENDING = "PENDING"  # recorded, not yet acknowledged by the broker
    WORKING = "WORKING"  # resting at the broker
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED)


class TradingState(str, enum.Enum):
    """The trading states, named after nautilus_trader's `TradingState` (see docs/architecture.md).

    - ACTIVE: every order that passes the risk checks is accepted.
    - REDUCING: only orders that shrink a position without reversing it (nautilus: the same).
    - HALTED: no new exposure. Nautilus denies every order but cancels; MIA also lets an order that
      reduces a position through, so a halted trader (or the daily-loss flatten) can still get flat,
      and halting cancels the working entry orders that could add exposure.
    """

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"  # only orders that shrink exposure
    HALTED = "HALTED"  # nothing new; cancels and flattening still allowed


class Severity(str, enum.Enum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


class EventKind(str, enum.Enum):
    """What happened. The payload type of each kind is in `EVENT_PAYLOADS`."""

    ORDER_ACCEPTED = "ORDER_ACCEPTED"
    ORDER_DENIED = "ORDER_DENIED"  # refused locally (risk gate, engine) before it reached the broker
    ORDER_REJECTED = "ORDER_REJECTED"  # refused by the broker / venue after submission
    ORDER_CANCELLED = "ORDER_CANCELLED"
    FILL = "FILL"
    RISK_BREACH = "RISK_BREACH"
    STATE_CHANGE = "STATE_CHANGE"
    KILL_SWITCH = "KILL_SWITCH"
    BROKER_DISCONNECTED = "BROKER_DISCONNECTED"
    BROKER_RECONNECTED = "BROKER_RECONNECTED"
    RECONCILIATION_MISMATCH = "RECONCILIATION_MISMATCH"
    MARKET_DATA_STALE = "MARKET_DATA_STALE"
    RISK_SETTING_CHANGED = "RISK_SETTING_CHANGED"
    SYSTEM = "SYSTEM"
    # the autopilot (trading_core/autopilot): the payload is an AutopilotSignal / ModeChange / LevelChange
    AUTOPILOT_PROPOSAL = "AUTOPILOT_PROPOSAL"  # a signal waits for a confirmation
    AUTOPILOT_EXECUTED = "AUTOPILOT_EXECUTED"  # a signal's bracket order was sent
    AUTOPILOT_REFUSED = "AUTOPILOT_REFUSED"  # a signal was refused (reason code in the signal)
    AUTOPILOT_EXPIRED = "AUTOPILOT_EXPIRED"  # a proposal was not confirmed in time (or cancelled)
    AUTOPILOT_MODE = "AUTOPILOT_MODE"  # off / propose / auto
    CATASTROPHE_LEVEL = "CATASTROPHE_LEVEL"  # INFO / WARNING / CRITICAL / CATASTROPHE


@dataclass(frozen=True, slots=True)
class Bar:
    symbol: str
    ts: datetime  # bar START, timezone-aware UTC
    open: float
    high: float
    low: float
    close: float
    volume: int
    timeframe: str = "1m"


@dataclass(frozen=True, slots=True)
class Quote:
    symbol: str
    ts: datetime
    last: float


# A refusal's parameter: a figure or a word the sentence needs (Decimal for money).
ReasonParam = Union[str, int, float, Decimal, None]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refusal: a stable code (`trading_core.risk.reasons.ReasonCode`), a variant of its sentence,
    and the parameters that sentence needs, as data. Build it with `risk.reasons.reject()`; render it
    with `assistant.present.reasons`. `params` is never mutated."""

    code: ReasonCode
    variant: str = ""
    params: Mapping[str, ReasonParam] = field(default_factory=dict)

    @property
    def is_venue(self) -> bool:
        """True for a rejection by the broker or the exchange; False for a local denial."""
        return self.code.is_venue


@dataclass(frozen=True, slots=True)
class OrderRequest:
    symbol: str
    side: Side
    quantity: int | None = None  # either quantity or risk_percent
    risk_percent: Decimal | None = None
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None  # LIMIT, or limit entry of a BRACKET
    stop_price: float | None = None  # trigger of a STOP order
    stop_loss: float | None = None  # BRACKET child
    take_profit: float | None = None  # BRACKET child
    client_order_id: str | None = None
    source: str = "api"  # api, cli, voice, telegram, strategy


@dataclass(frozen=True, slots=True)
class Order:
    """An order as it was at one moment: a snapshot. The engine records a new `Order` at each change
    of status or fill, so whoever holds one (an event subscriber, a result) never sees it change."""

    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType  # MARKET / LIMIT / STOP (a BRACKET becomes a parent + 2 children)
    status: OrderStatus
    created_ts: datetime
    limit_price: float | None = None
    stop_price: float | None = None
    parent_id: str | None = None
    oco_group: str | None = None
    filled_quantity: int = 0
    avg_fill_price: float | None = None
    reason: Rejection | None = None
    source: str = "api"
    broker_ref: str | None = None  # broker's own id (IB orderId/permId)


@dataclass(frozen=True, slots=True)
class Fill:
    fill_id: str
    order_id: str
    symbol: str
    side: Side
    quantity: int
    price: float
    commission: Decimal
    ts: datetime


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    quantity: int  # signed: > 0 long, < 0 short
    avg_price: float
    market_price: float | None
    unrealized_pnl: Decimal
    realized_pnl: Decimal


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    ts: datetime
    starting_balance: Decimal
    cash: Decimal  # starting balance + realized P&L - commissions
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    commissions: Decimal
    equity: Decimal
    account_id: str = "PAPER"


@dataclass(frozen=True, slots=True)
class PnLSummary:
    day: str  # trading day (ISO date, CME session date)
    realized: Decimal
    unrealized: Decimal
    commissions: Decimal
    total: Decimal  # realized + unrealized - commissions
    trades: int


@dataclass(frozen=True, slots=True)
class OrderPreview:
    """What an order would be, without side effects: used for read-back before confirmation."""

    request: OrderRequest
    quantity: int  # resolved quantity (from risk % when given)
    reference_price: float | None
    estimated_risk: Decimal | None  # USD lost if the stop is hit (ATR-based default stop)
    stop_distance_points: float | None
    rejection: Rejection | None  # the risk gate's verdict now (may change at execution)

    @property
    def acceptable(self) -> bool:
        return self.rejection is None


@dataclass(frozen=True, slots=True)
class OrderResult:
    accepted: bool
    order: Order | None
    rejection: Rejection | None = None
    children: tuple[Order, ...] = ()  # bracket stop-loss / take-profit
    fills: tuple[Fill, ...] = ()  # fills seen while the call waited (wait_fill)
    duplicate: bool = False  # same client_order_id seen before: the existing order is returned


@dataclass(frozen=True, slots=True)
class ClosingOrder:
    """A closing market order a close would send, with the client id it will carry (pinned at the
    read-back, so a second confirmation of the same read-back can never send it twice)."""

    symbol: str
    side: Side
    quantity: int
    client_order_id: str


@dataclass(frozen=True, slots=True)
class ClosePreview:
    """Exactly what `Engine.close_positions` would do now, without doing it (the read-back)."""

    symbol: str | None  # None: every symbol
    positions: tuple[Position, ...]  # the positions it closes, as they are now
    cancels: tuple[Order, ...]  # working orders it cancels
    closing: tuple[ClosingOrder, ...]  # closing orders it sends
    in_progress: tuple[str, ...] = ()  # symbols an earlier closing order, still working, already closes
    rejection: Rejection | None = None  # e.g. an unknown symbol: nothing can be done

    @property
    def nothing_to_do(self) -> bool:
        return self.rejection is None and not (self.positions or self.cancels or self.closing or self.in_progress)


@dataclass(frozen=True, slots=True)
class CloseResult:
    symbols: tuple[str, ...]
    orders: tuple[OrderResult, ...]
    cancelled_orders: int
    flat: bool  # True when no position remains in the requested symbols
    in_progress: tuple[str, ...] = ()  # symbols whose closing order from an earlier close still works
    rejection: Rejection | None = None  # nothing was done (unknown symbol, read-back out of date)
    preview: ClosePreview | None = None  # the read-back executed (or refused as out of date)
    current: ClosePreview | None = None  # what a close would do now, when the read-back was out of date


@dataclass(frozen=True, slots=True)
class HaltPreview:
    """Exactly what `Engine.halt` (or, with `flatten`, `Engine.kill_switch`) would do now."""

    state: TradingState  # the state now
    cancels: tuple[Order, ...]  # working entry orders it cancels (protective orders stay)
    positions: tuple[Position, ...]  # open positions: they stay open (halt) or are closed (flatten)
    flatten: ClosePreview | None = None  # the kill switch's close

    @property
    def already_halted(self) -> bool:
        return self.state is TradingState.HALTED and self.flatten is None


@dataclass(frozen=True, slots=True)
class HaltResult:
    change: StateChange
    cancelled: tuple[str, ...]  # order ids whose cancel was sent
    # order ids cancelled that the read-back did not name (entry orders placed after it: halting
    # never leaves an order that could add exposure working)
    unexpected: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RiskSettings:
    risk_percent: Decimal  # per-trade risk, % of equity
    per_symbol: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SetRiskResult:
    ok: bool
    symbol: str | None
    risk_percent: Decimal | None
    rejection: Rejection | None = None


@dataclass(frozen=True, slots=True)
class StateChange:
    previous: TradingState
    current: TradingState
    reason: str


@dataclass(frozen=True, slots=True)
class PerformanceMetrics:
    trades: int
    wins: int
    losses: int
    win_rate: float  # 0..1
    profit_factor: float | None  # None when there is no losing trade
    gross_profit: Decimal
    gross_loss: Decimal
    net_pnl: Decimal
    largest_win: Decimal
    largest_loss: Decimal
    average_win: Decimal
    average_loss: Decimal
    max_drawdown: Decimal  # USD, positive number
    max_drawdown_pct: float


@dataclass(frozen=True, slots=True)
class EngineStatus:
    state: TradingState
    mode: str  # paper / live
    broker: str
    broker_connected: bool
    feed: str
    market_open: bool
    symbols: tuple[str, ...]
    last_prices: dict[str, float]
    equity: Decimal
    pnl_today: Decimal
    open_positions: int
    working_orders: int
    risk_percent: Decimal
    consecutive_losses: int
    started_ts: datetime | None
    # Symbols whose last price is current (live); the others' last price is a remembered one, and
    # orders on them wait for a live price.
    live_symbols: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------- event payloads
@dataclass(frozen=True, slots=True)
class OrderEvent:
    """ORDER_ACCEPTED / ORDER_DENIED / ORDER_REJECTED / ORDER_CANCELLED: the order at that moment."""

    order: Order
    rejection: Rejection | None = None  # ORDER_DENIED / ORDER_REJECTED (and a cancel by the venue)


@dataclass(frozen=True, slots=True)
class FillEvent:
    fill: Fill
    order: Order  # the order after this fill


@dataclass(frozen=True, slots=True)
class LossLimitBreach:
    """RISK_BREACH: today's P&L reached the daily loss limit; trading halts (and flattens)."""

    pnl: Decimal  # realised + unrealised - commissions, negative
    limit: Decimal  # the daily loss limit, positive
    flatten: bool  # positions are being closed
    state: StateChange


@dataclass(frozen=True, slots=True)
class ConnectionChange:
    """BROKER_DISCONNECTED / BROKER_RECONNECTED; `detail` is the broker's own words."""

    connected: bool
    detail: str


@dataclass(frozen=True, slots=True)
class PositionMismatch:
    symbol: str
    ledger_quantity: int
    broker_quantity: int


@dataclass(frozen=True, slots=True)
class ReconciliationMismatch:
    """RECONCILIATION_MISMATCH: the broker's state differs from the ledger; nothing was changed."""

    broker: str  # "ib", "paper"...
    positions: tuple[PositionMismatch, ...] = ()
    missing_orders: tuple[str, ...] = ()  # working in the ledger, not at the broker


@dataclass(frozen=True, slots=True)
class FeedStale:
    """MARKET_DATA_STALE: nothing received for `silent_s` seconds while the market is open."""

    silent_s: float


@dataclass(frozen=True, slots=True)
class FeedFailed:
    """MARKET_DATA_STALE: the feed stopped with an error."""

    error: str


@dataclass(frozen=True, slots=True)
class RiskSettingChange:
    percent: Decimal  # risk per trade, % of equity
    symbol: str | None  # None: the default for every symbol


class Notice(str, enum.Enum):
    ENGINE_STARTED = "ENGINE_STARTED"
    FEED_RESUMED = "FEED_RESUMED"  # market data flows again after a stale alert


@dataclass(frozen=True, slots=True)
class SystemNotice:
    notice: Notice


@dataclass(frozen=True, slots=True)
class RecordedText:
    """An event recorded before the ledger stored typed payloads (schema version 1): the sentences
    it was written with are all there is."""

    text_en: str
    text_fr: str
    order: Order | None = None
    fill: Fill | None = None
    rejection: Rejection | None = None
    state: StateChange | None = None


EventPayload = Union[
    OrderEvent, FillEvent, LossLimitBreach, StateChange, ConnectionChange, ReconciliationMismatch, FeedStale,
    FeedFailed, RiskSettingChange, SystemNotice, RecordedText,
    # the autopilot's (trading_core/autopilot/types.py, which registers them in EVENT_PAYLOADS)
    "AutopilotSignal", "ModeChange", "LevelChange",
]

# The payload types each kind may carry (RecordedText is always allowed: it is what old ledgers hold).
EVENT_PAYLOADS: dict[EventKind, tuple[type, ...]] = {
    EventKind.ORDER_ACCEPTED: (OrderEvent,),
    EventKind.ORDER_DENIED: (OrderEvent,),
    EventKind.ORDER_REJECTED: (OrderEvent,),
    EventKind.ORDER_CANCELLED: (OrderEvent,),
    EventKind.FILL: (FillEvent,),
    EventKind.RISK_BREACH: (LossLimitBreach,),
    EventKind.STATE_CHANGE: (StateChange,),
    EventKind.KILL_SWITCH: (StateChange,),
    EventKind.BROKER_DISCONNECTED: (ConnectionChange,),
    EventKind.BROKER_RECONNECTED: (ConnectionChange,),
    EventKind.RECONCILIATION_MISMATCH: (ReconciliationMismatch,),
    EventKind.MARKET_DATA_STALE: (FeedStale, FeedFailed),
    EventKind.RISK_SETTING_CHANGED: (RiskSettingChange,),
    EventKind.SYSTEM: (SystemNotice,),
}


@dataclass(frozen=True, slots=True)
class EngineEvent:
    """Something that happened in the engine: kind, severity, time, ledger sequence and typed data."""

    kind: EventKind
    severity: Severity
    ts: datetime
    payload: EventPayload
    symbol: str | None = None
    seq: int = 0  # ledger sequence number once persisted

    def __post_init__(self) -> None:
        allowed = EVENT_PAYLOADS.get(self.kind)
        if allowed is not None and not isinstance(self.payload, (*allowed, RecordedText)):
            raise TypeError(
                f"{self.kind.value} event carries {type(self.payload).__name__}, expected "
                + " or ".join(t.__name__ for t in allowed)
            )

    # Shortcuts into the payload, for subscribers that only care about one part.
    @property
    def order(self) -> Order | None:
        p = self.payload
        return p.order if isinstance(p, (OrderEvent, FillEvent, RecordedText)) else None

    @property
    def fill(self) -> Fill | None:
        p = self.payload
        return p.fill if isinstance(p, (FillEvent, RecordedText)) else None

    @property
    def rejection(self) -> Rejection | None:
        p = self.payload
        return p.rejection if isinstance(p, (OrderEvent, RecordedText)) else None

    @property
    def state(self) -> StateChange | None:
        p = self.payload
        if isinstance(p, StateChange):
            return p
        if isinstance(p, (LossLimitBreach, RecordedText)):
            return p.state
        return None

    # The autopilot's payloads (its module is imported only by events that carry one).
    @property
    def signal(self) -> AutopilotSignal | None:
        """AUTOPILOT_PROPOSAL / _EXECUTED / _REFUSED / _EXPIRED: the signal and its decision."""
        return self._autopilot("AutopilotSignal")  # type: ignore[return-value]

    @property
    def mode_change(self) -> ModeChange | None:
        """AUTOPILOT_MODE."""
        return self._autopilot("ModeChange")  # type: ignore[return-value]

    @property
    def level_change(self) -> LevelChange | None:
        """CATASTROPHE_LEVEL."""
        return self._autopilot("LevelChange")  # type: ignore[return-value]

    def _autopilot(self, name: str) -> object | None:
        p = self.payload
        t = type(p)
        return p if t.__module__ == "trading_core.autopilot.types" and t.__name__ == name else None
