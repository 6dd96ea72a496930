"""Reason codes: why an order or a setting was refused, as data (a code, a variant, parameters).

Every refusal is a `types.Rejection(code, variant, params)`. The code is a stable machine value
(front ends, the ledger and tests key on it); the parameters are the figures the trader must hear
(quantity, limit, price, P&L...), kept as numbers, never as sentences. The sentences live in the
presentation layer (`assistant/present/reasons.py`), one per code and variant, in French and English,
for every surface (speech spells the numbers, chat writes them).

One namespace, two origins:
- local denials, decided before anything leaves MIA (the risk gate, the engine, sizing): the order is
  DENIED (event ORDER_DENIED), like nautilus_trader's `OrderDenied`;
- venue rejections, decided by the broker or the exchange after submission (`ReasonCode.is_venue`):
  the order is REJECTED (event ORDER_REJECTED), like nautilus_trader's `OrderRejected`. An Interactive
  Brokers error keeps IB's own code as the parameter `ib_code` (IB_ERROR) instead of one code per
  number.

`reject()` checks the parameter names against `PARAMS`, so a sentence can never lack a figure.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from trading_core.types import ReasonParam, Rejection


class ReasonCode(str, enum.Enum):
    """Stable refusal codes. Never rename a member: front ends, ledgers and tests store the value."""

    # ---- local denials (risk gate, engine, sizing)
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
    PREVIEW_CHANGED = "PREVIEW_CHANGED"  # a confirmed read-back no longer matches what would be done now

    # ---- the autopilot's own refusals of a signal (local; a risk-gate refusal keeps the gate's code)
    FILTER_REJECTED = "FILTER_REJECTED"  # the ML ensemble's probability is below the filter threshold
    MODEL_REJECTED = "MODEL_REJECTED"  # the trade-probability model is below its floor
    NO_EDGE = "NO_EDGE"  # Kelly fraction 0 after costs
    SIZE_ZERO = "SIZE_ZERO"  # the signal's risk budget does not buy one contract at its stop
    IN_TRADE = "IN_TRADE"  # a position or a working order on the symbol already
    ENGINE_NOT_ACTIVE = "ENGINE_NOT_ACTIVE"  # a proposal confirmed while trading is halted or reducing
    # ---- why an autopilot proposal ended unexecuted
    EXPIRED_TIMEOUT = "EXPIRED_TIMEOUT"  # nobody confirmed it in time
    EXPIRED_RESTART = "EXPIRED_RESTART"  # a proposal is never executed after a restart
    EXPIRED_MODE = "EXPIRED_MODE"  # the autopilot left proposal mode
    SUPERSEDED = "SUPERSEDED"  # a newer proposal on the same symbol replaced it
    DECLINED = "DECLINED"  # the trader said no

    # ---- venue rejections (the broker or the exchange, after submission)
    BROKER_REJECTED = "BROKER_REJECTED"  # refused without a reason given
    BROKER_DISCONNECTED = "BROKER_DISCONNECTED"
    BROKER_UNKNOWN_SYMBOL = "BROKER_UNKNOWN_SYMBOL"
    BROKER_INVALID_QUANTITY = "BROKER_INVALID_QUANTITY"
    BROKER_INVALID_ORDER_TYPE = "BROKER_INVALID_ORDER_TYPE"
    BROKER_INVALID_PRICE = "BROKER_INVALID_PRICE"
    BROKER_INVALID_BRACKET = "BROKER_INVALID_BRACKET"
    BROKER_PARENT_INACTIVE = "BROKER_PARENT_INACTIVE"
    IB_ERROR = "IB_ERROR"  # Interactive Brokers refused it: params ib_code (IB's error number) and text
    IB_INACTIVE = "IB_INACTIVE"
    IB_CONTRACT_UNKNOWN = "IB_CONTRACT_UNKNOWN"
    IB_CONTRACT_TIMEOUT = "IB_CONTRACT_TIMEOUT"

    @property
    def is_venue(self) -> bool:
        """True for a rejection by the broker or the exchange; False for a local denial."""
        return self in VENUE_CODES

    def __str__(self) -> str:  # the stored value, as the plain strings of earlier versions printed
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


VENUE_CODES: frozenset[ReasonCode] = frozenset(c for c in ReasonCode if c.name.startswith(("BROKER_", "IB_")))


class PriceLabel(str, enum.Enum):
    """Which price of an order a refusal talks about."""

    LIMIT = "limit"
    STOP = "stop"
    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"


_R = ReasonCode
# (code, variant) -> the parameter names its sentence needs. The variant "recorded" (any code) holds
# the original code and the two sentences a ledger written before schema version 3 stored instead
# of parameters.
PARAMS: Mapping[tuple[ReasonCode, str], tuple[str, ...]] = MappingProxyType({
    (_R.QTY_NOT_POSITIVE, ""): ("quantity",),
    (_R.QTY_NOT_POSITIVE, "not_whole"): ("quantity",),
    (_R.QTY_ABOVE_MAX, ""): ("quantity", "maximum"),
    (_R.POSITION_LIMIT_SYMBOL, ""): ("symbol", "resulting", "limit"),
    (_R.POSITION_LIMIT_TOTAL, ""): ("resulting", "limit"),
    (_R.DAILY_LOSS_LIMIT, ""): ("pnl", "limit"),
    (_R.MAX_CONSECUTIVE_LOSSES, ""): ("count", "limit"),
    (_R.MIN_BALANCE, ""): ("balance", "minimum"),
    (_R.MARKET_CLOSED, ""): ("symbol",),
    (_R.RATE_LIMIT, ""): ("count", "limit", "wait"),
    (_R.PRICE_BAND, ""): ("label", "price", "last", "distance", "band"),
    (_R.UNKNOWN_SYMBOL, ""): ("symbol",),
    (_R.HALTED, ""): (),
    (_R.HALTED, "covered"): ("symbol", "exiting"),
    (_R.REDUCING_ONLY, ""): ("symbol", "position"),
    (_R.REDUCING_ONLY, "covered"): ("symbol", "exiting"),
    (_R.REDUCING_ONLY, "flat"): ("symbol",),
    (_R.NO_MARKET_PRICE, ""): ("symbol",),
    (_R.NO_CURRENT_PRICE, ""): ("symbol",),
    (_R.DUPLICATE_CLIENT_ID, ""): ("client_id", "side", "quantity", "symbol", "order_type", "limit_price"),
    (_R.INVALID_PRICE, "missing"): ("label",),
    (_R.INVALID_PRICE, "not_positive"): ("label", "price"),
    (_R.INVALID_PRICE, "too_large"): ("label", "price"),
    (_R.INVALID_PRICE, "off_tick"): ("label", "price", "tick", "below", "above"),
    (_R.INVALID_PRICE, "stop_loss_below"): ("stop_loss", "entry"),
    (_R.INVALID_PRICE, "stop_loss_above"): ("stop_loss", "entry"),
    (_R.INVALID_PRICE, "take_profit_above"): ("take_profit", "entry"),
    (_R.INVALID_PRICE, "take_profit_below"): ("take_profit", "entry"),
    (_R.RISK_PERCENT_OUT_OF_RANGE, ""): ("percent", "max"),
    (_R.RISK_PERCENT_OUT_OF_RANGE, "not_a_number"): ("percent", "max"),
    (_R.RISK_PERCENT_OUT_OF_RANGE, "order"): ("percent", "max"),  # said with a quantity
    (_R.SIZE_ZERO_FROM_RISK, ""): ("percent", "symbol"),
    (_R.SIZE_ZERO_FROM_RISK, "detailed"): ("percent", "equity", "budget", "per_contract", "symbol", "stop"),
    (_R.PREVIEW_CHANGED, ""): (),
    (_R.FILTER_REJECTED, ""): ("probability", "threshold"),  # fractions (0.55 is 55%)
    (_R.MODEL_REJECTED, ""): ("model", "probability", "threshold"),
    (_R.NO_EDGE, ""): ("probability", "payoff"),  # payoff: expected gain per unit risked, after costs
    (_R.SIZE_ZERO, ""): ("risk_percent", "stop_points"),
    (_R.IN_TRADE, ""): ("symbol",),
    (_R.ENGINE_NOT_ACTIVE, ""): ("state",),
    (_R.EXPIRED_TIMEOUT, ""): (),
    (_R.EXPIRED_RESTART, ""): (),
    (_R.EXPIRED_MODE, ""): (),
    (_R.SUPERSEDED, ""): (),
    (_R.DECLINED, ""): (),
    (_R.BROKER_REJECTED, ""): (),
    (_R.BROKER_DISCONNECTED, ""): ("broker",),
    (_R.BROKER_DISCONNECTED, "while_sending"): ("broker",),
    (_R.BROKER_UNKNOWN_SYMBOL, ""): ("symbol",),
    (_R.BROKER_INVALID_QUANTITY, ""): ("quantity",),
    (_R.BROKER_INVALID_ORDER_TYPE, ""): ("order_type",),
    (_R.BROKER_INVALID_PRICE, "not_positive"): ("order_type", "label", "price"),
    (_R.BROKER_INVALID_PRICE, "off_tick"): ("order_type", "label", "symbol", "price", "tick"),
    (_R.BROKER_INVALID_BRACKET, ""): (),
    (_R.BROKER_INVALID_BRACKET, "one_symbol"): (),
    (_R.BROKER_PARENT_INACTIVE, ""): (),
    (_R.IB_ERROR, ""): ("ib_code", "text"),
    (_R.IB_INACTIVE, ""): (),
    (_R.IB_CONTRACT_UNKNOWN, ""): ("contract", "ib_code", "text"),
    (_R.IB_CONTRACT_TIMEOUT, ""): ("contract", "seconds"),
})
RECORDED = "recorded"
_RECORDED_PARAMS = ("recorded_code", "text_en", "text_fr")


def _param(value: Any) -> ReasonParam:
    """A parameter as stored data: enums by their value; numbers, text and None as they are."""
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (str, int, float, Decimal)):
        return value
    return str(value)


def reject(code: ReasonCode | str, variant: str = "", **params: Any) -> Rejection:
    """The refusal `code` (and `variant`) with its parameters, checked against `PARAMS`.

    Raises `ValueError` for an unknown code/variant or a missing or unexpected parameter: that is a
    programming error in the caller, never a user's input, so it must not become a vague sentence.
    """
    try:
        member = code if type(code) is ReasonCode else ReasonCode(code)
    except ValueError:
        raise ValueError(f"unknown reason code {code!r}") from None
    names = _RECORDED_PARAMS if variant == RECORDED else PARAMS.get((member, variant))
    if names is None:
        raise ValueError(f"no refusal sentence for code {member.value!r} variant {variant!r}")
    if len(params) != len(names) or any(n not in params for n in names):
        missing = sorted(set(names) - set(params))
        extra = sorted(set(params) - set(names))
        raise ValueError(
            f"refusal {member.value}/{variant or 'default'}: missing parameters {missing}, "
            f"unexpected parameters {extra}"
        )
    return Rejection(member, variant, {name: _param(params[name]) for name in names})


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
