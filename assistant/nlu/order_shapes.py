"""Orders in the shapes traders give them, said again in the plain shape (round 27a, helper nlu27).

"verb quantity market at price" is one shape. Traders also say:

* the price before the quantity, joined by a `quantity_connectors` word: "limit buy at 5890 for 1 ES",
  "mets un ordre d'achat à 6840 pour 2 ES", "un achat à 5890 sur 1 ES" (-> "limit buy 1 ES at 5890");
* the quantity after such a word: "put in a limit buy for 2 ES at 6000" (-> "put in a limit buy 2 ES at 6000");
* the price said last after a bound that opens it (`ceilings_before`, `floors_before`): "buy 6 MNQ, pay no more than
  21,020", "vends 2 ES, mais pas en dessous de 5 415" (-> "buy 6 MNQ at 21020"; a word that joins the bound to the
  order, `bound_joins` "but", "mais", is left out), the bound's side kept as above;
* the price right after or before a quote word (`quote_words`), as in the pit: "bid 5005 for 2 ES", "5010 bid for 2
  spoos" (-> "bid 2 ES at 5005", said with the language's first `price_markers` word);
* the price bounded, said last right after it: a ceiling on a buy (`price_ceilings`: "at 5910 at most",
  "à 5910 au plus"), a floor on a sell (`price_floors`: "at 6900 at least", "à 6900 au moins"): that bound IS
  the limit; a price said exactly (`price_exact`: "at 6000 flat").

`OrderShapes.reshaped` gives the plain sentence and what it must keep; the parser reads it through every
stage and keeps it only when it is an order with that price, that quantity and, for a bound, the side the
bound belongs to ("sell 2 ES at 6840 at most": a sell limit is a floor, never read "at 6840").
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.nlu.restate import _phrases

#: The keys this module reads (frames sections; `price_markers` is the frames' own too).
SHAPE_KEYS = frozenset({"quantity_connectors", "price_ceilings", "price_floors", "price_exact", "quote_words",
                        "ceilings_before", "floors_before", "bound_joins"})

#: A price typed in figures ("5890", "6838.25"), as normalised.
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?")
#: A price said by a quote word or after a bound said first: at least three figures ("bid 2 for 5 ES", "buy 2 ES,
#: no more than 3" name no price).
_QUOTE_PRICE = re.compile(r"\d{3,}(?:[.,]\d+)?")


@dataclass(frozen=True)
class Reshaped:
    """An order said again in the plain shape, and what its reading must keep."""
    text: str
    price: float | None = None      # the price said (the reading must have it)
    quantity: str | None = None     # the words of the quantity said after a connector (the reading's quantity)
    side: str | None = None         # the side a bound on the price belongs to ("BUY" for a ceiling)


class OrderShapes:
    """The shape cues of every loaded language (merged: traders mix)."""

    def __init__(self, frames: Mapping[str, Mapping[str, Any]]) -> None:
        self.markers = _phrases(frames, "price_markers")
        self.connectors = _phrases(frames, "quantity_connectors")
        self.bounds = ((_phrases(frames, "price_ceilings"), "BUY"), (_phrases(frames, "price_floors"), "SELL"),
                       (_phrases(frames, "price_exact"), None))
        #: One-word limit words ("limit", "lmt") that may stand between the price and its bound ("at 18050 limit,
        #: no higher": the bound is that limit).
        self.limit_words = frozenset(str(w).lower() for section in frames.values()
                                     for w in section.get("limit_words") or () if " " not in str(w))
        #: Bounds said before the price, by the side they belong to ("pay no more than": a buy's ceiling).
        #: (the price is said again after the order with the bound's language's first price marker: "at", "a")
        self.bounds_before = tuple((_phrases({code: section}, key), side, str(section["price_markers"][0]))
                                   for code, section in frames.items() if section.get("price_markers")
                                   for key, side in (("ceilings_before", "BUY"), ("floors_before", "SELL"))
                                   if section.get(key))
        self.bound_joins = frozenset(str(w).lower() for section in frames.values() for w in section.get("bound_joins") or ())
        #: A quote word ("bid", "offer") -> the price marker its language says a price with ("at").
        self.quote_markers = {str(w).lower(): str(section["price_markers"][0])
                              for section in frames.values() if section.get("price_markers")
                              for w in section.get("quote_words") or ()}

    def __bool__(self) -> bool:
        return bool(self.connectors) or any(bool(phrases) for phrases, _ in self.bounds) or bool(self.bounds_before) \
            or bool(self.quote_markers)

    def reshaped(self, tokens: Sequence[str], is_number: Callable[[str], bool]) -> Reshaped | None:
        """The order said in the plain shape, or None when it is in none of this module's shapes."""
        words = list(tokens)
        price: float | None = None
        side: str | None = None
        bounded = False
        for phrases, bound_side in self.bounds:
            for start in range(max(1, len(words) - 7), len(words)):
                if phrases.at(words, start) != len(words) - start:
                    continue
                figure = start - 2 if start >= 2 and words[start - 1] in self.limit_words else start - 1
                if _FIGURE.fullmatch(words[figure]):
                    price, side, bounded = _figure(words[figure]), bound_side, True
                    words = words[:start]
                    break
            if bounded:
                break
        if not bounded and len(words) > 3 and _QUOTE_PRICE.fullmatch(words[-1]):
            before = self._bound_before(words)
            if before is not None:
                start, side, marker = before
                head = words[:start]
                while head and head[-1] in self.bound_joins:
                    head = head[:-1]
                return Reshaped(" ".join([*head, marker, words[-1]]), _figure(words[-1]), None, side) if head else None
        quantity: str | None = None
        for c in range(1, len(words) - 1):
            n = self.connectors.at(words, c)
            if not n or c + n >= len(words) or not is_number(words[c + n]):
                continue
            quantity = words[c + n]
            head, rest = words[:c], words[c + n:]
            m = _price_end(self.markers, head)
            quoted = self._quoted_price(head) if m is None else None
            if m is not None:  # "at 5890 for 1 ES": the price goes last
                if price is not None:
                    return None  # two prices
                price = _figure(head[-1])
                rest, head = rest + head[m:], head[:m]
            elif quoted is not None:  # "bid 5005 for 2 ES", "5010 bid for 2 ES": "bid 2 ES at 5005"
                if price is not None:
                    return None
                said_price, word = quoted
                price = _figure(said_price)
                head, rest = head[:-2] + [word], rest + [self.quote_markers[word], said_price]
            words = head + rest
            break
        if not bounded and quantity is None:
            return None
        return Reshaped(" ".join(words), price, quantity, side)

    def _bound_before(self, words: Sequence[str]) -> tuple[int, str, str] | None:
        """Where a bound said right before the last word (a figure) starts, its side and its language's price
        marker, or None."""
        for phrases, side, marker in self.bounds_before:
            for start in range(max(1, len(words) - 7), len(words) - 1):
                if phrases.at(words, start) == len(words) - 1 - start:
                    return start, side, marker
        return None

    def _quoted_price(self, head: Sequence[str]) -> tuple[str, str] | None:
        """The figure and the quote word that end `head`, in either order ("bid 5005", "5010 bid"), or None."""
        if len(head) < 2:
            return None
        for figure, word in ((head[-1], head[-2]), (head[-2], head[-1])):
            if word in self.quote_markers and _QUOTE_PRICE.fullmatch(figure):
                return figure, word
        return None


def _figure(word: str) -> float:
    return float(word.replace(",", "."))


def _price_end(markers: Any, head: Sequence[str]) -> int | None:
    """Where a price marker and a figure that end `head` start ("… at 5890"), or None."""
    if not head or not _FIGURE.fullmatch(head[-1]):
        return None
    for start in range(max(0, len(head) - 5), len(head) - 1):
        if markers.at(head, start) == len(head) - 1 - start:
            return start
    return None
