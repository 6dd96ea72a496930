"""What the dialogue waits for, handed to the recognisers: a *reply context*.

After MIA reads an order back it waits for "oui" / "non"; after "Combien de contrats ?" for a
quantity. A recogniser that knows it can weigh the few expected answers against what it heard
(Picovoice Rhino's and Rhasspy's "contexts"). The voice front sets the context from the dialogue
state after every answer it speaks (`context_for`) and clears it when nothing is pending;
`Recognizer.set_context` takes it, and backends that cannot use it ignore it.

The context never narrows what can be heard: `whisper-grammar` still runs its full search, so a
command said during a read-back ("non, vends plutôt deux ES", "ferme tout") is heard as itself or
refused, never turned into a "yes" (docs/asr.md, "Reply contexts").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ContextKind = Literal["confirmation", "quantity", "market"]
KINDS: tuple[ContextKind, ...] = ("confirmation", "quantity", "market")


@dataclass(frozen=True)
class ReplyContext:
    """The answer the dialogue waits for: `kind`, in the language of the question (`lang`, None
    when unknown; the recogniser still listens in every language)."""

    kind: ContextKind
    lang: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown reply context {self.kind!r} (one of {', '.join(KINDS)})")


#: The follow-up question's missing slot -> the context of its answer.
FOLLOWUP_KINDS: dict[str, ContextKind] = {"quantity": "quantity", "symbol": "market"}


def context_for(pending: Any, followup: Any) -> ReplyContext | None:
    """The context of the dialogue state: a read-back waiting for yes / no (`pending`, a
    `PendingConfirmation`) is a confirmation; a follow-up question (`PendingFollowUp`) asking a
    quantity or a market is that kind; otherwise None (nothing expected: no context)."""
    if pending is not None:
        return ReplyContext("confirmation", getattr(pending, "lang", None))
    if followup is not None:
        missing = tuple(getattr(followup, "missing", ()) or ())
        kind = FOLLOWUP_KINDS.get(missing[0]) if missing else None
        if kind is not None:
            return ReplyContext(kind, getattr(followup, "lang", None))
    return None


__all__ = ["FOLLOWUP_KINDS", "KINDS", "ContextKind", "ReplyContext", "context_for"]
