"""Reason codes: one namespace, parameters kept as data, local denials apart from venue rejections."""
from __future__ import annotations

from decimal import Decimal

import pytest

from trading_core.risk.reasons import PARAMS, RECORDED, VENUE_CODES, PriceLabel, ReasonCode, parse_number, reject
from trading_core.types import Rejection


def test_every_code_has_its_parameters_declared() -> None:
    assert {code for code, _ in PARAMS} == set(ReasonCode)


def test_code_values_are_stable_strings() -> None:
    for code in ReasonCode:
        assert code.value == code.name
    r = reject("QTY_ABOVE_MAX", quantity=11, maximum=10)
    assert r.code is ReasonCode.QTY_ABOVE_MAX and r.code == "QTY_ABOVE_MAX"
    assert f"{r.code}" == str(r.code) == "QTY_ABOVE_MAX"  # printed as the stored value


def test_parameters_are_data_not_sentences() -> None:
    r = reject(ReasonCode.DAILY_LOSS_LIMIT, pnl=Decimal("-2150.5"), limit=Decimal("2000"))
    assert r == Rejection(ReasonCode.DAILY_LOSS_LIMIT, "", {"pnl": Decimal("-2150.5"), "limit": Decimal("2000")})
    band = reject(ReasonCode.PRICE_BAND, label=PriceLabel.LIMIT, price=5300.25, last=5000.0, distance=6.0, band=5.0)
    assert band.params["label"] == "limit"  # enums are stored by their value
    assert not hasattr(r, "message_en") and not hasattr(r, "message")


def test_broker_and_venue_codes_are_enum_members() -> None:
    assert {c.value for c in VENUE_CODES} == {
        "BROKER_REJECTED", "BROKER_DISCONNECTED", "BROKER_UNKNOWN_SYMBOL", "BROKER_INVALID_QUANTITY",
        "BROKER_INVALID_ORDER_TYPE", "BROKER_INVALID_PRICE", "BROKER_INVALID_BRACKET", "BROKER_PARENT_INACTIVE",
        "IB_ERROR", "IB_INACTIVE", "IB_CONTRACT_UNKNOWN", "IB_CONTRACT_TIMEOUT",
    }
    ib = reject(ReasonCode.IB_ERROR, ib_code=201, text="Order rejected - reason: margin")
    assert ib.is_venue and ib.params["ib_code"] == 201  # one member, IB's number kept as a parameter
    assert not reject(ReasonCode.HALTED).is_venue
    assert all(c.is_venue is c.name.startswith(("BROKER_", "IB_")) for c in ReasonCode)


def test_reject_refuses_wrong_parameters_and_unknown_codes() -> None:
    with pytest.raises(ValueError, match="missing parameters \\['maximum'\\]"):
        reject(ReasonCode.QTY_ABOVE_MAX, quantity=11)
    with pytest.raises(ValueError, match="unexpected parameters \\['colour'\\]"):
        reject(ReasonCode.HALTED, colour="red")
    with pytest.raises(ValueError, match="no refusal sentence"):
        reject(ReasonCode.HALTED, "nope")
    with pytest.raises(ValueError, match="unknown reason code"):
        reject("NOT_A_CODE")


def test_recorded_variant_holds_what_an_old_ledger_stored() -> None:
    r = reject(ReasonCode.IB_ERROR, RECORDED, recorded_code="IB_201", text_en="refused", text_fr="refusé")
    assert r.variant == RECORDED and r.params["recorded_code"] == "IB_201"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.5", Decimal("2.5")),
        ("2,5", Decimal("2.5")),
        ("10 000", Decimal("10000")),
        ("10\u00a0000", Decimal("10000")),
        ("10\u202f000", Decimal("10000")),
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
