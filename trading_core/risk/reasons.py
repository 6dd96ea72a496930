"""Stable reason codes for refused orders and risk settings, with the sentence a trader hears.

Every refusal is a `types.Rejection(code, message_en, message_fr)`. The code is a stable machine
string (front ends and tests key on it); the two messages are full spoken sentences. Numbers are
written the way each language writes them: English "10,000" and "2.5", French "10 000" and "2,5"
(a plain space groups thousands: it is what the brief and the speech engine expect, and espeak-ng
reads "10 000" as "dix mille"). Money is written "2,000 dollars" rather than "$2,000" because the
text-to-speech engine reads "$2,000" as "dollar two thousand".

Templates are built once at import; `reject()` formats each parameter once for both languages, so it is
cheap enough for the risk gate's hot path (a refusal costs a few microseconds).
"""
from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from trading_core.types import Rejection


class ReasonCode(str, enum.Enum):
    """Stable refusal codes. Never rename a member: front ends, ledgers and tests store the value."""

    QTY_NOT_POSITIVE = "QTY_NOT_POSITIVE"
    QTY_ABOVE_MAX = "QTY_ABOVE_MAX"
    POSITION_LIMIT_SYMBOL = "POSITION_LIMIT_SYMBOL"
    POSITION_LIMIT_TOTAL = "POSITION_LIMIT_TOTAL"
    DAILY_LOSS_LIMIT = "DAILY_LOSS_LIMIT"
    MAX_CONSECUTIVE_LOSSES = "MAX_CONSECUTIVE_LOSSES"
    MIN_BALANCE = "MIN_BALANCE"
    MARKET_CLOSED = "MARKET_CLOSED"
    RATE_LIMIT = "RATE_LIMIT"
    PRICE_BAND = "PRICE_BAND"
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    HALTED = "HALTED"
    REDUCING_ONLY = "REDUCING_ONLY"
    NO_MARKET_PRICE = "NO_MARKET_PRICE"
    NO_CURRENT_PRICE = "NO_CURRENT_PRICE"
    DUPLICATE_CLIENT_ID = "DUPLICATE_CLIENT_ID"
    INVALID_PRICE = "INVALID_PRICE"
    RISK_PERCENT_OUT_OF_RANGE = "RISK_PERCENT_OUT_OF_RANGE"
    SIZE_ZERO_FROM_RISK = "SIZE_ZERO_FROM_RISK"


class PriceLabel(str, enum.Enum):
    """Which price of an order a sentence talks about."""

    LIMIT = "limit"
    STOP = "stop"
    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"


# ---------------------------------------------------------------------------------- number formats
_QUANTUM = {n: Decimal(1).scaleb(-n) for n in range(0, 9)}
_FLOAT_SPEC = {n: f",.{n}f" for n in range(0, 9)}
# English digits -> French digits: "10,000.5" -> "10 000,5". Numbers are formatted once, in English,
# and translated, which halves the cost of a refusal.
_FR_SEPARATORS = str.maketrans({",": " ", ".": ","})


def _number_en(value: Any, max_decimals: int = 2, min_decimals: int = 0) -> str | None:
    """English digits for a number, or None when `value` is not a finite int/float/Decimal."""
    kind = type(value)
    if kind is int:  # the common case (quantities, limits): no rounding, no Decimal
        return f"{value:,}." + "0" * min_decimals if min_decimals else f"{value:,}"
    if kind is float:
        if value != value or value == math.inf or value == -math.inf:
            return None
        text = format(value, _FLOAT_SPEC[max_decimals])
    elif kind is Decimal:
        if not value.is_finite():
            return None
        try:
            text = format(value.quantize(_QUANTUM[max_decimals], rounding=ROUND_HALF_UP), ",f")
        except InvalidOperation:  # more digits than the decimal context holds: nothing to round
            text = format(value, ",f")
    elif isinstance(value, int) and kind is not bool:
        return f"{int(value):,}"
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
    """`value` written for `lang` ("en" or "fr"): 10000.5 -> "10,000.5" / "10 000,5".

    At most `max_decimals` decimals, trailing zeros dropped down to `min_decimals`. Decimals round
    half-up (money); floats round their exact binary value (prices are exact tick multiples, so
    this only touches derived figures such as a distance in percent). Non-finite values are written
    as Python writes them ("nan", "inf") so a bad input stays visible.
    """
    text = _number_en(value, max_decimals, min_decimals)
    if text is None:
        return str(value)
    return text.translate(_FR_SEPARATORS) if lang == "fr" else text


def _money_en(value: Any) -> str | None:
    if type(value) is float:
        if not math.isfinite(value):
            return None
        value = Decimal(repr(value))
    if type(value) is Decimal and value.is_finite():
        return _number_en(value, 2, 0 if value == value.to_integral_value() else 2)
    return _number_en(value)


def format_money(value: int | float | Decimal, lang: str) -> str:
    """USD amount: "2,150.37 dollars" / "2 150,37 dollars"; whole amounts without cents."""
    text = _money_en(value)
    if text is None:
        return f"{value} dollars"
    if lang == "fr":
        text = text.translate(_FR_SEPARATORS)
    return f"{text} {'dollar' if _singular(value, lang) else 'dollars'}"


def format_percent(value: int | float | Decimal, lang: str) -> str:
    """"2.5%" / "2,5 %" (French puts a space before the sign)."""
    number = format_number(value, lang, 2)
    return number + (" %" if lang == "fr" else "%")


def _singular(d: Decimal | int | float, lang: str) -> bool:
    # English: only exactly one is singular; French: below two ("0 contrat", "1,5 point").
    magnitude = abs(d)
    return magnitude < 2 if lang == "fr" else magnitude == 1


# ------------------------------------------------------------------------------ parameter kinds
# A kind turns one parameter value into its (English, French) words.
Kind = Callable[[Any], tuple[str, str]]


def _k_text(value: Any) -> tuple[str, str]:
    text = str(value.value if isinstance(value, enum.Enum) else value).strip()
    if text:
        return text, text
    return "(empty)", "(vide)"


def _k_number(value: Any) -> tuple[str, str]:
    en = _number_en(value)
    if en is None:
        return _k_text(value)
    return en, en.translate(_FR_SEPARATORS)


def _k_money(value: Any) -> tuple[str, str]:
    en = _money_en(value)
    if en is None:
        return _k_text(value)
    # Sentences say "a loss of ...": the sign is in the words, the figure is the magnitude.
    if en[0] == "-":
        en = en[1:]
    magnitude = abs(value)
    return (
        f"{en} {'dollar' if magnitude == 1 else 'dollars'}",
        f"{en.translate(_FR_SEPARATORS)} {'dollar' if magnitude < 2 else 'dollars'}",
    )


def _k_exponent(value: Any) -> tuple[str, str]:
    """A huge number in scientific notation ("1e+308"): written out it would be 309 digits."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}", f"{value:g}".replace(".", ",")
    return _k_text(value)


def _k_percent(value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        parsed = parse_number(value)
        if parsed is None:
            return _k_text(value)
        value = parsed
    en = _number_en(value)
    if en is None:
        return _k_text(value)
    return en + "%", en.translate(_FR_SEPARATORS) + " %"


def _counted(en_one: str, en_many: str, fr_one: str, fr_many: str, max_decimals: int = 0) -> Kind:
    def render(value: Any) -> tuple[str, str]:
        en = _number_en(value, max_decimals)
        if en is None:
            return _k_text(value)
        magnitude = abs(value)
        return (
            f"{en} {en_one if magnitude == 1 else en_many}",
            f"{en.translate(_FR_SEPARATORS)} {fr_one if magnitude < 2 else fr_many}",
        )

    return render


_k_contracts = _counted("contract", "contracts", "contrat", "contrats", 2)
_k_orders = _counted("order", "orders", "ordre", "ordres")
_k_losses = _counted("losing trade", "losing trades", "perte", "pertes")
_k_seconds = _counted("second", "seconds", "seconde", "secondes")
_k_points = _counted("point", "points", "point", "points", 2)

_PRICE_LABELS = {
    # English: "the <label> price"; French: "le prix <label>".
    PriceLabel.LIMIT: ("limit", "limite"),
    PriceLabel.STOP: ("stop", "de déclenchement"),
    PriceLabel.STOP_LOSS: ("stop-loss", "du stop de protection"),
    PriceLabel.TAKE_PROFIT: ("take-profit", "de l'objectif"),
}
# Keyed by the members and by their string values (enum members do not hash like their values).
_LABEL_WORDS = {**_PRICE_LABELS, **{label.value: words for label, words in _PRICE_LABELS.items()}}


def _k_label(value: Any) -> tuple[str, str]:
    words = _LABEL_WORDS.get(value) if isinstance(value, str) else None
    return words if words is not None else _k_text(value)


def _k_position(value: Any) -> tuple[str, str]:
    """Signed position in words: "long 2 contracts" / "longue de 2 contrats"."""
    if not isinstance(value, int) or isinstance(value, bool):
        return _k_text(value)
    if value == 0:
        return "flat", "à plat"
    en, fr = _k_contracts(abs(value))
    if value > 0:
        return f"long {en}", f"longue de {fr}"
    return f"short {en}", f"courte de {fr}"


# ------------------------------------------------------------------------------------ templates
@dataclass(frozen=True, slots=True)
class Template:
    code: ReasonCode
    variant: str
    en: str
    fr: str
    kinds: Mapping[str, Kind]


_R = ReasonCode
_TEMPLATE_LIST: tuple[Template, ...] = (
    Template(
        _R.QTY_NOT_POSITIVE, "",
        "Order refused: the quantity must be at least 1 contract, not {quantity}.",
        "Ordre refusé : la quantité doit être d'au moins 1 contrat, et non {quantity}.",
        {"quantity": _k_number},
    ),
    Template(
        _R.QTY_NOT_POSITIVE, "not_whole",
        "Order refused: the quantity must be a whole number of contracts, not {quantity}.",
        "Ordre refusé : la quantité doit être un nombre entier de contrats, et non {quantity}.",
        {"quantity": _k_number},
    ),
    Template(
        _R.QTY_ABOVE_MAX, "",
        "Order refused: {quantity} is above the maximum order size of {maximum}.",
        "Ordre refusé : {quantity} dépasse la taille maximale d'ordre de {maximum}.",
        {"quantity": _k_contracts, "maximum": _k_number},
    ),
    Template(
        _R.POSITION_LIMIT_SYMBOL, "",
        "Order refused: your {symbol} position would reach {resulting}, counting working orders, "
        "above the limit of {limit} per symbol.",
        "Ordre refusé : votre position {symbol} atteindrait {resulting}, ordres en attente compris, "
        "au-delà de la limite de {limit} par symbole.",
        {"symbol": _k_text, "resulting": _k_contracts, "limit": _k_number},
    ),
    Template(
        _R.POSITION_LIMIT_TOTAL, "",
        "Order refused: your total position would reach {resulting} across all symbols, counting working "
        "orders, above the limit of {limit}.",
        "Ordre refusé : votre position totale atteindrait {resulting} tous symboles confondus, ordres en "
        "attente compris, au-delà de la limite de {limit}.",
        {"resulting": _k_contracts, "limit": _k_number},
    ),
    Template(
        _R.DAILY_LOSS_LIMIT, "",
        "Order refused: today's loss of {pnl} has reached the daily loss limit of {limit}. "
        "Only orders that close or reduce a position are allowed.",
        "Ordre refusé : la perte du jour de {pnl} atteint la limite de perte journalière de {limit}. "
        "Seuls les ordres qui ferment ou réduisent une position sont acceptés.",
        {"pnl": _k_money, "limit": _k_money},
    ),
    Template(
        _R.MAX_CONSECUTIVE_LOSSES, "",
        "Order refused: you have had {count} in a row, and the limit is {limit}. "
        "Only orders that close or reduce a position are allowed.",
        "Ordre refusé : vous avez enchaîné {count}, et la limite est de {limit}. "
        "Seuls les ordres qui ferment ou réduisent une position sont acceptés.",
        {"count": _k_losses, "limit": _k_number},
    ),
    Template(
        _R.MIN_BALANCE, "",
        "Order refused: the account balance of {balance} is below the minimum of {minimum}. "
        "Only orders that close or reduce a position are allowed.",
        "Ordre refusé : le solde du compte, {balance}, est inférieur au minimum de {minimum}. "
        "Seuls les ordres qui ferment ou réduisent une position sont acceptés.",
        {"balance": _k_money, "minimum": _k_money},
    ),
    Template(
        _R.MARKET_CLOSED, "",
        "Order refused: the {symbol} market is closed right now.",
        "Ordre refusé : le marché {symbol} est fermé en ce moment.",
        {"symbol": _k_text},
    ),
    Template(
        _R.RATE_LIMIT, "",
        "Order refused: already {count} in the last minute, against a limit of {limit} per minute. "
        "Try again in {wait}.",
        "Ordre refusé : déjà {count} dans la dernière minute, pour une limite de {limit} par minute. "
        "Réessayez dans {wait}.",
        {"count": _k_orders, "limit": _k_number, "wait": _k_seconds},
    ),
    Template(
        _R.PRICE_BAND, "",
        "Order refused: the {label} price {price} is {distance} away from the last price {last}, "
        "beyond the {band} band.",
        "Ordre refusé : le prix {label} {price} est à {distance} du dernier prix {last}, "
        "au-delà de la bande de {band}.",
        {"label": _k_label, "price": _k_number, "last": _k_number, "distance": _k_percent, "band": _k_percent},
    ),
    Template(
        _R.UNKNOWN_SYMBOL, "",
        "Order refused: {symbol} is not a known instrument.",
        "Ordre refusé : {symbol} n'est pas un instrument connu.",
        {"symbol": _k_text},
    ),
    Template(
        _R.HALTED, "",
        "Order refused: trading is halted. Only orders that close or reduce a position are allowed.",
        "Ordre refusé : le trading est suspendu. Seuls les ordres qui ferment ou réduisent une position "
        "sont acceptés.",
        {},
    ),
    Template(
        _R.REDUCING_ONLY, "",
        "Order refused: reduce-only mode. Your {symbol} position is {position}; only an order that shrinks "
        "it without reversing it is allowed.",
        "Ordre refusé : mode réduction seule. Votre position {symbol} est {position} ; seul un ordre qui la "
        "réduit sans la retourner est accepté.",
        {"symbol": _k_text, "position": _k_position},
    ),
    Template(
        _R.HALTED, "covered",
        "Order refused: trading is halted and working orders already close {exiting} of your {symbol} "
        "position; this order would reverse it once they fill. Nothing was sent.",
        "Ordre refusé : le trading est suspendu et des ordres en attente ferment déjà {exiting} de votre "
        "position {symbol} ; cet ordre la retournerait une fois exécutés. Rien n'a été envoyé.",
        {"symbol": _k_text, "exiting": _k_contracts},
    ),
    Template(
        _R.REDUCING_ONLY, "covered",
        "Order refused: reduce-only mode, and working orders already close {exiting} of your {symbol} "
        "position; this order would reverse it once they fill. Nothing was sent.",
        "Ordre refusé : mode réduction seule, et des ordres en attente ferment déjà {exiting} de votre "
        "position {symbol} ; cet ordre la retournerait une fois exécutés. Rien n'a été envoyé.",
        {"symbol": _k_text, "exiting": _k_contracts},
    ),
    Template(
        _R.REDUCING_ONLY, "flat",
        "Order refused: reduce-only mode, and you have no {symbol} position to reduce.",
        "Ordre refusé : mode réduction seule, et vous n'avez aucune position {symbol} à réduire.",
        {"symbol": _k_text},
    ),
    Template(
        _R.NO_MARKET_PRICE, "",
        "Order refused: there is no market price for {symbol} yet, so the order cannot be checked.",
        "Ordre refusé : aucun prix de marché pour {symbol} pour l'instant, l'ordre ne peut pas être vérifié.",
        {"symbol": _k_text},
    ),
    Template(
        _R.DUPLICATE_CLIENT_ID, "",
        "Order refused: the client order id {client_id} was already used for a different order ({existing}). "
        "Nothing was sent; use a new id.",
        "Ordre refusé : l'identifiant client {client_id} a déjà servi pour un autre ordre ({existing}). "
        "Rien n'a été envoyé ; utilisez un nouvel identifiant.",
        {"client_id": _k_text, "existing": _k_text},
    ),
    Template(
        _R.NO_CURRENT_PRICE, "",
        "Order refused: no current price for {symbol} yet; market data is starting. Nothing was sent; "
        "try again in a moment.",
        "Ordre refusé : pas encore de prix actuel pour {symbol} ; les données de marché démarrent. Rien n'a "
        "été envoyé ; réessayez dans un instant.",
        {"symbol": _k_text},
    ),
    Template(
        _R.INVALID_PRICE, "missing",
        "Order refused: the {label} price is missing.",
        "Ordre refusé : le prix {label} est manquant.",
        {"label": _k_label},
    ),
    Template(
        _R.INVALID_PRICE, "not_positive",
        "Order refused: the {label} price {price} is not valid; it must be a number above zero.",
        "Ordre refusé : le prix {label} {price} n'est pas valide ; il doit être un nombre supérieur à zéro.",
        {"label": _k_label, "price": _k_number},
    ),
    Template(
        _R.INVALID_PRICE, "too_large",
        "Order refused: the {label} price {price} is far too large to be a price.",
        "Ordre refusé : le prix {label} {price} est bien trop grand pour être un prix.",
        {"label": _k_label, "price": _k_exponent},
    ),
    Template(
        _R.INVALID_PRICE, "off_tick",
        "Order refused: the {label} price {price} is not on the {tick} tick grid; the nearest valid prices "
        "are {below} and {above}.",
        "Ordre refusé : le prix {label} {price} n'est pas un multiple du pas de cotation de {tick} ; les prix "
        "valides les plus proches sont {below} et {above}.",
        {"label": _k_label, "price": _k_number, "tick": _k_number, "below": _k_number, "above": _k_number},
    ),
    Template(
        _R.INVALID_PRICE, "stop_loss_below",
        "Order refused: for a buy, the stop-loss {stop_loss} must be below the entry price {entry}.",
        "Ordre refusé : pour un achat, le stop de protection {stop_loss} doit être sous le prix d'entrée {entry}.",
        {"stop_loss": _k_number, "entry": _k_number},
    ),
    Template(
        _R.INVALID_PRICE, "stop_loss_above",
        "Order refused: for a sell, the stop-loss {stop_loss} must be above the entry price {entry}.",
        "Ordre refusé : pour une vente, le stop de protection {stop_loss} doit être au-dessus du prix "
        "d'entrée {entry}.",
        {"stop_loss": _k_number, "entry": _k_number},
    ),
    Template(
        _R.INVALID_PRICE, "take_profit_above",
        "Order refused: for a buy, the take-profit {take_profit} must be above the entry price {entry}.",
        "Ordre refusé : pour un achat, l'objectif {take_profit} doit être au-dessus du prix d'entrée {entry}.",
        {"take_profit": _k_number, "entry": _k_number},
    ),
    Template(
        _R.INVALID_PRICE, "take_profit_below",
        "Order refused: for a sell, the take-profit {take_profit} must be below the entry price {entry}.",
        "Ordre refusé : pour une vente, l'objectif {take_profit} doit être sous le prix d'entrée {entry}.",
        {"take_profit": _k_number, "entry": _k_number},
    ),
    Template(
        _R.RISK_PERCENT_OUT_OF_RANGE, "",
        "Risk setting refused: {percent} is out of range; the risk per trade must be above 0% and at most {max}.",
        "Réglage du risque refusé : {percent} est hors limites ; le risque par trade doit être supérieur "
        "à 0 % et d'au plus {max}.",
        {"percent": _k_percent, "max": _k_percent},
    ),
    Template(
        _R.RISK_PERCENT_OUT_OF_RANGE, "not_a_number",
        "Risk setting refused: \u201c{percent}\u201d is not a number; give a percentage above 0% and at most {max}.",
        "Réglage du risque refusé : « {percent} » n'est pas un nombre ; indiquez un pourcentage supérieur "
        "à 0 % et d'au plus {max}.",
        {"percent": _k_text, "max": _k_percent},
    ),
    Template(
        _R.SIZE_ZERO_FROM_RISK, "",
        "Order refused: a risk of {percent} is too small for even one {symbol} contract at this stop distance.",
        "Ordre refusé : un risque de {percent} est trop faible pour un seul contrat {symbol} avec cette "
        "distance de stop.",
        {"percent": _k_percent, "symbol": _k_text},
    ),
    Template(
        _R.SIZE_ZERO_FROM_RISK, "detailed",
        "Order refused: risking {percent} of {equity} allows {budget}, less than the {per_contract} one "
        "{symbol} contract would lose with a stop {stop} away.",
        "Ordre refusé : risquer {percent} de {equity} autorise {budget}, moins que les {per_contract} que "
        "perdrait un contrat {symbol} avec un stop à {stop}.",
        {
            "percent": _k_percent, "equity": _k_money, "budget": _k_money, "per_contract": _k_money,
            "symbol": _k_text, "stop": _k_points,
        },
    ),
)

TEMPLATES: Mapping[tuple[ReasonCode, str], Template] = MappingProxyType(
    {(t.code, t.variant): t for t in _TEMPLATE_LIST}
)


_BY_KEY: dict[tuple[ReasonCode, str], Template] = dict(TEMPLATES)


def reject(code: ReasonCode | str, variant: str = "", **params: Any) -> Rejection:
    """Build the refusal for `code` (and `variant`, see `TEMPLATES`) with its sentence parameters.

    Raises `ValueError` for an unknown code/variant or a missing parameter: that is a programming
    error in the caller, never a user's input, so it must not be turned into a vague sentence.
    """
    template = _BY_KEY.get((code, variant))  # type: ignore[arg-type]
    if template is None:
        try:
            template = _BY_KEY[(ReasonCode(code), variant)]
        except (KeyError, ValueError):
            raise ValueError(f"no refusal sentence for code {code!r} variant {variant!r}") from None
    kinds = template.kinds
    if params.keys() != kinds.keys():
        missing = sorted(set(kinds) - set(params))
        extra = sorted(set(params) - set(kinds))
        raise ValueError(
            f"refusal {template.code.value}/{variant or 'default'}: missing parameters {missing}, "
            f"unexpected parameters {extra}"
        )
    if not kinds:
        return Rejection(template.code.value, template.en, template.fr)
    en: dict[str, str] = {}
    fr: dict[str, str] = {}
    for name, kind in kinds.items():
        en[name], fr[name] = kind(params[name])
    return Rejection(template.code.value, template.en.format_map(en), template.fr.format_map(fr))


def parse_number(text: str) -> Decimal | None:
    """A number typed or spoken in either language: "2.5", "2,5", "10 000", "10,000", "1 000,5".

    A comma followed by exactly three digits (and more groups) is a thousands separator ("10,000");
    any other single comma is a decimal comma ("2,5"). Returns None when `text` is not a finite number.
    """
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("_", "")
    cleaned = cleaned.removesuffix("%")
    if not cleaned:
        return None
    if "," in cleaned and "." in cleaned:
        # Both separators: the last one is the decimal mark ("1,000.5" or "1.000,5").
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        groups = cleaned.split(",")
        if all(len(g) == 3 and g.isdigit() for g in groups[1:]):
            cleaned = "".join(groups)  # English thousands: "10,000"
        elif len(groups) == 2:
            cleaned = groups[0] + "." + groups[1]  # decimal comma: "2,5"
        else:
            return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
