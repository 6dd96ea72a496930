"""Numbers said or written in French and English: recognition, value, and spelling.

Each supported language has one `NumberLanguage` that holds, from the same word tables:

* `pattern` — a regular expression (no capturing groups) in the parser's *token + space* form
  ("twenty one " — every token followed by one space) that matches exactly one well-formed
  number phrase: digits ("2", "5012.25"), integers in words up to 999 999 ("vingt et un",
  "quatre vingt dix neuf", "five thousand twelve"), decimals ("deux virgule cinq",
  "zero point five", "point two five") and halves/quarters ("un et demi", "un demi",
  "one and a half", "half a", and after a figure as transcribers write it: "6000 and a quarter",
  "1 et demi"). Two numbers in a row ("deux douze", "two ten") are *not* one
  phrase, which is what lets the parser refuse ambiguous quantities.
* `parse(text)` — the value of such a phrase (int when whole, float otherwise), or None.
* `to_words(value)` — the spoken form, used to build recogniser vocabularies.
* `jsgf_rules()` — the same structure as JSGF sub-rules, so a recogniser grammar holds numbers
  as a compact rule instead of an exploded list.

Input to `parse` is normalised text (see `assistant.nlu.normalize`): lower case, no accents,
hyphens as spaces. Other languages get a digits-only `NumberLanguage`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from assistant.nlu.normalize import normalize

__all__ = [
    "NumberLanguage",
    "number_language",
    "parse_number",
    "number_to_words",
    "DIGITS_PATTERN",
]

Number = int | float

#: Digits in token + space form: "2 ", "5012.25 ", "0.5 ".
DIGITS_PATTERN = r"\d+(?:\.\d+)? "


def _alt(words: list[str] | tuple[str, ...]) -> str:
    """Alternation of whole words, longest first so that "dix sept" wins over "dix"."""
    ordered = sorted(words, key=lambda w: (-len(w), w))
    return "(?:" + "|".join(re.escape(w) for w in ordered) + ") "


@dataclass(frozen=True)
class NumberLanguage:
    """Everything the grammar machinery needs to know about numbers in one language."""

    code: str
    pattern: str
    parse_tokens: Callable[[list[str]], Number | None]
    spell_integer: Callable[[int], str] | None
    decimal_word: str | None
    digit_words: tuple[str, ...] = ()
    jsgf: dict[str, str] = field(default_factory=dict)
    words: frozenset[str] = frozenset()
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", re.compile(self.pattern))

    @property
    def loose_pattern(self) -> str:
        """A run of number-ish tokens ("two ", "vingt et un ", "5012.25 "), token + space form.

        Much smaller than `pattern` (which a regex engine would copy into every slot of every
        template); a run captured with it must still be checked with `parse`, and a run
        that is not one number ("deux douze") is then reported as ambiguous.
        """
        if not self.words:
            return f"(?:{DIGITS_PATTERN})"
        connectors = sorted(self.words & _CONNECTORS)
        words = sorted(self.words - _CONNECTORS)
        # A run may start with a connector ("a hundred") but never end with one, so that the
        # "of" of "sixteen of the ES" stays outside the number; "half a", "a quarter of a",
        # "three quarters of a" are the only phrases that do end with one.
        # "a" joins a run only as the article of "a hundred", "a half": "à 3 %" ("a 3 percent"
        # once normalised) and "with a one percent risk" hold an article and one number, not a
        # run of two.
        others = [c for c in connectors if c != "a"]
        joins = [_alt(others)] if others else []
        if "a" in connectors:
            joins.append("a (?=(?:hundred|thousand|million|half|quarter|dozen) )")
        join = "(?:" + "|".join(joins) + ")"
        return (f"(?:(?:{_alt(words)}|{join}|{DIGITS_PATTERN}))*?"
                f"(?:{_alt(words)}|{DIGITS_PATTERN})(?:(?<=half )a |(?<=quarter )of a |(?<=quarters )of a )?")

    def matches(self, normalized: str) -> bool:
        """True when the whole normalised text is exactly one number phrase."""
        return self._compiled.fullmatch(normalized + " ") is not None

    def parse(self, normalized: str) -> Number | None:
        """Value of a normalised number phrase, or None when it is not one number."""
        if not self.matches(normalized):
            return None
        return self.parse_tokens(normalized.split())

    def multipliers(self) -> frozenset[str]:
        """Words that are a number only after another one ("hundred", "thousand", "quarters", "vingts"): said
        alone, they are what is left of a number misheard ("at *for* thousand", "twenty *won* thousand")."""
        units = [w for w in self.words if self.parse(w) is not None]
        return frozenset(w for w in self.words - _CONNECTORS
                         if self.parse(w) is None and any(self.parse(f"{u} {w}") is not None for u in units))

    def to_words(self, value: Number) -> str:
        """Spoken form of a non-negative number ("5012.25" -> "five thousand twelve point two five")."""
        if self.spell_integer is None or self.decimal_word is None:
            return _digits_text(value)
        if value < 0:
            raise ValueError(f"cannot spell a negative number: {value}")
        text = _digits_text(value)
        whole, _, frac = text.partition(".")
        words = self.spell_integer(int(whole))
        if frac:
            words += f" {self.decimal_word} " + " ".join(self.digit_words[int(d)] for d in frac)
        return words


#: Words that only join number words ("one hundred *and* five", "vingt *et* un").
_CONNECTORS = frozenset({"a", "and", "of", "et"})


def _digits_text(value: Number) -> str:
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


#: Figures grouped by dots as thousands are in French or German ("6.000", "21.500"), or decimals with three
#: places? Neither is read: 6 or 6000 is the trader's to say ("6000", "6 000", "6,000", "6.0").
_DOT_GROUPED = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")


def _parse_digits(tokens: list[str]) -> Number | None:
    if len(tokens) != 1:
        return None
    tok = tokens[0]
    if tok.isdigit():
        return int(tok)
    if "." in tok and _DOT_GROUPED.fullmatch(tok):
        return None
    try:
        return float(tok)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# English
# --------------------------------------------------------------------------------------------
_EN_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
             "eight": 8, "nine": 9}
_EN_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
             "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
            "seventy": 70, "eighty": 80, "ninety": 90}
_EN_SIMPLE = {"zero": 0, "oh": 0, **_EN_UNITS, **_EN_TEENS, **_EN_TENS}
_EN_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_EN_FRACTIONS = {
    ("half",): 0.5, ("a", "half"): 0.5, ("one", "half"): 0.5, ("half", "a"): 0.5,
    ("a", "half", "a"): 0.5, ("one", "half", "a"): 0.5,
    ("a", "quarter"): 0.25, ("one", "quarter"): 0.25, ("quarter",): 0.25,
    ("a", "quarter", "of", "a"): 0.25, ("quarter", "of", "a"): 0.25,
    ("three", "quarters"): 0.75, ("three", "quarters", "of", "a"): 0.75,
}


def _en_pattern() -> str:
    u = _alt(list(_EN_UNITS))
    teen = _alt(list(_EN_TEENS))
    tens = _alt(list(_EN_TENS))
    n99 = f"(?:{tens}(?:{u})?|{teen}|{u})"
    n1099 = f"(?:{tens}(?:{u})?|{teen})"
    n999 = f"(?:(?:{u}|a )hundred (?:(?:and )?{n99})?|{n99})"
    # After "thousand", the hundreds said as a pair, as traders say prices: "twenty one thousand
    # three fifty" (21 350), "twenty two thousand oh fifty" (22 050); and hundreds counted past
    # ten: "sixty one hundred" (6 100), "fifteen hundred". ("six thousand five" stays 6 005: as said.)
    after_thousand = f"(?:(?:and )?{n999}|{u}{n1099}|(?:zero |oh ){n1099})"
    hundreds = f"(?:{tens}{u}|{teen})hundred (?:(?:and )?{n99})?"
    nint = f"(?:(?:{n999}|a )thousand (?:{after_thousand})?|{hundreds}|{n999}|zero )"
    digit = _alt(["zero", "oh", *_EN_UNITS])
    dec = f"point (?:{tens}(?:{u})?|{teen}|(?:{digit})+|\\d+ )"
    frac_alone = "(?:(?:a |one )?half (?:a )?|(?:a |one )?quarter (?:of a )?|three quarters (?:of a )?)"
    and_frac = "and (?:a (?:half|quarter)|three quarters) "
    return (f"(?:{DIGITS_PATTERN}|\\d+ {and_frac}|{frac_alone}|{nint}(?:{dec}|{and_frac})?"
            f"|{dec})")


def _decimal_tail(tokens: list[str], simple: dict[str, int],
                  parse_whole: Callable[[list[str]], Number | None]) -> str:
    """Digits after the decimal word: "two five" -> "25", "twenty five" -> "25", "zero five" -> "05"."""
    if len(tokens) == 1 and tokens[0].isdigit():
        return tokens[0]
    if all(t in simple and simple[t] < 10 for t in tokens):
        return "".join(str(simple[t]) for t in tokens)
    return str(parse_whole(tokens))


def _parse_en(tokens: list[str]) -> Number | None:
    value = _parse_digits(tokens)
    if value is not None:
        return value
    frac = _EN_FRACTIONS.get(tuple(tokens))
    if frac is not None:
        return frac
    total = 0
    current = 0
    extra = 0.0
    decimals = ""
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if tok in _EN_SIMPLE:
            if total and 10 <= _EN_SIMPLE[tok] and i >= 2 and tokens[i - 2] == "thousand" \
                    and _EN_SIMPLE.get(tokens[i - 1], 10) < 10:
                current *= 100  # "thousand three fifty": 350, "thousand oh fifty": 050
            current += _EN_SIMPLE[tok]
        elif i == 0 and tok.isdigit():
            current = int(tok)  # "6000 and a quarter" (the pattern allows a figure only there)
        elif tok == "a":
            current += 1  # "a hundred", "a thousand"
        elif tok == "hundred":
            current = (current or 1) * 100
        elif tok == "thousand":
            total += (current or 1) * 1000
            current = 0
        elif tok == "and":
            if tokens[i + 1:i + 3] == ["a", "half"]:
                extra = 0.5
                break
            if tokens[i + 1:i + 3] == ["a", "quarter"]:
                extra = 0.25
                break
            if tokens[i + 1:i + 3] == ["three", "quarters"]:
                extra = 0.75
                break
        elif tok == "point":
            decimals = _decimal_tail(tokens[i + 1:], _EN_SIMPLE, _parse_en)
            break
        else:
            return None
        i += 1
    whole = total + current
    if decimals:
        return float(f"{whole}.{decimals}")
    if extra:
        return whole + extra
    return whole


def _spell_en(n: int) -> str:
    if n < 0 or n >= 1_000_000:
        raise ValueError(f"number out of the spelled range: {n}")
    if n == 0:
        return "zero"
    parts: list[str] = []
    if n >= 1000:
        parts.append(_spell_en_below_1000(n // 1000) + " thousand")
        n %= 1000
    if n:
        parts.append(_spell_en_below_1000(n))
    return " ".join(parts)


def _spell_en_below_1000(n: int) -> str:
    units = {v: k for k, v in _EN_UNITS.items()}
    teens = {v: k for k, v in _EN_TEENS.items()}
    tens = {v: k for k, v in _EN_TENS.items() if k != "fourty"}
    parts: list[str] = []
    if n >= 100:
        parts.append(units[n // 100] + " hundred")
        n %= 100
    if n >= 20:
        parts.append(tens[n - n % 10] + (" " + units[n % 10] if n % 10 else ""))
    elif n >= 10:
        parts.append(teens[n])
    elif n:
        parts.append(units[n])
    return " ".join(parts)


_EN_JSGF = {
    "unit": " | ".join(_EN_UNITS),
    "teen": " | ".join(_EN_TEENS),
    "tens": " | ".join(k for k in _EN_TENS if k != "fourty"),
    "n99": "<tens> [<unit>] | <teen> | <unit>",
    "n999": "(<unit> | a) hundred [[and] <n99>] | <n99>",
    "int": "(<n999> | a) thousand [[and] <n999>] | <n999> | zero",
    "int5": "(<n99> | a) thousand [[and] <n999>] | <n999> | zero",
    "digit": "zero | oh | <unit>",
    "frac": "[a | one] half [a] | a quarter",
    "dec": "<int> [point <digit> [<digit>] | and a half] | <frac> | point <digit> [<digit>]",
}

# --------------------------------------------------------------------------------------------
# French (with the Belgian/Swiss septante, huitante/octante, nonante)
# --------------------------------------------------------------------------------------------
_FR_UNITS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
             "sept": 7, "huit": 8, "neuf": 9}
_FR_TEENS = {"dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
             "seize": 16}
_FR_TENS = {"vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50,
            "soixante": 60, "septante": 70, "huitante": 80, "octante": 80, "nonante": 90}
_FR_SIMPLE = {"zero": 0, **_FR_UNITS, **_FR_TEENS, **_FR_TENS}
_FR_DIGIT_WORDS = ("zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf")
_FR_FRACTIONS = {
    ("demi",): 0.5, ("demie",): 0.5, ("un", "demi"): 0.5, ("une", "demie"): 0.5,
    ("une", "demi"): 0.5, ("un", "demie"): 0.5,
    ("un", "quart"): 0.25, ("quart",): 0.25, ("trois", "quarts"): 0.75,
}


def _fr_pattern() -> str:
    u1 = _alt(list(_FR_UNITS))
    u2 = _alt([w for w in _FR_UNITS if w not in ("un", "une")])
    teen = _alt([*_FR_TEENS, "dix sept", "dix huit", "dix neuf"])
    tens = _alt([w for w in _FR_TENS if w != "vingts"])
    n99 = (f"(?:soixante (?:et onze |{teen})|quatre vingts? (?:{teen}|{u1})?"
           f"|{tens}(?:et (?:une?|onze) |{u1})?|{teen}|{u1})")
    n999 = f"(?:(?:{u2})?cents? (?:{n99})?|{n99})"
    # "vingt-deux mille zéro cinquante" (22 050): the hundreds said as a zero, as traders say prices.
    n1099 = (f"(?:soixante (?:et onze |{teen})|quatre vingts? (?:{teen}|{u1})?"
             f"|{tens}(?:et (?:une?|onze) |{u1})?|{teen})")
    nint = f"(?:(?:{n999})?mille (?:{n999}|zero {n1099})?|{n999}|zero )"
    digit = _alt(list(_FR_DIGIT_WORDS))
    # Decimals said digit by digit first: a scan (which stops at its first match) must read "virgule deux
    # cinq" as ,25, never ",2" then a stray "cinq" (a quantity!); "virgule vingt cinq" is no digit run.
    dec = f"virgule (?:(?:{digit}){{2,}}|{n99}|(?:{digit})+|\\d+ )"
    frac_alone = "(?:(?:une? )?demie? |(?:un )?quart |trois quarts )"
    et_frac = "et (?:demie?|quart|trois quarts) "
    return (f"(?:{DIGITS_PATTERN}|\\d+ {et_frac}|{frac_alone}|{nint}(?:{dec}|{et_frac})?"
            f"|{dec})")


def _parse_fr(tokens: list[str]) -> Number | None:
    value = _parse_digits(tokens)
    if value is not None:
        return value
    frac = _FR_FRACTIONS.get(tuple(tokens))
    if frac is not None:
        return frac
    total = 0
    current = 0
    extra = 0.0
    decimals = ""
    prev = ""
    for i, tok in enumerate(tokens):
        if tok in ("vingt", "vingts") and prev == "quatre":
            current += 80 - 4  # "quatre vingt(s)" is 4 x 20, not 4 + 20
        elif i == 0 and tok.isdigit():
            current = int(tok)  # "6000 et quart" (the pattern allows a figure only there)
        elif tok in _FR_SIMPLE:
            current += _FR_SIMPLE[tok]
        elif tok in ("cent", "cents"):
            current = (current or 1) * 100
        elif tok == "mille":
            total += (current or 1) * 1000
            current = 0
        elif tok == "et":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt in ("demi", "demie"):
                extra = 0.5
                break
            if nxt == "quart":
                extra = 0.25
                break
            if tokens[i + 1:i + 3] == ["trois", "quarts"]:
                extra = 0.75
                break
        elif tok == "virgule":
            decimals = _decimal_tail(tokens[i + 1:], _FR_SIMPLE, _parse_fr)
            break
        else:
            return None
        prev = tok
    whole = total + current
    if decimals:
        return float(f"{whole}.{decimals}")
    if extra:
        return whole + extra
    return whole


def _spell_fr(n: int) -> str:
    if n < 0 or n >= 1_000_000:
        raise ValueError(f"number out of the spelled range: {n}")
    if n == 0:
        return "zero"
    parts: list[str] = []
    if n >= 1000:
        thousands = n // 1000
        parts.append("mille" if thousands == 1 else _spell_fr_below_1000(thousands, final=False)
                     + " mille")
        n %= 1000
    if n:
        parts.append(_spell_fr_below_1000(n, final=True))
    return " ".join(parts)


def _spell_fr_below_1000(n: int, *, final: bool) -> str:
    units = {1: "un", 2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six", 7: "sept",
             8: "huit", 9: "neuf"}
    parts: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        if hundreds == 1:
            parts.append("cent")
        else:
            # "deux cents" takes an s only when nothing follows it.
            parts.append(units[hundreds] + (" cents" if rest == 0 and final else " cent"))
    if rest:
        parts.append(_spell_fr_below_100(rest, final=final))
    return " ".join(parts)


def _spell_fr_below_100(n: int, *, final: bool) -> str:
    units = {1: "un", 2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six", 7: "sept",
             8: "huit", 9: "neuf"}
    teens = {10: "dix", 11: "onze", 12: "douze", 13: "treize", 14: "quatorze", 15: "quinze",
             16: "seize", 17: "dix sept", 18: "dix huit", 19: "dix neuf"}
    tens = {20: "vingt", 30: "trente", 40: "quarante", 50: "cinquante", 60: "soixante"}
    if n < 10:
        return units[n]
    if n < 20:
        return teens[n]
    if n < 70:
        t, u = divmod(n, 10)
        if u == 0:
            return tens[t * 10]
        return tens[t * 10] + (" et un" if u == 1 else " " + units[u])
    if n < 80:
        return "soixante et onze" if n == 71 else "soixante " + teens[n - 60]
    if n == 80:
        return "quatre vingts" if final else "quatre vingt"
    rest = n - 80
    return "quatre vingt " + (teens[rest] if rest >= 10 else units[rest])


_FR_JSGF = {
    "unit": " | ".join(_FR_UNITS),
    "unit2": " | ".join(w for w in _FR_UNITS if w not in ("un", "une")),
    "teen": " | ".join([*_FR_TEENS, "dix sept", "dix huit", "dix neuf"]),
    # (Belgian/Swiss tens too: a recogniser held to this grammar must be able to hear "septante")
    "tens": "vingt | trente | quarante | cinquante | soixante | septante | huitante | octante | nonante",
    "n99": ("soixante (et onze | <teen>) | quatre (vingt | vingts) [<teen> | <unit>]"
            " | <tens> [et (un | une) | <unit>] | <teen> | <unit>"),
    "n999": "[<unit2>] (cent | cents) [<n99>] | <n99>",
    "int": "[<n999>] mille [<n999>] | <n999> | zero",
    "int5": "[<n99>] mille [<n999>] | <n999> | zero",
    "digit": "zero | <unit>",
    "frac": "(un | une) (demi | demie) | demi",
    "dec": "<int> [virgule <digit> [<digit>] | et (demi | demie)] | <frac> | virgule <digit> [<digit>]",
}


def _words_of(*tables: dict[str, int] | tuple[str, ...], extra: tuple[str, ...] = ()) -> frozenset[str]:
    words: set[str] = set(extra)
    for table in tables:
        words.update(table)
    return frozenset(words)


_LANGUAGES: dict[str, NumberLanguage] = {
    "en": NumberLanguage(
        code="en", pattern=_en_pattern(), parse_tokens=_parse_en, spell_integer=_spell_en,
        decimal_word="point", digit_words=_EN_DIGIT_WORDS, jsgf=_EN_JSGF,
        words=_words_of(_EN_SIMPLE, extra=("hundred", "thousand", "point", "half", "quarter",
                                            "quarters", "a", "and", "of")),
    ),
    "fr": NumberLanguage(
        code="fr", pattern=_fr_pattern(), parse_tokens=_parse_fr, spell_integer=_spell_fr,
        decimal_word="virgule", digit_words=_FR_DIGIT_WORDS, jsgf=_FR_JSGF,
        words=_words_of(_FR_SIMPLE, extra=("cent", "cents", "mille", "virgule", "demi",
                                            "demie", "quart", "quarts", "et")),
    ),
}
_DIGITS_ONLY: dict[str, NumberLanguage] = {}


def number_language(code: str) -> NumberLanguage:
    """The number rules for a language code ("en", "en-US", "fr_CA"…); digits only if unknown."""
    base = code.lower().replace("_", "-").split("-")[0]
    if base in _LANGUAGES:
        return _LANGUAGES[base]
    if base not in _DIGITS_ONLY:
        _DIGITS_ONLY[base] = NumberLanguage(
            code=base, pattern=f"(?:{DIGITS_PATTERN})", parse_tokens=_parse_digits,
            spell_integer=None, decimal_word=None,
        )
    return _DIGITS_ONLY[base]


def parse_number(text: str, lang: str) -> Number | None:
    """Value of one number said or written in `lang`, or None.

    >>> parse_number("quatre-vingt-dix-neuf", "fr")
    99
    >>> parse_number("one and a half", "en")
    1.5
    >>> parse_number("5 012,25", "fr")
    5012.25
    """
    return number_language(lang).parse(normalize(text))


def number_to_words(value: Number, lang: str) -> str:
    """Spoken form of `value` in `lang` (digits unchanged for languages without word rules)."""
    return number_language(lang).to_words(value)
