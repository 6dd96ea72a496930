"""Walking template trees: rule inlining, slot analysis and *bounded* expansion.

A template such as "[please] (buy|sell) {quantity} [contracts] [of] {symbol}" stands for many
sentences. Consumers that need concrete sentences (the fuzzy matcher's carrier phrases, the
Vosk phrase list, test generation) get them from here, always with an explicit limit so that a
grammar with many optional words can never explode in size.
"""
from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Mapping

from assistant.grammar.template import Alternative, Expr, RuleRef, Sequence, SlotRef, Words

__all__ = [
    "Part", "iter_expansions", "random_expansion", "sample_expansions", "shortest_expansion",
    "core_expansions", "representative_expansions",
    "count_expansions",
    "guaranteed_slot_refs", "possible_slot_refs", "rule_refs",
]

#: One element of an expanded sentence: literal text (as written) or a slot reference.
Part = str | SlotRef


def rule_refs(expr: Expr) -> set[str]:
    """Names of the rules referenced directly by `expr`."""
    if isinstance(expr, RuleRef):
        return {expr.name}
    if isinstance(expr, Sequence):
        return set().union(*(rule_refs(e) for e in expr.items))
    if isinstance(expr, Alternative):
        return set().union(*(rule_refs(e) for e in expr.options))
    return set()


def guaranteed_slot_refs(expr: Expr, rules: Mapping[str, Expr]) -> set[SlotRef]:
    """Slot references present in *every* sentence of `expr`."""
    if isinstance(expr, SlotRef):
        return {expr}
    if isinstance(expr, RuleRef):
        return guaranteed_slot_refs(rules[expr.name], rules)
    if isinstance(expr, Sequence):
        return set().union(*(guaranteed_slot_refs(e, rules) for e in expr.items))
    if isinstance(expr, Alternative):
        if expr.optional:
            return set()
        sets = [guaranteed_slot_refs(e, rules) for e in expr.options]
        return set.intersection(*sets)
    return set()


def possible_slot_refs(expr: Expr, rules: Mapping[str, Expr]) -> set[SlotRef]:
    """Slot references present in at least one sentence of `expr`."""
    if isinstance(expr, SlotRef):
        return {expr}
    if isinstance(expr, RuleRef):
        return possible_slot_refs(rules[expr.name], rules)
    if isinstance(expr, Sequence):
        return set().union(*(possible_slot_refs(e, rules) for e in expr.items))
    if isinstance(expr, Alternative):
        return set().union(*(possible_slot_refs(e, rules) for e in expr.options))
    return set()


def count_expansions(expr: Expr, rules: Mapping[str, Expr]) -> int:
    """Number of distinct paths through `expr` (slots count as one each)."""
    if isinstance(expr, RuleRef):
        return count_expansions(rules[expr.name], rules)
    if isinstance(expr, Sequence):
        total = 1
        for item in expr.items:
            total *= count_expansions(item, rules)
        return total
    if isinstance(expr, Alternative):
        return sum(count_expansions(e, rules) for e in expr.options) + (1 if expr.optional else 0)
    return 1


def _expand(expr: Expr, rules: Mapping[str, Expr]) -> Iterator[tuple[Part, ...]]:
    if isinstance(expr, Words):
        yield (expr.text,)
    elif isinstance(expr, SlotRef):
        yield (expr,)
    elif isinstance(expr, RuleRef):
        yield from _expand(rules[expr.name], rules)
    elif isinstance(expr, Sequence):
        # Lazy product: itertools.product would materialise every sub-expansion first.
        def rec(index: int) -> Iterator[tuple[Part, ...]]:
            if index == len(expr.items):
                yield ()
                return
            for head in _expand(expr.items[index], rules):
                for tail in rec(index + 1):
                    yield head + tail
        yield from rec(0)
    elif isinstance(expr, Alternative):
        # The "full" forms first (optional parts present), then the short form: when a limit
        # cuts the list, the richer sentences are the ones kept.
        for option in expr.options:
            yield from _expand(option, rules)
        if expr.optional:
            yield ()


def iter_expansions(expr: Expr, rules: Mapping[str, Expr], limit: int) -> Iterator[tuple[Part, ...]]:
    """At most `limit` sentences of `expr`, in a deterministic order."""
    return itertools.islice(_expand(expr, rules), limit)


def shortest_expansion(expr: Expr, rules: Mapping[str, Expr]) -> tuple[Part, ...]:
    """The sentence with every optional part left out and the shortest alternative taken."""
    if isinstance(expr, Words):
        return (expr.text,)
    if isinstance(expr, SlotRef):
        return (expr,)
    if isinstance(expr, RuleRef):
        return shortest_expansion(rules[expr.name], rules)
    if isinstance(expr, Sequence):
        out: tuple[Part, ...] = ()
        for item in expr.items:
            out += shortest_expansion(item, rules)
        return out
    assert isinstance(expr, Alternative)
    if expr.optional:
        return ()
    options = [shortest_expansion(o, rules) for o in expr.options]
    return min(options, key=lambda parts: sum(len(p) if isinstance(p, str) else 1 for p in parts))


def sample_expansions(expr: Expr, rules: Mapping[str, Expr], limit: int, seed: int = 0) -> list[tuple[Part, ...]]:
    """At most `limit` distinct sentences of `expr`, deterministic for a given seed.

    All of them when there are few enough; otherwise the shortest sentence, then seeded
    random ones drawn with a varying chance of keeping optional parts (10 % to 90 %), so that
    both terse and wordy phrasings are represented. A plain prefix of the enumeration would
    only vary the last choice points and never the first ones.
    """
    if count_expansions(expr, rules) <= limit:
        return list(iter_expansions(expr, rules, limit))
    rng = random.Random(seed)
    seen: dict[tuple[Part, ...], None] = {shortest_expansion(expr, rules): None}
    densities = (0.1, 0.3, 0.5, 0.7, 0.9)
    attempts = 0
    while len(seen) < limit and attempts < limit * 4:
        seen.setdefault(random_expansion(expr, rules, rng, densities[attempts % len(densities)]), None)
        attempts += 1
    return list(seen)


def random_expansion(expr: Expr, rules: Mapping[str, Expr], rng: random.Random,
                     keep_optional: float = 0.5) -> tuple[Part, ...]:
    """One sentence of `expr` chosen at random: each optional part is kept with probability
    `keep_optional`, each alternative is uniform."""
    if isinstance(expr, Words):
        return (expr.text,)
    if isinstance(expr, SlotRef):
        return (expr,)
    if isinstance(expr, RuleRef):
        return random_expansion(rules[expr.name], rules, rng, keep_optional)
    if isinstance(expr, Sequence):
        out: tuple[Part, ...] = ()
        for item in expr.items:
            out += random_expansion(item, rules, rng, keep_optional)
        return out
    assert isinstance(expr, Alternative)
    if expr.optional and rng.random() >= keep_optional:
        return ()
    return random_expansion(expr.options[rng.randrange(len(expr.options))], rules, rng, keep_optional)


def _expand_core(expr: Expr, rules: Mapping[str, Expr]) -> Iterator[tuple[Part, ...]]:
    """Sentences of `expr` with every optional part left out, each required choice varied."""
    if isinstance(expr, (Words, SlotRef)):
        yield (expr.text,) if isinstance(expr, Words) else (expr,)
    elif isinstance(expr, RuleRef):
        yield from _expand_core(rules[expr.name], rules)
    elif isinstance(expr, Sequence):
        def rec(index: int) -> Iterator[tuple[Part, ...]]:
            if index == len(expr.items):
                yield ()
                return
            for head in _expand_core(expr.items[index], rules):
                for tail in rec(index + 1):
                    yield head + tail
        yield from rec(0)
    elif isinstance(expr, Alternative):
        if expr.optional:
            yield ()
        else:
            for option in expr.options:
                yield from _expand_core(option, rules)


def core_expansions(expr: Expr, rules: Mapping[str, Expr], limit: int) -> list[tuple[Part, ...]]:
    """At most `limit` sentences of `expr` without any optional part ("place buy order for
    {quantity} {symbol}"), every required alternative varied: the plain core of a template."""
    return list(dict.fromkeys(itertools.islice(_expand_core(expr, rules), limit)))


def representative_expansions(expr: Expr, rules: Mapping[str, Expr], limit: int,
                              seed: int = 0) -> list[tuple[Part, ...]]:
    """At most `limit` distinct sentences of `expr` that represent how it is usually said: the
    plain cores first (half of the budget at most), then seeded random sentences that keep
    few optional parts. A broad template ("[<polite>] <verb> [a|an] [new] {side} …") has far
    more sentences than any budget; a uniform sample of them would almost never hold the
    short, common forms that misheard speech must be compared with."""
    if count_expansions(expr, rules) <= limit:
        return list(iter_expansions(expr, rules, limit))
    chosen: dict[tuple[Part, ...], None] = dict.fromkeys(core_expansions(expr, rules, max(1, limit // 2)))
    rng = random.Random(seed)
    densities = (0.1, 0.2, 0.3, 0.5, 0.7)
    attempts = 0
    while len(chosen) < limit and attempts < limit * 4:
        chosen.setdefault(random_expansion(expr, rules, rng, densities[attempts % len(densities)]), None)
        attempts += 1
    return list(chosen)
