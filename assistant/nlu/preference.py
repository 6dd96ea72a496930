"""A protective switch said as a preference (round 31c, helper nlu35).

"the autopilot should only propose", "autopilot must ask me before each trade", "ideally the autopilot asks me
first", "l'autopilote doit juste proposer", "l'autopilote devrait me demander avant": the trader says how the
autopilot (or the account) is to behave, as a rule rather than an order. The frames refuse such a sentence on
its opinion word ("should", "devrait"); read without the modal it is the plain switch
("the autopilot only propose"). The frames (`FrameMatcher._preferred_switch`) accept that reading only when it
takes money out of the machine's hands: the autopilot's proposals or off, reduce-only. A preference for the
autopilot trading alone ("the autopilot should trade on its own") stays refused: that direction is asked plainly.
The preference words are NOT known words of the frames: "we must sell 1 micro" keeps its unknown word and stays
refused (a command frame refuses any word no grammar knows).

Keys of a `frames:` section (each language's own; grammars/README.md "Frames"):

* `preferences`: phrases that say a wish of the speaker's, anywhere but inside a question ("ideally",
  "idéalement", "I'd prefer…", "je préfère que…": listed since session 17, when three blind writers had read them
  as requests; the protective direction only, as every preference);
* `preference_modals`: modal verbs said of the switch's subject ("should", "must", "doit", "devrait"): never
  the sentence's first word ("should the autopilot…" asks) nor after `preference_not_after` ("I should…",
  "on devrait…": advice to oneself, not a rule for the machine), nor before `preference_not_before` ("should
  have proposed": a remark on the past). A negated mode is the frames' to read ("must not trade alone, only
  propose": the other mode; "must not propose": nothing).
"""
from __future__ import annotations

from collections.abc import Sequence

from assistant.nlu.normalize import normalize

#: The keys this module reads (not cues of the analysis).
PREFERENCE_KEYS = frozenset({"preferences", "preference_modals", "preference_not_after", "preference_not_before"})


class Preference:
    """The preference phrases of every loaded language (`add` each key, then `without`)."""

    def __init__(self) -> None:
        self._wishes: set[tuple[str, ...]] = set()
        self._modals: set[tuple[str, ...]] = set()
        self._not_after: set[str] = set()
        self._not_before: set[str] = set()

    def add(self, key: str, phrases: Sequence[str]) -> None:
        runs = {tuple(normalize(p).split()) for p in phrases if normalize(p)}
        if key == "preferences":
            self._wishes |= runs
        elif key == "preference_modals":
            self._modals |= runs
        elif key == "preference_not_after":
            self._not_after.update(w for run in runs for w in run)
        elif key == "preference_not_before":
            self._not_before.update(w for run in runs for w in run)
        else:  # pragma: no cover - the caller passes PREFERENCE_KEYS only
            raise KeyError(key)

    def without(self, tokens: Sequence[str]) -> list[str] | None:
        """The tokens without the preference phrases said, or None when none is said or one is said
        where it asks or advises (a modal first, or after a subject of its own)."""
        out: list[str] = []
        found = False
        i = 0
        n = len(tokens)
        while i < n:
            size = self._run_at(tokens, i, self._wishes)
            if not size:
                size = self._run_at(tokens, i, self._modals)
                if size and (i == 0 or tokens[i - 1] in self._not_after
                             or (i + size < n and tokens[i + size] in self._not_before)):
                    # "should the autopilot…", "I should…": a question or advice; "should have proposed": a
                    # remark on the past
                    return None
            if size:
                found = True
                i += size
                continue
            out.append(tokens[i])
            i += 1
        return out if found and out else None

    def says_modal(self, tokens: Sequence[str]) -> bool:
        """A modal of the preferences said anywhere ("I should", "on doit"): advice or an obligation, which a
        comment before an order never is (parser `_plain_comment`: "I should, could you sell 3 micros")."""
        return any(self._run_at(tokens, i, self._modals) for i in range(len(tokens)))

    @staticmethod
    def _run_at(tokens: Sequence[str], i: int, runs: set[tuple[str, ...]]) -> int:
        best = 0
        for run in runs:
            size = len(run)
            if size > best and tuple(tokens[i:i + size]) == run:
                best = size
        return best
