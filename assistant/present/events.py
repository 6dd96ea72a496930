"""Engine events in words: a title and a sentence per event, from the event's typed payload.

Used by the alerts (spoken, and sent to Telegram, Discord, SMS, e-mail) and anything that shows the
event log. The figures stay typed, so a spoken alert says "moins mille cinq cent deux dollars
vingt-cinq" where the chat writes "-1 502,25 $".
"""
from __future__ import annotations

from dataclasses import dataclass

from trading_core.types import (
    ConnectionChange,
    EngineEvent,
    EventKind,
    FeedFailed,
    FeedStale,
    FillEvent,
    LossLimitBreach,
    Notice,
    Order,
    OrderEvent,
    OrderType,
    ReconciliationMismatch,
    RecordedText,
    RiskSettingChange,
    Side,
    StateChange,
    SystemNotice,
    TradingState,
)

from trading_core.autopilot.types import AutopilotSignal, LevelChange, ModeChange

from assistant.present.autopilot import level_change_msg, mode_change_msg, signal_msg
from assistant.present.reasons import reason_msg
from assistant.present.text import SECOND, Count, Money, Msg, Pct, Price, Sym, Verbatim, join, msg


@dataclass(frozen=True, slots=True)
class EventText:
    title: Msg
    body: Msg | None


TITLES: dict[EventKind, Msg] = {
    EventKind.ORDER_ACCEPTED: msg("Order accepted", "Ordre accepté"),
    EventKind.ORDER_DENIED: msg("Order refused", "Ordre refusé"),
    EventKind.ORDER_REJECTED: msg("Order rejected by the broker", "Ordre rejeté par le courtier"),
    EventKind.ORDER_CANCELLED: msg("Order cancelled", "Ordre annulé"),
    EventKind.FILL: msg("Fill", "Exécution"),
    EventKind.RISK_BREACH: msg("Risk limit breached", "Limite de risque dépassée"),
    EventKind.KILL_SWITCH: msg("Kill switch activated", "Arrêt d'urgence activé"),
    EventKind.BROKER_DISCONNECTED: msg("Broker disconnected", "Courtier déconnecté"),
    EventKind.BROKER_RECONNECTED: msg("Broker reconnected", "Courtier reconnecté"),
    EventKind.RECONCILIATION_MISMATCH: msg("Positions differ from the broker", "Positions différentes chez le courtier"),
    EventKind.MARKET_DATA_STALE: msg("Market data stale", "Données de marché figées"),
    EventKind.RISK_SETTING_CHANGED: msg("Risk setting changed", "Réglage du risque modifié"),
    EventKind.SYSTEM: msg("System", "Système"),
    EventKind.AUTOPILOT_PROPOSAL: msg("Autopilot proposal", "Proposition du pilote automatique"),
    EventKind.AUTOPILOT_EXECUTED: msg("Autopilot order sent", "Ordre du pilote automatique envoyé"),
    EventKind.AUTOPILOT_REFUSED: msg("Autopilot signal refused", "Signal du pilote automatique refusé"),
    EventKind.AUTOPILOT_EXPIRED: msg("Autopilot proposal expired", "Proposition du pilote automatique expirée"),
    EventKind.AUTOPILOT_MODE: msg("Autopilot mode", "Mode du pilote automatique"),
    EventKind.CATASTROPHE_LEVEL: msg("Risk level", "Niveau de risque"),
}
STATE_TITLES: dict[TradingState, Msg] = {
    TradingState.HALTED: msg("Trading halted", "Trading arrêté"),
    TradingState.REDUCING: msg("Reduce-only mode", "Mode réduction seule"),
    TradingState.ACTIVE: msg("Trading resumed", "Trading repris"),
}
_STATE_BODIES: dict[TradingState, Msg] = {
    TradingState.HALTED: msg("Trading halted: no new orders. Closing positions is still allowed.",
                             "Trading arrêté : aucun nouvel ordre. La fermeture des positions reste possible."),
    TradingState.REDUCING: msg("Reduce-only mode: only orders that shrink positions are accepted.",
                               "Mode réduction seule : seuls les ordres qui réduisent les positions sont acceptés."),
    TradingState.ACTIVE: msg("Trading resumed.", "Trading repris."),
}
_ORDER_TYPES = {
    OrderType.MARKET: msg("market", "au marché"),
    OrderType.LIMIT: msg("limit", "à cours limité"),
    OrderType.STOP: msg("stop", "stop"),
    OrderType.BRACKET: msg("bracket", "bracket"),
}


def side_msg(side: Side) -> Msg:
    """"buy" / "achat"."""
    return msg("buy", "achat") if side is Side.BUY else msg("sell", "vente")


def order_type_msg(order_type: OrderType) -> Msg:
    return _ORDER_TYPES[order_type]


def _order_body(kind: EventKind, o: Order) -> Msg:
    if kind is EventKind.ORDER_CANCELLED:
        return msg("Order cancelled: {symbol} {type} {qty}.", "Ordre annulé : {symbol} {type} {qty}.",
                   symbol=Sym(o.symbol), type=order_type_msg(o.order_type), qty=o.quantity)
    return msg("Order accepted: {side} {qty} {symbol} {type}.", "Ordre accepté : {side} de {qty} {symbol} ({type}).",
               side=side_msg(o.side), qty=o.quantity, symbol=Sym(o.symbol), type=order_type_msg(o.order_type))


def _reconciliation(p: ReconciliationMismatch) -> Msg:
    broker = msg("Interactive Brokers") if p.broker == "ib" else Verbatim(p.broker)
    parts: list[Msg] = []
    if p.positions:
        items = join([msg("{symbol}: ledger {ledger}, {broker} {at_broker}", "{symbol} : registre {ledger}, {broker} {at_broker}",
                          symbol=Sym(d.symbol), ledger=Verbatim(f"{d.ledger_quantity:+d}"), broker=broker,
                          at_broker=Verbatim(f"{d.broker_quantity:+d}")) for d in p.positions], "; ")
        parts.append(msg("Position mismatch between the ledger and {broker}: {items}. Nothing was changed; check the "
                         "account before trading.",
                         "Écart de positions entre le registre et {broker} : {items}. Rien n'a été modifié ; vérifiez "
                         "le compte avant de trader.", broker=broker, items=items))
    if p.missing_orders:
        parts.append(msg("Orders working in the ledger but not at {broker}: {ids}. They may have been filled or "
                         "cancelled while MIA was away; nothing was changed.",
                         "Ordres actifs dans le registre mais pas chez {broker} : {ids}. Ils ont pu être exécutés ou "
                         "annulés pendant l'absence de MIA ; rien n'a été modifié.",
                         broker=broker, ids=Verbatim(", ".join(p.missing_orders))))
    return parts[0] if len(parts) == 1 else msg("{first} {second}", first=parts[0], second=parts[1])


def event_body(event: EngineEvent) -> Msg | None:
    """The event's sentence, from its payload."""
    p = event.payload
    kind = event.kind
    if isinstance(p, RecordedText):
        return Msg(p.text_en, p.text_fr)
    if isinstance(p, OrderEvent):
        if kind in (EventKind.ORDER_DENIED, EventKind.ORDER_REJECTED) and p.rejection is not None:
            return reason_msg(p.rejection)
        body = _order_body(kind, p.order)
        if kind is EventKind.ORDER_CANCELLED and p.rejection is not None:
            return msg("{body} {reason}", body=body, reason=reason_msg(p.rejection))
        return body
    if isinstance(p, FillEvent):
        f = p.fill
        return msg("Filled: {side} {qty} {symbol} at {price}.", "Exécuté : {side} de {qty} {symbol} à {price}.",
                   side=side_msg(f.side), qty=f.quantity, symbol=Sym(f.symbol), price=Price(f.price))
    if isinstance(p, LossLimitBreach):
        then = (msg(" and positions are being flattened.", " et les positions sont fermées.") if p.flatten
                else msg("."))
        return msg("Daily loss limit hit: P&L {pnl} against a limit of {limit}. Trading is halted{then}",
                   "Limite de perte journalière atteinte : P&L {pnl} pour une limite de {limit}. Le trading est "
                   "arrêté{then}", pnl=Money(p.pnl), limit=Money(-p.limit), then=then)
    if isinstance(p, StateChange):
        if kind is EventKind.KILL_SWITCH:
            return msg("Kill switch: trading halted, all orders cancelled, all positions being closed.",
                       "Arrêt d'urgence : trading arrêté, tous les ordres annulés, toutes les positions en cours "
                       "de fermeture.")
        return _STATE_BODIES[p.current]
    if isinstance(p, ConnectionChange):
        if p.connected:
            return msg("Broker reconnected. {detail}", "Courtier reconnecté. {detail}", detail=Verbatim(p.detail))
        return msg("Broker disconnected: {detail}", "Courtier déconnecté : {detail}", detail=Verbatim(p.detail))
    if isinstance(p, ReconciliationMismatch):
        return _reconciliation(p)
    if isinstance(p, FeedStale):
        return msg("Market data stale: nothing received for {silent} while the market is open. Prices, the daily loss "
                   "check and paper fills are frozen until it comes back.",
                   "Données de marché figées : rien reçu depuis {silent} alors que le marché est ouvert. Les prix, le "
                   "contrôle de perte journalière et les exécutions papier sont figés jusqu'à leur retour.",
                   silent=Count(round(p.silent_s), SECOND))
    if isinstance(p, FeedFailed):
        return msg("Market data feed stopped: {error}", "Le flux de données de marché s'est arrêté : {error}",
                   error=Verbatim(p.error))
    if isinstance(p, RiskSettingChange):
        where = msg(" on {s}", " sur {s}", s=Sym(p.symbol)) if p.symbol else ""
        return msg("Risk per trade set to {pct}{where}.", "Risque par trade fixé à {pct}{where}.",
                   pct=Pct(p.percent), where=where)
    if isinstance(p, AutopilotSignal):
        return signal_msg(p)
    if isinstance(p, ModeChange):
        return mode_change_msg(p)
    if isinstance(p, LevelChange):
        return level_change_msg(p)
    if isinstance(p, SystemNotice):
        if p.notice is Notice.ENGINE_STARTED:
            return msg("Engine started.", "Moteur démarré.")
        return msg("Market data is flowing again.", "Les données de marché arrivent de nouveau.")
    return None


def event_title(event: EngineEvent) -> Msg:
    state = event.state
    if event.kind is EventKind.STATE_CHANGE and state is not None:
        return STATE_TITLES[state.current]
    return TITLES.get(event.kind, Msg(event.kind.value, event.kind.value))


def event_text(event: EngineEvent) -> EventText:
    return EventText(event_title(event), event_body(event))


__all__ = ["EventText", "STATE_TITLES", "TITLES", "event_body", "event_text", "event_title", "order_type_msg",
           "side_msg"]
