"""The autopilot replay kernel: the engine's trading rules for one symbol's bars, with bracket exits.

It does what the live `Engine` + `Autopilot` do when driven bar by bar (open price, then the bar, then
`settle()`), without asyncio, events or SQLite, and only where something can happen. Prices arrive as
each bar's open then its close (stamped one minute later). At each price, in the engine's order:
1. the session rolls at 18:00 New York (realised P&L, commissions and the consecutive-loss count restart);
2. the paper broker's fills: a market order (entry or flatten) at this price plus/minus `slippage_ticks`;
   once the entry filled, from the next price on, the protective stop (a stop order: at the price that
   reaches it, with slippage) and the take profit (a limit: at the price that reaches it); one cancels
   the other. Commission per contract on every fill; P&L in integer ticks;
3. the daily loss check (realised + unrealised - commissions of the session at or below
   -daily_loss_limit): after the catastrophe reaction below, it halts and, with flatten_on_daily_loss,
   cancels the working orders and flattens at the next price;
4. after a fill, the catastrophe monitor (catastrophe.py): CRITICAL -> reduce-only, CATASTROPHE -> the
   kill switch (halt, cancel, flatten);
5. at a bar's close: on a new session the monitor re-measures; then the autopilot decides on the bar's
   candidate (decide.py; the real `RiskGate.check` for the bracket) unless it is off (halted); then the
   replay's rule: a halted or reduce-only engine resumes at the first close of a later session (a backtest
   starts each day afresh) and the autopilot is switched back on.
A stretch where the account is flat with nothing working is skipped to the next bar that can matter.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np

from trading_core import calendar as cme
from trading_core.autopilot.catastrophe import CatastropheMonitor
from trading_core.autopilot.decide import DecisionContext, decide, make_signal
from trading_core.autopilot.pipeline import Candidate
from trading_core.autopilot.types import AutopilotSignal, CatastropheLevel, LevelChange, SignalDecision
from trading_core.config import MiaConfig
from trading_core.instruments import Instrument, get_instrument
from trading_core.metrics import performance_metrics_cents
from trading_core.risk.gate import OrderIntent, RiskContext, RiskGate
from trading_core.types import OrderType, PerformanceMetrics, Rejection, Side, TradingState

_NS = 1_000_000_000
_CLOSE_NS = 60 * _NS


def _utc(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // _NS, timezone.utc) + timedelta(microseconds=(ns % _NS) // 1000)


def _cents(value: Decimal) -> int:
    return int((Decimal(value) * 100).to_integral_value(rounding="ROUND_CEILING"))


@dataclass(frozen=True, slots=True)
class KernelOrder:
    price_index: int
    ts: datetime
    side: Side
    quantity: int
    kind: str  # "bracket" (the autopilot's entry), "flatten" (risk / kill switch)
    source: str  # "autopilot", "risk", "kill_switch"
    rejection: Rejection | None
    stop_loss: float | None = None
    take_profit: float | None = None

    @property
    def accepted(self) -> bool:
        return self.rejection is None


@dataclass(frozen=True, slots=True)
class KernelFill:
    price_index: int
    ts: datetime
    side: Side
    quantity: int
    price: float
    commission: Decimal
    kind: str  # entry, stop_loss, take_profit, flatten


@dataclass(frozen=True, slots=True)
class KernelTrade:
    side: Side  # of the position
    quantity: int
    entry_price: float
    exit_price: float
    opened_ts: datetime
    closed_ts: datetime
    gross: Decimal
    commission: Decimal
    exit_kind: str

    @property
    def pnl(self) -> Decimal:
        return self.gross - self.commission


@dataclass
class KernelResult:
    symbol: str
    bars: int
    orders: list[KernelOrder]
    fills: list[KernelFill]
    trades: list[KernelTrade]
    levels: list[tuple[datetime, LevelChange]]
    halts: list[tuple[datetime, str]]  # (when, why: daily_loss / catastrophe)
    equity_cents: np.ndarray  # after each bar's close
    starting_balance: Decimal
    final_position: int
    stepped_prices: int
    _trade_cents: list[int] = field(default_factory=list, repr=False)
    # (candidate, decision, context, outcome, gate refusal, order id), turned into records on demand
    _signal_rows: list[tuple[Any, ...]] = field(default_factory=list, repr=False)
    _config: MiaConfig | None = field(default=None, repr=False)

    @cached_property
    def signals(self) -> list[AutopilotSignal]:
        """The signal records, exactly as the live autopilot writes them to the ledger."""
        assert self._config is not None
        return [make_signal(c, d, ctx, self._config, mode="auto", decision=outcome, reason=rej, order_id=oid)
                for c, d, ctx, outcome, rej, oid in self._signal_rows]

    @property
    def final_equity(self) -> Decimal:
        last = int(self.equity_cents[-1]) if len(self.equity_cents) else int(self.starting_balance * 100)
        return Decimal(last).scaleb(-2)

    @cached_property
    def metrics(self) -> PerformanceMetrics:
        return performance_metrics_cents(self._trade_cents, self.equity_cents, self.starting_balance)

    @property
    def net_pnl(self) -> Decimal:
        return self.final_equity - self.starting_balance

    def decisions(self) -> dict[str, int]:
        """Signals per decision and reason code, e.g. {"executed": 12, "refused:FILTER_REJECTED": 300}."""
        out: dict[str, int] = {}
        for _c, d, _ctx, outcome, rej, _oid in self._signal_rows:
            code = rej.code if rej is not None else (d.reason.value if d.reason is not None else None)
            key = outcome.value if code is None else f"{outcome.value}:{code}"
            out[key] = out.get(key, 0) + 1
        return out


class AutopilotKernel:
    def __init__(self, config: MiaConfig, instrument: Instrument) -> None:
        self.config = config
        self.instrument = instrument
        self.gate = RiskGate(config.risk, get_instrument)
        self.tick = float(instrument.tick_size)
        self.tv = _cents(instrument.tick_value)
        self.slip = int(config.paper.slippage_ticks)
        self.comm_c = _cents(config.paper.commission_per_contract)
        if Decimal(self.comm_c).scaleb(-2) != Decimal(config.paper.commission_per_contract):
            raise ValueError("paper.commission_per_contract must be a whole number of cents for a replay")
        self.L = _cents(config.risk.daily_loss_limit)
        self.start_c = _cents(config.account.starting_balance)

    def run(
        self,
        open_: np.ndarray,
        close: np.ndarray,
        ts_ns: np.ndarray,
        candidates: dict[int, Candidate],
        volatility_factor: Callable[[datetime], float] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> KernelResult:
        cfg = self.config
        sym = self.instrument.symbol
        n = len(close)
        P = 2 * n
        tick, tv, slip, comm_c, L = self.tick, self.tv, self.slip, self.comm_c, self.L
        px = np.empty(P, np.int64)
        px[0::2] = np.rint(np.asarray(open_, float) / tick).astype(np.int64)
        px[1::2] = np.rint(np.asarray(close, float) / tick).astype(np.int64)
        pts = np.empty(P, np.int64)
        pts[0::2] = ts_ns
        pts[1::2] = np.asarray(ts_ns, np.int64) + _CLOSE_NS
        sess = cme.session_dates(pts).astype(np.int64) if P else np.zeros(0, np.int64)
        sess_change = np.flatnonzero(np.diff(sess)) + 1
        cand_closes = np.array(sorted(2 * t + 1 for t in candidates), np.int64)
        enforce = bool(cfg.risk.enforce_trading_hours)
        flatten_on_loss = bool(cfg.risk.flatten_on_daily_loss)
        risk_pct = Decimal(cfg.risk.default_risk_percent)
        monitor = CatastropheMonitor(cfg.autopilot.catastrophe, Decimal(self.start_c).scaleb(-2))
        gate = self.gate
        ACTIVE, REDUCING, HALTED = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED

        signals: list[tuple[Any, ...]] = []
        REFUSED, EXECUTED = SignalDecision.REFUSED, SignalDecision.EXECUTED
        orders: list[KernelOrder] = []
        fills: list[KernelFill] = []
        trades: list[KernelTrade] = []
        trade_cents: list[int] = []
        levels: list[tuple[datetime, LevelChange]] = []
        halts: list[tuple[datetime, str]] = []
        fill_rows: list[tuple[int, int, int]] = []  # (price index, signed qty, cash flow cents) for equity

        # account state (ticks and cents)
        pos = 0
        entry_ticks = 0
        entry_p = 0
        entry_comm = 0
        realized = comm_total = 0
        sess_r = sess_c = 0
        cur_sess: int | None = None
        consec = 0
        state = ACTIVE
        pilot_on = True
        halted_session: int | None = None
        mon_sess: int | None = None
        # working orders
        parent: tuple[int, int, int, int, int] | None = None  # (sent at, sign, qty, stop ticks, target ticks)
        children: tuple[int, int, int, int] | None = None  # (active from, exit sign, stop ticks, target ticks)
        flat_order: tuple[int, int, int] | None = None  # (sent at, sign, qty)
        stepped = 0

        def now_of(p: int) -> datetime:
            return _utc(int(pts[p]))

        def unreal(x: int) -> int:
            return tv * (x - entry_ticks) * pos if pos else 0

        def context(p: int, x: int) -> RiskContext:
            cash = self.start_c + realized - comm_total
            u = unreal(x)
            now = now_of(p)
            pending = {sym: parent[1] * parent[2]} if parent is not None else {}
            return RiskContext(
                now=now, state=state, market_open=cme.is_market_open(now) if enforce else True,
                positions={sym: pos}, pending=pending, last_prices={sym: x * tick},
                equity=Decimal(cash + u).scaleb(-2), balance=Decimal(cash).scaleb(-2),
                pnl_today=Decimal(sess_r - sess_c + u).scaleb(-2), consecutive_losses=consec,
            )

        def fill(p: int, sign: int, qty: int, fticks: int, kind: str) -> None:
            nonlocal pos, entry_ticks, entry_p, entry_comm, realized, comm_total, sess_r, sess_c, consec
            c = comm_c * qty
            fills.append(KernelFill(p, now_of(p), Side.BUY if sign > 0 else Side.SELL, qty, fticks * tick,
                                    Decimal(c).scaleb(-2), kind))
            fill_rows.append((p, sign * qty, -sign * qty * fticks * tv - c))
            if pos == 0:
                pos, entry_ticks, entry_p, entry_comm = sign * qty, fticks, p, c
            else:  # a full close: the autopilot never adds to or partly closes its position
                psign = 1 if pos > 0 else -1
                gross = tv * (fticks - entry_ticks) * abs(pos) * psign
                tcomm = entry_comm + c
                net = gross - tcomm
                trades.append(KernelTrade(Side.BUY if psign > 0 else Side.SELL, abs(pos), entry_ticks * tick,
                                          fticks * tick, now_of(entry_p), now_of(p), Decimal(gross).scaleb(-2),
                                          Decimal(tcomm).scaleb(-2), kind))
                trade_cents.append(net)
                realized += gross
                sess_r += gross
                if net < 0:
                    consec += 1
                elif net > 0:
                    consec = 0
                pos = 0
            comm_total += c
            sess_c += c

        def send_flatten(p: int, x: int, source: str) -> None:
            nonlocal flat_order
            sign = -1 if pos > 0 else 1
            qty = abs(pos)
            intent = OrderIntent(sym, Side.BUY if sign > 0 else Side.SELL, qty, OrderType.MARKET)
            ctx = context(p, x)
            rej = gate.check(ctx, intent)
            orders.append(KernelOrder(p, ctx.now, intent.side, qty, "flatten", source, rej))
            if rej is None:
                gate.record(ctx.now)
                flat_order = (p, sign, qty)

        def cancel_all() -> None:
            nonlocal parent, children, flat_order
            parent = children = flat_order = None

        def halt(p: int, x: int, why: str, flatten: bool, source: str) -> None:
            nonlocal state, pilot_on
            state = HALTED
            pilot_on = False
            halts.append((now_of(p), why))
            if flatten:
                cancel_all()
                if pos != 0:
                    send_flatten(p, x, source)

        def check_level(p: int, x: int) -> None:
            nonlocal state
            change = monitor.evaluate(Decimal(sess_r - sess_c).scaleb(-2), consec,
                                      Decimal(self.start_c + realized - comm_total).scaleb(-2))
            if change is None:
                return
            levels.append((now_of(p), change))
            if change.action == "reduce_only" and state is ACTIVE:
                state = REDUCING
            elif change.action == "halt_and_flatten" and state is not HALTED:
                halt(p, x, "catastrophe", True, "kill_switch")

        def decide_at(p: int, x: int, bar: int) -> None:
            nonlocal parent
            c = candidates[bar]
            ctx = DecisionContext(
                equity=Decimal(self.start_c + realized - comm_total + unreal(x)).scaleb(-2),
                in_trade=pos != 0 or parent is not None or children is not None or flat_order is not None,
                risk_percent=risk_pct, level=monitor.level, level_factor=monitor.size_factor,
                volatility_factor=volatility_factor(c.bar_ts) if volatility_factor is not None else 1.0,
            )
            d = decide(c, ctx, cfg, self.instrument)
            if not d.sized:
                signals.append((c, d, ctx, REFUSED, None, None))
                return
            side = Side.BUY if c.side > 0 else Side.SELL
            intent = OrderIntent(sym, side, d.quantity, OrderType.BRACKET, stop_loss=d.stop_loss, take_profit=d.take_profit)
            rctx = context(p, x)
            rej = gate.check(rctx, intent)
            orders.append(KernelOrder(p, rctx.now, side, d.quantity, "bracket", "autopilot", rej, d.stop_loss,
                                      d.take_profit))
            if rej is not None:
                signals.append((c, d, ctx, REFUSED, rej, None))
                return
            gate.record(rctx.now)
            parent = (p, c.side, d.quantity, int(round(d.stop_loss / tick)), int(round(d.take_profit / tick)))
            signals.append((c, d, ctx, EXECUTED, None, f"K-{len(orders)}"))

        def next_close_after_session(p: int, session: int | None) -> int:
            """First close index >= p whose session differs from `session` (P if none)."""
            k = int(np.searchsorted(sess_change, p, side="right"))
            q = p
            while True:
                if session is None or sess[q] != session:
                    return q | 1 if q | 1 < P else P
                if k >= sess_change.size:
                    return P
                q = int(sess_change[k])
                k += 1

        reported = 0
        step_report = max(P // 100, 1)
        p = 0
        while p < P:
            idle = pos == 0 and parent is None and children is None and flat_order is None
            if idle:
                targets = []
                if pilot_on:
                    k = int(np.searchsorted(cand_closes, p))
                    if k < cand_closes.size:
                        targets.append(int(cand_closes[k]))
                if state is not ACTIVE:
                    # the replay's resume rule looks at every close: the first one notes the session
                    targets.append(p | 1 if halted_session is None else next_close_after_session(p, halted_session))
                if monitor.level is not CatastropheLevel.INFO and mon_sess is not None:
                    targets.append(next_close_after_session(p, mon_sess))
                q = min(targets) if targets else P
                if q > p:
                    p = q
                    if progress is not None and p - reported >= step_report:
                        progress((min(p, P) >> 1) - (reported >> 1))
                        reported = p
                    if p >= P:
                        break
            # ------------------------------------------------------------------ one price
            stepped += 1
            x = int(px[p])
            s = int(sess[p])
            if s != cur_sess:
                if cur_sess is not None:
                    consec = 0
                cur_sess = s
                sess_r = sess_c = 0
            filled = False
            if parent is not None and parent[0] < p:
                _, sign, qty, stop_t, tgt_t = parent
                parent = None
                fill(p, sign, qty, x + sign * slip, "entry")
                children = (p + 1, -sign, stop_t, tgt_t)
                filled = True
            elif children is not None and children[0] <= p:
                _, esign, stop_t, tgt_t = children
                if (x <= stop_t) if esign < 0 else (x >= stop_t):
                    children = None
                    fill(p, esign, abs(pos), x + esign * slip, "stop_loss")
                    filled = True
                elif (x >= tgt_t) if esign < 0 else (x <= tgt_t):
                    children = None
                    fill(p, esign, abs(pos), x, "take_profit")
                    filled = True
            if flat_order is not None and flat_order[0] < p:
                _, sign, qty = flat_order
                flat_order = None
                children = None
                fill(p, sign, qty, x + sign * slip, "flatten")
                filled = True
            # the engine's daily loss check, decided now, acted on after the fill reactions
            exposure = pos != 0 or parent is not None or children is not None or flat_order is not None
            breach = False
            if not (state is HALTED and not exposure):
                if sess_r - sess_c + unreal(x) <= -L and not (state is HALTED and not flatten_on_loss):
                    breach = True
            if filled:
                check_level(p, x)
            if breach:
                was_active = state is not HALTED
                if was_active:
                    halts.append((now_of(p), "daily_loss"))
                state = HALTED
                pilot_on = False
                if flatten_on_loss:
                    cancel_all()
                    if pos != 0:
                        send_flatten(p, x, "risk")
            if p & 1:
                bar = p >> 1
                if mon_sess != s:
                    first = mon_sess is None
                    mon_sess = s
                    if not first:
                        check_level(p, x)
                if pilot_on and bar in candidates:
                    decide_at(p, x, bar)
                if state is not ACTIVE:
                    if halted_session is None:
                        halted_session = s
                    elif s != halted_session:
                        state = ACTIVE
                        consec = 0
                        halted_session = None
                        monitor.restart_peak(Decimal(self.start_c + realized - comm_total).scaleb(-2))
                        check_level(p, x)
                        pilot_on = state is not HALTED
            p += 1
            if progress is not None and p - reported >= step_report:
                progress((p >> 1) - (reported >> 1))
                reported = p
        if progress is not None and (P >> 1) > (reported >> 1):
            progress((P >> 1) - (reported >> 1))

        return KernelResult(
            symbol=sym, bars=n, orders=orders, fills=fills, trades=trades, levels=levels,
            halts=halts, equity_cents=self._equity(px, fill_rows, P), starting_balance=Decimal(self.start_c).scaleb(-2),
            final_position=pos, stepped_prices=stepped, _trade_cents=trade_cents, _signal_rows=signals,
            _config=cfg,
        )

    def _equity(self, px: np.ndarray, fill_rows: list[tuple[int, int, int]], P: int) -> np.ndarray:
        if not fill_rows:
            return np.full(P // 2, self.start_c, np.int64)
        f = np.asarray(fill_rows, np.int64)
        dpos = np.zeros(P, np.int64)
        dcash = np.zeros(P, np.int64)
        np.add.at(dpos, f[:, 0], f[:, 1])
        np.add.at(dcash, f[:, 0], f[:, 2])
        return (self.start_c + np.cumsum(dcash) + np.cumsum(dpos) * px * self.tv)[1::2]


def lost_money(result: KernelResult) -> bool:
    """True when the replay ended below its starting balance (after commissions and slippage)."""
    return result.final_equity < result.starting_balance


__all__ = ["AutopilotKernel", "KernelResult", "lost_money"]
