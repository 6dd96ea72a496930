"""The grammar's word graphs as an automaton over Whisper tokens, with meaning tracked on the way.

A search hypothesis is a token sequence; what the grammar makes of it is its *frontier*: the set
of automaton positions it can be in, each with the meaning gathered so far (intent, slot values,
the text of a number being read). Two hypotheses with the same frontier have the same futures and
the same meaning, so the search keeps only the better one (surface variants such as "2" / "deux"
/ "Deux" merge as soon as the word ends). A frontier with two different meanings at the final
state is an ambiguous sentence: the recogniser refuses it.

Words become tokens lazily, the first time the search reaches them (cached): each grammar word
has the spellings Whisper writes for it (see `spellings`), each after the separators its left
context allows (" " after a word, "" after an elision such as "l'", "-" inside a number written
in words). Numbers written in digits are read by a small character automaton (digits, a
thousands space, one or two "," / "." separators; "5 012,25" is ' 5', ' 0', '12', ',', '25' in
tokens) and the value is checked when the number ends (type, range, tick step). A comma may follow
any word outside a number ("Oui, je confirme").
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.grammar.graph import (
    CALL, DIGITS, EPS, WORD, Arc, IntentTag, NumberEnd, NumberStart, ValueTag, WordGraph,
)
from assistant.nlu.normalize import fold_accents, normalize
from assistant.nlu.numbers import number_language

from .whisper_tokenizer import WhisperTokenizer

# Positions at a node: BOUNDARY, or AFTER_COMMA (a comma was just written: no second one).
BOUNDARY, AFTER_COMMA = -1, -2

# Left contexts of a graph node (bit flags).
START, AFTER_WORD, ELIDED, IN_NUMBER = 1, 2, 4, 8

_ACRONYM = re.compile(r"[A-Z]{2,5}")
_LETTER = re.compile(r"[A-Za-z]")
PERCENT_SPELLINGS = {
    "fr": ("%", " %", " pour cent", " pourcent", " pour-cent"),
    "en": ("%", " %", " percent", " per cent"),
}

# An item: (position, meaning). Position: (node, BOUNDARY | AFTER_COMMA, call) at a node, (arc, p, call) inside a word's
# token trie or the digits automaton at state p >= 1; `call` is the CALL arc being inside a list's
# sub-graph, or -1. Meaning: (IntentTag | None, ((slot, value), ...), number text | None, out words).
Pos = tuple[int, int, int]
Sem = tuple[Any, tuple[tuple[str, Any], ...], str | None, tuple[str, ...]]
Item = tuple[Pos, Sem]


@dataclass(frozen=True)
class Frontier:
    lang: int  # index into TokenAutomaton.langs
    items: frozenset[Item]

    @property
    def empty(self) -> bool:
        return not self.items


@dataclass(frozen=True)
class Meaning:
    """What a finished path means: the language, the intent and every slot value."""

    lang: str
    intent: str
    slots: tuple[tuple[str, Any], ...]  # sorted by slot name

    def as_dict(self) -> dict[str, Any]:
        return dict(self.slots)


class _Trie:
    __slots__ = ("children", "terminal")

    def __init__(self) -> None:
        self.children: list[dict[int, int]] = [{}]
        self.terminal: list[bool] = [False]

    def add(self, tokens: Iterable[int]) -> None:
        node = 0
        for tok in tokens:
            nxt = self.children[node].get(tok)
            if nxt is None:
                nxt = len(self.children)
                self.children[node][tok] = nxt
                self.children.append({})
                self.terminal.append(False)
            node = nxt
        if node:
            self.terminal[node] = True


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


def spellings(word: str) -> list[str]:
    """How Whisper may write one grammar word (without the separator before it)."""
    out: list[str] = [word]

    def add(*forms: str) -> None:
        for form in forms:
            if form and form not in out:
                out.append(form)

    if _ACRONYM.fullmatch(word):
        letters = list(word)
        add(".".join(letters) + ".", ".".join(letters), " ".join(letters), "-".join(letters), word.lower(),
            _capitalised(word.lower()))
        return out
    if len(word) == 1 and word.isalpha():
        add(word.upper(), word.lower(), word.upper() + ".")
        return out
    if "-" in word.strip("-"):
        parts = word.split("-")
        add(" ".join(parts), "".join(parts))
    if "&" in word:
        add(word.upper(), word.lower(), word.replace("&", " & "), word.upper().replace("&", " & "))
    for form in list(out):
        add(_capitalised(form))
        folded = "".join(ch for ch in unicodedata.normalize("NFKD", form) if not unicodedata.combining(ch))
        add(folded, _capitalised(folded))
    return out


class _Digits:
    """Character automaton for a number written in digits, run token by token.

    State: (phase, run, grouped, seps): phase is "start" (a leading space is due), "space"
    (after it), "run" (in digits), "gap" (after a thousands space), "sep" (after "," or ".");
    run is the length of the current digit run (4 = more than 3); grouped says a thousands space
    was used (the runs after it have exactly 3 digits); seps counts the separators (at most 2:
    "5,012.25"). The value itself is checked when the number ends."""

    def __init__(self, tokenizer: WhisperTokenizer) -> None:
        self.tokens = [(tid, text) for tid, text in enumerate(tokenizer.token_texts)
                       if text and re.fullmatch(r" ?[\d.,]+", text) and any(c.isdigit() or c in ".," for c in text)]
        self.ids: dict[tuple[Any, ...], int] = {}
        self.states: list[tuple[Any, ...]] = [()]  # id 0 unused: ids are >= 1
        self.moves: dict[int, dict[int, int]] = {}
        self.allowed: dict[int, np.ndarray] = {}

    def state_id(self, state: tuple[Any, ...]) -> int:
        sid = self.ids.get(state)
        if sid is None:
            sid = len(self.states)
            self.ids[state] = sid
            self.states.append(state)
        return sid

    def start(self, leading_space: bool, decimals: bool) -> int:
        """Start state; without `decimals` no separator is allowed (an integer list: "8.0" or
        "1,000" are not quantities a trader says)."""
        return self.state_id(("start" if leading_space else "space", 0, False, 0 if decimals else 2))

    @staticmethod
    def _char(state: tuple[Any, ...], ch: str) -> tuple[Any, ...] | None:
        phase, run, grouped, seps = state
        if ch.isdigit():
            if phase == "run":
                if grouped and seps == 0 and run >= 3:
                    return None
                return ("run", min(run + 1, 4), grouped, seps)
            if phase in ("space", "gap", "sep"):
                return ("run", 1, grouped, seps)
            return None
        if ch == " ":
            if phase == "start":
                return ("space", 0, False, seps)
            if phase == "run" and seps == 0 and (run == 3 if grouped else run <= 3):
                return ("gap", 0, True, seps)
            return None
        if ch in ",." and phase == "run" and seps < 2 and (not grouped or run == 3):
            return ("sep", 0, grouped, seps + 1)
        return None

    def moves_from(self, sid: int) -> dict[int, int]:
        moves = self.moves.get(sid)
        if moves is None:
            moves = {}
            for tid, text in self.tokens:
                state: tuple[Any, ...] | None = self.states[sid]
                for ch in text:
                    state = self._char(state, ch) if state is not None else None
                    if state is None:
                        break
                if state is not None:
                    moves[tid] = self.state_id(state)
            self.moves[sid] = moves
            self.allowed[sid] = np.fromiter(sorted(moves), dtype=np.int64, count=len(moves))
        return moves

    def prepare(self) -> None:
        """Every reachable state's moves, computed once (a few hundred milliseconds)."""
        todo = [self.start(lead, dec) for lead in (True, False) for dec in (True, False)]
        while todo:
            sid = todo.pop()
            if sid in self.moves:
                continue
            todo.extend(n for n in self.moves_from(sid).values() if n not in self.moves)

    def accepting(self, sid: int) -> bool:
        phase, run, grouped, seps = self.states[sid]
        return phase == "run" and (not grouped or seps > 0 or run == 3)


_SEPARATORS = re.compile(r"[.,]")


def digits_prefix_ok(written: str, limit: float) -> bool:
    """Whether digits written so far can still become a number of at most `limit`: the whole
    part ("5 012" or "5,012" read as grouped thousands) not above it, at most 3 digits after a
    separator. Without this a beam follows "80", "8010", "801011"... which only fail at the end."""
    compact = written.replace(" ", "")
    parts = _SEPARATORS.split(compact)
    if len(parts) > 1 and len(parts[-1]) > 3:
        return False
    whole = parts[0]
    # "5,012" / "5.012" may be grouped thousands: count the groups of 3 as part of the whole.
    for part in parts[1:-1] if len(parts) > 2 else parts[1:] if len(parts) == 2 and len(parts[1]) == 3 else []:
        whole += part
    try:
        return not whole or int(whole) <= limit
    except ValueError:
        return False


def number_value(text: str, lang: str, end: NumberEnd) -> int | float | None:
    """The value of a number as written by the recogniser, if the list accepts it."""
    norm = normalize(text)
    if not norm:
        return None
    value = number_language(lang).parse(norm)
    if value is None:
        return None
    if end.kind == "integer":
        if isinstance(value, float):
            if not value.is_integer():
                return None
            value = int(value)
    if not end.minimum <= value <= end.maximum:
        return None
    if end.step:
        ratio = value / end.step
        if abs(ratio - round(ratio)) > 1e-6:
            return None
    return value


class TokenAutomaton:
    """All languages' word graphs over one tokenizer (see the module docstring)."""

    def __init__(self, graphs: dict[str, WordGraph], tokenizer: WhisperTokenizer) -> None:
        if not graphs:
            raise ValueError("no grammar language to recognise")
        self.langs = tuple(graphs)
        self.graphs = [graphs[lang] for lang in self.langs]
        self.tokenizer = tokenizer
        self.comma = tokenizer.encode(",")[0]
        self.contexts = [self._contexts(g) for g in self.graphs]
        self.digits = _Digits(tokenizer)
        self._tries: dict[tuple[str, bool, frozenset[str], str], _Trie] = {}
        self._arc_tries: list[dict[int, _Trie]] = [{} for _ in self.graphs]
        self._allowed: dict[Frontier, np.ndarray] = {}
        self._next: dict[tuple[Frontier, int], Frontier] = {}
        # Frontiers that also carry the grammar's output words (`text`): kept apart from the
        # search's, whose meanings do not hold words and so merge more.
        self._next_text: dict[tuple[Frontier, int], Frontier] = {}
        self._initial: dict[tuple[str, bool], Frontier] = {}
        # Per graph and node: token -> the arcs out of the node that can start with it (WORD arcs
        # whose trie starts with the token, DIGITS arcs whose automaton moves on it), in the
        # node's arc order; `advance` steps only those (it scanned every arc of every item).
        self._starts: list[dict[int, dict[int, tuple[int, ...]]]] = [{} for _ in self.graphs]
        self._meanings: dict[Frontier, frozenset[Meaning]] = {}

    # ------------------------------------------------------------------ compile-time
    @staticmethod
    def _contexts(graph: WordGraph) -> list[int]:
        """Left-context flags of every node (what the word before it can be), to a fixed point."""
        ctx = [0] * graph.nodes
        ctx[graph.start] = START
        changed = True
        while changed:
            changed = False
            for arc in graph.arcs:
                here = ctx[arc.src]
                if not here:
                    continue
                if arc.kind == EPS:
                    # A number's first word follows no number word, whatever came before the call.
                    updates = [(arc.dst, here & ~IN_NUMBER if isinstance(arc.tag, NumberStart) else here)]
                elif arc.kind == WORD:
                    flag = ELIDED if arc.word.endswith("'") else IN_NUMBER if arc.number else AFTER_WORD
                    updates = [(arc.dst, flag)]
                elif arc.kind == DIGITS:
                    updates = [(arc.dst, AFTER_WORD)]
                else:
                    sub = graph.subs[arc.sub]
                    updates = [(sub.start, here), (arc.dst, ctx[sub.final])]
                for node, flag in updates:
                    if flag and ctx[node] | flag != ctx[node]:
                        ctx[node] |= flag
                        changed = True
        return ctx

    def _separators(self, g: int, arc: Arc) -> frozenset[str]:
        ctx = self.contexts[g][arc.src]
        seps = {" "}
        if ctx & ELIDED:
            seps.add("")
        if arc.number and ctx & IN_NUMBER:
            seps.add("-")
        return frozenset(seps)

    def trie(self, g: int, ai: int) -> _Trie:
        """The token trie of a word arc (all spellings after all allowed separators)."""
        cached = self._arc_tries[g].get(ai)
        if cached is not None:
            return cached
        arc = self.graphs[g].arcs[ai]
        lang = self.langs[g]
        seps = self._separators(g, arc)
        key = (arc.word, arc.number, seps, lang if arc.word == "%" else "")
        trie = self._tries.get(key)
        if trie is None:
            trie = _Trie()
            if arc.word == "%":
                for form in PERCENT_SPELLINGS.get(lang.split("-")[0], PERCENT_SPELLINGS["en"]):
                    trie.add(self.tokenizer.encode(form))
            else:
                for sep in sorted(seps):
                    for form in spellings(arc.word):
                        trie.add(self.tokenizer.encode(sep + form))
            self._tries[key] = trie
        self._arc_tries[g][ai] = trie
        return trie

    def prepare(self) -> None:
        """Build every word's token trie and the digits automaton now rather than during the
        first utterances (the compile step; timed by bench/asr_compare.py)."""
        for g, graph in enumerate(self.graphs):
            for ai, arc in enumerate(graph.arcs):
                if arc.kind == WORD:
                    self.trie(g, ai)
        self.digits.prepare()

    # ------------------------------------------------------------------ meaning
    def _apply(self, g: int, tag: Any, sem: Sem, call: int) -> Sem | None:
        intent, slots, buf, out = sem
        if tag is None:
            return sem
        if isinstance(tag, IntentTag):
            return (tag, (), None, out)
        graph = self.graphs[g]
        if isinstance(tag, ValueTag):
            slot = graph.arcs[call].slot
            return (intent, slots + ((slot, tag.value),), buf, out + (tag.text,) if out is not None else out)
        if isinstance(tag, NumberStart):
            return (intent, slots, "", out)
        assert isinstance(tag, NumberEnd)
        if buf is None:
            return None
        value = number_value(buf, self.langs[g], tag)
        if value is None:
            return None
        slot = graph.arcs[call].slot
        return (intent, slots + ((slot, value),), None, out + (buf.strip(),) if out is not None else out)

    def meaning(self, g: int, sem: Sem) -> Meaning | None:
        tag, slots, buf, _ = sem
        if tag is None or buf is not None:
            return None
        merged = dict(tag.fixed)
        merged.update(slots)
        return Meaning(self.langs[g], tag.intent, tuple(sorted(merged.items())))

    # ------------------------------------------------------------------ automaton
    def _closure(self, g: int, seeds: Iterable[tuple[int, int, Sem]]) -> set[Item]:
        graph = self.graphs[g]
        stack = list(seeds)
        seen: set[tuple[int, int, Sem]] = set()
        out: set[Item] = set()
        while stack:
            entry = stack.pop()
            if entry in seen:
                continue
            seen.add(entry)
            node, call, sem = entry
            if call >= 0 and node == graph.subs[graph.arcs[call].sub].final:
                stack.append((graph.arcs[call].dst, -1, sem))
                continue
            if node == graph.final and call < 0:
                out.add(((node, -1, -1), sem))
            consuming = False
            for ai in graph.out_arcs[node]:
                arc = graph.arcs[ai]
                if arc.kind == EPS:
                    nxt = self._apply(g, arc.tag, sem, call)
                    if nxt is not None:
                        stack.append((arc.dst, call, nxt))
                elif arc.kind == CALL:
                    if call < 0:
                        stack.append((graph.subs[arc.sub].start, ai, sem))
                else:
                    consuming = True
            if consuming:
                out.add(((node, -1, call), sem))
        return out

    def initial(self, lang: str, *, with_text: bool = False) -> Frontier:
        key = (lang, with_text)
        cached = self._initial.get(key)
        if cached is None:  # the start's closure: tens of milliseconds on a large grammar
            g = self.langs.index(lang)
            sem: Sem = (None, (), None, () if with_text else None)  # type: ignore[assignment]
            cached = self._initial[key] = Frontier(g, frozenset(self._closure(g, [(self.graphs[g].start, -1, sem)])))
        return cached

    def allowed(self, frontier: Frontier) -> np.ndarray:
        """Token ids that continue at least one item of the frontier (sorted)."""
        cached = self._allowed.get(frontier)
        if cached is not None:
            return cached
        g = frontier.lang
        graph = self.graphs[g]
        ids: set[int] = set()
        arrays: list[np.ndarray] = []
        for (a, p, call), sem in frontier.items:
            if p < 0:
                if a == graph.final and call < 0:
                    continue
                if p == BOUNDARY and sem[2] is None and a != graph.start:
                    ids.add(self.comma)
                for ai in graph.out_arcs[a]:
                    arc = graph.arcs[ai]
                    if arc.kind == WORD:
                        ids.update(self.trie(g, ai).children[0])
                    elif arc.kind == DIGITS:
                        sid = self._digits_start(g, arc)
                        self.digits.moves_from(sid)
                        arrays.append(self.digits.allowed[sid])
            elif graph.arcs[a].kind == WORD:
                ids.update(self.trie(g, a).children[p])
            else:
                self.digits.moves_from(p)
                arrays.append(self.digits.allowed[p])
        result = np.unique(np.concatenate([np.fromiter(ids, dtype=np.int64, count=len(ids)), *arrays]))
        if len(self._allowed) > 50_000:
            self._allowed.clear()
        self._allowed[frontier] = result
        return result

    def _digits_start(self, g: int, arc: Arc) -> int:
        return self.digits.start(not self.contexts[g][arc.src] & ELIDED, arc.decimals)

    def advance(self, frontier: Frontier, token: int) -> Frontier:
        """The frontier after one more token (empty when the grammar does not allow it)."""
        key = (frontier, token)
        cached = self._next.get(key)
        if cached is not None:
            return cached
        g = frontier.lang
        graph = self.graphs[g]
        text = self.tokenizer.token_texts[token]
        items: set[Item] = set()
        done: list[tuple[int, int, Sem]] = []
        for (a, p, call), sem in frontier.items:
            if p < 0:
                if a == graph.final and call < 0:
                    continue
                if token == self.comma and p == BOUNDARY and sem[2] is None and a != graph.start:
                    items.add(((a, AFTER_COMMA, call), sem))
                    continue
                for ai in self._arcs_starting(g, a).get(token, ()):
                    arc = graph.arcs[ai]
                    if arc.kind == WORD:
                        self._step_word(g, ai, 0, call, sem, token, text, items, done)
                    else:
                        self._step_digits(g, ai, self._digits_start(g, arc), call, sem, token, text, items, done)
            elif graph.arcs[a].kind == WORD:
                self._step_word(g, a, p, call, sem, token, text, items, done)
            else:
                self._step_digits(g, a, p, call, sem, token, text, items, done)
        if done:
            items |= self._closure(g, done)
        result = Frontier(g, frozenset(items))
        if len(self._next) > 200_000:
            self._next.clear()
        self._next[key] = result
        return result

    def _arcs_starting(self, g: int, node: int) -> dict[int, tuple[int, ...]]:
        """Token -> the consuming arcs out of `node` whose first token it can be (see `_starts`)."""
        index = self._starts[g].get(node)
        if index is None:
            graph = self.graphs[g]
            lists: dict[int, list[int]] = {}
            for ai in graph.out_arcs[node]:
                arc = graph.arcs[ai]
                if arc.kind == WORD:
                    firsts: Iterable[int] = self.trie(g, ai).children[0]
                elif arc.kind == DIGITS:
                    firsts = self.digits.moves_from(self._digits_start(g, arc))
                else:
                    continue
                for tok in firsts:
                    lists.setdefault(tok, []).append(ai)
            index = self._starts[g][node] = {tok: tuple(arcs) for tok, arcs in lists.items()}
        return index

    def _step_word(self, g: int, ai: int, p: int, call: int, sem: Sem, token: int, text: str,
                   items: set[Item], done: list[tuple[int, int, Sem]]) -> None:
        trie = self.trie(g, ai)
        child = trie.children[p].get(token)
        if child is None:
            return
        intent, slots, buf, out = sem
        if buf is not None:
            sem = (intent, slots, buf + text, out)
        if trie.children[child]:
            items.add(((ai, child, call), sem))
        if trie.terminal[child]:
            arc = self.graphs[g].arcs[ai]
            if out is not None and arc.out:
                sem = (sem[0], sem[1], sem[2], out + (arc.word,))
            done.append((arc.dst, call, sem))

    def _step_digits(self, g: int, ai: int, p: int, call: int, sem: Sem, token: int, text: str,
                     items: set[Item], done: list[tuple[int, int, Sem]]) -> None:
        nxt = self.digits.moves_from(p).get(token)
        if nxt is None:
            return
        intent, slots, buf, out = sem
        written = (buf or "") + text
        arc = self.graphs[g].arcs[ai]
        if not digits_prefix_ok(written, arc.limit):
            return
        sem = (intent, slots, written, out)
        items.add(((ai, nxt, call), sem))
        if self.digits.accepting(nxt):
            done.append((arc.dst, call, sem))

    def finals(self, frontier: Frontier) -> list[Sem]:
        graph = self.graphs[frontier.lang]
        return [sem for (a, p, call), sem in frontier.items if p < 0 and a == graph.final and call < 0]

    def meanings(self, frontier: Frontier) -> set[Meaning]:
        cached = self._meanings.get(frontier)
        if cached is None:
            found = (self.meaning(frontier.lang, sem) for sem in self.finals(frontier))
            cached = frozenset(m for m in found if m is not None)
            if len(self._meanings) > 200_000:
                self._meanings.clear()
            self._meanings[frontier] = cached
        return set(cached)

    def text(self, lang: str, tokens: Iterable[int], meaning: Meaning) -> str | None:
        """The grammar's words for a token path with that meaning: the text the parser reads."""
        frontier = self.initial(lang, with_text=True)
        for tok in tokens:
            frontier = self._advance_uncached(frontier, tok)
            if frontier.empty:
                return None
        for sem in self.finals(frontier):
            if self.meaning(frontier.lang, sem) == meaning:
                return " ".join(sem[3])
        return None

    def _advance_uncached(self, frontier: Frontier, token: int) -> Frontier:
        """`advance` with the cache of text-carrying frontiers (not the search's)."""
        saved = self._next
        if len(self._next_text) > 50_000:
            self._next_text.clear()
        self._next = self._next_text
        try:
            return self.advance(frontier, token)
        finally:
            self._next = saved
