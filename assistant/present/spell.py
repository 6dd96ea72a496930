"""Numbers written out in words, in English and French, for the speech synthesiser.

espeak-ng reads "$1,502.25" as "dollar one thousand five hundred two point two five" and "-1 502,25 $"
depends on the voice; MIA says amounts the way a person does: "minus one thousand five hundred two
dollars and twenty-five cents", "moins mille cinq cent deux dollars vingt-cinq".

French follows the traditional spelling (with hyphens between tens and units): "vingt et un",
"soixante et onze", "quatre-vingts", "quatre-vingt-un", "deux cents", "deux cent trois", "mille",
"deux mille", "un million", "deux millions". Feminine nouns take "une" ("une position",
"vingt et une secondes").
"""
from __future__ import annotations

from decimal import Decimal

_EN_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))

_FR_ONES = (
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
    "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf",
)
_FR_TENS = ("", "", "vingt", "trente", "quarante", "cinquante", "soixante")


def _en_below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_EN_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else ""))
    elif rest or not words:
        words.append(_EN_ONES[rest])
    return words


def _en(n: int) -> str:
    if n == 0:
        return "zero"
    words: list[str] = []
    for scale, name in _EN_SCALES:
        if n >= scale:
            count, n = divmod(n, scale)
            words += [*_en_below_thousand(count), name]
    if n:
        words += _en_below_thousand(n)
    return " ".join(words)


def _fr_below_hundred(n: int, feminine: bool, final: bool) -> str:
    """0 < n < 100. `final`: nothing follows (only then does "quatre-vingts" keep its s)."""
    if n == 1:
        return "une" if feminine else "un"
    if n < 20:
        return _FR_ONES[n]
    tens, ones = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix..., quatre-vingt-dix...
        base = "soixante" if tens == 7 else "quatre-vingt"
        rest = 10 + ones
        if tens == 7 and ones == 1:
            return "soixante et onze"
        return f"{base}-{_FR_ONES[rest]}"
    if tens == 8:
        if ones == 0:
            return "quatre-vingts" if final else "quatre-vingt"
        return "quatre-vingt-" + ("une" if ones == 1 and feminine else _FR_ONES[ones])
    word = _FR_TENS[tens]
    if ones == 0:
        return word
    if ones == 1:
        return f"{word} et {'une' if feminine else 'un'}"
    return f"{word}-{_FR_ONES[ones]}"


def _fr_below_thousand(n: int, feminine: bool, final: bool) -> str:
    hundreds, rest = divmod(n, 100)
    parts: list[str] = []
    if hundreds:
        if hundreds == 1:
            parts.append("cent")
        else:
            # "deux cents" only when nothing follows it
            parts.append(f"{_FR_ONES[hundreds]} {'cents' if rest == 0 and final else 'cent'}")
    if rest:
        parts.append(_fr_below_hundred(rest, feminine, final))
    return " ".join(parts)


def _fr(n: int, feminine: bool) -> str:
    if n == 0:
        return "zéro"
    parts: list[str] = []
    for scale, one, many in ((10**12, "billion", "billions"), (10**9, "milliard", "milliards"),
                             (10**6, "million", "millions")):
        if n >= scale:
            count, n = divmod(n, scale)
            # "un million de" is a noun phrase: the count before it is never feminine, never final
            parts.append(f"{_fr_below_thousand(count, False, False)} {one if count == 1 else many}")
    if n >= 1000:
        count, n = divmod(n, 1000)
        # "mille" never takes an s and is never preceded by "un"; "quatre-vingt mille", "deux cent mille"
        parts.append("mille" if count == 1 else f"{_fr_below_thousand(count, False, False)} mille")
    if n:
        parts.append(_fr_below_thousand(n, feminine, True))
    return " ".join(parts)


def spell_int(n: int, lang: str, *, feminine: bool = False) -> str:
    """A whole number in words: 1502 -> "one thousand five hundred two" / "mille cinq cent deux"."""
    n = int(n)
    minus = ("moins " if lang == "fr" else "minus ") if n < 0 else ""
    n = abs(n)
    return minus + (_fr(n, feminine) if lang == "fr" else _en(n))


def _decimal(value: int | float | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that reads back as this float: 0.1 stays 0.1
    return Decimal(int(value))


def spell_number(value: int | float | Decimal, lang: str, max_decimals: int = 2, *, feminine: bool = False) -> str:
    """A number in words with at most `max_decimals` decimals (trailing zeros dropped).

    English reads the decimals digit by digit ("five thousand nine hundred ninety point two five"),
    French as a number ("cinq mille neuf cent quatre-vingt-dix virgule vingt-cinq"; "deux virgule zéro
    cinq" keeps its leading zero)."""
    d = _decimal(value)
    if not d.is_finite():
        return str(value)
    d = d.quantize(Decimal(1).scaleb(-max_decimals)) if max_decimals >= 0 else d
    negative = d < 0
    d = abs(d)
    whole = int(d)
    frac = format(d - whole, "f").partition(".")[2].rstrip("0")
    words = spell_int(whole, lang, feminine=feminine and not frac)
    if frac:
        if lang == "fr":
            zeros = len(frac) - len(frac.lstrip("0"))
            digits = " ".join(["zéro"] * zeros + ([spell_int(int(frac), "fr")] if frac.lstrip("0") else []))
            words += f" virgule {digits}"
        else:
            words += " point " + " ".join(_EN_ONES[int(c)] for c in frac)
    if negative and (whole or frac):
        words = ("moins " if lang == "fr" else "minus ") + words
    return words


def spell_money(value: int | float | Decimal, lang: str, *, signed: bool = True) -> str:
    """US dollars in words: -1502.25 -> "minus one thousand five hundred two dollars and twenty-five
    cents" / "moins mille cinq cent deux dollars vingt-cinq"; whole amounts say no cents."""
    d = _decimal(value)
    if not d.is_finite():
        return f"{value} dollars"
    cents_total = int((abs(d) * 100).quantize(Decimal(1)))
    dollars, cents = divmod(cents_total, 100)
    negative = d < 0 and cents_total > 0 and signed
    if lang == "fr":
        text = f"{spell_int(dollars, 'fr')} {'dollar' if dollars < 2 else 'dollars'}"
        if cents:
            text += f" {spell_int(cents, 'fr')}"
        return ("moins " if negative else "") + text
    text = f"{spell_int(dollars, 'en')} {'dollar' if dollars == 1 else 'dollars'}"
    if cents:
        text += f" and {spell_int(cents, 'en')} {'cent' if cents == 1 else 'cents'}"
    return ("minus " if negative else "") + text


__all__ = ["spell_int", "spell_money", "spell_number"]
