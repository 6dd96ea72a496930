"""The cue categories a command frame may hold, per intent (session 16, helper nlu34).

The frames accept a command from its cue words and refuse a word no grammar knows. A cue of a category the
command's frame does not read was passed over: "buy 1 ES agents" (the ensemble), "buy one ES activate" (a
switch), "close ES candles" (a chart), "buy 2 ES volatility" were orders. A general rule refusing any known word
cost 1 to 8 points on some forty corpora (harmless words are known too), so the check is per intent and by cue
category: `command_cues` (frames key, merged over languages) lists, per command intent, the categories ("side",
"contracts") or categories with their value ("weak:positions") its frame may hold. Every other cue refuses the
command. The categories the frame reads and refuses itself (negations, conditions...) are listed too, so that its
own, more precise reason is given first. An intent not listed is not checked.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["COMMAND_INTENTS", "INTENT_WORDS_KEYS", "foreign_cue", "intent_cues"]

#: The frames key this module reads: {intent: [cue categories]}.
INTENT_WORDS_KEYS = frozenset({"command_cues"})

#: The command intents whose frames may be checked.
COMMAND_INTENTS = ("place_trade", "close_positions", "set_risk")


def intent_cues(frames: Mapping[str, Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """intent -> the cue categories its command frame may hold (`command_cues`, merged over languages)."""
    cues: dict[str, set[str]] = {}
    for section in frames.values():
        listed = section.get("command_cues") or {}
        if not isinstance(listed, Mapping):
            raise ValueError("frames command_cues: expected a mapping of intent to cue categories")
        for intent, categories in listed.items():
            if intent not in COMMAND_INTENTS:
                raise ValueError(f"frames command_cues: '{intent}' is not one of {', '.join(COMMAND_INTENTS)}")
            cues.setdefault(intent, set()).update(str(c) for c in categories)
    return {intent: frozenset(out) for intent, out in cues.items()}


def foreign_cue(categories: Iterable[str], allowed: frozenset[str]) -> str | None:
    """The first cue category ("weak:ensemble_weights") allowed neither itself nor by its kind ("weak"), or None."""
    for category in categories:
        if category not in allowed and category.partition(":")[0] not in allowed:
            return category
    return None
