"""Engine events become alerts with the right priority, category and French / English text."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from assistant.notify.alerts import (
    Alert,
    AlertCategory,
    alert_from_event,
    copy_alert,
    recogniser_failure_alert,
)
from trading_core.types import (
    EngineEvent,
    EventKind,
    Fill,
    Rejection,
    Severity,
    Side,
    StateChange,
    TradingState,
)

TS = datetime(2026, 11, 20, 14, 30, tzinfo=timezone.utc)


def ev(kind: EventKind, severity: Severity = Severity.INFO, en: str = "", fr: str = "", **kw) -> EngineEvent:
    return EngineEvent(kind=kind, severity=severity, ts=TS, text_en=en, text_fr=fr, **kw)


def halted_by_daily_loss(seq: int = 77) -> EngineEvent:
    return ev(
        EventKind.STATE_CHANGE, Severity.CRITICAL,
        "Daily loss limit of $2,000 reached: trading halted, positions flattened.",
        "Limite de perte journalière de 2 000 $ atteinte : trading arrêté, positions soldées.",
        state=StateChange(TradingState.ACTIVE, TradingState.HALTED, "daily loss limit"), seq=seq,
    )


@pytest.mark.parametrize(
    ("event", "priority", "category"),
    [
        (ev(EventKind.FILL, en="Bought 2 ES at 5012.25", fr="Achat de 2 ES à 5012,25"), 3, AlertCategory.TRADE),
        (ev(EventKind.ORDER_ACCEPTED, en="Order accepted", fr="Ordre accepté"), 2, AlertCategory.TRADE),
        (ev(EventKind.ORDER_CANCELLED, en="x", fr="x"), 2, AlertCategory.TRADE),
        (ev(EventKind.ORDER_REJECTED, Severity.WARNING, en="Buy 50 ES refused", fr="Achat 50 ES refusé"), 3, AlertCategory.TRADE),
        (ev(EventKind.RISK_BREACH, Severity.WARNING, en="Max position", fr="Position max"), 4, AlertCategory.RISK),
        (halted_by_daily_loss(), 5, AlertCategory.RISK),
        (ev(EventKind.STATE_CHANGE, en="r", fr="r", state=StateChange(TradingState.ACTIVE, TradingState.REDUCING, "5 losses")), 4, AlertCategory.RISK),
        (ev(EventKind.STATE_CHANGE, en="r", fr="r", state=StateChange(TradingState.HALTED, TradingState.ACTIVE, "resume")), 3, AlertCategory.RISK),
        (ev(EventKind.KILL_SWITCH, Severity.CRITICAL, en="Kill switch", fr="Arrêt"), 5, AlertCategory.RISK),
        (ev(EventKind.BROKER_DISCONNECTED, Severity.WARNING, en="IB lost", fr="IB perdu"), 4, AlertCategory.CONNECTIVITY),
        (ev(EventKind.BROKER_RECONNECTED, en="IB back", fr="IB revenu"), 3, AlertCategory.CONNECTIVITY),
        (ev(EventKind.MARKET_DATA_STALE, Severity.WARNING, en="No ES tick for 120 s", fr="Aucun tick ES depuis 120 s"), 4, AlertCategory.MARKET_DATA),
        (ev(EventKind.RECONCILIATION_MISMATCH, Severity.CRITICAL, en="ES +1 vs 0", fr="ES +1 contre 0"), 4, AlertCategory.RISK),
        (ev(EventKind.RISK_SETTING_CHANGED, en="Risk 1% -> 2%", fr="Risque 1 % -> 2 %"), 2, AlertCategory.RISK),
        (ev(EventKind.SYSTEM, en="started", fr="démarré"), 1, AlertCategory.SYSTEM),
        (ev(EventKind.SYSTEM, Severity.CRITICAL, en="disk full", fr="disque plein"), 4, AlertCategory.SYSTEM),
    ],
)
def test_priority_and_category(event, priority, category):
    alert = alert_from_event(event)
    assert (alert.priority, alert.category) == (priority, category)


def test_daily_loss_halt_text_in_both_languages():
    alert = alert_from_event(halted_by_daily_loss())
    assert alert.channel_text("fr") == (
        "🚨 Trading arrêté\nLimite de perte journalière de 2 000 $ atteinte : trading arrêté, positions soldées."
    )
    assert alert.channel_text("en").startswith("🚨 Trading halted\nDaily loss limit of $2,000 reached")
    assert alert.spoken_text("fr").startswith("Trading arrêté. Limite de perte journalière")
    assert alert.sms_text("en").startswith("MIA: Trading halted - Daily loss limit")
    assert alert.subject("fr") == "[MIA P5] Trading arrêté"
    assert alert.key == "evt:77"


def test_rejection_reason_is_added_once():
    rej = Rejection("MAX_ORDER_SIZE", "Order size 50 is above the limit of 10.", "La taille 50 dépasse la limite de 10.")
    alert = alert_from_event(ev(EventKind.ORDER_REJECTED, en="Buy 50 ES refused", fr="Achat de 50 ES refusé", rejection=rej))
    assert alert.body("en") == "Buy 50 ES refused — Order size 50 is above the limit of 10."
    assert alert.body("fr") == "Achat de 50 ES refusé — La taille 50 dépasse la limite de 10."
    already = alert_from_event(ev(EventKind.ORDER_REJECTED, en=rej.message_en, fr=rej.message_fr, rejection=rej))
    assert already.body("en") == rej.message_en


def test_event_without_text_gets_one_from_its_fields():
    fill = Fill("f1", "o1", "ES", Side.SELL, 2, 5012.25, Decimal("4.50"), TS)
    alert = alert_from_event(ev(EventKind.FILL, fill=fill))
    assert alert.body("en") == "Sold 2 ES at 5012.25"
    assert alert.body("fr") == "Vente de 2 ES à 5012.25"


def test_event_keys_are_stable_for_the_same_event():
    unsaved = ev(EventKind.BROKER_DISCONNECTED, en="IB lost", fr="IB perdu")
    assert alert_from_event(unsaved).key == alert_from_event(unsaved).key
    other = ev(EventKind.BROKER_DISCONNECTED, en="IB lost again", fr="IB reperdu")
    assert alert_from_event(unsaved).key != alert_from_event(other).key


def test_recogniser_failure_and_copy():
    alert = recogniser_failure_alert("Microphone disconnected.", "Micro débranché.", ts=TS)
    assert (alert.priority, alert.category) == (4, AlertCategory.SPEECH)
    assert alert.channel_text("fr") == (
        "⚠️ Échec de la reconnaissance vocale\nMicro débranché. Les commandes vocales ne sont plus entendues ; "
        "utilisez Telegram ou la CLI."
    )
    # The same failure reported again within the minute is the same alert.
    assert recogniser_failure_alert("Microphone disconnected.", ts=TS).key == alert.key

    copy = copy_alert("achète deux ES", "Achat de 2 ES exécuté à 5012,25.", "fr", "voice", ts=TS)
    assert copy.channel_text("fr") == "ℹ️ Commande vocale\n« achète deux ES »\n→ Achat de 2 ES exécuté à 5012,25."
    assert copy.category is AlertCategory.COPY and copy.priority == 2
    assert copy_alert("x", "y", "en", "voice").key != copy_alert("x", "y", "en", "voice").key


def test_alert_validates_priority():
    with pytest.raises(ValueError, match="priority must be 1..5"):
        Alert("k", 6, AlertCategory.SYSTEM, "SYSTEM", "t", "t", "b", "b", TS)
