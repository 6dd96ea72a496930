"""What the dialogue hands back to a front end (voice loop, typed loop, Telegram chat).

A `Reply` carries everything a transport needs and nothing transport-specific: the text in the
user's language, the voice profile, the text to *speak* (symbols spelled for the synthesiser), the
pending confirmation when the reply asks one (so a chat can show Confirm / Cancel buttons and
expire them), and the engine result when an action ran.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from trading_core.types import ClosePreview, HaltPreview, OrderRequest

ActionKind = Literal["order", "close", "halt", "reduce_only", "resume", "set_risk", "autopilot_mode",
                     "autopilot_signal"]
ReplyKind = Literal[
    "readback",  # asks for confirmation (see `pending`)
    "question",  # a follow-up question for a missing or unclear part of a command (see `followup`)
    "executed",  # a confirmed action, or an immediate one (set risk, resume), went through
    "refused",  # the engine or the risk gate refused: the reason is in the text
    "answer",  # a query answered at once
    "cancelled",  # the user cancelled a pending action
    "expired",  # the pending action timed out
    "not_understood",  # no match, low confidence, nothing heard
    "ambiguous",  # a command heard with two symbols/quantities, no clear side...: refused with why
    "help",
    "repeat",
    "info",  # "nothing to confirm", "already halted"...
    "error",  # the engine call failed unexpectedly (the message says so)
]


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """A risky action read back and waiting for an explicit confirm.

    `id` is unique per read-back: a chat button carries it, so a stale button can never confirm a
    newer action. Times are on the dialogue's clock (monotonic seconds unless the front end drives
    its own, e.g. stream time for a file)."""

    id: str
    action: ActionKind
    summary: str  # the read-back without the question ("Buy 2 ES at market, estimated risk 500 dollars.")
    lang: str
    created_at: float
    expires_at: float
    timeout_s: float
    transcript: str = ""
    request: OrderRequest | None = None  # action "order": exactly what will be sent
    symbol: str | None = None  # action "close": None means every position
    # action "close" / "halt": the engine's preview that was read back; the confirmation executes
    # exactly it (its orders and client ids), or nothing when the book changed since
    preview: ClosePreview | HaltPreview | None = None
    estimated_risk: Any = None  # Decimal USD for an order, when known
    mode: str | None = None  # action "autopilot_mode": the mode to switch to
    risk_percent: Any = None  # action "set_risk": the checked percentage (Decimal) for `symbol` (None: the default)
    signal_id: str | None = None  # action "autopilot_signal": the proposal to take (Engine.confirm_signal)
    # The read-back was asked again after an unclear answer, with the full delay once more: only once, so that
    # background speech heard as doubt cannot keep an order waiting for a yes.
    asked_again: bool = False

    def remaining(self, now: float) -> float:
        return max(0.0, self.expires_at - now)

    def is_due(self, now: float) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True, slots=True)
class PendingFollowUp:
    """An incomplete command waiting for its missing part ("buy ES" -> "How many contracts?").

    The answer completes the command, which then takes the normal road (read-back and explicit
    confirmation for risky actions): a follow-up never executes anything by itself. It expires
    with the confirmation timeout; any unrelated command drops it."""

    id: str
    intent: str
    slots: dict[str, Any]  # what was said so far
    missing: tuple[str, ...]  # what is still needed, the slot asked now first
    lang: str
    created_at: float
    expires_at: float
    timeout_s: float
    transcript: str = ""

    @property
    def asking(self) -> str:
        return self.missing[0]

    def remaining(self, now: float) -> float:
        return max(0.0, self.expires_at - now)

    def is_due(self, now: float) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    lang: str
    kind: ReplyKind
    profile: Literal["calm", "urgent"] = "calm"
    intent: str | None = None
    transcript: str = ""
    source: str = "voice"
    pending: PendingConfirmation | None = None  # set on a read-back
    followup: PendingFollowUp | None = None  # set on a follow-up question
    discarded: PendingConfirmation | None = None  # a pending action this input cancelled or let expire
    result: Any = None  # OrderResult, CloseResult, StateChange, SetRiskResult, or a query's result
    executed: bool = False  # True when an engine action that changes state ran
    parse: Any = None  # the ParseResult behind this reply, when there was one

    @property
    def speech(self) -> str:
        """The text as the synthesiser should read it ("ES" spelled "E S"...)."""
        from assistant.dialogue.answers import for_speech

        return for_speech(self.text, self.lang)

    @property
    def awaiting_confirmation(self) -> bool:
        return self.pending is not None
