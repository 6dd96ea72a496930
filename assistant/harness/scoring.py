"""Command acceptance: was exactly the labelled command understood, and nothing else?

An utterance is **accepted** only if:
* it carries a command: exactly one inference was made, its intent is the labelled one, every
  labelled slot is present with the same value and no other slot was filled;
* it must be rejected (null/absent intent): nothing at all was inferred.

Slot values are compared after trimming and case folding ("ES" = " es "); numbers are compared as
numbers (2 = 2.0 = "2"), so a label may write `"quantity": 2` or `"quantity": "2"`.

A labelled command that the endpointer cut into two or more utterances is a failure whatever was
inferred from the pieces (`split`): live, MIA would have acted on half a sentence, or twice.

Errors (first that applies): `false_accept` (something inferred for a rejection item), `split`,
`no_inference`, `several_inferences` (a file that made MIA act twice), `wrong_intent`, then the
slot errors `missing_slot`, `extra_slot`, `wrong_value` (all slot problems are listed in `detail`);
the runner adds `unreadable` for an audio file that cannot be decoded.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .labels import Label

ERRORS = ("false_accept", "split", "no_inference", "several_inferences", "wrong_intent",
          "missing_slot", "extra_slot", "wrong_value", "unreadable")

_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


@dataclass(frozen=True)
class Inferred:
    """What MIA would act on for one heard utterance."""

    intent: str
    slots: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    accepted: bool
    error: str | None = None  # one of ERRORS
    detail: str = ""
    slot_errors: tuple[str, ...] = ()  # every slot problem, e.g. "wrong_value:symbol"


def as_number(value: Any) -> float | None:
    """A number, or text that is exactly a number ("2", " 5012.25 ", "0,5"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL_COMMA.match(text):
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def values_equal(expected: Any, got: Any) -> bool:
    a, b = as_number(expected), as_number(got)
    if a is not None and b is not None:
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return str(expected).strip().casefold() == str(got).strip().casefold()


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def compare_slots(expected: Mapping[str, Any], got: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """[(kind, slot, message)] for every difference; slot names are matched after case folding."""
    exp = {k.strip().casefold(): (k, v) for k, v in expected.items()}
    out = {k.strip().casefold(): (k, v) for k, v in got.items()}
    problems: list[tuple[str, str, str]] = []
    for key, (name, value) in exp.items():
        if key not in out:
            problems.append(("missing_slot", name, f"missing slot {name}={_show(value)}"))
        elif not values_equal(value, out[key][1]):
            problems.append(("wrong_value", name,
                             f"{name}: expected {_show(value)}, got {_show(out[key][1])}"))
    for key, (name, value) in out.items():
        if key not in exp:
            problems.append(("extra_slot", name, f"extra slot {name}={_show(value)}"))
    return problems


def score(label: Label, inferred: Sequence[Inferred], *, segments: int = 1) -> Score:
    """`segments`: how many utterances the endpointer made of the labelled speech (2+ = split)."""
    if label.is_rejection:
        if not inferred:
            return Score(True)
        got = ", ".join(describe(i.intent, i.slots) for i in inferred)
        return Score(False, "false_accept", f"should be rejected, inferred {got}")
    if segments > 1:
        got = ", ".join(describe(i.intent, i.slots) for i in inferred) or "nothing"
        return Score(False, "split", f"the command was cut into {segments} utterances; inferred {got}")
    if not inferred:
        return Score(False, "no_inference", "nothing was inferred")
    if len(inferred) > 1:
        got = ", ".join(describe(i.intent, i.slots) for i in inferred)
        return Score(False, "several_inferences", f"{len(inferred)} commands inferred: {got}")
    one = inferred[0]
    if one.intent.strip().casefold() != label.intent.strip().casefold():  # type: ignore[union-attr]
        return Score(False, "wrong_intent", f"intent: expected {label.intent}, got {one.intent}")
    problems = compare_slots(label.slots, one.slots)
    if problems:
        # Report the most telling kind first: a missing slot, then an extra one, then a wrong value.
        order = {"missing_slot": 0, "extra_slot": 1, "wrong_value": 2}
        first = min(problems, key=lambda p: order[p[0]])[0]
        return Score(False, first, "; ".join(p[2] for p in problems),
                     tuple(f"{kind}:{slot}" for kind, slot, _ in problems))
    return Score(True)


def describe(intent: str | None, slots: Mapping[str, Any]) -> str:
    """`place_trade(side=BUY, quantity=2, symbol=ES)`; `(reject)` for no intent."""
    if intent is None:
        return "(reject)"
    inner = ", ".join(f"{k}={v}" for k, v in slots.items())
    return f"{intent}({inner})" if inner else intent
