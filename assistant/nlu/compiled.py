"""One language of a grammar compiled for exact matching and slot scanning.

* **Exact matcher** — every template becomes one branch of a regular expression in *token +
  space* form ("buy 2 es "); slots become capturing groups (text lists as alternations of their
  normalised spoken forms, numbers as a run of number words that is then checked strictly).
  Each branch is wrapped in its own group, which closes last, so `Match.lastindex` names the
  template that matched: one C-level regex call and a dict lookup. Templates are dispatched on
  the utterance's first word so that only branches that can start with it are tried.
* **Slot scanner** — finds slot values anywhere in an utterance (longest spoken form first,
  then percent phrases, then number phrases) and replaces each by a one-character
  placeholder; what remains is the *carrier phrase* used by `assistant.nlu.fuzzy`.
* **Carrier-word correction** — replaces words the grammar does not know by the closest
  template word, never by (or from) a word that can belong to a slot value or a number.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from assistant.grammar.expand import possible_slot_refs
from assistant.grammar.model import LanguageGrammar, RangeList, Template, TextList
from assistant.grammar.template import Alternative, Expr, RuleRef, Sequence, SlotRef, Words
from assistant.nlu.frozen_init import fast_frozen_init
from assistant.nlu.normalize import PERCENT_WORD, normalize
from assistant.nlu.numbers import NumberLanguage, number_language
from assistant.nlu.spoken import spoken_words
from assistant.nlu.trader_price import PriceReader

__all__ = ["CompiledLanguage", "ExactHit", "Scan", "ScannedValue", "NUMBER_KIND", "PERCENT_KIND"]

NUMBER_KIND = "#number"
PERCENT_KIND = "#percent"
#: What may follow the percent word: "un pour cent et demi", "one percent and a half".
_PERCENT_HALF_TOKENS: tuple[tuple[str, ...], ...] = (("et", "demi"), ("et", "demie"), ("and", "a", "half"))
_PERCENT_HALF = "|".join(" ".join(t) + " " for t in _PERCENT_HALF_TOKENS)
#: Words a number or percentage slot can hold besides number words and digits (see
#: `NumberLanguage.loose_pattern` and `_build_lists`).
_RANGE_EXTRA_WORDS = frozenset({PERCENT_WORD, "de", "a", "of"} | {w for t in _PERCENT_HALF_TOKENS for w in t})
#: A word said twice in a row, in token+space text ("ferme ferme tout ").
_REPEATED_WORD = re.compile(r"(?:^| )([^ ]+) \1 ")
#: Minimum similarity (0-100) for correcting an unknown word to a template word…
_CORRECTION_CUTOFF = 75.0
#: …or to one of about the same length that starts with the same three letters
#: ("region" -> "regime"; never "faudrait" -> "faut").
_CORRECTION_NEAR_CUTOFF = 65.0
#: A word of at most this many letters is corrected only by one edit (a letter added, dropped, changed or two
#: swapped): the ratio allows two in a word of four ("reet" is 80 % "repeat"), a different word rather than a typo.
_SHORT_WORD = 4
_PLACEHOLDER_BASE = 0xE000


@dataclass(frozen=True, slots=True)
class SlotSpec:
    slot: str
    list_name: str


@dataclass(frozen=True, slots=True)
class ExactTemplate:
    intent: str
    slot_groups: tuple[tuple[int, SlotSpec], ...]
    fixed: dict[str, Any]
    template: Template


@fast_frozen_init  # built for every exact match
@dataclass(frozen=True, slots=True)
class ExactHit:
    intent: str
    slots: dict[str, Any]
    slot_text: dict[str, str]
    error: tuple[str, str] | None = None
    """(reason, detail) when the sentence matched but a slot value is unusable."""
    missing: tuple[str, ...] = ()
    """Slots the matched sentence lacks: an incomplete command (see `Template.missing`)."""
    typed_only: bool = False


_Bucket = tuple[int, Callable[[str], "re.Match[str] | None"], dict[int, tuple[ExactTemplate, int, int, bool]],
                frozenset[str]]
"""A dispatch bucket: its number (a bucket filed under several words of a sentence is tried once),
the `fullmatch` of one alternation of templates, per wrapper group (template, wrapper group,
position in the grammar's order, whether it is a complete command: neither incomplete nor typed
only), and every word its templates can say (digits aside): a sentence holding any other word
cannot match, and the regex need not run."""


@dataclass(frozen=True, slots=True)
class ScannedValue:
    kind: str
    text: str
    list_name: str | None


@dataclass(frozen=True, slots=True)
class Scan:
    carrier: str
    seq: tuple[str, ...]
    values: tuple[ScannedValue, ...]
    tokens: tuple[str, ...]
    """Carrier tokens: words, with each slot value replaced by its placeholder character."""


#: Prefixes that reverse or redo a verb (normalised, accents dropped): "desactive" is not
#: "reactive", "unpause" is not "pause", "disable" is not "enable".
_REVERSING_PREFIXES = frozenset({"de", "des", "dis", "un", "in", "im", "non", "re", "res", "ir"})


def flips_prefix(word: str, other: str) -> bool:
    """True when `word` and `other` share their ending and differ only by a short prefix, one
    of which reverses or redoes the meaning: a correction there would change what was said."""
    n = 0
    limit = min(len(word), len(other))
    while n < limit and word[-1 - n] == other[-1 - n]:
        n += 1
    if n < 4:
        return False
    if len(word) - n > 3 or len(other) - n > 3:
        return False
    for prefix in _REVERSING_PREFIXES:
        if word.startswith(prefix) != other.startswith(prefix):
            return True
    return False


def _token_alt(forms: list[str]) -> str:
    """Alternation of token+space forms, longest first (regex alternation is leftmost-first)."""
    ordered = sorted(set(forms), key=lambda f: (-len(f.split()), -len(f), f))
    return "(?:" + "|".join(re.escape(f) + " " for f in ordered) + ")"


class CompiledLanguage:
    """Matcher, scanner and carrier index for one language of a grammar."""

    def __init__(self, grammar: LanguageGrammar) -> None:
        self.grammar = grammar
        self.code = grammar.language
        self.numbers: NumberLanguage = number_language(grammar.language)
        self.warnings: list[str] = []
        self._literal_cache: dict[str, list[str]] = {}
        self._near_cache: dict[str, list[str]] = {}
        self._spoken_cache: dict[str, list[str] | None] = {}
        self._inflection_cache: dict[str, list[str]] = {}
        self._convert_cache: dict[tuple[str, str, str], tuple[Any, tuple[str, str] | None]] = {}
        #: Prices said in a trader's shape ("sixty seventy"), set by the parser (assistant/nlu/trader_price.py).
        self.price_reader: PriceReader | None = None
        self._last_scan: tuple[str, tuple[str | ScannedValue, ...]] | None = None
        self._last_strip: tuple[str, str] | None = None
        self._build_skip()
        self._build_lists()
        self._build_exact()
        self._build_scanner()
        self._build_correction()
        #: Every word the grammar of this language can contain (templates, lists, numbers).
        self.vocabulary = self._known_words
        self.keywords = {name: tuple(normalize(k) for k in intent.keywords if normalize(k))
                         for name, intent in grammar.intents.items()}
        self.negations = frozenset(t for w in grammar.negations for t in normalize(w).split())
        #: Intents guarded by keywords and without slots ("yes", "no", "stop", "resume"): two
        #: of them in one sentence contradict each other ("yes no").
        self.answer_like = frozenset(
            name for name, intent in grammar.intents.items()
            if intent.keywords and not any(tpl.fixed_slots or possible_slot_refs(tpl.expr, grammar.rules)
                                           for tpl in intent.templates))

    # ------------------------------------------------------------------ normalisation
    def _build_skip(self) -> None:
        phrases = [normalize(w) for w in self.grammar.skip_words]
        phrases = [p for p in phrases if p]
        self._skip_re = re.compile(r"(?<![^ ])" + _token_alt(phrases)) if phrases else None
        #: A skip phrase starts at a word's start and its first word is a whole word of the text.
        self._skip_firsts = frozenset(p.split()[0] for p in phrases)
        leads = [normalize(w) for w in self.grammar.lead_words]
        leads = [p for p in leads if p]
        self._lead_re = re.compile("(?:" + _token_alt(leads) + ")+") if leads else None
        self._lead_words = frozenset(t for lead in leads for t in lead.split())

    @property
    def slot_words(self) -> frozenset[str]:
        """Words of slot values (sides, markets, numbers) as the templates' lists spell them."""
        return self._slot_words

    def lead(self, spaced: str) -> str:
        """The leading discourse words of a sentence ("ok ", "alors "), "" when none (or when
        the sentence is nothing else)."""
        if self._lead_re is not None:
            m = self._lead_re.match(spaced)
            if m is not None and m.end() < len(spaced):
                return spaced[:m.end()]
        return ""

    def variant(self, spaced: str) -> str:
        """The sentence without leading discourse words ("ok", "alors") and with stutters
        collapsed ("ferme ferme tout" -> "ferme tout"), for a second attempt when the sentence
        as said matches nothing. A repeated slot word ("deux deux") is never collapsed: it may
        be a misheard number. Returns `spaced` itself when nothing changes."""
        out = spaced[len(self.lead(spaced)):]
        if _REPEATED_WORD.search(out) is None:
            return out if out != spaced else spaced  # no word said twice in a row: no stutter
        tokens = out.split()
        if len(tokens) > 1:
            kept = [tokens[0]]
            slot_words = self._slot_words
            for tok in tokens[1:]:
                if tok == kept[-1] and tok not in slot_words and not tok[0].isdigit():
                    continue
                kept.append(tok)
            if len(kept) != len(tokens):
                out = " ".join(kept) + " "
        return out if out != spaced else spaced

    def variant_may_match(self, tokens: list[str]) -> bool:
        """False when `variant` of the sentence of these words cannot match exactly: it holds a
        word foreign to every template that is no lead word. (`variant` drops lead words only,
        and keeps one of each stutter, so that word stays, and `could_match_exactly` says no.)"""
        known = self._known_words
        leads = self._lead_words
        for tok in tokens:
            if tok not in known and not tok[0].isdigit() and tok not in leads:
                return False
        return True

    def strip_skip(self, spaced: str) -> str:
        """Remove skip words from token+space text ("please buy 2 es " -> "buy 2 es "). The last text's
        result is kept: a refused sentence is stripped again by most later stages (a pure function of the
        fixed skip list; one entry, replaced as a whole)."""
        last = self._last_strip
        if last is not None and last[0] == spaced:
            return last[1]
        if self._skip_re is None or self._skip_firsts.isdisjoint(spaced.split()):
            out = spaced  # no word that begins a skip phrase: nothing to remove
        else:
            out = self._skip_re.sub("", spaced)
        self._last_strip = (spaced, out)
        return out

    def literal_tokens(self, text: str) -> list[str]:
        """Normalised words of a literal template chunk, skip words removed (cached)."""
        cached = self._literal_cache.get(text)
        if cached is None:
            norm = normalize(text)
            cached = self.strip_skip(norm + " ").split() if norm else []
            self._literal_cache[text] = cached
        return cached

    def spoken_tokens(self, text: str) -> list[str] | None:
        """The words a recogniser compiled from the grammar returns for a literal chunk, when
        they differ from the written ones ("QR-DQN" -> "q r d q n", "95th" -> "ninety fifth"),
        else None. The parser accepts both."""
        cached = self._spoken_cache.get(text, False)
        if cached is False:
            spoken = normalize(" ".join(spoken_words(text, self.code)))
            tokens = self.strip_skip(spoken + " ").split() if spoken else []
            cached = tokens if tokens and tokens != self.literal_tokens(text) else None
            self._spoken_cache[text] = cached
        return cached  # type: ignore[return-value]

    # ------------------------------------------------------------------ slot lists
    def _spoken_variants(self, form: str) -> set[str]:
        """A list form as written, and as recognisers are told to hear it ("S&P 500" is also
        "s and p five hundred" / "s et p cinq cents", "SPX" is also "s p x"), so that whatever
        a recogniser compiled from the same grammar returns is understood."""
        variants = {normalize(form), normalize(" ".join(spoken_words(form, self.code)))}
        return {v for v in variants if v}

    def _build_lists(self) -> None:
        self.text_values: dict[str, dict[str, Any]] = {}
        self.range_lists: dict[str, RangeList] = {}
        self.list_patterns: dict[str, str] = {}
        number_pattern = self.numbers.loose_pattern
        self._number_re = re.compile(r"(?<![^ ])" + self.numbers.pattern)
        for name, lst in self.grammar.lists.items():
            if isinstance(lst, TextList):
                mapping: dict[str, Any] = {}
                for val in lst.values:
                    for form in val.forms:
                        for variant in self._spoken_variants(form):
                            mapping.setdefault(variant, val.value)
                self.text_values[name] = mapping
                self.list_patterns[name] = _token_alt(list(mapping))
            else:
                self.range_lists[name] = lst
                if lst.kind == "percent":
                    # "un quart de pour cent", "un pour cent et demi", "one percent and a half"
                    self.list_patterns[name] = (f"(?:{number_pattern})(?:(?<=quart )de |(?<=quarts )de )?"
                                                f"{PERCENT_WORD} (?:{_PERCENT_HALF})?")
                else:
                    self.list_patterns[name] = f"(?:{number_pattern})"

    def kind_of(self, list_name: str) -> str:
        rng = self.range_lists.get(list_name)
        if rng is None:
            return list_name
        return PERCENT_KIND if rng.kind == "percent" else NUMBER_KIND

    def convert(self, list_name: str, text: str, slot: str) -> tuple[Any, tuple[str, str] | None]:
        """Typed value of `text` for `list_name`, or (None, (reason, detail)). Memoised: a pure
        function of the fixed lists, and the same values ("two", "es", "5012.25") recur."""
        key = (list_name, text, slot)
        cached = self._convert_cache.get(key)
        if cached is None:
            if len(self._convert_cache) > 20_000:
                self._convert_cache.clear()  # typed text may hold any value: keep the memo bounded
            cached = self._convert_cache[key] = self._convert(list_name, text, slot)
        return cached

    def _convert(self, list_name: str, text: str, slot: str) -> tuple[Any, tuple[str, str] | None]:
        mapping = self.text_values.get(list_name)
        if mapping is not None:
            if text in mapping:
                return mapping[text], None
            return None, (f"invalid_{slot}", f"'{text}' is not a known {list_name}")
        rng = self.range_lists.get(list_name)
        if rng is None:
            # (a slash command's argument in a grammar that has no such list: "/buy 2 MNQ" with a coffee grammar)
            return None, (f"invalid_{slot}", f"this grammar has no list {list_name!r}")
        tokens = text.split()
        half = 0.0
        if rng.kind == "percent":
            for tail in _PERCENT_HALF_TOKENS:
                if tuple(tokens[-len(tail):]) == tail and len(tokens) > len(tail):
                    tokens, half = tokens[:-len(tail)], 0.5
                    break
            if not tokens or tokens[-1] != PERCENT_WORD:
                return None, (f"invalid_{slot}", f"'{text}' is not a percentage")
            tokens = tokens[:-1]
            if len(tokens) > 1 and tokens[-1] == "de" and tokens[-2] in ("quart", "quarts"):
                tokens = tokens[:-1]
        joined = " ".join(tokens)
        if joined.isdecimal():
            value: int | float | None = int(joined)  # plain digits: what `parse` makes of them, without its regex
        else:
            value = self.numbers.parse(joined) if tokens else None
        if value is not None and half:
            if isinstance(value, float) and not value.is_integer():
                return None, (f"invalid_{slot}", f"'{text}' is not one percentage")
            value = value + half
        if value is None:
            phrases = self._number_re.findall(" ".join(tokens) + " ")
            if len(phrases) > 1 and slot == "price" and self.price_reader is not None \
                    and (spoken := self.price_reader.read(tokens, self.numbers.parse)) is not None:
                return spoken, None  # "sixty seventy": one price (its market checked by the parser)
            if len(phrases) > 1:
                return None, (f"ambiguous_{slot}", f"several numbers heard for {slot}: '{text}'")
            return None, (f"invalid_{slot}", f"'{text}' is not a number")
        if rng.kind == "integer":
            if isinstance(value, float) and not value.is_integer():
                return None, (f"invalid_{slot}", f"{slot} must be a whole number, heard {value:g}")
            value = int(value)
        else:
            value = float(value)
        if not rng.minimum <= value <= rng.maximum:
            return None, (f"invalid_{slot}",
                          f"{slot} {value:g} is outside {rng.minimum:g}..{rng.maximum:g}")
        return value, None

    # ------------------------------------------------------------------ exact matcher
    def _regex(self, expr: Expr, groups: list[SlotSpec]) -> str:
        if isinstance(expr, Words):
            written = "".join(re.escape(t) + " " for t in self.literal_tokens(expr.text))
            spoken = self.spoken_tokens(expr.text)
            if spoken is None:
                return written
            return "(?:" + written + "|" + "".join(re.escape(t) + " " for t in spoken) + ")"
        if isinstance(expr, SlotRef):
            groups.append(SlotSpec(self.grammar.slot_name(expr.list_name, expr.slot_name), expr.list_name))
            return "(" + self.list_patterns[expr.list_name] + ")"
        if isinstance(expr, RuleRef):
            return self._regex(self.grammar.rules[expr.name], groups)
        if isinstance(expr, Sequence):
            return "".join(self._regex(e, groups) for e in expr.items)
        assert isinstance(expr, Alternative)
        body = "|".join(self._regex(e, groups) for e in expr.options)
        return "(?:" + body + ")" + ("?" if expr.optional else "")

    def _regex_words(self, expr: Expr, out: set[str]) -> None:
        """Every word `_regex(expr)` can match, digits aside (it must follow `_regex` exactly:
        `match_exact` skips the templates of a bucket when a word of the sentence is not here)."""
        if isinstance(expr, Words):
            out.update(self.literal_tokens(expr.text))
            out.update(self.spoken_tokens(expr.text) or ())
        elif isinstance(expr, SlotRef):
            mapping = self.text_values.get(expr.list_name)
            if mapping is None:
                out.update(self.numbers.words)
                out.update(_RANGE_EXTRA_WORDS)
            else:
                for form in mapping:
                    out.update(form.split())
        elif isinstance(expr, RuleRef):
            self._regex_words(self.grammar.rules[expr.name], out)
        elif isinstance(expr, Sequence):
            for item in expr.items:
                self._regex_words(item, out)
        else:
            assert isinstance(expr, Alternative)
            for option in expr.options:
                self._regex_words(option, out)

    def _core_words(self, expr: Expr) -> set[str] | None:
        """First words of the first part that every sentence of `expr` says (None when `expr`
        can be empty). Every sentence of the template holds one of these words somewhere, so
        the template only needs trying for utterances that hold one: optional lead-ins ("can
        you", "montre-moi") do not decide where a template is filed. "#num" stands for any
        number word."""
        if isinstance(expr, Words):
            toks = self.literal_tokens(expr.text)
            spoken = self.spoken_tokens(expr.text)
            return ({toks[0]} | ({spoken[0]} if spoken else set())) if toks else None
        if isinstance(expr, SlotRef):
            if expr.list_name in self.range_lists:
                return {"#num"}
            return {form.split()[0] for form in self.text_values[expr.list_name]}
        if isinstance(expr, RuleRef):
            return self._core_words(self.grammar.rules[expr.name])
        if isinstance(expr, Sequence):
            for item in expr.items:
                core = self._core_words(item)
                if core is not None:
                    return core
            return None
        assert isinstance(expr, Alternative)
        if expr.optional:
            return None
        out: set[str] = set()
        for option in expr.options:
            core = self._core_words(option)
            if core is None:
                return None
            out |= core
        return out

    def _build_exact(self) -> None:
        branches: list[tuple[str, ExactTemplate, set[str], set[str]]] = []
        # Complete sentences first: when two templates match, the earlier one wins, and a
        # sentence that is a complete command must never be read as an incomplete one.
        ordered = sorted(((intent, tpl) for intent in self.grammar.intents.values() for tpl in intent.templates),
                         key=lambda it: (bool(it[1].missing), it[1].typed_only))
        for intent, tpl in ordered:
            groups: list[SlotSpec] = []
            body = self._regex(tpl.expr, groups)
            core = self._core_words(tpl.expr)
            meta = ExactTemplate(intent.name, tuple(enumerate(groups)), tpl.fixed_slots, tpl)
            words: set[str] = set()
            self._regex_words(tpl.expr, words)
            branches.append((body, meta, core if core is not None else {""}, words))
        self._branches = branches
        # Dispatch: templates filed under the same words form one group, compiled once as one
        # alternation; a word of the utterance -> the groups filed under it. Number phrases can
        # start with many words, so templates filed under a number go under every number word
        # and digits. Templates that can be empty are filed under "" (tried for every sentence).
        number_starts = {w for w in self.numbers.words} | {"#digit"}
        filed: dict[frozenset[str], list[int]] = {}
        for idx, (_, _, firsts, _) in enumerate(branches):
            keys = set(firsts)
            if "#num" in keys:
                keys.discard("#num")
                keys |= number_starts
            filed.setdefault(frozenset(keys), []).append(idx)
        by_word: dict[str, list[_Bucket]] = {}
        for number, (filed_under, members) in enumerate(filed.items()):
            bucket = self._compile_branches(members, number)
            for key in filed_under:
                by_word.setdefault(key, []).append(bucket)
        self._dispatch: dict[str, tuple[_Bucket, ...]] = {k: tuple(v) for k, v in by_word.items()}
        self._empty_buckets = self._dispatch.get("", ())
        # Per word, the templates that can say it (bit i: branch i), and per bucket its templates: a
        # sentence's words (digits aside) leave as candidates only the templates that can say every
        # one of them, and a bucket holding none of those cannot match, so its regex need not run.
        # (Finer than a bucket's whole vocabulary; the same guarantee: `_regex_words` follows `_regex`.)
        says: dict[str, int] = {}
        for idx, (_, _, _, words) in enumerate(branches):
            for word in words:
                says[word] = says.get(word, 0) | 1 << idx
        self._templates_saying = says
        self._bucket_templates = {number: sum(1 << idx for _, _, idx, _ in table.values())
                                  for buckets in self._dispatch.values() for number, _, table, _ in buckets}

    def _compile_branches(self, members: list[int], number: int) -> "_Bucket":
        parts: list[str] = []
        table: dict[int, tuple[ExactTemplate, int, int, bool]] = {}
        vocabulary: set[str] = set()
        group = 0
        for idx in members:
            body, meta, _, words = self._branches[idx]
            vocabulary |= words
            group += 1
            wrapper = group
            parts.append("(" + body + ")")
            table[wrapper] = (meta, wrapper, idx, not meta.template.missing and not meta.template.typed_only)
            group += len(meta.slot_groups)
        return number, re.compile("|".join(parts)).fullmatch, table, frozenset(vocabulary)

    def match_exact(self, spaced: str) -> ExactHit | None:
        """Exact grammar match of token+space text, or None.

        Every group of templates filed under a word of the utterance is tried; when two
        templates match, the one earlier in the grammar's order wins (complete commands first).
        Only groups holding a template that can say every word of the utterance run their regex."""
        if not spaced:
            return None
        says = self._templates_saying
        candidates = -1  # every template
        tokens = spaced.split()
        for tok in tokens:
            if not tok[0].isdigit():
                candidates &= says.get(tok, 0)
                if not candidates:
                    return None  # a word no template can say
        dispatch = self._dispatch
        holds = self._bucket_templates
        tried: set[int] = set()
        best: tuple[int, re.Match[str], ExactTemplate, int] | None = None
        for tok in tokens:
            for number, fullmatch, table, _ in dispatch.get("#digit" if tok[0].isdigit() else tok, ()):
                if number in tried:
                    continue
                tried.add(number)
                if not holds[number] & candidates:
                    continue  # no template of this group can say every word: no regex needed
                m = fullmatch(spaced)
                if m is None:
                    continue
                meta, wrapper, order, complete = table[m.lastindex]  # type: ignore[index]
                if complete:
                    # A complete command: it outranks any incomplete or typed-only reading.
                    return self._hit(meta, wrapper, m)
                if best is None or order < best[0]:
                    best = (order, m, meta, wrapper)
        for number, fullmatch, table, _ in self._empty_buckets:
            if not holds[number] & candidates:
                continue
            m = fullmatch(spaced)
            if m is not None:
                meta, wrapper, order, _ = table[m.lastindex]  # type: ignore[index]
                if best is None or order < best[0]:
                    best = (order, m, meta, wrapper)
        if best is None:
            return None
        return self._hit(best[2], best[3], best[1])

    def _hit(self, meta: ExactTemplate, wrapper: int, m: re.Match[str]) -> ExactHit:
        """Typed slots of a template match (or why a value is unusable)."""
        slots: dict[str, Any] = dict(meta.fixed)
        slot_text: dict[str, str] = {}
        tpl = meta.template
        for offset, spec in meta.slot_groups:
            raw = m.group(wrapper + 1 + offset)
            if raw is None:
                continue
            text = raw[:-1]
            if spec.slot in slot_text and slot_text[spec.slot] != text:
                return ExactHit(meta.intent, slots, slot_text,
                                (f"ambiguous_{spec.slot}", f"two values for {spec.slot}: "
                                 f"'{slot_text[spec.slot]}' and '{text}'"), tpl.missing, tpl.typed_only)
            value, error = self.convert(spec.list_name, text, spec.slot)
            if error is not None:
                return ExactHit(meta.intent, slots, slot_text, error, tpl.missing, tpl.typed_only)
            slots[spec.slot] = value
            slot_text[spec.slot] = text
        if tpl.missing:
            return ExactHit(meta.intent, slots, slot_text,
                            (f"missing_{tpl.missing[0]}", f"no {' and no '.join(tpl.missing)} was said"),
                            tpl.missing, tpl.typed_only)
        return ExactHit(meta.intent, slots, slot_text, None, (), tpl.typed_only)

    # ------------------------------------------------------------------ scanner
    def _build_scanner(self) -> None:
        self.form_list: dict[str, str] = {}
        for name, mapping in self.text_values.items():
            for form in mapping:
                if form in self.form_list and self.form_list[form] != name:
                    self.warnings.append(f"[{self.code}] '{form}' is in lists '{self.form_list[form]}' "
                                         f"and '{name}'; the fuzzy matcher reads it as '{self.form_list[form]}'")
                    continue
                self.form_list[form] = name
        alternatives = []
        if self.form_list:
            alternatives.append("(?P<t>" + _token_alt(list(self.form_list)) + ")")
        alternatives.append(f"(?P<p>(?:{self.numbers.pattern}){PERCENT_WORD} )")
        alternatives.append(f"(?P<n>{self.numbers.pattern})")
        self._scan_re = re.compile(r"(?:" + "|".join(alternatives) + ")")
        # Words that can begin a slot value (digits are checked separately).
        self._value_starters = frozenset({form.split()[0] for form in self.form_list} | set(self.numbers.words))
        kinds = sorted(set(self.text_values)) + [NUMBER_KIND, PERCENT_KIND]
        self.placeholder = {k: chr(_PLACEHOLDER_BASE + i) for i, k in enumerate(kinds)}
        self.placeholder_kind = {v: k for k, v in self.placeholder.items()}

    def scan_items(self, spaced: str) -> tuple[str | ScannedValue, ...]:
        """Words and slot values of token+space text, left to right (longest value first).

        The last sentence's items are kept: one parse scans the same words at several stages
        (the fuzzy carrier, the frames, the classifier's features)."""
        last = self._last_scan
        if last is not None and last[0] == spaced:
            return last[1]
        items = tuple(self._scan_items(spaced))
        self._last_scan = (spaced, items)
        return items

    def _scan_items(self, spaced: str) -> list[str | ScannedValue]:
        """`scan_items`, computed.

        The regex only runs at words that can begin a value (a set lookup decides), which
        keeps scanning cheap: most words of a sentence are carrier words.
        """
        out: list[str | ScannedValue] = []
        starters = self._value_starters
        match = self._scan_re.match
        pos = 0
        end = len(spaced)
        while pos < end:
            space = spaced.find(" ", pos)
            if space < 0:
                space = end
            token = spaced[pos:space]
            if token and (token in starters or token[0].isdigit()):
                m = match(spaced, pos)
                if m is not None:
                    text = m.group(0)[:-1]
                    if m.group("p") is not None:
                        out.append(ScannedValue(PERCENT_KIND, text, None))
                    elif m.group("n") is not None:
                        out.append(ScannedValue(NUMBER_KIND, text, None))
                    else:
                        out.append(ScannedValue(self.form_list[text], text, self.form_list[text]))
                    pos = m.end()
                    continue
            if token:
                out.append(token)
            pos = space + 1
        return out

    def reads_number(self, spaced: str, text: str) -> bool:
        """Whether `scan_items(spaced)` holds a number value said as `text`, scanning only as far
        as needed (the last scan's items when they are this sentence's)."""
        last = self._last_scan
        if last is not None and last[0] == spaced:
            return any(not isinstance(item, str) and item.kind == NUMBER_KIND and item.text == text
                       for item in last[1])
        starters = self._value_starters
        match = self._scan_re.match
        pos = 0
        end = len(spaced)
        while pos < end:
            space = spaced.find(" ", pos)
            if space < 0:
                space = end
            token = spaced[pos:space]
            if token and (token in starters or token[0].isdigit()):
                m = match(spaced, pos)
                if m is not None:
                    if m.group("p") is None and m.group("n") is not None and m.group(0)[:-1] == text:
                        return True
                    pos = m.end()
                    continue
            pos = space + 1
        return False

    def scan(self, spaced: str) -> Scan:
        tokens: list[str] = []
        values: list[ScannedValue] = []
        for item in self.scan_items(spaced):
            if isinstance(item, str):
                tokens.append(item)
            else:
                tokens.append(self.placeholder[item.kind])
                values.append(item)
        return Scan(" ".join(tokens), tuple(v.kind for v in values), tuple(values), tuple(tokens))

    # ------------------------------------------------------------------ literal values
    def literal_value(self, item: ScannedValue) -> Any:
        """Value of a slot-like phrase written literally in a template ("placer *un* trade")."""
        if item.list_name is not None:
            return self.text_values[item.list_name].get(item.text)
        tokens = item.text.split()
        if item.kind == PERCENT_KIND:
            tokens = tokens[:-1]
        return self.numbers.parse_tokens(tokens)

    # ------------------------------------------------------------------ carrier-word correction
    def literal_words(self, expr: Expr, out: set[str]) -> None:
        if isinstance(expr, Words):
            out.update(self.literal_tokens(expr.text))
            out.update(self.spoken_tokens(expr.text) or ())
        elif isinstance(expr, Sequence):
            for item in expr.items:
                self.literal_words(item, out)
        elif isinstance(expr, Alternative):
            for option in expr.options:
                self.literal_words(option, out)

    def _build_correction(self) -> None:
        """Vocabulary that misheard words may be corrected to: the templates' own words,
        minus every word that can be part of a slot value or a number, so that a
        correction can never create, change or remove a side, symbol or quantity."""
        literal: set[str] = set()
        for rule in self.grammar.rules.values():
            self.literal_words(rule, literal)
        for intent in self.grammar.intents.values():
            for tpl in intent.templates:
                self.literal_words(tpl.expr, literal)
        slot_words: set[str] = set(self.numbers.words) | {PERCENT_WORD}
        for mapping in self.text_values.values():
            for form in mapping:
                slot_words.update(form.split())
        # Bucketed by first letter: misheard words nearly always keep it ("shop"/"shap",
        # "treading"/"trading"), and it divides the comparisons by twenty.
        self._correctable_to: dict[str, list[str]] = {}
        for word in sorted(literal - slot_words):
            if len(word) > 2:
                self._correctable_to.setdefault(word[0], []).append(word)
        self._known_words = frozenset(literal | slot_words)
        self._slot_words = frozenset(slot_words)

    def could_match_exactly(self, tokens: list[str]) -> bool:
        """False when a word is foreign to every template of this language (then no
        template can match exactly and the regex need not run)."""
        known = self._known_words
        if known.issuperset(tokens):
            return True  # the common case, in one C-level pass
        for tok in tokens:
            if tok not in known and not tok[0].isdigit():
                return False
        return True

    def _candidates(self, tok: str) -> list[str]:
        """Template words close to an unknown word, best first (at most three; memoised, the
        vocabulary being fixed)."""
        if len(tok) <= 2:
            return []
        cached = self._near_cache.get(tok)
        if cached is None:
            if len(self._near_cache) > 20_000:
                self._near_cache.clear()  # typed text may hold any word: keep the memo bounded
            cached = self._near_cache[tok] = self._near(tok)
        return cached

    def _near(self, tok: str) -> list[str]:
        found = process.extract(tok, self._correctable_to.get(tok[0], ()), scorer=fuzz.ratio,
                                score_cutoff=_CORRECTION_NEAR_CUTOFF, limit=5)
        out = []
        for word, score, _ in found:
            if score < _CORRECTION_CUTOFF and not (len(tok) >= 5 and word[:3] == tok[:3]
                                                   and abs(len(word) - len(tok)) <= 1):
                continue  # below the usual cutoff, only a word that starts the same way
            if flips_prefix(tok, word):
                continue
            if len(tok) <= _SHORT_WORD and not word.startswith(tok) and OSA.distance(tok, word, score_cutoff=2) > 1:
                continue  # ("aye, reet" is no "repeat"; a word cut short is: "i wan buy" wanna)
            out.append(word)
        return out[:3]

    def corrections(self, spaced: str, limit: int = 6) -> tuple[list[str], int]:
        """Readings of the sentence with unknown words replaced by close template words.

        Words the grammar does not know are replaced by close carrier words (never by or
        from a slot word); two unknown pieces of one known word are joined ("every thing").
        Returns up to `limit` corrected token+space texts, most likely first (empty when
        nothing could be corrected), and how many words remain unknown in the first one.
        """
        known = self._known_words
        slot_words = self._slot_words
        tokens = spaced.split()
        merged: list[str] = []
        i = 0
        last = len(tokens) - 1
        while i <= last:
            tok = tokens[i]
            if i < last:
                joined = tok + tokens[i + 1]
                if joined in known and joined not in slot_words and tok not in slot_words \
                        and tokens[i + 1] not in slot_words:
                    merged.append(joined)
                    i += 2
                    continue
            merged.append(tok)
            i += 1
        readings: list[str] = []
        unknown = 0
        for words in ([tokens, merged] if merged != tokens else [tokens]):
            options: list[list[str]] = []
            missing = 0
            for tok in words:
                if tok in known or tok[0].isdigit():
                    options.append([tok])
                    continue
                cands = self._candidates(tok)
                if not cands:
                    missing += 1
                    options.append([tok])
                else:
                    options.append(cands)
            if words is tokens:
                unknown = missing
            for combo in itertools.islice(itertools.product(*options), limit):
                reading = " ".join(combo) + " "
                if reading != spaced and reading not in readings:
                    readings.append(reading)
        # Inflection slips of known words ("feature" for "features", "ouverte" for "ouvertes"),
        # one word at a time: the reading must still match a template exactly.
        base = readings[0].split() if readings else tokens
        for k, tok in enumerate(base):
            for near in self._inflections(tok):
                reading = " ".join(base[:k] + [near] + base[k + 1:]) + " "
                if reading != spaced and reading not in readings:
                    readings.append(reading)
        return readings[:limit + 8], unknown

    def _inflections(self, tok: str) -> list[str]:
        """Known carrier words that differ from a known word by an ending of at most two
        letters ("feature"/"features", "ouverte"/"ouvertes", "ferme"/"fermer")."""
        if tok not in self._known_words or tok in self._slot_words or len(tok) < 5:
            return []
        cached = self._inflection_cache.get(tok)
        if cached is None:
            stem = tok[:max(4, len(tok) - 2)]
            cached = [w for w in self._correctable_to.get(tok[0], ())
                      if w != tok and w.startswith(stem) and abs(len(w) - len(tok)) <= 2
                      and not flips_prefix(tok, w)][:3]
            self._inflection_cache[tok] = cached
        return cached

    def unknown_words(self, spaced: str) -> list[str]:
        """Words of the sentence that no template, list or number of this language uses."""
        return [t for t in spaced.split() if t not in self._known_words and not t[0].isdigit()]

    def correct(self, spaced: str) -> tuple[str, bool, int]:
        """The most likely corrected reading (see `corrections`): the text, whether anything
        changed, and how many words remain unknown to this language."""
        readings, unknown = self.corrections(spaced, limit=1)
        if not readings:
            return spaced, False, unknown
        return readings[0], True, unknown
