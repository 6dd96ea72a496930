"""Domain types shared by every part of the trading core and by its front ends.

Prices are floats that are always exact multiples of the instrument tick (0.25 is exactly
representable in binary floating point, so tick multiples never drift). Money is `Decimal`
in USD. Quantities are signed ints for positions and positive ints for orders.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the autopilot's records import this module; only type checkers import them here
    from trading_core.autopilot.types import AutopilotSignal, LevelChange, ModeChange


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
    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"  # only orders that shrink exposure
    HALTED = "HALTED"  # nothing new; cancels and flattening still allowed


class Severity(str, enum.Enum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


class EventKind(str, enum.Enum):
    ORDER_ACCEPTED = "ORDER_ACCEPTED"
    ORDER_REJECTED = "ORDER_REJECTED"
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
    # the autopilot (trading_core/autopilot); the event's `signal` / `mode_change` / `level_change` carry the data
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


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refusal with a stable machine code and a sentence in each user language."""

    code: str
    message_en: str
    message_fr: str

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


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


@dataclass(slots=True)
class Order:
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
class CloseResult:
    symbols: tuple[str, ...]
    orders: tuple[OrderResult, ...]
    cancelled_orders: int
    flat: bool  # True when no position remains in the requested symbols
    in_progress: tuple[str, ...] = ()  # symbols whose closing order from an earlier close still works


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


@dataclass(frozen=True, slots=True)
class EngineEvent:
    kind: EventKind
    severity: Severity
    ts: datetime
    text_en: str
    text_fr: str
    symbol: str | None = None
    order: Order | None = None
    fill: Fill | None = None
    rejection: Rejection | None = None
    state: StateChange | None = None
    seq: int = 0  # ledger sequence number once persisted
    signal: AutopilotSignal | None = None  # AUTOPILOT_PROPOSAL / _EXECUTED / _REFUSED / _EXPIRED
    mode_change: ModeChange | None = None  # AUTOPILOT_MODE
    level_change: LevelChange | None = None  # CATASTROPHE_LEVEL

    def text(self, lang: str) -> str:
        return self.text_fr if lang == "fr" else self.text_en
