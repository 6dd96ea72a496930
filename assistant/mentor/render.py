"""The daily report as text (chat, e-mail, terminal) and as a short spoken summary, in FR or EN."""
from __future__ import annotations

from decimal import Decimal

from assistant.mentor.autopilot import autopilot_lines, autopilot_spoken
from assistant.mentor.report import DailyReport, side_words
from assistant.present.money import format_money
from assistant.present.numbers import format_fraction, format_number, format_percent
from assistant.present.speech import for_speech


def t(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


def money(value: Decimal, lang: str) -> str:
    return format_money(value, lang)


def num(value: float, lang: str) -> str:
    return format_number(value, lang, 2, 2)


def pct(fraction: float, lang: str, decimals: int = 0) -> str:
    return format_fraction(fraction, lang, decimals, decimals)


def _pf(report: DailyReport, lang: str) -> str:
    m = report.metrics
    if m.profit_factor is not None:
        return num(m.profit_factor, lang)
    return t(lang, "no losing trade", "aucun trade perdant") if m.trades else "-"


def _day(report: DailyReport, lang: str) -> str:
    return report.day.strftime("%d/%m/%Y") if lang == "fr" else report.day.isoformat()


def render_report(report: DailyReport, lang: str) -> str:
    lang = "fr" if lang == "fr" else "en"
    m = report.metrics
    lines = [t(lang, f"MIA daily report — session {_day(report, lang)}", f"Rapport quotidien MIA — séance du {_day(report, lang)}")]
    if not m.trades:
        lines.append(t(lang, "No closed trade in this session.", "Aucun trade clôturé pendant cette séance."))
        for n in report.suggestions:
            lines.append("• " + n.text(lang))
        auto = autopilot_lines(report.autopilot, lang)
        return "\n".join(lines + ([""] + auto if auto else []))
    markets = ", ".join(report.symbols)
    lines += [
        "",
        t(lang, "Results", "Résultats"),
        t(lang, f"  Trades: {m.trades} ({markets}) — {m.wins} won, {m.losses} lost",
          f"  Trades : {m.trades} ({markets}) — {m.wins} gagnant(s), {m.losses} perdant(s)"),
        t(lang, f"  Win rate: {pct(m.win_rate, lang, 1)}   Profit factor: {_pf(report, lang)}",
          f"  Taux de réussite : {pct(m.win_rate, lang, 1)}   Facteur de profit : {_pf(report, lang)}"),
        t(lang, f"  Net P&L: {money(m.net_pnl, lang)} (commissions {money(report.commissions, lang)})",
          f"  P&L net : {money(m.net_pnl, lang)} (commissions {money(report.commissions, lang)})"),
    ]
    if report.largest_win_trade is not None:
        w = report.largest_win_trade
        s_en, s_fr = side_words(w.side)
        lines.append(t(lang, f"  Largest win: {money(m.largest_win, lang)} ({s_en} {w.quantity} {w.symbol})",
                       f"  Plus gros gain : {money(m.largest_win, lang)} ({s_fr} de {w.quantity} {w.symbol})"))
    if report.largest_loss_trade is not None:
        lo = report.largest_loss_trade
        s_en, s_fr = side_words(lo.side)
        lines.append(t(lang, f"  Largest loss: {money(m.largest_loss, lang)} ({s_en} {lo.quantity} {lo.symbol})",
                       f"  Plus grosse perte : {money(m.largest_loss, lang)} ({s_fr} de {lo.quantity} {lo.symbol})"))
    dd_pct = format_percent(m.max_drawdown_pct, lang, 2)
    lines.append(t(lang, f"  Largest drawdown: {money(m.max_drawdown, lang)} ({dd_pct} of the peak)",
                   f"  Drawdown maximal : {money(m.max_drawdown, lang)} ({dd_pct} du sommet)"))
    auto = autopilot_lines(report.autopilot, lang)
    if auto:
        lines += [""] + auto
    basis = t(lang, "side × time of day", "sens × moment de la séance") if report.setup_basis == "phase" else \
        t(lang, "side × market regime", "sens × régime de marché")
    lines += ["", t(lang, f"Setups ({basis})", f"Configurations ({basis})")]
    for s in report.setups:
        lines.append(t(lang, f"  {s.label_en}: {s.trades} trade(s), win rate {pct(s.win_rate, lang)}, {money(s.net_pnl, lang)}",
                       f"  {s.label_fr} : {s.trades} trade(s), réussite {pct(s.win_rate, lang)}, {money(s.net_pnl, lang)}"))
    best = report.best_setup.label(lang) if report.best_setup else t(lang, "none made money", "aucune n'a gagné")
    worst = report.worst_setup.label(lang) if report.worst_setup else t(lang, "none lost money", "aucune n'a perdu")
    lines.append(t(lang, f"  Best setup: {best}. Worst setup: {worst}.", f"  Meilleure configuration : {best}. Pire configuration : {worst}."))
    if report.lessons:
        lines += ["", t(lang, "Lessons from the losing trades", "Leçons des trades perdants")]
        lines += ["• " + lesson.text(lang) for lesson in report.lessons]
    if report.suggestions:
        lines += ["", t(lang, "Suggestions", "Suggestions")]
        lines += ["• " + n.text(lang) for n in report.suggestions]
    if report.celebrations:
        lines += ["", t(lang, "Well done", "Bravo")]
        lines += ["• " + n.text(lang) for n in report.celebrations]
    return "\n".join(lines)


def spoken_summary(report: DailyReport, lang: str) -> str:
    """A few sentences for the voice (figures in words): results, the main lesson, one celebration."""
    lang = "fr" if lang == "fr" else "en"
    m = report.metrics
    if not m.trades:
        return " ".join(x for x in (t(lang, "No closed trade this session, so there is no report to read.",
                                      "Aucun trade clôturé cette séance, donc pas de rapport à lire."),
                                    autopilot_spoken(report.autopilot, lang)) if x)
    pf = t(lang, f", profit factor {_pf(report, lang)}", f", facteur de profit {_pf(report, lang)}")
    parts = [t(lang,
               f"Today: {m.trades} trades, win rate {pct(m.win_rate, lang)}{pf}, net {money(m.net_pnl, lang)}, "
               f"largest drawdown {money(m.max_drawdown, lang)}.",
               f"Aujourd'hui : {m.trades} trades, taux de réussite {pct(m.win_rate, lang)}{pf}, net {money(m.net_pnl, lang)}, "
               f"drawdown maximal {money(m.max_drawdown, lang)}.")]
    if autopilot_spoken(report.autopilot, lang):
        parts.append(autopilot_spoken(report.autopilot, lang))
    if report.best_setup is not None:
        parts.append(t(lang, f"Best setup: {report.best_setup.label_en}.", f"Meilleure configuration : {report.best_setup.label_fr}."))
    if report.lessons:
        costliest = min(report.lessons, key=lambda lesson: lesson.cost)
        parts.append(t(lang, "Main lesson: ", "Leçon principale : ") + costliest.text(lang))
        parts.append(costliest.suggestion(lang))
    if report.celebrations:
        parts.append(report.celebrations[0].text(lang))
    return for_speech(" ".join(parts), lang)
