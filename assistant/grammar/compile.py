"""Recogniser vocabularies compiled from the grammar files.

* `to_jsgf(grammar, lang)` — a JSGF grammar for PocketSphinx (`Decoder(jsgf=FILE)` or
  `decoder.add_jsgf_string(name, text)`). Create the decoder with `bestpath=False`: with this
  grammar the default lattice pass costs ~0.3 s at `end_utt()` and is less accurate; without
  it, end of speech -> hypothesis is a few milliseconds (measured: 6 ms p50, CPU RTF 0.10). Expansion rules and slot lists become JSGF rules and
  numbers are a small set of sub-rules (`<num_int>`, `<num_dec>`…), so the grammar stays
  compact however many numbers it accepts. Words are lower-case dictionary words: upper-case
  acronyms are spelled ("ES" -> "e s", "QR-DQN" -> "q r d q n"), digits are said in words
  ("S&P 500" -> "s and p five hundred"), punctuation goes. For English every word is checked
  against PocketSphinx's bundled dictionary; alternatives holding an unknown word are left
  out and reported (a `GrammarWarning`, and `JsgfResult.missing_words`).
* `vosk_phrases(grammar, lang)` — the phrase list for Vosk's `KaldiRecognizer(model, rate,
  json.dumps(phrases))`, ending with "[unk]" so out-of-grammar speech is reported as such.
  Vosk turns the list into a *bigram* language model, so the list needs every word pair of the
  grammar rather than every sentence: each template contributes a bounded, seeded sample of its
  sentences with slot values cycled through their spoken forms and representative numbers.
  Accents and apostrophes are kept (the French models' words carry them).

The ASR teammate's contract: `to_jsgf(grammar, lang) -> str` and
`vosk_phrases(grammar, lang) -> list[str]`, where `grammar` is a loaded `Grammar` or a path /
list of paths for `load_grammar`.
"""
from __future__ import annotations

import itertools
import os
import random
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assistant.asr.jsgf import PRONUNCIATION_TAG, jsgf_pronunciations
from assistant.grammar.expand import sample_expansions
from assistant.grammar.loader import load_grammar
from assistant.grammar.model import Grammar, LanguageGrammar, RangeList, TextList
from assistant.grammar.template import Alternative, Expr, RuleRef, Sequence, SlotRef, Words
from assistant.nlu.numbers import number_language
from assistant.nlu.spoken import ACCENTED as _ACCENTED
from assistant.nlu.spoken import base_language as _base_lang
from assistant.nlu.spoken import spoken_words

__all__ = [
    "to_jsgf", "compile_jsgf", "JsgfResult", "vosk_phrases", "spoken_words",
    "GrammarWarning", "pocketsphinx_dictionary", "pocketsphinx_phones", "jsgf_pronunciations",
    "PRONUNCIATION_TAG",
]



class GrammarWarning(UserWarning):
    """Part of a grammar could not be compiled for a recogniser (e.g. words missing from the
    recogniser's dictionary)."""


GrammarLike = Grammar | str | os.PathLike[str] | Iterable[str | os.PathLike[str]]

def _grammar(grammar: GrammarLike) -> Grammar:
    if isinstance(grammar, Grammar):
        return grammar
    return load_grammar(grammar)


@lru_cache(maxsize=4)
def _load_dictionary(path: str) -> frozenset[str]:
    words: set[str] = set()
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            word = line.split(None, 1)[0]
            # Alternate pronunciations are listed as "word(2)".
            words.add(word.split("(", 1)[0].lower())
    return frozenset(words)


def _dictionary_path() -> Path | None:
    try:
        import pocketsphinx
    except ImportError:
        return None
    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    return path if path.is_file() else None


def pocketsphinx_dictionary() -> frozenset[str] | None:
    """Words of PocketSphinx's bundled US-English dictionary, or None if not installed."""
    path = _dictionary_path()
    return None if path is None else _load_dictionary(str(path))


@lru_cache(maxsize=4)
def _load_phones(path: str) -> frozenset[str]:
    phones: set[str] = set()
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            phones.update(line.split()[1:])
    return frozenset(phones)


def pocketsphinx_phones() -> frozenset[str] | None:
    """The phone set of the bundled en-us model (the phones its dictionary uses), or None."""
    path = _dictionary_path()
    return None if path is None else _load_phones(str(path))





@dataclass
class JsgfResult:
    text: str
    """The JSGF grammar."""
    missing_words: set[str] = field(default_factory=set)
    """Words left out because the dictionary does not know them."""
    pronunciations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Words of the grammar's `pronunciations:` section used by this grammar (the recogniser must
    add them to its dictionary; `to_jsgf` writes them as comment lines)."""
    skipped: list[str] = field(default_factory=list)
    """Templates, list values or intents that could not be compiled, with the reason."""


class _JsgfBuilder:
    def __init__(self, lang: LanguageGrammar, dictionary: frozenset[str] | None,
                 max_spoken_integer: int) -> None:
        self.max_spoken_integer = max_spoken_integer
        self.lang = lang
        self.code = lang.language
        self.dictionary = dictionary
        self.numbers = number_language(lang.language)
        self.rules: dict[str, str | None] = {}
        self.missing: set[str] = set()
        self.skipped: list[str] = []
        self.used: set[str] = set()  # words of the text that were checked

    # Words ----------------------------------------------------------------------------
    def words(self, text: str) -> str | None:
        """JSGF tokens for literal text, or None when a word is not in the dictionary."""
        tokens = spoken_words(text, self.code)
        self.used.update(tokens)
        if self.dictionary is not None:
            unknown = [t for t in tokens if t not in self.dictionary]
            if unknown:
                self.missing.update(unknown)
                return None
        return " ".join(tokens)

    # Rules ----------------------------------------------------------------------------
    def rule_name(self, kind: str, name: str) -> str:
        return f"{kind}_" + re.sub(r"[^A-Za-z0-9_]", "_", name)

    def ensure_rule(self, name: str, build: Callable[[], str | None]) -> str | None:
        """Build a named rule once. Returns its reference, "" when the rule can only be empty,
        or None when it cannot be said at all (every alternative has an unknown word)."""
        if name not in self.rules:
            self.rules[name] = build()
        body = self.rules[name]
        if body is None or body == "":
            return body
        return f"<{name}>"

    def number_rules(self) -> None:
        for name, body in self.numbers.jsgf.items():
            rule = self.rule_name("num", name)
            if rule in self.rules:
                continue
            body = re.sub(r"<(\w+)>", lambda m: f"<{self.rule_name('num', m.group(1))}>", body)
            for plain, accented in _ACCENTED.get(_base_lang(self.code), {}).items():
                body = re.sub(rf"(?<![\w<]){plain}(?![\w>])", accented, body)
            if self.dictionary is not None:
                words = re.findall(r"[^\s\[\]()|]+", re.sub(r"<\w+>", " ", body))
                self.missing.update(w for w in words if w not in self.dictionary)
            self.rules[rule] = body

    def list_ref(self, list_name: str) -> str | None:
        lst = self.lang.lists[list_name]
        rule = self.rule_name("list", list_name)
        if isinstance(lst, RangeList):
            return self.ensure_rule(rule, lambda: self.range_body(lst))
        return self.ensure_rule(rule, lambda: self.text_list_body(lst))

    def text_list_body(self, lst: TextList) -> str | None:
        options: list[str] = []
        for value in lst.values:
            for form in value.forms:
                words = self.words(form)
                if words is None:
                    self.skipped.append(f"list '{lst.name}': '{form}' (unknown word)")
                elif words and words not in options:
                    options.append(words)
        return " | ".join(options) if options else None

    def _num(self, name: str) -> str:
        return f"<{self.rule_name('num', name)}>"

    def _integer_tier(self, top: float) -> str:
        """Smallest number rule covering 0..top (a smaller rule is a much smaller FSG)."""
        zero = " ".join(spoken_words("0", self.code))
        if top < 10:
            return f"{self._num('unit')} | {zero}"
        if top < 100:
            return f"{self._num('n99')} | {zero}"
        if top == 100:
            hundred = " ".join(spoken_words("100", self.code))
            return f"{self._num('n99')} | {hundred} | {zero}"
        if top < 1000:
            return f"{self._num('n999')} | {zero}"
        if top < 100_000:
            # Up to five digits ("twenty one thousand fifty"): thousands said with <n99>.
            return self._num("int5")
        return self._num("int")

    def range_body(self, lst: RangeList) -> str | None:
        if self.numbers.spell_integer is None:
            self.skipped.append(f"list '{lst.name}': no number words for language '{self.code}'")
            return None
        self.number_rules()
        if lst.kind == "integer":
            return self._integer_tier(min(lst.maximum, self.max_spoken_integer))
        if lst.kind == "decimal":
            whole = self._integer_tier(lst.maximum)
            digit = self._num("digit")
            return f"({whole}) [{self.numbers.decimal_word} {digit} [{digit}]]"
        # Percent: the language's decimal rule over the integer tier of the range.
        tier_rule = self.rule_name("num", f"upto_{int(min(lst.maximum, self.max_spoken_integer))}")
        self.rules.setdefault(tier_rule, self._integer_tier(min(lst.maximum, self.max_spoken_integer)))
        dec = re.sub(r"<(\w+)>", lambda m: f"<{tier_rule}>" if m.group(1) == "int"
                     else self._num(m.group(1)), self.numbers.jsgf["dec"])
        percent = " ".join(spoken_words("%", self.code))
        return f"({dec}) {percent}"

    # Sentence factoring --------------------------------------------------------------
    def factor(self, sentences: list[list[str]]) -> tuple[str, bool]:
        """Alternatives of item sequences with shared first/last items pulled out.

        PocketSphinx copies a rule's graph at every reference, so "[<polite>] A <tail> |
        [<polite>] B <tail>" costs two copies of <polite> and <tail> where
        "[<polite>] (A | B) <tail>" costs one. Returns (body, can_be_empty).
        """
        unique: list[list[str]] = []
        for items in sentences:
            if items not in unique:
                unique.append(items)
        nullable = any(not items for items in unique)
        unique = [items for items in unique if items]
        if not unique:
            return "", True
        if len(unique) == 1:
            return " ".join(unique[0]), nullable
        last = Counter(items[-1] for items in unique).most_common(1)[0]
        first = Counter(items[0] for items in unique).most_common(1)[0]
        if max(last[1], first[1]) < 2:
            return " | ".join(" ".join(items) for items in unique), nullable
        if last[1] >= first[1]:
            shared = last[0]
            group = [items[:-1] for items in unique if items[-1] == shared]
            rest = [items for items in unique if items[-1] != shared]
            inner, empty = self.factor(group)
            head = f"{self._wrap(inner, empty)} {shared}".strip()
        else:
            shared = first[0]
            group = [items[1:] for items in unique if items[0] == shared]
            rest = [items for items in unique if items[0] != shared]
            inner, empty = self.factor(group)
            head = f"{shared} {self._wrap(inner, empty)}".strip()
        if not rest:
            return head, nullable
        tail, tail_empty = self.factor(rest)
        return f"{head} | {tail}" if tail else head, nullable or tail_empty

    @staticmethod
    def _wrap(body: str, nullable: bool) -> str:
        if not body:
            return ""
        if nullable:
            return f"[{body}]"
        return f"({body})" if "|" in body else body

    def sentence_items(self, expr: Expr) -> list[str] | None:
        """A template as a list of JSGF items (None when it cannot be said)."""
        items = expr.items if isinstance(expr, Sequence) else (expr,)
        out: list[str] = []
        for item in items:
            text = self.expr(item)
            if text is None:
                return None
            if text:
                out.append(text)
        return out

    # Expressions ------------------------------------------------------------------------
    def expr(self, expr: Expr) -> str | None:
        if isinstance(expr, Words):
            # None (an unknown word) makes this alternative unsayable; it must not become an
            # empty option, which would make the whole group optional ("show the [cvar] loss").
            return self.words(expr.text)
        if isinstance(expr, SlotRef):
            return self.list_ref(expr.list_name)
        if isinstance(expr, RuleRef):
            name = self.rule_name("rule", expr.name)
            return self.ensure_rule(name, lambda: self.expr(self.lang.rules[expr.name]))
        if isinstance(expr, Sequence):
            parts = []
            for item in expr.items:
                part = self.expr(item)
                if part is None:
                    return None
                if part:
                    parts.append(part)
            return " ".join(parts)
        assert isinstance(expr, Alternative)
        options = [self.expr(o) for o in expr.options]
        kept = [o for o in options if o]
        has_empty = any(o == "" for o in options)
        if not kept:
            return "" if (expr.optional or has_empty) else None
        body = " | ".join(kept)
        if expr.optional or has_empty:
            return f"[{body}]"
        return f"({body})" if len(kept) > 1 else kept[0]


def compile_jsgf(grammar: GrammarLike, lang: str, *, dictionary: Iterable[str] | None | str = "auto",
                 grammar_name: str | None = None, max_spoken_integer: int = 100) -> JsgfResult:
    """JSGF for one language with the details of what was left out.

    `dictionary`: "auto" (PocketSphinx's bundled dictionary for English, no check otherwise),
    None (no check), or an iterable of known words (lower case). `max_spoken_integer` caps
    the integers a recogniser listens for (the parser still reads any written number): every
    extra power of ten makes the decoding graph much larger and slower.
    """
    loaded = _grammar(grammar)
    language = loaded.language(lang)
    if dictionary == "auto":
        words = pocketsphinx_dictionary() if _base_lang(lang) == "en" else None
    elif dictionary is None:
        words = None
    else:
        words = frozenset(w.lower() for w in dictionary)
    prons: dict[str, tuple[str, ...]] = {}
    bad_phones: list[str] = []
    if words is not None and language.pronunciations:
        # The grammar's own pronunciations make its words sayable; phones the acoustic model
        # does not have would make the recogniser fail to load, so those are left out (warned).
        phone_set = pocketsphinx_phones() if dictionary == "auto" else None
        for word, alts in language.pronunciations.items():
            ok = tuple(a for a in alts if phone_set is None or set(a.split()) <= phone_set)
            bad_phones += [f"{word}: {a}" for a in alts if a not in ok]
            if ok:
                prons[word] = ok
        words = words | frozenset(prons)
    builder = _JsgfBuilder(language, words, max_spoken_integer)
    intent_refs: list[str] = []
    for intent in language.intents.values():
        sentences: list[list[str]] = []
        for tpl in intent.templates:
            if tpl.typed_only or not tpl.speech:  # see grammars/README.md
                continue
            items = builder.sentence_items(tpl.expr)
            if not items:
                builder.skipped.append(f"intent '{intent.name}': \"{tpl.text}\" (unknown word)")
                continue
            sentences.append(items)
        if not sentences:
            builder.skipped.append(f"intent '{intent.name}': no sentence left")
            continue
        body, _ = builder.factor(sentences)
        rule = builder.rule_name("intent", intent.name)
        builder.rules[rule] = body
        intent_refs.append(f"<{rule}>")
    if not intent_refs:
        raise ValueError(f"nothing of the '{lang}' grammar could be compiled to JSGF "
                         f"(missing words: {', '.join(sorted(builder.missing)) or 'none'})")
    name = grammar_name or re.sub(r"[^A-Za-z0-9_]", "_", f"mia_{lang}")
    used_prons = {w: p for w, p in prons.items() if w in builder.used}
    skipped = builder.skipped + [f"pronunciation {b} (phone not in the acoustic model)" for b in bad_phones]
    lines = ["#JSGF V1.0;", f"grammar {name};", "", f"public <command> = {' | '.join(intent_refs)};", ""]
    for rule, rule_body in builder.rules.items():
        if rule_body:
            lines.append(f"<{rule}> = {rule_body};")
    if used_prons:
        lines += ["", "// Words of the grammar's pronunciations: section (recognisers add them to their dictionary)"]
        lines += [f"{PRONUNCIATION_TAG} {w} {alt}" for w, alts in sorted(used_prons.items()) for alt in alts]
    return JsgfResult("\n".join(lines) + "\n", missing_words=builder.missing, skipped=skipped,
                      pronunciations=used_prons)


def to_jsgf(grammar: GrammarLike, lang: str) -> str:
    """JSGF grammar for PocketSphinx; words unknown to the dictionary are left out with a
    `GrammarWarning` naming them."""
    result = compile_jsgf(grammar, lang)
    bad = [s for s in result.skipped if s.startswith("pronunciation ")]
    if bad:
        warnings.warn(f"JSGF '{lang}': pronunciations left out: {'; '.join(bad)}", GrammarWarning, stacklevel=2)
    if result.missing_words:
        warnings.warn(
            f"JSGF '{lang}': {len(result.missing_words)} word(s) not in the PocketSphinx dictionary, "
            f"their alternatives were left out: {', '.join(sorted(result.missing_words))}",
            GrammarWarning, stacklevel=2)
    return result.text


# ------------------------------------------------------------------------------------------
# Vosk
# ------------------------------------------------------------------------------------------
_INTEGER_SAMPLES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                    25, 30, 32, 40, 45, 50, 60, 70, 71, 75, 80, 81, 90, 99, 100, 150, 200, 1000,
                    5000, 10000]
_PRICE_SAMPLES = [5012.25, 5000, 4987.5, 18250.75, 18000, 21010.25, 100.5, 6125.75]
_PERCENT_SAMPLES_EN = ["one", "two", "half a", "one and a half", "zero point five", "zero point two five",
                       "three", "point five", "five", "ten"]
_PERCENT_SAMPLES_FR = ["un", "deux", "un demi", "un et demi", "zéro virgule cinq", "zéro virgule vingt cinq",
                       "trois", "cinq", "dix", "deux virgule cinq"]


def _value_samples(lang: LanguageGrammar, list_name: str) -> list[str]:
    code = _base_lang(lang.language)
    lst = lang.lists[list_name]
    numbers = number_language(code)
    accents = _ACCENTED.get(code, {})

    def say(value: float) -> str:
        return " ".join(accents.get(w, w) for w in numbers.to_words(value).split())

    if isinstance(lst, TextList):
        out = []
        for value in lst.values:
            for form in value.forms:
                words = " ".join(spoken_words(form, code))
                if words and words not in out:
                    out.append(words)
        return out
    if numbers.spell_integer is None:
        return [str(int(lst.minimum))]
    if lst.kind == "integer":
        return [say(n) for n in _INTEGER_SAMPLES if lst.minimum <= n <= lst.maximum] or [say(int(lst.minimum))]
    if lst.kind == "decimal":
        return [say(p) for p in _PRICE_SAMPLES if lst.minimum <= p <= lst.maximum] or [say(lst.minimum)]
    percent = " ".join(spoken_words("%", code))
    samples = _PERCENT_SAMPLES_FR if code == "fr" else _PERCENT_SAMPLES_EN if code == "en" else []
    return [f"{s} {percent}" for s in samples] or [f"{say(1)} {percent}"]


def vosk_phrases(grammar: GrammarLike, lang: str, *, per_template: int = 20, max_phrases: int = 6000,
                 seed: int = 0) -> list[str]:
    """Phrase list for Vosk (ends with "[unk]"), at most `max_phrases` phrases.

    Every template gets an equal share of the budget; deterministic for a given `seed`.
    """
    loaded = _grammar(grammar)
    language = loaded.language(lang)
    rng = random.Random(seed)
    samples: dict[str, list[str]] = {}
    phrases: dict[str, None] = {}
    templates = [tpl for intent in language.intents.values() for tpl in intent.templates if not tpl.typed_only]
    reserve = min(300, max_phrases // 5)  # for the standalone number phrases at the end
    share = max(3, (max_phrases - 1 - reserve) // max(1, len(templates)))
    for tpl in templates:
        phrases.update(dict.fromkeys(_template_phrases(language, tpl.expr, per_template, share, samples, rng, seed)))
        if len(phrases) >= max_phrases - 1:
            break
    # Number words in every shape the grammar accepts, so their internal word pairs exist.
    for values in samples.values():
        for value in values:
            if len(phrases) >= max_phrases - 1:
                break
            phrases.setdefault(value, None)
    return list(phrases)[:max_phrases - 1] + ["[unk]"]


def _template_phrases(language: LanguageGrammar, expr: Expr, per_template: int, share: int,
                      samples: dict[str, list[str]], rng: random.Random, seed: int) -> list[str]:
    """Up to `share` phrases of one template with slot values filled in."""
    expansions = sample_expansions(expr, language.rules, per_template, seed=seed)
    slot_lists = sorted({p.list_name for parts in expansions for p in parts if isinstance(p, SlotRef)})
    for list_name in slot_lists:
        samples.setdefault(list_name, _value_samples(language, list_name))
    # Each sentence is said with several slot values, cycling through every spoken form and
    # number shape so that each appears next to the words around the slot, without a
    # Cartesian product.
    widest = max([1] + [len(samples[name]) for name in slot_lists])
    rounds = min(widest, max(1, share // max(1, len(expansions))))
    cycles: dict[str, itertools.cycle[str]] = {}
    for name in slot_lists:
        values = samples[name]
        k = rng.randrange(len(values))
        cycles[name] = itertools.cycle(values[k:] + values[:k])
    out: dict[str, None] = {}
    for parts in expansions:
        for _ in range(rounds):
            words: list[str] = []
            for part in parts:
                if isinstance(part, str):
                    words.extend(spoken_words(part, language.language))
                else:
                    words.append(next(cycles[part.list_name]))
            phrase = " ".join(" ".join(words).split())
            if phrase:
                out.setdefault(phrase, None)
            if len(out) >= share:
                return list(out)
    return list(out)
