"""What the autopilot did in one CME session, as data: signals taken / refused / expired and why, each
executed signal's result, and the session's closed trades split between the autopilot and the trader.

Attribution. A trade belongs to whoever opened it: every fill is tagged with its origin (the signal of
an autopilot order - client id `ap-<signal id>`, its stop and target children inherit it - or
`manual` for everything else), the fills are replayed per symbol in the ledger's order, and a fill that
reduces a position is split across the open lots first in, first out, each part going to the lot's
origin. So an autopilot trade closed by hand, by the kill switch or by the daily-loss flatten is still
the autopilot's trade, and a trader's position is never counted as the autopilot's. Each origin is
accounted by its own `Portfolio` (same ticks, same commission shares as the engine's accounting), so
autopilot + manual = the engine's own closed-trade P&L.

Read it with `Engine.autopilot_stats(day)` or `session_stats(ledger, ...)` (the ledger file alone,
safe while `mia run` writes it).
"""
from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from trading_core import calendar as cme
from trading_core.autopilot.types import AutopilotSignal, SignalDecision
from trading_core.portfolio import ClosedTrade, Portfolio
from trading_core.types import Fill, Order, Side

MANUAL = "manual"
AUTOPILOT_PREFIX = "ap-"
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ReasonCount:
    decision: SignalDecision  # REFUSED or EXPIRED
    code: str  # FILTER_REJECTED, SIZE_ZERO, a risk-gate code, DECLINED, EXPIRED_TIMEOUT...
    count: int


@dataclass(frozen=True, slots=True)
class TradeTally:
    """Closed trades of one origin in the session, P&L after commissions."""

    trades: int
    wins: int
    losses: int
    net_pnl: Decimal
    commissions: Decimal

    @property
    def win_rate(self) -> float:
        return self.wins / self.trades if self.trades else 0.0

    @classmethod
    def of(cls, trades: Sequence[ClosedTrade]) -> "TradeTally":
        return cls(len(trades), sum(1 for t in trades if t.pnl > 0), sum(1 for t in trades if t.pnl < 0),
                   sum((t.pnl for t in trades), _ZERO), sum((t.commission for t in trades), _ZERO))


@dataclass(frozen=True, slots=True)
class SignalResult:
    """An executed signal and what its trade made so far (closed contracts only)."""

    signal: AutopilotSignal
    pnl: Decimal  # net of commissions, of the contracts closed
    closed: bool  # no contract of it is open any more
    trades: int  # closed-trade records (a partial close makes two)


@dataclass(frozen=True, slots=True)
class AutopilotStats:
    day: date  # CME session date
    signals: int  # signals decided in the session
    proposed: int  # still waiting for a confirmation
    executed: int
    refused: int
    expired: int
    reasons: tuple[ReasonCount, ...]  # refusals and expiries by reason, most frequent first
    results: tuple[SignalResult, ...]  # executed signals of the session with their result, oldest first
    best: SignalResult | None  # the closed signal that made the most (None when nothing closed)
    worst: SignalResult | None  # the closed signal that made the least, when another one than `best`
    autopilot: TradeTally  # trades closed in the session, opened by the autopilot
    manual: TradeTally  # trades closed in the session, opened by the trader (or any other front)

    @property
    def empty(self) -> bool:
        return self.signals == 0 and self.autopilot.trades == 0


def origin_of(order: Order | None, orders: dict[str, Order]) -> str:
    """The signal id of an autopilot order (its bracket children included), else MANUAL."""
    if order is None:
        return MANUAL
    root = orders.get(order.parent_id, order) if order.parent_id else order
    cid = root.client_order_id or ""
    if cid.startswith(AUTOPILOT_PREFIX):
        return cid[len(AUTOPILOT_PREFIX):]
    return MANUAL


def attribute(fills: Iterable[Fill], origin: Callable[[Fill], str],
              instruments: Callable[[str], Any], starting_balance: Decimal) -> dict[str, Portfolio]:
    """One portfolio per origin; a reducing fill is split over the open lots' origins, first in first out."""
    books: dict[str, Portfolio] = {}
    lots: dict[str, deque[list[Any]]] = {}  # symbol -> [[origin, signed qty], ...] of the net position

    def book(key: str) -> Portfolio:
        if key not in books:
            books[key] = Portfolio(instruments, starting_balance)
        return books[key]

    for fill in fills:
        sign = 1 if fill.side is Side.BUY else -1
        queue = lots.setdefault(fill.symbol, deque())
        left = fill.quantity
        while left and queue and (queue[0][1] > 0) != (sign > 0):
            lot = queue[0]
            take = min(left, abs(lot[1]))
            part = fill if take == fill.quantity else replace(
                fill, quantity=take, commission=fill.commission * take / fill.quantity)
            book(lot[0]).apply_fill(part)
            lot[1] += sign * take
            left -= take
            if lot[1] == 0:
                queue.popleft()
        if left:
            mine = origin(fill)
            part = fill if left == fill.quantity else replace(
                fill, quantity=left, commission=fill.commission * left / fill.quantity)
            book(mine).apply_fill(part)
            queue.append([mine, sign * left])
    return books


def session_stats(signals: Sequence[AutopilotSignal], orders: Sequence[Order], fills: Sequence[Fill],
                  instruments: Callable[[str], Any], starting_balance: Decimal, day: date) -> AutopilotStats:
    """The stats of CME session `day` from the ledger's signals, orders and fills (all of them: trades
    opened on an earlier day and closed on `day` count on `day`, as in the daily report)."""
    by_id = {o.order_id: o for o in orders}
    books = attribute(fills, lambda f: origin_of(by_id.get(f.order_id), by_id), instruments, starting_balance)

    def closed_today(p: Portfolio | None) -> list[ClosedTrade]:
        return [] if p is None else [t for t in p.closed_trades if cme.session_date(t.closed_ts) == day]

    todays = [s for s in signals if cme.session_date(s.ts) == day]
    count = Counter(s.decision for s in todays)
    reasons = Counter((s.decision, s.reason_code or "") for s in todays
                      if s.decision in (SignalDecision.REFUSED, SignalDecision.EXPIRED))
    results = []
    for s in todays:
        if s.decision is not SignalDecision.EXECUTED:
            continue
        p = books.get(s.signal_id)
        trades = [] if p is None else p.closed_trades
        is_closed = p is not None and bool(trades) and not p.has_position()
        results.append(SignalResult(s, sum((t.pnl for t in trades), _ZERO), is_closed, len(trades)))
    closed = [r for r in results if r.closed]
    best = max(closed, key=lambda r: r.pnl) if closed else None
    worst = min(closed, key=lambda r: r.pnl) if len(closed) > 1 else None
    ap_trades = [t for key, p in books.items() if key != MANUAL for t in closed_today(p)]
    return AutopilotStats(
        day=day, signals=len(todays), proposed=count[SignalDecision.PROPOSED], executed=count[SignalDecision.EXECUTED],
        refused=count[SignalDecision.REFUSED], expired=count[SignalDecision.EXPIRED],
        reasons=tuple(ReasonCount(d, c, n) for (d, c), n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0][1]))),
        results=tuple(results), best=best, worst=worst,
        autopilot=TradeTally.of(ap_trades), manual=TradeTally.of(closed_today(books.get(MANUAL))),
    )


def ledger_stats(ledger: Any, instruments: Callable[[str], Any], starting_balance: Decimal, day: date) -> AutopilotStats:
    """`session_stats` read from a ledger (`trading_core.ledger.Ledger`)."""
    return session_stats(ledger.autopilot_signals(limit=None), ledger.orders(limit=None), ledger.fills(),
                         instruments, starting_balance, day)
