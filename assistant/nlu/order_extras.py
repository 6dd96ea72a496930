"""Orders carrying what MIA cannot honour: say why they are refused.

MIA places one market or limit order at a time, now. A trader says more: a stop-loss ("achète 2 ES
avec un stop à 5950"), a take-profit ("buy 2 ES target 6000"), a time ("à l'ouverture", "tomorrow
morning"), a condition ("si ça casse 5900", "when it hits 21000"), two commands in one sentence
("ferme l'ES et achète 2 MNQ"), an order type or an execution instruction it does not have
(`order_type`: "post only", "fill or kill", iceberg, TWAP, "en deux fois"), names a window as its object
(`object`: "close the ES chart", "ferme l'onglet MNQ"), or talks of an order it does not give (`indirect`: "avoid buying 2 ES",
"schedule a buy of 2 ES", "rappelle-moi d'acheter 2 ES"). Executing such an order without the part would be a different order,
so every stage refuses it already; this module only names WHY, so the dialogue can say it
("MIA cannot attach a stop to an order…") instead of a bare "not understood".

It runs last, on a sentence every stage refused (or found incomplete: "achète des ES à l'ouverture"
must not ask the quantity and then drop the time), and changes only the refusal's reason to
`unsupported_<kind>`: it never makes a sentence understood. A kind is named when the sentence holds
an order word (a side of the grammar's `side` list, or a close keyword) and one of the kind's cue
phrases (`order_extras:` in the grammars' `frames:` sections, by kind), or — for `two_orders` — when
a joining word (`order_joins`) splits it into two parts that are each a command.

It also finds an order that states two incompatible things (`contradiction`), whatever stage read
it: a market order with a price or a limit ("buy 2 ES limit at market": the frames' `market_order`
phrases with a price, or a `limit_words` word said outside them), or a side word of the grammars
(or a `chat_sides` abbreviation opening a ticket: "b 2 es short") other than the side read. Such an
order is refused, never resolved by picking one; a self-correction (a `corrections` marker: "vends 2
ES non achète 2 ES") says which one stands, and is left to the stages that read it.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from assistant.nlu.compiled import CompiledLanguage
from assistant.nlu.normalize import normalize
from assistant.nlu.result import ParseResult

__all__ = ["EXTRAS_KEYS", "EXTRA_KINDS", "OrderExtras", "chat_side_values"]

#: The `frames:` keys this module reads (the frame matcher leaves them alone).
EXTRAS_KEYS = frozenset({"order_extras", "order_joins", "market_order_words", "command_times", "command_levels",
                         "order_unfinished", "order_unfinished_except", "order_spans", "clock_suffixes", "skip_times"})

#: The kinds, in the order they are looked for (the first found is named).
EXTRA_KINDS = ("stop", "target", "order_type", "time", "condition", "indirect", "object")

#: Commands that count as one of two orders said together.
_COMMANDS = frozenset({"place_trade", "close_positions", "halt", "resume", "set_risk", "reduce_only",
                       "autopilot_mode"})

#: A clock time typed as one token: "16h", "9h30", "4pm", "10am".
_CLOCK = re.compile(r"\d{1,2}(?:h\d{0,2}|am|pm)")

#: Commands cut off when said last a word that ties what follows (`order_unfinished`).
_UNFINISHED_CHECKED = frozenset({"place_trade", "close_positions"})

#: Kinds said of the command's own object only: an aside may talk of them ("sell one ES, the chart looks heavy").
_OF_COMMAND_ONLY = frozenset({"object"})

#: Kinds that belong to a new order only (a close has no stop); the others go with a close too.
_ORDER_ONLY = frozenset({"stop", "target"})


def chat_side_values(frames: Mapping[str, Mapping[str, Any]],
                     compiled: Mapping[str, CompiledLanguage]) -> dict[str, frozenset[str]]:
    """Each chat abbreviation of a side (`chat_sides`: "b", "vds", "shrt") -> the side values it stands
    for in the grammars ({"SELL"}); read by the contradiction check and the typo fixer alike."""
    values: dict[str, set[str]] = {}
    for section in frames.values():
        for word, shorts in (section.get("chat_sides") or {}).items():
            sides = {value for comp in compiled.values()
                     if (value := comp.text_values.get("side", {}).get(normalize(str(word)))) is not None}
            for short in _strings(shorts):
                values.setdefault(normalize(short), set()).update(sides)
    return {short: frozenset(sides) for short, sides in values.items()}


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or ())


class _Cues:
    """Normalised cue phrases, found anywhere in a token list."""

    def __init__(self, phrases: Sequence[str]) -> None:
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            words = tuple(normalize(phrase).split())
            if words:
                self._by_first.setdefault(words[0], []).append(words)

    def positions(self, tokens: Sequence[str]) -> list[tuple[int, int]]:
        """(start, size) of every cue said (a new list: callers extend it)."""
        if self._by_first.keys().isdisjoint(tokens):
            return []  # (the cheap gate, in C: no word said begins a cue, as in most sentences)
        found = []
        for i, token in enumerate(tokens):
            for words in self._by_first.get(token, ()):
                if tuple(tokens[i:i + len(words)]) == words:
                    found.append((i, len(words)))
        return found

    def __bool__(self) -> bool:
        return bool(self._by_first)


class OrderExtras:
    """Names the part of a refused order that MIA cannot honour."""

    def __init__(self, compiled: Mapping[str, CompiledLanguage], frames: Mapping[str, Mapping[str, Any]]) -> None:
        by_kind: dict[str, list[str]] = {kind: [] for kind in EXTRA_KINDS}
        joins: list[str] = []
        for code, section in frames.items():
            extras = section.get("order_extras") or {}
            if not isinstance(extras, dict) or set(extras) - set(EXTRA_KINDS):
                raise ValueError(f"frames ({code}) order_extras: expected a mapping of "
                                 f"{', '.join(EXTRA_KINDS)} to cue phrases")
            for kind, cues in extras.items():
                by_kind[kind].extend(_strings(cues))
            joins.extend(_strings(section.get("order_joins")))
        self._kinds = {kind: _Cues(cues) for kind, cues in by_kind.items() if cues}
        self._joins = _Cues(joins)
        #: Times said of the command only (`command_times`: "ce matin", "overnight"), a description in a comment
        #: said before it ("le marché est lourd ce matin, vends 2 ES").
        self._command_times = _Cues([p for section in frames.values() for p in _strings(section.get("command_times"))])
        #: Times made only of skip words (`skip_times`: South African "just now", in a while): the skip words are
        #: dropped before the cues are read, so these are looked for in the words as said.
        self._skip_times = _Cues([p for section in frames.values() for p in _strings(section.get("skip_times"))])
        #: Levels said of the command only (`command_levels`: "at the vwap", "au support"), a description in a
        #: comment or an aside ("…, c'est le support d'hier").
        self._command_levels = _Cues([p for section in frames.values() for p in _strings(section.get("command_levels"))])
        #: Spans a new order is said to be "for" (`order_spans`: "buy 3 MNQ for the week": good for the week?): a
        #: time of an order only; a close said so is one now ("close everything for the weekend").
        self._order_spans = _Cues([p for section in frames.values() for p in _strings(section.get("order_spans"))])
        #: Words that make a clock time of the number said right before them (`clock_suffixes`: "at 10 am"; "I am
        #: buying 2 ES" says none), and the number words they may follow.
        self._clock_suffixes = frozenset(normalize(w) for section in frames.values()
                                         for w in _strings(section.get("clock_suffixes")))
        self._number_words = frozenset().union(*(comp.numbers.words for comp in compiled.values())) \
            if self._clock_suffixes else frozenset()
        #: One-word sides by value (of every language): a side said, and which (`contradiction`).
        self._side_values = {form: value for comp in compiled.values()
                             for form, value in comp.text_values.get("side", {}).items() if " " not in form}
        self._sides = frozenset(self._side_values)
        self._closes = frozenset(word for comp in compiled.values()
                                 for word in comp.keywords.get("close_positions", ()))
        #: Each command's keywords (of every language), the sides too for an order: where a command starts.
        self._command_words = {intent: frozenset(word for comp in compiled.values()
                                                 for word in comp.keywords.get(intent, ()))
                               | (self._sides if intent == "place_trade" else frozenset())
                               for intent in _COMMANDS}
        # Contradictions (`contradiction`): a ticket's side abbreviations, the market-order phrases, the
        # limit words, the correction markers (of every language).
        self._ticket_sides = chat_side_values(frames, compiled)
        self._market_orders = _Cues([p for section in frames.values() for p in _strings(section.get("market_order"))])
        #: A market order said in one word ("mkt", "market": also a market's label) only last, or before a
        #: limit or a price ("sell 1 MNQ at 21000 market").
        self._market_words = frozenset(normalize(p) for section in frames.values()
                                       for p in _strings(section.get("market_order_words")))
        #: The last word of each market-order phrase, and the one-word ones: the gate ("at", "au" are common).
        self._market_gate = frozenset(words[-1] for entries in self._market_orders._by_first.values()
                                      for words in entries) | self._market_words
        self._limits = _Cues([p for section in frames.values() for p in _strings(section.get("limit_words"))])
        self._corrections = _Cues([p for section in frames.values() for p in _strings(section.get("corrections"))])
        #: Every cue by its first word, with its kind ("stop"…) or, for a command's own, the kind it says
        #: ("time" for `command_times`, "condition" for `command_levels`, tagged apart): `said` in one pass.
        self._tagged: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for tag, cues in [*self._kinds.items(), ("time+", self._command_times), ("condition+", self._command_levels),
                          ("span", self._order_spans)]:
            for first, entries in cues._by_first.items():
                self._tagged.setdefault(first, []).extend((entry, tag) for entry in entries)
        #: One word of each cue `said` reads, its longest (long words are rare ones), of two as long the one
        #: fewer cues hold ("top" of "the top", not "the"): the gate. A cue is said only where each of its
        #: words is.
        cue_words = Counter(word for entries in self._tagged.values() for entry, _ in entries for word in entry)
        self._anchors = frozenset(max(entry, key=lambda w: (len(w), -cue_words[w]))
                                  for entries in self._tagged.values() for entry, _ in entries) | self._clock_suffixes
        #: Words a command never stops on (`order_unfinished`: "buy 2 ES *at*", "vends 2 ES *pour*"): cut off too.
        #: A phrase there ("et alors", "and so") is an unfinished sentence too: something was to follow.
        unfinished = [tuple(normalize(w).split()) for section in frames.values()
                      for w in _strings(section.get("order_unfinished")) if normalize(w)]
        self._unfinished = frozenset(words[0] for words in unfinished if len(words) == 1)
        self._unfinished_phrases = tuple(words for words in unfinished if len(words) > 1)
        #: Phrases said last that end on such a word and are whole ("buy one ES *to start with*").
        self._finished = tuple(tuple(normalize(w).split()) for section in frames.values()
                               for w in _strings(section.get("order_unfinished_except")) if normalize(w))
        #: The last word of each join, and the unfinished words (`cut_off`'s gate).
        self._join_lasts = frozenset(words[-1] for entries in self._joins._by_first.values()
                                     for words in entries) | self._unfinished \
            | {words[-1] for words in self._unfinished_phrases}
        #: Every first word of a cue: the gate (most refused sentences hold none).
        self._firsts = frozenset(word for cues in (*self._kinds.values(), self._joins, self._command_times,
                                                   self._command_levels, self._order_spans)
                                 for word in cues._by_first)

    def __bool__(self) -> bool:
        return bool(self._kinds or self._joins)

    def says_skip_time(self, tokens: Sequence[str]) -> bool:
        """A time made of skip words only is said ("buy 2 ES just now, boet": later, not now)."""
        return bool(self._skip_times) and bool(self._skip_times.positions(tokens))

    def may_apply(self, tokens: Sequence[str]) -> bool:
        """The cheap gate: an order word and the first word of a cue (or a clock time) said."""
        return not ((self._sides.isdisjoint(tokens) and self._closes.isdisjoint(tokens))
                    or (self._firsts.isdisjoint(tokens) and not self._clock(tokens)))

    def _clock(self, tokens: Sequence[str]) -> bool:
        """A clock time is said: one token ("16h", "10am"), or a number and a `clock_suffixes` word ("10 am")."""
        return any(self._clock_at(tokens, i) for i in range(len(tokens)))

    def _clock_at(self, tokens: Sequence[str], i: int) -> bool:
        """Token `i` makes a clock time: "16h", "10am", or a `clock_suffixes` word after a number ("10 am", "ten pm")."""
        token = tokens[i]
        if token[:1].isdigit() and _CLOCK.fullmatch(token):
            return True
        return bool(i) and token in self._clock_suffixes and (
            tokens[i - 1][:1].isdigit() or tokens[i - 1] in self._number_words)

    def says_extra(self, tokens: Sequence[str], *, of_command: bool = False) -> bool:
        """A stop, a target, a time or a condition is said (a cue phrase or a clock time), with or
        without an order word: "on a eu un gros gap *à l'ouverture*" before an order. `of_command`: the
        words go with a command (an aside said after it), its `command_times` count too."""
        return any(cues.positions(tokens) for kind, cues in self._kinds.items() if kind not in _OF_COMMAND_ONLY) \
            or ("time" in self._kinds and self._clock(tokens)) \
            or (of_command and bool(self._command_times.positions(tokens)))

    def kind(self, tokens: Sequence[str], parse: Callable[[str], ParseResult]) -> str | None:
        """"stop", "target", "time", "condition" or "two_orders" for an order that says such a part,
        else None. `tokens`: the normalised sentence; `parse` parses a part (for two orders)."""
        if self._firsts.isdisjoint(tokens) and not self._clock(tokens):
            return None
        side = not self._sides.isdisjoint(tokens)
        close = not self._closes.isdisjoint(tokens)
        if not (side or close):
            return None
        for start, size in self._joins.positions(tokens):
            if 0 < start and start + size < len(tokens):
                parts = (parse(" ".join(tokens[:start])), parse(" ".join(tokens[start + size:])))
                if all(p.intent in _COMMANDS and (p.matched or (p.reason or "").startswith("missing_"))
                       for p in parts):
                    return "two_orders"
        return self.said_of_command(tokens, "place_trade" if side else "close_positions")

    def said(self, tokens: Sequence[str], *, order: bool, intent: str | None = None) -> str | None:
        """The first kind ("stop", "target", "time", "condition") whose cue (or a clock time) is said in
        `tokens`, else None; a stop, a target or an `order_spans` span ("time") only when `order` (a new order: a
        close has none). With the
        command's `intent` (`tokens` are the command as understood), a `command_times` / `command_levels` cue
        said after a word of the command (a keyword of `intent`, a side for an order) is a "time" / a
        "condition" too ("buy 2 ES overnight", "sell 2 ES at the vwap"; "le marché est lourd ce matin, vends 2
        ES": the comment's time). One pass over the words (every command goes through it)."""
        if self._anchors.isdisjoint(tokens) and not self._clock_token(tokens):
            return None  # (the cheap gate: no cue's longest word, no clock time, as most commands)
        found: set[str] = set()
        own: str | None = None
        words = self._command_words.get(intent or "", frozenset())
        for i, token in enumerate(tokens):
            if self._clock_at(tokens, i):
                found.add("time")
            for cue, tag in self._tagged.get(token, ()):
                if tuple(tokens[i:i + len(cue)]) != cue:
                    continue
                if tag in EXTRA_KINDS:
                    found.add(tag)
                elif tag == "span":
                    if order:
                        found.add("time")  # ("buy 3 MNQ for the week"; "close all for the weekend" is a close now)
                elif own is None and intent is not None and not words.isdisjoint(tokens[:i]):
                    own = tag[:-1]  # ("time+": a command's own time)
        for kind in EXTRA_KINDS:
            if kind in found and (order or kind not in _ORDER_ONLY):
                return kind
        return own

    @staticmethod
    def _clock_token(tokens: Sequence[str]) -> bool:
        """A clock time typed as one token ("16h", "10am") is among `tokens` (a plain loop: the gate of every
        command understood, where a generator in `any` cost twice as much)."""
        for t in tokens:
            if t[:1].isdigit() and not t.isdigit() and _CLOCK.fullmatch(t):
                return True
        return False

    def says_span(self, tokens: Sequence[str]) -> bool:
        """An `order_spans` span is said in `tokens` ("buy 2 ES for the weekend": a time of a new order)."""
        return bool(self._order_spans.positions(tokens))

    def said_of_command(self, tokens: Sequence[str], intent: str) -> str | None:
        """`said` of a command as understood (see there)."""
        return self.said(tokens, order=intent == "place_trade", intent=intent)

    def cut_off(self, text: str, intent: str | None = None) -> bool:
        """The sentence as said ends on a join (`order_joins`: "buy two ES and", "ferme tout et") or on a word
        that ties what follows to it (`order_unfinished`: "buy 2 ES at", "achète 2 ES avec"): cut off before what
        came next (a second order, a stop, a price), never read without it; the latter only for an order or a close
        (`intent`: "set my risk to", "switch the autopilot to" ask their question)."""
        raw = text.rstrip(" .,;:!?…").rsplit(None, 1)[-1:]
        word = raw[0].lower() if raw else ""
        if word not in self._join_lasts and (word.isascii() or not self._join_lasts.intersection(normalize(word).split())):
            return False  # (the cheap gate: the last word ends no join; "ça", "après" folded only when not ASCII)
        tail = normalize(text).split()[-3:]  # (the longest join is three words)
        if tail and intent in _UNFINISHED_CHECKED and (
                (tail[-1] in self._unfinished and not any(tuple(tail[-len(p):]) == p for p in self._finished))
                or any(tuple(tail[-len(p):]) == p for p in self._unfinished_phrases)):
            return True
        return any(start + size == len(tail) for start, size in self._joins.positions(tail))

    def contradiction(self, tokens: Sequence[str], slots: Mapping[str, Any]) -> str | None:
        """"price" for an order said at market and at a price or a limit (refused as `ambiguous_order_type`),
        "side" for one that says a side other than `slots`' (another side word, or a ticket's abbreviation:
        "b 2 es short"), else None. `tokens`: the normalised sentence as understood; a correction marker
        said leaves the sides alone."""
        if not tokens:
            return None
        side = slots.get("side")
        said = [self._side_values[word] for word in self._sides.intersection(tokens)]
        first = tokens[0]  # "b 2 es …", "b2 es …": the abbreviation opens a ticket
        if first in self._ticket_sides and len(tokens) > 1 and tokens[1][:1].isdigit():
            said.extend(self._ticket_sides[first])
        elif first[-1:].isdigit() and (ticket := self._ticket_sides.get(first.rstrip("0123456789"))) is not None:
            said.extend(ticket)
        if side is not None and any(value != side for value in said) and not self._corrections.positions(tokens):
            return "side"
        if self._market_gate.isdisjoint(tokens):
            return None  # (the cheap gate: no market order said)
        markets = self._market_orders.positions(tokens)
        limit_at = {start for start, _ in self._limits.positions(tokens)}
        markets += [(k, 1) for k, t in enumerate(tokens) if t in self._market_words
                    and (k + 1 == len(tokens) or k + 1 in limit_at or tokens[k + 1][:1].isdigit())]
        if markets:
            if "price" in slots:
                return "price"
            inside = {k for start, size in markets for k in range(start, start + size)}
            if any(start not in inside for start in limit_at):
                return "price"
        return None
