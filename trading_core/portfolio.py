"""Portfolio accounting: positions netted per symbol, realised and unrealised P&L, closed trades.

Exactness. Every price is turned into an integer number of ticks as soon as it arrives, and P&L is
`ticks x tick_value` with `tick_value` a Decimal, so thousands of small trades add up to exactly the
same cents as one big one (no float drift). Open contracts are kept as FIFO lots, each at an integer
tick price; closing contracts are matched against the oldest lots first. FIFO (rather than an average
cost) is what keeps realised P&L a whole number of ticks at every step; once a position is flat the
total is the same under either method.

Commissions are tracked separately from P&L (cash = starting balance + realised - commissions). A
`ClosedTrade` carries its P&L net of the commissions of the contracts it closed: the share of the
opening fill's commission plus the share of the closing fill's.

A closed trade is recorded for every fill that reduces a position (a partial close is a trade for the
contracts it closed; a flip closes the old position and opens the new one with the rest of the fill).
The ledger's fills are the source of truth: `Portfolio.rebuild(ledger.fills(), ...)` gives back the
same state after a restart.
"""
from __future__ import annotations

import bisect
import logging
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from trading_core.types import AccountSnapshot, Fill, Position, Side

log = logging.getLogger("mia.portfolio")

_ZERO = Decimal(0)
_COMMISSION_QUANTUM = Decimal("0.000001")
_TICK_TOLERANCE = 1e-6


class InstrumentSpec(Protocol):
    """What accounting needs from `trading_core.instruments.Instrument` (read-only: instruments are frozen)."""

    @property
    def symbol(self) -> str: ...

    @property
    def tick_size(self) -> float: ...

    @property
    def tick_value(self) -> Decimal: ...


InstrumentLookup = Callable[[str], InstrumentSpec]


class PortfolioError(ValueError):
    """A fill or a price the portfolio cannot account for; the message says which and why."""


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    symbol: str
    side: Side  # side of the position that was closed: BUY = a long trade, SELL = a short trade
    quantity: int
    entry_price: float  # average entry price of the contracts closed (FIFO lots)
    exit_price: float
    pnl: Decimal  # net of the commissions of these contracts (entry share + exit share)
    opened_ts: datetime  # when the oldest closed contract was opened
    closed_ts: datetime
    gross_pnl: Decimal = _ZERO
    commission: Decimal = _ZERO
    pnl_ticks: int = 0  # gross P&L in ticks, summed over contracts

    @property
    def is_win(self) -> bool:
        return self.pnl > 0

    @property
    def is_loss(self) -> bool:
        return self.pnl < 0


class _Lot:
    __slots__ = ("qty", "ticks", "commission", "ts")

    def __init__(self, qty: int, ticks: int, commission: Decimal, ts: datetime) -> None:
        self.qty = qty
        self.ticks = ticks
        self.commission = commission  # not yet attributed to a closed trade
        self.ts = ts


class _Book:
    __slots__ = ("symbol", "tick_size", "tick_value", "lots", "qty", "cost_ticks", "realized", "commissions")

    def __init__(self, symbol: str, tick_size: float, tick_value: Decimal) -> None:
        self.symbol = symbol
        self.tick_size = tick_size
        self.tick_value = tick_value
        self.lots: deque[_Lot] = deque()
        self.qty = 0  # signed
        self.cost_ticks = 0  # sum of lot.ticks * lot.qty (unsigned quantities)
        self.realized = _ZERO  # gross, before commissions
        self.commissions = _ZERO


def _share(total: Decimal, part: int, whole: int) -> Decimal:
    """`part/whole` of an amount; the last share takes the remainder so shares always sum exactly."""
    if part >= whole:
        return total
    return (total * part / whole).quantize(_COMMISSION_QUANTUM)


class Portfolio:
    """Positions, P&L and closed trades from a stream of fills and last prices."""

    def __init__(
        self,
        instruments_lookup: InstrumentLookup,
        starting_balance: Decimal,
        account_id: str = "PAPER",
    ) -> None:
        if isinstance(starting_balance, bool) or not isinstance(starting_balance, (Decimal, int)):
            raise PortfolioError(
                f"starting_balance must be a Decimal amount in USD, got {type(starting_balance).__name__}: "
                f"{starting_balance!r}"
            )
        starting_balance = Decimal(starting_balance)
        if not starting_balance.is_finite():
            raise PortfolioError(f"starting_balance must be finite, got {starting_balance!r}")
        self._lookup = instruments_lookup
        self.starting_balance = starting_balance
        self.account_id = account_id
        self._books: dict[str, _Book] = {}  # by canonical symbol
        self._specs: dict[str, tuple[str, float, Decimal]] = {}
        self._marks: dict[str, tuple[float, int]] = {}  # symbol -> (price, price in ticks)
        self._fill_ids: set[str] = set()
        self.realized_pnl = _ZERO  # gross, all symbols
        self.commissions = _ZERO
        self.closed_trades: list[ClosedTrade] = []
        self.consecutive_losses = 0
        self.fill_count = 0
        # Per-fill journal for `realized_since`: timestamps and running totals (prefix sums).
        self._j_ts: list[datetime] = []
        self._j_realized: list[Decimal] = []
        self._j_commissions: list[Decimal] = []
        self._j_trades: list[int] = []
        self._j_sorted = True

    # ------------------------------------------------------------------ instruments and prices

    def _spec(self, symbol: str) -> tuple[str, float, Decimal]:
        """(canonical symbol, tick size, tick value), looked up once per spelling of the symbol."""
        spec = self._specs.get(symbol)
        if spec is None:
            try:
                inst = self._lookup(symbol)
            except Exception as exc:  # the lookup's own error type (UnknownSymbolError, KeyError, ...)
                raise PortfolioError(f"unknown symbol {symbol!r}: {exc}") from None
            tick_size = float(inst.tick_size)
            if not tick_size > 0 or not isinstance(inst.tick_value, Decimal):
                raise PortfolioError(f"instrument {symbol!r} needs tick_size > 0 and a Decimal tick_value")
            spec = self._specs[symbol] = (inst.symbol, tick_size, inst.tick_value)
        return spec

    def _book(self, symbol: str) -> _Book:
        canonical, tick_size, tick_value = self._spec(symbol)
        book = self._books.get(canonical)
        if book is None:
            book = self._books[canonical] = _Book(canonical, tick_size, tick_value)
        return book

    def _ticks(self, symbol: str, price: float, what: str) -> int:
        tick = self._specs[symbol][1] if symbol in self._specs else self._spec(symbol)[1]
        try:
            if isinstance(price, bool):
                raise TypeError
            t = price / tick
            ti = round(t)
        except (TypeError, ValueError, OverflowError):  # not a number, NaN, infinity
            raise PortfolioError(f"{what} for {symbol}: price must be a finite number > 0, got {price!r}") from None
        if ti <= 0:
            raise PortfolioError(f"{what} for {symbol}: price must be a finite number > 0, got {price!r}")
        if abs(t - ti) > _TICK_TOLERANCE:
            raise PortfolioError(f"{what} for {symbol}: price {price!r} is not a multiple of the tick {tick}")
        return ti

    def mark(self, symbol: str, price: float) -> None:
        """The latest market price of `symbol` (for unrealised P&L)."""
        ticks = self._ticks(symbol, price, "mark")
        self._marks[self._specs[symbol][0]] = (float(price), ticks)

    def last_price(self, symbol: str) -> float | None:
        m = self._marks.get(self._spec(symbol)[0])
        return None if m is None else m[0]

    # ------------------------------------------------------------------ fills

    def _validate(self, fill: Fill) -> int:
        if not isinstance(fill, Fill):
            raise PortfolioError(f"expected a trading_core.types.Fill, got {type(fill).__name__}")
        if isinstance(fill.quantity, bool) or not isinstance(fill.quantity, int) or fill.quantity <= 0:
            raise PortfolioError(f"fill {fill.fill_id}: quantity must be an int > 0, got {fill.quantity!r}")
        if not isinstance(fill.side, Side):
            raise PortfolioError(f"fill {fill.fill_id}: side must be a Side, got {fill.side!r}")
        c = fill.commission
        if isinstance(c, bool) or not isinstance(c, (Decimal, int)) or not Decimal(c).is_finite() or c < 0:
            raise PortfolioError(f"fill {fill.fill_id}: commission must be a Decimal >= 0, got {c!r}")
        return self._ticks(fill.symbol, fill.price, f"fill {fill.fill_id}")

    def apply_fill(self, fill: Fill) -> list[ClosedTrade]:
        """Net a fill into its symbol's position; returns the trade it closed, if any.

        A fill_id seen before is ignored (returns []), so replaying overlapping fill lists is safe.
        A bad fill raises `PortfolioError` before any state changes.
        """
        ticks = self._validate(fill)
        if fill.fill_id in self._fill_ids:
            log.info("fill %s already applied; ignored", fill.fill_id)
            return []
        book = self._book(fill.symbol)
        commission = Decimal(fill.commission)
        sign = fill.side.sign
        remaining = fill.quantity
        comm_left = commission
        closed: list[ClosedTrade] = []
        gross = _ZERO

        if book.qty != 0 and (book.qty > 0) != (sign > 0):
            # Reducing (and maybe flipping): match the oldest lots first.
            pos_sign = 1 if book.qty > 0 else -1
            to_close = min(remaining, abs(book.qty))
            exit_comm = _share(commission, to_close, fill.quantity)
            comm_left = commission - exit_comm
            pnl_ticks = 0
            entry_ticks = 0
            entry_comm = _ZERO
            opened_ts = book.lots[0].ts
            left = to_close
            while left:
                lot = book.lots[0]
                take = lot.qty if lot.qty <= left else left
                share = _share(lot.commission, take, lot.qty)
                lot.commission -= share
                entry_comm += share
                pnl_ticks += (ticks - lot.ticks) * take * pos_sign
                entry_ticks += lot.ticks * take
                lot.qty -= take
                left -= take
                if lot.qty == 0:
                    book.lots.popleft()
            book.qty -= pos_sign * to_close
            book.cost_ticks -= entry_ticks
            remaining -= to_close
            gross = book.tick_value * pnl_ticks
            trade_comm = entry_comm + exit_comm
            trade = ClosedTrade(
                symbol=book.symbol,
                side=Side.BUY if pos_sign > 0 else Side.SELL,
                quantity=to_close,
                entry_price=entry_ticks / to_close * book.tick_size,
                exit_price=float(fill.price),
                pnl=gross - trade_comm,
                opened_ts=opened_ts,
                closed_ts=fill.ts,
                gross_pnl=gross,
                commission=trade_comm,
                pnl_ticks=pnl_ticks,
            )
            closed.append(trade)
            book.realized += gross
            self.realized_pnl += gross
            if trade.pnl < 0:
                self.consecutive_losses += 1
            elif trade.pnl > 0:
                self.consecutive_losses = 0
            self.closed_trades.append(trade)

        if remaining:
            # Opening or adding (or the new side of a flip).
            book.lots.append(_Lot(remaining, ticks, comm_left, fill.ts))
            book.qty += sign * remaining
            book.cost_ticks += ticks * remaining

        book.commissions += commission
        self.commissions += commission
        self._fill_ids.add(fill.fill_id)
        self.fill_count += 1
        self._journal(fill.ts, gross, commission, len(closed))
        return closed

    def _journal(self, ts: datetime, realized: Decimal, commission: Decimal, trades: int) -> None:
        if self._j_ts:
            if ts < self._j_ts[-1]:
                self._j_sorted = False
            self._j_realized.append(self._j_realized[-1] + realized)
            self._j_commissions.append(self._j_commissions[-1] + commission)
            self._j_trades.append(self._j_trades[-1] + trades)
        else:
            self._j_realized.append(realized)
            self._j_commissions.append(commission)
            self._j_trades.append(trades)
        self._j_ts.append(ts)

    def _since(self, ts: datetime, series: list[Any], zero: Any) -> Any:
        if not self._j_ts:
            return zero
        if self._j_sorted:
            i = bisect.bisect_left(self._j_ts, ts)
            if i >= len(series):
                return zero
            before = series[i - 1] if i > 0 else zero
            return series[-1] - before
        # Fills out of time order (a late broker report): sum the per-fill increments that qualify.
        total = zero
        prev = zero
        for t, cum in zip(self._j_ts, series):
            if t >= ts:
                total += cum - prev
            prev = cum
        return total

    def realized_since(self, ts: datetime) -> Decimal:
        """Gross realised P&L of fills at or after `ts` (commissions: `commissions_since`)."""
        return self._since(ts, self._j_realized, _ZERO)

    def commissions_since(self, ts: datetime) -> Decimal:
        return self._since(ts, self._j_commissions, _ZERO)

    def trades_since(self, ts: datetime) -> int:
        return self._since(ts, self._j_trades, 0)

    def reset_consecutive_losses(self) -> None:
        """Start counting losing trades again (e.g. when a trader resumes after a halt)."""
        self.consecutive_losses = 0

    # ------------------------------------------------------------------ views

    def net_positions(self) -> dict[str, int]:
        """Signed quantity of every open position by symbol (flat symbols left out); cheaper than
        `positions()` when only the quantities are needed (risk checks on the order path)."""
        return {symbol: book.qty for symbol, book in self._books.items() if book.qty}

    def has_position(self) -> bool:
        return any(book.qty for book in self._books.values())

    def net_quantity(self, symbol: str) -> int:
        book = self._books.get(self._spec(symbol)[0])
        return 0 if book is None else book.qty

    def _unrealized(self, book: _Book) -> Decimal:
        if book.qty == 0:
            return _ZERO
        m = self._marks.get(book.symbol)
        if m is None:
            return _ZERO
        ticks = m[1] * book.qty - (book.cost_ticks if book.qty > 0 else -book.cost_ticks)
        return book.tick_value * ticks

    def unrealized_pnl(self) -> Decimal:
        total = _ZERO
        for book in self._books.values():
            if book.qty:
                total += self._unrealized(book)
        return total

    def positions(self, include_flat: bool = False) -> list[Position]:
        """Open positions (and, with include_flat, symbols traded and now flat), sorted by symbol."""
        out = []
        for symbol in sorted(self._books):
            book = self._books[symbol]
            if book.qty == 0 and not include_flat:
                continue
            m = self._marks.get(symbol)
            avg = book.cost_ticks / abs(book.qty) * book.tick_size if book.qty else 0.0
            out.append(
                Position(
                    symbol=symbol,
                    quantity=book.qty,
                    avg_price=avg,
                    market_price=None if m is None else m[0],
                    unrealized_pnl=self._unrealized(book),
                    realized_pnl=book.realized,
                )
            )
        return out

    def account(self, ts: datetime) -> AccountSnapshot:
        unrealized = self.unrealized_pnl()
        cash = self.starting_balance + self.realized_pnl - self.commissions
        return AccountSnapshot(
            ts=ts,
            starting_balance=self.starting_balance,
            cash=cash,
            realized_pnl=self.realized_pnl,
            unrealized_pnl=unrealized,
            commissions=self.commissions,
            equity=cash + unrealized,
            account_id=self.account_id,
        )

    def equity(self) -> Decimal:
        return self.starting_balance + self.realized_pnl - self.commissions + self.unrealized_pnl()

    # ------------------------------------------------------------------ restart

    @classmethod
    def rebuild(
        cls,
        fills: Iterable[Fill],
        instruments_lookup: InstrumentLookup,
        starting_balance: Decimal,
        marks: Mapping[str, float] | None = None,
        account_id: str = "PAPER",
    ) -> "Portfolio":
        """Replay fills in the given order (the ledger's commit order) into a fresh portfolio."""
        p = cls(instruments_lookup, starting_balance, account_id=account_id)
        for fill in fills:
            p.apply_fill(fill)
        for symbol, price in (marks or {}).items():
            if price is not None and math.isfinite(price):
                p.mark(symbol, price)
        return p

    def __repr__(self) -> str:
        pos = ", ".join(f"{b.symbol}:{b.qty:+d}" for b in self._books.values() if b.qty)
        return f"Portfolio(positions=[{pos}], realized={self.realized_pnl}, commissions={self.commissions})"
