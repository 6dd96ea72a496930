"""The words a command frame may hold, per intent (session 16, helper nlu34).

The frames accept a command from its cue words; a word no grammar knows refuses it. A word some grammar
knows but that belongs to ANOTHER request was passed over: "buy one ES open", "buy one ES positions", "sell 2
MNQ regime" were orders. A general rule refusing any known word cost 1 to 8 points on some forty corpora
(harmless words of the language are known too). So the check is per intent: a word a command frame reads
without a cue must be a word of that intent's own templates (with the rules they use), of any language (traders
mix), a skip word, or one of the intent's `command_words` (frames key: harmless words the templates do not
spell, listed as data). Likewise a cue of a category the frame does not read ("buy 1 ES *agents*": the ensemble;
"buy 1 ES *activate*": a switch; "close ES *quotes*") refuses the command: `command_cues` (frames key) lists, per
intent, the cue categories ("side", "weak:positions") its frame may hold; the categories the frame reads and
refuses itself (negations, conditions…) are listed too, so that its own, more precise reason is given.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from assistant.grammar.template import Alternative, Expr, RuleRef, Sequence as Seq, Words
from assistant.nlu.normalize import normalize

#: The frames key this module reads: {intent: [words]}.
INTENT_WORDS_KEYS = frozenset({"command_words", "command_cues"})

#: The command intents whose frames are checked.
COMMAND_INTENTS = ("place_trade", "close_positions", "set_risk")


def _expr_words(comp: Any, expr: Expr, out: set[str], seen: set[str]) -> None:
    """Literal words of `expr`, the rules it names expanded (each once)."""
    if isinstance(expr, Words):
        comp.literal_words(expr, out)
    elif isinstance(expr, RuleRef):
        if expr.name not in seen and expr.name in comp.grammar.rules:
            seen.add(expr.name)
            _expr_words(comp, comp.grammar.rules[expr.name], out, seen)
    elif isinstance(expr, Seq):
        for item in expr.items:
            _expr_words(comp, item, out, seen)
    elif isinstance(expr, Alternative):
        for option in expr.options:
            _expr_words(comp, option, out, seen)


def intent_vocabularies(languages: Iterable[Any], frames: Mapping[str, Mapping[str, Any]]
                        ) -> dict[str, frozenset[str]]:
    """intent -> the words its command frame may hold without a cue (every language's, merged)."""
    words: dict[str, set[str]] = {intent: set() for intent in COMMAND_INTENTS}
    for comp in languages:
        skip = {w for phrase in comp.grammar.skip_words for w in normalize(phrase).split()}
        for intent, out in words.items():
            out.update(skip)
            spec = comp.grammar.intents.get(intent)
            if spec is None:
                continue
            for tpl in spec.templates:
                _expr_words(comp, tpl.expr, out, set())
    for section in frames.values():
        extra = section.get("command_words") or {}
        if not isinstance(extra, Mapping):
            raise ValueError("frames command_words: expected a mapping of intent to words")
        for intent, listed in extra.items():
            if intent not in words:
                raise ValueError(f"frames command_words: '{intent}' is not one of {', '.join(COMMAND_INTENTS)}")
            for phrase in listed:
                words[intent].update(normalize(str(phrase)).split())
    return {intent: frozenset(out) for intent, out in words.items()}


def intent_cues(frames: Mapping[str, Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """intent -> the cue categories its command frame may hold (`command_cues`, merged over languages);
    an intent not listed is not checked."""
    cues: dict[str, set[str]] = {}
    for section in frames.values():
        listed = section.get("command_cues") or {}
        if not isinstance(listed, Mapping):
            raise ValueError("frames command_cues: expected a mapping of intent to cue categories")
        for intent, categories in listed.items():
            if intent not in COMMAND_INTENTS:
                raise ValueError(f"frames command_cues: '{intent}' is not one of {', '.join(COMMAND_INTENTS)}")
            cues.setdefault(intent, set()).update(str(c) for c in categories)
    return {intent: frozenset(out) for intent, out in cues.items()}


def foreign_cue(categories: Iterable[str], allowed: frozenset[str]) -> str | None:
    """The first cue category ("weak:ensemble_weights") neither allowed itself nor by its kind ("weak")."""
    for category in categories:
        if category not in allowed and category.partition(":")[0] not in allowed:
            return category
    return None


def foreign_words(plain: Sequence[str], allowed: frozenset[str]) -> list[str]:
    """The words of `plain` (known words no cue read) that the intent's frame may not hold."""
    return [word for word in plain if word not in allowed]
