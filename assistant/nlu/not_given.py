"""Commands said but not given: another's order told, one kept for later, an example, an order asked again.

A command's words can sit inside a sentence that does not give it: someone else's order told to MIA ("my
coach says buy 2 ES", "le bot dit achète 2 ES", "selon le signal, vends 2 MNQ"), a reminder, a plan or a
draft for later ("remind me to close ES", "rappelle-moi de reprendre le trading", "prépare un achat de 2
ES"), an example, a pretence, a lesson or a command to type ("for example buy 2 ES", "fais semblant
d'acheter 2 ES", "type close ES"). The stages read the command's words and pass over the rest (words a
grammar knows for another purpose, or unknown words before the command); whatever stage read it, such a
command is refused (`Parser._not_given`), never sent.

The cues are data: `not_given` in the grammars' `frames:` sections (every language's, merged: traders mix
them); `own_speech` are phrases of the trader's own words that hold a cue ("comment on *dit*", "comme je
t'ai *dit*": the trader's own order), where the cue does not count. `repeat_orders` are the words that make
a repeat ("say that again") ask for an order again ("repeat the last order", "refais-le encore une fois"):
MIA's repeat says its last answer again and no command re-sends an order, so that is refused too.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assistant.nlu.normalize import normalize

__all__ = ["NOT_GIVEN_KEYS", "NotGiven"]

#: The `frames:` keys this module reads (the frame matcher leaves them alone).
NOT_GIVEN_KEYS = frozenset({"not_given", "own_speech", "repeat_orders"})


def _phrases(frames: Mapping[str, Mapping[str, Any]], key: str) -> dict[str, list[tuple[str, ...]]]:
    """Every language's `key` phrases, normalised, by first word."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for code, section in frames.items():
        value = section.get(key) or ()
        if isinstance(value, str) or not all(isinstance(p, str) for p in value):
            raise ValueError(f"frames ({code}) {key}: expected a list of phrases")
        for phrase in value:
            words = tuple(normalize(phrase).split())
            if words:
                by_first.setdefault(words[0], []).append(words)
    return by_first


def _spans(tokens: Sequence[str], by_first: Mapping[str, list[tuple[str, ...]]]) -> list[tuple[int, int]]:
    """(start, end) of every phrase said in `tokens`."""
    return [(i, i + len(words)) for i, token in enumerate(tokens) for words in by_first.get(token, ())
            if tuple(tokens[i:i + len(words)]) == words]


class NotGiven:
    """Finds a command said inside a sentence that does not give it (see the module's doc)."""

    def __init__(self, frames: Mapping[str, Mapping[str, Any]]) -> None:
        self._cues = _phrases(frames, "not_given")
        self._own = _phrases(frames, "own_speech")
        self._repeats = _phrases(frames, "repeat_orders")
        #: The gates: a cue's first word said (most commands hold none).
        self._firsts = frozenset(self._cues)
        self._repeat_firsts = frozenset(self._repeats)

    def __bool__(self) -> bool:
        return bool(self._cues or self._repeats)

    def wrapped(self, tokens: Sequence[str]) -> bool:
        """A `not_given` cue is said outside the trader's own words (`own_speech`)."""
        if self._firsts.isdisjoint(tokens):
            return False
        own = _spans(tokens, self._own)
        return any(not any(s <= start and end <= e for s, e in own) for start, end in _spans(tokens, self._cues))

    def order_again(self, tokens: Sequence[str]) -> bool:
        """A `repeat_orders` word is said: an order asked again, not MIA's last answer."""
        return not self._repeat_firsts.isdisjoint(tokens) and bool(_spans(tokens, self._repeats))
