"""The sentence of every refusal (`trading_core.risk.reasons.ReasonCode`), in French and English.

The core hands out a `Rejection(code, variant, params)`; `reason_msg` turns it into a `Msg` whose
figures stay typed (money, contracts, percentages), so speech says them in words and chat writes them.
A test checks that every (code, variant) of `risk.reasons.PARAMS` has a sentence here that uses
exactly its parameters.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from trading_core.risk.reasons import PARAMS, RECORDED, PriceLabel, ReasonCode, parse_number
from trading_core.types import Rejection

from assistant.present.text import (
    CONTRACT,
    LOSING_TRADE,
    ORDER,
    POINT,
    SECOND,
    Count,
    Money,
    Msg,
    Num,
    Pct,
    Surface,
    Value,
    Verbatim,
    msg,
    render,
)

# A kind turns one parameter (as the core stored it) into a typed value.
Kind = Callable[[Any], Value]


def _text(value: Any) -> Value:
    text = str(value).strip() if value is not None else ""
    return Verbatim(text) if text else msg("(empty)", "(vide)")


def _number(value: Any) -> Value:
    return Num(value) if _is_number(value) else _text(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _money(value: Any) -> Value:
    # Sentences say "a loss of ...": the sign is in the words, the figure is the magnitude.
    return Money(abs(value), signed=False) if _is_number(value) else _text(value)


def _exponent(value: Any) -> Value:
    """A huge number in scientific notation ("1e+308"): written out it would be 309 digits."""
    if _is_number(value):
        return msg(f"{value:g}", f"{value:g}".replace(".", ","))
    return _text(value)


def _percent(value: Any) -> Value:
    if isinstance(value, str):
        parsed = parse_number(value)
        if parsed is None:
            return _text(value)
        value = parsed
    return Pct(value) if _is_number(value) else _text(value)


def _fraction(value: Any) -> Value:
    """A probability given as a fraction (0.55), said as a whole percentage ("55%")."""
    return Pct(round(100 * float(value))) if _is_number(value) else _text(value)


def _counted(noun: Any, max_decimals: int = 0) -> Kind:
    def kind(value: Any) -> Value:
        return Count(value, noun, max_decimals) if _is_number(value) else _text(value)

    return kind


_contracts = _counted(CONTRACT, 2)

_LABELS: Mapping[str, Msg] = {
    # English: "the <label> price"; French: "le prix <label>".
    PriceLabel.LIMIT.value: msg("limit", "limite"),
    PriceLabel.STOP.value: msg("stop", "de déclenchement"),
    PriceLabel.STOP_LOSS.value: msg("stop-loss", "du stop de protection"),
    PriceLabel.TAKE_PROFIT.value: msg("take-profit", "de l'objectif"),
}


def _label(value: Any) -> Value:
    return _LABELS.get(str(value), _text(value))


def _position(value: Any) -> Value:
    """Signed position in words: "long 2 contracts" / "longue de 2 contrats"."""
    if not isinstance(value, int) or isinstance(value, bool):
        return _text(value)
    if value == 0:
        return msg("flat", "à plat")
    qty = Count(abs(value), CONTRACT)
    return msg("long {q}", "longue de {q}", q=qty) if value > 0 else msg("short {q}", "courte de {q}", q=qty)


_ORDER_TYPES = {
    "MARKET": msg("market", "au marché"), "LIMIT": msg("limit", "à cours limité"), "STOP": msg("stop", "stop"),
    "BRACKET": msg("bracket", "bracket"),
}


def _order_type(value: Any) -> Value:
    return _ORDER_TYPES.get(str(value).upper(), _text(value))


def _side(value: Any) -> Value:
    return msg("buy", "achat") if str(value).upper() == "BUY" else msg("sell", "vente")


def _broker(value: Any) -> Value:
    name = str(value)
    if name == "ib":
        return msg("Interactive Brokers")
    if name == "paper":
        return msg("the paper broker", "le courtier papier")
    return msg("the broker {name}", "le courtier {name}", name=Verbatim(name))


_R = ReasonCode


class _T:
    """One sentence: its templates and the kind of each parameter."""

    __slots__ = ("en", "fr", "kinds")

    def __init__(self, en: str, fr: str, kinds: Mapping[str, Kind]) -> None:
        self.en, self.fr, self.kinds = en, fr, kinds


_SENTENCES: Mapping[tuple[ReasonCode, str], _T] = MappingProxyType({
    (_R.QTY_NOT_POSITIVE, ""): _T(
        "Order refused: the quantity must be at least 1 contract, not {quantity}.",
        "Ordre refusé : la quantité doit être d'au moins 1 contrat, et non {quantity}.",
        {"quantity": _number},
    ),
    (_R.QTY_NOT_POSITIVE, "not_whole"): _T(
        "Order refused: the quantity must be a whole number of contracts, not {quantity}.",
        "Ordre refusé : la quantité doit être un nombre entier de contrats, et non {quantity}.",
        {"quantity": _number},
    ),
    (_R.QTY_ABOVE_MAX, ""): _T(
        "Order refused: {quantity} is above the maximum order size of {maximum}.",
        "Ordre refusé : {quantity} dépasse la taille maximale d'ordre de {maximum}.",
        {"quantity": _contracts, "maximum": _number},
    ),
    (_R.POSITION_LIMIT_SYMBOL, ""): _T(
        "Order refused: your {symbol} position would reach {resulting}, counting working orders, "
        "above the limit of {limit} per symbol.",
        "Ordre refusé : votre position {symbol} atteindrait {resulting}, ordres en attente compris, "
        "au-delà de la limite de {limit} par symbole.",
        {"symbol": _text, "resulting": _contracts, "limit": _number},
    ),
    (_R.POSITION_LIMIT_TOTAL, ""): _T(
        "Order refused: your total position would reach {resulting} across all symbols, counting working "
        "orders, above the limit of {limit}.",
        "Ordre refusé : votre position totale atteindrait {resulting} tous symboles confondus, ordres en "
        "attente compris, au-delà de la limite de {limit}.",
        {"resulting": _contracts, "limit": _number},
    ),
    (_R.DAILY_LOSS_LIMIT, ""): _T(
        "Order refused: today's loss of {pnl} has reached the daily loss limit of {limit}. "
        "Only orders that close or reduce a position are allowed.",
        "Ordre refusé : la perte du jour de {pnl} atteint la limite de perte journalière de {limit}. "
        "Seuls les ordres qui ferment ou réduisent une position sont acceptés.",
        {"pnl": _money, "limit": _money},
    ),
    (_R.MAX_CONSECUTIVE_LOSSES, ""): _T(
        "Order refused: you have had {count} in a row, and the limit is {limit}. "
        "Only orders that close or reduce a position are allowed.",
        "Ordre refusé : vous avez enchaîné {count}, et la limite est de {limit}. "
        "Seuls les ordres qui ferment ou réduisent une position sont acceptés.",
        {"count": _counted(LOSING_TRADE), "limit": _number},
    ),
    (_R.MIN_BALANCE, ""): _T(
        "Order refused: the account balance of {balance} is below the minimum of {minimum}. "
        "Only orders that close or reduce a position are allowed.",
        "Ordre refusé : le solde du compte, {balance}, est inférieur au minimum de {minimum}. "
        "Seuls les ordres qui ferment ou réduisent une position sont acceptés.",
        {"balance": _money, "minimum": _money},
    ),
    (_R.MARKET_CLOSED, ""): _T(
        "Order refused: the {symbol} market is closed right now.",
        "Ordre refusé : le marché {symbol} est fermé en ce moment.",
        {"symbol": _text},
    ),
    (_R.RATE_LIMIT, ""): _T(
        "Order refused: already {count} in the last minute, against a limit of {limit} per minute. "
        "Try again in {wait}.",
        "Ordre refusé : déjà {count} dans la dernière minute, pour une limite de {limit} par minute. "
        "Réessayez dans {wait}.",
        {"count": _counted(ORDER), "limit": _number, "wait": _counted(SECOND)},
    ),
    (_R.PRICE_BAND, ""): _T(
        "Order refused: the {label} price {price} is {distance} away from the last price {last}, "
        "beyond the {band} band.",
        "Ordre refusé : le prix {label} {price} est à {distance} du dernier prix {last}, "
        "au-delà de la bande de {band}.",
        {"label": _label, "price": _number, "last": _number, "distance": _percent, "band": _percent},
    ),
    (_R.UNKNOWN_SYMBOL, ""): _T(
        "Order refused: {symbol} is not a known instrument.",
        "Ordre refusé : {symbol} n'est pas un instrument connu.",
        {"symbol": _text},
    ),
    (_R.HALTED, ""): _T(
        "Order refused: trading is halted. Only orders that close or reduce a position are allowed.",
        "Ordre refusé : le trading est suspendu. Seuls les ordres qui ferment ou réduisent une position "
        "sont acceptés.",
        {},
    ),
    (_R.HALTED, "covered"): _T(
        "Order refused: trading is halted and working orders already close {exiting} of your {symbol} "
        "position; this order would reverse it once they fill. Nothing was sent.",
        "Ordre refusé : le trading est suspendu et des ordres en attente ferment déjà {exiting} de votre "
        "position {symbol} ; cet ordre la retournerait une fois exécutés. Rien n'a été envoyé.",
        {"symbol": _text, "exiting": _contracts},
    ),
    (_R.REDUCING_ONLY, ""): _T(
        "Order refused: reduce-only mode. Your {symbol} position is {position}; only an order that shrinks "
        "it without reversing it is allowed.",
        "Ordre refusé : mode réduction seule. Votre position {symbol} est {position} ; seul un ordre qui la "
        "réduit sans la retourner est accepté.",
        {"symbol": _text, "position": _position},
    ),
    (_R.REDUCING_ONLY, "covered"): _T(
        "Order refused: reduce-only mode, and working orders already close {exiting} of your {symbol} "
        "position; this order would reverse it once they fill. Nothing was sent.",
        "Ordre refusé : mode réduction seule, et des ordres en attente ferment déjà {exiting} de votre "
        "position {symbol} ; cet ordre la retournerait une fois exécutés. Rien n'a été envoyé.",
        {"symbol": _text, "exiting": _contracts},
    ),
    (_R.REDUCING_ONLY, "flat"): _T(
        "Order refused: reduce-only mode, and you have no {symbol} position to reduce.",
        "Ordre refusé : mode réduction seule, et vous n'avez aucune position {symbol} à réduire.",
        {"symbol": _text},
    ),
    (_R.NO_MARKET_PRICE, ""): _T(
        "Order refused: there is no market price for {symbol} yet, so the order cannot be checked.",
        "Ordre refusé : aucun prix de marché pour {symbol} pour l'instant, l'ordre ne peut pas être vérifié.",
        {"symbol": _text},
    ),
    (_R.NO_CURRENT_PRICE, ""): _T(
        "Order refused: no current price for {symbol} yet; market data is starting. Nothing was sent; "
        "try again in a moment.",
        "Ordre refusé : pas encore de prix actuel pour {symbol} ; les données de marché démarrent. Rien n'a "
        "été envoyé ; réessayez dans un instant.",
        {"symbol": _text},
    ),
    (_R.DUPLICATE_CLIENT_ID, ""): _T(
        "Order refused: the client order id {client_id} was already used for a different order ({side} "
        "{quantity} {symbol} {order_type}{limit_price}). Nothing was sent; use a new id.",
        "Ordre refusé : l'identifiant client {client_id} a déjà servi pour un autre ordre ({side} {quantity} "
        "{symbol} {order_type}{limit_price}). Rien n'a été envoyé ; utilisez un nouvel identifiant.",
        {"client_id": _text, "side": _side, "quantity": _number, "symbol": _text, "order_type": _order_type,
         "limit_price": lambda v: msg(" {p}", p=Num(v)) if _is_number(v) else ""},
    ),
    (_R.INVALID_PRICE, "missing"): _T(
        "Order refused: the {label} price is missing.",
        "Ordre refusé : le prix {label} est manquant.",
        {"label": _label},
    ),
    (_R.INVALID_PRICE, "not_positive"): _T(
        "Order refused: the {label} price {price} is not valid; it must be a number above zero.",
        "Ordre refusé : le prix {label} {price} n'est pas valide ; il doit être un nombre supérieur à zéro.",
        {"label": _label, "price": _number},
    ),
    (_R.INVALID_PRICE, "too_large"): _T(
        "Order refused: the {label} price {price} is far too large to be a price.",
        "Ordre refusé : le prix {label} {price} est bien trop grand pour être un prix.",
        {"label": _label, "price": _exponent},
    ),
    (_R.INVALID_PRICE, "off_tick"): _T(
        "Order refused: the {label} price {price} is not on the {tick} tick grid; the nearest valid prices "
        "are {below} and {above}.",
        "Ordre refusé : le prix {label} {price} n'est pas un multiple du pas de cotation de {tick} ; les prix "
        "valides les plus proches sont {below} et {above}.",
        {"label": _label, "price": _number, "tick": _number, "below": _number, "above": _number},
    ),
    (_R.INVALID_PRICE, "stop_loss_below"): _T(
        "Order refused: for a buy, the stop-loss {stop_loss} must be below the entry price {entry}.",
        "Ordre refusé : pour un achat, le stop de protection {stop_loss} doit être sous le prix d'entrée {entry}.",
        {"stop_loss": _number, "entry": _number},
    ),
    (_R.INVALID_PRICE, "stop_loss_above"): _T(
        "Order refused: for a sell, the stop-loss {stop_loss} must be above the entry price {entry}.",
        "Ordre refusé : pour une vente, le stop de protection {stop_loss} doit être au-dessus du prix "
        "d'entrée {entry}.",
        {"stop_loss": _number, "entry": _number},
    ),
    (_R.INVALID_PRICE, "take_profit_above"): _T(
        "Order refused: for a buy, the take-profit {take_profit} must be above the entry price {entry}.",
        "Ordre refusé : pour un achat, l'objectif {take_profit} doit être au-dessus du prix d'entrée {entry}.",
        {"take_profit": _number, "entry": _number},
    ),
    (_R.INVALID_PRICE, "take_profit_below"): _T(
        "Order refused: for a sell, the take-profit {take_profit} must be below the entry price {entry}.",
        "Ordre refusé : pour une vente, l'objectif {take_profit} doit être sous le prix d'entrée {entry}.",
        {"take_profit": _number, "entry": _number},
    ),
    (_R.RISK_PERCENT_OUT_OF_RANGE, ""): _T(
        "Risk setting refused: {percent} is out of range; the risk per trade must be above 0% and at most {max}.",
        "Réglage du risque refusé : {percent} est hors limites ; le risque par trade doit être supérieur "
        "à 0\u202f% et d'au plus {max}.",
        {"percent": _percent, "max": _percent},
    ),
    (_R.RISK_PERCENT_OUT_OF_RANGE, "not_a_number"): _T(
        "Risk setting refused: \u201c{percent}\u201d is not a number; give a percentage above 0% and at most {max}.",
        "Réglage du risque refusé : « {percent} » n'est pas un nombre ; indiquez un pourcentage supérieur "
        "à 0\u202f% et d'au plus {max}.",
        {"percent": _text, "max": _percent},
    ),
    (_R.RISK_PERCENT_OUT_OF_RANGE, "order"): _T(
        "Order refused: a risk of {percent} per trade is out of range; it must be above 0% and at most {max}.",
        "Ordre refusé : un risque de {percent} par trade est hors limites ; il doit être supérieur à 0\u202f% "
        "et d'au plus {max}.",
        {"percent": _percent, "max": _percent},
    ),
    (_R.SIZE_ZERO_FROM_RISK, ""): _T(
        "Order refused: a risk of {percent} is too small for even one {symbol} contract at this stop distance.",
        "Ordre refusé : un risque de {percent} est trop faible pour un seul contrat {symbol} avec cette "
        "distance de stop.",
        {"percent": _percent, "symbol": _text},
    ),
    (_R.SIZE_ZERO_FROM_RISK, "detailed"): _T(
        "Order refused: risking {percent} of {equity} allows {budget}, less than the {per_contract} one "
        "{symbol} contract would lose with a stop {stop} away.",
        "Ordre refusé : risquer {percent} de {equity} autorise {budget}, moins que les {per_contract} que "
        "perdrait un contrat {symbol} avec un stop à {stop}.",
        {"percent": _percent, "equity": _money, "budget": _money, "per_contract": _money, "symbol": _text,
         "stop": _counted(POINT, 2)},
    ),
    (_R.PREVIEW_CHANGED, ""): _T(
        "Nothing was done: the positions or orders changed since the read-back. Ask again to hear the new one.",
        "Rien n'a été fait : les positions ou les ordres ont changé depuis la relecture. Redemandez pour "
        "entendre la nouvelle.",
        {},
    ),
    # ---- the autopilot's refusals and expiries of a signal
    (_R.FILTER_REJECTED, ""): _T(
        "ML filter at {probability}, below its {threshold} threshold.",
        "Filtre ML à {probability}, sous son seuil de {threshold}.",
        {"probability": _fraction, "threshold": _fraction},
    ),
    (_R.MODEL_REJECTED, ""): _T(
        "The {model} model gives {probability}, below {threshold}.",
        "Le modèle {model} donne {probability}, sous {threshold}.",
        {"model": _text, "probability": _fraction, "threshold": _fraction},
    ),
    (_R.NO_EDGE, ""): _T(
        "No edge after costs: win probability {probability} at a payoff of {payoff} to 1.",
        "Pas d'avantage après coûts : probabilité de gain {probability} pour un gain de {payoff} pour 1.",
        {"probability": _fraction, "payoff": _number},
    ),
    (_R.SIZE_ZERO, ""): _T(
        "The risk budget ({risk_percent} of equity) does not cover one contract at a {stop_points} stop.",
        "Le budget de risque ({risk_percent} du capital) ne couvre pas un contrat avec un stop de {stop_points}.",
        {"risk_percent": _percent, "stop_points": _counted(POINT, 2)},
    ),
    (_R.IN_TRADE, ""): _T(
        "{symbol} already has a position or a working order.",
        "{symbol} a déjà une position ou un ordre en cours.",
        {"symbol": _text},
    ),
    (_R.ENGINE_NOT_ACTIVE, ""): _T(
        "Trading is not active ({state}): the proposal was not executed.",
        "Le trading n'est pas actif ({state}) : la proposition n'a pas été exécutée.",
        {"state": _text},
    ),
    (_R.EXPIRED_TIMEOUT, ""): _T("Nobody confirmed it in time.", "Personne ne l'a confirmée à temps.", {}),
    (_R.EXPIRED_RESTART, ""): _T(
        "Proposal expired: MIA restarted before it was confirmed.",
        "Proposition expirée : MIA a redémarré avant sa confirmation.", {},
    ),
    (_R.EXPIRED_MODE, ""): _T(
        "The autopilot left proposal mode.", "Le pilote automatique a quitté le mode proposition.", {},
    ),
    (_R.SUPERSEDED, ""): _T(
        "Proposal replaced by a newer signal.", "Proposition remplacée par un signal plus récent.", {},
    ),
    (_R.DECLINED, ""): _T("Declined by the trader.", "Refusée par le trader.", {}),
    # ---- venue rejections
    (_R.BROKER_REJECTED, ""): _T(
        "Order rejected by the broker.", "Ordre rejeté par le courtier.", {},
    ),
    (_R.BROKER_DISCONNECTED, ""): _T(
        "Order not sent: {broker} is not connected.",
        "Ordre non transmis : {broker} n'est pas connecté.",
        {"broker": _broker},
    ),
    (_R.BROKER_DISCONNECTED, "while_sending"): _T(
        "Order not transmitted: the connection to {broker} dropped while sending.",
        "Ordre non transmis : la connexion avec {broker} a été coupée pendant l'envoi.",
        {"broker": _broker},
    ),
    (_R.BROKER_UNKNOWN_SYMBOL, ""): _T(
        "The broker refused the order: it does not trade {symbol}.",
        "Le courtier a refusé l'ordre : il ne traite pas {symbol}.",
        {"symbol": _text},
    ),
    (_R.BROKER_INVALID_QUANTITY, ""): _T(
        "The broker refused the order: the quantity must be a whole number of contracts above zero, not {quantity}.",
        "Le courtier a refusé l'ordre : la quantité doit être un nombre entier de contrats supérieur à zéro, "
        "pas {quantity}.",
        {"quantity": _text},
    ),
    (_R.BROKER_INVALID_ORDER_TYPE, ""): _T(
        "The broker refused the order: it takes market, limit and stop orders, not {order_type} orders.",
        "Le courtier a refusé l'ordre : il accepte les ordres au marché, à cours limité et stop, pas les "
        "ordres {order_type}.",
        {"order_type": _order_type},
    ),
    (_R.BROKER_INVALID_PRICE, "not_positive"): _T(
        "The broker refused the order: a {order_type} order needs a {label} price above zero (got {price}).",
        "Le courtier a refusé l'ordre : un ordre {order_type} exige un prix {label} supérieur à zéro (reçu {price}).",
        {"order_type": _order_type, "label": _label, "price": _text},
    ),
    (_R.BROKER_INVALID_PRICE, "off_tick"): _T(
        "The broker refused the order: the {label} price {price} of {symbol} is not a multiple of the tick {tick}.",
        "Le courtier a refusé l'ordre : le prix {label} {price} de {symbol} n'est pas un multiple du pas de "
        "cotation {tick}.",
        {"order_type": _order_type, "label": _label, "symbol": _text, "price": _number, "tick": _number},
    ),
    (_R.BROKER_INVALID_BRACKET, ""): _T(
        "The broker refused the bracket: the stop loss and take profit must be on the opposite side of the "
        "entry, for the same quantity, with the stop below the target for a buy (above for a sell).",
        "Le courtier a refusé le bracket : le stop de protection et l'objectif doivent être du côté opposé à "
        "l'entrée, pour la même quantité, avec le stop sous l'objectif pour un achat (au-dessus pour une vente).",
        {},
    ),
    (_R.BROKER_INVALID_BRACKET, "one_symbol"): _T(
        "The broker refused the bracket: it must trade a single symbol.",
        "Le courtier a refusé le bracket : il ne porte que sur un seul symbole.",
        {},
    ),
    (_R.BROKER_PARENT_INACTIVE, ""): _T(
        "The broker refused the order: its parent order was cancelled or rejected.",
        "Le courtier a refusé l'ordre : son ordre parent a été annulé ou rejeté.",
        {},
    ),
    (_R.IB_ERROR, ""): _T(
        "Interactive Brokers refused the order (error {ib_code}): {text}",
        "Interactive Brokers a refusé l'ordre (erreur {ib_code}) : {text}",
        {"ib_code": _text, "text": _text},
    ),
    (_R.IB_INACTIVE, ""): _T(
        "Interactive Brokers made the order inactive (rejected or cancelled by the system).",
        "Interactive Brokers a rendu l'ordre inactif (rejeté ou annulé par le système).",
        {},
    ),
    (_R.IB_CONTRACT_UNKNOWN, ""): _T(
        "Interactive Brokers does not know the contract {contract} (error {ib_code}): {text}",
        "Interactive Brokers ne connaît pas le contrat {contract} (erreur {ib_code}) : {text}",
        {"contract": _text, "ib_code": _text, "text": _text},
    ),
    (_R.IB_CONTRACT_TIMEOUT, ""): _T(
        "Interactive Brokers did not describe the contract {contract} within {seconds}; the order was not sent.",
        "Interactive Brokers n'a pas décrit le contrat {contract} en {seconds} ; l'ordre n'a pas été transmis.",
        {"contract": _text, "seconds": _counted(SECOND, 1)},
    ),
})

SENTENCE_KEYS: frozenset[tuple[ReasonCode, str]] = frozenset(_SENTENCES)


def reason_msg(rejection: Rejection) -> Msg:
    """The refusal as a message (its figures typed); a ledger row from before schema version 3 gives
    back the sentences it recorded."""
    params = rejection.params
    if rejection.variant == RECORDED:
        return Msg(str(params.get("text_en", "")), str(params.get("text_fr", "")))
    sentence = _SENTENCES.get((rejection.code, rejection.variant))
    if sentence is None:  # a code this version does not know the sentence of: say the code, never nothing
        return msg("Refused ({code}).", "Refusé ({code}).", code=Verbatim(str(rejection.code.value)))
    args: dict[str, Value] = {}
    for name, kind in sentence.kinds.items():
        args[name] = kind(params.get(name))
    return Msg(sentence.en, sentence.fr, args)


def reason_text(rejection: Rejection, lang: str, surface: Surface = Surface.CHAT) -> str:
    """The refusal's sentence in `lang` for `surface`."""
    return render(reason_msg(rejection), lang, surface)


def both_texts(rejection: Rejection) -> tuple[str, str]:
    """(English, French) written sentences (the dashboard page shows either)."""
    return reason_text(rejection, "en"), reason_text(rejection, "fr")


__all__ = ["SENTENCE_KEYS", "both_texts", "reason_msg", "reason_text"]
