"""Engine operations behind the CLI (and the control socket), rendered as text in FR or EN."""
from __future__ import annotations

import asyncio
import math
import time
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from assistant.control import OpFunc, OpResult
from assistant.dialogue.readback import close_readback, halt_readback
from trading_core.api import Engine
from trading_core.instruments import UnknownSymbolError, get_instrument
from trading_core.risk.gate import reduces_exposure
from trading_core.risk.reasons import ReasonCode, reject
from trading_core.types import CloseResult, OrderRequest, OrderResult, OrderType, Side, TradingState


def money(value: Decimal, lang: str) -> str:
    q = Decimal(value).quantize(Decimal("0.01"))
    if lang == "fr":
        s = f"{abs(q):,.2f}".replace(",", "\u202f").replace(".", ",")
        return ("-" if q < 0 else "") + s + " $"
    return ("-" if q < 0 else "") + f"${abs(q):,.2f}"


def num(value: float | Decimal, lang: str, decimals: int = 2) -> str:
    s = f"{float(value):,.{decimals}f}"
    if lang == "fr":
        s = s.replace(",", "\u202f").replace(".", ",")
    return s


def t(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


class BadRequest(ValueError):
    """An op argument that cannot be an order (a side that is neither buy nor sell, 1.5 contracts, a
    price that is not a number): refused with a sentence in each language, never guessed."""

    def __init__(self, en: str, fr: str) -> None:
        super().__init__(en)
        self.en, self.fr = en, fr

    def message(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


_BUY_WORDS = frozenset({"buy", "long", "achat", "acheter", "achète", "achete"})
_SELL_WORDS = frozenset({"sell", "short", "vente", "vendre", "vends"})


def _side(value: Any) -> Side:
    word = value.strip().lower() if isinstance(value, str) else None
    if word in _BUY_WORDS:
        return Side.BUY
    if word in _SELL_WORDS:
        return Side.SELL
    raise BadRequest(f"Order refused: {value!r} is not a side; say buy (long) or sell (short). Nothing was sent.",
                     f"Ordre refusé : {value!r} n'est pas un sens ; dites achat (long) ou vente (short). Rien n'a été envoyé.")


def _whole_quantity(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        number: Any = None
    elif isinstance(value, int):
        return value
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
    else:
        number = None
    if number is not None and number == number and abs(number) != float("inf") and number == int(number):
        return int(number)
    raise BadRequest(f"Order refused: the quantity must be a whole number of contracts, not {value!r}. Nothing was sent.",
                     f"Ordre refusé : la quantité doit être un nombre entier de contrats, et non {value!r}. Rien n'a été envoyé.")


def _price(value: Any, name_en: str, name_fr: str) -> float | None:
    if value is None:
        return None
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number <= 0:
        raise BadRequest(f"Order refused: the {name_en} {value!r} is not a price above zero. Nothing was sent.",
                         f"Ordre refusé : le {name_fr} {value!r} n'est pas un prix supérieur à zéro. Rien n'a été envoyé.")
    return number


def order_request_from_args(args: dict[str, Any]) -> OrderRequest:
    """The order an op's arguments describe; raises BadRequest for anything that is not one."""
    side = _side(args.get("side"))
    order_type = OrderType.MARKET
    limit = _price(args.get("limit"), "limit price", "prix limite")
    stop_entry = _price(args.get("stop_entry"), "stop price", "prix de déclenchement")
    sl = _price(args.get("stop"), "stop-loss price", "prix du stop de protection")
    tp = _price(args.get("target"), "take-profit price", "prix de l'objectif")
    if sl is not None or tp is not None:
        order_type = OrderType.BRACKET
    elif limit is not None:
        order_type = OrderType.LIMIT
    elif stop_entry is not None:
        order_type = OrderType.STOP
    risk = args.get("risk_percent")
    quantity = _whole_quantity(args.get("quantity"))
    if quantity is None and risk is None:
        raise BadRequest("Order refused: give a quantity or a risk percentage. Nothing was sent.",
                         "Ordre refusé : indiquez une quantité ou un pourcentage de risque. Rien n'a été envoyé.")
    client_id = args.get("client_order_id")
    if client_id is not None and (not isinstance(client_id, str) or not client_id.strip()):
        raise BadRequest(f"Order refused: {client_id!r} is not a client order id. Nothing was sent.",
                         f"Ordre refusé : {client_id!r} n'est pas un identifiant d'ordre client. Rien n'a été envoyé.")
    return OrderRequest(
        symbol=str(args.get("symbol") or "").strip().upper(),
        side=side,
        quantity=quantity,
        risk_percent=Decimal(str(risk)) if risk is not None else None,
        order_type=order_type,
        limit_price=limit,
        stop_price=stop_entry,
        stop_loss=sl,
        take_profit=tp,
        client_order_id=client_id,
        source=args.get("source", "cli"),
    )


def render_order_result(res: OrderResult, lang: str) -> str:
    if not res.accepted:
        msg = res.rejection.message(lang) if res.rejection else t(lang, "Order refused.", "Ordre refusé.")
        return msg
    o = res.order
    assert o is not None
    dup = t(lang, " (already received: same client order id)", " (déjà reçu : même identifiant client)") if res.duplicate else ""
    lines = [
        t(lang, f"Order {o.order_id} accepted: {o.side.value.lower()} {o.quantity} {o.symbol} {o.order_type.value.lower()}, status {o.status.value}{dup}.",
          f"Ordre {o.order_id} accepté : {'achat' if o.side is Side.BUY else 'vente'} de {o.quantity} {o.symbol} ({o.order_type.value.lower()}), statut {o.status.value}{dup}.")
    ]
    for f in res.fills:
        lines.append(t(lang, f"Filled {f.quantity} at {num(f.price, lang)} (commission {money(f.commission, lang)}).",
                       f"Exécuté {f.quantity} à {num(f.price, lang)} (commission {money(f.commission, lang)})."))
    for c in res.children:
        price = c.stop_price if c.stop_price is not None else c.limit_price
        kind = t(lang, "stop loss", "stop de protection") if c.order_type is OrderType.STOP else t(lang, "take profit", "objectif")
        lines.append(f"  {kind}: {num(price or 0, lang)} ({c.order_id})")
    return "\n".join(lines)


def _expired(args: dict[str, Any], lang: str) -> OpResult | None:
    """A confirmed call carries `confirm_by` (epoch seconds): past it, the read-back it confirms has
    expired, exactly like a spoken "yes" after `dialogue.confirm_timeout_s`."""
    deadline = args.get("confirm_by")
    if deadline is not None and time.time() > float(deadline):
        return OpResult(False, t(lang, "Too late: the confirmation came after the read-back expired. Nothing was done.",
                                 "Trop tard : la confirmation est arrivée après l'expiration de la relecture. Rien n'a été fait."), 1)
    return None


async def op_preview(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    """The read-back of an order, and what a confirmation must send: the quantity resolved now (a
    risk percentage is sized once, here) and the client order id chosen now."""
    try:
        req = order_request_from_args(args)
    except BadRequest as exc:
        return OpResult(False, exc.message(lang), 2)
    p = await engine.preview_order(req)
    if p.rejection is not None:
        return OpResult(False, p.rejection.message(lang), 3)
    side = t(lang, "Buy" if req.side is Side.BUY else "Sell", "Achat" if req.side is Side.BUY else "Vente")
    risk = money(p.estimated_risk, lang) if p.estimated_risk is not None else "?"
    ref = num(p.reference_price, lang) if p.reference_price is not None else "?"
    client_id = req.client_order_id or f"mia-cli-{uuid.uuid4().hex[:16]}"
    return OpResult(True, t(lang, f"{side} {p.quantity} {req.symbol} {req.order_type.value.lower()} near {ref}, estimated risk {risk}.",
                               f"{side} de {p.quantity} {req.symbol} ({req.order_type.value.lower()}) vers {ref}, risque estimé {risk}."),
                    data={"quantity": p.quantity, "client_order_id": client_id})


async def op_order(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    late = _expired(args, lang)
    if late is not None:
        return late
    try:
        req = order_request_from_args(args)
    except BadRequest as exc:
        return OpResult(False, exc.message(lang), 2)
    res = await engine.place_order(req, wait_fill=float(args.get("wait_fill", 2.0)))
    return OpResult(res.accepted, render_order_result(res, lang), 0 if res.accepted else 3)


def _close_symbol(args: dict[str, Any]) -> str | None:
    sym = args.get("symbol")
    return None if sym in (None, "", "all", "ALL", "tout", "TOUT") else str(sym)


def _held(positions: list[Any], symbol: str | None) -> dict[str, int]:
    return {p.symbol: p.quantity for p in positions if p.quantity and (symbol is None or p.symbol == symbol)}


def _describe(held: dict[str, int], lang: str) -> str:
    if not held:
        return t(lang, "no position", "aucune position")
    return ", ".join(f"{'long' if q > 0 else 'short'} {abs(q)} {s}" for s, q in sorted(held.items()))


async def _pinned_positions_changed(engine: Engine, args: dict[str, Any], symbol: str | None, lang: str) -> OpResult | None:
    """The read-back named positions; if they changed before the confirmation, nothing is done."""
    expected = args.get("expected")
    if expected is None:
        return None
    now = _held(await engine.positions(), symbol)
    if now != {str(k): int(v) for k, v in expected.items()}:
        return OpResult(False, t(
            lang,
            f"Positions changed since the read-back ({_describe(expected, lang)} then, {_describe(now, lang)} now). "
            "Nothing was done; run the command again to see the new read-back.",
            f"Les positions ont changé depuis la relecture ({_describe(expected, lang)} alors, {_describe(now, lang)} "
            "maintenant). Rien n'a été fait ; relancez la commande pour voir la nouvelle relecture."), 3)
    return None


async def _closing_report(engine: Engine, res: CloseResult, lang: str, wait_s: float) -> tuple[bool, list[str]]:
    """Wait up to `wait_s` for the positions to be flat (as an order waits for its fill); the lines
    say what filled, or clearly that it did not."""
    deadline = time.monotonic() + wait_s
    while True:
        held = _held(await engine.positions(), None)
        left = {s: q for s, q in held.items() if s in res.symbols}
        if not left or time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.02)
    lines: list[str] = []
    for r in res.orders:
        if r.order is None:
            continue
        o = engine.ledger.get_order(r.order.order_id) or r.order
        side = t(lang, o.side.value.lower(), "achat" if o.side is Side.BUY else "vente")
        if o.filled_quantity and o.avg_fill_price is not None:
            lines.append(t(lang, f"  {side} {o.filled_quantity} {o.symbol} filled at {num(o.avg_fill_price, lang)} ({o.order_id})",
                           f"  {side} de {o.filled_quantity} {o.symbol} exécuté à {num(o.avg_fill_price, lang)} ({o.order_id})"))
    if left:
        lines.append(t(lang,
                       f"NOT flat after {wait_s:g} s: still {_describe(left, lang)}. The closing orders stay working at the "
                       "broker; check with mia status.",
                       f"PAS à plat après {wait_s:g} s : encore {_describe(left, lang)}. Les ordres de fermeture restent en "
                       "attente chez le courtier ; vérifiez avec mia status."))
    return not left, lines


async def op_close(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    late = _expired(args, lang)
    if late is not None:
        return late
    sym = _close_symbol(args)
    changed = await _pinned_positions_changed(engine, args, sym, lang)
    if changed is not None:
        return changed
    res = await engine.close_positions(sym, source=args.get("source", "cli"))
    if res.orders and not all(r.accepted for r in res.orders):
        return OpResult(False, "\n".join(render_order_result(r, lang) for r in res.orders), 3)
    if not res.orders and not res.cancelled_orders and not res.in_progress:
        return OpResult(True, t(lang, "Nothing to close.", "Rien à fermer."))
    lines = [t(lang, f"Closing {', '.join(res.symbols)}: {len(res.orders)} closing order(s), {res.cancelled_orders} working order(s) cancelled.",
               f"Fermeture de {', '.join(res.symbols)} : {len(res.orders)} ordre(s) de clôture, {res.cancelled_orders} ordre(s) en attente annulé(s).")]
    if res.in_progress:
        lines.append(t(lang, f"A closing order for {', '.join(res.in_progress)} was already working: nothing new was sent for it.",
                       f"Un ordre de fermeture pour {', '.join(res.in_progress)} était déjà en cours : rien de nouveau n'a été envoyé."))
    flat, report = await _closing_report(engine, res, lang, float(args.get("wait_fill", 5.0)))
    lines += report
    if flat:
        lines.append(t(lang, "Flat.", "À plat."))
    return OpResult(flat, "\n".join(lines), 0 if flat else 3)


async def op_preview_close(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    """The read-back of a close (the same sentence voice and chat say) and the positions it pins."""
    sym = _close_symbol(args)
    if sym is not None:
        try:
            sym = get_instrument(sym).symbol
        except UnknownSymbolError:
            return OpResult(False, reject(ReasonCode.UNKNOWN_SYMBOL, symbol=sym).message(lang), 3)
    positions = await engine.positions()
    summary = close_readback(positions, await engine.working_orders(), lang, sym)
    if summary is None:
        text = t(lang, f"You have no {sym} position to close.", f"Vous n'avez aucune position {sym} à fermer.") if sym else t(
            lang, "Nothing to close.", "Rien à fermer.")
        return OpResult(True, text, data={"nothing": True})
    return OpResult(True, summary, data={"expected": _held(positions, sym), "symbol": sym or "all"})


async def op_preview_halt(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    positions = await engine.positions()
    working = await engine.working_orders()
    if args.get("flatten"):
        close = close_readback(positions, working, lang, None) or t(lang, "Nothing to close.", "Rien à fermer.")
        summary = t(lang, "Kill switch: halt trading, cancel every working order and close every position.",
                    "Arrêt d'urgence : arrêter le trading, annuler tous les ordres en attente et fermer toutes les positions.")
        return OpResult(True, f"{summary} {close}", data={"expected": _held(positions, None), "flatten": True})
    if engine.state is TradingState.HALTED:
        return OpResult(True, t(lang, "Trading is already halted.", "Le trading est déjà arrêté."), data={"nothing": True})
    held = _held(positions, None)
    cancellable = sum(
        1 for o in working
        if o.parent_id is None and not o.status.is_final
        and not reduces_exposure(held.get(o.symbol, 0), o.side, o.quantity - o.filled_quantity)
    )
    return OpResult(True, halt_readback(len(held), cancellable, lang), data={})


async def op_positions(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    pos = await engine.positions()
    if not pos:
        return OpResult(True, t(lang, "No open position.", "Aucune position ouverte."))
    head = t(lang, "SYMBOL   QTY   AVG PRICE   LAST   UNREALIZED", "SYMBOLE  QTÉ   PRIX MOYEN  DERNIER LATENT")
    rows = [head]
    for p in pos:
        last = num(p.market_price, lang) if p.market_price is not None else "-"
        rows.append(f"{p.symbol:<8} {p.quantity:>4}  {num(p.avg_price, lang):>10}  {last:>8}  {money(p.unrealized_pnl, lang):>12}")
    return OpResult(True, "\n".join(rows))


async def op_status(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    s = await engine.status()
    waiting = t(lang, " (not live yet)", " (pas encore en direct)")
    prices = ", ".join(f"{k} {num(v, lang)}{'' if k in s.live_symbols else waiting}"
                       for k, v in sorted(s.last_prices.items())) or "-"
    lines = [
        t(lang, f"Mode: {s.mode} ({s.broker}, {'connected' if s.broker_connected else 'DISCONNECTED'}), feed: {s.feed}",
          f"Mode : {s.mode} ({s.broker}, {'connecté' if s.broker_connected else 'DÉCONNECTÉ'}), flux : {s.feed}"),
        t(lang, f"Trading state: {s.state.value}; market {'open' if s.market_open else 'closed'}",
          f"État du trading : {s.state.value} ; marché {'ouvert' if s.market_open else 'fermé'}"),
        t(lang, f"Equity: {money(s.equity, lang)}; P&L today: {money(s.pnl_today, lang)}",
          f"Valeur du compte : {money(s.equity, lang)} ; P&L du jour : {money(s.pnl_today, lang)}"),
        t(lang, f"Open positions: {s.open_positions}; working orders: {s.working_orders}; risk per trade: {s.risk_percent}%",
          f"Positions ouvertes : {s.open_positions} ; ordres en attente : {s.working_orders} ; risque par trade : {num(s.risk_percent, lang, 1)} %"),
        t(lang, f"Last prices: {prices}", f"Derniers prix : {prices}"),
    ]
    from assistant.monitor import monitor_status_lines

    lines += await monitor_status_lines(engine, lang)
    return OpResult(True, "\n".join(lines))


async def op_pnl(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    p = await engine.pnl_today()
    return OpResult(True, t(lang,
        f"P&L {p.day}: total {money(p.total, lang)} (realized {money(p.realized, lang)}, unrealized {money(p.unrealized, lang)}, commissions {money(p.commissions, lang)}; {p.trades} fills)",
        f"P&L {p.day} : total {money(p.total, lang)} (réalisé {money(p.realized, lang)}, latent {money(p.unrealized, lang)}, commissions {money(p.commissions, lang)} ; {p.trades} exécutions)"))


async def op_metrics(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    m = await engine.performance_metrics()
    pf = num(m.profit_factor, lang) if m.profit_factor is not None else "∞" if m.trades else "-"
    return OpResult(True, t(lang,
        f"Trades {m.trades}, win rate {num(m.win_rate * 100, lang, 1)}%, profit factor {pf}, net {money(m.net_pnl, lang)}, "
        f"largest win {money(m.largest_win, lang)}, largest loss {money(m.largest_loss, lang)}, avg win {money(m.average_win, lang)}, "
        f"avg loss {money(m.average_loss, lang)}, max drawdown {money(m.max_drawdown, lang)} ({num(m.max_drawdown_pct, lang, 2)}%)",
        f"Trades {m.trades}, taux de réussite {num(m.win_rate * 100, lang, 1)} %, facteur de profit {pf}, net {money(m.net_pnl, lang)}, "
        f"plus gros gain {money(m.largest_win, lang)}, plus grosse perte {money(m.largest_loss, lang)}, gain moyen {money(m.average_win, lang)}, "
        f"perte moyenne {money(m.average_loss, lang)}, drawdown max {money(m.max_drawdown, lang)} ({num(m.max_drawdown_pct, lang, 2)} %)"))


async def op_halt(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    late = _expired(args, lang)
    if late is not None:
        return late
    if args.get("flatten"):
        changed = await _pinned_positions_changed(engine, args, None, lang)
        if changed is not None:
            return changed
        res = await engine.kill_switch(args.get("reason", "cli"))
        lines = [t(lang, f"Kill switch: halted; {len(res.orders)} closing order(s), {res.cancelled_orders} cancelled.",
                   f"Arrêt d'urgence : trading arrêté ; {len(res.orders)} ordre(s) de clôture, {res.cancelled_orders} annulé(s).")]
        refused = [r for r in res.orders if not r.accepted]
        lines += [render_order_result(r, lang) for r in refused]
        flat, report = await _closing_report(engine, res, lang, float(args.get("wait_fill", 5.0)))
        lines += report
        ok = flat and not refused
        if ok and (res.orders or res.in_progress):
            lines.append(t(lang, "Flat.", "À plat."))
        return OpResult(ok, "\n".join(lines), 0 if ok else 3)
    ch = await engine.halt(args.get("reason", "cli"))
    return OpResult(True, t(lang, f"Trading halted (was {ch.previous.value}). Closing positions is still allowed.",
                             f"Trading arrêté (état précédent {ch.previous.value}). La fermeture des positions reste possible."))


async def op_resume(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    ch = await engine.resume(args.get("reason", "cli"))
    return OpResult(True, t(lang, f"Trading resumed (was {ch.previous.value}).", f"Trading repris (état précédent {ch.previous.value})."))


async def op_risk(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    try:
        pct = Decimal(str(args["percent"]).replace(",", "."))
    except (InvalidOperation, KeyError):
        return OpResult(False, t(lang, f"Not a percentage: {args.get('percent')!r}", f"Pourcentage invalide : {args.get('percent')!r}"), 2)
    res = await engine.set_risk(pct, args.get("symbol"))
    if not res.ok:
        return OpResult(False, res.rejection.message(lang) if res.rejection else "refused", 3)
    where = f" {t(lang, 'on', 'sur')} {res.symbol}" if res.symbol else ""
    return OpResult(True, t(lang, f"Risk per trade set to {num(res.risk_percent or 0, lang)}%{where}.",
                             f"Risque par trade fixé à {num(res.risk_percent or 0, lang)} %{where}."))


async def op_ping(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    return OpResult(True, "pong")


OPS: dict[str, OpFunc] = {
    "ping": op_ping,
    "preview": op_preview,
    "preview_close": op_preview_close,
    "preview_halt": op_preview_halt,
    "order": op_order,
    "close": op_close,
    "positions": op_positions,
    "status": op_status,
    "pnl": op_pnl,
    "metrics": op_metrics,
    "halt": op_halt,
    "resume": op_resume,
    "risk": op_risk,
}
