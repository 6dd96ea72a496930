"""Commands said but not given: another's order told, one kept for later or made a rule, an order asked again.

A command's words can sit inside a sentence that does not give it: someone else's order told to MIA ("my
coach says buy 2 ES", "le bot dit achète 2 ES", "selon le signal, vends 2 MNQ"), a reminder, a plan or a
draft for later ("remind me to close ES", "rappelle-moi de reprendre le trading", "prépare un achat de 2
ES"), an example, a pretence, a lesson or a command to type ("for example buy 2 ES", "fais semblant
d'acheter 2 ES", "type close ES"), a verb that drops or puts it off ("skip buying 2 ES", "oublie de fermer
le ES"). The stages read the command's words and pass over the rest (words a grammar knows for another
purpose, or unknown words before the command); whatever stage read it, such a command is refused
(`Parser._not_given`), never sent.

The cues are data, in the grammars' `frames:` sections (every language's, merged: traders mix them):
`not_given`; `paper_words` (a paper command: the dialogue refuses it in a live session); `not_given_except`, phrases that hold a cue without wrapping the command ("comment on *dit*",
"comme je t'ai *dit*": the trader's own order; "meilleur que *prévu*": a comment), where the cue does not
count; `standing_orders`, which make an order or a close a rule for the future ("from now on sell 2 MNQ",
"désormais ferme le ES": one order now, or one each time? a switch or the risk said so is what they are for:
"from now on only reduce"); `repeat_orders`, the words that make a repeat ("say that again") ask for an order
again ("repeat the last order", "refais-le encore une fois": MIA's repeat says its last answer again, and no
command re-sends an order).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.nlu.normalize import normalize

__all__ = ["NOT_GIVEN_KEYS", "NotGiven", "QUOTE_MARKS"]

#: Words in quotes with other words outside them ('what does "buy 2 ES" do', 'say « achète 2 ES »'): a
#: command mentioned, not given (a whole sentence in quotes is said as is). Single quotes only around words (an
#: apostrophe is no quote: "l'ES", "don't").
_QUOTED = re.compile(r"""["“”«»„]|(?:^|(?<=\s))'(?=\S)|(?<=\S)'(?=\s|$|[?!.,;:])""")
_OUTSIDE = re.compile(r"\w")

#: The quote marks `quoted` looks for (its cheap gate).
QUOTE_MARKS = frozenset("\"“”«»„'")

#: The `frames:` keys this module reads (the frame matcher leaves them alone).
NOT_GIVEN_KEYS = frozenset({"not_given", "not_given_except", "repeat_orders", "standing_orders", "paper_words"})


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


def _anchors(by_first: Mapping[str, list[tuple[str, ...]]]) -> frozenset[str]:
    """The longest word of each phrase: a phrase is said only where each of its words is (the cheap gate; a first
    word is often "the", "my", "le")."""
    return frozenset(max(words, key=len) for entries in by_first.values() for words in entries)


def _spans(tokens: Sequence[str], by_first: Mapping[str, list[tuple[str, ...]]]) -> list[tuple[int, int]]:
    """(start, end) of every phrase said in `tokens`."""
    return [(i, i + len(words)) for i, token in enumerate(tokens) for words in by_first.get(token, ())
            if tuple(tokens[i:i + len(words)]) == words]


class NotGiven:
    """Finds a command said inside a sentence that does not give it (see the module's doc)."""

    def __init__(self, frames: Mapping[str, Mapping[str, Any]]) -> None:
        self._cues = _phrases(frames, "not_given")
        self._except = _phrases(frames, "not_given_except")
        self._repeats = _phrases(frames, "repeat_orders")
        self._standing = _phrases(frames, "standing_orders")
        #: A paper (simulated) command ("placer un trade papier", "sim buy 2 ES"): given, but for a paper session
        #: only (the dialogue refuses it in a live one: `paper`).
        self._paper = _phrases(frames, "paper_words")
        self._paper_gate = _anchors(self._paper)
        #: The gates: a cue's longest word said (most commands hold none).
        self._gate = _anchors(self._cues)
        self._repeat_gate = _anchors(self._repeats)
        self._standing_gate = _anchors(self._standing)
        #: Every cue's longest word, of every key: the one gate of a caller (most commands hold none).
        self.gate = self._gate | self._repeat_gate | self._standing_gate

    def __bool__(self) -> bool:
        return bool(self._cues or self._repeats or self._standing)

    def wrapped(self, tokens: Sequence[str]) -> bool:
        """A `not_given` cue is said outside its exceptions (`not_given_except`)."""
        if self._gate.isdisjoint(tokens):
            return False
        exceptions = _spans(tokens, self._except)
        return any(not any(s <= start and end <= e for s, e in exceptions)
                   for start, end in _spans(tokens, self._cues))

    @staticmethod
    def quoted(text: str) -> bool:
        """Words in quotes and words outside them: a command mentioned ('is "buy 2 ES" a market order')."""
        if QUOTE_MARKS.isdisjoint(text):
            return False
        parts = _QUOTED.split(text)
        if len(parts) < 3:
            return False
        outside = "".join(parts[0::2])  # (the text between an even number of quote marks is outside)
        inside = "".join(parts[1::2])
        return bool(_OUTSIDE.search(inside)) and bool(_OUTSIDE.search(outside))

    def standing(self, tokens: Sequence[str]) -> bool:
        """A `standing_orders` phrase is said: a rule for the future, not one order now."""
        return not self._standing_gate.isdisjoint(tokens) and bool(_spans(tokens, self._standing))

    def paper(self, tokens: Sequence[str]) -> bool:
        """A `paper_words` phrase is said: the command is asked as a paper (simulated) one."""
        return not self._paper_gate.isdisjoint(tokens) and bool(_spans(tokens, self._paper))

    def order_again(self, tokens: Sequence[str]) -> bool:
        """A `repeat_orders` word is said: an order asked again, not MIA's last answer."""
        return not self._repeat_gate.isdisjoint(tokens) and bool(_spans(tokens, self._repeats))
