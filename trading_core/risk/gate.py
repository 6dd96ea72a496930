"""The pre-trade risk gate: every new order passes `RiskGate.check` before any broker sees it.

`check` is pure with respect to its inputs (the only state the gate keeps is the timestamps of
accepted orders for the rate throttle, written by `record`). It allocates nothing on the
accepting path and only builds a `Rejection` when it refuses, so a check costs a few
microseconds; there is no logging here on purpose (the engine logs the verdict).

Checks, in this order (the first failing one is reported):

 1. UNKNOWN_SYMBOL         the instrument lookup does not know the symbol.
 2. QTY_NOT_POSITIVE       quantity is not a whole number ≥ 1;
    QTY_ABOVE_MAX          quantity > max_order_size, unless the order only reduces the position
                           (a flatten or kill switch must never be blocked by the order size).
 3. HALTED                 state HALTED: only an order that strictly reduces the current position
                           without reversing it (a flatten, full or partial) passes.
 4. REDUCING_ONLY          state REDUCING: same rule as HALTED (shrink |position|, never flip).
                           "Reduces" counts the working orders that already close part of the
                           position (`exiting`): with long 2 and a closing sell 2 working, another
                           sell 2 would reverse the position once both fill, so it is refused
                           (HALTED / REDUCING_ONLY variant "covered").
 5. DAILY_LOSS_LIMIT       pnl_today (realised + unrealised − commissions) ≤ −daily_loss_limit;
 6. MAX_CONSECUTIVE_LOSSES consecutive_losses ≥ max_consecutive_losses;
 7. MIN_BALANCE            min(balance, equity) < min_account_balance.
                           Checks 5–7 refuse only orders that do not reduce the position: getting
                           out must stay possible after a breach (the engine flattens through here).
 8. MARKET_CLOSED          enforce_trading_hours and not market_open (every order: the exchange
                           would refuse it anyway).
 9. RATE_LIMIT             ≥ max_orders_per_minute orders recorded in the last 60 s (sliding
                           window, `record(now)` after each accepted order). Reducing orders are
                           exempt so that a flatten is never throttled; they cannot build exposure.
10. INVALID_PRICE          a required price is missing (LIMIT → limit_price, STOP → stop_price,
                           BRACKET → stop_loss and take_profit), or a given price is not a finite
                           number > 0, or is off the tick grid.
11. NO_MARKET_PRICE        no positive last price for the symbol, for an order that carries a
                           price or does not reduce the position; NO_CURRENT_PRICE instead when
                           `price_pending` (the engine's live prices have not arrived yet: a
                           restored or warm-up price is never used to check or fill an order).
12. PRICE_BAND             |price − last| / last > price_band_pct % for each given price.
13. INVALID_PRICE          stop_loss / take_profit on the wrong side of the entry (limit_price,
                           else stop_price, else last): buy → stop_loss < entry < take_profit,
                           sell → take_profit < entry < stop_loss.
14. POSITION_LIMIT_SYMBOL  |position + pending + order| > max_position_per_symbol;
15. POSITION_LIMIT_TOTAL   Σ over symbols of |position + pending| after the order > max_total_position.
                           Both refuse only an order that increases that exposure, so an order
                           that brings an over-limit book back toward the limit always passes.

`pending` is the signed net quantity of working entry orders per symbol; the engine leaves out
OCO protective children, which can only reduce a position.
"""
from __future__ import annotations

import math
from bisect import bisect_right, insort
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from trading_core.config import RiskConfig
from trading_core.instruments import UnknownSymbolError
from trading_core.risk.reasons import PriceLabel, ReasonCode, reject
from trading_core.types import OrderType, Rejection, Side, TradingState

if TYPE_CHECKING:
    from trading_core.instruments import Instrument

_WINDOW_S = 60.0
# Relative tolerance when testing "price is a whole number of ticks" (exact for 0.25 ticks; this
# only matters for ticks that are not binary fractions).
_TICK_EPS = 1e-9


@dataclass(slots=True)
class RiskContext:
    """Everything the gate needs to know about the account and market at the time of an order."""

    now: datetime  # timezone-aware UTC
    state: TradingState
    market_open: bool  # from the exchange calendar
    positions: dict[str, int]  # signed: > 0 long, < 0 short
    pending: dict[str, int]  # signed net quantity of working entry orders (no OCO children)
    last_prices: dict[str, float]
    equity: Decimal
    balance: Decimal  # cash: starting balance + realised P&L − commissions
    pnl_today: Decimal  # realised + unrealised − commissions, current trading day
    consecutive_losses: int
    # Contracts of each position that working orders already close (unsigned; the engine counts
    # an OCO group once). An order "reduces" only within what is left.
    exiting: dict[str, int] = field(default_factory=dict)
    # True when missing prices are on their way (the engine waits for its first live price); the
    # refusal then says "no current price yet" rather than "no market price".
    price_pending: bool = False


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """An order with its quantity resolved, as the gate sees it."""

    symbol: str
    side: Side
    quantity: int
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    stop_price: float | None = None
    stop_loss: float | None = None
    take_profit: float | None = None

    def __post_init__(self) -> None:
        # The hot path compares enums by identity; a plain "BUY" string would silently read as a sell.
        if type(self.side) is not Side:
            object.__setattr__(self, "side", Side(self.side))
        if type(self.order_type) is not OrderType:
            object.__setattr__(self, "order_type", OrderType(self.order_type))


def reduces_exposure(position: int, side: Side, qty: int, exiting: int = 0) -> bool:
    """True when the order strictly shrinks |position| without reversing it, even if the working
    orders that already close `exiting` contracts of it fill too (0 < qty ≤ |position| − exiting)."""
    if qty <= 0 or position == 0:
        return False
    if position > 0:
        return side is Side.SELL and qty + exiting <= position
    return side is Side.BUY and qty + exiting <= -position


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the gate caches about an instrument (looked up once per symbol spelling)."""

    symbol: str  # canonical symbol, the key of positions / last_prices
    tick: float
    inv_tick: float


class RiskGate:
    """Pre-trade risk checks. See the module docstring for the order of the checks."""

    __slots__ = (
        "_config", "_lookup", "_facts", "_sent",
        "_max_order", "_max_symbol", "_max_total", "_loss_floor", "_loss_limit", "_max_losses",
        "_min_balance", "_enforce_hours", "_max_rate", "_band", "_band_pct",
    )

    def __init__(self, config: RiskConfig, instrument_lookup: Callable[[str], Instrument]) -> None:
        self._lookup = instrument_lookup
        self._facts: dict[str, _Facts] = {}
        self._sent: list[float] = []  # POSIX timestamps of accepted orders, sorted, last 60 s
        self.configure(config)

    # ------------------------------------------------------------------ configuration
    @property
    def config(self) -> RiskConfig:
        return self._config

    def configure(self, config: RiskConfig) -> None:
        """Use new limits from now on (the values are copied: the hot path reads plain attributes)."""
        self._config = config
        self._max_order = config.max_order_size
        self._max_symbol = config.max_position_per_symbol
        self._max_total = config.max_total_position
        self._loss_limit = config.daily_loss_limit
        self._loss_floor = -config.daily_loss_limit
        self._max_losses = config.max_consecutive_losses
        self._min_balance = config.min_account_balance
        self._enforce_hours = config.enforce_trading_hours
        self._max_rate = config.max_orders_per_minute
        self._band_pct = config.price_band_pct
        self._band = config.price_band_pct / 100.0

    # ------------------------------------------------------------------ engine helpers
    reduces_exposure = staticmethod(reduces_exposure)

    def daily_loss_breached(self, ctx: RiskContext) -> bool:
        """True when today's P&L (realised + unrealised − commissions) is at or past −daily_loss_limit."""
        return ctx.pnl_today <= self._loss_floor

    def record(self, now: datetime) -> None:
        """Count an accepted order in the rate throttle's 60 s sliding window."""
        ts = _posix(now)
        sent = self._sent
        if not sent or ts >= sent[-1]:
            sent.append(ts)
        else:
            insort(sent, ts)
        # Forget what has left the window so the list stays at most max_orders_per_minute long-ish.
        cut = bisect_right(sent, sent[-1] - _WINDOW_S)
        if cut:
            del sent[:cut]

    def orders_in_window(self, now: datetime) -> int:
        """Orders recorded in the 60 s before `now` (for status displays)."""
        ts = _posix(now)
        sent = self._sent
        return bisect_right(sent, ts) - bisect_right(sent, ts - _WINDOW_S)

    def reset_throttle(self) -> None:
        """Forget recorded orders (a new session, or a replay that restarts time)."""
        self._sent.clear()

    # ------------------------------------------------------------------ the check
    def check(self, ctx: RiskContext, order: OrderIntent) -> Rejection | None:
        """None when the order may go to the broker, else the first refusal (see module docstring)."""
        # 1. instrument
        facts = self._facts.get(order.symbol)
        if facts is None:
            facts = self._learn(order.symbol)
            if facts is None:
                return reject(ReasonCode.UNKNOWN_SYMBOL, symbol=order.symbol)
        symbol = facts.symbol

        # 2. quantity
        qty = order.quantity
        if type(qty) is not int:
            return reject(ReasonCode.QTY_NOT_POSITIVE, "not_whole", quantity=qty)
        if qty <= 0:
            return reject(ReasonCode.QTY_NOT_POSITIVE, quantity=qty)
        side = order.side
        position = ctx.positions.get(symbol, 0)
        exiting = ctx.exiting.get(symbol, 0) if ctx.exiting else 0
        reducing = reduces_exposure(position, side, qty, exiting)
        if qty > self._max_order and not reducing:
            return reject(ReasonCode.QTY_ABOVE_MAX, quantity=qty, maximum=self._max_order)

        # 3-4. trading state
        state = ctx.state
        if not reducing and state is not TradingState.ACTIVE:
            if exiting and reduces_exposure(position, side, qty):
                code = ReasonCode.HALTED if state is TradingState.HALTED else ReasonCode.REDUCING_ONLY
                return reject(code, "covered", symbol=symbol, exiting=exiting)
            if state is TradingState.HALTED:
                return reject(ReasonCode.HALTED)
            if position == 0:
                return reject(ReasonCode.REDUCING_ONLY, "flat", symbol=symbol)
            return reject(ReasonCode.REDUCING_ONLY, symbol=symbol, position=position)

        # 5-7. account health: only orders that add risk are refused
        if not reducing:
            if ctx.pnl_today <= self._loss_floor:
                return reject(ReasonCode.DAILY_LOSS_LIMIT, pnl=ctx.pnl_today, limit=self._loss_limit)
            if ctx.consecutive_losses >= self._max_losses:
                return reject(
                    ReasonCode.MAX_CONSECUTIVE_LOSSES, count=ctx.consecutive_losses, limit=self._max_losses
                )
            funds = ctx.balance if ctx.balance <= ctx.equity else ctx.equity
            if funds < self._min_balance:
                return reject(ReasonCode.MIN_BALANCE, balance=funds, minimum=self._min_balance)

        # 8. trading hours
        if self._enforce_hours and not ctx.market_open:
            return reject(ReasonCode.MARKET_CLOSED, symbol=symbol)

        # 9. rate throttle
        if not reducing:
            rejection = self._throttle(ctx.now)
            if rejection is not None:
                return rejection

        # 10. price presence, sign and tick grid
        otype = order.order_type
        limit_price = order.limit_price
        stop_price = order.stop_price
        stop_loss = order.stop_loss
        take_profit = order.take_profit
        if otype is OrderType.LIMIT and limit_price is None:
            return reject(ReasonCode.INVALID_PRICE, "missing", label=PriceLabel.LIMIT)
        if otype is OrderType.STOP and stop_price is None:
            return reject(ReasonCode.INVALID_PRICE, "missing", label=PriceLabel.STOP)
        if otype is OrderType.BRACKET:
            if stop_loss is None:
                return reject(ReasonCode.INVALID_PRICE, "missing", label=PriceLabel.STOP_LOSS)
            if take_profit is None:
                return reject(ReasonCode.INVALID_PRICE, "missing", label=PriceLabel.TAKE_PROFIT)
        priced = not (limit_price is None and stop_price is None and stop_loss is None and take_profit is None)
        prices = ((PriceLabel.LIMIT, limit_price), (PriceLabel.STOP, stop_price), (PriceLabel.STOP_LOSS, stop_loss),
                  (PriceLabel.TAKE_PROFIT, take_profit))
        if priced:
            for label, price in prices:
                if price is not None and (off_grid := self._grid(label, price, facts)) is not None:
                    return off_grid

        # 11. a market price to compare with
        last = ctx.last_prices.get(symbol)
        has_last = last is not None and last > 0.0 and last != math.inf
        if not has_last and (priced or not reducing):
            if ctx.price_pending:
                return reject(ReasonCode.NO_CURRENT_PRICE, symbol=symbol)
            return reject(ReasonCode.NO_MARKET_PRICE, symbol=symbol)

        if priced:
            # 12. price band
            assert last is not None  # priced orders need a market price (checked above)
            for label, price in prices:
                if price is not None and (outside := self._band_check(label, price, last)) is not None:
                    return outside
            # 13. protective prices on the right side of the entry
            if stop_loss is not None or take_profit is not None:
                entry = limit_price if limit_price is not None else stop_price if stop_price is not None else last
                rejection = _bracket_sides(side, entry, stop_loss, take_profit)
                if rejection is not None:
                    return rejection

        # 14-15. position limits, counting working orders
        pending = ctx.pending
        before = position + pending.get(symbol, 0)
        after = before + qty if side is Side.BUY else before - qty
        abs_before = before if before >= 0 else -before
        abs_after = after if after >= 0 else -after
        if abs_after > abs_before:
            if abs_after > self._max_symbol:
                return reject(
                    ReasonCode.POSITION_LIMIT_SYMBOL, symbol=symbol, resulting=abs_after, limit=self._max_symbol
                )
            total = abs_after - abs_before
            for sym, pos in ctx.positions.items():
                exposure = pos + pending.get(sym, 0)
                total += exposure if exposure >= 0 else -exposure
            for sym, pend in pending.items():
                if sym not in ctx.positions:
                    total += pend if pend >= 0 else -pend
            if total > self._max_total:
                return reject(ReasonCode.POSITION_LIMIT_TOTAL, resulting=total, limit=self._max_total)
        return None

    # ------------------------------------------------------------------ helpers
    def _learn(self, symbol: str) -> _Facts | None:
        """Look the instrument up once; unknown symbols are not cached (a typo must not grow the cache)."""
        try:
            instrument = self._lookup(symbol)
        except UnknownSymbolError:
            return None
        tick = float(instrument.tick_size)
        facts = _Facts(instrument.symbol, tick, 1.0 / tick)
        self._facts[symbol] = facts
        return facts

    def _throttle(self, now: datetime) -> Rejection | None:
        sent = self._sent
        if len(sent) < self._max_rate:
            return None  # cannot be full whatever the times: skip the timestamp arithmetic
        ts = _posix(now)
        start = bisect_right(sent, ts - _WINDOW_S)
        count = bisect_right(sent, ts) - start
        if count < self._max_rate:
            return None
        # The window frees a slot when the oldest order in it turns 60 s old.
        wait = max(1, math.ceil(sent[start] + _WINDOW_S - ts))
        return reject(ReasonCode.RATE_LIMIT, count=count, limit=self._max_rate, wait=wait)

    @staticmethod
    def _grid(label: PriceLabel, price: float, facts: _Facts) -> Rejection | None:
        # `not price > 0` also catches NaN; inf is not a price either.
        if not price > 0.0 or price == math.inf:
            return reject(ReasonCode.INVALID_PRICE, "not_positive", label=label, price=price)
        steps = price * facts.inv_tick
        if steps == math.inf:  # 1e308 is a finite float, but no price: its tick count overflows
            return reject(ReasonCode.INVALID_PRICE, "too_large", label=label, price=price)
        nearest = round(steps)
        if abs(steps - nearest) > _TICK_EPS * (steps if steps > 1.0 else 1.0):
            below = math.floor(steps) * facts.tick
            return reject(
                ReasonCode.INVALID_PRICE, "off_tick", label=label, price=price, tick=facts.tick,
                below=below, above=below + facts.tick,
            )
        return None

    def _band_check(self, label: PriceLabel, price: float, last: float) -> Rejection | None:
        distance = abs(price - last) / last
        if distance > self._band:
            return reject(
                ReasonCode.PRICE_BAND, label=label, price=price, last=last, distance=distance * 100.0,
                band=self._band_pct,
            )
        return None


def _bracket_sides(side: Side, entry: float, stop_loss: float | None, take_profit: float | None) -> Rejection | None:
    if side is Side.BUY:
        if stop_loss is not None and not stop_loss < entry:
            return reject(ReasonCode.INVALID_PRICE, "stop_loss_below", stop_loss=stop_loss, entry=entry)
        if take_profit is not None and not take_profit > entry:
            return reject(ReasonCode.INVALID_PRICE, "take_profit_above", take_profit=take_profit, entry=entry)
    else:
        if stop_loss is not None and not stop_loss > entry:
            return reject(ReasonCode.INVALID_PRICE, "stop_loss_above", stop_loss=stop_loss, entry=entry)
        if take_profit is not None and not take_profit < entry:
            return reject(ReasonCode.INVALID_PRICE, "take_profit_below", take_profit=take_profit, entry=entry)
    return None


def _posix(now: datetime) -> float:
    if now.tzinfo is None:
        raise ValueError(f"risk gate times must be timezone-aware UTC datetimes, got naive {now.isoformat()}")
    return now.timestamp()


__all__ = ["OrderIntent", "RiskContext", "RiskGate", "reduces_exposure"]
