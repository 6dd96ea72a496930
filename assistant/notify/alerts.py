"""Engine and system events become alerts: a priority 1-5, a category, and a title and body as messages
(`assistant.present`), written for the chats and said in words by the voice.

Priorities: 1 log only, 2 routine (order accepted/cancelled, settings, answer copies), 3 worth a look
(fills, refusals by the risk gate, rejections by the broker, reconnects), 4 needs attention (risk breach, broker down, stale data, recogniser
down), 5 emergency (trading halted, kill switch). The event's severity raises the floor: WARNING is at
least 3, CRITICAL at least 4.
"""
from __future__ import annotations

import enum
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from assistant.present.events import event_text
from assistant.present.text import Msg, Surface, Verbatim, msg, render
from trading_core.types import EngineEvent, EventKind, Severity, TradingState


class AlertCategory(str, enum.Enum):
    TRADE = "trade"
    RISK = "risk"
    CONNECTIVITY = "connectivity"
    MARKET_DATA = "market_data"
    SPEECH = "speech"
    SYSTEM = "system"
    COPY = "copy"
    AUTOPILOT = "autopilot"  # signals and autopilot trades: their own message kind (assistant/autopilot/alerts.py)


PRIORITY_ICON = {1: "·", 2: "ℹ️", 3: "🔔", 4: "⚠️", 5: "🚨"}
SMS_TEXT_LIMIT = 300  # two SMS segments at most: SMS is for the headline


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert: identity, priority, category, and its title and body as messages (rendered for each
    channel: written for the chats, in words for the voice)."""

    key: str  # stable identity: the outbox derives its dedup keys from it
    priority: int
    category: AlertCategory
    kind: str  # EventKind value, or RECOGNISER_FAILURE / ANSWER_COPY / MONITOR_* / DAILY_REPORT
    title_msg: Msg
    body_msg: Msg | None
    ts: datetime
    symbol: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.priority <= 5:
            raise ValueError(f"alert priority must be 1..5 (got {self.priority})")
        if not self.key:
            raise ValueError("alert key must not be empty")

    def title(self, lang: str, surface: Surface = Surface.CHAT) -> str:
        return render(self.title_msg, lang, surface)

    def body(self, lang: str, surface: Surface = Surface.CHAT) -> str:
        return render(self.body_msg, lang, surface).strip() if self.body_msg is not None else ""

    def channel_text(self, lang: str) -> str:
        """Telegram / Discord text: icon, title, then the details on their own line."""
        icon = PRIORITY_ICON[self.priority]
        if self.category is AlertCategory.AUTOPILOT:
            from assistant.autopilot.alerts import message_kind

            icon = (message_kind(self.kind) or ("", icon))[1]
        head = f"{icon} {self.title(lang)}"
        body = self.body(lang)
        return f"{head}\n{body}" if body else head

    def _sentence(self, lang: str, surface: Surface) -> str:
        title, body = self.title(lang, surface), self.body(lang, surface)
        return f"{title}. {body}" if body else title

    def spoken_text(self, lang: str) -> str:
        """What the voice says: the figures in words, the symbols spelled."""
        return self._sentence(lang, Surface.SPEECH)

    def terminal_text(self, lang: str) -> str:
        """The terminal's line for a spoken alert: what the voice says, written as chat text
        ("CPU", "100 %"), not spelled for the synthesiser ("C P U", "one hundred percent")."""
        return self._sentence(lang, Surface.CHAT)

    def sms_text(self, lang: str) -> str:
        body = self.body(lang)
        text = f"MIA: {self.title(lang)}" + (f" - {body}" if body else "")
        return text if len(text) <= SMS_TEXT_LIMIT else text[: SMS_TEXT_LIMIT - 1] + "…"

    def subject(self, lang: str) -> str:
        return f"[MIA P{self.priority}] {self.title(lang)}"


_PRIORITIES: dict[EventKind, tuple[int, AlertCategory]] = {
    EventKind.ORDER_ACCEPTED: (2, AlertCategory.TRADE),
    EventKind.ORDER_CANCELLED: (2, AlertCategory.TRADE),
    EventKind.ORDER_DENIED: (3, AlertCategory.TRADE),
    EventKind.ORDER_REJECTED: (3, AlertCategory.TRADE),
    EventKind.FILL: (3, AlertCategory.TRADE),
    EventKind.RISK_BREACH: (4, AlertCategory.RISK),
    EventKind.KILL_SWITCH: (5, AlertCategory.RISK),
    EventKind.BROKER_DISCONNECTED: (4, AlertCategory.CONNECTIVITY),
    EventKind.BROKER_RECONNECTED: (3, AlertCategory.CONNECTIVITY),
    EventKind.RECONCILIATION_MISMATCH: (4, AlertCategory.RISK),
    EventKind.MARKET_DATA_STALE: (4, AlertCategory.MARKET_DATA),
    EventKind.RISK_SETTING_CHANGED: (2, AlertCategory.RISK),
    EventKind.SYSTEM: (1, AlertCategory.SYSTEM),
}
_STATE_PRIORITIES: dict[TradingState, int] = {TradingState.HALTED: 5, TradingState.REDUCING: 4, TradingState.ACTIVE: 3}
_SEVERITY_FLOOR = {Severity.INFO: 1, Severity.WARNING: 3, Severity.CRITICAL: 4}


def _event_key(event: EngineEvent) -> str:
    if event.seq > 0:
        return f"evt:{event.seq}"
    # Not yet in the ledger: identify it by content, so the same event handed over twice is one alert.
    raw = "|".join([event.kind.value, event.ts.isoformat(), event.symbol or "", repr(event.payload)])
    return "evt:h:" + hashlib.sha1(raw.encode()).hexdigest()[:20]


def alert_from_event(event: EngineEvent) -> Alert:
    """Map one engine event to its alert."""
    from assistant.autopilot.alerts import autopilot_alert_fields

    fields = autopilot_alert_fields(event)
    if fields is not None:
        priority, title, body = fields
        return Alert(key=_event_key(event), priority=max(priority, _SEVERITY_FLOOR[event.severity]),
                     category=AlertCategory.AUTOPILOT, kind=event.kind.value, title_msg=title, body_msg=body,
                     ts=event.ts, symbol=event.symbol)
    if event.kind is EventKind.STATE_CHANGE and event.state is not None:
        priority, category = _STATE_PRIORITIES[event.state.current], AlertCategory.RISK
    else:
        priority, category = _PRIORITIES.get(event.kind, (1, AlertCategory.SYSTEM))
    priority = max(priority, _SEVERITY_FLOOR[event.severity])
    if event.state is not None and event.state.current is TradingState.HALTED:
        # Whatever halted trading (daily loss limit, kill switch, the trader) is the top priority.
        priority = 5
    text = event_text(event)
    return Alert(
        key=_event_key(event),
        priority=priority,
        category=category,
        kind=event.kind.value,
        title_msg=text.title,
        body_msg=text.body,
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
        title_msg=msg("Speech recogniser failure", "Échec de la reconnaissance vocale"),
        body_msg=msg("{detail} Voice commands are not being heard; use Telegram or the CLI.",
                     "{detail} Les commandes vocales ne sont plus entendues ; utilisez Telegram ou la CLI.",
                     detail=Msg(detail_en, detail_fr or detail_en)),
        ts=ts,
    )


_SOURCE_TITLES = {
    "voice": msg("Voice command", "Commande vocale"),
    "telegram": msg("Telegram command", "Commande Telegram"),
    "cli": msg("CLI command", "Commande CLI"),
    "web": msg("Web command", "Commande web"),
}


def copy_alert(
    transcript: str, answer_text: str, lang: str, source: str, *, priority: int = 2, ts: datetime | None = None
) -> Alert:
    """A 'copy' of a command and MIA's answer, for the written channels. The answer exists in one
    language only (the one it was spoken in), so both bodies carry it."""
    title = _SOURCE_TITLES.get(source) or msg("Command ({source})", "Commande ({source})", source=Verbatim(source))
    transcript = " ".join(transcript.split())
    answer = answer_text.strip()
    body = f"« {transcript} »\n→ {answer}" if lang == "fr" else f"“{transcript}”\n→ {answer}"
    return Alert(
        key=f"copy:{uuid.uuid4().hex}",
        priority=priority,
        category=AlertCategory.COPY,
        kind="ANSWER_COPY",
        title_msg=title,
        body_msg=Msg(body, body),
        ts=ts or datetime.now(timezone.utc),
    )
