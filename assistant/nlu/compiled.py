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

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from assistant.grammar.model import LanguageGrammar, RangeList, Template, TextList
from assistant.grammar.template import Alternative, Expr, RuleRef, Sequence, SlotRef, Words
from assistant.nlu.normalize import PERCENT_WORD, normalize
from assistant.nlu.numbers import NumberLanguage, number_language
from assistant.nlu.spoken import spoken_words

__all__ = ["CompiledLanguage", "ExactHit", "Scan", "ScannedValue", "NUMBER_KIND", "PERCENT_KIND"]

NUMBER_KIND = "#number"
PERCENT_KIND = "#percent"
#: Minimum similarity (0-100) for correcting an unknown word to a template word.
_CORRECTION_CUTOFF = 75.0
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

    # ------------------------------------------------------------------ normalisation
    def _build_skip(self) -> None:
        phrases = [normalize(w) for w in self.grammar.skip_words]
        phrases = [p for p in phrases if p]
        self._skip_re = re.compile(r"(?<![^ ])" + _token_alt(phrases)) if phrases else None

    def strip_skip(self, spaced: str) -> str:
        """Remove skip words from token+space text ("please buy 2 es " -> "buy 2 es ")."""
        if self._skip_re is None:
            return spaced
        return self._skip_re.sub("", spaced)

    def literal_tokens(self, text: str) -> list[str]:
        """Normalised words of a literal template chunk, skip words removed (cached)."""
        cached = self._literal_cache.get(text)
        if cached is None:
            norm = normalize(text)
            cached = self.strip_skip(norm + " ").split() if norm else []
            self._literal_cache[text] = cached
        return cached

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
                suffix = f"{PERCENT_WORD} " if lst.kind == "percent" else ""
                self.list_patterns[name] = f"(?:{number_pattern}){suffix}"

    def kind_of(self, list_name: str) -> str:
        rng = self.range_lists.get(list_name)
        if rng is None:
            return list_name
        return PERCENT_KIND if rng.kind == "percent" else NUMBER_KIND

    def convert(self, list_name: str, text: str, slot: str) -> tuple[Any, tuple[str, str] | None]:
        """Typed value of `text` for `list_name`, or (None, (reason, detail))."""
        mapping = self.text_values.get(list_name)
        if mapping is not None:
            if text in mapping:
                return mapping[text], None
            return None, (f"invalid_{slot}", f"'{text}' is not a known {list_name}")
        rng = self.range_lists[list_name]
        tokens = text.split()
        if rng.kind == "percent":
            if not tokens or tokens[-1] != PERCENT_WORD:
                return None, (f"invalid_{slot}", f"'{text}' is not a percentage")
            tokens = tokens[:-1]
        value = self.numbers.parse(" ".join(tokens)) if tokens else None
        if value is None:
            phrases = self._number_re.findall(" ".join(tokens) + " ")
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
            return "".join(re.escape(t) + " " for t in self.literal_tokens(expr.text))
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

    def _first_words(self, expr: Expr) -> tuple[set[str], bool]:
        """Possible first normalised words of `expr`, and whether `expr` can be empty.

        The special word "#num" stands for any number phrase's first word.
        """
        if isinstance(expr, Words):
            toks = self.literal_tokens(expr.text)
            return ({toks[0]}, False) if toks else (set(), True)
        if isinstance(expr, SlotRef):
            if expr.list_name in self.range_lists:
                return {"#num"}, False
            firsts = {form.split()[0] for form in self.text_values[expr.list_name]}
            return firsts, False
        if isinstance(expr, RuleRef):
            return self._first_words(self.grammar.rules[expr.name])
        if isinstance(expr, Sequence):
            out: set[str] = set()
            for item in expr.items:
                firsts, nullable = self._first_words(item)
                out |= firsts
                if not nullable:
                    return out, False
            return out, True
        assert isinstance(expr, Alternative)
        out = set()
        nullable = expr.optional
        for option in expr.options:
            firsts, opt_nullable = self._first_words(option)
            out |= firsts
            nullable = nullable or opt_nullable
        return out, nullable

    def _build_exact(self) -> None:
        branches: list[tuple[str, ExactTemplate, set[str]]] = []
        # Complete sentences first: the regex takes the first branch that matches, and a
        # sentence that is a complete command must never be read as an incomplete one.
        ordered = sorted(((intent, tpl) for intent in self.grammar.intents.values() for tpl in intent.templates),
                         key=lambda it: (bool(it[1].missing), it[1].typed_only))
        for intent, tpl in ordered:
            groups: list[SlotSpec] = []
            body = self._regex(tpl.expr, groups)
            firsts, nullable = self._first_words(tpl.expr)
            if nullable:
                firsts.add("")
            meta = ExactTemplate(intent.name, tuple(enumerate(groups)), tpl.fixed_slots, tpl)
            branches.append((body, meta, firsts))
        self._branches = branches
        # Dispatch: first word -> regex of the templates that may start with it. Number
        # phrases can start with many words, so templates starting with a number are added
        # to the bucket of every number word and of digits.
        number_starts = {w for w in self.numbers.words} | {"#digit"}
        buckets: dict[str, list[int]] = {}
        for idx, (_, _, firsts) in enumerate(branches):
            keys = set(firsts)
            if "#num" in keys:
                keys.discard("#num")
                keys |= number_starts
            for key in keys:
                buckets.setdefault(key, []).append(idx)
        self._dispatch: dict[str, tuple[re.Pattern[str], dict[int, tuple[ExactTemplate, int]]]] = {}
        cache: dict[tuple[int, ...], tuple[re.Pattern[str], dict[int, tuple[ExactTemplate, int]]]] = {}
        for key, members in buckets.items():
            signature = tuple(members)
            if signature not in cache:
                cache[signature] = self._compile_branches(members)
            self._dispatch[key] = cache[signature]
        self._empty_bucket = self._dispatch.get("")

    def _compile_branches(self, members: list[int]) -> tuple[re.Pattern[str], dict[int, tuple[ExactTemplate, int]]]:
        parts: list[str] = []
        table: dict[int, tuple[ExactTemplate, int]] = {}
        group = 0
        for idx in members:
            body, meta, _ = self._branches[idx]
            group += 1
            wrapper = group
            parts.append("(" + body + ")")
            table[wrapper] = (meta, wrapper)
            group += len(meta.slot_groups)
        return re.compile("|".join(parts)), table

    def match_exact(self, spaced: str) -> ExactHit | None:
        """Exact grammar match of token+space text, or None."""
        if not spaced:
            return None
        first = spaced[:spaced.index(" ")]
        key = "#digit" if first[0].isdigit() else first
        bucket = self._dispatch.get(key)
        hit = self._try_bucket(bucket, spaced)
        if hit is None and self._empty_bucket is not None and bucket is not self._empty_bucket:
            hit = self._try_bucket(self._empty_bucket, spaced)
        return hit

    def _try_bucket(self, bucket: tuple[re.Pattern[str], dict[int, tuple[ExactTemplate, int]]] | None,
                    spaced: str) -> ExactHit | None:
        if bucket is None:
            return None
        pattern, table = bucket
        m = pattern.fullmatch(spaced)
        if m is None:
            return None
        meta, wrapper = table[m.lastindex]  # type: ignore[index]
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

    def scan_items(self, spaced: str) -> Iterator[str | ScannedValue]:
        """Words and slot values of token+space text, left to right (longest value first).

        The regex only runs at words that can begin a value (a set lookup decides), which
        keeps scanning cheap: most words of a sentence are carrier words.
        """
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
                        yield ScannedValue(PERCENT_KIND, text, None)
                    elif m.group("n") is not None:
                        yield ScannedValue(NUMBER_KIND, text, None)
                    else:
                        yield ScannedValue(self.form_list[text], text, self.form_list[text])
                    pos = m.end()
                    continue
            if token:
                yield token
            pos = space + 1

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

    def could_match_exactly(self, tokens: list[str]) -> bool:
        """False when a word is foreign to every template of this language (then no
        template can match exactly and the regex need not run)."""
        known = self._known_words
        for tok in tokens:
            if tok not in known and not tok[0].isdigit():
                return False
        return True

    def correct(self, spaced: str) -> tuple[str, bool, int]:
        """Replace words the grammar does not know by the closest carrier word (if close).

        Returns the corrected token+space text, whether anything changed, and how many words
        remain unknown to this language.
        """
        changed = False
        unknown = 0
        out: list[str] = []
        for tok in spaced.split():
            if tok in self._known_words or tok[0].isdigit():
                out.append(tok)
                continue
            best = None
            if len(tok) > 2:
                best = process.extractOne(tok, self._correctable_to.get(tok[0], ()), scorer=fuzz.ratio,
                                          score_cutoff=_CORRECTION_CUTOFF)
                if best is not None and flips_prefix(tok, best[0]):
                    best = None
            if best is None:
                out.append(tok)
                unknown += 1
            else:
                out.append(best[0])
                changed = True
        return (" ".join(out) + " " if out else "", changed, unknown)
