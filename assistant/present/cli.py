"""The terminal: what `mia order`, `mia close`, `mia status`, `mia positions`, `mia pnl`, `mia metrics`
and `mia replay` print. Tables and detail lines; the same formatters and words as every other surface."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from assistant.present.money import format_money
from assistant.present.numbers import format_fraction, format_number, format_percent, format_price
from assistant.present.reasons import reason_text
from assistant.present.text import Surface
from trading_core.types import (
    CloseResult,
    EngineStatus,
    HaltResult,
    Order,
    OrderResult,
    OrderType,
    PerformanceMetrics,
    PnLSummary,
    Position,
    Side,
    StateChange,
)


def t(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


def side_word(side: Side, lang: str) -> str:
    return t(lang, side.value.lower(), "achat" if side is Side.BUY else "vente")


def order_result_text(res: OrderResult, lang: str) -> str:
    if not res.accepted:
        return reason_text(res.rejection, lang, Surface.CLI) if res.rejection else t(lang, "Order refused.", "Ordre refusé.")
    o = res.order
    assert o is not None
    dup = t(lang, " (already received: same client order id)", " (déjà reçu : même identifiant client)") if res.duplicate else ""
    lines = [
        t(lang, f"Order {o.order_id} accepted: {o.side.value.lower()} {o.quantity} {o.symbol} {o.order_type.value.lower()}, "
                f"status {o.status.value}{dup}.",
          f"Ordre {o.order_id} accepté : {side_word(o.side, lang)} de {o.quantity} {o.symbol} ({o.order_type.value.lower()}), "
          f"statut {o.status.value}{dup}.")
    ]
    for f in res.fills:
        lines.append(t(lang, f"Filled {f.quantity} at {format_price(f.price, lang)} (commission {format_money(f.commission, lang)}).",
                       f"Exécuté {f.quantity} à {format_price(f.price, lang)} (commission {format_money(f.commission, lang)})."))
    for c in res.children:
        price = c.stop_price if c.stop_price is not None else c.limit_price
        kind = t(lang, "stop loss", "stop de protection") if c.order_type is OrderType.STOP else t(lang, "take profit", "objectif")
        lines.append(f"  {kind}: {format_price(price or 0, lang)} ({c.order_id})")
    return "\n".join(lines)


def held_text(held: Mapping[str, int], lang: str) -> str:
    """"long 2 ES, short 1 MNQ" / "no position"."""
    if not held:
        return t(lang, "no position", "aucune position")
    return ", ".join(f"{'long' if q > 0 else 'short'} {abs(q)} {s}" for s, q in sorted(held.items()))


def filled_lines(orders: Sequence[Order], lang: str) -> list[str]:
    lines = []
    for o in orders:
        if o.filled_quantity and o.avg_fill_price is not None:
            lines.append(t(lang, f"  {side_word(o.side, lang)} {o.filled_quantity} {o.symbol} filled at "
                                 f"{format_price(o.avg_fill_price, lang)} ({o.order_id})",
                           f"  {side_word(o.side, lang)} de {o.filled_quantity} {o.symbol} exécuté à "
                           f"{format_price(o.avg_fill_price, lang)} ({o.order_id})"))
    return lines


def not_flat_line(left: Mapping[str, int], wait_s: float, lang: str) -> str:
    return t(lang,
             f"NOT flat after {wait_s:g} s: still {held_text(left, lang)}. The closing orders stay working at the "
             "broker; check with mia status.",
             f"PAS à plat après {wait_s:g} s : encore {held_text(left, lang)}. Les ordres de fermeture restent en "
             "attente chez le courtier ; vérifiez avec mia status.")


def close_head(res: CloseResult, lang: str) -> list[str]:
    lines = [t(lang, f"Closing {', '.join(res.symbols)}: {len(res.orders)} closing order(s), {res.cancelled_orders} "
                     "working order(s) cancelled.",
               f"Fermeture de {', '.join(res.symbols)} : {len(res.orders)} ordre(s) de clôture, {res.cancelled_orders} "
               "ordre(s) en attente annulé(s).")]
    if res.in_progress:
        lines.append(t(lang, f"A closing order for {', '.join(res.in_progress)} was already working: nothing new was sent for it.",
                       f"Un ordre de fermeture pour {', '.join(res.in_progress)} était déjà en cours : rien de nouveau "
                       "n'a été envoyé."))
    return lines


def kill_switch_head(res: CloseResult, lang: str) -> str:
    return t(lang, f"Kill switch: halted; {len(res.orders)} closing order(s), {res.cancelled_orders} cancelled.",
             f"Arrêt d'urgence : trading arrêté ; {len(res.orders)} ordre(s) de clôture, {res.cancelled_orders} annulé(s).")


def halt_text(res: HaltResult, lang: str) -> str:
    text = t(lang, f"Trading halted (was {res.change.previous.value}). Closing positions is still allowed.",
             f"Trading arrêté (état précédent {res.change.previous.value}). La fermeture des positions reste possible.")
    if res.unexpected:
        ids = ", ".join(res.unexpected)
        text += t(lang, f" Also cancelled, placed after the read-back: {ids}.",
                  f" Annulés aussi, passés après la relecture : {ids}.")
    return text


def state_change_text(change: StateChange, lang: str) -> str:
    """`mia resume` / `mia reduce`."""
    now = change.current.value
    if now == "ACTIVE":
        return t(lang, f"Trading resumed (was {change.previous.value}).", f"Trading repris (état précédent {change.previous.value}).")
    if now == "REDUCING":
        return t(lang, f"Reduce-only mode (was {change.previous.value}): only orders that shrink a position are accepted; "
                       "`mia resume` leaves it.",
                 f"Mode réduction seule (état précédent {change.previous.value}) : seuls les ordres qui réduisent une "
                 "position sont acceptés ; `mia resume` en sort.")
    return t(lang, f"Trading {now} (was {change.previous.value}).", f"Trading {now} (état précédent {change.previous.value}).")


def positions_table(positions: Sequence[Position], lang: str) -> str:
    if not positions:
        return t(lang, "No open position.", "Aucune position ouverte.")
    rows = [t(lang, "SYMBOL   QTY   AVG PRICE   LAST   UNREALIZED", "SYMBOLE  QTÉ   PRIX MOYEN  DERNIER LATENT")]
    for p in positions:
        last = format_price(p.market_price, lang) if p.market_price is not None else "-"
        rows.append(f"{p.symbol:<8} {p.quantity:>4}  {format_price(p.avg_price, lang):>10}  {last:>8}  "
                    f"{format_money(p.unrealized_pnl, lang):>12}")
    return "\n".join(rows)


def status_lines(s: EngineStatus, lang: str) -> list[str]:
    waiting = t(lang, " (not live yet)", " (pas encore en direct)")
    prices = ", ".join(f"{k} {format_price(v, lang)}{'' if k in s.live_symbols else waiting}"
                       for k, v in sorted(s.last_prices.items())) or "-"
    return [
        t(lang, f"Mode: {s.mode} ({s.broker}, {'connected' if s.broker_connected else 'DISCONNECTED'}), feed: {s.feed}",
          f"Mode : {s.mode} ({s.broker}, {'connecté' if s.broker_connected else 'DÉCONNECTÉ'}), flux : {s.feed}"),
        t(lang, f"Trading state: {s.state.value}; market {'open' if s.market_open else 'closed'}",
          f"État du trading : {s.state.value} ; marché {'ouvert' if s.market_open else 'fermé'}"),
        t(lang, f"Equity: {format_money(s.equity, lang)}; P&L today: {format_money(s.pnl_today, lang)}",
          f"Valeur du compte : {format_money(s.equity, lang)} ; P&L du jour : {format_money(s.pnl_today, lang)}"),
        t(lang, f"Open positions: {s.open_positions}; working orders: {s.working_orders}; risk per trade: "
                f"{format_percent(s.risk_percent, lang)}",
          f"Positions ouvertes : {s.open_positions} ; ordres en attente : {s.working_orders} ; risque par trade : "
          f"{format_percent(s.risk_percent, lang)}"),
        t(lang, f"Last prices: {prices}", f"Derniers prix : {prices}"),
    ]


def pnl_line(p: PnLSummary, lang: str) -> str:
    m = format_money
    return t(lang,
             f"P&L {p.day}: total {m(p.total, lang)} (realized {m(p.realized, lang)}, unrealized {m(p.unrealized, lang)}, "
             f"commissions {m(p.commissions, lang)}; {p.trades} fills)",
             f"P&L {p.day} : total {m(p.total, lang)} (réalisé {m(p.realized, lang)}, latent {m(p.unrealized, lang)}, "
             f"commissions {m(p.commissions, lang)} ; {p.trades} exécutions)")


def metrics_line(mt: PerformanceMetrics, lang: str) -> str:
    m = format_money
    pf = format_number(mt.profit_factor, lang, 2, 2) if mt.profit_factor is not None else "∞" if mt.trades else "-"
    win = format_fraction(mt.win_rate, lang, 1)
    dd = format_percent(mt.max_drawdown_pct, lang, 2)
    return t(lang,
             f"Trades {mt.trades}, win rate {win}, profit factor {pf}, net {m(mt.net_pnl, lang)}, largest win "
             f"{m(mt.largest_win, lang)}, largest loss {m(mt.largest_loss, lang)}, avg win {m(mt.average_win, lang)}, "
             f"avg loss {m(mt.average_loss, lang)}, max drawdown {m(mt.max_drawdown, lang)} ({dd})",
             f"Trades {mt.trades}, taux de réussite {win}, facteur de profit {pf}, net {m(mt.net_pnl, lang)}, plus gros "
             f"gain {m(mt.largest_win, lang)}, plus grosse perte {m(mt.largest_loss, lang)}, gain moyen "
             f"{m(mt.average_win, lang)}, perte moyenne {m(mt.average_loss, lang)}, drawdown max "
             f"{m(mt.max_drawdown, lang)} ({dd})")


def risk_set_text(percent: Decimal, symbol: str | None, lang: str) -> str:
    where = f" {t(lang, 'on', 'sur')} {symbol}" if symbol else ""
    return t(lang, f"Risk per trade set to {format_percent(percent, lang)}{where}.",
             f"Risque par trade fixé à {format_percent(percent, lang)}{where}.")


__all__ = [
    "close_head", "filled_lines", "halt_text", "held_text", "kill_switch_head", "metrics_line", "not_flat_line",
    "order_result_text", "pnl_line", "positions_table", "risk_set_text", "side_word", "state_change_text",
    "status_lines", "t",
]
