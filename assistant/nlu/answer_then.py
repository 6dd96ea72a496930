"""A yes or a no, then a command (round 27c, helper nlu29).

Said to a read-back, "non et ferme tout", "no and close everything", "oui et passe en reduce-only", "yeah and close
the ES" drop what was read back and ask for another command: that command is read (and read back in turn; the
dialogue says the first was discarded, tests/dialogue/test_unclear_answers.py). Out of a read-back the yes or the no
answers nothing MIA asked, and the command is the request, as "yes and buy 2 ES" was already. The answer must be
joined to the command by one of the language's `order_joins` ("et", "and"): "non, ferme tout" (no, close it; or
no-close?) stays refused. Per language (a key of a `frames:` section, grammars/README.md "Frames"):

* `answer_additions`: words that make the command a second one on top of the read-back ("oui et vends *aussi* le
  micro", "yes and buy 2 micros *too*"): two commands in one sentence, refused (MIA asks again), never one of them;
* `answer_stops`: words that stop MIA, not trading, when said with a no or a cancel and nothing else ("stop, non",
  "stop stop no, don't send it"): the cancel of a read-back (the frames, `FrameMatcher._stop_then_no`);
* `answer_instead` (round 29c, helper nlu32): one-word markers that make the command after a no replace the
  read-back without a join ("non, ferme tout *plutôt*", "no, *just* flatten everything"): the command said instead,
  kept only when it is a way out (a close, a halt, reduce-only: `Parser._no_instead`); a new order said so ("non,
  achète plutôt 2 ES") stays refused, as does "non, ferme tout" without one (no, close it; or no-close?).
"""
from __future__ import annotations

from collections.abc import Sequence, Set as AbstractSet

from assistant.nlu.normalize import normalize

#: The keys this module reads (each language's own; they are not cues of the analysis).
ANSWER_THEN_KEYS = frozenset({"answer_additions", "answer_stops", "answer_instead"})


class AnswerThen:
    """The words after "yes / no + join" and whether they add a command to the read-back."""

    def __init__(self) -> None:
        self._additions: set[tuple[str, ...]] = set()
        #: One-word stops said with a no ("stop, non"): `answer_stops`.
        self.stops: set[str] = set()
        #: One-word markers of a command said instead of the read-back ("plutôt", "just"): `answer_instead`.
        self._instead: set[str] = set()

    def add(self, key: str, phrases: Sequence[str]) -> None:
        words = [w for w in (normalize(p) for p in phrases) if w]
        if key == "answer_stops":
            self.stops.update(w for w in words if " " not in w)
        elif key == "answer_instead":
            self._instead.update(w for w in words if " " not in w)
        else:
            self._additions.update(tuple(w.split()) for w in words)

    def instead(self, tokens: Sequence[str], start: int) -> str | None:
        """The command after a no that ends at `start`, said with an `answer_instead` marker ("non, ferme tout
        *plutôt*"), without the marker; or None (no marker, nothing else said)."""
        rest = tokens[start:]
        if self._instead.isdisjoint(rest):
            return None
        kept = [t for t in rest if t not in self._instead]
        return " ".join(kept) or None

    def rest(self, tokens: Sequence[str], start: int, joins: AbstractSet[str]) -> tuple[str, bool] | None:
        """(the command after the join at `start`, one of `joins`, and whether it says an addition), or None
        when no join is there or nothing follows it."""
        if start + 1 >= len(tokens) or tokens[start] not in joins:
            return None
        rest = tokens[start + 1:]
        adds = any(tuple(rest[i:i + len(p)]) == p for p in self._additions for i in range(len(rest)))
        return " ".join(rest), adds
