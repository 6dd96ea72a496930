"""Command acceptance scoring: intent, slots, rejection items."""
from __future__ import annotations

import pytest

from assistant.harness.labels import Label
from assistant.harness.scoring import Inferred, describe, score, values_equal

TRADE = Label("a.wav", "place_trade", {"side": "BUY", "quantity": 2, "symbol": "ES"})
REJECT = Label("r.wav", None)


def test_exact_command_is_accepted() -> None:
    s = score(TRADE, [Inferred("place_trade", {"side": "BUY", "quantity": 2, "symbol": "ES"})])
    assert s.accepted and s.error is None


def test_slot_values_are_trimmed_case_folded_and_numbers_compared_as_numbers() -> None:
    label = Label("a.wav", "place_trade", {"side": " buy ", "quantity": "2", "symbol": "es", "price": "5012,25"})
    got = Inferred("PLACE_TRADE", {"side": "BUY", "quantity": 2.0, "symbol": "ES", "price": 5012.25})
    assert score(label, [got]).accepted


def test_wrong_slot_value_is_an_error() -> None:
    s = score(TRADE, [Inferred("place_trade", {"side": "BUY", "quantity": 2, "symbol": "MNQ"})])
    assert not s.accepted
    assert s.error == "wrong_value"
    assert "symbol: expected 'ES', got 'MNQ'" in s.detail
    assert s.slot_errors == ("wrong_value:symbol",)


def test_confusable_numbers_are_a_wrong_value() -> None:
    s = score(TRADE, [Inferred("place_trade", {"side": "BUY", "quantity": 12, "symbol": "ES"})])
    assert s.error == "wrong_value" and "quantity: expected 2, got 12" in s.detail


def test_missing_slot_is_an_error() -> None:
    s = score(TRADE, [Inferred("place_trade", {"side": "BUY", "quantity": 2})])
    assert not s.accepted and s.error == "missing_slot"
    assert "missing slot symbol='ES'" in s.detail


def test_extra_slot_is_an_error() -> None:
    s = score(TRADE, [Inferred("place_trade", {"side": "BUY", "quantity": 2, "symbol": "ES", "price": 5000.0})])
    assert not s.accepted and s.error == "extra_slot"
    assert "extra slot price=5000.0" in s.detail


def test_every_slot_problem_is_listed() -> None:
    s = score(TRADE, [Inferred("place_trade", {"side": "SELL", "quantity": 2, "risk_percent": 1.0})])
    assert s.error == "missing_slot"  # the most telling kind first
    assert set(s.slot_errors) == {"missing_slot:symbol", "wrong_value:side", "extra_slot:risk_percent"}


def test_wrong_intent_and_no_inference() -> None:
    assert score(TRADE, [Inferred("close_positions", {"symbol": "ES"})]).error == "wrong_intent"
    s = score(TRADE, [])
    assert not s.accepted and s.error == "no_inference"


def test_two_inferences_for_one_command_is_an_error_even_if_one_is_right() -> None:
    right = Inferred("place_trade", {"side": "BUY", "quantity": 2, "symbol": "ES"})
    s = score(TRADE, [right, Inferred("confirm", {})])
    assert not s.accepted and s.error == "several_inferences"


def test_rejection_item_is_accepted_only_when_nothing_is_inferred() -> None:
    assert score(REJECT, []).accepted
    s = score(REJECT, [Inferred("halt", {})])
    assert not s.accepted and s.error == "false_accept"
    assert "inferred halt" in s.detail


def test_command_without_slots() -> None:
    label = Label("h.wav", "halt")
    assert score(label, [Inferred("halt", {})]).accepted
    assert score(label, [Inferred("halt", {"scope": "all"})]).error == "extra_slot"


@pytest.mark.parametrize("a,b,equal", [
    (2, "2", True), (2, 2.0, True), ("0.5", 0.5, True), ("0,5", "0.5", True), (1.5, 1.25, False),
    ("ES", "es", True), (" all ", "ALL", True), ("ES", "MNQ", False), ("2", "two", False),
    (True, "true", True), (True, 1, False),
])
def test_values_equal(a: object, b: object, equal: bool) -> None:
    assert values_equal(a, b) is equal


def test_describe() -> None:
    assert describe("place_trade", {"side": "BUY", "quantity": 2}) == "place_trade(side=BUY, quantity=2)"
    assert describe("halt", {}) == "halt"
    assert describe(None, {}) == "(reject)"


def test_a_split_command_is_a_failure_whatever_the_pieces_gave() -> None:
    right = [Inferred("place_trade", {"side": "BUY", "quantity": 2, "symbol": "ES"})]
    s = score(TRADE, right, segments=2)
    assert not s.accepted and s.error == "split" and "cut into 2 utterances" in s.detail
    assert score(TRADE, [], segments=3).error == "split"
    assert score(TRADE, right, segments=1).accepted
    # For an item to reject, only what was inferred matters.
    assert score(REJECT, [], segments=2).accepted
