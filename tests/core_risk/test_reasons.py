"""Reason codes and their French/English sentences."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from trading_core.risk.reasons import (
    TEMPLATES,
    PriceLabel,
    ReasonCode,
    format_money,
    format_number,
    format_percent,
    parse_number,
    reject,
)

# One realistic set of parameters per (code, variant); the rendered fragments must show up.
SAMPLES: dict[tuple[ReasonCode, str], tuple[dict[str, Any], list[str], list[str]]] = {
    (ReasonCode.QTY_NOT_POSITIVE, ""): ({"quantity": -3}, ["-3"], ["-3"]),
    (ReasonCode.QTY_NOT_POSITIVE, "not_whole"): ({"quantity": 1.5}, ["1.5"], ["1,5"]),
    (ReasonCode.QTY_ABOVE_MAX, ""): (
        {"quantity": 10_000, "maximum": 10}, ["10,000 contracts", "of 10."], ["10 000 contrats", "de 10."]
    ),
    (ReasonCode.POSITION_LIMIT_SYMBOL, ""): (
        {"symbol": "ES", "resulting": 12, "limit": 10}, ["ES", "12 contracts", "10"], ["ES", "12 contrats", "10"]
    ),
    (ReasonCode.POSITION_LIMIT_TOTAL, ""): (
        {"resulting": 1_021, "limit": 1_000}, ["1,021 contracts", "1,000"], ["1 021 contrats", "1 000"]
    ),
    (ReasonCode.DAILY_LOSS_LIMIT, ""): (
        {"pnl": Decimal("-2150.5"), "limit": Decimal("2000")},
        ["2,150.50 dollars", "2,000 dollars"], ["2 150,50 dollars", "2 000 dollars"],
    ),
    (ReasonCode.MAX_CONSECUTIVE_LOSSES, ""): (
        {"count": 5, "limit": 5}, ["5 losing trades", "limit is 5"], ["5 pertes", "de 5"]
    ),
    (ReasonCode.MIN_BALANCE, ""): (
        {"balance": Decimal("24999.99"), "minimum": Decimal("25000")},
        ["24,999.99 dollars", "25,000 dollars"], ["24 999,99 dollars", "25 000 dollars"],
    ),
    (ReasonCode.MARKET_CLOSED, ""): ({"symbol": "MNQ"}, ["MNQ"], ["MNQ"]),
    (ReasonCode.RATE_LIMIT, ""): (
        {"count": 30, "limit": 30, "wait": 12}, ["30 orders", "12 seconds"], ["30 ordres", "12 secondes"]
    ),
    (ReasonCode.PRICE_BAND, ""): (
        {"label": PriceLabel.LIMIT, "price": 5300.25, "last": 5000.0, "distance": 6.0062, "band": 5.0},
        ["limit price 5,300.25", "6.01%", "5,000", "5%"], ["prix limite 5 300,25", "6,01 %", "5 000", "5 %"],
    ),
    (ReasonCode.UNKNOWN_SYMBOL, ""): ({"symbol": "XYZ"}, ["XYZ"], ["XYZ"]),
    (ReasonCode.HALTED, ""): ({}, ["halted"], ["suspendu"]),
    (ReasonCode.REDUCING_ONLY, ""): (
        {"symbol": "ES", "position": 2}, ["ES", "long 2 contracts"], ["ES", "longue de 2 contrats"]
    ),
    (ReasonCode.REDUCING_ONLY, "flat"): ({"symbol": "ES"}, ["no ES position"], ["aucune position ES"]),
    (ReasonCode.HALTED, "covered"): (
        {"symbol": "ES", "exiting": 2}, ["already close 2 contracts of your ES position"],
        ["ferment déjà 2 contrats de votre position ES"],
    ),
    (ReasonCode.REDUCING_ONLY, "covered"): (
        {"symbol": "ES", "exiting": 1}, ["1 contract of your ES position"], ["1 contrat de votre position ES"]
    ),
    (ReasonCode.NO_MARKET_PRICE, ""): ({"symbol": "ES"}, ["ES"], ["ES"]),
    (ReasonCode.NO_CURRENT_PRICE, ""): (
        {"symbol": "ES"}, ["no current price for ES yet"], ["pas encore de prix actuel pour ES"]
    ),
    (ReasonCode.INVALID_PRICE, "missing"): (
        {"label": PriceLabel.STOP_LOSS}, ["stop-loss price"], ["prix du stop de protection"]
    ),
    (ReasonCode.INVALID_PRICE, "not_positive"): (
        {"label": PriceLabel.LIMIT, "price": -1.5}, ["-1.5"], ["-1,5"]
    ),
    (ReasonCode.INVALID_PRICE, "too_large"): (
        {"label": PriceLabel.LIMIT, "price": 1e308}, ["limit price", "far too large"], ["prix limite", "bien trop grand"]
    ),
    (ReasonCode.DUPLICATE_CLIENT_ID, ""): (
        {"client_id": "abc", "existing": "buy 1 ES market"}, ["abc", "buy 1 ES market"], ["abc", "buy 1 ES market"]
    ),
    (ReasonCode.INVALID_PRICE, "off_tick"): (
        {"label": PriceLabel.STOP, "price": 5000.1, "tick": 0.25, "below": 5000.0, "above": 5000.25},
        ["5,000.1", "0.25", "5,000 and 5,000.25"], ["5 000,1", "0,25", "5 000 et 5 000,25"],
    ),
    (ReasonCode.INVALID_PRICE, "stop_loss_below"): (
        {"stop_loss": 5010.0, "entry": 5000.0}, ["5,010", "below"], ["5 010", "sous"]
    ),
    (ReasonCode.INVALID_PRICE, "stop_loss_above"): (
        {"stop_loss": 4990.0, "entry": 5000.0}, ["4,990", "above"], ["4 990", "au-dessus"]
    ),
    (ReasonCode.INVALID_PRICE, "take_profit_above"): (
        {"take_profit": 4990.0, "entry": 5000.0}, ["4,990", "above"], ["4 990", "au-dessus"]
    ),
    (ReasonCode.INVALID_PRICE, "take_profit_below"): (
        {"take_profit": 5010.0, "entry": 5000.0}, ["5,010", "below"], ["5 010", "sous"]
    ),
    (ReasonCode.RISK_PERCENT_OUT_OF_RANGE, ""): (
        {"percent": Decimal("10000"), "max": Decimal("5.0")}, ["10,000%", "5%"], ["10 000 %", "5 %"]
    ),
    (ReasonCode.RISK_PERCENT_OUT_OF_RANGE, "not_a_number"): (
        {"percent": "lots", "max": Decimal("2.5")}, ["\u201clots\u201d", "2.5%"], ["« lots »", "2,5 %"]
    ),
    (ReasonCode.SIZE_ZERO_FROM_RISK, ""): (
        {"percent": Decimal("0.1"), "symbol": "ES"}, ["0.1%", "ES"], ["0,1 %", "ES"]
    ),
    (ReasonCode.SIZE_ZERO_FROM_RISK, "detailed"): (
        {
            "percent": Decimal("0.25"), "equity": Decimal("30000"), "budget": Decimal("75"),
            "per_contract": Decimal("1250"), "symbol": "ES", "stop": 25.0,
        },
        ["0.25%", "30,000 dollars", "75 dollars", "1,250 dollars", "25 points"],
        ["0,25 %", "30 000 dollars", "75 dollars", "1 250 dollars", "25 points"],
    ),
}


def test_every_template_has_a_sample_and_every_code_a_template() -> None:
    assert set(SAMPLES) == set(TEMPLATES)
    assert {code for code, _ in TEMPLATES} == set(ReasonCode)


@pytest.mark.parametrize("key", sorted(SAMPLES, key=lambda k: (k[0].value, k[1])), ids=lambda k: f"{k[0].value}/{k[1] or 'default'}")
def test_each_reason_renders_both_languages(key: tuple[ReasonCode, str]) -> None:
    code, variant = key
    params, en_parts, fr_parts = SAMPLES[key]
    r = reject(code, variant, **params)
    assert r.code == code.value
    assert r.message_en and r.message_fr
    assert r.message_en != r.message_fr
    assert "{" not in r.message_en + r.message_fr and "}" not in r.message_en + r.message_fr
    for part in en_parts:
        assert part in r.message_en, (part, r.message_en)
    for part in fr_parts:
        assert part in r.message_fr, (part, r.message_fr)
    assert r.message("fr") == r.message_fr and r.message("en") == r.message_en
    # Sentences, spoken as they are: they begin with a capital and end with a full stop.
    for text in (r.message_en, r.message_fr):
        assert text[0].isupper() and text.endswith(".")


def test_code_values_are_stable_strings() -> None:
    for code in ReasonCode:
        assert code.value == code.name
    assert reject("QTY_ABOVE_MAX", quantity=11, maximum=10).code == "QTY_ABOVE_MAX"


def test_brief_example_sentence() -> None:
    r = reject(ReasonCode.QTY_ABOVE_MAX, quantity=10_000, maximum=10)
    assert r.message_en == "Order refused: 10,000 contracts is above the maximum order size of 10."
    assert r.message_fr == "Ordre refusé : 10 000 contrats dépasse la taille maximale d'ordre de 10."


def test_plurals_follow_each_language() -> None:
    one = reject(ReasonCode.POSITION_LIMIT_TOTAL, resulting=1, limit=0)
    assert "1 contract " in one.message_en and "1 contrat " in one.message_fr
    zero = reject(ReasonCode.RATE_LIMIT, count=0, limit=1, wait=1)
    # English: "0 orders"; French keeps the singular below two: "0 ordre", "1 seconde".
    assert "0 orders" in zero.message_en and "1 second." in zero.message_en
    assert "0 ordre " in zero.message_fr and "1 seconde." in zero.message_fr
    short = reject(ReasonCode.REDUCING_ONLY, symbol="MNQ", position=-1)
    assert "short 1 contract;" in short.message_en and "courte de 1 contrat ;" in short.message_fr


def test_reject_refuses_wrong_parameters_and_unknown_codes() -> None:
    with pytest.raises(ValueError, match="missing parameters \\['maximum'\\]"):
        reject(ReasonCode.QTY_ABOVE_MAX, quantity=11)
    with pytest.raises(ValueError, match="unexpected parameters \\['colour'\\]"):
        reject(ReasonCode.HALTED, colour="red")
    with pytest.raises(ValueError, match="no refusal sentence"):
        reject(ReasonCode.HALTED, "nope")
    with pytest.raises(ValueError, match="no refusal sentence"):
        reject("NOT_A_CODE")


def test_empty_symbol_is_said_not_swallowed() -> None:
    r = reject(ReasonCode.UNKNOWN_SYMBOL, symbol="  ")
    assert "(empty)" in r.message_en and "(vide)" in r.message_fr


@pytest.mark.parametrize(
    ("value", "en", "fr"),
    [
        (0, "0", "0"),
        (999, "999", "999"),
        (1000, "1,000", "1 000"),
        (-1234567, "-1,234,567", "-1 234 567"),
        (2.5, "2.5", "2,5"),
        (4512.25, "4,512.25", "4 512,25"),
        (Decimal("1E+3"), "1,000", "1 000"),
        (Decimal("0.005"), "0.01", "0,01"),  # half-up, not banker's rounding
        (-0.001, "0", "0"),  # never "-0"
        (float("nan"), "nan", "nan"),
    ],
)
def test_format_number(value: Any, en: str, fr: str) -> None:
    assert format_number(value, "en") == en
    assert format_number(value, "fr") == fr


def test_format_money_and_percent() -> None:
    assert format_money(Decimal("2000"), "en") == "2,000 dollars"
    assert format_money(Decimal("2000.5"), "fr") == "2 000,50 dollars"
    assert format_money(1, "en") == "1 dollar"
    assert format_money(Decimal("1.5"), "fr") == "1,50 dollar"
    assert format_percent(Decimal("2.5"), "en") == "2.5%"
    assert format_percent(Decimal("2.5"), "fr") == "2,5 %"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.5", Decimal("2.5")),
        ("2,5", Decimal("2.5")),
        ("10 000", Decimal("10000")),
        ("10\u00a0000", Decimal("10000")),
        ("10,000", Decimal("10000")),
        ("1 000,5", Decimal("1000.5")),
        ("1.000,5", Decimal("1000.5")),
        ("1,000.5", Decimal("1000.5")),
        ("3 %", Decimal("3")),
        ("-3", Decimal("-3")),
        ("abc", None),
        ("nan", None),
        ("inf", None),
        ("1,2,3", None),
        ("", None),
    ],
)
def test_parse_number(text: str, expected: Decimal | None) -> None:
    assert parse_number(text) == expected
