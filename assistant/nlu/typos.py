"""A fast typist's typos, corrected only where the meaning stays unique.

A word typed stretched for emphasis ("ouiii", "yesss", "nooon", "stoppp") is no typo: a run of
three or more of one letter is shrunk to one or two, and the word is read so only when exactly
one of those shrunk forms is a word MIA knows ("yesss": "yes" known, "yess" not). That holds for
answer words too (they are what people stretch), since nothing is guessed: the letters typed are
the word's letters.

"ahcète 2 ES", "achte 3 MNQ", "vnds 2 ES", "clsoe all", "ferme ma positon ES": one letter
swapped, dropped, doubled or struck wrong. A word is corrected only when:

* no loaded grammar, frame cue or number knows it as written (a word MIA knows is never
  "corrected" into another: "lots" stays "lots");
* it holds no digit and has at least four letters (short words are too close to each other; a
  three-letter word said first, right before an order's number, is read as the one side it is one
  edit from: "sel 2 ES", "buu 3 MNQ");
* exactly ONE word MIA knows is one edit away ("lons": long or lots? refused) — or several that
  are forms of one command word with one meaning ("fermr": ferme or fermer, both a close; "vendd":
  vends or vendu? refused) — and it carries a command: a side word, a keyword of an action
  (close, halt, resume, reduce-only, autopilot) or a word of the `typo_words` lists of the
  `frames:` sections ("position", "tout", "everything") — never an answer word (yes/no), and
  never an ordinary word: "frais" is not "fais", "minus" not "minis" (a swap of two neighbouring letters, one
  letter dropped, added or replaced): "lons" (long? lots?) and "vens" (vends? vers?) refuse;
* the correction does not add or drop a reversing prefix ("désactive" / "active").

A number typed against a market's name ("achète 2ES", "sell 3mnq": the space missed) is split in
two when the letters are exactly one of the markets' one-word names; a market typed first ("ES2":
TradingView's second month, or two contracts?) is not.

The corrected sentence then goes through the whole parser again (so every veto, the read-back
and the confirmation still apply); it is kept only when understood (or incomplete, for the
follow-up question). The parser calls this stage only after every other stage refused, behind
one set look-up (a word no grammar knows), so a sentence understood as said pays nothing.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from assistant.nlu.compiled import CompiledLanguage, flips_prefix
from assistant.nlu.normalize import normalize
from assistant.nlu.order_extras import chat_side_values

__all__ = ["TYPO_KEYS", "TypoFixer"]

#: The `frames:` keys this stage reads.
TYPO_KEYS = frozenset({"typo_words", "side_homophones", "unread_homophones"})

#: Shortest word this stage corrects (and shortest word it corrects to).
_MIN_TYPO = 4
_MIN_TARGET = 3


#: More unknown words than this and the sentence is not a command with typos (nor worth the look-ups).
_MAX_TYPOS = 2


#: A letter typed three times or more in a row ("ouiii"): emphasis, never a word's spelling.
_STRETCH = re.compile(r"([a-z])\1{2,}")

#: A whole number glued to letters ("2es", "3mnq"): a space missed before a market.
_GLUED = re.compile(r"(\d+)([a-z]+)")

#: A name glued to its figure ("sp500"): one market's name when its words are ("sp 500").
_FIGURE_GLUED = re.compile(r"([a-z]+)(\d+)")


def _shrunk(word: str) -> set[str]:
    """`word` with each run of three or more of one letter shrunk to one or to two of it."""
    parts = _STRETCH.split(word)
    # split() alternates: text, the run's letter, text, ...
    choices = [[part] if i % 2 == 0 else [part, part * 2] for i, part in enumerate(parts)]
    return {"".join(combo) for combo in itertools.product(*choices)}


def _deletes(word: str) -> set[str]:
    """`word` with one letter dropped, every way."""
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _same_keys(typed: str, word: str) -> bool:
    """True when `typed` is `word` typed with its own keys, slipped once: two neighbours swapped
    ("byu"), a double letter typed once ("sel"), or a letter typed again instead of its neighbour
    ("buu"). A letter struck wrong ("biy") or a letter dropped ("lon") is not."""
    if len(typed) == len(word):
        diff = [i for i in range(len(word)) if typed[i] != word[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            return typed[diff[0]] == word[diff[1]] and typed[diff[1]] == word[diff[0]]
        return len(diff) == 1 and typed[diff[0]] in typed[max(diff[0] - 1, 0):diff[0]] + typed[diff[0] + 1:diff[0] + 2]
    return len(typed) == len(word) - 1 and any(
        word[i] == word[i - 1] and word[:i] + word[i + 1:] == typed for i in range(1, len(word)))


def _typed_again(typed: str, word: str) -> bool:
    """True when `typed` is `word` with one of its letters typed twice ("ess", "mnqq")."""
    return len(typed) == len(word) + 1 and any(
        typed[i] == typed[i - 1] and typed[:i] + typed[i + 1:] == word for i in range(1, len(typed)))


#: Keyboard rows (QWERTY, AZERTY): a letter struck for its neighbour on one of them is a slip of the finger.
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn")
_VOWELS = frozenset("aeiouy")
#: Shortest side word a consonant struck for its neighbour is read in ("sjort"; "vens": vends? viens? vend?).
_MIN_STRUCK = 5


def _slipped(typed: str, word: str) -> bool:
    """True when `typed` is `word` slipped once on the keyboard: `_same_keys`, a letter typed twice ("buyy",
    "lonng"), or, in a word of five letters or more, a consonant struck for its neighbour on the row ("sjort"); a
    letter struck elsewhere ("lons"), a vowel changed ("shirt") or a letter dropped is not."""
    if _same_keys(typed, word) or _typed_again(typed, word):
        return True
    if len(typed) != len(word):
        return False
    diff = [i for i in range(len(word)) if typed[i] != word[i]]
    if len(diff) != 1 or len(word) < _MIN_STRUCK or typed[diff[0]] in _VOWELS or word[diff[0]] in _VOWELS:
        return False  # (a vowel changed, or a short word, makes another word too easily: "shirt", "vens")
    return any(typed[diff[0]] + word[diff[0]] in row or word[diff[0]] + typed[diff[0]] in row for row in _KEY_ROWS)


def _strings_of(value: Any) -> list[str]:
    """The strings of a cue list (anything else: none)."""
    return [str(v) for v in value] if isinstance(value, list) else []


def _one_edit(a: str, b: str) -> bool:
    """True when `a` and `b` are one edit apart (Damerau: a swap of neighbours counts as one)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1:]  # one letter added
    if a[i + 1:] == b[i + 1:]:
        return True  # one letter struck wrong
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]


class TypoFixer:
    """Corrects unknown words to the one grammar word one edit away, with every loaded language's
    vocabulary (traders mix languages)."""

    def __init__(self, compiled: Mapping[str, CompiledLanguage], frames: Mapping[str, Mapping[str, Any]],
                 actions: Iterable[str] = ()) -> None:
        targets: set[str] = set()
        known: set[str] = set()
        #: What each target word means (a side's value, an action's intent): two candidates one edit
        #: away that mean the same ("fermr": ferme or fermer, both a close) are no ambiguity.
        meaning: dict[str, set[str]] = {}
        for comp in compiled.values():
            for form, value in comp.text_values.get("side", {}).items():
                if " " not in form:
                    targets.add(form)
                    meaning.setdefault(form, set()).add(f"side:{value}")
            for intent in actions:
                for k in comp.keywords.get(intent, ()):
                    if " " not in k:
                        targets.add(k)
                        meaning.setdefault(k, set()).add(intent)
            known.update(comp.vocabulary)
            known.update(comp.numbers.words)
            for phrase in comp.grammar.skip_words:
                known.update(normalize(phrase).split())
        #: The markets' one-word names ("es", "mnq", "spoos"): what a number may be glued to.
        markets = {form for comp in compiled.values() for form in comp.text_values.get("symbol", {})
                   if form.isalpha()}
        #: The markets' names that end on a word and a figure ("sp 500", "s and p 500", "micro nas 100"):
        #: that figure may be typed glued to the word ("SP500", "S&P500").
        self._figure_names = frozenset(
            words for comp in compiled.values() for words in (tuple(f.split()) for f in comp.text_values.get("symbol", {}))
            if len(words) >= 2 and words[-1].isdigit() and words[-2].isalpha())
        stems: set[str] = set()
        for section in frames.values():
            for word in section.get("typo_words", ()):
                targets.update(normalize(word).split())
            # The frames' one-word close cues mean a close too: "cloes" (clos? close? closes?) is
            # one command word whichever was meant.
            for cue in section.get("close", ()):
                if " " not in cue and not cue.endswith("*"):
                    meaning.setdefault(normalize(cue), set()).add("close_positions")
        # A side's chat abbreviation means its side ("vnds": vends or vds, one sell).
        for short, values in chat_side_values(frames, compiled).items():
            meaning.setdefault(short, set()).update(f"side:{value}" for value in values)
        # A contracted command word means what its full form means ("ferm": ferme, "achte": achete): a typo one
        # edit from both ("fermr", "achèt") is one command word whichever was meant.
        contracted: dict[str, str] = {}
        for section in frames.values():
            for full, forms in (section.get("contractions") or {}).items():
                for form in _strings_of(forms):
                    if normalize(str(full)) in meaning and " " not in normalize(form):
                        contracted[normalize(form)] = normalize(str(full))
                        meaning.setdefault(normalize(form), set()).update(meaning[normalize(str(full))])
        targets.update(contracted)
        #: (a typo is corrected to the full form, never to a contracted one: "fermr" -> ferme, "fern" -> ferme)
        self._contracted = contracted
        targets = {w for w in targets if len(w) >= _MIN_TARGET and w.isalpha()}
        for section in frames.values():
            for cue in _cues(section):
                for word in cue.split():
                    if word.endswith("*"):
                        stems.add(normalize(word[:-1]))
                    else:
                        known.update(normalize(word).split())
        self._targets = frozenset(targets)
        #: The side words by meaning ("sell" -> "side:SELL"): a short word first in an order (`short_side`).
        self._sides = {w: frozenset(m) for w, m in meaning.items() if w in self._targets and all(v.startswith("side:") for v in m)}
        #: The past forms the `past` cues say after their auxiliary ("ai *vendu*"), side words left out: a typo one
        #: edit from one of them ("vendd": vends? vendu?) is never read as a side.
        self._past_forms = frozenset(words[-1] for section in frames.values() for cue in _strings_of(section.get("past"))
                                     if len(words := normalize(cue).split()) > 1 and words[-1] not in self._sides)
        self._number_words = frozenset(w for comp in compiled.values() for w in comp.numbers.words)
        self._markets = frozenset(markets)
        #: Each one-word market name's market ("mnq", "micro" -> "MNQ"): typos of two names of one market agree.
        self._market_values = {form: str(value) for comp in compiled.values()
                               for form, value in comp.text_values.get("symbol", {}).items() if form in markets}
        #: The one-word side words of every language ("buy", "long", "achete", "vends"): what a quantity
        #: may be typed glued to ("buy2 es", "achete2 es"; the chat abbreviations: restate.py).
        self._side_words = frozenset(form for comp in compiled.values() for form in comp.text_values.get("side", {})
                                     if form.isalpha())
        self._meaning = {word: frozenset(m) for word, m in meaning.items()}
        #: A side word's typed homophones ("by", "bye", "cell"; "vent", "vant"): `side_homophones`, homophone -> the
        #: side word it stands for (`homophone_side`).
        self._homophones = _homophones(frames, self._side_words)
        #: Homophones never read as the side ("by", "bye": refused since the first cases), whose order is never read
        #: from other words either (`unread_homophones`, `opens_with_homophone`).
        self._unread_homophones = frozenset(normalize(str(w)) for section in frames.values()
                                            for w in section.get("unread_homophones", ()))
        self._known = frozenset(known)
        self._stems = tuple(sorted(s for s in stems if s))
        # Every known word under itself and under each of its one-letter deletions: the words one
        # edit away from a typo are found among a handful of look-ups (a symmetric-delete index),
        # not by generating every edit of it.
        self._index: dict[str, set[str]] = {}
        for word in self._known | self._targets:
            if word.isalpha() and len(word) >= _MIN_TARGET:
                for key in _deletes(word) | {word}:
                    self._index.setdefault(key, set()).add(word)

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        """The words of `tokens` this stage may correct (the cheap gate: one set look-up each)."""
        return [t for t in tokens if t not in self._known and len(t) >= _MIN_TYPO and t.isalpha()
                and not t.startswith(self._stems)]

    def unglued(self, tokens: Sequence[str]) -> list[str] | None:
        """`tokens` with each number glued to a market's name split ("2es" -> "2", "es"), each
        market's name typed with its figure glued ("sp500" -> "sp", "500"; not "es2"), and a side
        word typed with its quantity glued ("buy2" -> "buy", "2"); None when there is none."""
        out: list[str] = []
        for token in tokens:
            parts = self._split_glued(token, out)
            if parts is not None:
                out += parts
            else:
                out.append(token)
        return out if len(out) > len(tokens) else None

    def unstretched(self, tokens: Sequence[str]) -> str | None:
        """The sentence with each stretched word ("ouiii", "yesss") read as the one word MIA knows
        among its shrunk forms; None when no word is stretched or one of them is not exactly one
        known word once shrunk."""
        if _STRETCH.search(" ".join(tokens)) is None:
            return None  # (one search: a run of one letter never crosses the space between two words)
        out: list[str] = []
        for token in tokens:
            if token in self._known or not _STRETCH.search(token):
                out.append(token)
                continue
            known = [w for w in _shrunk(token) if w in self._known]
            if len(known) != 1:
                return None
            out.append(known[0])
        return " ".join(out)

    def _split_glued(self, token: str, before: Sequence[str]) -> tuple[str, str] | None:
        """("2", "es") for "2es", ("sp", "500") for "sp500" when the words `before` it and these two
        make a market's name; None otherwise."""
        if token[:1].isdigit():
            glued = _GLUED.fullmatch(token)
            return (glued.group(1), glued.group(2)) if glued is not None and glued.group(2) in self._markets else None
        glued = _FIGURE_GLUED.fullmatch(token)
        if glued is None:
            return None
        parts = (glued.group(1), glued.group(2))
        if parts[0] in self._side_words:
            return parts  # "buy2 es", "achete2 es": the space missed after the side
        return parts if any(tuple(before[len(before) - k:]) + parts in self._figure_names for k in range(4)) else None

    def short_side(self, tokens: Sequence[str]) -> str | None:
        """"sel 2 ES", "buu 3 MNQ", "byu 1 MNQ": a word too short for `correct` (three letters), said
        first and right before a number — in an order, the one place only a side can be — read as
        the side word it types with the side's own keys (`_same_keys`: two letters swapped, a double
        letter typed once, a letter typed again for the next) when all such side words mean one side.
        A letter struck wrong or dropped ("biy", "lon": buy? long? lot?) and two letters or a word MIA
        knows ("by", "bye") are never read so. A word of four letters or more there is read as the side word
        one edit from it ("buyy 2 ES", "sjort 2 MNQ", "shortt 2 MNQ") when those mean one side: the other words
        one edit away ("buys", "sort") are no order's first word. The parser keeps it only as a whole order."""
        if len(tokens) < 3 or not (tokens[1].isdigit() or tokens[1] in self._number_words):
            return None
        word = tokens[0]
        if len(word) < _MIN_TYPO - 1 or not word.isalpha() or word in self._known:
            return None
        # (round 39: a longer word there is read as the side one edit from it, whatever other word is: "buyy 2 ES" is
        # no "buys 2 ES", "sjort 2 MNQ" no "sort 2 MNQ"; "shortt" is no word at all)
        same = _same_keys if len(word) < _MIN_TYPO else _slipped
        sides = {side for side in self._sides if same(word, side)}
        if len({self._sides[side] for side in sides}) != 1:
            return None
        if len(word) >= _MIN_TYPO and any(_one_edit(word, past) for past in self._past_forms):
            return None  # ("vendd 2 ES": vends, or vendu, told?)
        return " ".join([min(sides), *tokens[1:]])

    def homophone_side(self, tokens: Sequence[str]) -> str | None:
        """"cell one micro", "cell 2 ES", "vent 2 ES": a phone's dictation typed a side word's homophone (the
        `side_homophones` lists) first, right before the order's number — the one place only a side can be —
        read as that side word. None when no homophone opens the sentence so, or when another side word or
        homophone is said after it ("by 2 ES short"); the parser keeps it only as a whole order whose rest says
        no side (`opens_with_homophone`)."""
        if not self.opens_with_homophone(tokens) or tokens[0] not in self._homophones or any(
                t in self._side_words or t in self._homophones or t in self._unread_homophones for t in tokens[1:]):
            return None
        return " ".join([self._homophones[tokens[0]], *tokens[1:]])

    def opens_with_homophone(self, tokens: Sequence[str]) -> bool:
        """A side word's homophone, read or not (`unread_homophones`), said first, right before a number ("cell 2
        ES", "by 2 ES"): never an order read from other words ("by 2 ES short": buy, or short by 2?)."""
        return len(tokens) >= 3 and (tokens[0] in self._homophones or tokens[0] in self._unread_homophones) and (
            tokens[1].isdigit() or tokens[1] in self._number_words)

    def market_typo(self, tokens: Sequence[str]) -> str | None:
        """"buy 2 ESS", "sell 1 mnqq": the word right after an order's quantity, the one place a market is
        said, read as the market it spells with one of its letters typed again (`_typed_again`) when it is a
        word MIA does not know (round 27a). Letters swapped ("MQN") are never read: a market is not guessed
        (rounds 13, 15). The parser keeps it only as a whole order."""
        fixed: list[str] = []
        for i, word in enumerate(tokens):
            if i == 0 or not word.isalpha() or word in self._known or len(word) < _MIN_TARGET \
                    or not (tokens[i - 1].isdigit() or tokens[i - 1] in self._number_words):
                continue
            markets = {m for m in self._markets if _typed_again(word, m)}
            if len({self._market_values[m] for m in markets}) != 1:
                return None
            fixed.append(min(markets))
            if len(fixed) > 1:
                return None
            tokens = [*tokens[:i], fixed[0], *tokens[i + 1:]]
        return " ".join(tokens) if fixed else None

    def near_command(self, tokens: Sequence[str]) -> bool:
        """Whether an unknown word is one edit from a word that carries a command, even when other
        known words are as near ("ferm": ferme, or the English "term"?): such a word may be the
        command, so a question's answer given over it would guess that it is not."""
        return any(c in self._targets for word in self.unknown(tokens) for c in self._one_edit_from(word))

    def _one_edit_from(self, word: str) -> list[str]:
        """The words MIA knows one edit away from `word`, sorted."""
        near: set[str] = set()
        for key in _deletes(word) | {word}:
            near |= self._index.get(key, set())
        return sorted(c for c in near if _one_edit(word, c))

    def correct(self, tokens: Sequence[str]) -> str | None:
        """The sentence with each correctable typo replaced, None when there is none or one of
        them is not one unique grammar word away (then nothing is guessed)."""
        todo = set(self.unknown(tokens))
        if not todo or len(todo) > _MAX_TYPOS:
            return None
        fixed: dict[str, str] = {}
        for word in todo:
            # Every word MIA knows one edit away competes ("lons": long or lots?); the one
            # candidate must also be a word that carries a command.
            candidates = self._one_edit_from(word)
            if len(candidates) > 1 and len({self._meaning.get(c) for c in candidates}) == 1 \
                    and len(self._meaning.get(candidates[0]) or ()) == 1:
                # "fermr" (ferme? fermer?), "achetr" (achete? acheter?): forms of one command word.
                candidates = ([c for c in candidates if c in self._targets and c not in self._contracted][:1]
                              or [c for c in candidates if c in self._targets][:1] or candidates[:1])
            if len(candidates) != 1 or candidates[0] not in self._targets \
                    or any(flips_prefix(word, c) for c in candidates):
                return None
            fixed[word] = self._contracted.get(candidates[0], candidates[0])
        return " ".join(fixed.get(t, t) for t in tokens)


def _homophones(frames: Mapping[str, Mapping[str, Any]], side_words: frozenset[str]) -> dict[str, str]:
    """Each `side_homophones` word (every language's; written side word: [homophones]) -> the one-word side
    word it stands for; a side that is no one-word side word of the grammars is a data error."""
    out: dict[str, str] = {}
    for code, section in frames.items():
        for target, words in (section.get("side_homophones") or {}).items():
            meant = normalize(str(target))
            for word in ([words] if isinstance(words, str) else words):
                said = normalize(str(word))
                if meant not in side_words or said in side_words or " " in said:
                    raise ValueError(f"frames ({code}) side_homophones: '{target}': ['{word}']: the side must be a "
                                     "one-word side word, its homophone one word and no side word")
                out[said] = meant
    return out


def _cues(section: Mapping[str, Any]) -> Iterable[str]:
    for key, value in section.items():
        if key in ("side_homophones", "unread_homophones"):
            continue  # no word MIA knows: a homophone is read only where `homophone_side` reads it
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            for inner in value.values():
                yield from ([inner] if isinstance(inner, str) else inner)
        else:
            yield from value
