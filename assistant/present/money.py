"""US dollar amounts, written and spoken: the one money formatter of MIA.

Written (chat, terminal, page, e-mail): English "-$1,502.25", French "-1 502,25 $" (narrow no-break
spaces between thousands, a no-break space before the sign), always with cents so columns line up.
Spoken: words, "minus one thousand five hundred two dollars and twenty-five cents" / "moins mille cinq
cent deux dollars vingt-cinq" (the synthesiser would read "$2,000" as "dollar two thousand").
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from assistant.present.numbers import NBSP, NNBSP
from assistant.present.spell import spell_money

_CENT = Decimal("0.01")


def to_decimal(value: Any) -> Decimal | None:
    """A finite amount as a Decimal (floats through their shortest text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    return None


def format_money(value: int | float | Decimal, lang: str, *, signed: bool = True) -> str:
    """"-$1,502.25" / "-1 502,25 $". `signed=False` writes the magnitude (the sentence says "a loss of")."""
    d = to_decimal(value)
    if d is None:
        return f"{value} $" if lang == "fr" else f"${value}"
    q = d.quantize(_CENT, rounding=ROUND_HALF_UP)
    minus = "-" if signed and q < 0 else ""
    digits = f"{abs(q):,.2f}"
    if lang == "fr":
        return minus + digits.replace(",", NNBSP).replace(".", ",") + NBSP + "$"
    return f"{minus}${digits}"


def say_money(value: int | float | Decimal, lang: str, *, signed: bool = True) -> str:
    """The amount in words for the synthesiser."""
    d = to_decimal(value)
    if d is None:
        return f"{value} dollars"
    return spell_money(d.quantize(_CENT, rounding=ROUND_HALF_UP), lang, signed=signed)


__all__ = ["format_money", "say_money", "to_decimal"]
