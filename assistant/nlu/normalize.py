"""Text normalisation shared by the grammar compiler and the parser.

The same function is applied to grammar templates and to what the user said, so both sides
always agree on spelling: lower case, accents dropped ("achète" == "achete"), punctuation
removed, hyphens and apostrophes turned into spaces ("quatre-vingt-dix" -> "quatre vingt dix",
"qu'est-ce" -> "qu est ce"), "%" / "pour cent" / "per cent" -> "percent", "&" -> "and"
("S&P" -> "s and p"), "@" -> "at", and numbers written with separators made plain
("5 012,25" -> "5012.25", "5,012.25" -> "5012.25", "0,5" -> "0.5"), "x3" -> "3", written fractions
read as decimals ("1/2 %" -> "0.5 percent", "1 1/2" -> "1.5", "½").

It is written for speed (it runs on every utterance, budget a few microseconds): one
`str.translate` for the common Latin accents, Unicode decomposition only when something
exotic is left, and the digit rewrites only when the text holds a digit.
"""
from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["normalize", "fold_accents", "PERCENT_WORD"]

#: Canonical token every way of saying "percent" is rewritten to.
PERCENT_WORD = "percent"

_FOLD: dict[int, str] = {}
for _src, _dst in {
    "àáâãäåā": "a", "ç": "c", "èéêëē": "e", "ìíîïī": "i", "ñ": "n", "òóôõöō": "o",
    "ùúûüū": "u", "ýÿ": "y", "œ": "oe", "æ": "ae", "ß": "ss",
    "\u2019\u2018\u02bc`\u00b4": "'", "\u00a0\u202f\u2009\u2007": " ",
    "\u2013\u2014\u2212": "-", "«»\u201c\u201d": " ",
}.items():
    for _ch in _src:
        _FOLD[ord(_ch)] = _dst
del _src, _dst, _ch

# A space-grouped number: "5 012", "10 000", "1 234 567" (French and SI style).
_SPACE_GROUPS = re.compile(r"(?<![\d.,])(\d{1,3})((?: \d{3})+)(?![\d])")
# An English comma-grouped number: "5,012", "1,234,567.5", also before a comma of the sentence ("at 6,820,
# please"). A first group starting with 0 ("0,500") is a French decimal, not a thousands group.
_COMMA_GROUPS = re.compile(r"(?<![\d.,])([1-9]\d{0,2})((?:,\d{3})+)(?!\d|,\d)")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
# A Swiss apostrophe-grouped number ("6'000", "21'050.5"): no other reading. A dot-grouped one ("6.000",
# "21.500") is 6 or 6000, 21.5 or 21500 depending on the writer's country: never read (numbers.py refuses it).
_APOSTROPHE_GROUPS = re.compile(r"(?<![\w.,'])(\d{1,3})((?:'\d{3})+)(?![\d'])")
_LEADING_DOT = re.compile(r"(?<!\d)\.(?=\d)")
_SYMBOLS = re.compile(r"[%&@]")
_SYMBOL_WORDS = {"%": f" {PERCENT_WORD} ", "&": " and ", "@": " at "}
# Everything that is not a letter/digit in any script, a space or a dot becomes a space.
_PUNCT = re.compile(r"[^\w. ]|_")
# A dot that is not a decimal point (between two digits) becomes a space.
_STRAY_DOT = re.compile(r"\.(?!\d)|(?<!\d)\.")
_DIGIT = re.compile(r"\d")
# A minus sign in front of a number ("buy -3 ES"): kept as the word "minus" so that no grammar
# matches it. Dropped like other punctuation it would turn -3 into 3 (a different order).
_NEGATIVE = re.compile(r"(?:^|(?<=\s))-\s*(?=\d)")
_GROUPED = re.compile(r"\d[ ,]\d")
# "x3" (trader shorthand for "three of them": "long spoos x3") is the number itself.
_TIMES = re.compile(r"(?<![\w.])x(?=\d+(?![\w.,]))")
_PERCENT_PHRASE = re.compile(r"(?:\b|(?<=\d))(?:pour ?cent|per ?cent|pct|pourcents?)\b|(?<=\d)pc\b|(?<=\d )pc\b")
# Session 16 (helper nlu34): a tick said in words after a figure ("6007 and a quarter", "6010 et demi",
# "21420 and three quarters"): the written fraction, read below ("6007 1/4" -> 6007.25). Quarters only (the
# ES / MNQ tick grid); "and a third", "et des poussières" stay words (refused).
_SPOKEN_TICK = re.compile(r"(?<=\d) (?:and a quarter|and one quarter|et quart|et un quart)\b")
_SPOKEN_HALF = re.compile(r"(?<=\d) (?:and a half|and one half|et demie?)\b")
_SPOKEN_THREE = re.compile(r"(?<=\d) (?:and three quarters|and 3 quarters|et trois quarts|et 3 quarts)\b")
# A risk typed as a field ("r=0.75%", "R: 1%"): the risk word, then the figure.
_RISK_FIELD = re.compile(r"(?:^|(?<=\s))r ?[=:] ?(?=\.?\d)")
# A written fraction: "1/2", "1 1/2", "3/4" (and "½", "¼", "¾"), read as its decimal value; other
# figures around a slash ("12/15") are left alone.
_WRITTEN_FRACTION = re.compile(r"(?<![\d/.,])(?:(\d+) )?([13])/([24])(?![\d/])")
_VULGAR = {"\u00bd": " 1/2", "\u00bc": " 1/4", "\u00be": " 3/4"}


def fold_accents(text: str) -> str:
    """Lower-case `text` and drop diacritics ("Achète" -> "achete")."""
    text = text.lower()
    if text.isascii():
        return text
    # Word by word, each word folded once (`_folded_word`): `str.translate` with a dict raises and catches a
    # KeyError inside for every character it does not map, after the first non-ASCII one (a French sentence
    # cost tens of thousands of instructions), and the same words come back sentence after sentence. The same
    # result: the translation is character by character, and the decomposition too, its reordering of
    # combining marks never crossing a space (a starter); a space maps to itself.
    folded = _FOLDED_WORDS
    return " ".join([folded.get(word) or _folded_word(word) for word in text.split(" ")])


#: Lower-cased words -> `_folded_word` of them (a memo of words, not sentences; bounded).
_FOLDED_WORDS: dict[str, str] = {}
_FOLDED_LIMIT = 20_000


def _folded_word(word: str) -> str:
    """One lower-cased word (no space in it) without diacritics, remembered."""
    out = word.translate(_FOLD)
    if not out.isascii():
        decomposed = unicodedata.normalize("NFKD", out)
        out = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if len(_FOLDED_WORDS) > _FOLDED_LIMIT:
        _FOLDED_WORDS.clear()  # typed text may hold any word: keep the memo bounded
    _FOLDED_WORDS[word] = out
    return out


def _join_groups(match: re.Match[str]) -> str:
    return match.group(1) + match.group(2).replace(" ", "").replace(",", "").replace("'", "")


def _fraction(match: re.Match[str]) -> str:
    num, den = int(match.group(2)), int(match.group(3))
    if num >= den:
        return match.group(0)  # ("3/2" is no fraction said as such)
    value = int(match.group(1) or 0) + num / den
    # (never "{:g}": six significant digits made "21420 3/4" 21420.8, another price)
    return f"{value:.2f}".rstrip("0").rstrip(".")


# A number written out and then in figures, the way contracts write it: "two (2) ES contracts",
# "deux (2) contrats". Up to four words before the figures in brackets.
_RESTATED = re.compile(r"((?:[a-z]+[ -]){0,3}[a-z]+) ?\((\d{1,4})\)")


def _said_once(match: re.Match[str]) -> str:
    """The words alone when they say the bracketed figure (in English or French); otherwise the
    text as written, both numbers left for the parser to refuse ("two (3)": which one?)."""
    from assistant.nlu.numbers import parse_number  # (numbers imports this module)

    words, figure = match.group(1).replace("-", " ").split(), int(match.group(2))
    for lang in ("en", "fr"):
        # The whole number the words end on, not a tail of it ("vingt-deux (2)" is 22 and 2: refused).
        said = next((value for k in range(len(words), 0, -1)
                     if (value := parse_number(" ".join(words[-k:]), lang)) is not None), None)
        if said == figure:
            return match.group(1) + " "
    return match.group(0)


def normalize(text: str) -> str:
    """Return the canonical, space-separated token string for `text` (may be empty)."""
    if not text.isascii() and any(ch in text for ch in _VULGAR):
        text = "".join(_VULGAR.get(ch, ch) for ch in text)
    text = fold_accents(text)
    if "(" in text and _RESTATED.search(text):
        text = _RESTATED.sub(_said_once, text)
    bare = text.replace(" ", "")
    # Plain ASCII words, figures and spaces (most of what is typed or recognised): no symbol, dot
    # or punctuation to rewrite, and with letters only no number either.
    plain = text.isascii() and bare.isalnum()
    if not plain and _SYMBOLS.search(text):
        text = _SYMBOLS.sub(lambda m: _SYMBOL_WORDS[m.group(0)], text)
    if not (plain and bare.isalpha()) and _DIGIT.search(text):
        if "-" in text:
            text = _NEGATIVE.sub(" minus ", text)
        if "x" in text:
            text = _TIMES.sub("", text)
        if "'" in text:
            text = _APOSTROPHE_GROUPS.sub(_join_groups, text)
        if _GROUPED.search(text):
            text = _SPACE_GROUPS.sub(_join_groups, text)
            if "," in text:
                text = _COMMA_GROUPS.sub(_join_groups, text)
                text = _DECIMAL_COMMA.sub(".", text)
        if " and " in text or " et " in text:
            text = _SPOKEN_TICK.sub(" 1/4", _SPOKEN_HALF.sub(" 1/2", _SPOKEN_THREE.sub(" 3/4", text)))
        if "=" in text or ":" in text:
            text = _RISK_FIELD.sub("risk ", text)
        if "/" in text:
            text = _WRITTEN_FRACTION.sub(_fraction, text)
        if "." in text:
            text = _LEADING_DOT.sub("0.", text)
    if not plain:  # (the number rewrites keep a plain sentence plain: digits and spaces)
        text = _PUNCT.sub(" ", text)
        if "." in text:
            text = _STRAY_DOT.sub(" ", text)
    if "cent" in text or "pc" in text:
        text = _PERCENT_PHRASE.sub(" " + PERCENT_WORD, text)
    return " ".join(text.split())


#: `normalize` remembering its last few sentences: one parse normalises the same text at several
#: stages (the matcher, the restatements, the classifier of a refused sentence).
cached_normalize = functools.lru_cache(maxsize=256)(normalize)
