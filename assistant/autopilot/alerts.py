"""The autopilot's events on the channels (Telegram, Discord, SMS, e-mail), as their own message kinds:
a signal (📈, with its figures) and an autopilot trade (🤖), distinct from the trader's own orders.

Priorities (see assistant/notify/alerts.py): a proposal or an executed signal 3 (written channels; the
voice front reads proposals back itself and announces the trades of `auto`); an expired proposal 2; a
refused signal 1 (logged: many candidates are refused every day); the autopilot switched off by a halt,
the kill switch, the daily loss limit or a restart 4 (spoken and sent); catastrophe levels 3 / 4 / 5.
"""
from __future__ import annotations

from typing import Any

from assistant.autopilot.text import reason_text
from assistant.present.events import event_text
from assistant.present.text import Msg, Verbatim, msg
from trading_core.types import EventKind

SIGNAL_ICON = "📈"
TRADE_ICON = "🤖"
# kind -> (message kind shown in the channels, icon)
MESSAGE_KINDS = {
    EventKind.AUTOPILOT_PROPOSAL: ("SIGNAL", SIGNAL_ICON),
    EventKind.AUTOPILOT_EXECUTED: ("AUTOPILOT_TRADE", TRADE_ICON),
    EventKind.AUTOPILOT_EXPIRED: ("SIGNAL", SIGNAL_ICON),
    EventKind.AUTOPILOT_REFUSED: ("SIGNAL", SIGNAL_ICON),
    EventKind.AUTOPILOT_MODE: ("AUTOPILOT", TRADE_ICON),
}


def _price(p: float, lang: str) -> str:
    s = f"{p:,.2f}"
    return s.replace(",", "\u202f").replace(".", ",") if lang == "fr" else s


def signal_body(s: Any, lang: str) -> str:
    """A signal's figures for a written channel: side, size, prices, the scores that decided it."""
    sc = s.scores
    side = "long" if s.side.value == "BUY" else "short"
    prob = sc.filter_probability if sc.filter_probability is not None else 0.0
    model = "" if sc.model_probability is None else (
        f", {sc.model_type} {sc.model_probability:.2f}" if lang != "fr"
        else f", {sc.model_type} {sc.model_probability:.2f}".replace(".", ","))
    if lang == "fr":
        return (f"{side} {s.quantity} {s.symbol} à {_price(s.entry, lang)}, stop {_price(s.stop_loss, lang)}, objectif "
                f"{_price(s.take_profit, lang)} — score {sc.score:+.2f}, confiance {sc.confidence:.2f}, filtre ML "
                f"{prob:.2f}{model}").replace(".", ",")
    return (f"{side} {s.quantity} {s.symbol} at {_price(s.entry, lang)}, stop {_price(s.stop_loss, lang)}, target "
            f"{_price(s.take_profit, lang)} — score {sc.score:+.2f}, confidence {sc.confidence:.2f}, ML filter "
            f"{prob:.2f}{model}")


def _both(en: str, fr: str) -> Msg:
    """A sentence already written in each language (its braces are text, not placeholders)."""
    def esc(x: str) -> str:
        return x.replace("{", "{{").replace("}", "}}")

    return Msg(esc(en), esc(fr))


def autopilot_alert_fields(event: Any) -> tuple[int, Msg, Msg | None] | None:
    """(priority, title, body) of an autopilot event; None for other events."""
    kind = event.kind
    s = event.signal
    if kind is EventKind.AUTOPILOT_PROPOSAL and s is not None:
        wait = int(round((s.expires_ts - s.decided_ts).total_seconds())) if s.expires_ts and s.decided_ts else None
        tail_en = f" Confirm by voice or with the Telegram buttons{f' within {wait} s' if wait else ''}."
        tail_fr = f" Confirmez à la voix ou avec les boutons Telegram{f' sous {wait} s' if wait else ''}."
        return (3, msg("Autopilot signal — confirmation needed", "Signal du pilote automatique — confirmation requise"),
                _both(signal_body(s, "en") + "." + tail_en, signal_body(s, "fr") + "." + tail_fr))
    if kind is EventKind.AUTOPILOT_EXECUTED and s is not None:
        how_en = "automatic mode" if s.mode == "auto" else "confirmed by you"
        how_fr = "mode automatique" if s.mode == "auto" else "confirmé par vous"
        return (3, msg("Autopilot trade", "Trade du pilote automatique"),
                _both(f"{signal_body(s, 'en')}. Bracket order sent ({how_en}).",
                      f"{signal_body(s, 'fr')}. Ordre bracket envoyé ({how_fr})."))
    if kind is EventKind.AUTOPILOT_EXPIRED and s is not None:
        return (2, msg("Autopilot signal not taken", "Signal du pilote automatique non pris"),
                _both(f"{signal_body(s, 'en')}. {reason_text(s, 'en')}", f"{signal_body(s, 'fr')}. {reason_text(s, 'fr')}"))
    if kind is EventKind.AUTOPILOT_REFUSED and s is not None:
        return (1, msg("Autopilot signal refused", "Signal du pilote automatique refusé"),
                _both(f"{signal_body(s, 'en')}. {reason_text(s, 'en')}", f"{signal_body(s, 'fr')}. {reason_text(s, 'fr')}"))
    if kind is EventKind.AUTOPILOT_MODE:
        change = event.mode_change
        forced = change is not None and change.reason != "user"
        return (4 if forced else 2, msg("Autopilot", "Pilote automatique"), event_text(event).body)
    if kind is EventKind.CATASTROPHE_LEVEL:
        change = event.level_change
        level = change.current.value if change is not None else "WARNING"
        priority = {"INFO": 2, "WARNING": 3, "CATASTROPHE": 5, "CRITICAL": 4}.get(level, 3)
        return (priority, msg("Autopilot risk level {level}", "Niveau de risque du pilote automatique : {level}",
                              level=Verbatim(level)), event_text(event).body)
    return None


def message_kind(kind: str) -> tuple[str, str] | None:
    """The channel message kind and icon of an alert kind (an EventKind value), or None."""
    try:
        return MESSAGE_KINDS.get(EventKind(kind))
    except ValueError:
        return None
