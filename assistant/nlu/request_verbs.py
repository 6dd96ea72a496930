"""Formal requests for a figure (round 33b, helper nlu38).

"Kindly share the CVaR for MNQ", "could you send me my P&L", "merci de me communiquer la perte CVaR": a
request verb (`request_verbs`: share, send me, provide, communiquer, transmettre, faire parvenir…) said after
polite words only (`request_openers`: kindly, could you, merci de, pourriez-vous…) asks for what follows it.
The parser reads that rest again and keeps it only when it is a read-only question: a request verb never
turns a sentence into an order or a switch ("send me 2 ES" stays refused).

The verbs are read here, never as cues of the frames: the frames' cues gate the read-only classifier and its
training sentences, and a new cue there moves its guesses elsewhere (session 17, lead round 32's revert).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assistant.nlu.normalize import normalize
from assistant.nlu.restate import _phrases

#: The keys this module reads (frames sections).
REQUEST_KEYS = frozenset({"request_verbs", "request_openers"})


class RequestVerbs:
    """Where a formal request's object starts (`after_request`)."""

    def __init__(self, frames: Mapping[str, Mapping[str, Any]]) -> None:
        self._verbs = _phrases(frames, "request_verbs")
        self._openers = _phrases(frames, "request_openers")

    def __bool__(self) -> bool:
        return bool(self._verbs)

    def after_request(self, normalized: str) -> str | None:
        """The words asked for after the first request verb, when only polite words come before it ("kindly
        share | the cvar for mnq"); None otherwise (no verb, another word first, nothing after it)."""
        tokens: Sequence[str] = normalized.split()
        i = 0
        while i < len(tokens):
            size = self._verbs.at(tokens, i)
            if size:
                rest = tokens[i + size:]
                return " ".join(rest) if rest else None
            size = self._openers.at(tokens, i)
            if not size:
                return None  # ("don't send me the P&L": a word that is no politeness before the verb)
            i += size
        return None
