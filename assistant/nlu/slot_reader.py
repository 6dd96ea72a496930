"""Slot-filling reader: an order said as its slots, in any order, with labels or units.

Traders type orders as a ticket more than as a sentence: "prix 5012,25 qté 3 achat MNQ",
"side: sell / qty: 3 / mkt: ES", "2x ES long", "achat 2 lots ES", "qté 10 MNQ" (no side: the
dialogue asks "Achat ou vente ?"). No template can list every order of four slots with their
labels, so this stage reads the tokens one by one and accepts the order ONLY when every token is
accounted for:

* a **side** word (the grammar's `side` list of any loaded language: "je veux buy 2 ES"), after an
  optional side label ("sens", "side");
* a **market** (the `symbol` list), after an optional market label ("marché", "mkt");
* a **quantity**: a whole number with a quantity label before it ("qté", "qty", "x"), a unit
  after it ("lots", "contrats") or fused ("2x"); an unlabelled number is the quantity only when it
  is the only one;
* a **price**: a number after a price label ("prix", "price", "@"), or after a price marker ("à",
  "at") once the market was said ("3 à 5 ES" stays two numbers);
* a **limit order** ticket: a limit word (the frames' `limit_words`: "limit", "limite", "lim") makes
  a number right after it the price once the market was said ("achète 2 es lim 6004,25"), and
  with two unlabelled numbers, the one after the market the price ("buy limit 1 es 5985", "sell
  1 E-mini 6027.25 limit"; at least 100, so "limit 2 ES 3" stays unclear); a limit word with no
  price, or with "at market", is refused;
* a **side said after the order** ("2 ES to buy", "3 micros à vendre"): a side marker (`side_markers`:
  "to", "à") counts only right before a side word; before anything else it is an unknown word;
* an **article right before the market** (`single_articles`, "buy a micro": one contract), in the
  sentence's own language only (a French "à" is no article);
* a market's **plural or possessive "s"** ("2 ES's", "MNQ's": "es s" once normalised) right after the
  market; anywhere else "s" is what it always is (a chat side letter, or nothing);
* fillers (articles, prepositions, politeness), urgency words ("tout de suite", "asap") and the
  market-order words ("au marché", "at market": no price then) are dropped.

Anything else — a word the reader does not know (a negation, a condition, "demain", "j'ai"), a
label without its value, a slot said twice (even with the same value: "ES ES"), a percentage, two markets — and the
reader answers nothing (the earlier refusal stands). A vague quantity ("quelques", "a few") with a
side and a market asks for the quantity. The vocabulary is grammar data: the `frames:` keys
`quantity_labels`, `price_labels`, `side_labels`, `market_labels`, `quantity_units`,
`slot_fillers`, `urgency`, `market_order`, `vague_quantities`, `side_markers`, `single_articles` of each
language file.

The parser calls this stage only after the templates, the fuzzy matcher and the frames refused
a sentence for want of a match or for an unclear side or quantity, behind set look-ups (a
word that may begin a market, and no word a reading cannot hold), so a sentence understood as said pays nothing.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.nlu.compiled import NUMBER_KIND, CompiledLanguage, ScannedValue
from assistant.nlu.normalize import normalize

__all__ = ["SLOT_KEYS", "SlotOrder", "SlotReader"]

#: The `frames:` keys this stage reads (the frame matcher leaves them alone).
SLOT_KEYS = frozenset({"quantity_labels", "price_labels", "side_labels", "market_labels", "quantity_units",
                       "slot_fillers", "urgency", "market_order", "vague_quantities", "side_markers", "single_articles"})
#: Keys read word by word (a word that counts only next to a given value), not looked up as phrases.
_MARKER_KEYS = frozenset({"side_markers", "single_articles"})
#: A market's plural or possessive ending, a word of its own once normalised ("ES's": "es s").
_PLURAL_S = "s"

_LABELS = {"quantity_labels": "quantity", "price_labels": "price", "side_labels": "side", "market_labels": "symbol"}
_SLOT_NAMES = frozenset(_LABELS.values())


@dataclass(frozen=True, slots=True)
class SlotOrder:
    """What the reader made of a sentence: the slots said, and the ones still missing (empty for
    a complete order)."""

    slots: dict[str, Any]
    slot_text: dict[str, str]
    missing: tuple[str, ...] = ()
    language: str = ""


class _Table:
    """Longest-match lookup of normalised phrases (by first word), each with its tags."""

    def __init__(self) -> None:
        self._by_first: dict[str, dict[tuple[str, ...], set[str]]] = {}

    def add(self, phrase: str, tag: str) -> None:
        words = tuple(normalize(phrase).split())
        if words:
            self._by_first.setdefault(words[0], {}).setdefault(words, set()).add(tag)

    def at(self, tokens: Sequence[str], start: int) -> tuple[int, frozenset[str]]:
        best: tuple[int, frozenset[str]] = (0, frozenset())
        for words, tags in self._by_first.get(tokens[start], {}).items():
            if len(words) > best[0] and tuple(tokens[start:start + len(words)]) == words:
                best = (len(words), frozenset(tags))
        return best

    def __bool__(self) -> bool:
        return bool(self._by_first)


@dataclass
class _Reading:
    slots: dict[str, Any] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    unlabelled: list[tuple[int, str]] = field(default_factory=list)
    vague: bool = False
    market_order: bool = False
    limit: bool = False
    quantity_at: int = -1
    symbol_at: int = -1
    article: bool = False  # the quantity said as an article ("a micro")
    foreign_side: bool = False  # the side said in another language ("vends" read with English words)

    def put(self, slot: str, value: Any, said: str) -> bool:
        """False when the slot was already said: with another value it is unclear, and the same
        one twice ("ES ES", "micro micro nasdaq") may be a stutter or a misheard word — the
        templates refuse it too."""
        if slot in self.slots:
            return False
        self.slots[slot] = value
        self.text[slot] = said
        return True


class SlotReader:
    """Reads orders said as slots, with the vocabulary of every loaded language (traders mix)."""

    def __init__(self, compiled: Mapping[str, CompiledLanguage], frames: Mapping[str, Mapping[str, Any]]) -> None:
        self._compiled = dict(compiled)
        self._tables: dict[str, _Table] = {}
        for code, section in frames.items():
            table = self._tables.setdefault(code, _Table())
            for key in SLOT_KEYS - _MARKER_KEYS:
                for phrase in _strings(section.get(key, ())):
                    table.add(phrase, _LABELS.get(key, key))
            for phrase in _strings(section.get("limit_words", ())):
                table.add(phrase, "limit")
        # One-word sides of each language, for a side word of the other language ("je veux buy").
        self._sides: dict[str, dict[str, Any]] = {
            code: {form: value for form, value in comp.text_values.get("side", {}).items() if " " not in form}
            for code, comp in self._compiled.items()}
        self._symbol_starts = frozenset(form.split()[0] for comp in self._compiled.values()
                                        for form in comp.text_values.get("symbol", {}))
        # Every word a reading may hold: the gate refuses at once a sentence with any other word
        # (most refused sentences), before any scanning.
        words: set[str] = set()
        for comp in self._compiled.values():
            for name in ("side", "symbol"):
                for form in comp.text_values.get(name, {}):
                    words.update(form.split())
            words.update(comp.numbers.words)
            for phrase in comp.grammar.skip_words:
                words.update(normalize(phrase).split())
        for section in frames.values():
            for key in (*SLOT_KEYS, "price_markers", "limit_words"):
                for phrase in _strings(section.get(key, ())):
                    words.update(normalize(phrase).split())
        # One-word price markers of the frames ("à", "at"): a number right after one, once the
        # market was said, is the price ("achat ES 2 à 5012,25"; "3 à 5 ES" stays two numbers).
        self._price_markers = frozenset(normalize(p) for section in frames.values()
                                        for p in _strings(section.get("price_markers", ()))
                                        if len(normalize(p).split()) == 1)
        # Side markers ("to", "à", "à l'"), longest first: a side word right after one is the order's side
        # ("2 ES to buy", "2x MNQ à l'achat").
        self._side_markers = sorted({tuple(normalize(p).split()) for section in frames.values()
                                     for p in _strings(section.get("side_markers", ())) if normalize(p)},
                                    key=len, reverse=True)
        # Articles that say one contract right before a market ("a", "an"), by language.
        self._articles = {code: frozenset(normalize(p) for p in _strings(section.get("single_articles", ())))
                          for code, section in frames.items()}
        words.add(_PLURAL_S)
        self._words = frozenset(words)
        self.enabled = any(self._tables.values()) and bool(self._symbol_starts)

    def language_words(self, code: str, tokens: Sequence[str]) -> int:
        """How many of `tokens` begin a phrase of this reader in language `code` only ("qté" is
        French): the language of a sentence such as "qté 10 MNQ", which no template knows."""
        table = self._tables.get(code)
        if table is None:
            return 0
        others = [t for c, t in self._tables.items() if c != code]
        return sum(1 for k in range(len(tokens)) if table.at(tokens, k)[0]
                   and not any(other.at(tokens, k)[0] for other in others))

    def may_read(self, tokens: Sequence[str]) -> bool:
        """The cheap gate: a word that may begin a market (every reading needs one), and no word
        a reading cannot hold (digits aside: numbers, "2x")."""
        words = self._words
        return self.enabled and not self._symbol_starts.isdisjoint(tokens) \
            and all(t in words or t[:1].isdigit() for t in tokens)

    def read(self, comp: CompiledLanguage, spaced: str, others: Sequence[CompiledLanguage] = ()) -> SlotOrder | None:
        """The order in `spaced` (normalised token+space text, skip words dropped), or None
        when any word is not accounted for or a slot is unclear. `others`: the other languages
        whose one-word sides and numbers may be said too (franglais)."""
        if len({side for o in (comp, *others) for t in spaced.split() if (side := self._sides[o.code].get(t))}) > 1:
            return None  # "achète vends deux ES": two sides, before any scanning
        units = list(comp.scan_items(spaced))
        words = [u if isinstance(u, str) else "\x00" for u in units]
        tables = [self._tables[c.code] for c in (comp, *others) if c.code in self._tables]
        reading = _Reading()
        pending: str | None = None  # a label waiting for its value
        i = 0
        while i < len(units):
            unit = units[i]
            if isinstance(unit, str):
                size, tags = max((table.at(words, i) for table in tables), key=lambda hit: hit[0], default=(0, frozenset()))
                if size:
                    after_number = bool(reading.unlabelled) and reading.unlabelled[-1][0] == i - 1
                    if "quantity_units" in tags and reading.quantity_at == i - 1 and pending is None:
                        pass  # "qté 3 lots": the unit of the quantity just read
                    elif "quantity_units" in tags and after_number:
                        # "2 lots", "3 contrats", "2 x ES": the number just before is the quantity.
                        _, said = reading.unlabelled.pop()
                        value = self._quantity(comp, said)
                        if pending is not None or value is None or not reading.put("quantity", value, said):
                            return None
                    elif pending is not None and "slot_fillers" not in tags:
                        return None  # a label followed by another label or word
                    elif after_number and size == 1 and not tags & (_SLOT_NAMES | {"limit"}):
                        return None  # "buy twenty on ES": a stray word by a number (twenty-one?)
                    elif tags & _SLOT_NAMES:
                        if pending is not None or len(tags & _SLOT_NAMES) > 1:
                            return None
                        pending = next(iter(tags & _SLOT_NAMES))
                    elif "market_order" in tags:
                        reading.market_order = True
                    elif "limit" in tags:
                        if reading.limit:
                            return None  # "limit ... limit": said twice
                        reading.limit = True
                        if "symbol" in reading.slots and i + size < len(units) \
                                and isinstance(units[i + size], ScannedValue) \
                                and units[i + size].kind == NUMBER_KIND:  # type: ignore[union-attr]
                            pending = "price"  # "achète 2 es lim 6004,25"
                    elif "vague_quantities" in tags:
                        reading.vague = True
                    elif not tags & {"slot_fillers", "urgency"}:
                        return None  # a unit with no number before it ("lots ES 2")
                    i += size
                    continue
                if unit in self._price_markers and pending is None and "symbol" in reading.slots \
                        and i + 1 < len(units) and isinstance(units[i + 1], ScannedValue) \
                        and units[i + 1].kind == NUMBER_KIND:  # type: ignore[union-attr]
                    pending = "price"  # "achat ES 2 à 5012,25"; "3 à 5 ES" stays two numbers
                    i += 1
                    continue
                size = next((len(m) for m in self._side_markers if tuple(words[i:i + len(m)]) == m), 0)
                if size and pending is None and "side" not in reading.slots \
                        and i + size < len(units) and self._is_side(units[i + size], others):
                    pending = "side"  # "2 ES to buy", "3 micros à vendre", "2x MNQ à l'achat"
                    i += size
                    continue
                if unit in self._articles.get(comp.code, ()) and pending in (None, "quantity") \
                        and i + 1 < len(units) and isinstance(units[i + 1], ScannedValue) \
                        and units[i + 1].kind == "symbol":  # type: ignore[union-attr]
                    if not reading.put("quantity", 1, unit):
                        return None  # "buy 2 a micro": two quantities
                    reading.article = True
                    pending = None
                    i += 1
                    continue
                if unit == _PLURAL_S and pending is None and reading.symbol_at == i - 1:
                    i += 1  # "2 ES's", "MNQ's": the market's own ending
                    continue
                fused = self._fused_quantity(comp, unit)
                if fused is not None:
                    if pending not in (None, "quantity") or not reading.put("quantity", fused, unit):
                        return None
                    pending = None
                    i += 1
                    continue
                side = next((self._sides[o.code][unit] for o in others if unit in self._sides[o.code]), None)
                if side is not None:
                    if pending not in (None, "side") or not reading.put("side", side, unit):
                        return None
                    reading.foreign_side = True
                    pending = None
                    i += 1
                    continue
                number = self._other_number(comp, unit, others)
                if number is not None:
                    units[i] = ScannedValue(NUMBER_KIND, number, None)
                    words[i] = "\x00"
                    continue
                return None  # a word the reader does not know: never guess around it
            if unit.kind == "side":
                # (not `value`: that one holds quantities, typed int | None, which mypyc checks at run time)
                listed = comp.text_values["side"].get(unit.text)
                if listed is None or pending not in (None, "side") or not reading.put("side", listed, unit.text):
                    return None
            elif unit.kind == "symbol":
                listed = comp.text_values["symbol"].get(unit.text)
                if listed is None or pending not in (None, "symbol") or not reading.put("symbol", listed, unit.text):
                    return None
                reading.symbol_at = i
            elif unit.kind == NUMBER_KIND:
                previous = units[i - 1] if i else None
                if isinstance(previous, ScannedValue) and previous.kind == NUMBER_KIND:
                    return None  # "3 3", "douze douze": a stutter, a mistyped 33 or two values
                if pending == "quantity":
                    value = self._quantity(comp, unit.text)
                    if value is None or not reading.put("quantity", value, unit.text):
                        return None
                    reading.quantity_at = i
                elif pending == "price":
                    price = self._price(comp, unit.text)
                    if price is None or not reading.put("price", price, unit.text):
                        return None
                elif pending is None:
                    reading.unlabelled.append((i, unit.text))
                else:
                    return None
            else:
                return None  # a percentage, another list's value: not this reader's
            pending = None
            i += 1
        if pending is not None:
            return None  # "qté" with nothing after it
        if reading.limit and "price" not in reading.slots:
            if len(reading.unlabelled) != 2 or not reading.unlabelled[0][0] < reading.symbol_at < reading.unlabelled[1][0]:
                return None  # a limit with no price, or numbers that do not say which is which
            _, said = reading.unlabelled.pop()
            price = self._price(comp, said)
            if price is None or price < 100 or not reading.put("price", price, said):
                return None  # "buy limit 2 ES 3": a price? a quantity?
        for _, said in reading.unlabelled:
            value = self._quantity(comp, said)
            if value is None or not reading.put("quantity", value, said):
                return None
        if len(reading.unlabelled) > 1:
            return None  # "achat 2 ES 5000": two numbers, one slot
        slots = reading.slots
        if reading.article and reading.foreign_side:
            return None  # "vends a ES": a French "à", not an English article
        if reading.market_order and ("price" in slots or reading.limit):
            return None  # at market, and at a price?
        if reading.vague and "quantity" in slots:
            return None  # "quelques 3 ES"
        if "symbol" not in slots:
            return None
        if reading.vague:
            return SlotOrder(dict(slots), dict(reading.text), ("quantity",), comp.code) if "side" in slots else None
        if "quantity" not in slots:
            return None  # "achat ES": the templates ask for the quantity themselves
        missing = () if "side" in slots else ("side",)
        return SlotOrder(dict(slots), dict(reading.text), missing, comp.code)

    def _is_side(self, unit: str | ScannedValue, others: Sequence[CompiledLanguage]) -> bool:
        """True when `unit` is a side word of the sentence's language or of another loaded one."""
        if isinstance(unit, ScannedValue):
            return unit.kind == "side"
        return any(unit in self._sides[o.code] for o in others)

    # ------------------------------------------------------------------ values
    @staticmethod
    def _quantity(comp: CompiledLanguage, said: str) -> int | None:
        value = comp.numbers.parse(said)
        if value is None or isinstance(value, bool) or float(value) != math.floor(float(value)) or value < 0:
            return None
        return int(value)

    @staticmethod
    def _price(comp: CompiledLanguage, said: str) -> float | None:
        value = comp.numbers.parse(said)
        if value is None or isinstance(value, bool) or not 0 < float(value) < 100000:
            return None
        return float(value)

    @staticmethod
    def _fused_quantity(comp: CompiledLanguage, token: str) -> int | None:
        """"2x" (normalisation already reads "x2" as "2")."""
        if len(token) > 1 and token.endswith("x") and token[:-1].isdigit():
            return int(token[:-1])
        return None

    @staticmethod
    def _other_number(comp: CompiledLanguage, token: str, others: Sequence[CompiledLanguage]) -> str | None:
        """A one-word number of another loaded language ("buy deux ES"), in digits."""
        if len(token) < 3 or token in comp.vocabulary:
            return None
        for other in others:
            if other is comp or token not in other.numbers.words:
                continue
            value = other.numbers.parse(token)
            if value is not None and float(value).is_integer():
                return str(int(value))
        return None


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
