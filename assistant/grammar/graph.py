"""Word graphs: the grammar as a finite automaton over written words, for constrained recognisers.

`word_graph(grammar, "fr")` turns one language of a loaded `Grammar` into an epsilon-automaton
whose paths are exactly the grammar's sentences, with their meaning attached: each template
starts with an `IntentTag` (intent and fixed slots) and every slot is a *call* of one shared
sub-graph per list, so "{quantity}" used fifty times costs one arc each, not fifty copies of the
number graph. The Whisper recogniser (`assistant.asr.token_graph`) maps each word to the token
sequences of its written forms; nothing here depends on a tokenizer.

* Text lists: a sub-graph with one branch per spoken form; the branch starts with a `ValueTag`
  (the canonical value, and the form as written, which is the text the recogniser returns).
  A form with digits or "&" also gets its spoken wording ("S&P 500" / "S et P cinq cents").
* Range lists (numbers): `NumberStart`, then either a `digits` arc (the number written in
  digits, any length, checked when it ends) or the number said in words (the number module's
  rules, `NumberLanguage.jsgf`, sized to the list's range), then `NumberEnd`, which checks the
  value: type, range, and the list's `step` when it has one (prices in ticks: 5012.25 is a
  path, 5012.3 is not, without enumerating prices). Percent lists end with the percent word.
* Words are kept as written in the grammar ("achète", "l'", "S&P", "ES"); how each is spelled
  by a recogniser (case, acronyms, hyphens) is the recogniser's business.

Sizes: graphs grow linearly with the grammar text (rules are inlined, lists shared); the project
grammars make about 4,000 arcs per language, built in milliseconds (see bench/asr_compare.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from assistant.grammar.model import Grammar, LanguageGrammar, RangeList, TextList
from assistant.grammar.template import Alternative, Expr, RuleRef, Sequence, SlotRef, Words, parse_template
from assistant.nlu.numbers import number_language
from assistant.nlu.spoken import ACCENTED, base_language

__all__ = [
    "WordGraph", "Arc", "IntentTag", "ValueTag", "NumberStart", "NumberEnd", "SubGraph", "word_graph",
    "EPS", "WORD", "CALL", "DIGITS", "MAX_SPOKEN_INTEGER",
]

EPS, WORD, CALL, DIGITS = 0, 1, 2, 3

#: Integers said in words are accepted up to this value (larger ones in digits only): every
#: extra power of ten adds a copy of the hundreds graph.
MAX_SPOKEN_INTEGER = 999


@dataclass(frozen=True, slots=True)
class IntentTag:
    intent: str
    fixed: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ValueTag:
    value: Any
    text: str  # the form as written: what the recogniser returns for this value


@dataclass(frozen=True, slots=True)
class NumberStart:
    pass


@dataclass(frozen=True, slots=True)
class NumberEnd:
    kind: str  # "integer" | "decimal" | "percent"
    minimum: float
    maximum: float
    step: float | None


Tag = IntentTag | ValueTag | NumberStart | NumberEnd


@dataclass(frozen=True, slots=True)
class Arc:
    src: int
    dst: int
    kind: int  # EPS | WORD | CALL | DIGITS
    word: str = ""  # WORD: the word as written
    out: bool = True  # WORD: part of the returned text (False inside text-list forms)
    number: bool = False  # WORD/DIGITS: inside a number (may be joined by "-", text is read as a number)
    tag: Tag | None = None  # EPS: meaning attached to this point of the path
    sub: int = -1  # CALL: the sub-graph called
    slot: str = ""  # CALL: the slot it fills
    decimals: bool = False  # DIGITS: a decimal part may follow
    limit: float = 0.0  # DIGITS: the list's maximum (a longer run of digits is dropped early)


@dataclass(frozen=True, slots=True)
class SubGraph:
    name: str  # list name
    start: int
    final: int
    number: RangeList | None  # None for a text list


@dataclass
class WordGraph:
    """One language's sentences. Nodes are integers; `out_arcs[n]` lists the arcs leaving n."""

    lang: str
    start: int = 0
    final: int = 1
    arcs: list[Arc] = field(default_factory=list)
    out_arcs: list[list[int]] = field(default_factory=list)
    subs: list[SubGraph] = field(default_factory=list)

    @property
    def nodes(self) -> int:
        return len(self.out_arcs)

    @property
    def words(self) -> set[str]:
        return {a.word for a in self.arcs if a.kind == WORD}

    def stats(self) -> dict[str, int]:
        return {"nodes": self.nodes, "arcs": len(self.arcs), "words": len(self.words),
                "word_arcs": sum(1 for a in self.arcs if a.kind == WORD), "subgraphs": len(self.subs)}


@lru_cache(maxsize=64)
def _rule_expr(body: str) -> Expr:
    # The number module writes its rules in JSGF syntax, which the template syntax reads as is.
    return parse_template(body)


_SPOKEN_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")


class _Builder:
    def __init__(self, lang: LanguageGrammar) -> None:
        self.lang = lang
        self.code = base_language(lang.language)
        self.numbers = number_language(self.code)
        self.graph = WordGraph(lang.language)
        self.sub_index: dict[str, int] = {}
        self.node()  # 0: start
        self.node()  # 1: final

    def node(self) -> int:
        self.graph.out_arcs.append([])
        return len(self.graph.out_arcs) - 1

    def arc(self, src: int, dst: int, kind: int, **kw: Any) -> None:
        self.graph.out_arcs[src].append(len(self.graph.arcs))
        self.graph.arcs.append(Arc(src, dst, kind, **kw))

    def words(self, src: int, words: list[str], *, out: bool = True, number: bool = False) -> int:
        node = src
        for w in words:
            nxt = self.node()
            self.arc(node, nxt, WORD, word=w, out=out, number=number)
            node = nxt
        return node

    # ------------------------------------------------------------------ templates
    def expr(self, e: Expr, src: int) -> int:
        if isinstance(e, Words):
            return self.words(src, e.text.split())
        if isinstance(e, SlotRef):
            end = self.node()
            slot = self.lang.slot_name(e.list_name, e.slot_name)
            self.arc(src, end, CALL, sub=self.sub(e.list_name), slot=slot)
            return end
        if isinstance(e, RuleRef):
            return self.expr(self.lang.rules[e.name], src)
        if isinstance(e, Sequence):
            node = src
            for item in e.items:
                node = self.expr(item, node)
            return node
        assert isinstance(e, Alternative)
        end = self.node()
        for option in e.options:
            self.arc(self.expr(option, src), end, EPS)
        if e.optional:
            self.arc(src, end, EPS)
        return end

    # ------------------------------------------------------------------ lists
    def sub(self, list_name: str) -> int:
        if list_name in self.sub_index:
            return self.sub_index[list_name]
        lst = self.lang.lists[list_name]
        start, final = self.node(), self.node()
        index = len(self.graph.subs)
        self.sub_index[list_name] = index
        self.graph.subs.append(SubGraph(list_name, start, final, lst if isinstance(lst, RangeList) else None))
        if isinstance(lst, TextList):
            self.text_list(lst, start, final)
        else:
            self.range_list(lst, start, final)
        return index

    def form_wordings(self, form: str) -> list[list[str]]:
        """The form as written, and said in words when it holds digits or "&" ("S&P 500")."""
        written = form.replace("\u2019", "'").split()
        out = [written]
        if _SPOKEN_DIGITS.search(form) or "&" in form:
            joiner = {"fr": "et"}.get(self.code, "and")
            spoken: list[str] = []
            for w in written:
                if _SPOKEN_DIGITS.fullmatch(w) and self.numbers.spell_integer is not None:
                    value = float(w.replace(",", ".")) if ("." in w or "," in w) else int(w)
                    accents = ACCENTED.get(self.code, {})
                    spoken.extend(accents.get(x, x) for x in self.numbers.to_words(value).split())
                elif "&" in w:
                    parts = [p for p in w.split("&")]
                    for i, p in enumerate(parts):
                        if i:
                            spoken.append(joiner)
                        if p:
                            spoken.append(p)
                else:
                    spoken.append(w)
            if spoken != written:
                out.append(spoken)
        return out

    def text_list(self, lst: TextList, start: int, final: int) -> None:
        for value in lst.values:
            for form in value.forms:
                tagged = self.node()
                self.arc(start, tagged, EPS, tag=ValueTag(value.value, form))
                for wording in self.form_wordings(form):
                    if wording:
                        self.arc(self.words(tagged, wording, out=False), final, EPS)

    def range_list(self, lst: RangeList, start: int, final: int) -> None:
        begin, end = self.node(), self.node()
        self.arc(start, begin, EPS, tag=NumberStart())
        after_number = self.node()
        self.arc(begin, after_number, DIGITS, number=True, decimals=lst.kind != "integer", limit=lst.maximum)
        if self.numbers.spell_integer is not None:
            self.arc(self.number_expr(self.spoken_number(lst), begin), after_number, EPS)
        self.arc(after_number, end, EPS, tag=NumberEnd(lst.kind, lst.minimum, lst.maximum,
                                                       getattr(lst, "step", None)))
        if lst.kind == "percent":
            self.arc(end, final, WORD, word="%")
        else:
            self.arc(end, final, EPS)

    def spoken_number(self, lst: RangeList) -> str:
        """The number rule (JSGF syntax, `<rule>` refers to the number module's rules)."""
        top = min(lst.maximum, MAX_SPOKEN_INTEGER) if lst.kind == "integer" else lst.maximum
        zero = "<zero>"
        if top < 10:
            tier = f"<unit> | {zero}"
        elif top < 100:
            tier = f"<n99> | {zero}"
        elif top <= 100:
            tier = f"<n99> | <hundred> | {zero}"
        elif top < 1000:
            tier = f"<n999> | {zero}"
        elif top < 100_000:
            tier = "<int5>"
        else:
            tier = "<int>"
        word = self.numbers.decimal_word
        if lst.kind == "integer":
            return tier
        if lst.kind == "decimal":
            # Decimals digit by digit ("virgule deux cinq") or as a number ("virgule vingt-cinq").
            return f"({tier}) [{word} (<digit> [<digit>] | <n99>)]"
        # Percent: the number module's decimal rule over the tier.
        dec = self.numbers.jsgf["dec"].replace("<int>", f"({tier})")
        return dec

    def number_expr(self, body: str, src: int) -> int:
        return self._num(_rule_expr(body), src)

    def _num(self, e: Expr, src: int) -> int:
        if isinstance(e, Words):
            accents = ACCENTED.get(self.code, {})
            # The number's text is returned as a whole when it ends (NumberEnd), not word by word.
            return self.words(src, [accents.get(w, w) for w in e.text.split()], out=False, number=True)
        if isinstance(e, RuleRef):
            if e.name == "zero":
                return self.words(src, [ACCENTED.get(self.code, {}).get("zero", "zero")], out=False, number=True)
            if e.name == "hundred":
                return self.words(src, self.numbers.to_words(100).split(), out=False, number=True)
            return self._num(_rule_expr(self.numbers.jsgf[e.name]), src)
        if isinstance(e, Sequence):
            node = src
            for item in e.items:
                node = self._num(item, node)
            return node
        if isinstance(e, SlotRef):  # pragma: no cover - number rules have no slots
            raise ValueError("slot inside a number rule")
        assert isinstance(e, Alternative)
        end = self.node()
        for option in e.options:
            self.arc(self._num(option, src), end, EPS)
        if e.optional:
            self.arc(src, end, EPS)
        return end

    # ------------------------------------------------------------------ whole language
    def build(self) -> WordGraph:
        # The parser drops the language's skip words ("please", "mia", "s'il te plaît") anywhere;
        # a recogniser hears them before or after a command: one optional phrase each side.
        before, after = self.node(), self.node()
        self.arc(self.graph.start, before, EPS)
        self.arc(after, self.graph.final, EPS)
        for phrase in self.lang.skip_words:
            words = phrase.replace("\u2019", "'").split()
            if words:
                self.arc(self.words(self.graph.start, words), before, EPS)
                if words[-1].rstrip("'") not in _ELIDED_ENDS:
                    # (said last, never a phrase cut on an elision: "sortez, je vous serais reconnaissant d'")
                    self.arc(self.words(after, words), self.graph.final, EPS)
        for intent in self.lang.intents.values():
            for tpl in intent.templates:
                tagged = self.node()
                fixed = tuple(sorted(tpl.fixed_slots.items()))
                self.arc(before, tagged, EPS, tag=IntentTag(intent.name, fixed))
                self.arc(self.expr(tpl.expr, tagged), after, EPS)
        return self.graph


#: Words that only stand before another word (French elisions, written without their apostrophe in skip phrases:
#: "je vous prie d"): a skip phrase ending on one of them is heard before a command only.
_ELIDED_ENDS = frozenset({"d", "l", "j", "m", "t", "s", "n", "c", "qu"})


def word_graph(grammar: Grammar, lang: str) -> WordGraph:
    """The word graph of one language of a loaded grammar (see the module docstring)."""
    return _Builder(grammar.language(lang)).build()
