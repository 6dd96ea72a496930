"""Sentence templates: syntax tree and parser.

Syntax (compatible with the hassil / Home Assistant conventions where they overlap):

    (a|b|c)        one of the alternatives
    [a]  [a|b]     optional (zero or one of the alternatives)
    {list}         a slot filled from the list `list`; the slot is named after the list
                   (or after the list's `slot:` setting)
    {list:name}    a slot filled from `list` but named `name`
    <rule>         the body of the expansion rule `rule`
    anything else  literal words

Literal words are kept exactly as written here; normalisation (case, accents, punctuation) is
applied later by each consumer, because a recogniser vocabulary needs "achète" and "what's"
while the parser wants "achete" and "what s".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Words", "SlotRef", "RuleRef", "Sequence", "Alternative", "Expr",
    "TemplateSyntaxError", "parse_template",
]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_SPECIAL = set("()[]{}<>|")


@dataclass(frozen=True, slots=True)
class Words:
    """A run of literal text, as written in the grammar file."""

    text: str


@dataclass(frozen=True, slots=True)
class SlotRef:
    """`{list}` or `{list:slot}`; `slot_name` is None when the list's default name applies."""

    list_name: str
    slot_name: str | None = None


@dataclass(frozen=True, slots=True)
class RuleRef:
    """`<rule>`: replaced by the rule's body."""

    name: str


@dataclass(frozen=True, slots=True)
class Sequence:
    items: tuple["Expr", ...]


@dataclass(frozen=True, slots=True)
class Alternative:
    """`(a|b)`, or `[a|b]` when `optional` is True."""

    options: tuple["Expr", ...]
    optional: bool = False


Expr = Words | SlotRef | RuleRef | Sequence | Alternative


class TemplateSyntaxError(ValueError):
    """A template that cannot be parsed; `column` is 1-based within the template text."""

    def __init__(self, problem: str, column: int) -> None:
        super().__init__(f"column {column}: {problem}")
        self.problem = problem
        self.column = column


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, problem: str, pos: int | None = None) -> TemplateSyntaxError:
        return TemplateSyntaxError(problem, (self.pos if pos is None else pos) + 1)

    def parse(self) -> Expr:
        if not self.text.strip():
            raise self.fail("empty template", 0)
        expr = self.alternatives(closing=None, open_pos=0)
        if self.pos != len(self.text):
            raise self.fail(f"unexpected '{self.text[self.pos]}'")
        return expr

    def alternatives(self, closing: str | None, open_pos: int) -> Expr:
        options: list[Expr] = []
        while True:
            start = self.pos
            seq = self.sequence()
            if seq is None:
                if closing is None and not options and self.pos >= len(self.text):
                    raise self.fail("empty template", start)
                raise self.fail("empty alternative (nothing between '|' or brackets)", start)
            options.append(seq)
            if self.pos < len(self.text) and self.text[self.pos] == "|":
                self.pos += 1
                continue
            break
        if closing is not None:
            if self.pos >= len(self.text):
                opener = "(" if closing == ")" else "["
                raise self.fail(f"'{opener}' opened here is never closed", open_pos)
            if self.text[self.pos] != closing:
                raise self.fail(f"expected '{closing}' but found '{self.text[self.pos]}'")
            self.pos += 1
        if len(options) == 1 and closing != "]":
            return options[0]
        return Alternative(tuple(options), optional=(closing == "]"))

    def sequence(self) -> Expr | None:
        items: list[Expr] = []
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in "|)]":
                break
            if ch == "(" or ch == "[":
                open_pos = self.pos
                self.pos += 1
                items.append(self.alternatives(")" if ch == "(" else "]", open_pos))
            elif ch == "{":
                items.append(self.slot())
            elif ch == "<":
                items.append(self.rule())
            elif ch in "}>":
                raise self.fail(f"unexpected '{ch}' without its opening bracket")
            else:
                start = self.pos
                while self.pos < len(text) and text[self.pos] not in _SPECIAL:
                    self.pos += 1
                chunk = text[start:self.pos]
                if chunk.strip():
                    items.append(Words(chunk))
        if not items:
            return None
        return items[0] if len(items) == 1 else Sequence(tuple(items))

    def _name_until(self, closing: str, what: str) -> tuple[str, int]:
        open_pos = self.pos
        end = self.text.find(closing, self.pos + 1)
        if end < 0:
            raise self.fail(f"{what} opened here is never closed with '{closing}'", open_pos)
        body = self.text[self.pos + 1:end]
        self.pos = end + 1
        return body.strip(), open_pos

    def slot(self) -> SlotRef:
        body, open_pos = self._name_until("}", "slot '{'")
        list_name, _, slot_name = body.partition(":")
        list_name, slot_name = list_name.strip(), slot_name.strip()
        if not _NAME.match(list_name):
            raise self.fail(f"invalid list name '{{{body}}}' (letters, digits, '_' , '.', '-')",
                            open_pos)
        if ":" in body and not _NAME.match(slot_name):
            raise self.fail(f"invalid slot name in '{{{body}}}'", open_pos)
        return SlotRef(list_name, slot_name or None)

    def rule(self) -> RuleRef:
        body, open_pos = self._name_until(">", "rule '<'")
        if not _NAME.match(body):
            raise self.fail(f"invalid rule name '<{body}>'", open_pos)
        return RuleRef(body)


def parse_template(text: str) -> Expr:
    """Parse one template string; raises `TemplateSyntaxError` with the column of the problem."""
    return _Parser(text).parse()
