"""Pure comparison of ledger and broker positions (the alert wiring is tested in test_reconnect)."""
from __future__ import annotations

from trading_core.broker.base import BrokerPosition
from datetime import datetime, timezone

from tests.rendering import en as say_en, fr as say_fr
from trading_core.broker.reconcile import PositionMismatch, compare_positions
from trading_core.types import EngineEvent, EventKind, ReconciliationMismatch, Severity


def test_compare_positions_lists_every_difference_and_nothing_else():
    ledger = {"ES": 2, "MNQ": -1}
    broker = [BrokerPosition("ES", 2, 6000.0), BrokerPosition("MNQ", 3, 21000.0)]
    assert compare_positions(ledger, broker) == [PositionMismatch("MNQ", -1, 3)]
    assert compare_positions({"ES": 1}, []) == [PositionMismatch("ES", 1, 0)]
    assert compare_positions({}, [BrokerPosition("ES", -2, 6000.0)]) == [PositionMismatch("ES", 0, -2)]
    assert compare_positions({"ES": 0}, [BrokerPosition("ES", 0, 0.0)]) == []
    # two expiries of one root at the broker are one position for the ledger
    assert compare_positions({"ES": 3}, [BrokerPosition("ES", 1, 6000.0), BrokerPosition("ES", 2, 6010.0)]) == []


def _alert(mismatch: ReconciliationMismatch) -> EngineEvent:
    return EngineEvent(EventKind.RECONCILIATION_MISMATCH, Severity.CRITICAL, datetime.now(timezone.utc), mismatch)


def test_descriptions_are_in_both_languages():
    ev = _alert(ReconciliationMismatch("ib", (PositionMismatch("ES", 1, 3), PositionMismatch("MNQ", 0, -2))))
    en, fr = say_en(ev), say_fr(ev)
    assert "ES: ledger +1, Interactive Brokers +3; MNQ: ledger +0, Interactive Brokers -2" in en
    assert "ES : registre +1, Interactive Brokers +3" in fr and "Rien n'a été modifié" in fr
    ev = _alert(ReconciliationMismatch("ib", missing_orders=("O-1", "O-2")))
    en, fr = say_en(ev), say_fr(ev)
    assert "O-1, O-2" in en and "O-1, O-2" in fr and "registre" in fr
