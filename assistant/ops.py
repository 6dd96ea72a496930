"""Engine operations behind the CLI (and the control socket), rendered as text in FR or EN."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from assistant.control import OpFunc, OpResult
from trading_core.api import Engine
from trading_core.types import OrderRequest, OrderResult, OrderType, Side


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


def order_request_from_args(args: dict[str, Any]) -> OrderRequest:
    side = Side(args["side"].upper()) if args["side"].upper() in ("BUY", "SELL") else (
        Side.BUY if args["side"].lower() in ("long", "achat", "acheter") else Side.SELL
    )
    order_type = OrderType.MARKET
    limit = args.get("limit")
    stop_entry = args.get("stop_entry")
    sl, tp = args.get("stop"), args.get("target")
    if sl is not None or tp is not None:
        order_type = OrderType.BRACKET
    elif limit is not None:
        order_type = OrderType.LIMIT
    elif stop_entry is not None:
        order_type = OrderType.STOP
    risk = args.get("risk_percent")
    return OrderRequest(
        symbol=str(args["symbol"]).upper(),
        side=side,
        quantity=int(args["quantity"]) if args.get("quantity") is not None else None,
        risk_percent=Decimal(str(risk)) if risk is not None else None,
        order_type=order_type,
        limit_price=limit,
        stop_price=stop_entry,
        stop_loss=sl,
        take_profit=tp,
        client_order_id=args.get("client_order_id"),
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


async def op_preview(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    req = order_request_from_args(args)
    p = await engine.preview_order(req)
    if p.rejection is not None:
        return OpResult(False, p.rejection.message(lang), 3)
    side = t(lang, "Buy" if req.side is Side.BUY else "Sell", "Achat" if req.side is Side.BUY else "Vente")
    risk = money(p.estimated_risk, lang) if p.estimated_risk is not None else "?"
    ref = num(p.reference_price, lang) if p.reference_price is not None else "?"
    return OpResult(True, t(lang, f"{side} {p.quantity} {req.symbol} {req.order_type.value.lower()} near {ref}, estimated risk {risk}.",
                               f"{side} de {p.quantity} {req.symbol} ({req.order_type.value.lower()}) vers {ref}, risque estimé {risk}."))


async def op_order(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    req = order_request_from_args(args)
    res = await engine.place_order(req, wait_fill=float(args.get("wait_fill", 2.0)))
    return OpResult(res.accepted, render_order_result(res, lang), 0 if res.accepted else 3)


async def op_close(engine: Engine, args: dict[str, Any], lang: str) -> OpResult:
    sym = args.get("symbol")
    sym = None if sym in (None, "", "all", "ALL", "tout") else sym
    res = await engine.close_positions(sym, source=args.get("source", "cli"))
    if res.orders and not all(r.accepted for r in res.orders):
        return OpResult(False, "\n".join(render_order_result(r, lang) for r in res.orders), 3)
    if not res.orders and not res.cancelled_orders:
        return OpResult(True, t(lang, "Nothing to close.", "Rien à fermer."))
    lines = [t(lang, f"Closing {', '.join(res.symbols)}: {len(res.orders)} closing order(s), {res.cancelled_orders} working order(s) cancelled.",
               f"Fermeture de {', '.join(res.symbols)} : {len(res.orders)} ordre(s) de clôture, {res.cancelled_orders} ordre(s) en attente annulé(s).")]
    lines += [render_order_result(r, lang) for r in res.orders]
    return OpResult(True, "\n".join(lines))


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
    prices = ", ".join(f"{k} {num(v, lang)}" for k, v in sorted(s.last_prices.items())) or "-"
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
    if args.get("flatten"):
        res = await engine.kill_switch(args.get("reason", "cli"))
        return OpResult(True, t(lang, f"Kill switch: halted; {len(res.orders)} closing order(s), {res.cancelled_orders} cancelled.",
                                 f"Arrêt d'urgence : trading arrêté ; {len(res.orders)} ordre(s) de clôture, {res.cancelled_orders} annulé(s)."))
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
