"""The autopilot in words: its signals, proposals, mode changes, catastrophe levels and the results of
`confirm` / `decline` / `set_mode`, from the typed records of `trading_core.autopilot.types`.

The engine publishes the records as event payloads (AUTOPILOT_PROPOSAL ... CATASTROPHE_LEVEL); the
alerts, the chat and the voice render them here, like every other event (`events.py`).
"""
from __future__ import annotations

from trading_core.autopilot.types import (
    AutopilotMode,
    AutopilotSignal,
    CatastropheLevel,
    ConfirmResult,
    LevelChange,
    ModeChange,
    SetModeResult,
    SignalDecision,
)
from trading_core.types import Side

from assistant.present.reasons import reason_msg
from assistant.present.text import LOSING_TRADE, Count, Money, Msg, Num, Pct, Price, Sym, Verbatim, msg

_MODES: dict[AutopilotMode, Msg] = {
    AutopilotMode.OFF: msg("off", "désactivé"),
    AutopilotMode.PROPOSE: msg("in proposal mode", "en mode proposition"),
    AutopilotMode.AUTO: msg("in automatic mode", "en mode automatique"),
}
_WHY: dict[str, Msg] = {
    "halt": msg("trading was halted", "le trading a été arrêté"),
    "kill_switch": msg("the kill switch was used", "l'arrêt d'urgence a été déclenché"),
    "daily_loss": msg("the daily loss limit was hit", "la limite de perte journalière est atteinte"),
    "restart": msg("restart", "redémarrage"),
    "live_ack": msg("automatic mode on a live account needs a new acknowledgement after a restart",
                    "le mode automatique sur un compte réel demande une nouvelle confirmation après un redémarrage"),
}
_LEVELS: dict[CatastropheLevel, Msg] = {
    CatastropheLevel.INFO: msg("INFO"),
    CatastropheLevel.WARNING: msg("WARNING", "AVERTISSEMENT"),
    CatastropheLevel.CRITICAL: msg("CRITICAL", "CRITIQUE"),
    CatastropheLevel.CATASTROPHE: msg("CATASTROPHE"),
}
_ACTIONS: dict[str, Msg] = {
    "none": msg(""),
    "size_reduced": msg(" The autopilot's size is reduced.", " La taille du pilote automatique est réduite."),
    "reduce_only": msg(" Trading moves to reduce-only.", " Le trading passe en mode réduction seule."),
    "halt_and_flatten": msg(" Trading is halted and every position is being closed.",
                            " Le trading est arrêté et toutes les positions sont fermées."),
}
_DECISIONS: dict[SignalDecision, Msg] = {
    SignalDecision.PROPOSED: msg("pending", "en attente"),
    SignalDecision.EXECUTED: msg("executed", "exécuté"),
    SignalDecision.REFUSED: msg("refused", "refusé"),
    SignalDecision.EXPIRED: msg("expired", "expiré"),
}


def _direction(side: Side) -> Msg:
    return msg("long") if side is Side.BUY else msg("short")


def _reason(s: AutopilotSignal) -> Msg:
    return reason_msg(s.reason) if s.reason is not None else msg("")


def signal_msg(s: AutopilotSignal) -> Msg:
    """What the signal's latest decision says: a proposal asks for a confirmation."""
    if s.decision is SignalDecision.PROPOSED:
        conf = s.scores.filter_probability or 0.0
        return msg("Signal: {dir} {qty} {symbol} at {entry}, stop {stop}, target {target}, confidence {conf}. Confirm?",
                   "Signal : {dir} {qty} {symbol} à {entry}, stop {stop}, objectif {target}, confiance {conf}. "
                   "Confirmez-vous ?", dir=_direction(s.side), qty=s.quantity, symbol=Sym(s.symbol),
                   entry=Price(s.entry), stop=Price(s.stop_loss), target=Price(s.take_profit),
                   conf=Num(conf, max_decimals=2, min_decimals=2))
    if s.decision is SignalDecision.EXECUTED:
        return msg("Autopilot: {side} {qty} {symbol} at market, stop {stop}, target {target}.",
                   "Pilote automatique : {side} de {qty} {symbol} au marché, stop {stop}, objectif {target}.",
                   side=msg("bought", "achat") if s.side is Side.BUY else msg("sold", "vente"), qty=s.quantity,
                   symbol=Sym(s.symbol), stop=Price(s.stop_loss), target=Price(s.take_profit))
    if s.decision is SignalDecision.REFUSED:
        return msg("Autopilot signal refused ({dir} {symbol}): {reason}",
                   "Signal du pilote automatique refusé ({dir} {symbol}) : {reason}",
                   dir=_direction(s.side), symbol=Sym(s.symbol), reason=_reason(s))
    return msg("Autopilot proposal expired ({dir} {qty} {symbol}): {reason}",
               "Proposition du pilote automatique expirée ({dir} {qty} {symbol}) : {reason}",
               dir=_direction(s.side), qty=s.quantity, symbol=Sym(s.symbol), reason=_reason(s))


def mode_msg(mode: AutopilotMode, reason: str = "user") -> Msg:
    """"Autopilot in proposal mode." / "Autopilot off: trading was halted."."""
    if reason == "user":
        return msg("Autopilot {mode}.", "Pilote automatique {mode}.", mode=_MODES[mode])
    why = _WHY.get(reason, Verbatim(reason))
    return msg("Autopilot {mode}: {why}.", "Pilote automatique {mode} : {why}.", mode=_MODES[mode], why=why)


def mode_change_msg(change: ModeChange) -> Msg:
    return mode_msg(change.current, change.reason)


def level_change_msg(change: LevelChange) -> Msg:
    """A catastrophe level change with the figures that set it and the action taken."""
    return msg("Risk level {level} (was {previous}): loss today {loss}, {losses} in a row, drawdown {dd}.{action}",
               "Niveau de risque {level} (avant : {previous}) : perte du jour {loss}, {losses} d'affilée, baisse "
               "depuis le sommet {dd}.{action}",
               level=_LEVELS[change.current], previous=_LEVELS[change.previous],
               loss=Money(change.daily_loss, signed=False), losses=Count(change.consecutive_losses, LOSING_TRADE),
               dd=Pct(round(change.drawdown_pct, 2)), action=_ACTIONS.get(change.action, msg("")))


NOT_RUNNING = msg("The autopilot is not running (start it with: mia run --autopilot propose).",
                  "Le pilote automatique ne tourne pas (lancez-le avec : mia run --autopilot propose).")


def set_mode_msg(result: SetModeResult) -> Msg:
    if result.code == "AUTOPILOT_NOT_RUNNING":
        return NOT_RUNNING
    if result.code == "LIVE_ACK_REQUIRED":
        return msg("Automatic mode on a live account needs your explicit acknowledgement.",
                   "Le mode automatique sur un compte réel demande votre confirmation explicite.")
    if result.code == "ENGINE_HALTED":
        return msg("Trading is halted: resume trading before turning the autopilot on.",
                   "Le trading est arrêté : reprenez le trading avant d'activer le pilote automatique.")
    return mode_msg(result.mode, result.reason)


def confirm_msg(result: ConfirmResult, signal_id: str = "") -> Msg:
    """The answer to a confirmation (or a decline) of a proposal."""
    s = result.signal
    if result.code == "AUTOPILOT_NOT_RUNNING":
        return NOT_RUNNING
    if result.code == "UNKNOWN_SIGNAL":
        return msg("No autopilot signal {id}.", "Aucun signal du pilote automatique {id}.", id=Verbatim(signal_id))
    if result.duplicate:
        return msg("This signal was already executed; nothing new was sent.",
                   "Ce signal a déjà été exécuté ; rien de nouveau n'a été envoyé.")
    if result.code == "DECLINED":
        return msg("Proposal declined; nothing was sent.", "Proposition refusée ; rien n'a été envoyé.")
    if result.code == "EXPIRED" and s is not None and s.reason is not None and s.decision is SignalDecision.EXPIRED \
            and s.reason.code.value == "EXPIRED_TIMEOUT":
        return msg("Too late: the proposal expired; nothing was sent.",
                   "Trop tard : la proposition a expiré ; rien n'a été envoyé.")
    if result.code in ("EXPIRED", "NOT_PENDING"):
        if s is None:
            return msg("No pending proposal with this id.", "Aucune proposition en attente avec cet identifiant.")
        return msg("This signal is {decision}; nothing was sent.", "Ce signal est {decision} ; rien n'a été envoyé.",
                   decision=_DECISIONS[s.decision])
    if result.rejection is not None:
        return reason_msg(result.rejection)
    if s is not None:
        return signal_msg(s)
    return msg("Done.", "C'est fait.")


__all__ = ["NOT_RUNNING", "confirm_msg", "level_change_msg", "mode_change_msg", "mode_msg", "set_mode_msg", "signal_msg"]
