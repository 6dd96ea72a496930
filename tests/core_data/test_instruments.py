"""Instrument registry and exact tick arithmetic."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from trading_core.instruments import (
    ES,
    INSTRUMENTS,
    MNQ,
    UnknownSymbolError,
    get_instrument,
    is_on_tick,
    points_to_usd,
    price_to_ticks,
    resolve_symbol,
    round_to_tick,
    ticks_to_price,
    ticks_to_usd,
)


def test_contract_specifications() -> None:
    assert ES.multiplier == Decimal("50") and ES.tick_size == 0.25 and ES.tick_value == Decimal("12.50")
    assert MNQ.multiplier == Decimal("2") and MNQ.tick_size == 0.25 and MNQ.tick_value == Decimal("0.50")
    for inst in INSTRUMENTS.values():
        assert inst.tick_value == inst.multiplier * Decimal(repr(inst.tick_size))
        assert inst.exchange == "CME" and inst.currency == "USD"
        assert inst.ib_symbol == inst.symbol
    assert set(INSTRUMENTS) == {"ES", "MNQ"}


@pytest.mark.parametrize("text, expected", [("ES", ES), ("es", ES), (" Es ", ES), ("mnq", MNQ), ("MNQ", MNQ)])
def test_get_instrument_is_case_insensitive(text: str, expected: object) -> None:
    assert get_instrument(text) is expected
    assert resolve_symbol(text) == expected.symbol  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", ["NQ", "", "ESZ6", None, 42])
def test_unknown_symbol_error_is_clear_in_both_languages(bad: object) -> None:
    with pytest.raises(UnknownSymbolError) as info:
        get_instrument(bad)  # type: ignore[arg-type]
    err = info.value
    assert isinstance(err, KeyError) and isinstance(err, ValueError)
    assert err.symbol == bad
    assert "Unknown symbol" in err.message_en and "ES, MNQ" in err.message_en
    assert "Symbole inconnu" in err.message_fr
    assert str(err) == err.message and err.message_en in err.message and err.message_fr in err.message
    assert err.message_for("fr") == err.message_fr and err.message_for("en") == err.message_en
    rejection = err.to_rejection()
    assert rejection.code == "UNKNOWN_SYMBOL" and rejection.params == {"symbol": str(bad)}


@pytest.mark.parametrize(
    "price, tick, expected",
    [
        (6000.1, 0.25, 6000.0),
        (6000.125, 0.25, 6000.25),  # exact half: away from zero
        (6000.375, 0.25, 6000.5),
        (-6000.125, 0.25, -6000.25),
        (-0.125, 0.25, -0.25),
        (0.124, 0.25, 0.0),
        (21000.37, 0.25, 21000.25),
        (0.35, 0.1, 0.4),  # decimal half on a decimal tick, which float division would get wrong
        (0.25, 0.1, 0.3),
        (1.05, 0.1, 1.1),
        (0.30000000000000004, 0.1, 0.3),  # 3 * 0.1 comes back as the clean float
        (17, 0.25, 17.0),
    ],
)
def test_round_to_tick(price: float, tick: float, expected: float) -> None:
    assert round_to_tick(price, tick) == expected


def test_round_to_tick_leaves_every_tick_multiple_unchanged() -> None:
    for n in range(-40_000, 40_001, 7):
        price = n * 0.25
        assert round_to_tick(price, 0.25) == price
        assert round_to_tick(price + 0.1, 0.25) == price
        assert round_to_tick(price - 0.1, 0.25) == price
    assert ES.round_price(6000.13) == 6000.25


@pytest.mark.parametrize("tick", [0, -0.25, float("nan"), float("inf"), "0.25"])
def test_bad_tick_sizes_are_refused(tick: object) -> None:
    with pytest.raises(ValueError, match="tick size"):
        round_to_tick(6000.0, tick)  # type: ignore[arg-type]


def test_bad_prices_are_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        round_to_tick(float("nan"), 0.25)
    with pytest.raises(TypeError, match="number"):
        round_to_tick("6000", 0.25)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        price_to_ticks(True, 0.25)  # type: ignore[arg-type]


def test_is_on_tick() -> None:
    assert is_on_tick(6000.25, 0.25) and is_on_tick(-3.75, 0.25) and is_on_tick(0, 0.25)
    assert not is_on_tick(6000.1, 0.25)
    assert not is_on_tick(float("nan"), 0.25) and not is_on_tick(float("inf"), 0.25)
    assert not is_on_tick(6000.2500001, 0.25)
    assert is_on_tick(6000.2500001, 0.25, tolerance_ticks=1e-3)
    assert MNQ.is_on_tick(21000.75)


def test_price_to_ticks_and_back() -> None:
    assert price_to_ticks(6000.25, 0.25) == 24001
    assert price_to_ticks(-1.5, 0.25) == -6
    assert price_to_ticks(0.0, 0.25) == 0
    assert ticks_to_price(24001, 0.25) == 6000.25
    assert ES.price_to_ticks(1.0) == 4 and ES.ticks_to_price(-3) == -0.75
    with pytest.raises(ValueError, match="not a multiple of the tick"):
        price_to_ticks(6000.1, 0.25)


def test_ticks_to_usd() -> None:
    assert ticks_to_usd(4, ES) == Decimal("50.00")
    assert ticks_to_usd(-3, MNQ) == Decimal("-1.50")
    with pytest.raises(TypeError):
        ticks_to_usd(1.0, ES)  # type: ignore[arg-type]


def test_points_to_usd() -> None:
    assert points_to_usd(1.0, 2, ES) == Decimal("100.00")
    assert points_to_usd(-2.75, 1, ES) == Decimal("-137.50")
    assert points_to_usd(10.0, 3, MNQ) == Decimal("60.00")
    assert points_to_usd(0.125, 1, ES) == Decimal("6.25")  # an averaged entry price, off the tick
    assert points_to_usd(5.0, -1, ES) == Decimal("-250.00")  # signed quantity
    with pytest.raises(TypeError):
        points_to_usd(1.0, 1.5, ES)  # type: ignore[arg-type]


def test_no_drift_over_ten_thousand_fills() -> None:
    """10,000 random round trips: the Decimal P&L equals the integer-tick truth to the cent, and a
    P&L that is added then removed returns to exactly zero."""
    rng = random.Random(7)
    total = Decimal(0)
    truth_ticks = {"ES": 0, "MNQ": 0}
    for _ in range(10_000):
        inst = ES if rng.random() < 0.5 else MNQ
        base = 6000.0 if inst is ES else 21000.0
        entry = base + rng.randint(-4000, 4000) * 0.25
        exit_ = entry + rng.randint(-200, 200) * 0.25
        qty = rng.randint(1, 10)
        total += points_to_usd(exit_ - entry, qty, inst)
        truth_ticks[inst.symbol] += round((exit_ - entry) * 4) * qty
    expected = truth_ticks["ES"] * Decimal("12.50") + truth_ticks["MNQ"] * Decimal("0.50")
    assert total == expected
    assert total.as_tuple().exponent >= -2  # cents, never a binary fraction

    running = Decimal(0)
    legs = [points_to_usd(rng.randint(-400, 400) * 0.25, rng.randint(1, 5), MNQ) for _ in range(10_000)]
    for leg in legs:
        running += leg
    for leg in reversed(legs):
        running -= leg
    assert running == 0
