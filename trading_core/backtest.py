"""The replay kernel: the engine's trading rules applied to a whole bar file at array speed.

`mia replay` runs here. It is the same trading as stepping the live `Engine` bar by bar
(`replay.replay_frame`, kept as the reference; the tests check both give the same orders, fills,
rejections, halts and P&L), without the per-order costs of a live engine (asyncio, events, SQLite):

- Prices arrive as each bar's open, then its close (stamped one minute later), as in the engine.
- At each price, in this order: the trading session rolls at 18:00 New York; a working market order
  fills at that price plus/minus `slippage_ticks` and pays `commission_per_contract` per contract
  (the PaperBroker's rule); the fill is booked FIFO in integer ticks (the Portfolio's rule, so P&L
  is exact cents); then the daily loss check: realised + unrealised - commissions of the session at
  or below -daily_loss_limit halts trading and, with `flatten_on_daily_loss`, sends a market order
  that closes the position at the next price.
- After each close: a halted replay resumes when a new session has started (a backtest starts
  each trading day afresh); then the strategy's target position, decided at that close, becomes a
  market order, which passes the real `RiskGate.check` (same context fields as the engine builds)
  and fills at the next open. A refused order is retried at the next close, as the engine replay does.

Speed: per-price work happens only where something can happen (a fill, a target change, a halted
session, a possible loss-limit breach). A stretch where the position is constant is skipped after
one range minimum/maximum query over its prices proves the loss limit cannot be crossed inside it
(a sparse table built once). The equity curve is then marked to market vectorised at every close.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from functools import cached_property

import numpy as np

from trading_core import calendar as cme
from trading_core.config import MiaConfig
from trading_core.instruments import Instrument
from trading_core.metrics import performance_metrics_cents
from trading_core.portfolio import ClosedTrade
from trading_core.risk.gate import OrderIntent, RiskContext, RiskGate
from trading_core.types import Fill, OrderType, PerformanceMetrics, Rejection, Side, TradingState

_NS = 1_000_000_000
_CLOSE_NS = 60 * _NS  # a bar's close is stamped one minute after its open, as Engine.on_bar does
_GRID_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class BacktestOrder:
    """One order the kernel sent to the risk gate (accepted or refused)."""

    order_id: str
    price_index: int  # position in the open/close price stream (2*bar = open, 2*bar+1 = close)
    ts: datetime
    side: Side
    quantity: int
    source: str  # "strategy" or "risk" (the flatten after a daily loss breach)
    rejection: Rejection | None

    @property
    def accepted(self) -> bool:
        return self.rejection is None


@dataclass(frozen=True, slots=True)
class Halt:
    """A daily-loss halt: where it happened, the session P&L that triggered it, and the resume."""

    price_index: int
    ts: datetime
    pnl: Decimal
    resumed_index: int | None = None


@dataclass
class BacktestResult:
    symbol: str
    bars: int
    order_count: int
    rejected: int
    halts: list[Halt]
    equity_cents: np.ndarray  # equity at each bar's close, in cents
    starting_balance: Decimal
    final_position: int
    final_state: TradingState
    stepped_prices: int  # prices handled one by one (the others were skipped as a block)
    # raw rows kept by the hot loop; the typed views below are built on demand
    _orders: list[tuple[int, datetime, int, int, str, Rejection | None]] = field(repr=False, default_factory=list)
    _fills: list[tuple[int, int, int, int, int, int]] = field(repr=False, default_factory=list)
    _trade_rows: list[tuple[int, int, int, int, int, int, int, int, int]] = field(repr=False, default_factory=list)
    _trade_cents: list[int] = field(repr=False, default_factory=list)
    _price_ts: np.ndarray | None = field(repr=False, default=None)
    _tick: float = field(repr=False, default=0.25)

    def _ts(self, p: int) -> datetime:
        assert self._price_ts is not None
        return _utc(int(self._price_ts[p]))

    @cached_property
    def orders(self) -> list[BacktestOrder]:
        return [
            BacktestOrder(f"R-{k + 1}", p, now, Side.BUY if sign > 0 else Side.SELL, qty, source, rejection)
            for k, (p, now, sign, qty, source, rejection) in enumerate(self._orders)
        ]

    @cached_property
    def trades(self) -> list[ClosedTrade]:
        """Closed trades as the Portfolio books them (built on demand)."""
        out = []
        tick = self._tick
        for pos_sign, qty, entry_ticks, exit_ticks, opened_p, closed_p, gross, comm, pnl_ticks in self._trade_rows:
            g, c = Decimal(gross).scaleb(-2), Decimal(comm).scaleb(-2)
            out.append(ClosedTrade(
                symbol=self.symbol, side=Side.BUY if pos_sign > 0 else Side.SELL, quantity=qty,
                entry_price=entry_ticks / qty * tick, exit_price=exit_ticks * tick, pnl=g - c,
                opened_ts=self._ts(opened_p), closed_ts=self._ts(closed_p),
                gross_pnl=g, commission=c, pnl_ticks=pnl_ticks,
            ))
        return out

    @cached_property
    def fills(self) -> list[Fill]:
        """Fills as the paper broker reports them (built on demand: a replay only needs the totals)."""
        out = []
        for order_no, p, sign, qty, ticks, comm in self._fills:
            oid = f"R-{order_no + 1}"
            out.append(Fill(
                fill_id=f"{oid}-F1", order_id=oid, symbol=self.symbol,
                side=Side.BUY if sign > 0 else Side.SELL, quantity=qty, price=ticks * self._tick,
                commission=Decimal(comm).scaleb(-2), ts=self._ts(p),
            ))
        return out

    @property
    def final_equity(self) -> Decimal:
        last = int(self.equity_cents[-1]) if len(self.equity_cents) else int(self.starting_balance * 100)
        return Decimal(last).scaleb(-2)

    @cached_property
    def metrics(self) -> PerformanceMetrics:
        return performance_metrics_cents(self._trade_cents, self.equity_cents, self.starting_balance)


def _utc(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / _NS, timezone.utc) if ns % _NS else datetime.fromtimestamp(ns // _NS, timezone.utc)


def _cents(value: Decimal) -> int:
    """Whole cents, exactly (a config money value with fractions of a cent is rounded up)."""
    return int((Decimal(value) * 100).to_integral_value(rounding="ROUND_CEILING"))


class _RangeExtremes:
    """Range minimum / maximum over a fixed int array in O(1) per query (sparse tables, levels
    built on first need: a replay whose stretches are short never builds the long levels)."""

    def __init__(self, values: np.ndarray) -> None:
        self._min = [values]
        self._max = [values]

    def _level(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        while len(self._min) <= k:
            j = len(self._min)
            half = 1 << (j - 1)
            lo, hi = self._min[-1], self._max[-1]
            self._min.append(np.minimum(lo[:-half], lo[half:]))
            self._max.append(np.maximum(hi[:-half], hi[half:]))
        return self._min[k], self._max[k]

    def min_max(self, a: int, b: int) -> tuple[int, int]:
        """min and max of values[a:b] (b > a)."""
        k = (b - a).bit_length() - 1
        lo, hi = self._level(k)
        j = b - (1 << k)
        x, y = lo[a], lo[j]
        u, v = hi[a], hi[j]
        return int(x if x < y else y), int(u if u > v else v)


class BacktestKernel:
    """Runs one symbol's bars and a strategy's target positions through the risk gate and the
    paper broker's fill rule. Build one per replay (it keeps the rate throttle's history)."""

    def __init__(self, config: MiaConfig, instrument: Instrument, instrument_lookup: Callable[[str], Instrument]) -> None:
        self.config = config
        self.instrument = instrument
        self.gate = RiskGate(config.risk, instrument_lookup)
        self.slippage = int(config.paper.slippage_ticks)
        self.commission_cents = _cents(config.paper.commission_per_contract)
        if Decimal(self.commission_cents).scaleb(-2) != Decimal(config.paper.commission_per_contract):
            raise ValueError("paper.commission_per_contract must be a whole number of cents for a replay")
        self.tick = float(instrument.tick_size)
        self.tick_value_cents = _cents(instrument.tick_value)
        self.loss_limit_cents = _cents(config.risk.daily_loss_limit)
        self.flatten_on_loss = bool(config.risk.flatten_on_daily_loss)
        self.enforce_hours = bool(config.risk.enforce_trading_hours)
        self.starting_balance = Decimal(config.account.starting_balance)

    def _ticks(self, prices: np.ndarray, what: str) -> np.ndarray:
        scaled = prices / self.tick
        ticks = np.rint(scaled)
        if len(prices) and (not np.isfinite(scaled).all() or np.abs(scaled - ticks).max() > _GRID_TOLERANCE or ticks.min() <= 0):
            raise ValueError(f"{what} prices must be positive multiples of the tick {self.tick}")
        return ticks.astype(np.int64)

    def run(
        self,
        open_: np.ndarray,
        close: np.ndarray,
        ts_ns: np.ndarray,
        target: np.ndarray,
        progress: Callable[[int], None] | None = None,
    ) -> BacktestResult:
        """`ts_ns`: each bar's open time, UTC nanoseconds. `target[i]`: signed position wanted at
        bar i's close (no look-ahead: built from data up to bar i)."""
        n = len(close)
        if not (len(open_) == len(ts_ns) == len(target) == n):
            raise ValueError("open, close, times and targets must have the same length")
        symbol = self.instrument.symbol
        P = 2 * n
        px = np.empty(P, np.int64)
        px[0::2] = self._ticks(np.asarray(open_, float), "open")
        px[1::2] = self._ticks(np.asarray(close, float), "close")
        ts = np.asarray(ts_ns, np.int64)
        pts = np.empty(P, np.int64)
        pts[0::2] = ts
        pts[1::2] = ts + _CLOSE_NS
        sess_days = cme.session_dates(pts).astype(np.int64) if P else np.zeros(0, np.int64)
        sess_change = (np.flatnonzero(np.diff(sess_days)) + 1).tolist()  # price indexes where a session starts
        tgt = np.asarray(target, np.int64)
        if n and np.abs(tgt).max() > 10**9:
            raise ValueError("target positions out of range")
        tchange = np.flatnonzero(np.diff(tgt, prepend=0) != 0).tolist()  # bars where the target changes
        extremes = _RangeExtremes(px)

        # Hot-loop locals: scalar reads through .item() give plain ints (fast arithmetic).
        px_at = px.item
        sess_at = sess_days.item
        ts_at = pts.item
        tgt_at = tgt.item
        tick = self.tick
        tv = self.tick_value_cents
        slip = self.slippage
        comm_c = self.commission_cents
        L = self.loss_limit_cents
        flatten = self.flatten_on_loss
        enforce_hours = self.enforce_hours
        gate_check = self.gate.check
        gate_record = self.gate.record
        start_c = _cents(self.starting_balance)
        ACTIVE, HALTED = TradingState.ACTIVE, TradingState.HALTED

        ctx = RiskContext(
            now=_utc(ts_at(0)) if P else datetime.now(timezone.utc), state=ACTIVE,
            market_open=True, positions={symbol: 0}, pending={}, last_prices={symbol: 0.0},
            equity=self.starting_balance, balance=self.starting_balance, pnl_today=Decimal(0), consecutive_losses=0,
        )
        positions, last_prices = ctx.positions, ctx.last_prices
        intents: dict[tuple[int, int], OrderIntent] = {}
        orders: list[tuple[int, datetime, int, int, str, Rejection | None]] = []
        fills: list[tuple[int, int, int, int, int, int]] = []
        trade_rows: list[tuple[int, int, int, int, int, int, int, int, int]] = []
        trade_cents: list[int] = []
        halts: list[Halt] = []
        rejected = 0

        # account state, all integers: ticks and cents
        pos = 0
        lots: deque[list[int]] = deque()  # [qty, entry ticks, price index of the fill], oldest first
        cost = 0  # sum of lot ticks * lot qty (unsigned)
        realized_total = comm_total = 0  # gross realised and commissions since the start, cents
        sess_r = sess_c = 0  # the same for the current session
        cur_sess = None
        consec = 0
        active = True
        halted_session = None
        working: tuple[int, int, int] | None = None  # (order number, sign, qty) filling at the next price
        stepped = 0
        step_report = max(P // 100, 1)
        reported = 0
        sc_ptr = tc_ptr = 0
        n_sc, n_tc = len(sess_change), len(tchange)
        halt_open: int | None = None  # the halt not yet resumed (index into halts)

        def send(p: int, x: int, sign: int, qty: int, source: str) -> tuple[int, int, int] | None:
            """The risk gate, with the context the engine would build at this price; the working
            order when accepted."""
            nonlocal rejected
            now = _utc(ts_at(p))
            unreal = tv * (pos * x - (cost if pos > 0 else -cost)) if pos else 0
            bal = start_c + realized_total - comm_total
            ctx.now = now
            ctx.state = ACTIVE if active else HALTED
            if enforce_hours:
                ctx.market_open = cme.is_market_open(now)
            positions[symbol] = pos
            last_prices[symbol] = x * tick
            ctx.balance = Decimal(bal).scaleb(-2)
            ctx.equity = Decimal(bal + unreal).scaleb(-2)
            ctx.pnl_today = Decimal(sess_r - sess_c + unreal).scaleb(-2)
            ctx.consecutive_losses = consec
            intent = intents.get((sign, qty))
            if intent is None:
                side = Side.BUY if sign > 0 else Side.SELL
                intent = intents[(sign, qty)] = OrderIntent(symbol, side, qty, OrderType.MARKET)
            rejection = gate_check(ctx, intent)
            orders.append((p, now, sign, qty, source, rejection))
            if rejection is None:
                gate_record(now)
                return (len(orders) - 1, sign, qty)
            rejected += 1
            return None

        p = 0
        while p < P:
            if working is None:
                # ---------------------------------------------------------- skip a quiet stretch
                bar = p >> 1
                if active:
                    if tgt_at(bar) != pos:
                        e = p | 1  # this bar's close sends an order
                    else:
                        while tc_ptr < n_tc and tchange[tc_ptr] <= bar:
                            tc_ptr += 1
                        e = 2 * tchange[tc_ptr] + 1 if tc_ptr < n_tc else P
                    if e >= P - 1:
                        e = P  # the last bar's close sends nothing
                elif pos != 0 or halted_session is None or sess_at(p) != halted_session:
                    e = p | 1  # this bar's close acts (flatten, note the halt, or resume)
                else:
                    while sc_ptr < n_sc and sess_change[sc_ptr] <= p:
                        sc_ptr += 1
                    e = sess_change[sc_ptr] | 1 if sc_ptr < n_sc else P  # first close of the next session
                if pos != 0 and e > p and (active or flatten):
                    # The daily loss check at every price of [p, e); the first breach ends the stretch.
                    # P&L at price x: base + tv * (pos * x - signed cost), base = the session's realised
                    # minus commissions (0 once a new session starts inside the stretch).
                    scost = cost if pos > 0 else -cost
                    a = p
                    while a < e:
                        k = bisect_right(sess_change, a)
                        z = sess_change[k] if k < n_sc and sess_change[k] < e else e
                        base = sess_r - sess_c if sess_at(a) == cur_sess else 0
                        num = tv * scost - L - base
                        lo, hi = extremes.min_max(a, z)
                        if pos > 0:
                            thr = num // (tv * pos)  # breach when x <= thr
                            if lo <= thr:
                                e = a + int(np.argmax(px[a:z] <= thr))
                                break
                        else:
                            thr = -((-num) // (tv * pos))  # breach when x >= thr (pos < 0)
                            if hi >= thr:
                                e = a + int(np.argmax(px[a:z] >= thr))
                                break
                        a = z
                if e > p:
                    last_sess = sess_at(e - 1)
                    if last_sess != cur_sess:
                        if cur_sess is not None:
                            consec = 0  # the engine starts the consecutive-loss count again each session
                        cur_sess = last_sess
                        sess_r = sess_c = 0
                    p = e
                    if progress is not None and p - reported >= step_report:
                        progress((p >> 1) - (reported >> 1))
                        reported = p
                    if p >= P:
                        break
            # -------------------------------------------------------------- one price, in full
            stepped += 1
            x = px_at(p)
            s = sess_at(p)
            if s != cur_sess:
                if cur_sess is not None:
                    consec = 0
                cur_sess = s
                sess_r = sess_c = 0
            if working is not None:
                # the paper broker's fill: next price, slippage against us, commission per contract
                number, sign, qty = working
                working = None
                fill_ticks = x + sign * slip
                comm = comm_c * qty
                fills.append((number, p, sign, qty, fill_ticks, comm))
                remaining = qty
                if pos != 0 and (pos > 0) != (sign > 0):
                    # reducing, maybe flipping: close the oldest lots first (FIFO, as the Portfolio)
                    pos_sign = 1 if pos > 0 else -1
                    to_close = qty if qty < pos * pos_sign else pos * pos_sign
                    left = to_close
                    pnl_ticks = entry_ticks = 0
                    opened_p = lots[0][2]
                    while left:
                        lot = lots[0]
                        take = lot[0] if lot[0] <= left else left
                        pnl_ticks += (fill_ticks - lot[1]) * take * pos_sign
                        entry_ticks += lot[1] * take
                        lot[0] -= take
                        left -= take
                        if lot[0] == 0:
                            lots.popleft()
                    pos -= pos_sign * to_close
                    cost -= entry_ticks
                    remaining -= to_close
                    gross = tv * pnl_ticks
                    trade_comm = 2 * comm_c * to_close  # entry and exit shares: commission is per contract
                    net = gross - trade_comm
                    trade_cents.append(net)
                    trade_rows.append((pos_sign, to_close, entry_ticks, fill_ticks, opened_p, p, gross, trade_comm, pnl_ticks))
                    realized_total += gross
                    sess_r += gross
                    if net < 0:
                        consec += 1
                    elif net > 0:
                        consec = 0
                if remaining:
                    lots.append([remaining, fill_ticks, p])
                    pos += sign * remaining
                    cost += fill_ticks * remaining
                comm_total += comm
                sess_c += comm
            if pos != 0 or active:
                # the engine's daily loss check (nothing to do when halted and flat)
                unreal = tv * (pos * x - (cost if pos > 0 else -cost)) if pos else 0
                pnl = sess_r - sess_c + unreal
                if pnl <= -L and (active or flatten):
                    if active:
                        active = False
                        halts.append(Halt(p, _utc(ts_at(p)), Decimal(pnl).scaleb(-2)))
                        halt_open = len(halts) - 1
                    if flatten and pos != 0:
                        working = send(p, x, -1 if pos > 0 else 1, abs(pos), "risk")
            if p & 1:
                # after a close: the replay's own logic (resume after a halted session, then the strategy)
                bar = p >> 1
                if not active:
                    if halted_session is None:
                        halted_session = cur_sess
                    elif cur_sess != halted_session:
                        active = True  # the replay resumes, as Engine.resume (which also resets the count)
                        halted_session = None
                        consec = 0
                        if halt_open is not None:
                            h = halts[halt_open]
                            halts[halt_open] = Halt(h.price_index, h.ts, h.pnl, p)
                            halt_open = None
                if working is None and bar + 1 < n:
                    wanted = tgt_at(bar) if active else 0
                    if wanted != pos:
                        delta = wanted - pos
                        working = send(p, x, 1 if delta > 0 else -1, abs(delta), "strategy")
            p += 1
            if progress is not None and p - reported >= step_report:
                progress((p >> 1) - (reported >> 1))
                reported = p
        if progress is not None and (P >> 1) > (reported >> 1):
            progress((P >> 1) - (reported >> 1))

        return BacktestResult(
            symbol=symbol, bars=n, order_count=len(orders), rejected=rejected, halts=halts,
            equity_cents=self._equity_at_closes(px, fills, start_c, P), starting_balance=self.starting_balance,
            final_position=pos, final_state=ACTIVE if active else HALTED, stepped_prices=stepped,
            _orders=orders, _fills=fills, _trade_rows=trade_rows, _trade_cents=trade_cents, _price_ts=pts, _tick=tick,
        )

    def _equity_at_closes(self, px: np.ndarray, fills: list[tuple[int, int, int, int, int, int]], start_c: int, P: int) -> np.ndarray:
        """Equity in cents after each bar's close: cash + position marked at the close."""
        tv = self.tick_value_cents
        if not fills:
            return np.full(P // 2, start_c, np.int64)
        f = np.asarray(fills, np.int64)
        idx, signed = f[:, 1], f[:, 2] * f[:, 3]
        flows = -signed * f[:, 4] * tv - f[:, 5]
        dpos = np.zeros(P, np.int64)
        dcash = np.zeros(P, np.int64)
        np.add.at(dpos, idx, signed)
        np.add.at(dcash, idx, flows)
        position = np.cumsum(dpos)
        cash = np.cumsum(dcash)
        return (start_c + cash + position * px * tv)[1::2]
