"""Words at the edge of a command or of a read-back answer (round 31a, helper nlu33).

Every new trader brings exclamations and particles of his own ("waaw", "zou", "akh", "crikey", "haibo"): listing
them (frames `neutral`, `answer_fillers`, `yes`, `no`) never catches the next writer's. Two rules, on any word no
grammar knows:

* `interjection`: an unknown word is an exclamation when it is alphabetic and no typo of a word that means something
  (one edit from a negation, a time, a condition, a yes or a no, a side, a number, a command word; one edit from any
  known word when it is longer). `edge_rests` gives the sentence without a first or last segment made of such words
  only and cut off by punctuation ("zou, envoie", "déedéet, annule", "crack on, yes!"): the parser keeps what the
  rest says only when it is an answer or a whole command. Without punctuation (dictation) nothing is dropped: an
  unknown first word may be a verb that changes the order ("schedule buy 2 ES"), only listed words stand there.
* `typo_of_meaning`: an unknown word one edit from a negation, a time, a condition, a no or a cancel ("nver, buy 2
  ES", "tomorow", "jamai", "demin", "pa") makes any command or yes that holds it doubt: the word was meant, and
  whatever stage passed over it (a comment, an aside, an approximate match) must not send the order without it.

Read from every language's `frames` section (grammars/README.md "Frames"); the guarded categories are the keys
`GUARDED_KEYS` (their one-word cues), `_COMMAND_KEYS` add the yes-words, sides and command words.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from assistant.nlu.normalize import normalize

__all__ = ["EdgeWords", "GUARDED_KEYS"]

#: Frame keys whose words change what a command means: an unknown word one edit from one of them is that word
#: typed wrong ("nver", "tomorow", "demin"), never an exclamation.
GUARDED_KEYS = ("negations", "elsewhen", "no", "cancel", "unclear", "context_no", "order_extras", "command_times",
                "conditionals", "corrections")
#: Words of commands and answers: an exclamation is no typo of one either, and a word one edit from one of them and
#: from a guarded word is that command word typed wrong ("clsoe": close), no guarded one.
_COMMAND_KEYS = ("yes", "yes_typed", "sides", "counted_sides", "close", "halt", "resume", "all", "contracts")
#: Where a sentence is cut into segments: a comma (not inside a number: "5012,25"), "!", ";", "…", "...", a dash.
_SEGMENT_MARK = re.compile(r"(?<!\d),|,(?!\d)|[!;…¡]|\.{2,}|\s[-–—]+\s")
#: Marks that end a sentence, not cut it.
_END_MARKS = re.compile(r"(?:[!…¡;,]|\.{2,})+$")
#: Words of values' phrases that say nothing alone ("one hundred *and* five", "*de* l'ES").
_GLUE = frozenset({"and", "of", "oh", "de", "et", "du", "des", "la", "le", "les", "point", "virgule"})
#: A comment of at most this many words holding a value, or a yes and a no, is no comment (`says_a_value`).
_SHORT_COMMENT = 3
#: At most this many words in a dropped segment ("oh fan", "ag man" are two).
_MAX_SEGMENT = 2


def _phrases(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for inner in value.values():
            yield from _phrases(inner)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _phrases(item)
    elif isinstance(value, str):
        yield value


def _words(section: Mapping[str, Any], keys: Iterable[str], *, inner: int = 4) -> set[str]:
    """The words of the phrases under `keys`: a one-word phrase whole, of a longer one its words of `inner` letters
    or more (not the "at" of "at the open", the "it" of "forget it", the "pa" of "pa fè l")."""
    out: set[str] = set()
    for key in keys:
        for phrase in _phrases(section.get(key, ())):
            words = [w for w in normalize(phrase.replace("*", " ")).split() if w.isalpha()]
            out.update(w for w in words if len(w) >= (1 if len(words) == 1 else inner))
    return out


def _near(token: str, words: frozenset[str], *, long_edits: int, swaps: bool = True) -> list[str]:
    """The words of `words` one edit from `token` (`long_edits` edits from eight letters on; a swap of two letters
    is one edit when `swaps`)."""
    edits = long_edits if len(token) >= 8 else 1
    scorer = DamerauLevenshtein.distance if swaps else Levenshtein.distance
    return [hit[0] for hit in process.extract(token, words, scorer=scorer, score_cutoff=edits, limit=5)]


def _typed_wrong(token: str, word: str) -> bool:
    """`token` may be `word` typed wrong: the same first letter (a typo seldom hits it), and in a short word (four
    letters or fewer) a letter left out or added, never another letter ("hot" is no "not", "trap" no "twap")."""
    if token[0] != word[0] or len(word) < 3:
        return False
    return len(token) > 4 or len(token) != len(word)


def _inflected(token: str, word: str) -> bool:
    """One is the other with an ending ("sessions" / "session", "late" / "later"): another word, no typo."""
    short, long = sorted((token, word), key=len)
    return long.startswith(short) and len(short) >= 4


class EdgeWords:
    """Unknown words at the edge of a sentence: exclamations to drop, or typos of a word that means something."""

    def __init__(self, frame_data: Mapping[str, Mapping[str, Any]], known: frozenset[str],
                 numbers: frozenset[str], values: frozenset[str] = frozenset()) -> None:
        # (every word of every cue list too: some lists are read by other modules, not by the frames' analysis)
        known = known.union(*(_words(section, section, inner=1) for section in frame_data.values()))
        self._known = known
        guarded: set[str] = set()
        negative: set[str] = set()
        commands: set[str] = set(w for w in numbers if w.isalpha() and len(w) >= 2)
        for section in frame_data.values():
            guarded |= _words(section, GUARDED_KEYS, inner=99)  # (one-word cues only: "close" of "at the close" is none)
            commands |= _words(section, _COMMAND_KEYS)
            negative |= _words(section, ("negations", "no"), inner=99)
        #: Words that change what a command means, and are no command word too ("close": a time or a close).
        self._guarded = frozenset(guarded - commands)
        #: Words a dropped exclamation must be no typo of.
        self._commands = frozenset(commands)
        #: Negations and no-words: a word one ending short of one is a typo of it too ("jamai", "nope" / "nop").
        self._negative = frozenset(negative)
        self._edge = frozenset(commands | guarded)
        #: Words of a value (a side, a market, a number): a short comment holding one is a piece of the order.
        self._values = frozenset(w for w in values | numbers if len(w) >= 2) - _GLUE
        #: Exclamations and particles the lists know ("crikey", "fan de chichourle"): nothing of a clause's length.
        self._harmless = sorted({tuple(normalize(phrase.replace("*", " ")).split())
                                 for section in frame_data.values()
                                 for phrase in _phrases(section.get("neutral", ()))}
                                - {()}, key=len, reverse=True)
        self._yes = frozenset().union(*(_words(section, ("yes", "yes_typed"), inner=99) for section in frame_data.values()))
        self._known_alpha = frozenset(w for w in known if w.isalpha() and len(w) >= 3)
        self.typo = lru_cache(maxsize=4096)(self._typo)
        self.interjection = lru_cache(maxsize=4096)(self._interjection)

    def __bool__(self) -> bool:
        return bool(self._guarded)

    def _typo(self, token: str) -> bool:
        """An unknown word one edit from a negation, a time, a condition, a no or a cancel (two from seven letters),
        and from no command word."""
        if token in self._known or not token.isalpha() or len(token) < 2:
            return False
        return any(_typed_wrong(token, word) and (word in self._negative or not _inflected(token, word))
                   for word in _near(token, self._guarded, long_edits=2, swaps=False))

    def _interjection(self, token: str) -> bool:
        """An unknown alphabetic word of three letters or more that is no typo of a word that means something (nor,
        from four letters, of any known word)."""
        if token in self._known or not token.isalpha() or len(token) < 3:
            return False  # (two letters: a ticker as likely as a cry, "zn", "cl")
        if _near(token, self._edge, long_edits=2):
            return False
        return len(token) < 4 or not _near(token, self._known_alpha, long_edits=1)

    def typo_of_meaning(self, tokens: Sequence[str]) -> str | None:
        """The first unknown word of `tokens` that is a typo of a word that means something, or None."""
        if self._known.issuperset(tokens):
            return None  # (the cheap gate, in C: every word known, as in every command understood)
        for token in tokens:
            if token not in self._known and self.typo(token):
                return token
        return None

    def says_a_value(self, head: str) -> bool:
        """A clause said before a command one of whose short segments holds a value, a negation, a time or two
        answers ("3, sell 2 ES", "MNQ, crikey, buy 1 ES", "in 5 min, …", "tmrw, …", "yes no, …"): a piece of the
        order or doubt, never a comment to pass over."""
        return any(self._valued(normalize(segment).split()) for segment in _SEGMENT_MARK.split(head))

    def _valued(self, tokens: list[str]) -> bool:
        said = [t for t in self._without_harmless(tokens) if not self.interjection(t)]
        if not said or len(said) > _SHORT_COMMENT:
            return False
        if any(t[0].isdigit() or t in self._values or t in self._guarded or t in self._negative for t in said):
            return True
        return not self._yes.isdisjoint(said) and not self._negative.isdisjoint(said)

    def _without_harmless(self, tokens: list[str]) -> list[str]:
        """`tokens` without the exclamation and particle phrases the lists know (longest first)."""
        out = list(tokens)
        for phrase in self._harmless:
            n = len(phrase)
            if n > len(out):
                continue
            k = 0
            while k + n <= len(out):
                if tuple(out[k:k + n]) == phrase:
                    del out[k:k + n]
                else:
                    k += 1
        return out

    def edge_rests(self, text: str) -> list[str]:
        """`text` without its first, its last, or both segments when each is made of `interjection` words only
        (at most `_MAX_SEGMENT`), cut off by a punctuation mark; longest rest first. [] when none is."""
        text = _END_MARKS.sub("", text.strip())  # ("yes, kablooey!": the mark that ends it cuts nothing; a "?" stays)
        marks = list(_SEGMENT_MARK.finditer(text))
        if not marks:
            return []
        first, last = marks[0], marks[-1]
        head_ok = self._only_interjections(text[:first.start()])
        tail_ok = self._only_interjections(text[last.end():])
        rests: list[str] = []
        if head_ok:
            rests.append(text[first.end():])
        if tail_ok:
            rests.append(text[:last.start()])
        if head_ok and tail_ok and first.end() < last.start():
            rests.append(text[first.end():last.start()])
        return [rest.strip() for rest in rests if normalize(rest)]

    def _only_interjections(self, segment: str) -> bool:
        words = normalize(segment).split()
        return 0 < len(words) <= _MAX_SEGMENT and all(self.interjection(w) for w in words)
