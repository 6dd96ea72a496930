"""Messages with typed values, rendered for a language and a surface.

A `Msg` holds an English and a French template and the values that fill them, as data: `Money`,
`Num`, `Pct`, `Price`, `Sym`, `Count`, other messages, lists (`Join`), or text taken as is
(`Verbatim`, or a plain `str`). Rendering decides how each value looks:

- written surfaces (`CHAT`, `CLI`, `PAGE`): "-$1,502.25" / "-1 502,25 $", "5,990.25", "2.5%", "ES";
- `SPEECH`: the same values in words, symbols spelled ("moins mille cinq cent deux dollars
  vingt-cinq", "E S"), so the synthesiser reads what a person would say.

The core hands out data; only this layer turns it into sentences (see docs/architecture.md).
"""
from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Union

from assistant.present.money import format_money, say_money
from assistant.present.numbers import format_number, format_percent, format_price, lang_of
from assistant.present.speech import spell_acronyms, spell_symbol
from assistant.present.spell import spell_int, spell_number


class Surface(str, enum.Enum):
    """Where a text goes. Speech gets words; the others get written numbers."""

    SPEECH = "speech"  # the synthesiser (voice answers, spoken alerts)
    CHAT = "chat"  # Telegram, Discord, SMS, e-mail, the typed dialogue
    CLI = "cli"  # the terminal (`mia status`, `mia order`...)
    PAGE = "page"  # the dashboard page

    @property
    def spoken(self) -> bool:
        return self is Surface.SPEECH


Number = Union[int, float, Decimal]


@dataclass(frozen=True, slots=True)
class Money:
    """US dollars. `signed=False` when the sentence carries the sign in words ("a loss of ...")."""

    amount: Number
    signed: bool = True


@dataclass(frozen=True, slots=True)
class Num:
    value: Number
    max_decimals: int = 2
    min_decimals: int = 0


@dataclass(frozen=True, slots=True)
class Pct:
    """A percentage given in percent (2.5 is "2.5%")."""

    value: Number
    max_decimals: int = 2


@dataclass(frozen=True, slots=True)
class Price:
    value: Number


@dataclass(frozen=True, slots=True)
class Sym:
    """A contract symbol: written "MNQ", spoken "M N Q"."""

    symbol: str


@dataclass(frozen=True, slots=True)
class Noun:
    en_one: str
    en_many: str
    fr_one: str
    fr_many: str
    feminine: bool = False  # French "une position", "vingt et une secondes"


CONTRACT = Noun("contract", "contracts", "contrat", "contrats")
ORDER = Noun("order", "orders", "ordre", "ordres")
WORKING_ORDER = Noun("working order", "working orders", "ordre en attente", "ordres en attente")
POSITION = Noun("position", "positions", "position", "positions", feminine=True)
OPEN_POSITION = Noun("open position", "open positions", "position ouverte", "positions ouvertes", feminine=True)
FILL = Noun("fill", "fills", "exécution", "exécutions", feminine=True)
SECOND = Noun("second", "seconds", "seconde", "secondes", feminine=True)
POINT = Noun("point", "points", "point", "points")
CLOSED_TRADE = Noun("closed trade", "closed trades", "trade clôturé", "trades clôturés")
TRADE = Noun("trade", "trades", "trade", "trades")
LOSING_TRADE = Noun("losing trade", "losing trades", "perte", "pertes", feminine=True)
EPISODE = Noun("episode", "episodes", "épisode", "épisodes")


@dataclass(frozen=True, slots=True)
class Count:
    """A number of things: "2 contracts" / "2 contrats" / "deux contrats"."""

    n: Number
    noun: Noun
    max_decimals: int = 0


@dataclass(frozen=True, slots=True)
class Verbatim:
    """Text taken as it is in every language and surface (a broker's message, a transcript)."""

    text: str


@dataclass(frozen=True, slots=True)
class Join:
    """Values listed with a separator: "long 2 ES, short 1 MNQ"."""

    items: tuple["Value", ...]
    sep_en: str = ", "
    sep_fr: str = ", "


@dataclass(frozen=True, slots=True)
class Msg:
    """A sentence in both languages; `args` fill the `{name}` placeholders of both templates."""

    en: str
    fr: str
    args: Mapping[str, "Value"] = field(default_factory=dict)

    def render(self, lang: str, surface: Surface = Surface.CHAT) -> str:
        return render(self, lang, surface)

    def text(self, lang: str) -> str:
        """Written (chat) rendering: what a screen shows."""
        return render(self, lang, Surface.CHAT)

    def speech(self, lang: str) -> str:
        return render(self, lang, Surface.SPEECH)


Value = Union[Msg, Money, Num, Pct, Price, Sym, Count, Verbatim, Join, str, int, float, Decimal, None]


def msg(en: str, fr: str | None = None, **args: Value) -> Msg:
    """`msg("Filled at {price}.", "Exécuté à {price}.", price=Price(5990.25))`; one template for both
    languages when `fr` is None (symbols, numbers only)."""
    return Msg(en, en if fr is None else fr, args)


def join(items: Sequence[Value], sep_en: str = ", ", sep_fr: str | None = None) -> Join:
    return Join(tuple(items), sep_en, sep_en if sep_fr is None else sep_fr)


def _plural(n: Number, lang: str) -> bool:
    # English: only exactly one is singular; French: below two ("0 contrat", "1,5 point").
    magnitude = abs(float(n))
    return magnitude >= 2 if lang == "fr" else magnitude != 1


def render_value(value: Value, lang: str, surface: Surface) -> str:
    """One value as text for `lang` and `surface`."""
    spoken = surface is Surface.SPEECH
    if isinstance(value, Msg):
        return render(value, lang, surface)
    if isinstance(value, Money):
        if spoken:
            return say_money(value.amount, lang, signed=value.signed)
        return format_money(value.amount, lang, signed=value.signed)
    if isinstance(value, Num):
        if spoken:
            return spell_number(value.value, lang, value.max_decimals)
        return format_number(value.value, lang, value.max_decimals, value.min_decimals)
    if isinstance(value, Pct):
        if spoken:
            return spell_number(value.value, lang, value.max_decimals) + (" pour cent" if lang == "fr" else " percent")
        return format_percent(value.value, lang, value.max_decimals)
    if isinstance(value, Price):
        return spell_number(value.value, lang, 2) if spoken else format_price(value.value, lang)
    if isinstance(value, Sym):
        return spell_symbol(value.symbol) if spoken else value.symbol
    if isinstance(value, Count):
        noun = value.noun
        if lang == "fr":
            word = noun.fr_many if _plural(value.n, lang) else noun.fr_one
        else:
            word = noun.en_many if _plural(value.n, lang) else noun.en_one
        if spoken:
            number = (spell_int(int(value.n), lang, feminine=noun.feminine) if value.n == int(value.n)
                      else spell_number(value.n, lang, value.max_decimals))
        else:
            number = format_number(value.n, lang, value.max_decimals)
        return f"{number} {word}"
    if isinstance(value, Verbatim):
        return value.text
    if isinstance(value, Join):
        sep = value.sep_fr if lang == "fr" else value.sep_en
        return sep.join(render_value(v, lang, surface) for v in value.items)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        return spell_number(value, lang) if spoken else format_number(value, lang)
    text = str(value)
    return spell_acronyms(text, lang) if spoken else text


def render(message: Msg, lang: str, surface: Surface = Surface.CHAT) -> str:
    """The message in `lang` ("en" / "fr"; anything else is English) for `surface`."""
    lang = lang_of(lang)
    template = message.fr if lang == "fr" else message.en
    if surface is Surface.SPEECH:
        template = spell_acronyms(template, lang)
    if not message.args:
        return template
    return template.format_map({k: render_value(v, lang, surface) for k, v in message.args.items()})


def both(message: Msg, surface: Surface = Surface.CHAT) -> tuple[str, str]:
    """(English, French) renderings: for a log line or a record that keeps both."""
    return render(message, "en", surface), render(message, "fr", surface)


__all__ = [
    "CLOSED_TRADE", "CONTRACT", "Count", "EPISODE", "FILL", "Join", "LOSING_TRADE", "Money", "Msg", "Noun", "Num",
    "OPEN_POSITION", "ORDER", "POINT", "POSITION", "Pct", "Price", "SECOND", "Surface", "Sym", "TRADE", "Value",
    "Verbatim", "WORKING_ORDER", "both", "join", "msg", "render", "render_value",
]
