"""Punctuation said in words by a dictating trader (session 17, held-out 18's voice-typing scalper).

Phone dictation writes what was said: "positions ouvertes sur es point d'interrogation", "oui virgule
confirme", "open quote sell two ES close quote". Read as words, "point d'interrogation" is no French a grammar
knows, and the sentence is refused. `SpokenMarks.rewrite` puts the marks back ("positions ouvertes sur es ?"),
and the parser reads the sentence so rewritten, as if it had been typed.

A comma said before a number is the decimal mark ("un virgule cinq pour cent", "two comma five", "virgule six"):
left as said, for the number reader. Frames key `spoken_marks` (each language's own): mark -> phrases said for it; the
empty mark drops the phrase (quotes).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from assistant.nlu.normalize import fold_accents

#: The key this module reads (not a cue of the analysis).
SPOKEN_MARK_KEYS = frozenset({"spoken_marks"})


class SpokenMarks:
    """Every loaded language's spoken punctuation."""

    def __init__(self, frames: Mapping[str, Mapping[str, Any]], is_number: Callable[[str], bool]) -> None:
        phrases: dict[str, str] = {}
        for section in frames.values():
            for mark, said in (section.get("spoken_marks") or {}).items():
                for phrase in said:
                    words = _WORD.findall(fold_accents(str(phrase)).lower())
                    if words:
                        phrases[" ".join(words)] = str(mark) if mark is not None else ""
        self._is_number = is_number
        # (longest first: "point d interrogation" before any shorter phrase of its words)
        self._phrases = sorted(phrases.items(), key=lambda item: -len(item[0]))
        #: A cheap look at the text first, for whole phrases (every parse and re-parse goes through here; a gate on
        #: first words alone opened on "a", "close", "open" in most sentences).
        self._gate = re.compile(r"\b(?:" + "|".join(
            r"\W+".join(map(re.escape, phrase.split())) for phrase, _ in self._phrases) + r")\b", re.IGNORECASE) \
            if self._phrases else None
        #: The longest word of each phrase: a phrase is found only among the words of the lower-cased text, so a text
        #: that does not even hold one of these as a substring says none (a few `in` tests before the alternation).
        self._keys = tuple(sorted({max(phrase.split(), key=len) for phrase, _ in self._phrases}))
        #: The same test in one regex search (a literal alternation: found iff one key is a substring), about half
        #: the cost of the `in` tests in a generator, on every parse.
        self._key_re = re.compile("|".join(map(re.escape, self._keys))) if self._keys else None

    def __bool__(self) -> bool:
        return bool(self._phrases)

    def rewrite(self, text: str) -> str | None:
        """`text` with its spoken marks written, or None when it says none."""
        folded = text if text.isascii() else fold_accents(text)
        lowered = folded.lower()
        if self._gate is None or self._key_re is None or self._key_re.search(lowered) is None \
                or self._gate.search(folded) is None:
            return None
        words = _WORD.findall(lowered)
        out: list[str] = []
        found = False
        i = 0
        while i < len(words):
            for phrase, mark in self._phrases:
                size = phrase.count(" ") + 1
                if " ".join(words[i:i + size]) != phrase:
                    continue
                if mark in (",", ".") and i + size < len(words) and self._is_number(words[i + size]):
                    continue  # a decimal mark before a number ("un virgule cinq", "virgule six": 0.6)
                if mark:
                    out.append(mark)
                found = True
                i += size
                break
            else:
                out.append(words[i])
                i += 1
        if not found:
            return None
        return re.sub(r" ([,.?!:;])", r"\1", " ".join(out)).strip()


#: Words and marks as the dictation gives them (figures whole: "6842,25"; apostrophes split: "d'interrogation").
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[\w&%@]+|[?!:,.;]")
