"""The autopilot's part of the mentor's daily report, in French and English: signals taken, refused and
expired with their reasons, the best and worst executed signal, and the autopilot's P&L next to the
trader's own (`trading_core.autopilot.stats.AutopilotStats`)."""
from __future__ import annotations

from typing import Any

from assistant.present.money import format_money
from assistant.present.numbers import format_fraction


def t(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


def money(value: Any, lang: str) -> str:
    return format_money(value, lang)


def pct(fraction: float, lang: str) -> str:
    return format_fraction(fraction, lang, 0, 0)

# Short names of the reasons a signal is refused or ends without a trade (the autopilot's own codes and
# the risk gate's most frequent ones); any other code is written as it is.
REASON_NAMES: dict[str, tuple[str, str]] = {
    "FILTER_REJECTED": ("ML filter said no", "refusé par le filtre ML"),
    "MODEL_REJECTED": ("trade-probability model said no", "refusé par le modèle de probabilité"),
    "NO_EDGE": ("no edge after costs", "pas d'avantage après les coûts"),
    "SIZE_ZERO": ("risk budget below one contract", "budget de risque inférieur à un contrat"),
    "IN_TRADE": ("already in a trade", "déjà en position"),
    "ENGINE_NOT_ACTIVE": ("trading not active", "trading non actif"),
    "EXPIRED_TIMEOUT": ("not confirmed in time", "non confirmé à temps"),
    "EXPIRED_RESTART": ("MIA restarted", "redémarrage de MIA"),
    "EXPIRED_MODE": ("autopilot mode changed", "changement de mode du pilote"),
    "SUPERSEDED": ("replaced by a newer signal", "remplacé par un signal plus récent"),
    "DECLINED": ("declined by you", "refusé par vous"),
    "DAILY_LOSS_LIMIT": ("daily loss limit", "limite de perte journalière"),
    "MAX_CONSECUTIVE_LOSSES": ("too many losses in a row", "trop de pertes consécutives"),
    "MARKET_CLOSED": ("market closed", "marché fermé"),
    "HALTED": ("trading halted", "trading arrêté"),
    "REDUCING_ONLY": ("reduce-only mode", "mode réduction seule"),
    "POSITION_LIMIT_SYMBOL": ("position limit", "limite de position"),
    "POSITION_LIMIT_TOTAL": ("total position limit", "limite de position totale"),
    "QTY_ABOVE_MAX": ("size above the maximum", "taille au-dessus du maximum"),
    "NO_CURRENT_PRICE": ("no current price", "pas de prix actuel"),
    "RATE_LIMIT": ("order rate limit", "limite de fréquence des ordres"),
}


def reason_name(code: str, lang: str) -> str:
    names = REASON_NAMES.get(code)
    if names is None:
        return code or t(lang, "no reason recorded", "raison non enregistrée")
    return t(lang, *names)


def _side(signal: Any) -> str:
    return "long" if signal.side.value == "BUY" else "short"


def _result(r: Any, lang: str) -> str:
    s = r.signal
    when = s.ts.strftime("%H:%M")
    return t(lang, f"{_side(s)} {s.quantity} {s.symbol} at {when} UTC, {money(r.pnl, lang)}",
             f"{_side(s)} {s.quantity} {s.symbol} à {when} UTC, {money(r.pnl, lang)}")


def autopilot_lines(stats: Any, lang: str) -> list[str]:
    """The report's autopilot section (a title and indented lines); [] when the autopilot did nothing."""
    if stats is None or stats.empty:
        return []
    lines = [t(lang, "Autopilot", "Pilote automatique")]
    lines.append(t(lang,
                   f"  Signals: {stats.signals} — {stats.executed} taken, {stats.refused} refused, "
                   f"{stats.expired} not confirmed or expired, {stats.proposed} waiting",
                   f"  Signaux : {stats.signals} — {stats.executed} pris, {stats.refused} refusé(s), "
                   f"{stats.expired} non confirmé(s) ou expiré(s), {stats.proposed} en attente"))
    if stats.reasons:
        lines.append(t(lang, "  Why not taken:", "  Pourquoi non pris :"))
        lines += [f"    {reason_name(r.code, lang)}: {r.count}" if lang != "fr" else
                  f"    {reason_name(r.code, lang)} : {r.count}" for r in stats.reasons]
    if stats.best is not None:
        lines.append(t(lang, f"  Best signal: {_result(stats.best, lang)}",
                       f"  Meilleur signal : {_result(stats.best, lang)}"))
    if stats.worst is not None:
        lines.append(t(lang, f"  Worst signal: {_result(stats.worst, lang)}",
                       f"  Pire signal : {_result(stats.worst, lang)}"))
    still_open = sum(1 for r in stats.results if not r.closed)
    if still_open:
        lines.append(t(lang, f"  Still open: {still_open} autopilot trade(s)",
                       f"  Encore ouvert(s) : {still_open} trade(s) du pilote automatique"))
    a, m = stats.autopilot, stats.manual
    lines.append(t(lang,
                   f"  Autopilot P&L: {money(a.net_pnl, lang)} over {a.trades} trade(s), win rate {pct(a.win_rate, lang)}",
                   f"  P&L du pilote automatique : {money(a.net_pnl, lang)} sur {a.trades} trade(s), "
                   f"réussite {pct(a.win_rate, lang)}"))
    lines.append(t(lang,
                   f"  Your own trades: {money(m.net_pnl, lang)} over {m.trades} trade(s), win rate {pct(m.win_rate, lang)}",
                   f"  Vos propres trades : {money(m.net_pnl, lang)} sur {m.trades} trade(s), "
                   f"réussite {pct(m.win_rate, lang)}"))
    return lines


def autopilot_spoken(stats: Any, lang: str) -> str:
    """One sentence for the spoken summary; "" when the autopilot did nothing."""
    if stats is None or stats.empty:
        return ""
    a = stats.autopilot
    return t(lang,
             f"Autopilot: {stats.executed} signals taken out of {stats.signals}, net {money(a.net_pnl, lang)}.",
             f"Pilote automatique : {stats.executed} signaux pris sur {stats.signals}, net {money(a.net_pnl, lang)}.")

