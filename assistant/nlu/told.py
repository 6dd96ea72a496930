"""A command told in the past tense, not asked for (round 24b, helper nlu26).

"I resumed trading", "we switched the autopilot to auto", "I released the halt", "j'ai levé la pause", "on a
relancé le trading": the words of a switch or an order, said of what was done. In English the past tense has its
own form ("resumed"), but a stem cue ("resum*") or a near phrase still reads the command in it; in French the
participle of a verb in -er is the imperative once accents are dropped ("levé" / "lève": "leve"). So, per
language (keys of a `frames:` section, grammars/README.md "Frames"):

* `past_subjects`: a subject, or a subject and its auxiliary ("i", "we ve", "j ai", "on a");
* `past_endings`: right after one, a word with one of these endings is a verb in the past ("ed": "resumed");
  `past_endings_not`: words with such an ending that are none ("need": "I need you to stop");
* `past_commands`: right after one, a cue of one of these frame categories is a participle ("j'ai *levé la
  pause*": a resume cue; "on a *coupé* le trading": a halt cue).

Either makes the sentence a `past` cue of the frames: an order, a close or a switch is refused (told of, not
requested), and an approximate match of one is vetoed; a question's topic is read as before.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.nlu.normalize import normalize

#: The keys this module reads (each language's own; they are not cues of the analysis).
TOLD_KEYS = frozenset({"past_subjects", "past_endings", "past_endings_not", "past_commands"})


class _Rule:
    """One language's subjects and what makes the word after one a verb in the past."""

    def __init__(self) -> None:
        self.subjects: dict[str, list[tuple[str, ...]]] = {}  # first word -> subject phrases
        self.endings: tuple[str, ...] = ()
        self.not_past: set[str] = set()
        self.commands: set[str] = set()


class ToldPast:
    """The past-tense detector of every loaded language (`add` each key, then `told`)."""

    def __init__(self) -> None:
        self._rules: dict[str, _Rule] = {}
        self._firsts: frozenset[str] = frozenset()

    def add(self, code: str, key: str, phrases: Sequence[str]) -> None:
        rule = self._rules.setdefault(code, _Rule())
        words = [normalize(p) for p in phrases if normalize(p)]
        if key == "past_subjects":
            for phrase in words:
                subject = tuple(phrase.split())
                rule.subjects.setdefault(subject[0], []).append(subject)
            self._firsts = frozenset(w for r in self._rules.values() for w in r.subjects)
        elif key == "past_endings":
            rule.endings += tuple(words)
        elif key == "past_endings_not":
            rule.not_past.update(words)
        else:  # past_commands
            rule.commands.update(words)

    def told(self, tokens: Sequence[str], category_at: Callable[[int], str | None], language: str | None) -> bool:
        """Whether a subject of `language` (None: of any language) is followed by a verb in the past
        (`category_at(i)`: the frame category of the cue starting at token i, or None)."""
        if self._firsts.isdisjoint(tokens):
            return False
        n = len(tokens)
        rules = self._rules.values() if language is None else [r for c, r in self._rules.items() if c == language]
        for rule in rules:
            for i, token in enumerate(tokens):
                for subject in rule.subjects.get(token, ()):
                    end = i + len(subject)
                    if end >= n or tuple(tokens[i:end]) != subject:
                        continue
                    verb = tokens[end]
                    if verb not in rule.not_past and any(
                            verb.endswith(e) and len(verb) > len(e) + 2 for e in rule.endings):
                        return True
                    if rule.commands and category_at(end) in rule.commands:
                        return True
        return False
