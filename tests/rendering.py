"""Sentences for the tests: the core hands out data; what a user reads is rendered by
`assistant.present`. French narrow no-break spaces are read as plain spaces, so expectations stay
readable ("10 000 contrats")."""
from __future__ import annotations

from typing import Any

from assistant.present.events import event_body
from assistant.present.reasons import reason_text
from trading_core.types import EngineEvent, Rejection


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def en(item: Rejection | EngineEvent | Any) -> str:
    """English sentence of a refusal or of an event."""
    if isinstance(item, EngineEvent):
        body = event_body(item)
        return body.text("en") if body is not None else ""
    return reason_text(item, "en")


def fr(item: Rejection | EngineEvent | Any) -> str:
    if isinstance(item, EngineEvent):
        body = event_body(item)
        return _plain(body.text("fr")) if body is not None else ""
    return _plain(reason_text(item, "fr"))
