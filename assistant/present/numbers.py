"""Written numbers, percentages and prices in English and French: the one set of locale rules of MIA.

English "10,000.5", "2.5%"; French "10 000,5", "2,5 %" with a narrow no-break space (U+202F) between
groups of thousands and before the percent sign, so a number is never cut at the end of a line. Spoken
numbers are in `spell`; money is in `money`.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

Lang = Literal["en", "fr"]

NNBSP = "\u202f"  # narrow no-break space: French thousands and "2,5 %"
NBSP = "\u00a0"  # no-break space: "1 502,25 $"
_QUANTUM = {n: Decimal(1).scaleb(-n) for n in range(0, 9)}
_FR = str.maketrans({",": NNBSP, ".": ","})


def lang_of(lang: str | None) -> Lang:
    """"fr" for French, English for anything else ("auto" and unknown tags included)."""
    return "fr" if lang == "fr" else "en"


def _english(value: Any, max_decimals: int, min_decimals: int) -> str | None:
    """English digits ("10,000.5"), or None when `value` is not a finite int / float / Decimal."""
    kind = type(value)
    if kind is bool:
        return None
    if kind is int or (isinstance(value, int) and kind is not bool):
        text = f"{int(value):,}"
        return text + ("." + "0" * min_decimals if min_decimals else "")
    if kind is float:
        if not math.isfinite(value):
            return None
        text = format(value, f",.{max_decimals}f")
    elif kind is Decimal:
        if not value.is_finite():
            return None
        try:
            text = format(value.quantize(_QUANTUM[max_decimals], rounding=ROUND_HALF_UP), ",f")
        except InvalidOperation:  # more digits than the decimal context holds: nothing to round
            text = format(value, ",f")
    else:
        return None
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0")
        if len(frac) < min_decimals:
            frac += "0" * (min_decimals - len(frac))
        text = whole + "." + frac if frac else whole
    if text[0] == "-" and not text.strip("-0.,"):
        text = text[1:]  # never write "-0"
    return text


def format_number(value: int | float | Decimal, lang: str, max_decimals: int = 2, min_decimals: int = 0) -> str:
    """`value` written for `lang`: 10000.5 -> "10,000.5" / "10 000,5".

    At most `max_decimals` decimals, trailing zeros dropped down to `min_decimals`. Decimals round
    half-up (money); floats round their exact binary value (prices are exact tick multiples). A value
    that is not a finite number is written as Python writes it ("nan", "inf") so bad data stays visible."""
    text = _english(value, max_decimals, min_decimals)
    if text is None:
        return str(value)
    return text.translate(_FR) if lang == "fr" else text


def format_percent(value: int | float | Decimal, lang: str, max_decimals: int = 2, min_decimals: int = 0) -> str:
    """A percentage already in percent: 2.5 -> "2.5%" / "2,5 %"."""
    number = format_number(value, lang, max_decimals, min_decimals)
    return number + (NNBSP + "%" if lang == "fr" else "%")


def format_fraction(fraction: float, lang: str, max_decimals: int = 1, min_decimals: int = 0) -> str:
    """A fraction as a percentage: 0.553 -> "55.3%" / "55,3 %"."""
    return format_percent(round(float(fraction) * 100, max_decimals), lang, max_decimals, min_decimals)


def format_price(value: float | Decimal, lang: str) -> str:
    """A price with the two decimals of the quarter-point tick: 5990.25 -> "5,990.25" / "5 990,25"."""
    return format_number(value, lang, 2, 2)


def format_signed(value: int | float | Decimal, lang: str, max_decimals: int = 2) -> str:
    """"+3" / "-2" / "0": a change or a position."""
    text = format_number(value, lang, max_decimals)
    return text if text.startswith("-") or text == "0" else "+" + text


__all__ = [
    "Lang", "NBSP", "NNBSP", "format_fraction", "format_number", "format_percent", "format_price",
    "format_signed", "lang_of",
]
