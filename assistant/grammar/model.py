"""Loaded grammar: plain dataclasses, independent of the YAML they came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.grammar.template import Expr

__all__ = [
    "Origin", "TextValue", "TextList", "RangeList", "SlotList", "Template", "IntentDef",
    "LanguageGrammar", "Grammar", "GrammarError", "RangeKind",
]

RangeKind = Literal["integer", "decimal", "percent"]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where something was written: file and 1-based line (0 when unknown)."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class GrammarError(ValueError):
    """A grammar file that cannot be used. The message names the file, line and element."""

    def __init__(self, origin: Origin, where: str, problem: str) -> None:
        location = f"{origin}: {where}: " if where else f"{origin}: "
        super().__init__(location + problem)
        self.origin = origin
        self.where = where
        self.problem = problem


@dataclass(frozen=True, slots=True)
class TextValue:
    """One canonical value of a text list and the ways people say it."""

    forms: tuple[str, ...]
    value: Any
    origin: Origin


@dataclass(slots=True)
class TextList:
    name: str
    values: list[TextValue]
    slot: str | None
    origin: Origin


@dataclass(frozen=True, slots=True)
class RangeList:
    """A numeric slot: integer, decimal, or percent (a number followed by "percent"/"%").

    `step`: values are multiples of it (a futures price moves in ticks of 0.25). Recognisers
    compiled from the grammar only listen for such values; None: any value of the kind."""

    name: str
    kind: RangeKind
    minimum: float
    maximum: float
    slot: str | None
    origin: Origin
    step: float | None = None


SlotList = TextList | RangeList


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    expr: Expr
    intent: str
    fixed_slots: dict[str, Any]
    origin: Origin
    missing: tuple[str, ...] = ()
    """Slots this sentence lacks on purpose: an *incomplete* command ("buy ES", "close") that the
    parser refuses as `missing_<slot>` with the slots it does hold, so a dialogue can ask."""
    typed_only: bool = False
    """Understood when typed, never compiled into a recogniser nor acted on from speech ("ok",
    "go": words a recogniser makes out of "no" or of noise)."""
    speech: bool = True
    """False: left out of the PocketSphinx grammar (JSGF), which must stay small to decode
    fast and accurately; still understood typed and from free transcription."""


@dataclass(slots=True)
class IntentDef:
    name: str
    templates: list[Template]
    required: tuple[str, ...]
    keywords: tuple[str, ...]
    origin: Origin
    replies: tuple[str, ...] = ()
    """Short answers as people say them ("oui", "non merci"), scored first by a recogniser
    that waits for this intent's answer (a confirmation context, assistant/asr/replies.py)."""


@dataclass(slots=True)
class LanguageGrammar:
    language: str
    lists: dict[str, SlotList]
    rules: dict[str, Expr]
    intents: dict[str, IntentDef]
    skip_words: tuple[str, ...]
    negations: tuple[str, ...] = ()
    sources: list[str] = field(default_factory=list)
    # word -> ARPAbet pronunciations (alternatives) for recognisers whose dictionary lacks it
    pronunciations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lead_words: tuple[str, ...] = ()
    """Discourse words dropped at the start of a sentence that is not a command as said
    ("ok buy 2 ES", "alors vends dix MNQ"); "ok" alone is left alone."""
    frames: dict[str, Any] = field(default_factory=dict)
    """Cue lexicons of the frame matcher (`frames:`; see grammars/README.md), as loaded."""

    def slot_name(self, list_name: str, override: str | None) -> str:
        """Name of the slot filled by `{list_name}` / `{list_name:override}`."""
        if override:
            return override
        slot_list = self.lists[list_name]
        return slot_list.slot or list_name


@dataclass(slots=True)
class Grammar:
    """Every language loaded together; `warnings` lists non-fatal findings."""

    languages: dict[str, LanguageGrammar]
    sources: list[str]
    warnings: list[str] = field(default_factory=list)

    def language(self, code: str) -> LanguageGrammar:
        try:
            return self.languages[code]
        except KeyError:
            known = ", ".join(sorted(self.languages)) or "none"
            raise KeyError(f"no grammar for language '{code}' (loaded: {known})") from None
