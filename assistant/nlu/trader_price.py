"""Prices said the way traders say them (round 27a, helper nlu27).

A futures price is rarely said as one number: "sixty seventy" (6070), "sixty-eight forty" (6840), "six eight
four zero" (6840, digit by digit), "twenty four eight fifty" (24 850), "soixante-huit quarante", "vingt-quatre
huit cinquante". Read as one number, each is several numbers (refused, `ambiguous_price`). Here, the shapes
traders use, each of which has one value:

* digit by digit: four or five one-digit words ("six eight four zero");
* the handle then the rest, two two-digit groups: "sixty | seventy", "sixty eight | ninety nine";
* thousands, hundreds, the rest: "twenty four | eight | fifty" (two digits, one digit, two digits).

A sentence is read only when exactly one of these splits makes a price, and that price lies inside a
market's own range (`price_ranges` of a `frames:` section, "SYMBOL LOW HIGH": a market's price range
today); the order's market is checked again once known (`PriceReader.fits`): "buy 2 MNQ at sixty seventy"
(6070 is no MNQ price: a handle dropped?) is refused, never guessed. A price said as one number
("six thousand eight hundred forty", "6840") is never read here.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from assistant.nlu.numbers import Number

#: The keys this module reads (frames sections; not cues of the analysis).
PRICE_KEYS = frozenset({"price_ranges"})

#: A number reader: the value of the words, or None when they are not one number.
NumberParser = Callable[[str], Number | None]


class PriceReader:
    """The markets' price ranges (every loaded language's `price_ranges`), and the trader shapes read in them."""

    def __init__(self, frames: Mapping[str, Mapping[str, Any]]) -> None:
        self.ranges: dict[str, tuple[float, float]] = {}
        for section in frames.values():
            for entry in section.get("price_ranges", ()):
                parts = str(entry).split()
                if len(parts) == 3:
                    self.ranges[parts[0].upper()] = (float(parts[1]), float(parts[2]))

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def read(self, tokens: Sequence[str], parse: NumberParser) -> float | None:
        """The one price the words make in a trader's shape inside some market's range, or None."""
        values = {v for v in _readings(tokens, parse) if any(lo <= v <= hi for lo, hi in self.ranges.values())}
        return float(values.pop()) if len(values) == 1 else None

    def names_a_price(self, tokens: Sequence[str]) -> bool:
        """A figure typed among `tokens` that lies in some market's range ("on mouille l'ancre à 6820"): said
        beside an order, it may be the order's price (session 17: such a clause was passed over as a comment,
        and the order read at market)."""
        for token in tokens:
            if token[:1].isdigit():
                try:
                    value = float(token.replace(",", "."))
                except ValueError:
                    continue
                if any(lo <= value <= hi for lo, hi in self.ranges.values()):
                    return True
        return False

    def fits(self, symbol: str, price: float) -> bool:
        """True when `price` lies in `symbol`'s range (a market without one: never)."""
        bounds = self.ranges.get(symbol)
        return bounds is not None and bounds[0] <= price <= bounds[1]


def _whole(parse: NumberParser, words: Sequence[str], low: int, high: int) -> int | None:
    """The words as one whole number in low..high, or None."""
    if not words:
        return None
    value = parse(" ".join(words))
    if value is None or isinstance(value, bool) or not float(value).is_integer() or not low <= value <= high:
        return None
    return int(value)


def _readings(tokens: Sequence[str], parse: NumberParser) -> set[int]:
    """Every value the words make in one of the trader shapes (module doc)."""
    out: set[int] = set()
    n = len(tokens)
    if any(t[:1].isdigit() for t in tokens):
        return out  # typed figures ("68 40") are no spoken shape
    digits = [_whole(parse, [t], 0, 9) for t in tokens]
    if n in (4, 5) and all(d is not None for d in digits):
        out.add(int("".join(str(d) for d in digits)))
    for i in range(1, n):
        head, rest = _whole(parse, tokens[:i], 10, 99), _whole(parse, tokens[i:], 10, 99)
        if head is None:
            continue
        if rest is not None:
            out.add(head * 100 + rest)  # the handle, then the rest
        hundreds, tail = digits[i], _whole(parse, tokens[i + 1:], 10, 99)
        if hundreds is not None and tail is not None:
            out.add(head * 1000 + hundreds * 100 + tail)  # thousands, hundreds, the rest
    return out
