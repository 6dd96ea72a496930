"""How a grammar's written words are *said*: the vocabulary given to speech recognisers.

Shared by the recogniser compilers (`assistant.grammar.compile`) and the parser, which also
accepts these spoken forms, so that whatever a recogniser built from the grammar returns is
understood ("S&P 500" -> "s and p five hundred", "SPX" -> "s p x", "1 %" -> "un pour cent").
"""
from __future__ import annotations

import re

from assistant.nlu.numbers import number_language

__all__ = ["spoken_words", "base_language", "ACCENTED"]

_ACRONYM = re.compile(r"^[A-Z]{2,5}$")
_DIGITS = re.compile(r"^\d+(?:[.,]\d+)?$")
_ORDINAL_EN = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
#: Last word of an English cardinal -> ordinal ("ninety five" -> "ninety fifth").
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                  "nine": "ninth", "twelve": "twelfth"}
_WORD_SPLIT = re.compile(r"[\s\-]+")
_PUNCT = re.compile(r"[^\w']+")
_AND = {"en": "and", "fr": "et"}
_PERCENT = {"en": "percent", "fr": "pour cent"}
#: Number words whose written form takes an accent (the number module works without them).
ACCENTED = {"fr": {"zero": "zéro"}}


def base_language(lang: str) -> str:
    """"fr-FR" -> "fr"."""
    return lang.lower().replace("_", "-").split("-")[0]


def spoken_words(text: str, lang: str) -> list[str]:
    """Words a recogniser hears for `text` as written in a grammar file.

    >>> spoken_words("S&P 500", "en")
    ['s', 'and', 'p', 'five', 'hundred']
    >>> spoken_words("QR-DQN", "en")
    ['q', 'r', 'd', 'q', 'n']
    >>> spoken_words("Achète l'ES", "fr")
    ['achète', "l'", 'e', 's']
    """
    base = base_language(lang)
    numbers = number_language(base)
    text = text.replace("\u2019", "'").replace("&", f" {_AND.get(base, 'and')} ")
    text = text.replace("%", f" {_PERCENT.get(base, 'percent')} ")
    out: list[str] = []
    for raw in _WORD_SPLIT.split(text):
        if not raw:
            continue
        # "l'ES" -> "l'" + "ES": an elided article followed by an acronym or a digit.
        pieces = [raw]
        if "'" in raw[:-1]:
            head, _, tail = raw.partition("'")
            if _ACRONYM.match(tail) or _DIGITS.match(tail):
                pieces = [head + "'", tail]
        for piece in pieces:
            piece = piece.strip(".,;:!?\"()")
            if not piece:
                continue
            if _DIGITS.match(piece) and numbers.spell_integer is not None:
                value = float(piece.replace(",", ".")) if ("." in piece or "," in piece) else int(piece)
                words = numbers.to_words(value).split()
                accents = ACCENTED.get(base, {})
                out.extend(accents.get(w, w) for w in words)
            elif base == "en" and _ORDINAL_EN.match(piece):
                words = numbers.to_words(int(piece[:-2])).split()
                last = words[-1]
                words[-1] = _ORDINAL_WORDS.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
                out.extend(words)
            elif _ACRONYM.match(piece):
                out.extend(ch.lower() for ch in piece)
            else:
                cleaned = _PUNCT.sub(" ", piece.lower()).split()
                out.extend(cleaned)
    return out
