"""The autopilot in words for its fronts, French and English, from its typed data: the mode read-back,
the status answer, the volatility forecast answer, the replay verdict said when `auto` starts.

Signals, mode changes and the results of the engine's calls are rendered by the presentation layer
(`assistant.present.autopilot`), so every front says the same; this module composes those sentences.
"""
from __future__ import annotations

from typing import Any

from assistant.present.autopilot import set_mode_msg, signal_msg
from assistant.present.reasons import reason_msg
from assistant.present.text import render
from trading_core.autopilot.types import AutopilotMode, SignalDecision

MODES = ("off", "propose", "auto")
MODE_NAMES = {
    "off": ("off", "désactivé"),
    "propose": ("proposal mode", "mode proposition"),
    "auto": ("automatic mode", "mode automatique"),
}
_DECISIONS = {
    SignalDecision.PROPOSED: ("waiting for your confirmation", "en attente de votre confirmation"),
    SignalDecision.EXECUTED: ("executed", "exécuté"),
    SignalDecision.REFUSED: ("refused", "refusé"),
    SignalDecision.EXPIRED: ("expired", "expiré"),
}


def t(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


def mode_name(mode: AutopilotMode | str, lang: str) -> str:
    en, fr = MODE_NAMES[AutopilotMode(mode).value]
    return t(lang, en, fr)


def _num(x: float, lang: str, digits: int = 2) -> str:
    s = f"{x:,.{digits}f}"
    return s.replace(",", "\u202f").replace(".", ",") if lang == "fr" else s


def mode_readback(mode: str, lang: str, verdicts: str = "", *, live: bool = False) -> str:
    """What switching to `mode` will do, said before the trader confirms (propose and auto); for `auto`,
    `verdicts` is what the replays said (`verdict_text` of each symbol)."""
    if mode == "propose":
        text = t(lang, "Switch the autopilot to proposal mode: each signal will be read to you, and traded only if "
                       "you confirm it in time.",
                 "Passer le pilote automatique en mode proposition : chaque signal vous sera lu, et ne sera tradé "
                 "que si vous le confirmez à temps.")
    elif mode == "auto":
        text = t(lang, "Switch the autopilot to automatic mode: it will place its bracket orders on its own, through "
                       "the risk gate" + (", on the LIVE account" if live else "") + ".",
                 "Passer le pilote automatique en mode automatique : il placera seul ses ordres bracket, via le "
                 "contrôle des risques" + (", sur le compte RÉEL" if live else "") + ".")
        text += (" " + verdicts) if verdicts else ""
    else:
        text = t(lang, "Switch the autopilot off.", "Désactiver le pilote automatique.")
    return text


def mode_done(result: Any, lang: str) -> str:
    """The answer after a switch (`SetModeResult`), ok or refused."""
    return render(set_mode_msg(result), lang)


def signal_text(signal: Any, lang: str) -> str:
    """A signal's latest decision in words ("Signal: long 1 ES at 5,970.00, ... Confirm?")."""
    return render(signal_msg(signal), lang)


def reason_text(signal: Any, lang: str) -> str:
    """Why a signal was refused or ended ("" when it was not)."""
    return render(reason_msg(signal.reason), lang) if signal.reason is not None else ""


def verdict_text(verdict: Any, lang: str) -> str:
    """The last replay verdict (`evaluate.ReplayVerdict`) or that there is none, for `auto`."""
    if verdict is None:
        return t(lang, "No replay verdict yet: the autopilot has not been evaluated on real bars (mia evaluate "
                       "--autopilot --data FILE), so nobody knows whether it makes money.",
                 "Pas encore de verdict de rejeu : le pilote automatique n'a pas été évalué sur des barres réelles "
                 "(mia evaluate --autopilot --data FICHIER), on ne sait donc pas s'il gagne de l'argent.")
    return str(verdict.message(lang))


def _signal_line(s: Any, lang: str) -> str:
    side = "long" if s.side.value == "BUY" else "short"
    when = s.ts.strftime("%H:%M")
    what = t(lang, f"{side} {s.quantity} {s.symbol} at {_num(s.entry, lang)} ({when} UTC)",
             f"{side} {s.quantity} {s.symbol} à {_num(s.entry, lang)} ({when} UTC)")
    decision = t(lang, *_DECISIONS[s.decision])
    reason = reason_text(s, lang).rstrip(". ")
    return f"{what}, {decision}" + (f" — {reason}" if reason and s.decision is not SignalDecision.PROPOSED else "")


def status_text(status: Any, lang: str) -> str:
    """"What is the autopilot doing": the mode, the models, the level, what waits, the last signal."""
    if status is None:
        return t(lang, "The autopilot is not running (start MIA with: mia run --autopilot propose).",
                 "Le pilote automatique ne tourne pas (lancez MIA avec : mia run --autopilot propose).")
    symbols = ", ".join(status.symbols)
    where_en = "off" if status.mode is AutopilotMode.OFF else f"in {mode_name(status.mode, 'en')}"
    where_fr = "désactivé" if status.mode is AutopilotMode.OFF else f"en {mode_name(status.mode, 'fr')}"
    parts = [t(lang, f"Autopilot {where_en} on {symbols}, catastrophe level {status.level.value}.",
               f"Pilote automatique {where_fr} sur {symbols}, niveau de catastrophe {status.level.value}.")]
    if status.mode is not AutopilotMode.OFF:
        if not status.ready:
            parts.append(t(lang, "Its models are loading.", "Ses modèles sont en cours de chargement."))
        elif not status.model_trained:
            parts.append(status.model_message_fr if lang == "fr" else status.model_message_en)
        else:
            parts.append(t(lang, f"Model {status.model_type}.", f"Modèle {status.model_type}."))
    for p in status.pending:
        parts.append(t(lang, "Waiting for your answer: ", "En attente de votre réponse : ") + signal_text(p, lang))
    done = [s for s in status.last_signals if s.decision is not SignalDecision.PROPOSED]
    if done:
        parts.append(t(lang, "Last signal: ", "Dernier signal : ") + _signal_line(done[-1], lang) + ".")
    elif not status.pending:
        parts.append(t(lang, "No signal yet.", "Aucun signal pour l'instant."))
    return " ".join(parts)


def forecast_text(f: Any, lang: str) -> str:
    """"What is the volatility forecast": tomorrow's VIX and, honestly, whether it beats "tomorrow = today"."""
    if not f.trained or f.predicted_vix is None:
        return str(f.message(lang))
    day = f.for_date.strftime("%d/%m/%Y") if lang == "fr" else f.for_date.isoformat()
    head = t(lang, f"Predicted VIX for {day}: {_num(f.predicted_vix, lang)}, against {_num(f.last_vix, lang)} on the "
                   f"last day of data.",
             f"VIX prévu pour le {day} : {_num(f.predicted_vix, lang)}, contre {_num(f.last_vix, lang)} le dernier "
             f"jour de données.")
    errors = t(lang, f"Out of sample its error is {_num(f.rmse_model, lang)} against {_num(f.rmse_naive, lang)} for "
                     f"the naive forecast 'tomorrow = today'",
               f"Hors échantillon, son erreur est de {_num(f.rmse_model, lang)} contre {_num(f.rmse_naive, lang)} pour "
               f"la prévision naïve « demain = aujourd'hui »")
    if f.beats_baseline:
        verdict = t(lang, ": it beats it, so the autopilot's sizing uses it." if f.used_for_sizing else
                    ": it beats it (the autopilot's sizing is set not to use it).",
                    " : elle la bat, le pilote automatique s'en sert donc pour la taille des positions." if f.used_for_sizing
                    else " : elle la bat (le pilote automatique est réglé pour ne pas s'en servir).")
    else:
        verdict = t(lang, ": it does not beat it, so the autopilot ignores it.",
                    " : elle ne la bat pas, le pilote automatique l'ignore donc.")
    return f"{head} {errors}{verdict}"


__all__ = ["MODES", "forecast_text", "mode_done", "mode_name", "mode_readback", "reason_text", "signal_text",
           "status_text", "t", "verdict_text"]
