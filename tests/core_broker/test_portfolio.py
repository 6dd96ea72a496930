from __future__ import annotations

import random
from decimal import Decimal
from itertools import count

import pytest

from tests.core_broker.conftest import T0, spec_lookup, ts
from trading_core.portfolio import ClosedTrade, Portfolio, PortfolioError
from trading_core.types import Fill, Side

START = Decimal("100000")
_ids = count(1)


def fill(symbol: str, side: Side, qty: int, price: float, minute: float = 0, commission: str | None = None) -> Fill:
    comm = Decimal(commission) if commission is not None else Decimal("2.25") * qty
    return Fill(f"F{next(_ids)}", f"O{next(_ids)}", symbol, side, qty, price, comm, ts(minute))


@pytest.fixture
def pf() -> Portfolio:
    return Portfolio(spec_lookup, START)


def test_es_long_round_trip_in_ticks(pf: Portfolio) -> None:
    assert pf.apply_fill(fill("ES", Side.BUY, 2, 5000.00, 0)) == []
    pf.mark("ES", 5004.50)  # +18 ticks x 2 contracts x $12.50
    [pos] = pf.positions()
    assert (pos.quantity, pos.avg_price, pos.market_price) == (2, 5000.0, 5004.5)
    assert pos.unrealized_pnl == Decimal("450.00")
    [trade] = pf.apply_fill(fill("ES", Side.SELL, 2, 5010.25, 5))
    # 41 ticks x 2 x 12.50 = 1025.00 gross; commissions 4 x 2.25 = 9.00
    assert trade == ClosedTrade(
        symbol="ES",
        side=Side.BUY,
        quantity=2,
        entry_price=5000.0,
        exit_price=5010.25,
        pnl=Decimal("1016.00"),
        opened_ts=ts(0),
        closed_ts=ts(5),
        gross_pnl=Decimal("1025.00"),
        commission=Decimal("9.00"),
        pnl_ticks=82,
    )
    assert pf.positions() == []
    acct = pf.account(ts(6))
    assert acct.realized_pnl == Decimal("1025.00")
    assert acct.commissions == Decimal("9.00")
    assert acct.cash == Decimal("101016.00") == acct.equity
    assert acct.unrealized_pnl == 0 and acct.account_id == "PAPER"


def test_es_short_loss(pf: Portfolio) -> None:
    pf.apply_fill(fill("ES", Side.SELL, 1, 5000.00))
    pf.mark("ES", 5001.00)
    assert pf.positions()[0].quantity == -1
    assert pf.positions()[0].unrealized_pnl == Decimal("-50.00")
    [trade] = pf.apply_fill(fill("ES", Side.BUY, 1, 5003.50, 1))
    assert trade.side is Side.SELL and trade.pnl_ticks == -14
    assert trade.gross_pnl == Decimal("-175.00") and trade.pnl == Decimal("-179.50")
    assert pf.consecutive_losses == 1


def test_mnq_partial_close_and_unrealized(pf: Portfolio) -> None:
    pf.apply_fill(fill("MNQ", Side.BUY, 3, 18000.25, 0, commission="1.56"))
    [trade] = pf.apply_fill(fill("MNQ", Side.SELL, 1, 18010.75, 1, commission="0.52"))
    # 42 ticks x $0.50 = 21.00; entry share of commission 1.56 / 3 = 0.52; exit 0.52
    assert (trade.quantity, trade.gross_pnl, trade.commission, trade.pnl) == (
        1,
        Decimal("21.00"),
        Decimal("1.04"),
        Decimal("19.96"),
    )
    pf.mark("MNQ", 17990.00)  # -41 ticks x 2 contracts x 0.50
    [pos] = pf.positions()
    assert (pos.quantity, pos.avg_price) == (2, 18000.25)
    assert pos.unrealized_pnl == Decimal("-41.00")
    assert pos.realized_pnl == Decimal("21.00")
    acct = pf.account(ts(2))
    assert acct.equity == START + Decimal("21.00") - Decimal("2.08") - Decimal("41.00")


def test_flip_closes_then_opens_with_split_commission(pf: Portfolio) -> None:
    pf.apply_fill(fill("ES", Side.BUY, 2, 5000.00, 0))  # commission 4.50
    [trade] = pf.apply_fill(fill("ES", Side.SELL, 5, 5002.00, 1))  # commission 11.25: 4.50 close, 6.75 open
    assert trade.quantity == 2 and trade.pnl_ticks == 16
    assert trade.gross_pnl == Decimal("200.00") and trade.commission == Decimal("9.00")
    [pos] = pf.positions()
    assert (pos.quantity, pos.avg_price) == (-3, 5002.0)
    [trade2] = pf.apply_fill(fill("ES", Side.BUY, 3, 5001.00, 2))  # commission 6.75
    assert trade2.side is Side.SELL and trade2.pnl_ticks == 12
    assert trade2.gross_pnl == Decimal("150.00")
    assert trade2.commission == Decimal("13.50")  # 6.75 carried from the flip + 6.75 exit
    # Trade commissions add up to every commission paid, and cash agrees.
    assert trade.commission + trade2.commission == pf.commissions == Decimal("22.50")
    assert pf.account(ts(3)).cash == START + Decimal("350.00") - Decimal("22.50")


def test_fifo_lots_and_average_price(pf: Portfolio) -> None:
    pf.apply_fill(fill("ES", Side.BUY, 1, 5000.00, 0))
    pf.apply_fill(fill("ES", Side.BUY, 1, 5001.00, 1))
    assert pf.positions()[0].avg_price == 5000.5
    [trade] = pf.apply_fill(fill("ES", Side.SELL, 1, 5002.00, 2))
    assert trade.entry_price == 5000.0 and trade.pnl_ticks == 8 and trade.opened_ts == ts(0)
    assert pf.positions()[0].avg_price == 5001.0
    [trade] = pf.apply_fill(fill("ES", Side.SELL, 1, 5002.00, 3))
    assert trade.entry_price == 5001.0 and trade.pnl_ticks == 4
    # One fill closing several lots is one trade with the average entry.
    pf.apply_fill(fill("ES", Side.BUY, 1, 5000.00, 4))
    pf.apply_fill(fill("ES", Side.BUY, 2, 5000.75, 5))
    [trade] = pf.apply_fill(fill("ES", Side.SELL, 3, 5000.25, 6))
    assert trade.quantity == 3 and trade.entry_price == 5000.5 and trade.pnl_ticks == 1 - 2 * 2
    assert trade.opened_ts == ts(4)


def test_commission_that_does_not_divide_evenly_adds_up_exactly(pf: Portfolio) -> None:
    pf.apply_fill(fill("ES", Side.BUY, 3, 5000.00, commission="1.00"))
    trades = [pf.apply_fill(fill("ES", Side.SELL, 1, 5000.00, i + 1, commission="0.00"))[0] for i in range(3)]
    assert [t.commission for t in trades] == [Decimal("0.333333"), Decimal("0.333334"), Decimal("0.333333")]
    assert sum(t.pnl for t in trades) == Decimal("-1.00")


def test_many_small_trades_do_not_drift(pf: Portfolio) -> None:
    rng = random.Random(7)
    expected_gross = Decimal(0)
    expected_comm = Decimal(0)
    price = 18000.0
    for i in range(2000):
        symbol, tick_value = ("MNQ", Decimal("0.50")) if i % 2 else ("ES", Decimal("12.50"))
        qty = rng.randint(1, 4)
        entry = price + rng.randint(-40, 40) * 0.25
        exit_ = entry + rng.randint(-12, 12) * 0.25
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        pf.apply_fill(fill(symbol, side, qty, entry, i, commission="0.62"))
        [t] = pf.apply_fill(fill(symbol, side.opposite, qty, exit_, i + 0.5, commission="0.62"))
        ticks = round((exit_ - entry) / 0.25) * qty * side.sign
        assert t.pnl_ticks == ticks
        expected_gross += tick_value * ticks
        expected_comm += Decimal("1.24")
    assert pf.realized_pnl == expected_gross
    assert pf.commissions == expected_comm
    assert sum((t.pnl for t in pf.closed_trades), Decimal(0)) == expected_gross - expected_comm
    assert pf.account(ts(5000)).equity == START + expected_gross - expected_comm
    assert pf.positions() == []


def test_consecutive_losses_and_realized_since(pf: Portfolio) -> None:
    for i, exit_ in enumerate([4999.0, 4998.0, 5000.0]):  # two losses, then a scratch (a loss net)
        pf.apply_fill(fill("ES", Side.BUY, 1, 5000.0, 10 * i))
        pf.apply_fill(fill("ES", Side.SELL, 1, exit_, 10 * i + 1))
    assert pf.consecutive_losses == 3
    pf.apply_fill(fill("ES", Side.BUY, 1, 5000.0, 40))
    pf.apply_fill(fill("ES", Side.SELL, 1, 5001.0, 41))
    assert pf.consecutive_losses == 0
    assert pf.realized_since(ts(20)) == Decimal("0") + Decimal("50.00")  # scratch 0 + win 50
    assert pf.realized_since(ts(0)) == Decimal("-50") - Decimal("100") + Decimal("50")
    assert pf.commissions_since(ts(40)) == Decimal("4.50")
    assert pf.trades_since(ts(11)) == 3  # closed at minutes 11, 21 and 41
    assert pf.realized_since(ts(1000)) == 0
    pf.apply_fill(fill("ES", Side.BUY, 1, 5000.0, 50))
    pf.apply_fill(fill("ES", Side.SELL, 1, 4999.0, 51))
    assert pf.consecutive_losses == 1
    pf.reset_consecutive_losses()
    assert pf.consecutive_losses == 0


def test_realized_since_with_fills_out_of_time_order(pf: Portfolio) -> None:
    pf.apply_fill(fill("ES", Side.BUY, 1, 5000.0, 10))
    pf.apply_fill(fill("ES", Side.SELL, 1, 5001.0, 5))  # a late report with an earlier timestamp
    pf.apply_fill(fill("ES", Side.BUY, 1, 5000.0, 20))
    pf.apply_fill(fill("ES", Side.SELL, 1, 5002.0, 21))
    assert pf.realized_since(ts(6)) == Decimal("100.00")
    assert pf.realized_since(ts(0)) == Decimal("150.00")


def test_rebuild_from_fills_gives_the_same_state(pf: Portfolio) -> None:
    fills = [
        fill("ES", Side.BUY, 2, 5000.0, 0),
        fill("MNQ", Side.SELL, 5, 18000.0, 1),
        fill("ES", Side.SELL, 3, 5005.0, 2),
        fill("MNQ", Side.BUY, 2, 17990.25, 3),
        fill("ES", Side.BUY, 1, 5003.0, 4),
    ]
    for f in fills:
        pf.apply_fill(f)
    pf.mark("ES", 5004.0)
    pf.mark("MNQ", 17995.0)
    again = Portfolio.rebuild(fills, spec_lookup, START, marks={"ES": 5004.0, "MNQ": 17995.0})
    assert again.positions() == pf.positions()
    assert again.closed_trades == pf.closed_trades
    assert again.account(ts(9)) == pf.account(ts(9))
    assert again.consecutive_losses == pf.consecutive_losses
    # Replaying overlapping fill lists is harmless: a fill id is applied once.
    assert again.apply_fill(fills[0]) == []
    assert again.positions() == pf.positions()


def test_bad_inputs_are_refused_without_changing_state(pf: Portfolio) -> None:
    pf.apply_fill(fill("ES", Side.BUY, 1, 5000.0))
    before = (pf.positions(), pf.account(T0), list(pf.closed_trades))
    with pytest.raises(PortfolioError, match="5000.1 is not a multiple of the tick 0.25"):
        pf.apply_fill(fill("ES", Side.SELL, 1, 5000.1))
    with pytest.raises(PortfolioError, match="quantity must be an int > 0"):
        pf.apply_fill(fill("ES", Side.SELL, 0, 5000.0))
    with pytest.raises(PortfolioError, match="unknown symbol 'CL'"):
        pf.apply_fill(fill("CL", Side.SELL, 1, 70.0))
    with pytest.raises(PortfolioError, match="commission must be a Decimal >= 0"):
        pf.apply_fill(fill("ES", Side.SELL, 1, 5000.0, commission="-1"))
    with pytest.raises(PortfolioError, match="price must be a finite number > 0"):
        pf.apply_fill(fill("ES", Side.SELL, 1, float("nan")))
    with pytest.raises(PortfolioError, match="expected a trading_core.types.Fill"):
        pf.apply_fill({"symbol": "ES"})  # type: ignore[arg-type]
    with pytest.raises(PortfolioError, match="mark for ES: price 5000.3"):
        pf.mark("ES", 5000.3)
    with pytest.raises(PortfolioError, match="starting_balance must be a Decimal"):
        Portfolio(spec_lookup, 100000.0)  # type: ignore[arg-type]
    assert (pf.positions(), pf.account(T0), list(pf.closed_trades)) == before
    assert pf.net_quantity("ES") == 1 and pf.net_quantity("MNQ") == 0


def test_positions_include_flat_on_request(pf: Portfolio) -> None:
    pf.apply_fill(fill("ES", Side.BUY, 1, 5000.0))
    pf.apply_fill(fill("ES", Side.SELL, 1, 5001.0, 1))
    assert pf.positions() == []
    [flat] = pf.positions(include_flat=True)
    assert flat.quantity == 0 and flat.realized_pnl == Decimal("50.00") and flat.unrealized_pnl == 0
    # Unmarked open position: no market price, no unrealized P&L yet.
    pf.apply_fill(fill("MNQ", Side.BUY, 1, 18000.0, 2))
    mnq = [p for p in pf.positions() if p.symbol == "MNQ"][0]
    assert mnq.market_price is None and mnq.unrealized_pnl == 0


def test_instrument_facts() -> None:
    """The numbers every hand-computed figure in this folder relies on."""
    from tests.core_broker.conftest import SPECS

    for symbol, spec in SPECS.items():
        inst = spec_lookup(symbol)
        assert (inst.symbol, inst.multiplier, inst.tick_size, inst.tick_value) == (
            spec.symbol,
            spec.multiplier,
            spec.tick_size,
            spec.tick_value,
        )


def test_symbol_spelling_is_normalised(pf: Portfolio) -> None:
    pf.apply_fill(fill("ES", Side.BUY, 1, 5000.0))
    [trade] = pf.apply_fill(fill("es", Side.SELL, 1, 5001.0, 1))
    assert trade.symbol == "ES" and pf.positions() == []
    pf.apply_fill(fill(" mnq", Side.BUY, 1, 18000.0, 2))
    pf.mark("MNQ", 18001.0)
    assert pf.net_quantity("MNQ") == 1 and pf.positions()[0].unrealized_pnl == Decimal("2.00")
