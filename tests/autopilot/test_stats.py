"""The autopilot's session figures from the ledger: decisions and reasons, each executed signal's result,
and the session's P&L split between the autopilot and the trader (whoever opened the trade owns it)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from trading_core.autopilot.stats import MANUAL, attribute, ledger_stats
from trading_core.autopilot.types import AutopilotSignal, SignalDecision, SignalScores
from trading_core.instruments import get_instrument
from trading_core.ledger import Ledger
from trading_core.portfolio import Portfolio
from trading_core.types import Fill, Order, OrderStatus, OrderType, Side

T0 = datetime(2025, 4, 22, 14, 0, tzinfo=timezone.utc)  # CME session of 2025-04-22
DAY = date(2025, 4, 22)
BAL = Decimal(100_000)
SCORES = SignalScores(0.4, 0.8, {}, 0.3, {}, 0.64, {}, 0.6, "none", False, None, None, None, {}, "neutral", 1.0,
                      2.0, 4.0, 2.0, 0.1, 0.005, "INFO", 1.0, 1.0)


# A refusal's parameters, as the autopilot gives them (the reason is data: code and figures).
REASON_PARAMS: dict[str, dict[str, object]] = {
    "FILTER_REJECTED": {"probability": 0.41, "threshold": 0.6}, "SIZE_ZERO": {"risk_percent": 1.0, "stop_points": 4.0},
    "IN_TRADE": {"symbol": "ES"}, "DECLINED": {}, "EXPIRED_TIMEOUT": {}, "EXPIRED_RESTART": {},
}


def signal(sid: str, minute: int, decision: SignalDecision, code: str | None = None, order_id: str | None = None,
           side: Side = Side.BUY, qty: int = 1) -> AutopilotSignal:
    from trading_core.risk.reasons import reject

    ts = T0 + timedelta(minutes=minute)
    reason = reject(code, **REASON_PARAMS[code]) if code else None
    return AutopilotSignal(sid, ts, ts - timedelta(minutes=1), "ES", side, qty, 5000.0, 4996.0, 5008.0, decision,
                           reason, "propose", SCORES, order_id=order_id)


class Book:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger, self.n = ledger, 0

    def order(self, cid: str, side: Side, qty: int, parent: str | None = None, source: str = "cli") -> str:
        self.n += 1
        oid = f"O-{self.n}"
        self.ledger.insert_order(Order(oid, cid, "ES", side, qty, OrderType.MARKET, OrderStatus.FILLED, T0,
                                       parent_id=parent, source=source))
        return oid

    def fill(self, oid: str, side: Side, qty: int, price: float, minute: int) -> None:
        self.n += 1
        order = self.ledger.get_order(oid)
        assert order is not None
        self.ledger.record_fill(Fill(f"F-{self.n}", oid, "ES", side, qty, price, Decimal("2.00") * qty,
                                     T0 + timedelta(minutes=minute)), order)


def test_decisions_reasons_results_and_the_pnl_split(tmp_path):
    led = Ledger(tmp_path / "l.sqlite3")
    b = Book(led)
    # autopilot signal A: long 2, its take profit fills +8 points
    a = b.order("ap-A", Side.BUY, 2, source="autopilot")
    a_tp = b.order("ap-A-tp", Side.SELL, 2, parent=a, source="autopilot")
    b.fill(a, Side.BUY, 2, 5000.0, 1)
    b.fill(a_tp, Side.SELL, 2, 5008.0, 5)
    # a manual trade: long 1, out 2 points lower
    m = b.order("cli-1", Side.BUY, 1)
    b.fill(m, Side.BUY, 1, 5010.0, 10)
    m_out = b.order("cli-2", Side.SELL, 1)
    b.fill(m_out, Side.SELL, 1, 5008.0, 12)
    # autopilot signal B: long 1, closed by the trader's close (still the autopilot's trade), -4 points
    bb = b.order("ap-B", Side.BUY, 1, source="autopilot")
    b.fill(bb, Side.BUY, 1, 5010.0, 20)
    # the trader buys 1 more, then one sell of 2 closes both: first in (the autopilot's) first out
    m2 = b.order("cli-3", Side.BUY, 1)
    b.fill(m2, Side.BUY, 1, 5011.0, 21)
    flat = b.order("close-x", Side.SELL, 2)
    b.fill(flat, Side.SELL, 2, 5006.0, 25)
    for s in (
        signal("A", 1, SignalDecision.EXECUTED, order_id=a, qty=2),
        signal("B", 20, SignalDecision.EXECUTED, order_id=bb),
        signal("R1", 30, SignalDecision.REFUSED, "FILTER_REJECTED"),
        signal("R2", 31, SignalDecision.REFUSED, "FILTER_REJECTED"),
        signal("R3", 32, SignalDecision.REFUSED, "SIZE_ZERO"),
        signal("X1", 33, SignalDecision.EXPIRED, "DECLINED"),
        signal("P1", 34, SignalDecision.PROPOSED),
        signal("OLD", -60 * 24, SignalDecision.REFUSED, "IN_TRADE"),  # the previous session: not counted
    ):
        led.record_signal(s)

    st = ledger_stats(led, get_instrument, BAL, DAY)
    assert (st.signals, st.executed, st.refused, st.expired, st.proposed) == (7, 2, 3, 1, 1)
    assert [(r.decision, r.code, r.count) for r in st.reasons] == [
        (SignalDecision.REFUSED, "FILTER_REJECTED", 2), (SignalDecision.EXPIRED, "DECLINED", 1),
        (SignalDecision.REFUSED, "SIZE_ZERO", 1)]
    # A: 2 x 8 points x $50 - 4 x $2 commissions; B: -4 points x $50 - $2 - $2
    assert st.best is not None and st.best.signal.signal_id == "A" and st.best.pnl == Decimal(792)
    assert st.worst is not None and st.worst.signal.signal_id == "B" and st.worst.pnl == Decimal(-204)
    assert all(r.closed for r in st.results)
    assert (st.autopilot.trades, st.autopilot.wins, st.autopilot.losses) == (2, 1, 1)
    assert st.autopilot.net_pnl == Decimal(588)
    # manual: -2 points -$4, then the second lot -5 points -$4
    assert (st.manual.trades, st.manual.net_pnl) == (2, Decimal(-104 - 254))
    everything = Portfolio.rebuild(led.fills(), get_instrument, BAL)
    assert st.autopilot.net_pnl + st.manual.net_pnl == sum(t.pnl for t in everything.closed_trades)
    led.close()


def test_an_empty_session_and_an_open_autopilot_trade(tmp_path):
    led = Ledger(tmp_path / "l.sqlite3")
    st = ledger_stats(led, get_instrument, BAL, DAY)
    assert st.empty and st.best is None and st.reasons == () and st.manual.trades == 0
    b = Book(led)
    a = b.order("ap-A", Side.SELL, 1, source="autopilot")
    b.fill(a, Side.SELL, 1, 5000.0, 1)
    led.record_signal(signal("A", 1, SignalDecision.EXECUTED, order_id=a, side=Side.SELL))
    st = ledger_stats(led, get_instrument, BAL, DAY)
    (res,) = st.results
    assert not res.closed and res.pnl == 0 and st.best is None and st.autopilot.trades == 0
    led.close()


def test_a_reversing_fill_opens_the_rest_for_its_own_origin():
    fills = [Fill("1", "a", "ES", Side.BUY, 1, 5000.0, Decimal(2), T0),
             Fill("2", "m", "ES", Side.SELL, 3, 5004.0, Decimal(6), T0 + timedelta(minutes=1)),
             Fill("3", "a2", "ES", Side.BUY, 2, 5002.0, Decimal(4), T0 + timedelta(minutes=2))]
    origin = {"a": "A", "m": MANUAL, "a2": "A2"}
    books = attribute(fills, lambda f: origin[f.order_id], get_instrument, BAL)
    assert [t.pnl for t in books["A"].closed_trades] == [Decimal(200 - 4)]
    # the trader's short 2 (opened by the reversing fill) is closed by the autopilot's buy: still the trader's
    assert [t.quantity for t in books[MANUAL].closed_trades] == [2]
    assert books[MANUAL].closed_trades[0].pnl == Decimal(2 * 100 - 4 - 4)
    assert "A2" not in books or not books["A2"].closed_trades


async def test_the_engine_is_the_fronts_door_to_the_autopilot(tmp_path):
    from trading_core.autopilot.controller import Autopilot
    from trading_core.autopilot.models import load_trade_model
    from trading_core.autopilot.types import AutopilotMode
    from tests.mentor.session import session_config, start_engine

    engine = await start_engine(session_config(tmp_path))
    assert engine.autopilot_status() is None
    for res in (await engine.set_autopilot_mode("propose"), await engine.confirm_signal("X"),
                await engine.decline_signal("X")):
        assert not res.ok and res.code == "AUTOPILOT_NOT_RUNNING"
    from assistant.present.autopilot import set_mode_msg
    from assistant.present.text import render

    assert "mia run --autopilot" in render(set_mode_msg(await engine.set_autopilot_mode("auto")), "fr")
    pilot = Autopilot(engine, bundles={"ES": None},  # "ready" without models: no bar is fed here
                      trade_models={"ES": load_trade_model(engine.config, "ES", "none")})
    await pilot.start(prepare=False)
    res = await engine.set_autopilot_mode("propose")
    assert res.ok and engine.autopilot_status().mode is AutopilotMode.PROPOSE
    assert (await engine.confirm_signal("AP-ES-X")).code == "UNKNOWN_SIGNAL"
    assert (await engine.decline_signal("AP-ES-X")).code == "NOT_PENDING"
    await pilot.stop()
    await engine.stop()
    engine.close()
