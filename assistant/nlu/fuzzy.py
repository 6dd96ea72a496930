"""Fuzzy matching on the carrier phrase, never on slot values.

An utterance that no template matches exactly goes through three stages:

1. **Correction** — words the grammar does not know are replaced by the closest template word
   (rapidfuzz, `CompiledLanguage.correct`); slot and number words are never touched. If the
   corrected sentence matches exactly, it is accepted with the similarity of the two
   sentences as its score ("show me the top shop features" -> shap_features).
2. **Carrier comparison** — slot values are masked by placeholders ("buy [n] [symbol] contracts
   yeah") and the carrier phrase is compared with the carriers of the templates' sentences
   *holding the same slot kinds in the same order*. The slots are then filled positionally
   from what was actually heard, so the fuzzy step can neither invent, drop nor swap a value.
3. **Refusal analysis** — when nothing is accepted but the sentence is recognisably a command,
   say why: a slot heard twice ("buy two ES and MNQ" -> ambiguous_symbol), a required slot
   missing ("buy ES" -> missing_quantity) or replaced by something unclear ("by two ES" ->
   ambiguous_side).

Scores combine the similarity of the whole carrier with that of its *content words* (words
used by fewer than `COMMON_WORD_INTENTS` intents, or `COMMON_WORD_SHARE` of them), so that sharing "what is the … today"
with a template is not enough ("what's the weather today" is rejected). Searching on content
words also collapses the many "show me / tell me / the / my" variants, which keeps the search
small: a fuzzy parse costs well under a millisecond.

A template is represented by at most `MAX_CARRIERS_PER_TEMPLATE` of its sentences (all of
them when it has fewer; otherwise its plain cores and a seeded sample that keeps few optional
parts, see `assistant.grammar.expand.representative_expansions`).
"""
from __future__ import annotations

import bisect
import heapq
import pickle
import random
import zlib
from pathlib import Path
from operator import itemgetter
from collections import Counter
from dataclasses import dataclass, field
from collections.abc import Sequence as Seq
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from assistant.grammar.expand import Part, core_expansions, representative_expansions
from assistant.grammar.model import Template
from assistant.grammar.template import Alternative, Expr, RuleRef, Sequence, SlotRef, Words
from assistant.nlu.build_cache import code_files, default_cache_dir, files_digest, note_use, write_atomically
from assistant.nlu.compiled import CompiledLanguage, Scan, ScannedValue

__all__ = ["CarrierIndex", "FuzzyOutcome", "MAX_CARRIERS_PER_TEMPLATE", "COMMON_WORD_INTENTS"]

MAX_CARRIERS_PER_TEMPLATE = 200
#: A word used by at least this many intents is a "function" word for scoring purposes…
COMMON_WORD_INTENTS = 4
#: …or by at least this share of the language's intents, whichever is more: politeness and
#: "show me" words reach nearly every intent of a broad grammar, while words such as
#: "trading" or "positions" stay content words however many intents the grammar has.
COMMON_WORD_SHARE = 0.4
#: Full carriers kept per content key (they differ only by function words).
_MEMBERS_PER_KEY = 24
#: Similarity (0-100) for two content words to count as the same word in `_token_f1`…
_TOKEN_MATCH = 80.0
#: …both at least this long: shorter words match exactly or not at all.
_TOKEN_MATCH_MIN_LEN = 5
#: Words whose close vocabulary words are memoised per group before the memo is emptied.
_MEMO_LIMIT = 20_000
#: Whole-carrier similarity a fuzzy acceptance needs whatever its content words.
_WORDING_FLOOR = 0.75
#: Shared words at least this long must be ones the matched sentence can say (`_common_words_ok`).
_COMMON_CHECK_MIN_LEN = _TOKEN_MATCH_MIN_LEN
#: Content keys whose word-level similarity is computed per search…
_KEYS_EXAMINED = 12
#: …chosen among this many keys per word said (the keys with the fewest words first).
_POSTINGS_EXAMINED = 40
#: How far under the needed score rapidfuzz is asked to keep candidates (0-100 scale): the
#: exact test is made on its scores afterwards, so float rounding never drops one.
_CUTOFF_MARGIN = 0.01
#: The count of a (key rank, count) pair of `CarrierIndex._search`.
_COUNT = itemgetter(1)
#: Words that join two repeated values ("ES and MNQ", "deux ou trois").
_CONJUNCTIONS = frozenset({"and", "or", "et", "ou", "plus", "then", "puis"})


#: Words that turn a following negation into politeness: "why don't you switch to reduce only"
#: asks for it, "don't switch to reduce only" forbids it.
_POLITE_BEFORE_NEGATION = frozenset({"why", "pourquoi"})


def _real_negations(tokens: list[str], negations: frozenset[str]) -> set[str]:
    """The negation words of a sentence that negate ("why don't you" / "pourquoi ne pas" do not):
    a template's polite "why don't you" may not explain a user's bare "don't"."""
    out: set[str] = set()
    polite_until = -1
    for i, token in enumerate(tokens):
        if token in _POLITE_BEFORE_NEGATION:
            polite_until = i + 3  # "why don t", "pourquoi ne pas", "why not"
        elif token in negations and i > polite_until:
            out.add(token)
    return out


@dataclass(frozen=True, slots=True)
class CarrierSlot:
    kind: str
    slot: str | None
    """None for a value written literally in the template ("placer *un* trade")."""
    list_name: str | None
    literal_value: Any = None

    def __reduce__(self) -> tuple[type[CarrierSlot], tuple[str, str | None, str | None, Any]]:
        """Pickled by its fields, so that the carriers' cache (`_carriers_cache`) reads the same in pure Python
        and compiled with mypyc (a compiled class has no slot state for pickle's default protocol to set)."""
        return (CarrierSlot, (self.kind, self.slot, self.list_name, self.literal_value))


@dataclass(frozen=True, slots=True)
class CarrierInfo:
    intent: str
    positions: tuple[CarrierSlot, ...]
    fixed: dict[str, Any]
    template: int = -1
    """Index of the template the carrier comes from (see `CarrierIndex.templates`)."""
    missing: CarrierSlot | None = None
    """For the 'one required slot removed' index: the slot that was removed…"""
    full: str = ""
    """…the carrier with that slot still in place…"""
    missing_at: int = -1
    """…and the character offset of its placeholder in `full`."""


@dataclass(frozen=True, slots=True)
class _Adjacency:
    first: frozenset[str]
    last: frozenset[str]
    nullable: bool
    pairs: frozenset[tuple[str, str]]


#: From this many skeletons in the length window on, `_SkeletonBags` sorts out those whose letters
#: cannot reach the cutoff before rapidfuzz scores the rest (below it, numpy's calls cost more).
_BAG_FILTER_MIN = 48


class _SkeletonBags:
    """The letter counts of a group's skeletons (in `close_skeletons`' length order), for a bound
    on `fuzz.ratio`: it is 200 * LCS / (la + lb), and the longest common subsequence of two strings
    holds at most min(count in a, count in b) of each character. A skeleton whose bound is under the
    cutoff cannot reach it: only the others are scored (the same matches, the same scores)."""

    __slots__ = ("alphabet", "column", "capped", "top", "lengths", "texts", "positions", "_floors")

    def __init__(self, lengths: list[int], texts: list[str], positions: list[int]) -> None:
        self.alphabet = sorted({ch for text in texts for ch in text})
        self.column = {ch: k for k, ch in enumerate(self.alphabet)}
        # One row per character (the skeletons along it): a query reads only the rows of its own
        # characters (the others add min(count, 0) = 0), each a contiguous run.
        # (uint8: a skeleton holds no letter 256 times; the sums are whole numbers, compared exactly)
        by_letter = np.zeros((len(self.alphabet), len(texts)), dtype=np.uint8)
        for row, text in enumerate(texts):
            for ch, n in Counter(text).items():
                by_letter[self.column[ch], row] = min(n, 255)
        # The minimum a query's count takes with each row, made once per count: row `q * letters + k`
        # is min(row k, q), for q up to the highest count of any skeleton (a query saying a letter more
        # often takes min(row, top) = the row). A query then reads its rows in one fancy index, with
        # no per-call array of counts nor `np.minimum` (numpy's per-call overhead is most of the cost).
        self.top = int(by_letter.max()) if by_letter.size else 0
        self.capped = np.concatenate([np.minimum(by_letter, q) for q in range(self.top + 1)]) \
            if by_letter.size else by_letter
        self.lengths = np.array(lengths, dtype=np.float32)
        self.texts = np.array(texts, dtype=object)
        self.positions = np.array(positions, dtype=np.int64)
        #: (query length, cutoff) -> the common letters each skeleton needs (`_needed`).
        self._floors: dict[tuple[int, float], np.ndarray] = {}

    def _needed(self, size: int, cutoff: float) -> np.ndarray:
        """The whole number of common letters each skeleton needs to reach `cutoff` against a query
        of `size` characters: the ceiling of the bound's float32 threshold `(length + size) * (cutoff
        - _CUTOFF_MARGIN) / 200` (a whole count reaches a threshold iff it reaches its ceiling).
        Memoised by (size, cutoff): a few query lengths and one cutoff per parser, not sentences."""
        key = (size, cutoff)
        need = self._floors.get(key)
        if need is None:
            if len(self._floors) > _MEMO_LIMIT:
                self._floors.clear()
            # (float32 as the lengths, the same operations in the same order as the comparison made before)
            threshold = (self.lengths + size) * ((cutoff - _CUTOFF_MARGIN) / 200.0)
            need = self._floors[key] = np.ceil(threshold.astype(np.float64)).astype(np.int64)
        return need

    def within(self, query: str, cutoff: float, start: int, end: int) -> tuple[list[str], list[int]]:
        """The skeletons `start`..`end` whose letters may reach `cutoff` against `query`, and
        their positions. (The bound is lowered by `_CUTOFF_MARGIN`: float rounding never drops
        a skeleton that reaches the cutoff.)"""
        rows: list[int] = []
        column = self.column
        top = self.top
        letters = len(self.alphabet)
        for ch in set(query):  # (set + count: cheaper than a Counter for a short query)
            k = column.get(ch)
            if k is not None:
                said = query.count(ch)
                rows.append((said if said < top else top) * letters + k)
        # Whole counts, summed exactly in int64. (`np.add.reduce` and `.nonzero()` are what `ndarray.sum` and
        # `np.flatnonzero` call, without their Python wrappers: about a microsecond a call)
        common = np.add.reduce(self.capped[rows, start:end], axis=0, dtype=np.int64)
        keep = (common >= self._needed(len(query), cutoff)[start:end]).nonzero()[0]
        keep += start
        return self.texts[keep].tolist(), self.positions[keep].tolist()


class _TemplateWords:
    """The content words of every full carrier of a `_minus` group, for a test that rules out the
    whole refusal analysis of `CarrierIndex._missing_slot` before any skeleton is compared: a
    candidate scores 0.5 * `_token_f1` + 0.5 * a ratio, and `_token_f1` is 0 unless a content word
    said is one of the carrier's (or, both at least `_TOKEN_MATCH_MIN_LEN` long, `_TOKEN_MATCH` %
    close to one), or neither side has any. With no such word anywhere in the group, no candidate
    reaches a `refuse` above 0.5."""

    __slots__ = ("words", "long_words", "any_empty", "_close")

    def __init__(self, contents: list[list[str]]) -> None:
        self.words = frozenset(w for words in contents for w in words)
        self.long_words = sorted(w for w in self.words if len(w) >= _TOKEN_MATCH_MIN_LEN)
        self.any_empty = any(not words for words in contents)
        self._close: dict[str, bool] = {}

    def may_share(self, said: list[str]) -> bool:
        """A content word of `said` may find a partner in some carrier of the group (see above)."""
        if self.any_empty or not self.words.isdisjoint(said):
            return True
        close = self._close
        for word in said:
            if len(word) < _TOKEN_MATCH_MIN_LEN:
                continue
            found = close.get(word)
            if found is None:
                if len(close) > _MEMO_LIMIT:
                    close.clear()  # typed text may hold any word: keep the memo bounded
                found = close[word] = process.extractOne(word, self.long_words, scorer=fuzz.ratio,
                                                         score_cutoff=_TOKEN_MATCH) is not None
            if found:
                return True
        return False


@dataclass(slots=True)
class _Group:
    """Carriers sharing one slot sequence, keyed by their content words."""

    keys: list[str] = field(default_factory=list)
    fulls: list[list[str]] = field(default_factory=list)
    infos: list[list[CarrierInfo]] = field(default_factory=list)
    where: dict[str, int] = field(default_factory=dict)
    _flat: tuple[list[str], list[CarrierInfo]] | None = None
    _short: list[int] | None = None
    _skeletons: tuple[list[str], list[int]] | None = None
    _skeleton_lengths: tuple[list[int], list[str], list[int]] | None = None
    _bags: "_SkeletonBags | None" = None
    _words: dict[str, list[int]] | None = None
    _postings: dict[str, list[int]] | None = None
    _lengths: list[int] | None = None
    _vocabulary: list[str] | None = None
    _similar: dict[str, list[str]] = field(default_factory=dict)
    _key_tokens: list[list[str]] | None = None
    _plain_top: list[tuple[float, int]] | None = None
    _ranks: tuple[list[int], list[int]] | None = None
    _template_words: "_TemplateWords | None" = None

    def similar(self, word: str) -> list[str]:
        """Other vocabulary words close to `word` (at most three, memoised: the vocabulary is
        fixed, and the same words come back sentence after sentence)."""
        found = self._similar.get(word)
        if found is None:
            if len(self._similar) > _MEMO_LIMIT:
                self._similar.clear()
            found = self._similar[word] = [
                w for w, _, _ in process.extract(word, self.vocabulary(), scorer=fuzz.ratio,
                                                 score_cutoff=_TOKEN_MATCH, limit=3)
                if w != word and len(w) >= _TOKEN_MATCH_MIN_LEN]
        return found

    def key_tokens(self) -> list[list[str]]:
        """Words of each key (cached)."""
        if self._key_tokens is None or len(self._key_tokens) != len(self.keys):
            self._key_tokens = [key.split() for key in self.keys]
        return self._key_tokens

    def vocabulary(self) -> list[str]:
        """Every content word of the group's keys (cached)."""
        if self._vocabulary is None:
            self._vocabulary = list(self.by_word())
        return self._vocabulary

    def key_lengths(self) -> list[int]:
        """Number of words of each key (cached)."""
        if self._lengths is None or len(self._lengths) != len(self.keys):
            self._lengths = [len(key.split()) for key in self.keys]
        return self._lengths

    def key_ranks(self) -> tuple[list[int], list[int]]:
        """Each key's rank in (number of words, index) order, and the keys in that order (cached)."""
        if self._ranks is None or len(self._ranks[0]) != len(self.keys):
            lengths = self.key_lengths()
            order = sorted(range(len(self.keys)), key=lambda i: (lengths[i], i))
            rank = [0] * len(order)
            for position, idx in enumerate(order):
                rank[idx] = position
            self._ranks = (rank, order)
        return self._ranks

    def by_word(self) -> dict[str, list[int]]:
        """Content word -> the keys holding it, fewest words first (cached)."""
        if self._words is None:
            words: dict[str, list[int]] = {}
            for idx in sorted(range(len(self.keys)), key=lambda i: (len(self.keys[i].split()), i)):
                for word in set(self.keys[idx].split()):
                    words.setdefault(word, []).append(idx)
            self._words = words
        return self._words

    def postings(self) -> dict[str, list[int]]:
        """`by_word()` with each word's keys cut to the first `_POSTINGS_EXAMINED`, each key as its
        rank in `key_ranks()` order (ascending, as `by_word()` lists them; cached)."""
        if self._postings is None:
            rank = self.key_ranks()[0]
            self._postings = {word: [rank[idx] for idx in keys[:_POSTINGS_EXAMINED]]
                              for word, keys in self.by_word().items()}
        return self._postings

    def skeletons(self, index: "CarrierIndex") -> tuple[list[str], list[int]]:
        """Distinct skeletons of the group's full carriers, and for each the position of its
        first carrier in `flat()` (cached)."""
        if self._skeletons is None:
            first: dict[str, int] = {}
            for k, full in enumerate(self.flat()[0]):
                first.setdefault(index.skeleton(full.split(" ")), k)
            self._skeletons = (list(first), list(first.values()))
        return self._skeletons

    def plain_top(self) -> list[tuple[float, int]]:
        """`CarrierIndex._search`'s four best (content score, key) for a sentence without content
        words: only the empty key scores (1.0), so the ranking is the group's own (cached)."""
        if self._plain_top is None:
            key_tokens = self.key_tokens()
            self._plain_top = heapq.nlargest(4, ((0.0 if key_tokens[idx] else 1.0, idx) for idx in self.short_keys()))
        return self._plain_top

    def close_skeletons(self, index: "CarrierIndex", query: str, cutoff: float, limit: int) -> list[int]:
        """Positions in `skeletons()` of the `limit` skeletons closest to `query` (fuzz.ratio at
        least `cutoff`), best first, ties in list order: what `process.extract(query, skeletons,
        scorer=fuzz.ratio, score_cutoff=cutoff, limit=limit)` returns, without scoring the
        skeletons whose length alone keeps them under `cutoff` (ratio <= 100 * (1 - |la - lb| /
        (la + lb))), nor, among many, those whose letters alone do (`_SkeletonBags`)."""
        if self._skeleton_lengths is None:
            skeletons = self.skeletons(index)[0]
            order = sorted(range(len(skeletons)), key=lambda k: (len(skeletons[k]), k))
            self._skeleton_lengths = ([len(skeletons[k]) for k in order], [skeletons[k] for k in order], order)
        lengths, texts, positions = self._skeleton_lengths
        size = len(query)
        share = max(cutoff, 0.0) / 100.0
        # Lengths that can reach the cutoff, one character wider on each side (float rounding).
        low = size * share / (2.0 - share) - 1.0
        high = size * (2.0 - share) / share + 1.0 if share > 0.0 else float("inf")
        start = bisect.bisect_left(lengths, low)
        end = bisect.bisect_right(lengths, high)
        if end - start >= _BAG_FILTER_MIN and query:
            if self._bags is None:
                self._bags = _SkeletonBags(lengths, texts, positions)
            choices, where = self._bags.within(query, cutoff, start, end)
        else:
            choices, where = texts[start:end], positions[start:end]
        found = process.extract(query, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        ranked = sorted([(-score, where[k]) for _, score, k in found])
        return [k for _, k in ranked[:limit]]

    def short_keys(self) -> list[int]:
        """Keys with few content words: the only ones a sentence without content words
        (slots and function words only) can be close to."""
        if self._short is None:
            self._short = [idx for idx, key in enumerate(self.keys) if len(key) <= 12]
        return self._short

    def flat(self) -> tuple[list[str], list[CarrierInfo]]:
        """Every full carrier of the group (cached), for searches that ignore content keys."""
        if self._flat is None:
            fulls = [f for group in self.fulls for f in group]
            infos = [i for group in self.infos for i in group]
            self._flat = (fulls, infos)
        return self._flat

    def add(self, key: str, full: str, info: CarrierInfo) -> None:
        self._flat = None
        self._plain_top = None
        self._short = None
        self._skeletons = None
        self._skeleton_lengths = None
        self._bags = None
        self._words = None
        self._postings = None
        self._vocabulary = None
        self._ranks = None
        self._template_words = None
        idx = self.where.get(key)
        if idx is None:
            self.where[key] = len(self.keys)
            self.keys.append(key)
            self.fulls.append([full])
            self.infos.append([info])
            return
        fulls, infos = self.fulls[idx], self.infos[idx]
        if len(fulls) >= _MEMBERS_PER_KEY and any(i.intent == info.intent for i in infos):
            return
        if any(f == full and i.intent == info.intent for f, i in zip(fulls, infos)):
            return
        fulls.append(full)
        infos.append(info)


@dataclass(slots=True)
class FuzzyOutcome:
    status: str
    """"accept", "refuse" (recognisably a command, but unusable) or "none"."""
    score: float
    intent: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    slot_text: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    detail: str | None = None
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    missing: tuple[str, ...] = ()
    """Slots to ask for: an incomplete command, or a required slot heard unclearly."""
    typed_only: bool = False
    nearest: str | None = None
    """The intent the sentence came closest to (for refusals)."""


#: Below this score an intent is not "nearest" to a refused sentence (no examples offered).
NEAREST_FLOOR = 0.6


#: fuzz.ratio of a word said and a template word, memoised per word said (a row per word: no
#: pair tuple to build and hash per look-up): the vocabulary is fixed and the words said recur,
#: while `_token_f1` compares them key after key. With each row, the template words known to
#: score under `_TOKEN_MATCH`: when every choice is one of them, one C-level set test answers.
_WORD_RATIOS: dict[str, tuple[dict[str, float], set[str]]] = {}


def _closest_word(word: str, choices: list[str]) -> int:
    """Index of what `process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=
    _TOKEN_MATCH)` returns (the first of the best; it stops at a perfect score), -1 for None."""
    row = _WORD_RATIOS.get(word)
    if row is None:
        if len(_WORD_RATIOS) > _MEMO_LIMIT:
            _WORD_RATIOS.clear()  # typed text may hold any word: keep the memo bounded
        row = _WORD_RATIOS[word] = ({}, set())
    ratios, far = row
    if far.issuperset(choices):
        return -1  # (the usual answer: no choice is close)
    best, best_score = -1, 0.0
    for k, choice in enumerate(choices):
        score = ratios.get(choice)
        if score is None:
            score = ratios[choice] = fuzz.ratio(word, choice)
            if score < _TOKEN_MATCH:
                far.add(choice)
        if score >= _TOKEN_MATCH and (best < 0 or score > best_score):
            best, best_score = k, score
            if score == 100.0:
                break
    return best


def _f1_partners(said: list[str], template: list[str]) -> int:
    """How many words of `said` could find a partner in `template` in `CarrierIndex._token_f1`
    (the same word, or both long enough and `_TOKEN_MATCH` close): an upper bound of its count
    of matched words, for any part of `said`."""
    count = 0
    for word in said:
        if word in template or (len(word) >= _TOKEN_MATCH_MIN_LEN and any(
                len(other) >= _TOKEN_MATCH_MIN_LEN for other in _close_words(word, template))):
            count += 1
    return count


def _cannot_win(bound: float, floor: float, best: tuple[float, Any, bool] | None) -> bool:
    """A candidate scoring at most `bound` stays under `floor` or does not beat `best`."""
    return bound < floor or (best is not None and bound <= best[0])


def _close_words(word: str, choices: list[str]) -> list[str]:
    """The choices `_TOKEN_MATCH` close to `word` (fuzz.ratio, memoised in `_WORD_RATIOS`)."""
    if _closest_word(word, choices) < 0:
        return []
    ratios = _WORD_RATIOS[word][0]
    return [choice for choice in choices if ratios[choice] >= _TOKEN_MATCH]


def _replaced_span(a: Seq[str], b: Seq[str], slot: int) -> tuple[int, int] | None:
    """(i1, i2) of the "replace" opcode of `difflib.SequenceMatcher(None, a, b, autojunk=False)
    .get_opcodes()` whose b-range holds `slot`, None when the opcode there is no replacement.

    The matcher's own longest-match search, step for step (same tie-breaks; with no junk its
    junk extensions never apply), followed down the one branch that holds `slot`: the gap between
    two matching blocks is the last range that search leaves, so the blocks elsewhere, the
    merging and the other opcodes need not be computed."""
    b2j: dict[str, list[int]] = {}
    for j, item in enumerate(b):
        b2j.setdefault(item, []).append(j)
    nothing: list[int] = []
    alo, ahi, blo, bhi = 0, len(a), 0, len(b)
    while True:
        besti, bestj, bestsize = alo, blo, 0
        j2len: dict[int, int] = {}
        for i in range(alo, ahi):
            j2lenget = j2len.get
            newj2len: dict[int, int] = {}
            for j in b2j.get(a[i], nothing):
                if j < blo:
                    continue
                if j >= bhi:
                    break
                k = newj2len[j] = j2lenget(j - 1, 0) + 1
                if k > bestsize:
                    besti, bestj, bestsize = i - k + 1, j - k + 1, k
            j2len = newj2len
        while besti > alo and bestj > blo and a[besti - 1] == b[bestj - 1]:
            besti, bestj, bestsize = besti - 1, bestj - 1, bestsize + 1
        while besti + bestsize < ahi and bestj + bestsize < bhi and a[besti + bestsize] == b[bestj + bestsize]:
            bestsize += 1
        if not bestsize:
            # No block in the range: one opcode covers it, a replacement when both sides hold words.
            return (alo, ahi) if alo < ahi and blo < bhi else None
        if slot < bestj:
            ahi, bhi = besti, bestj
        elif slot >= bestj + bestsize:
            alo, blo = besti + bestsize, bestj + bestsize
        else:
            return None  # an "equal" opcode
        if alo >= ahi:
            return None  # b's words alone there: an insertion


def _inflected(word: str, forms: frozenset[str]) -> bool:
    """`word` is one of `forms` or another inflection of one ("desactiviez" for "desactivez"):
    they share all but the last three letters of the form, and at least four, and differ in
    length by three letters at most ("autopilot" is no inflection of "auto")."""
    if word in forms:
        return True
    for form in forms:
        size = max(4, len(form) - 3)
        if len(word) >= size and abs(len(word) - len(form)) <= 3 and word[:size] == form[:size]:
            return True
    return False


def _slot_stand_in(said: tuple[str, ...] | list[str], full: list[str], slot: int) -> tuple[int, int] | None:
    """The words of `said` that stand where `full[slot]` (a slot) is, as (start, end), or None
    when nothing stands there. The common case (the words around the slot said as written) is
    read off the shared prefix and suffix; otherwise a word alignment decides."""
    n, m = len(said), len(full)
    p = 0
    while p < min(n, m) and said[p] == full[p]:
        p += 1
    q = 0
    while q < min(n, m) - p and said[n - 1 - q] == full[m - 1 - q]:
        q += 1
    if p == slot and q == m - slot - 1:
        return (p, n - q) if n - q > p else None
    return _replaced_span(said, full, slot)


#: Bump when the carriers a grammar gives change for a reason the cache key cannot see.
_CARRIERS_VERSION = 1
_Built = list[tuple[str, list[str], tuple["CarrierSlot", ...], dict[str, Any], frozenset[str], int]]


def _carriers_cache(comp: CompiledLanguage, per_template: int) -> Path | None:
    """Where the carrier phrases of `comp` are kept between runs: choosing them (expansions of every template,
    at random with a fixed seed) is about half of a parser's build, seconds on every start. The key is made of
    what they come from: the grammar files and the code that reads them. None for a grammar not read from files."""
    files = sorted(Path(p) for p in comp.grammar.sources)
    key = files_digest(f"carriers|{_CARRIERS_VERSION}|{comp.code}|{per_template}", (files, code_files())) \
        if files else None
    return default_cache_dir() / f"nlu-carriers-{comp.code}-{key}.pickle" if key else None


def _load_carriers(path: Path | None) -> tuple[int, _Built] | None:
    """(the number of templates, their carriers) kept at `path`; None when absent or unreadable (then rebuilt)."""
    if path is None or not path.is_file():
        return None
    try:
        with path.open("rb") as f:
            count, built = pickle.load(f)
        note_use(path)
        return int(count), built
    except Exception:  # (a truncated or older file: rebuilt and rewritten)
        return None


def _store_carriers(path: Path, count: int, built: _Built) -> None:
    """Keep the carriers for the next start (a read-only cache: built again next time)."""
    def dump(tmp: str) -> None:
        with open(tmp, "wb") as f:
            pickle.dump((count, built), f, protocol=pickle.HIGHEST_PROTOCOL)

    try:
        write_atomically(path, dump)
    except OSError:
        pass


class CarrierIndex:
    """Carrier phrases of one compiled language, grouped by slot sequence."""

    def __init__(self, comp: CompiledLanguage, per_template: int = MAX_CARRIERS_PER_TEMPLATE) -> None:
        self.comp = comp
        #: Negation words guarding fuzzy acceptance; the parser widens this to every loaded
        #: language, since "don't stop trading" must not become French "stop trading".
        self.negations: frozenset[str] = comp.negations
        #: Prefixes that reverse a word ("un" of "unblock", "de" of "débloque"; grammar data, the
        #: frames' `negating_prefixes`) and the words they are checked against (every loaded
        #: language's): the parser sets both. A candidate sentence never crosses one ("unblock
        #: orders" is not "block orders").
        self.negating_prefixes: tuple[str, ...] = ()
        self.words: frozenset[str] = comp.vocabulary
        self._opposites: dict[str, frozenset[str]] = {}  # word -> its opposites (memo)
        self._placeholders = frozenset(comp.placeholder.values())
        built: _Built = []
        self.templates: list[Template] = []
        self._adjacent: dict[int, tuple[dict[str, set[str]], dict[str, set[str]]]] = {}
        self._rule_adjacency: dict[str, _Adjacency] = {}
        # Function words first (from every word an intent can say), so that carriers can be
        # chosen for the variety of their *content* words.
        intents_of_word: dict[str, set[str]] = {}
        for intent in comp.grammar.intents.values():
            words: set[str] = set()
            for tpl in intent.templates:
                self._all_words(tpl.expr, words)
            for word in words:
                intents_of_word.setdefault(word, set()).add(intent.name)
        threshold = max(COMMON_WORD_INTENTS, round(COMMON_WORD_SHARE * len(comp.grammar.intents)))
        self.common = frozenset(w for w, names in intents_of_word.items()
                                if len(names) >= threshold and w not in self._placeholders)
        self._function_only: dict[int, bool] = {}
        self._full_cache: dict[str, tuple[list[str], list[str]]] = {}
        self._vocab: dict[int, frozenset[str]] = {}
        cache = _carriers_cache(comp, per_template)
        cached = _load_carriers(cache)
        for intent in comp.grammar.intents.values():
            required = frozenset(intent.required)
            for tpl in intent.templates:
                self.templates.append(tpl)
                tpl_id = len(self.templates) - 1
                if cached is not None:
                    continue
                # The plain cores, each core with one optional content word added, content
                # variety at random, then phrasings with their function words.
                # Seeded by the template's own words: a template added or removed elsewhere in the grammar must not
                # change which sentences stand for this one (one shared generator did: every word a grammar
                # gained moved approximate matches of unrelated commands).
                rng = random.Random(zlib.crc32(f"{intent.name}|{tpl.text}".encode()))
                chosen: dict[tuple[Part, ...], None] = dict.fromkeys(
                    core_expansions(tpl.expr, comp.grammar.rules, per_template // 4))
                for parts in self._one_additions(tpl.expr):
                    if len(chosen) >= per_template // 2:
                        break
                    chosen.setdefault(parts, None)
                for _ in range(per_template * 2):
                    if len(chosen) >= per_template * 3 // 4:
                        break
                    chosen.setdefault(self._content_expansion(tpl.expr, rng), None)
                for parts in representative_expansions(tpl.expr, comp.grammar.rules, per_template):
                    if len(chosen) >= per_template:
                        break
                    chosen.setdefault(parts, None)
                carriers = [c for c in (self._carrier_of(parts) for parts in chosen) if c is not None]
                # Shortest first: each content key keeps its first members, and the plainest
                # phrasings are the best references for the whole-carrier similarity.
                carriers.sort(key=lambda c: len(c[0]))
                for tokens, positions in carriers:
                    built.append((intent.name, tokens, positions, tpl.fixed_slots, required, tpl_id))
        if cached is not None and cached[0] == len(self.templates):
            built = cached[1]
        elif cache is not None:
            _store_carriers(cache, len(self.templates), built)
        self._value_words = self._fixed_value_words(comp)
        self._index: dict[tuple[str, ...], _Group] = {}
        self._minus: dict[tuple[str, ...], _Group] = {}
        self.carrier_count = len(built)
        for intent_name, tokens, positions, fixed, required, tpl_id in built:
            full = " ".join(tokens)
            seq = tuple(p.kind for p in positions)
            self._index.setdefault(seq, _Group()).add(
                self.content(tokens), full, CarrierInfo(intent_name, positions, fixed, tpl_id))
            if not required or self.templates[tpl_id].missing:
                continue
            slot_token_idx = [i for i, t in enumerate(tokens) if t in self._placeholders]
            for k, pos in enumerate(positions):
                if pos.slot not in required:
                    continue
                cut = slot_token_idx[k]
                reduced = tokens[:cut] + tokens[cut + 1:]
                offset = sum(len(t) + 1 for t in tokens[:cut])
                rest = positions[:k] + positions[k + 1:]
                self._minus.setdefault(tuple(p.kind for p in rest), _Group()).add(
                    self.content(reduced), " ".join(reduced),
                    CarrierInfo(intent_name, rest, fixed, tpl_id, pos, full, offset))

    # ------------------------------------------------------------------ building
    def _fixed_value_words(self, comp: CompiledLanguage
                           ) -> dict[tuple[str, str], tuple[frozenset[str], frozenset[str]]]:
        """For an intent whose sentences carry different fixed values (autopilot mode propose /
        auto / off), by (intent, repr of the fixed slots): the words that may say which value
        (not said by the sentences of every value: "on", "off", "mode", "proposal") and the
        words only the sentences of this value say ("proposal", "enable", "automatic")."""
        out: dict[tuple[str, str], tuple[frozenset[str], frozenset[str]]] = {}
        for intent in comp.grammar.intents.values():
            by_value: dict[str, set[str]] = {}
            for tpl in intent.templates:
                if tpl.fixed_slots:
                    self._all_words(tpl.expr, by_value.setdefault(repr(sorted(tpl.fixed_slots.items())), set()))
            if len(by_value) < 2:
                continue
            shared = set.intersection(*by_value.values())
            for value, words in by_value.items():
                others = set().union(*(w for v, w in by_value.items() if v != value))
                out[(intent.name, value)] = (frozenset(words - shared - self._placeholders),
                                             frozenset(words - others - self._placeholders))
        return out

    def _value_unsaid(self, info: CarrierInfo, full: str, said: Seq[str]) -> bool:
        """The matched sentence gets its fixed value from words that were not said ("switch the
        autopilot to" is close to "switch the autopilot on", "turn the autopilot" to "turn on
        the autopilot") and no word only that value's sentences say was said: a sentence cut
        before its value never gets one by approximation."""
        if not info.fixed:
            return False
        words = self._value_words.get((info.intent, repr(sorted(info.fixed.items()))))
        if words is None:
            return False
        telling, own = words
        if not any(w in telling and w not in said for w in full.split(" ")):
            return False
        return not any(_inflected(word, own) for word in said)

    def _all_words(self, expr: Expr, out: set[str]) -> None:
        """Every normalised literal word `expr` can say, through its rules."""
        if isinstance(expr, Words):
            out.update(self.comp.literal_tokens(expr.text))
        elif isinstance(expr, RuleRef):
            self._all_words(self.comp.grammar.rules[expr.name], out)
        elif isinstance(expr, Sequence):
            for item in expr.items:
                self._all_words(item, out)
        elif isinstance(expr, Alternative):
            for option in expr.options:
                self._all_words(option, out)

    def _is_function_only(self, expr: Expr) -> bool:
        """No slot and only function words: "[can you|could you]", "(show me|tell me)"."""
        key = id(expr)
        cached = self._function_only.get(key)
        if cached is None:
            if isinstance(expr, Words):
                cached = all(t in self.common for t in self.comp.literal_tokens(expr.text))
            elif isinstance(expr, SlotRef):
                cached = False
            elif isinstance(expr, RuleRef):
                cached = self._is_function_only(self.comp.grammar.rules[expr.name])
            elif isinstance(expr, Sequence):
                cached = all(self._is_function_only(e) for e in expr.items)
            else:
                assert isinstance(expr, Alternative)
                cached = all(self._is_function_only(e) for e in expr.options)
            self._function_only[key] = cached
        return cached

    def _optional_content(self, expr: Expr, out: dict[int, Alternative]) -> None:
        """Optional parts holding content words, in order (through rules)."""
        if isinstance(expr, RuleRef):
            self._optional_content(self.comp.grammar.rules[expr.name], out)
        elif isinstance(expr, Sequence):
            for item in expr.items:
                self._optional_content(item, out)
        elif isinstance(expr, Alternative):
            if expr.optional and not self._is_function_only(expr):
                out.setdefault(id(expr), expr)
            for option in expr.options:
                self._optional_content(option, out)

    def _one_additions(self, expr: Expr) -> list[tuple[Part, ...]]:
        """The template's first core with exactly one optional content choice added
        ("{side} {quantity} contrats {symbol}"): the common short forms a random sample misses."""
        nodes: dict[int, Alternative] = {}
        self._optional_content(expr, nodes)
        out: list[tuple[Part, ...]] = []
        for node in nodes.values():
            for k in range(len(node.options)):
                out.append(self._with_addition(expr, node, k))
        return out

    def _with_addition(self, expr: Expr, node: Alternative, option: int) -> tuple[Part, ...]:
        if isinstance(expr, Words):
            return (expr.text,)
        if isinstance(expr, SlotRef):
            return (expr,)
        if isinstance(expr, RuleRef):
            return self._with_addition(self.comp.grammar.rules[expr.name], node, option)
        if isinstance(expr, Sequence):
            out: tuple[Part, ...] = ()
            for item in expr.items:
                out += self._with_addition(item, node, option)
            return out
        assert isinstance(expr, Alternative)
        if expr is node:
            return self._with_addition(expr.options[option], node, option)
        if expr.optional:
            return ()
        return self._with_addition(expr.options[0], node, option)

    def _content_expansion(self, expr: Expr, rng: random.Random) -> tuple[Part, ...]:
        """One sentence of `expr` chosen for its content words: parts made only of function
        words are left out (or their first choice taken when required), the others vary."""
        if isinstance(expr, Words):
            return (expr.text,)
        if isinstance(expr, SlotRef):
            return (expr,)
        if isinstance(expr, RuleRef):
            return self._content_expansion(self.comp.grammar.rules[expr.name], rng)
        if isinstance(expr, Sequence):
            out: tuple[Part, ...] = ()
            for item in expr.items:
                out += self._content_expansion(item, rng)
            return out
        assert isinstance(expr, Alternative)
        if self._is_function_only(expr):
            return () if expr.optional else self._content_expansion(expr.options[0], rng)
        if expr.optional and rng.random() < 0.7:
            return ()
        return self._content_expansion(expr.options[rng.randrange(len(expr.options))], rng)

    def _carrier_of(self, parts: tuple[Part, ...]) -> tuple[list[str], tuple[CarrierSlot, ...]] | None:
        """Carrier tokens and slot positions of one expanded sentence.

        Literal words are scanned like an utterance would be, so that a value written in the
        template ("placer *un* trade", "am I long or short") becomes a placeholder on both
        sides and the slot sequences still agree.
        """
        comp = self.comp
        tokens: list[str] = []
        positions: list[CarrierSlot] = []
        literal: list[str] = []

        def flush() -> None:
            if not literal:
                return
            for item in comp.scan_items(" ".join(literal) + " "):
                if isinstance(item, str):
                    tokens.append(item)
                else:
                    tokens.append(comp.placeholder[item.kind])
                    positions.append(CarrierSlot(item.kind, None, item.list_name, comp.literal_value(item)))
            literal.clear()

        for part in parts:
            if isinstance(part, str):
                literal.extend(comp.literal_tokens(part))
            else:
                flush()
                kind = comp.kind_of(part.list_name)
                tokens.append(comp.placeholder[kind])
                positions.append(CarrierSlot(kind, comp.grammar.slot_name(part.list_name, part.slot_name),
                                             part.list_name))
        flush()
        if not tokens:
            return None
        return tokens, tuple(positions)

    def skeleton(self, tokens: list[str] | tuple[str, ...]) -> str:
        """Content words and slot placeholders in order (function words dropped)."""
        return " ".join([t for t in tokens if t not in self.common])  # (a list: `join` makes one of a generator)

    def content(self, tokens: list[str] | tuple[str, ...]) -> str:
        """The content words of a carrier, sorted (function words and placeholders removed).

        Sorted because their order says little once the slot order is fixed by the slot
        sequence ("status of the system" ~ "system status").
        """
        return " ".join(sorted([t for t in tokens if t not in self.common and t not in self._placeholders]))

    def _negation_ok(self, spaced: str, carrier_tokens: list[str] | tuple[str, ...]) -> bool:
        """A negation said ("don't stop trading") must be part of the sentence matched."""
        negations = self.negations
        tokens = spaced.split()
        if not negations or negations.isdisjoint(tokens):
            return True  # no negation word said at all
        said = _real_negations(tokens, negations)
        return said <= _real_negations(list(carrier_tokens), negations)

    def group_sizes(self) -> dict[tuple[str, ...], int]:
        return {seq: len(g.keys) for seq, g in self._index.items()}

    # ------------------------------------------------------------------ scoring
    @staticmethod
    def _token_f1(said: list[str], template: list[str]) -> float:
        """F1 of content words: each word must find a distinct partner (exact, or similar
        at `_TOKEN_MATCH` %) on the other side. Unlike a character ratio, an extra or missing
        short word ("temps" said, "p n l" expected) weighs as much as a long one."""
        if not said and not template:
            return 1.0
        if not said or not template:
            return 0.0
        remaining = list(template)
        matched = 0
        for word in said:
            if word in remaining:
                remaining.remove(word)
                matched += 1
                continue
            if len(word) < _TOKEN_MATCH_MIN_LEN:
                continue  # a short word matches exactly or not at all ("old" is not "hold")
            best = _closest_word(word, remaining)
            if best >= 0 and len(remaining[best]) >= _TOKEN_MATCH_MIN_LEN:
                remaining.pop(best)
                matched += 1
        if not matched:
            return 0.0
        precision = matched / len(said)
        recall = matched / len(template)
        return 2 * precision * recall / (precision + recall)

    @staticmethod
    def _all_explained(said: list[str], template: list[str]) -> bool:
        """Every content word said has a distinct partner in the template (exact, or similar
        at `_TOKEN_MATCH` %): fuzzy matching may forgive a misheard word, never skip one."""
        remaining = list(template)
        for word in said:
            if word in remaining:
                remaining.remove(word)
                continue
            best = process.extractOne(word, remaining, scorer=fuzz.ratio, score_cutoff=_TOKEN_MATCH) \
                if len(word) >= _TOKEN_MATCH_MIN_LEN else None
            if best is None or len(best[0]) < _TOKEN_MATCH_MIN_LEN:
                return False
            remaining.pop(best[2])
        return True

    def _common_words_ok(self, tokens: tuple[str, ...], template: int) -> bool:
        """Every long shared word said ("passe", "sortir", "montre") is one the template can
        say, or close to one: only short function words ("le", "de", "the") go unexplained."""
        vocab = self._vocab.get(template)
        if vocab is None:
            words: set[str] = set()
            self._all_words(self.templates[template].expr, words)
            vocab = self._vocab[template] = frozenset(words)
        for word in tokens:
            if len(word) < _COMMON_CHECK_MIN_LEN or word not in self.common or word in vocab:
                continue
            best = process.extractOne(word, vocab, scorer=fuzz.ratio, score_cutoff=_TOKEN_MATCH)
            if best is None:
                return False
        return True

    @staticmethod
    def _ratio(a: str, b: str) -> float:
        if not a and not b:
            return 1.0
        return fuzz.ratio(a, b) / 100.0

    def _search(self, group: _Group | None, full_query: str, content_query: str, cutoff: float,
                limit: int = 8) -> list[tuple[float, CarrierInfo, str]]:
        """Candidates scoring at least `cutoff`, best first: (score, info, full carrier)."""
        if group is None:
            return []
        said = content_query.split()
        if content_query:
            # Keys sharing the most content words with the sentence (a misheard word counts
            # through its close vocabulary words): the word-level F1 is computed next.
            # (The postings of every word, as key ranks, then counted in one C-level pass.)
            postings = group.postings()
            found: list[int] = []
            for word in set(said):
                head = postings.get(word)
                if head is not None:
                    found += head
                if len(word) >= _TOKEN_MATCH_MIN_LEN:
                    for w in group.similar(word):
                        found += postings[w]
            # The keys by (-count, words, index), the first few: counted in ascending rank order
            # (the rank is the (words, index) order), then sorted by count alone, which keeps
            # that order among equal counts (a stable sort, in C throughout).
            counts = Counter(sorted(found))
            order = group.key_ranks()[1]
            best = sorted(counts.items(), key=_COUNT, reverse=True)[:max(limit, _KEYS_EXAMINED)]
            keyed = [order[code] for code, _ in best]
            if "" in group.where:
                keyed.append(group.where[""])
            # Content words first (cheap), then whole carriers for the best few keys only. (A dozen
            # distinct (score, key) pairs: sorted in C, what heapq.nlargest(4, ...) returns.)
            key_tokens = group.key_tokens()
            scored = sorted([(self._token_f1(said, key_tokens[idx]), idx) for idx in keyed], reverse=True)[:4]
        else:
            scored = group.plain_top()
        out: list[tuple[float, CarrierInfo, str]] = []
        for key_score, idx in scored:
            if 0.5 * key_score + 0.5 < cutoff:
                break
            # Two sentences without content words ("what time is it", "what do I have") agree
            # on nothing that names an intent: only the whole wording counts then.
            weight = 0.0 if not said and not group.keys[idx] else 0.5
            fulls = group.fulls[idx]
            # (rapidfuzz skips the carriers that cannot reach the cutoff, with a margin for rounding:
            # the test below decides, on the same scores)
            floor = (cutoff - weight * key_score) / (1.0 - weight) * 100.0 - _CUTOFF_MARGIN
            for full, full_score, j in process.extract(full_query, fulls, scorer=fuzz.ratio, limit=4,
                                                       score_cutoff=max(floor, 0.0)):
                score = weight * key_score + (1.0 - weight) * full_score / 100.0
                if score >= cutoff:
                    out.append((score, group.infos[idx][j], full))
        out.sort(key=lambda item: -item[0])
        return out

    def _has_keyword(self, intent: str, spaced: str) -> bool:
        """One of the intent's keywords was said (a word keyword may carry an inflection of
        up to two letters: "arretes", "arretez" for "arrete"; never a shorter word: "star"
        is not "start")."""
        keywords = self.comp.keywords.get(intent)
        if not keywords:
            return True
        padded = " " + spaced
        words = spaced.split()
        for kw in keywords:
            if f" {kw} " in padded:
                return True
            if " " not in kw and len(kw) >= 4 and any(
                    w.startswith(kw) and len(w) - len(kw) <= 2 for w in words):
                return True
        return False

    def _assign(self, info: CarrierInfo, values: tuple[ScannedValue, ...]
                ) -> tuple[dict[str, Any], dict[str, str], tuple[str, str] | None] | None:
        """Slots by position; None when a value written literally in the template differs."""
        comp = self.comp
        slots: dict[str, Any] = dict(info.fixed)
        slot_text: dict[str, str] = {}
        for cslot, val in zip(info.positions, values):
            if cslot.slot is None:
                if comp.literal_value(val) != cslot.literal_value:
                    return None
                continue
            assert cslot.list_name is not None
            value, error = comp.convert(cslot.list_name, val.text, cslot.slot)
            if error is not None:
                return slots, slot_text, error
            slots[cslot.slot] = value
            slot_text[cslot.slot] = val.text
        return slots, slot_text, None

    # ------------------------------------------------------------------ slot neighbours
    def _symbols(self, text: str) -> list[str]:
        """A literal chunk as carrier symbols: words, and slot kinds for values written in it."""
        tokens = self.comp.literal_tokens(text)
        if not tokens:
            return []
        return [item if isinstance(item, str) else item.kind
                for item in self.comp.scan_items(" ".join(tokens) + " ")]

    def _adjacency(self, expr: Expr) -> "_Adjacency":
        """First/last symbols, nullability and adjacent symbol pairs of an expression."""
        if isinstance(expr, Words):
            symbols = self._symbols(expr.text)
            if not symbols:
                return _Adjacency(frozenset(), frozenset(), True, frozenset())
            return _Adjacency(frozenset({symbols[0]}), frozenset({symbols[-1]}), False,
                              frozenset(zip(symbols, symbols[1:])))
        if isinstance(expr, SlotRef):
            kind = frozenset({self.comp.kind_of(expr.list_name)})
            return _Adjacency(kind, kind, False, frozenset())
        if isinstance(expr, RuleRef):
            cached = self._rule_adjacency.get(expr.name)
            if cached is None:
                cached = self._adjacency(self.comp.grammar.rules[expr.name])
                self._rule_adjacency[expr.name] = cached
            return cached
        if isinstance(expr, Sequence):
            acc = _Adjacency(frozenset(), frozenset(), True, frozenset())
            for item in expr.items:
                nxt = self._adjacency(item)
                pairs = acc.pairs | nxt.pairs | {(a, b) for a in acc.last for b in nxt.first}
                acc = _Adjacency(acc.first | nxt.first if acc.nullable else acc.first,
                                 nxt.last | acc.last if nxt.nullable else nxt.last,
                                 acc.nullable and nxt.nullable, frozenset(pairs))
            return acc
        assert isinstance(expr, Alternative)
        parts = [self._adjacency(o) for o in expr.options]
        return _Adjacency(frozenset().union(*(p.first for p in parts)),
                          frozenset().union(*(p.last for p in parts)),
                          expr.optional or any(p.nullable for p in parts),
                          frozenset().union(*(p.pairs for p in parts)))

    def _neighbours(self, template: int) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """For one template: symbols that may precede / follow each slot kind ("^"/"$" = edge)."""
        cached = self._adjacent.get(template)
        if cached is None:
            adj = self._adjacency(self.templates[template].expr)
            before: dict[str, set[str]] = {}
            after: dict[str, set[str]] = {}
            pairs = set(adj.pairs) | {("^", f) for f in adj.first} | {(last, "$") for last in adj.last}
            for a, b in pairs:
                before.setdefault(b, set()).add(a)
                after.setdefault(a, set()).add(b)
            cached = (before, after)
            self._adjacent[template] = cached
        return cached

    def _unclear_slot(self, scan: Scan, info: CarrierInfo) -> str | None:
        """A slot next to which the utterance has a word its template cannot put there.

        Such a word may be part of the value, misheard ("buy twenty *to* ES" for "twenty-two",
        "*by* two ES"), so the value is not clearly heard. A misspelling of a word the template
        allows there is fine. Returns the slot kind, or None when every neighbour is explained.
        """
        before, after = self._neighbours(info.template)
        tokens = scan.tokens
        kind_of = self.comp.placeholder_kind
        slots = iter(info.positions)
        for k, tok in enumerate(tokens):
            kind = kind_of.get(tok)
            if kind is None:
                continue
            if next(slots).slot is None:
                continue  # a value written in the template itself ("placer *un* trade")
            left = kind_of.get(tokens[k - 1], tokens[k - 1]) if k > 0 else "^"
            right = kind_of.get(tokens[k + 1], tokens[k + 1]) if k + 1 < len(tokens) else "$"
            if not self._explained(left, before.get(kind, set())) \
                    or not self._explained(right, after.get(kind, set())):
                return kind
        return None

    def _explained(self, symbol: str, allowed: set[str]) -> bool:
        if symbol in allowed:
            return True
        if symbol in ("^", "$") or symbol.startswith("#") or symbol in self.comp.text_values:
            return False
        best = process.extractOne(symbol, [a for a in allowed if a not in ("^", "$")],
                                  scorer=fuzz.ratio, score_cutoff=_TOKEN_MATCH)
        return best is not None

    def _reversed_words(self, tokens: Seq[str]) -> frozenset[str]:
        """The opposites of the words said, that were not said themselves: "block" for "unblock",
        "bloque" for "débloque", "unfreeze" for "freeze" (a word and a negating prefix, both
        grammar words). Usually empty: a few set look-ups per word."""
        if not self.negating_prefixes:
            return frozenset()
        memo = self._opposites
        out: set[str] = set()
        for token in tokens:
            found = memo.get(token)
            if found is None:
                if len(memo) > 20_000:
                    memo.clear()  # typed text may hold any word: keep the memo bounded
                found = memo[token] = self._opposites_of(token)
            if found:
                out.update(found)
        return frozenset(out.difference(tokens)) if out else frozenset()

    def _opposites_of(self, token: str) -> frozenset[str]:
        words = self.words
        out: set[str] = set()
        for prefix in self.negating_prefixes:
            if token.startswith(prefix) and len(token) - len(prefix) >= 3 and token[len(prefix):] in words:
                out.add(token[len(prefix):])
            if prefix + token in words:
                out.add(prefix + token)
        return frozenset(out)

    # ------------------------------------------------------------------ matching
    def match(self, spaced: str, accept: float, margin: float, refuse: float) -> FuzzyOutcome:
        """Fuzzy-match token+space text (already normalised, skip words removed)."""
        comp = self.comp
        readings, unknown = comp.corrections(spaced)
        if unknown * 2 > len(spaced.split()):
            # Most words mean nothing in this language's grammar: nothing can come close.
            return FuzzyOutcome("none", 0.0, None, reason="no_match",
                                detail="most words are unknown to the grammar")
        for corrected in readings:
            if not comp.could_match_exactly(corrected.split()):
                continue
            hit = comp.match_exact(corrected)
            if hit is None:
                continue
            original_tokens, corrected_tokens = spaced.split(), corrected.split()
            if not self._reversed_words(original_tokens).isdisjoint(corrected_tokens):
                break  # "unblock" read as "block": never a word turned into its opposite
            score = 0.5 * self._ratio(self.content(original_tokens), self.content(corrected_tokens)) \
                + 0.5 * self._ratio(spaced, corrected)
            if score >= accept and self._has_keyword(hit.intent, spaced) \
                    and self._negation_ok(spaced, corrected_tokens):
                if hit.error is not None:
                    return FuzzyOutcome("refuse", score, hit.intent, hit.slots, hit.slot_text,
                                        hit.error[0], hit.error[1], missing=hit.missing,
                                        typed_only=hit.typed_only, nearest=hit.intent)
                return FuzzyOutcome("accept", score, hit.intent, hit.slots, hit.slot_text,
                                    typed_only=hit.typed_only)
            break  # the most likely reading that parses decides; a weaker one never overrides it

        scan = comp.scan(spaced)
        content = self.content(scan.tokens)
        found = self._search(self._index.get(scan.seq), scan.carrier, content, min(accept, refuse) - 0.15)
        reversed_words = self._reversed_words(scan.tokens)
        if reversed_words:
            found = [item for item in found if reversed_words.isdisjoint(item[2].split(" "))]
        best: dict[str, float] = {}
        for score, info, _ in found:
            if score > best.get(info.intent, -1.0):
                best[info.intent] = score
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        nearest = ranked[0][0] if ranked and ranked[0][1] >= NEAREST_FLOOR else None
        unexplained: FuzzyOutcome | None = None
        if ranked and ranked[0][1] >= accept:
            top_intent, top_score = ranked[0]
            others = ranked[1:]
            if others and others[0][1] > top_score - margin:
                return FuzzyOutcome("refuse", top_score, top_intent, reason="ambiguous_intent",
                                    detail=f"'{top_intent}' and '{others[0][0]}' are equally close",
                                    alternatives=others, nearest=top_intent)
            if not self._has_keyword(top_intent, spaced):
                return FuzzyOutcome("none", top_score, top_intent, reason="no_match",
                                    detail=f"close to '{top_intent}' but none of its keywords was said",
                                    alternatives=others, nearest=top_intent)
            # The first candidate sentence that explains every word next to a slot, keeps any
            # negation and agrees on literal values wins; otherwise the first objection stands.
            objection: FuzzyOutcome | None = None
            said_content = content.split()
            for score, info, full in found:
                if info.intent != top_intent or score < accept:
                    continue
                if self._ratio(scan.carrier, full) < _WORDING_FLOOR:
                    # Content words agree ("day") but the wording is far off ("whats of the day"
                    # against "am i up of the day"): not that command.
                    unexplained = unexplained or FuzzyOutcome(
                        "none", score, top_intent, reason="no_match",
                        detail="the wording is too far from the command", alternatives=others,
                        nearest=top_intent)
                    continue
                if not self._all_explained(said_content, self.content(full.split(" ")).split()):
                    # "fermer toutes les positions, c'est risqué ?": a word the command does
                    # not hold changes what was meant. (Not an objection: the refusal analysis
                    # below may still explain it, e.g. as an unclear slot.)
                    unexplained = unexplained or FuzzyOutcome(
                        "none", score, top_intent, reason="no_match",
                        detail="a word was said that the command does not explain", alternatives=others,
                        nearest=top_intent)
                    continue
                if not self._common_words_ok(scan.tokens, info.template):
                    # "passe en mode réel" is not "on est en mode réel": a verb many intents
                    # share ("passe", "sors") still says what to do; it may only be left out
                    # when the matched sentence could say it.
                    unexplained = unexplained or FuzzyOutcome(
                        "none", score, top_intent, reason="no_match",
                        detail="a word was said that the command does not explain", alternatives=others,
                        nearest=top_intent)
                    continue
                unclear = self._unclear_slot(scan, info)
                if unclear is not None:
                    slot = next((p.slot for p in info.positions if p.kind == unclear and p.slot), unclear)
                    objection = objection or FuzzyOutcome(
                        "refuse", score, top_intent, reason=f"ambiguous_{slot}",
                        detail=f"an unexpected word was heard next to the {slot}", alternatives=others,
                        nearest=top_intent)
                    continue
                if not self._negation_ok(spaced, full.split(" ")):
                    objection = objection or FuzzyOutcome(
                        "none", score, top_intent, reason="no_match",
                        detail="a negation was said that the command does not contain", alternatives=others)
                    continue
                if self._value_unsaid(info, full, scan.tokens):
                    # Refused with its reason, no follow-up: the value is not a slot to ask for.
                    first = next(iter(info.fixed))
                    objection = objection or FuzzyOutcome(
                        "refuse", score, top_intent, reason=f"missing_{first}",
                        detail=f"no {first} was said", alternatives=others, nearest=top_intent)
                    continue
                assigned = self._assign(info, scan.values)
                if assigned is None:
                    continue
                slots, slot_text, error = assigned
                template = self.templates[info.template]
                if error is not None:
                    return FuzzyOutcome("refuse", score, top_intent, slots, slot_text, error[0], error[1], others,
                                        typed_only=template.typed_only, nearest=top_intent)
                if template.missing:
                    # An incomplete command; with a word the grammar does not know in it, the
                    # missing part was perhaps said but not understood ("place a bye order").
                    said_unclearly = bool(comp.unknown_words(spaced))
                    first = template.missing[0]
                    return FuzzyOutcome("refuse", score, top_intent, slots, slot_text,
                                        f"ambiguous_{first}" if said_unclearly else f"missing_{first}",
                                        f"no clear {first} was heard" if said_unclearly else
                                        f"no {' and no '.join(template.missing)} was said", others,
                                        missing=template.missing, nearest=top_intent)
                return FuzzyOutcome("accept", score, top_intent, slots, slot_text, alternatives=others,
                                    typed_only=template.typed_only)
            if objection is not None:
                return objection
        # A refusal names an intent only when the sentence is closer to it than to any complete
        # command: "what positions do I have" is not a set-risk command without a percentage.
        refusal = self._refusal(spaced, scan, refuse, ranked[0][1] if ranked else 0.0)
        if refusal is not None:
            return refusal
        if unexplained is not None:
            return unexplained
        return FuzzyOutcome("none", ranked[0][1] if ranked else 0.0, None, reason="no_match",
                            detail="no intent is close enough", alternatives=ranked[:5], nearest=nearest)

    def _refusal(self, spaced: str, scan: Scan, refuse: float, beaten: float) -> FuzzyOutcome | None:
        """Explain why an utterance that looks like a command cannot be accepted.

        Candidates are scored like acceptances (content words and whole carrier, see `_search`),
        must reach `refuse`, and must score at least `beaten`, the best complete command found
        for the sentence: otherwise the sentence is not *that* command with a slot missing.
        """
        comp = self.comp
        outcomes: list[FuzzyOutcome] = []
        # (most sentences hold each slot kind once: no Counter needed to see it)
        repeated = {k for k, c in Counter(scan.seq).items() if c > 1} \
            if len(set(scan.seq)) < len(scan.seq) else set()
        if repeated:
            # Keep the first value of each repeated kind and drop the others (with the "and"
            # joining them): if *that* sentence is a command, the repeat is the ambiguity.
            kept: list[str] = []
            seen: set[str] = set()
            seq: list[str] = []
            for tok in scan.tokens:
                kind = comp.placeholder_kind.get(tok)
                if kind is None:
                    kept.append(tok)
                    continue
                if kind in seen:
                    if kept and kept[-1] in _CONJUNCTIONS:
                        kept.pop()
                    continue
                seen.add(kind)
                seq.append(kind)
                kept.append(tok)
            found = self._search(self._index.get(tuple(seq)), " ".join(kept), self.content(kept), refuse, limit=4)
            if found and found[0][0] >= beaten:
                score, info, _ = found[0]
                slot = next((p.slot for p in info.positions if p.kind in repeated and p.slot), None)
                if slot is not None:
                    outcomes.append(FuzzyOutcome("refuse", score, info.intent, reason=f"ambiguous_{slot}",
                                                 detail=f"more than one {slot} was heard", nearest=info.intent))
        missing = self._missing_slot(scan, refuse, beaten)
        if missing is not None:
            outcomes.append(missing)
        outcomes = [o for o in outcomes if o.intent is None or self._has_keyword(o.intent, spaced)]
        if not outcomes:
            return None
        return max(outcomes, key=lambda o: o.score)

    def _full_words(self, full: str) -> tuple[list[str], list[str]]:
        """The words of a full carrier, and its content words (neither function words nor
        placeholders), memoised: the carriers are fixed. Read-only for callers."""
        cached = self._full_cache.get(full)
        if cached is None:
            tokens = full.split(" ")
            cached = self._full_cache[full] = (
                tokens, [t for t in tokens if t not in self.common and t not in self._placeholders])
        return cached

    def _template_words(self, group: _Group) -> _TemplateWords:
        """`_TemplateWords` of a `_minus` group (cached on it)."""
        if group._template_words is None:
            group._template_words = _TemplateWords(
                [self._full_words(info.full)[1] for info in group.flat()[1] if info.missing is not None])
        return group._template_words

    @staticmethod
    def _missing_bound(said: list[str], template: list[str], carrier: str, full: str, full_ratio: float,
                       slot_size: int, ratio: float) -> float:
        """An upper bound of the score `_missing_slot` gives a candidate (`full` with its slot
        `slot_size` characters long, `ratio` its wording so far), before the words standing in the
        slot are aligned: a candidate under it cannot win and is not aligned.

        * Content words: `_token_f1` matches m words of a part of `said`, m at most the words
          that have a partner in `template` and at most len(template): F1 = 2m / (len(said part)
          + len(template)) <= 2m / (m + len(template)) (1 without template words: no F1 then).
        * Wording: the stand-in sentence is the carrier with a run of its characters replaced by
          the slot's word, so what it shares with `full` (their longest common subsequence, which
          fuzz.ratio is 2 * LCS / (sum of lengths) of) is at most LCS(carrier, full) + slot_size of
          at most as many characters plus slot_size: at most 2 (L + p) / (L + p + len(full)).
        (A margin for float rounding: only a clear loser is left out.)"""
        if template:
            matched = min(_f1_partners(said, template), len(template))
            f1 = 2.0 * matched / (matched + len(template))
        else:
            f1 = 1.0
        shared = full_ratio * (len(carrier) + len(full)) / 2.0 + slot_size
        wording = max(ratio, min(1.0, 2.0 * shared / (shared + len(full))))
        return 0.5 * f1 + 0.5 * wording + 1e-6

    def _missing_slot(self, scan: Scan, refuse: float, beaten: float) -> FuzzyOutcome | None:
        """A command with one required slot not said ("buy ES": no quantity) or replaced by
        something unclear ("by two ES": no clear side), with the slots it does hold."""
        said = scan.tokens
        group = self._minus.get(scan.seq)
        if group is not None and refuse > 0.5 and not self._template_words(group).may_share(
                [t for t in said if t not in self.common and t not in self._placeholders]):
            return None  # no candidate's content words can be said: none reaches `refuse` (`_TemplateWords`)
        candidates: list[tuple[float, CarrierInfo]] = []
        if group is not None:
            # Candidates by skeleton (content words and slots in order): "je voudrais achter
            # deux contrats ES" is "{side} {quantity} contrats {symbol}" whatever the lead-in.
            # A word the grammar does not know is likely the unclear value itself: the sentence
            # is also looked up without it.
            where = group.skeletons(self)[1]
            seen: set[int] = set()
            unknown = set(self.comp.unknown_words(" ".join(said))) - self._placeholders
            queries = {self.skeleton(said), self.skeleton([t for t in said if t not in unknown])}
            fulls, infos = group.flat()
            for query in queries:
                for k in group.close_skeletons(self, query, (refuse - 0.1) * 100.0, _KEYS_EXAMINED):
                    idx = where[k]
                    if idx not in seen:
                        seen.add(idx)
                        candidates.append((self._ratio(scan.carrier, fulls[idx]), infos[idx]))
        best: tuple[float, CarrierInfo, bool] | None = None
        floor = max(refuse, beaten)
        said_content = [t for t in said if t not in self.common and t not in self._placeholders]
        for reduced_ratio, info in candidates:
            assert info.missing is not None
            full_ratio = self._ratio(scan.carrier, info.full)
            ratio = max(reduced_ratio, full_ratio)
            if 0.5 + 0.5 * ratio < floor or (best is not None and 0.5 + 0.5 * ratio <= best[0]):
                continue  # cannot win, whatever the content words (not `_cannot_win`: the tests switch that off alone)
            full_tokens, template_words = self._full_words(info.full)
            slot_index = info.full.count(" ", 0, info.missing_at)
            if _cannot_win(self._missing_bound(said_content, template_words, scan.carrier, info.full, full_ratio,
                                               len(full_tokens[slot_index]), ratio), floor, best):
                continue  # (no alignment needed: see `_missing_bound`)
            # Was something else heard where the slot belongs, or nothing at all? Aligned word
            # by word: the words said in the slot's place are the unclear value.
            replaced = _slot_stand_in(said, full_tokens, slot_index)
            words = list(said)
            if replaced is not None:
                words = words[:replaced[0]] + words[replaced[1]:]
                # The wording with the unclear words in the slot's place ("bye two MNQ" ->
                # "{side} two MNQ"): that is what the sentence is, if it is this command.
                stand_in = list(said[:replaced[0]]) + [full_tokens[slot_index]] + list(said[replaced[1]:])
                ratio = max(ratio, self._ratio(" ".join(stand_in), info.full))
            # A short carrier loses much similarity for one missing slot, so it is compared
            # with the full carrier (slot in place) too (above). Content words must match.
            said_words = [w for w in words if w not in self.common and w not in self._placeholders]
            if not said_words and not template_words:
                score = ratio  # no content word on either side: only the wording counts ("am I long ES")
            else:
                score = 0.5 * self._token_f1(said_words, template_words) + 0.5 * ratio
            if score >= refuse and score >= beaten and (best is None or score > best[0]):
                best = (score, info, replaced is not None)
        if best is None:
            return None
        score, info, stood_in = best
        assert info.missing is not None and info.missing.slot is not None
        slot = info.missing.slot
        assigned = self._assign(info, scan.values)
        slots, slot_text = ({}, {}) if assigned is None else (assigned[0], assigned[1])
        if assigned is not None and assigned[2] is not None:
            error = assigned[2]
            return FuzzyOutcome("refuse", score, info.intent, slots, slot_text, error[0], error[1],
                                nearest=info.intent)
        if info.fixed and not set(full_tokens).difference(self._placeholders).issubset(said):
            # A value the sentence's own words give ("buy *a single* ES": one) only when they were
            # said: "buy at market" is close to "buy a single … at market", but says no quantity.
            slots = {k: v for k, v in slots.items() if k in slot_text}
        # A word the grammar does not know was said: something unclear stood for the slot.
        unclear = stood_in or bool(self.comp.unknown_words(" ".join(t for t in scan.tokens
                                                                  if t not in self._placeholders)))
        reason = f"ambiguous_{slot}" if unclear else f"missing_{slot}"
        detail = f"no clear {slot} was heard" if unclear else f"no {slot} was said"
        return FuzzyOutcome("refuse", score, info.intent, slots, slot_text, reason, detail,
                            missing=(slot,), nearest=info.intent)
