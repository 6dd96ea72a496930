"""Text for the synthesiser: contract symbols and acronyms spelled, written numbers said in words.

`Msg` renders its values in words for `Surface.SPEECH` directly (see `text.render`). `for_speech`
covers text that arrives already written (a dialogue answer, a broker's sentence): it spells the
acronyms and turns the written money, percentages and grouped or decimal numbers of MIA's own
formats back into words, so "P&L -$1,502.25" is said "P and L minus one thousand five hundred two
dollars and twenty-five cents".
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from assistant.present.spell import spell_money, spell_number

_SYMBOLS = {"ES": "E S", "MNQ": "M N Q"}

_ACRONYMS = {
    "en": ((re.compile(r"\bMNQ\b"), "M N Q"), (re.compile(r"\bES\b"), "E S"), (re.compile(r"P&L"), "P and L"),
           (re.compile(r"QR-DQN"), "Q R D Q N"), (re.compile(r"\bSHAP\b"), "shap"), (re.compile(r"\bCVaR\b"), "C VaR"),
           (re.compile(r"\bVaR\b"), "VaR"), (re.compile(r"\bCPU\b"), "C P U"), (re.compile(r"\bML\b"), "M L")),
    "fr": ((re.compile(r"\bMNQ\b"), "M N Q"), (re.compile(r"\bES\b"), "E S"), (re.compile(r"P&L"), "P N L"),
           (re.compile(r"QR-DQN"), "Q R D Q N"), (re.compile(r"\bSHAP\b"), "chape"), (re.compile(r"\bCVaR\b"), "C VaR"),
           (re.compile(r"\bVaR\b"), "VaR"), (re.compile(r"\bCPU\b"), "C P U"), (re.compile(r"\bML\b"), "M L")),
}


def spell_symbol(symbol: str) -> str:
    """"MNQ" -> "M N Q" (the synthesiser would read "ES" as the word "ess")."""
    return _SYMBOLS.get(symbol.upper(), " ".join(symbol.upper()) if symbol.isalpha() and len(symbol) <= 4 else symbol)


def spell_acronyms(text: str, lang: str) -> str:
    for pattern, spoken in _ACRONYMS["fr" if lang == "fr" else "en"]:
        text = pattern.sub(spoken, text)
    return text


# Written numbers of MIA's formats (see numbers.py and money.py). A number glued to a letter, a dash or
# a colon (an order id, a date, a time) is left alone.
_EDGE_L = r"(?<![\w\-:/.,])"
_EDGE_R = r"(?![\w:/]|[.,]\d)"
_SP = "[\u202f\u00a0 ]"
_EN_MONEY = re.compile(_EDGE_L + r"(-)?\$(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?" + _EDGE_R)
_FR_MONEY = re.compile(_EDGE_L + r"(-)?(\d{1,3}(?:" + _SP + r"\d{3})+|\d+)(,\d+)?" + _SP + r"?\$")
_EN_PCT = re.compile(_EDGE_L + r"(-)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?" + r" ?%")
_FR_PCT = re.compile(_EDGE_L + r"(-)?(\d{1,3}(?:" + _SP + r"\d{3})+|\d+)(,\d+)?" + _SP + r"?%")
_EN_NUM = re.compile(_EDGE_L + r"(-)?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)" + _EDGE_R)
_FR_NUM = re.compile(_EDGE_L + r"(-)?(\d{1,3}(?:" + _SP + r"\d{3})+(?:,\d+)?|\d+,\d+)" + _EDGE_R)


def _decimal(sign: str | None, whole: str, frac: str | None, lang: str) -> Decimal | None:
    digits = re.sub(_SP + "|,", "", whole) if lang == "fr" else whole.replace(",", "")
    if frac:
        digits += "." + frac[1:]
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return -value if sign else value


def _numbers_in_words(text: str, lang: str) -> str:
    fr = lang == "fr"

    def money(m: re.Match[str]) -> str:
        value = _decimal(m.group(1), m.group(2), m.group(3), lang)
        return m.group(0) if value is None else spell_money(value, lang)

    def percent(m: re.Match[str]) -> str:
        value = _decimal(m.group(1), m.group(2), m.group(3), lang)
        if value is None:
            return m.group(0)
        return spell_number(value, lang, 4) + (" pour cent" if fr else " percent")

    def number(m: re.Match[str]) -> str:
        raw = m.group(2)
        whole, _, frac = raw.partition("," if fr else ".")
        value = _decimal(m.group(1), whole, "." + frac if frac else None, lang)
        return m.group(0) if value is None else spell_number(value, lang, 6)

    text = (_FR_MONEY if fr else _EN_MONEY).sub(money, text)
    text = (_FR_PCT if fr else _EN_PCT).sub(percent, text)
    return (_FR_NUM if fr else _EN_NUM).sub(number, text)


def for_speech(text: str, lang: str) -> str:
    """Already-written text as the synthesiser should read it."""
    lang = "fr" if lang == "fr" else "en"
    return spell_acronyms(_numbers_in_words(text, lang), lang)


__all__ = ["for_speech", "spell_acronyms", "spell_symbol"]
