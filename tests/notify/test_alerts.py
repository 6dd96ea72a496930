"""Engine events become alerts with the right priority, category and French / English text: written for
the channels, said in words for the voice."""
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
from assistant.present.text import msg
from trading_core.risk.reasons import ReasonCode, reject
from trading_core.types import (
    ConnectionChange,
    EngineEvent,
    EventKind,
    FeedStale,
    Fill,
    FillEvent,
    LossLimitBreach,
    Notice,
    Order,
    OrderEvent,
    OrderStatus,
    OrderType,
    PositionMismatch,
    ReconciliationMismatch,
    RiskSettingChange,
    Severity,
    Side,
    StateChange,
    SystemNotice,
    TradingState,
)

TS = datetime(2026, 11, 20, 14, 30, tzinfo=timezone.utc)
S, B = "\u202f", "\u00a0"
ORDER = Order("O-1", "C-1", "ES", Side.BUY, 50, OrderType.MARKET, OrderStatus.PENDING, TS)
HALT = StateChange(TradingState.ACTIVE, TradingState.HALTED, "daily loss limit")


def ev(kind: EventKind, payload: object, severity: Severity = Severity.INFO, seq: int = 0) -> EngineEvent:
    return EngineEvent(kind, severity, TS, payload, "ES", seq)  # type: ignore[arg-type]


def breach(seq: int = 77) -> EngineEvent:
    return ev(EventKind.RISK_BREACH, LossLimitBreach(Decimal("-1502.25"), Decimal("1000"), True, HALT), Severity.CRITICAL, seq)


def fill_event(side: Side = Side.SELL) -> EngineEvent:
    fill = Fill("f1", "O-1", "ES", side, 2, 5012.25, Decimal("4.50"), TS)
    return ev(EventKind.FILL, FillEvent(fill, ORDER))


@pytest.mark.parametrize(
    ("event", "priority", "category"),
    [
        (fill_event(), 3, AlertCategory.TRADE),
        (ev(EventKind.ORDER_ACCEPTED, OrderEvent(ORDER)), 2, AlertCategory.TRADE),
        (ev(EventKind.ORDER_CANCELLED, OrderEvent(ORDER)), 2, AlertCategory.TRADE),
        (ev(EventKind.ORDER_DENIED, OrderEvent(ORDER, reject(ReasonCode.QTY_ABOVE_MAX, quantity=50, maximum=10)),
            Severity.WARNING), 3, AlertCategory.TRADE),
        (ev(EventKind.ORDER_REJECTED, OrderEvent(ORDER, reject(ReasonCode.IB_ERROR, ib_code=201, text="margin")),
            Severity.WARNING), 3, AlertCategory.TRADE),
        (breach(), 5, AlertCategory.RISK),
        (ev(EventKind.STATE_CHANGE, StateChange(TradingState.ACTIVE, TradingState.REDUCING, "5 losses")), 4, AlertCategory.RISK),
        (ev(EventKind.STATE_CHANGE, StateChange(TradingState.HALTED, TradingState.ACTIVE, "resume")), 3, AlertCategory.RISK),
        (ev(EventKind.KILL_SWITCH, StateChange(TradingState.ACTIVE, TradingState.HALTED, "kill switch: cli"),
            Severity.CRITICAL), 5, AlertCategory.RISK),
        (ev(EventKind.BROKER_DISCONNECTED, ConnectionChange(False, "IB lost"), Severity.WARNING), 4, AlertCategory.CONNECTIVITY),
        (ev(EventKind.BROKER_RECONNECTED, ConnectionChange(True, "IB back")), 3, AlertCategory.CONNECTIVITY),
        (ev(EventKind.MARKET_DATA_STALE, FeedStale(120.0), Severity.WARNING), 4, AlertCategory.MARKET_DATA),
        (ev(EventKind.RECONCILIATION_MISMATCH, ReconciliationMismatch("ib", (PositionMismatch("ES", 1, 0),)),
            Severity.CRITICAL), 4, AlertCategory.RISK),
        (ev(EventKind.RISK_SETTING_CHANGED, RiskSettingChange(Decimal("2"), None)), 2, AlertCategory.RISK),
        (ev(EventKind.SYSTEM, SystemNotice(Notice.ENGINE_STARTED)), 1, AlertCategory.SYSTEM),
        (ev(EventKind.SYSTEM, SystemNotice(Notice.FEED_RESUMED), Severity.CRITICAL), 4, AlertCategory.SYSTEM),
    ],
)
def test_priority_and_category(event, priority, category):
    alert = alert_from_event(event)
    assert (alert.priority, alert.category) == (priority, category)


def test_daily_loss_breach_is_written_for_the_channels_and_said_in_words():
    alert = alert_from_event(breach())
    assert alert.channel_text("en") == (
        "🚨 Risk limit breached\nDaily loss limit hit: P&L -$1,502.25 against a limit of -$1,000.00. "
        "Trading is halted and positions are being flattened."
    )
    assert alert.channel_text("fr") == (
        f"🚨 Limite de risque dépassée\nLimite de perte journalière atteinte : P&L -1{S}502,25{B}$ pour une limite "
        f"de -1{S}000,00{B}$. Le trading est arrêté et les positions sont fermées."
    )
    # spoken as a person says it, not "P&L -$1,502.25" read out character by character
    assert alert.spoken_text("en") == (
        "Risk limit breached. Daily loss limit hit: P and L minus one thousand five hundred two dollars and "
        "twenty-five cents against a limit of minus one thousand dollars. Trading is halted and positions are "
        "being flattened."
    )
    assert "P N L moins mille cinq cent deux dollars vingt-cinq pour une limite de moins mille dollars" in alert.spoken_text("fr")
    # the terminal's alert line is what is said, written as chat text (figures and symbols as written)
    assert alert.terminal_text("en").startswith("Risk limit breached. Daily loss limit hit: P&L -$1,502.25")
    assert alert.terminal_text("fr").startswith(f"Limite de risque dépassée. Limite de perte journalière atteinte : P&L -1{S}502,25")
    assert alert.sms_text("en").startswith("MIA: Risk limit breached - Daily loss limit hit")
    assert alert.subject("fr") == "[MIA P5] Limite de risque dépassée"
    assert alert.key == "evt:77"


def test_denial_and_venue_rejection_say_their_reason():
    denied = alert_from_event(ev(EventKind.ORDER_DENIED, OrderEvent(ORDER, reject(ReasonCode.QTY_ABOVE_MAX, quantity=50,
                                                                                     maximum=10))))
    assert denied.title("en") == "Order refused"
    assert denied.body("en") == "Order refused: 50 contracts is above the maximum order size of 10."
    venue = alert_from_event(ev(EventKind.ORDER_REJECTED, OrderEvent(ORDER, reject(ReasonCode.IB_ERROR, ib_code=201,
                                                                                      text="margin"))))
    assert venue.title("fr") == "Ordre rejeté par le courtier"
    assert venue.body("fr") == "Interactive Brokers a refusé l'ordre (erreur 201) : margin"


def test_fill_text_from_its_fields():
    alert = alert_from_event(fill_event())
    assert alert.body("en") == "Filled: sell 2 ES at 5,012.25."
    assert alert.body("fr") == f"Exécuté : vente de 2 ES à 5{S}012,25."
    assert alert.spoken_text("en") == "Fill. Filled: sell two E S at five thousand twelve point two five."


def test_event_keys_are_stable_for_the_same_event():
    unsaved = ev(EventKind.BROKER_DISCONNECTED, ConnectionChange(False, "IB lost"))
    assert alert_from_event(unsaved).key == alert_from_event(unsaved).key
    other = ev(EventKind.BROKER_DISCONNECTED, ConnectionChange(False, "IB lost again"))
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
        Alert("k", 6, AlertCategory.SYSTEM, "SYSTEM", msg("t"), msg("b"), TS)
