"""What the parser returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.nlu.frozen_init import fast_frozen_init

__all__ = ["ParseResult", "Method", "REASONS"]

Method = Literal["exact", "fuzzy", "frame", "classifier", "learned", "none"]

#: Reasons a result is not matched (`reason` may also be "<prefix><slot name>" for the
#: slot-specific ones, e.g. "ambiguous_symbol", "missing_quantity", "invalid_quantity").
REASONS = {
    "empty": "nothing was said (empty or only filler words)",
    "no_match": "no intent of the grammar is close enough",
    "ambiguous_intent": "two intents are equally close; refusing to guess",
    "unknown_command": "a chat slash command that is not one, or not with these arguments (\"/flat\", \"/halt ES\")",
    "ambiguous_": "a slot was heard twice (two symbols, two quantities…) or, for a required "
                  "slot, something unclear was heard where it should be (e.g. no clear side)",
    "missing_": "a required slot was not said (e.g. an order without a quantity)",
    "invalid_": "a slot value has the wrong type or is outside the list's range "
                "(e.g. 2.5 contracts)",
}


@fast_frozen_init  # built at least once per utterance
@dataclass(frozen=True, slots=True)
class ParseResult:
    """Outcome of `Parser.parse`.

    When `matched` is False, `intent`/`slots` may still hold the best guess (for example
    intent "place_trade" with reason "missing_quantity", so a dialogue can ask "how many
    contracts?"); such a result must never be executed.
    """

    text: str
    """The input exactly as given."""
    normalized: str
    """The normalised text the grammar was matched against (skip words removed)."""
    matched: bool
    intent: str | None
    slots: dict[str, Any] = field(default_factory=dict)
    """Slot name -> typed value: str for lists (e.g. "ES", "BUY", "all"), int for integer
    ranges (quantity), float for decimal and percent ranges (price, risk_percent)."""
    slot_text: dict[str, str] = field(default_factory=dict)
    """Slot name -> the normalised words that filled it (for read-back and debugging)."""
    language: str | None = None
    language_certain: bool = True
    """False when the sentence is valid in several languages ("ok", "long 2 ES") and the
    language was chosen by tie-break (the `prefer` argument, else the parser default)."""
    score: float = 0.0
    """1.0 for an exact grammar match; the carrier-phrase similarity (0..1) for fuzzy."""
    method: Method = "none"
    """"exact" (a template matched), "fuzzy" (decided by the fuzzy stage: accepted, or refused
    as a recognisable command), "frame" (decided by the frame matcher after both failed: cue
    words and strict rules, see assistant/nlu/frames.py), "classifier" (a READ-ONLY question
    understood by the learned last stage, assistant/nlu/classifier.py; `score` is its
    probability), "learned" (an order or a close read by the learned command reader,
    assistant/nlu/command_reader.py; `score` is its probability), "none" (nothing came close, or
    empty input)."""
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    """Other intents considered, best first, as (intent, score); excludes `intent`."""
    reason: str | None = None
    """Why not matched (see REASONS); None when matched."""
    detail: str | None = None
    """Human-readable explanation of `reason` (English, for logs)."""
    missing: tuple[str, ...] = ()
    """For an incomplete command (reason `missing_<slot>`): every slot it lacks, the one named
    by `reason` first; `slots` then holds what was said, so a dialogue can ask for the rest."""
    typed_only: bool = False
    """The sentence is one the grammar understands only when typed ("ok", "go"): never acted on
    when it came from a recogniser."""
    nearest: str | None = None
    """For a refusal: the intent the sentence came closest to (for "not understood, you can say…"),
    None when nothing was close."""
