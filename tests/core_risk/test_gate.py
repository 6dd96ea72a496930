"""The pre-trade risk gate: one test (at least) per check, in the documented order."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tests.core_risk.support import ES_LAST, MNQ_LAST, NOW, buy, en, fr, get_instrument, make_ctx, sell
from trading_core.config import RiskConfig
from trading_core.risk.gate import OrderIntent, RiskGate, reduces_exposure
from trading_core.types import OrderType, Side, TradingState


def code(rejection) -> str | None:  # noqa: ANN001
    return None if rejection is None else rejection.code


# ------------------------------------------------------------------ accepting path
def test_plain_orders_pass(gate: RiskGate) -> None:
    ctx = make_ctx()
    assert gate.check(ctx, buy(1)) is None
    assert gate.check(ctx, sell(10, "MNQ")) is None
    assert gate.check(ctx, buy(2, order_type=OrderType.LIMIT, limit_price=4990.25)) is None
    assert gate.check(ctx, sell(2, order_type=OrderType.STOP, stop_price=4980.0)) is None
    bracket = buy(2, order_type=OrderType.BRACKET, limit_price=4995.0, stop_loss=4985.0, take_profit=5015.0)
    assert gate.check(ctx, bracket) is None


# ------------------------------------------------------------------ 1. symbol
def test_unknown_symbol(gate: RiskGate) -> None:
    r = gate.check(make_ctx(), buy(1, "XYZ"))
    assert code(r) == "UNKNOWN_SYMBOL"
    assert "XYZ" in en(r) and "XYZ" in fr(r)


def test_unknown_symbol_comes_first(gate: RiskGate) -> None:
    ctx = make_ctx(state=TradingState.HALTED, market_open=False)
    assert code(gate.check(ctx, buy(0, "XYZ"))) == "UNKNOWN_SYMBOL"


def test_lookup_is_cached_per_symbol(config: RiskConfig) -> None:
    calls: list[str] = []

    def lookup(symbol: str):  # noqa: ANN202
        calls.append(symbol)
        return get_instrument(symbol)

    gate = RiskGate(config, lookup)
    for _ in range(3):
        gate.check(make_ctx(), buy(1))
        gate.check(make_ctx(), buy(1, "NOPE"))
    assert calls.count("ES") == 1
    assert calls.count("NOPE") == 3  # unknown spellings are never cached


# ------------------------------------------------------------------ 2. quantity
@pytest.mark.parametrize("qty", [0, -3])
def test_quantity_not_positive(gate: RiskGate, qty: int) -> None:
    r = gate.check(make_ctx(), buy(qty))
    assert code(r) == "QTY_NOT_POSITIVE"
    assert str(qty) in en(r)


@pytest.mark.parametrize("qty", [1.5, True, "2"])
def test_quantity_not_whole(gate: RiskGate, qty: object) -> None:
    r = gate.check(make_ctx(), OrderIntent("ES", Side.BUY, qty))  # type: ignore[arg-type]
    assert code(r) == "QTY_NOT_POSITIVE"
    assert "whole number" in en(r) and "nombre entier" in fr(r)


def test_quantity_above_max(gate: RiskGate) -> None:
    assert gate.check(make_ctx(), buy(10)) is None
    r = gate.check(make_ctx(), buy(10_000))
    assert code(r) == "QTY_ABOVE_MAX"
    assert "10,000 contracts" in en(r) and "10 000 contrats" in fr(r)


def test_a_close_larger_than_max_order_size_still_passes(gate: RiskGate) -> None:
    # 15 contracts built by several orders of 10 or less: closing them must never be blocked.
    for state in (TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED):
        ctx = make_ctx(state=state, positions={"ES": 15})
        assert gate.check(ctx, OrderIntent("ES", Side.SELL, 15)) is None
        assert gate.check(make_ctx(state=state, positions={"ES": -15}), buy(15)) is None
    # a flip is new exposure: still refused above the maximum
    assert code(gate.check(make_ctx(positions={"ES": 15}), OrderIntent("ES", Side.SELL, 16))) == "QTY_ABOVE_MAX"


# ------------------------------------------------------------------ 3. HALTED
def test_halted_refuses_opening_and_increasing(gate: RiskGate) -> None:
    ctx = make_ctx(state=TradingState.HALTED, positions={"ES": 3})
    assert code(gate.check(ctx, buy(1))) == "HALTED"  # increase
    assert code(gate.check(ctx, buy(1, "MNQ"))) == "HALTED"  # open
    assert code(gate.check(ctx, sell(4))) == "HALTED"  # flip
    assert code(gate.check(ctx, sell(1, order_type=OrderType.LIMIT, limit_price=5001.0))) is None


def test_halted_allows_flatten_and_partial_reduce(gate: RiskGate) -> None:
    ctx = make_ctx(state=TradingState.HALTED, positions={"ES": 3, "MNQ": -2})
    assert gate.check(ctx, sell(3)) is None
    assert gate.check(ctx, sell(1)) is None
    assert gate.check(ctx, buy(2, "MNQ")) is None


def test_flatten_passes_every_account_breach_and_a_full_throttle(config: RiskConfig) -> None:
    gate = RiskGate(config.model_copy(update={"max_orders_per_minute": 1}), get_instrument)
    gate.record(NOW - timedelta(seconds=1))
    ctx = make_ctx(
        state=TradingState.HALTED,
        positions={"ES": 2},
        pnl_today=Decimal("-5000"),
        consecutive_losses=99,
        equity=Decimal("1000"),
        balance=Decimal("1000"),
    )
    assert gate.check(ctx, sell(2)) is None
    # ...and the same breaches stop a new position even in ACTIVE state.
    ctx.state = TradingState.ACTIVE
    assert code(gate.check(ctx, buy(1, "MNQ"))) == "DAILY_LOSS_LIMIT"


def test_working_exits_count_so_two_closes_never_reverse_a_position(gate: RiskGate) -> None:
    # Long 2 with a closing sell 2 still working (late fill at the broker): a second sell 2 would
    # leave the account short 2 once both fill. Halted, it is refused, and the sentence says why.
    ctx = make_ctx(state=TradingState.HALTED, positions={"ES": 2}, exiting={"ES": 2})
    r = gate.check(ctx, sell(2))
    assert code(r) == "HALTED"
    assert "already close 2 contracts of your ES position" in en(r)
    assert "ferment déjà 2 contrats de votre position ES" in fr(r)
    # what the working exits leave uncovered may still be closed
    partly = make_ctx(state=TradingState.HALTED, positions={"ES": 3}, exiting={"ES": 2})
    assert gate.check(partly, sell(1)) is None
    assert code(gate.check(partly, sell(2))) == "HALTED"
    reducing = make_ctx(state=TradingState.REDUCING, positions={"ES": -2}, exiting={"ES": 1})
    assert gate.check(reducing, buy(1)) is None
    assert code(gate.check(reducing, buy(2))) == "REDUCING_ONLY"
    # a covered order is not "reducing", so the size exemption does not apply either
    big = make_ctx(state=TradingState.ACTIVE, positions={"ES": 12}, exiting={"ES": 12})
    assert code(gate.check(big, sell(12))) == "QTY_ABOVE_MAX"


# ------------------------------------------------------------------ 4. REDUCING
def test_reducing_allows_only_shrinking(gate: RiskGate) -> None:
    ctx = make_ctx(state=TradingState.REDUCING, positions={"ES": 2})
    assert gate.check(ctx, sell(1)) is None
    assert gate.check(ctx, sell(2)) is None
    r = gate.check(ctx, buy(1))
    assert code(r) == "REDUCING_ONLY"
    assert "long 2 contracts" in en(r) and "longue de 2 contrats" in fr(r)


def test_reducing_refuses_a_flip(gate: RiskGate) -> None:
    ctx = make_ctx(state=TradingState.REDUCING, positions={"ES": -2})
    r = gate.check(ctx, buy(3))
    assert code(r) == "REDUCING_ONLY"
    assert "short 2 contracts" in en(r)


def test_reducing_when_flat(gate: RiskGate) -> None:
    r = gate.check(make_ctx(state=TradingState.REDUCING), sell(1))
    assert code(r) == "REDUCING_ONLY"
    assert "no ES position" in en(r) and "aucune position ES" in fr(r)


@pytest.mark.parametrize(
    ("position", "side", "qty", "expected"),
    [
        (3, Side.SELL, 1, True),
        (3, Side.SELL, 3, True),
        (3, Side.SELL, 4, False),  # flip
        (3, Side.BUY, 1, False),
        (-2, Side.BUY, 2, True),
        (-2, Side.SELL, 1, False),
        (0, Side.SELL, 1, False),
        (3, Side.SELL, 0, False),
    ],
)
def test_reduces_exposure(position: int, side: Side, qty: int, expected: bool) -> None:
    assert reduces_exposure(position, side, qty) is expected
    assert RiskGate.reduces_exposure(position, side, qty) is expected


def test_reduces_exposure_counts_working_exits() -> None:
    assert reduces_exposure(3, Side.SELL, 1, exiting=2)
    assert not reduces_exposure(3, Side.SELL, 2, exiting=2)
    assert not reduces_exposure(-2, Side.BUY, 1, exiting=2)


# ------------------------------------------------------------------ 5. daily loss
def test_daily_loss_limit(gate: RiskGate) -> None:
    ok = make_ctx(pnl_today=Decimal("-1999.99"))
    assert gate.check(ok, buy(1)) is None
    assert gate.daily_loss_breached(ok) is False
    hit = make_ctx(pnl_today=Decimal("-2000"))
    assert gate.daily_loss_breached(hit) is True
    r = gate.check(hit, buy(1))
    assert code(r) == "DAILY_LOSS_LIMIT"
    assert "$2,000.00" in en(r) and "2 000,00 $" in fr(r)
    past = make_ctx(pnl_today=Decimal("-2150.25"))
    assert "$2,150.25" in en(gate.check(past, buy(1)))


# ------------------------------------------------------------------ 6. consecutive losses
def test_max_consecutive_losses(gate: RiskGate) -> None:
    assert gate.check(make_ctx(consecutive_losses=4), buy(1)) is None
    r = gate.check(make_ctx(consecutive_losses=5), buy(1))
    assert code(r) == "MAX_CONSECUTIVE_LOSSES"
    assert "5 losing trades" in en(r) and "5 pertes" in fr(r)


# ------------------------------------------------------------------ 7. minimum balance
def test_min_balance_on_cash(gate: RiskGate) -> None:
    assert gate.check(make_ctx(balance=Decimal("25000"), equity=Decimal("25000")), buy(1)) is None
    r = gate.check(make_ctx(balance=Decimal("24999.99")), buy(1))
    assert code(r) == "MIN_BALANCE"
    assert "$24,999.99" in en(r) and "25 000,00 $" in fr(r)


def test_min_balance_on_equity(gate: RiskGate) -> None:
    # Cash is fine but open losses take the account's value under the minimum.
    r = gate.check(make_ctx(balance=Decimal("30000"), equity=Decimal("24000")), buy(1))
    assert code(r) == "MIN_BALANCE"
    assert "$24,000.00" in en(r)


# ------------------------------------------------------------------ 8. trading hours
def test_market_closed(gate: RiskGate) -> None:
    r = gate.check(make_ctx(market_open=False), buy(1))
    assert code(r) == "MARKET_CLOSED"
    assert "ES" in en(r) and "fermé" in fr(r)
    # The exchange refuses everything in the break, flattening included.
    assert code(gate.check(make_ctx(market_open=False, positions={"ES": 1}), sell(1))) == "MARKET_CLOSED"


def test_trading_hours_not_enforced(config: RiskConfig) -> None:
    gate = RiskGate(config.model_copy(update={"enforce_trading_hours": False}), get_instrument)
    assert gate.check(make_ctx(market_open=False), buy(1)) is None


# ------------------------------------------------------------------ 9. throttle
def test_throttle_window_slides(config: RiskConfig) -> None:
    gate = RiskGate(config.model_copy(update={"max_orders_per_minute": 3}), get_instrument)
    t0 = NOW
    for s in (0, 10, 20):
        assert gate.check(make_ctx(now=t0 + timedelta(seconds=s)), buy(1)) is None
        gate.record(t0 + timedelta(seconds=s))
    r = gate.check(make_ctx(now=t0 + timedelta(seconds=30)), buy(1))
    assert code(r) == "RATE_LIMIT"
    assert "3 orders" in en(r) and "30 seconds" in en(r) and "30 secondes" in fr(r)
    assert code(gate.check(make_ctx(now=t0 + timedelta(seconds=59.9)), buy(1))) == "RATE_LIMIT"
    # Exactly 60 s after the first order it has left the window.
    assert gate.check(make_ctx(now=t0 + timedelta(seconds=60)), buy(1)) is None
    gate.record(t0 + timedelta(seconds=60))
    assert gate.orders_in_window(t0 + timedelta(seconds=60)) == 3
    r = gate.check(make_ctx(now=t0 + timedelta(seconds=61)), buy(1))
    assert code(r) == "RATE_LIMIT" and "9 seconds" in en(r)
    assert gate.check(make_ctx(now=t0 + timedelta(seconds=200)), buy(1)) is None
    assert gate.orders_in_window(t0 + timedelta(seconds=200)) == 0


def test_throttle_exempts_reducing_orders(config: RiskConfig) -> None:
    gate = RiskGate(config.model_copy(update={"max_orders_per_minute": 1}), get_instrument)
    gate.record(NOW)
    ctx = make_ctx(positions={"ES": 2})
    assert code(gate.check(ctx, buy(1))) == "RATE_LIMIT"
    assert gate.check(ctx, sell(1)) is None


def test_record_out_of_order_and_reset(config: RiskConfig) -> None:
    gate = RiskGate(config.model_copy(update={"max_orders_per_minute": 2}), get_instrument)
    gate.record(NOW)
    gate.record(NOW - timedelta(seconds=5))
    assert gate.orders_in_window(NOW) == 2
    assert gate.orders_in_window(NOW - timedelta(seconds=1)) == 1
    gate.reset_throttle()
    assert gate.orders_in_window(NOW) == 0


def test_record_refuses_naive_time(gate: RiskGate) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        gate.record(datetime(2026, 11, 18, 15, 0))


# ------------------------------------------------------------------ 10. price validity
@pytest.mark.parametrize(
    ("order", "label_en"),
    [
        (buy(1, order_type=OrderType.LIMIT), "limit price"),
        (buy(1, order_type=OrderType.STOP), "stop price"),
        (buy(1, order_type=OrderType.BRACKET, take_profit=5010.0), "stop-loss price"),
        (buy(1, order_type=OrderType.BRACKET, stop_loss=4990.0), "take-profit price"),
    ],
)
def test_missing_price(gate: RiskGate, order: OrderIntent, label_en: str) -> None:
    r = gate.check(make_ctx(), order)
    assert code(r) == "INVALID_PRICE"
    assert label_en in en(r) and "manquant" in fr(r)


@pytest.mark.parametrize("price", [0.0, -5.0, float("nan"), float("inf")])
def test_non_positive_or_non_finite_price(gate: RiskGate, price: float) -> None:
    r = gate.check(make_ctx(), buy(1, order_type=OrderType.LIMIT, limit_price=price))
    assert code(r) == "INVALID_PRICE"
    assert "above zero" in en(r) and "supérieur à zéro" in fr(r)


def test_off_tick_price(gate: RiskGate) -> None:
    r = gate.check(make_ctx(), buy(1, order_type=OrderType.LIMIT, limit_price=4990.1))
    assert code(r) == "INVALID_PRICE"
    assert "4,990 and 4,990.25" in en(r)
    assert "4 990 et 4 990,25" in fr(r)
    stop = gate.check(make_ctx(), sell(1, order_type=OrderType.BRACKET, stop_loss=5010.3, take_profit=4990.0))
    assert code(stop) == "INVALID_PRICE" and "stop-loss" in en(stop)


# ------------------------------------------------------------------ 11. market price
def test_no_market_price(gate: RiskGate) -> None:
    ctx = make_ctx(last_prices={}, positions={"ES": 2})
    r = gate.check(ctx, buy(1))
    assert code(r) == "NO_MARKET_PRICE"
    assert "ES" in en(r) and "prix de marché" in fr(r)
    assert code(gate.check(ctx, sell(1, order_type=OrderType.LIMIT, limit_price=5000.0))) == "NO_MARKET_PRICE"
    # A market order that only reduces needs no reference price: getting out never waits for data.
    assert gate.check(ctx, sell(2)) is None
    assert code(gate.check(make_ctx(last_prices={"ES": float("nan")}), buy(1))) == "NO_MARKET_PRICE"


def test_no_current_price_while_live_prices_are_pending(gate: RiskGate) -> None:
    # The engine passes only live prices; before the first one arrives the refusal says so.
    ctx = make_ctx(last_prices={"MNQ": MNQ_LAST}, positions={"ES": 2}, price_pending=True)
    r = gate.check(ctx, buy(1))
    assert code(r) == "NO_CURRENT_PRICE"
    assert "no current price for ES yet" in en(r) and "pas encore de prix actuel pour ES" in fr(r)
    assert code(gate.check(ctx, sell(1, order_type=OrderType.LIMIT, limit_price=5000.0))) == "NO_CURRENT_PRICE"
    assert gate.check(ctx, sell(2)) is None  # a flatten still goes out (it fills at the first live price)
    assert gate.check(ctx, buy(1, symbol="MNQ")) is None


# ------------------------------------------------------------------ 12. price band
def test_price_band(gate: RiskGate) -> None:
    ctx = make_ctx()
    edge = ES_LAST * 1.05  # 5250.0: exactly on the band is allowed
    assert gate.check(ctx, buy(1, order_type=OrderType.LIMIT, limit_price=edge)) is None
    r = gate.check(ctx, buy(1, order_type=OrderType.LIMIT, limit_price=edge + 0.25))
    assert code(r) == "PRICE_BAND"
    assert "limit price 5,250.25" in en(r) and "5,000" in en(r) and "5%" in en(r)
    assert "prix limite 5 250,25" in fr(r) and "5 %" in fr(r)
    low = gate.check(ctx, sell(1, order_type=OrderType.STOP, stop_price=4000.0))
    assert code(low) == "PRICE_BAND" and "20%" in en(low) and "prix de déclenchement" in fr(low)


def test_price_band_on_bracket_children(gate: RiskGate) -> None:
    r = gate.check(make_ctx(), buy(1, order_type=OrderType.BRACKET, stop_loss=4000.0, take_profit=5010.0))
    assert code(r) == "PRICE_BAND" and "stop-loss price" in en(r)
    r = gate.check(make_ctx(), buy(1, order_type=OrderType.BRACKET, stop_loss=4990.0, take_profit=6000.0))
    assert code(r) == "PRICE_BAND" and "take-profit price" in en(r)


def test_price_band_width_from_config(config: RiskConfig) -> None:
    gate = RiskGate(config.model_copy(update={"price_band_pct": 1.0}), get_instrument)
    assert code(gate.check(make_ctx(), buy(1, order_type=OrderType.LIMIT, limit_price=4940.0))) == "PRICE_BAND"
    assert gate.check(make_ctx(), buy(1, order_type=OrderType.LIMIT, limit_price=4960.0)) is None


# ------------------------------------------------------------------ 13. bracket sides
@pytest.mark.parametrize(
    ("order", "variant_words"),
    [
        (buy(1, order_type=OrderType.BRACKET, stop_loss=5010.0, take_profit=5020.0), "stop-loss 5,010 must be below"),
        (buy(1, order_type=OrderType.BRACKET, stop_loss=4990.0, take_profit=4995.0), "take-profit 4,995 must be above"),
        (sell(1, order_type=OrderType.BRACKET, stop_loss=4990.0, take_profit=4980.0), "stop-loss 4,990 must be above"),
        (sell(1, order_type=OrderType.BRACKET, stop_loss=5010.0, take_profit=5005.0), "take-profit 5,005 must be below"),
        # Limit entry: sides are judged against the limit price, not the last price.
        (
            buy(1, order_type=OrderType.BRACKET, limit_price=4980.0, stop_loss=4985.0, take_profit=5010.0),
            "stop-loss 4,985 must be below the entry price 4,980",
        ),
        # Equal to the entry is the wrong side too.
        (buy(1, order_type=OrderType.BRACKET, stop_loss=5000.0, take_profit=5010.0), "stop-loss 5,000 must be below"),
    ],
)
def test_bracket_prices_on_the_wrong_side(gate: RiskGate, order: OrderIntent, variant_words: str) -> None:
    r = gate.check(make_ctx(), order)
    assert code(r) == "INVALID_PRICE"
    assert variant_words in en(r)
    assert "prix d'entrée" in fr(r)


# ------------------------------------------------------------------ 14-15. position limits
def test_position_limit_per_symbol(gate: RiskGate) -> None:
    assert gate.check(make_ctx(positions={"ES": 8}), buy(2)) is None
    r = gate.check(make_ctx(positions={"ES": 8}), buy(3))
    assert code(r) == "POSITION_LIMIT_SYMBOL"
    assert "11 contracts" in en(r) and "11 contrats" in fr(r) and "10" in en(r)
    short = gate.check(make_ctx(positions={"ES": -9}), sell(2))
    assert code(short) == "POSITION_LIMIT_SYMBOL"


def test_position_limit_counts_working_orders(gate: RiskGate) -> None:
    assert code(gate.check(make_ctx(positions={"ES": 8}, pending={"ES": 2}), buy(1))) == "POSITION_LIMIT_SYMBOL"
    # A working sell offsets: 8 − 2 + 3 = 9.
    assert gate.check(make_ctx(positions={"ES": 8}, pending={"ES": -2}), buy(3)) is None
    # Working orders alone count too.
    assert code(gate.check(make_ctx(pending={"ES": 10}), buy(1))) == "POSITION_LIMIT_SYMBOL"


def test_over_limit_book_may_move_back_toward_the_limit(config: RiskConfig) -> None:
    gate = RiskGate(config.model_copy(update={"max_position_per_symbol": 2}), get_instrument)
    ctx = make_ctx(positions={"ES": 5}, pending={"ES": 3})  # limit lowered at run time
    assert gate.check(ctx, sell(1)) is None


def test_total_position_limit(gate: RiskGate) -> None:
    ctx = make_ctx(positions={"ES": 9, "MNQ": -10})
    assert gate.check(ctx, buy(1)) is None  # 10 + 10 = 20
    r = gate.check(ctx, buy(2))  # ES 11 would also break the symbol limit, which is checked first
    assert code(r) == "POSITION_LIMIT_SYMBOL"
    ctx = make_ctx(positions={"ES": 8, "MNQ": -10}, pending={"MNQ": -1})
    r = gate.check(ctx, buy(2))  # 10 + 11 = 21
    assert code(r) == "POSITION_LIMIT_TOTAL"
    assert "21 contracts" in en(r) and "21 contrats" in fr(r) and "20" in fr(r)
    # Pending exposure in a symbol with no position counts as well.
    ctx = make_ctx(positions={"ES": 9}, pending={"MNQ": 10})
    assert code(gate.check(ctx, buy(2, "ES"))) == "POSITION_LIMIT_SYMBOL"
    assert code(gate.check(make_ctx(positions={"ES": 9}, pending={"MNQ": 11}), buy(1, "ES"))) == "POSITION_LIMIT_TOTAL"


# ------------------------------------------------------------------ order of checks
def test_documented_precedence(gate: RiskGate) -> None:
    everything_wrong = make_ctx(
        state=TradingState.HALTED, market_open=False, pnl_today=Decimal("-9999"), consecutive_losses=9,
        last_prices={},
    )
    assert code(gate.check(everything_wrong, buy(11))) == "QTY_ABOVE_MAX"
    assert code(gate.check(everything_wrong, buy(1))) == "HALTED"
    everything_wrong.state = TradingState.ACTIVE
    assert code(gate.check(everything_wrong, buy(1))) == "DAILY_LOSS_LIMIT"
    everything_wrong.pnl_today = Decimal(0)
    assert code(gate.check(everything_wrong, buy(1))) == "MAX_CONSECUTIVE_LOSSES"
    everything_wrong.consecutive_losses = 0
    assert code(gate.check(everything_wrong, buy(1))) == "MARKET_CLOSED"
    everything_wrong.market_open = True
    assert code(gate.check(everything_wrong, buy(1))) == "NO_MARKET_PRICE"


# ------------------------------------------------------------------ inputs and configuration
def test_order_intent_coerces_enum_strings() -> None:
    o = OrderIntent("ES", "SELL", 1, "LIMIT", limit_price=5000.0)  # type: ignore[arg-type]
    assert o.side is Side.SELL and o.order_type is OrderType.LIMIT
    with pytest.raises(ValueError):
        OrderIntent("ES", "HOLD", 1)  # type: ignore[arg-type]


def test_configure_applies_new_limits(gate: RiskGate, config: RiskConfig) -> None:
    assert gate.check(make_ctx(), buy(5)) is None
    gate.configure(config.model_copy(update={"max_order_size": 4}))
    assert gate.config.max_order_size == 4
    assert code(gate.check(make_ctx(), buy(5))) == "QTY_ABOVE_MAX"


def test_check_does_not_mutate_its_inputs(gate: RiskGate) -> None:
    ctx = make_ctx(positions={"ES": 2}, pending={"ES": 1})
    before = (dict(ctx.positions), dict(ctx.pending), dict(ctx.last_prices))
    gate.check(ctx, buy(9))
    gate.check(ctx, buy(1))
    assert (ctx.positions, ctx.pending, ctx.last_prices) == before
    assert gate.orders_in_window(NOW) == 0  # only record() counts orders


def test_symbol_spelling_resolves_to_the_canonical_book(gate: RiskGate) -> None:
    # The lookup accepts " es "; positions and prices are keyed by the canonical "ES".
    ctx = make_ctx(state=TradingState.REDUCING, positions={"ES": 2})
    assert gate.check(ctx, sell(1, " es ")) is None
    r = gate.check(ctx, buy(1, "es"))
    assert code(r) == "REDUCING_ONLY" and "Your ES position" in en(r)
