"""Engine and system events become alerts: a priority 1-5, a category, and text in French and English.

Priorities: 1 log only, 2 routine (order accepted/cancelled, settings, answer copies), 3 worth a look
(fills, rejections, reconnects), 4 needs attention (risk breach, broker down, stale data, recogniser
down), 5 emergency (trading halted, kill switch). The event's severity raises the floor: WARNING is at
least 3, CRITICAL at least 4.
"""
from __future__ import annotations

import enum
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from trading_core.types import EngineEvent, EventKind, Severity, Side, TradingState


class AlertCategory(str, enum.Enum):
    TRADE = "trade"
    RISK = "risk"
    CONNECTIVITY = "connectivity"
    MARKET_DATA = "market_data"
    SPEECH = "speech"
    SYSTEM = "system"
    COPY = "copy"


PRIORITY_ICON = {1: "·", 2: "ℹ️", 3: "🔔", 4: "⚠️", 5: "🚨"}
SMS_TEXT_LIMIT = 300  # two SMS segments at most: SMS is for the headline


@dataclass(frozen=True, slots=True)
class Alert:
    key: str  # stable identity: the outbox derives its dedup keys from it
    priority: int
    category: AlertCategory
    kind: str  # EventKind value, or RECOGNISER_FAILURE / ANSWER_COPY
    title_en: str
    title_fr: str
    body_en: str
    body_fr: str
    ts: datetime
    symbol: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.priority <= 5:
            raise ValueError(f"alert priority must be 1..5 (got {self.priority})")
        if not self.key:
            raise ValueError("alert key must not be empty")

    def title(self, lang: str) -> str:
        return self.title_fr if lang == "fr" else self.title_en

    def body(self, lang: str) -> str:
        return self.body_fr if lang == "fr" else self.body_en

    def channel_text(self, lang: str) -> str:
        """Telegram / Discord text: icon, title, then the details on their own line."""
        head = f"{PRIORITY_ICON[self.priority]} {self.title(lang)}"
        body = self.body(lang)
        return f"{head}\n{body}" if body else head

    def spoken_text(self, lang: str) -> str:
        body = self.body(lang)
        return f"{self.title(lang)}. {body}" if body else self.title(lang)

    def sms_text(self, lang: str) -> str:
        body = self.body(lang)
        text = f"MIA: {self.title(lang)}" + (f" - {body}" if body else "")
        return text if len(text) <= SMS_TEXT_LIMIT else text[: SMS_TEXT_LIMIT - 1] + "…"

    def subject(self, lang: str) -> str:
        return f"[MIA P{self.priority}] {self.title(lang)}"


_TITLES: dict[EventKind, tuple[int, AlertCategory, str, str]] = {
    EventKind.ORDER_ACCEPTED: (2, AlertCategory.TRADE, "Order accepted", "Ordre accepté"),
    EventKind.ORDER_CANCELLED: (2, AlertCategory.TRADE, "Order cancelled", "Ordre annulé"),
    EventKind.ORDER_REJECTED: (3, AlertCategory.TRADE, "Order rejected", "Ordre rejeté"),
    EventKind.FILL: (3, AlertCategory.TRADE, "Fill", "Exécution"),
    EventKind.RISK_BREACH: (4, AlertCategory.RISK, "Risk limit breached", "Limite de risque dépassée"),
    EventKind.KILL_SWITCH: (5, AlertCategory.RISK, "Kill switch activated", "Arrêt d'urgence activé"),
    EventKind.BROKER_DISCONNECTED: (4, AlertCategory.CONNECTIVITY, "Broker disconnected", "Courtier déconnecté"),
    EventKind.BROKER_RECONNECTED: (3, AlertCategory.CONNECTIVITY, "Broker reconnected", "Courtier reconnecté"),
    EventKind.RECONCILIATION_MISMATCH: (
        4, AlertCategory.RISK, "Positions differ from the broker", "Positions différentes chez le courtier"
    ),
    EventKind.MARKET_DATA_STALE: (4, AlertCategory.MARKET_DATA, "Market data stale", "Données de marché figées"),
    EventKind.RISK_SETTING_CHANGED: (2, AlertCategory.RISK, "Risk setting changed", "Réglage du risque modifié"),
    EventKind.SYSTEM: (1, AlertCategory.SYSTEM, "System", "Système"),
}
_STATE_TITLES: dict[TradingState, tuple[int, str, str]] = {
    TradingState.HALTED: (5, "Trading halted", "Trading arrêté"),
    TradingState.REDUCING: (4, "Reduce-only mode", "Mode réduction seule"),
    TradingState.ACTIVE: (3, "Trading resumed", "Trading repris"),
}
_SEVERITY_FLOOR = {Severity.INFO: 1, Severity.WARNING: 3, Severity.CRITICAL: 4}


def _event_key(event: EngineEvent) -> str:
    if event.seq > 0:
        return f"evt:{event.seq}"
    # Not yet in the ledger: identify it by content, so the same event handed over twice is one alert.
    raw = "|".join([event.kind.value, event.ts.isoformat(), event.symbol or "", event.text_en])
    return "evt:h:" + hashlib.sha1(raw.encode()).hexdigest()[:20]


def _fallback_bodies(event: EngineEvent) -> tuple[str, str]:
    """Text built from the event's fields, for events whose engine text is empty."""
    if event.fill is not None:
        f = event.fill
        en = f"{'Bought' if f.side is Side.BUY else 'Sold'} {f.quantity} {f.symbol} at {f.price:g}"
        fr = f"{'Achat' if f.side is Side.BUY else 'Vente'} de {f.quantity} {f.symbol} à {f.price:g}"
        return en, fr
    if event.order is not None:
        o = event.order
        en = f"{o.side.value} {o.quantity} {o.symbol} ({o.order_type.value.lower()}), order {o.order_id}"
        fr = f"{'Achat' if o.side is Side.BUY else 'Vente'} {o.quantity} {o.symbol} ({o.order_type.value.lower()}), ordre {o.order_id}"
        return en, fr
    if event.state is not None:
        return event.state.reason, event.state.reason
    return "", ""


def alert_from_event(event: EngineEvent) -> Alert:
    """Map one engine event to its alert."""
    if event.kind is EventKind.STATE_CHANGE and event.state is not None:
        priority, title_en, title_fr = _STATE_TITLES[event.state.current]
        category = AlertCategory.RISK
    else:
        priority, category, title_en, title_fr = _TITLES.get(
            event.kind, (1, AlertCategory.SYSTEM, event.kind.value, event.kind.value)
        )
    priority = max(priority, _SEVERITY_FLOOR[event.severity])
    if event.state is not None and event.state.current is TradingState.HALTED:
        # Whatever halted trading (daily loss limit, kill switch, the trader) is the top priority.
        priority = 5
    body_en, body_fr = event.text_en.strip(), event.text_fr.strip()
    if not body_en and not body_fr:
        body_en, body_fr = _fallback_bodies(event)
    body_en = body_en or body_fr
    body_fr = body_fr or body_en
    if event.rejection is not None:
        # The refusal reason is what the trader needs; add it unless the engine text already says it.
        if event.rejection.message_en not in body_en:
            body_en = f"{body_en} — {event.rejection.message_en}" if body_en else event.rejection.message_en
        if event.rejection.message_fr not in body_fr:
            body_fr = f"{body_fr} — {event.rejection.message_fr}" if body_fr else event.rejection.message_fr
    return Alert(
        key=_event_key(event),
        priority=priority,
        category=category,
        kind=event.kind.value,
        title_en=title_en,
        title_fr=title_fr,
        body_en=body_en,
        body_fr=body_fr,
        ts=event.ts,
        symbol=event.symbol,
    )


def recogniser_failure_alert(detail_en: str, detail_fr: str | None = None, ts: datetime | None = None) -> Alert:
    """The speech recogniser stopped working (no model, audio device gone, crash). Priority 4: the
    trader must know that voice commands are not being heard. Repeats within a minute are one alert."""
    ts = ts or datetime.now(timezone.utc)
    digest = hashlib.sha1(detail_en.encode()).hexdigest()[:12]
    return Alert(
        key=f"asr:{int(ts.timestamp() // 60)}:{digest}",
        priority=4,
        category=AlertCategory.SPEECH,
        kind="RECOGNISER_FAILURE",
        title_en="Speech recogniser failure",
        title_fr="Échec de la reconnaissance vocale",
        body_en=f"{detail_en} Voice commands are not being heard; use Telegram or the CLI.",
        body_fr=f"{detail_fr or detail_en} Les commandes vocales ne sont plus entendues ; utilisez Telegram ou la CLI.",
        ts=ts,
    )


_SOURCE_TITLES = {
    "voice": ("Voice command", "Commande vocale"),
    "telegram": ("Telegram command", "Commande Telegram"),
    "cli": ("CLI command", "Commande CLI"),
    "web": ("Web command", "Commande web"),
}


def copy_alert(
    transcript: str, answer_text: str, lang: str, source: str, *, priority: int = 2, ts: datetime | None = None
) -> Alert:
    """A 'copy' of a command and MIA's answer, for the written channels. The answer exists in one
    language only (the one it was spoken in), so both bodies carry it."""
    title_en, title_fr = _SOURCE_TITLES.get(source, (f"Command ({source})", f"Commande ({source})"))
    transcript = " ".join(transcript.split())
    answer = answer_text.strip()
    body = f"« {transcript} »\n→ {answer}" if lang == "fr" else f"“{transcript}”\n→ {answer}"
    return Alert(
        key=f"copy:{uuid.uuid4().hex}",
        priority=priority,
        category=AlertCategory.COPY,
        kind="ANSWER_COPY",
        title_en=title_en,
        title_fr=title_fr,
        body_en=body,
        body_fr=body,
        ts=ts or datetime.now(timezone.utc),
    )
