"""Read-backs: the sentence MIA says before a risky action, with the figures the trader must hear.

"Long 2 contrats ES au marché, risque estimé 500 dollars." / "Buy 2 ES at market, estimated risk
500 dollars." The question ("Confirmez-vous ?") is added by the dialogue, so a chat front end can
show the summary next to its buttons.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from assistant.dialogue.answers import contracts, order_phrase, side_word, text, working_orders
from assistant.present.money import format_money
from assistant.present.numbers import format_percent
from trading_core.types import Order, OrderPreview, Position

__all__ = ["order_readback", "close_readback", "halt_readback", "reduce_only_readback", "position_phrase"]


def _capitalise(s: str) -> str:
    return s[:1].upper() + s[1:]


def order_readback(preview: OrderPreview, lang: str, equity: Decimal | None = None) -> str:
    """Side, quantity, symbol, order type (and limit price), estimated risk; the share of equity when
    the trader named a risk percentage, so "1 percent" said and 0.5 % actually risked is audible."""
    req = preview.request
    risk = (
        format_money(preview.estimated_risk, lang)
        if preview.estimated_risk is not None
        else text("readback.risk_unknown", lang)
    )
    share = ""
    if req.risk_percent is not None and preview.estimated_risk is not None and equity:
        pct = (Decimal(preview.estimated_risk) / Decimal(equity) * 100).quantize(Decimal("0.01"))
        share = text("readback.share", lang, pct=format_percent(pct, lang))
    return text(
        "readback.order", lang,
        side=_capitalise(side_word(req.side, lang)),
        qty=contracts(preview.quantity, lang),
        symbol=req.symbol,
        how=order_phrase(req.order_type, req.limit_price, req.stop_price, lang),
        risk=risk,
        share=share,
    )


def position_phrase(p: Position, lang: str) -> str:
    """"long 2 ES" / "long 2 contrats ES"."""
    side = "long" if p.quantity > 0 else "short"
    return f"{side} {contracts(abs(p.quantity), lang)} {p.symbol}"


def close_readback(
    positions: Sequence[Position], working: Sequence[Order], lang: str, symbol: str | None = None
) -> str | None:
    """What closing will do, or None when there is nothing to close or cancel."""
    held = [p for p in positions if p.quantity != 0 and (symbol is None or p.symbol == symbol)]
    orders = [o for o in working if not o.status.is_final and (symbol is None or o.symbol == symbol)]
    if not held and not orders:
        return None
    items = [position_phrase(p, lang) for p in held]
    if orders:
        items.append(text("readback.cancel_working", lang, orders=working_orders(len(orders), lang)))
    joined = ", ".join(items)
    if symbol is None:
        return text("readback.close_all", lang, items=joined)
    return text("readback.close_symbol", lang, symbol=symbol, items=joined)


def halt_readback(open_positions: int, cancellable_orders: int, lang: str) -> str:
    if cancellable_orders == 1:
        cancel = text("readback.halt_cancel_one", lang)
    elif cancellable_orders > 1:
        cancel = text("readback.halt_cancel", lang, orders=working_orders(cancellable_orders, lang))
    else:
        cancel = ""
    if open_positions == 0:
        positions = text("readback.halt_no_position", lang)
    elif open_positions == 1:
        positions = text("readback.halt_position_one", lang)
    else:
        positions = text("readback.halt_positions", lang, n=open_positions)
    return text("readback.halt", lang, cancel=cancel, positions=positions)


def reduce_only_readback(lang: str) -> str:
    """What reduce-only mode does: only orders that shrink positions are accepted."""
    return text("readback.reduce_only", lang)
