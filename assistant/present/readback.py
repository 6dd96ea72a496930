"""Read-backs: the sentence MIA says before a risky action, built from the engine's own preview of it
(`preview_order`, `preview_close`, `preview_halt`), so what is read back is exactly what a confirmation
executes. Voice, chat and the terminal say the same sentence.

"Long 2 contrats ES au marché, risque estimé 500,00 $." / "Buy 2 ES at market, estimated risk
$500.00." The question ("Confirmez-vous ?") is added by the front, so a chat can show the summary next
to its buttons.
"""
from __future__ import annotations

from decimal import Decimal

from assistant.present.text import CONTRACT, WORKING_ORDER, Count, Money, Msg, Pct, Price, Sym, Value, join, msg
from trading_core.types import ClosePreview, HaltPreview, OrderPreview, OrderType, Position, Side


def side_msg(side: Side) -> Msg:
    """Read-back side: English "Buy" / "Sell", French "Long" / "Short"."""
    return msg("Buy", "Long") if side is Side.BUY else msg("Sell", "Short")


def quantity_msg(n: int) -> Value:
    """English "2" (the symbol follows), French "2 contrats"."""
    return msg("{n}", "{q}", n=n, q=Count(n, CONTRACT))


def order_phrase(order_type: OrderType, limit_price: float | None, stop_price: float | None) -> Msg:
    """How the order executes: "at market" / "au marché", "with a limit at 5,990.25" / "avec une limite à 5 990,25"."""
    if order_type is OrderType.LIMIT and limit_price is not None:
        return msg("with a limit at {p}", "avec une limite à {p}", p=Price(limit_price))
    if order_type is OrderType.STOP and stop_price is not None:
        return msg("with a stop at {p}", "avec un stop à {p}", p=Price(stop_price))
    return msg("at market", "au marché")


def order_readback(preview: OrderPreview, equity: Decimal | None = None) -> Msg:
    """Side, quantity, symbol, order type (and limit price), estimated risk; the share of equity when
    the trader named a risk percentage, so "1 percent" said and 0.5 % actually risked is audible."""
    req = preview.request
    risk: Value = Money(preview.estimated_risk) if preview.estimated_risk is not None else msg("unknown", "inconnu")
    share: Value = ""
    if req.risk_percent is not None and preview.estimated_risk is not None and equity:
        pct = (Decimal(preview.estimated_risk) / Decimal(equity) * 100).quantize(Decimal("0.01"))
        share = msg(" ({pct} of equity)", " ({pct} du capital)", pct=Pct(pct))
    return msg("{side} {qty} {symbol} {how}, estimated risk {risk}{share}.",
               "{side} {qty} {symbol} {how}, risque estimé {risk}{share}.",
               side=side_msg(req.side), qty=quantity_msg(preview.quantity), symbol=Sym(req.symbol),
               how=order_phrase(req.order_type, req.limit_price, req.stop_price), risk=risk, share=share)


def position_msg(p: Position) -> Msg:
    """"long 2 ES" / "long 2 contrats ES"."""
    side = "long" if p.quantity > 0 else "short"
    return msg(f"{side} {{qty}} {{symbol}}", qty=quantity_msg(abs(p.quantity)), symbol=Sym(p.symbol))


def close_readback(preview: ClosePreview) -> Msg | None:
    """What closing will do, or None when there is nothing to close or cancel."""
    if preview.nothing_to_do or preview.rejection is not None:
        return None
    items: list[Value] = [position_msg(p) for p in preview.positions if p.symbol not in preview.in_progress]
    if preview.cancels:
        items.append(msg("cancel {orders}", "annuler {orders}", orders=Count(len(preview.cancels), WORKING_ORDER)))
    if preview.in_progress:
        items.append(msg("a closing order already works for {symbols}", "un ordre de fermeture est déjà en cours pour {symbols}",
                         symbols=join([Sym(s) for s in preview.in_progress])))
    joined = join(items)
    if preview.symbol is None:
        return msg("Close all positions: {items}.", "Fermer toutes les positions : {items}.", items=joined)
    return msg("Close the {symbol} position: {items}.", "Fermer la position {symbol} : {items}.",
               symbol=Sym(preview.symbol), items=joined)


def nothing_to_close(symbol: str | None) -> Msg:
    if symbol:
        return msg("You have no {symbol} position to close.", "Vous n'avez aucune position {symbol} à fermer.",
                   symbol=Sym(symbol))
    return msg("You have no open position to close.", "Vous n'avez aucune position à fermer.")


def halt_readback(preview: HaltPreview) -> Msg:
    """The halt (or, with `flatten`, the kill switch) about to happen."""
    if preview.flatten is not None:
        close = close_readback(preview.flatten) or msg("Nothing to close.", "Rien à fermer.")
        return msg("Kill switch: halt trading, cancel every working order and close every position. {close}",
                   "Arrêt d'urgence : arrêter le trading, annuler tous les ordres en attente et fermer toutes les "
                   "positions. {close}", close=close)
    n = len(preview.cancels)
    if n == 1:
        cancel: Value = msg(", 1 working order will be cancelled", ", 1 ordre en attente sera annulé")
    elif n > 1:
        cancel = msg(", {orders} will be cancelled", ", {orders} seront annulés", orders=Count(n, WORKING_ORDER))
    else:
        cancel = ""
    held = len(preview.positions)
    if held == 0:
        positions = msg("you have no open position", "vous n'avez aucune position ouverte")
    elif held == 1:
        positions = msg("your open position stays open", "votre position reste ouverte")
    else:
        positions = msg("your {n} open positions stay open", "vos {n} positions restent ouvertes", n=held)
    return msg("Halt trading: no new order will be accepted{cancel}; {positions}.",
               "Arrêter le trading : plus aucun nouvel ordre ne sera accepté{cancel} ; {positions}.",
               cancel=cancel, positions=positions)


def already_halted() -> Msg:
    return msg("Trading is already halted. Closing positions is still allowed.",
               "Le trading est déjà arrêté. La fermeture des positions reste possible.")


def reduce_readback() -> Msg:
    """What reduce-only mode does: only orders that shrink positions are accepted."""
    return msg("Reduce-only mode: only orders that shrink positions will be accepted; your positions and working "
               "orders stay.",
               "Mode réduction seule : seuls les ordres qui réduisent les positions seront acceptés ; vos positions et "
               "vos ordres en attente restent.")


def resume_readback() -> Msg:
    """What resuming does, read back when it was heard (not typed): "stop trading" and "start trading" differ by
    one sound, and a resume heard for a stop would let trading start again."""
    return msg("Resume trading: new orders will be accepted again.",
               "Reprise du trading : les nouveaux ordres seront de nouveau acceptés.")


def already_reducing() -> Msg:
    return msg("Reduce-only mode is already on.", "Le mode réduction seule est déjà actif.")


def preview_changed(pinned: ClosePreview, now: ClosePreview) -> Msg:
    """A confirmed close refused because the book changed since its read-back."""
    def held(p: ClosePreview) -> Value:
        items = [position_msg(x) for x in p.positions]
        return join(items) if items else msg("no position", "aucune position")

    if {x.symbol: x.quantity for x in pinned.positions} == {x.symbol: x.quantity for x in now.positions}:
        return msg("The working orders changed since the read-back. Nothing was done; ask again to hear the new "
                   "read-back.",
                   "Les ordres en attente ont changé depuis la relecture. Rien n'a été fait ; redemandez pour entendre "
                   "la nouvelle relecture.")
    return msg("The positions changed since the read-back ({then} then, {now} now). Nothing was done; ask again to "
               "hear the new read-back.",
               "Les positions ont changé depuis la relecture ({then} alors, {now} maintenant). Rien n'a été fait ; "
               "redemandez pour entendre la nouvelle relecture.", then=held(pinned), now=held(now))


__all__ = [
    "already_halted", "already_reducing", "close_readback", "halt_readback", "nothing_to_close", "order_phrase",
    "order_readback", "position_msg", "preview_changed", "quantity_msg", "reduce_readback", "side_msg",
]
