"""The monitor in words: metric names, level-change alerts, the `mia status` lines and the spoken
performance summary ("afficher les métriques de performance récentes")."""
from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.present.numbers import format_fraction, format_number
from assistant.present.text import CLOSED_TRADE, SECOND, Count, Money, Msg, Num, Pct, Surface, Value, msg, render

if TYPE_CHECKING:
    from assistant.monitor.monitor import Monitor, MonitorSnapshot
    from assistant.monitor.thresholds import Transition
    from trading_core.protocols import EngineAPI

STAGE_NAMES: dict[str, Msg] = {
    "endpoint": msg("audio endpoint", "fin de parole"),
    "transcript": msg("transcript", "transcription"),
    "intent": msg("intent", "intention"),
    "engine": msg("engine", "moteur"),
    "speech": msg("speech", "synthèse vocale"),
    "total": msg("total", "total"),
}
_METRIC_NAMES: dict[str, Msg] = {
    "cpu": msg("CPU usage", "Utilisation du processeur"),
    "memory": msg("Memory usage", "Utilisation de la mémoire"),
    "ml.accuracy": msg("Filter live accuracy", "Précision en direct du filtre"),
    "ml.confidence": msg("Model confidence", "Confiance du modèle"),
}


def stage_msg(stage: str) -> Msg:
    return STAGE_NAMES.get(stage, Msg(stage, stage))


def metric_msg(metric: str) -> Msg:
    if metric.startswith("latency."):
        stage = stage_msg(metric.split(".", 1)[1])
        return msg("Voice latency ({stage}, p95)", "Latence vocale ({stage}, p95)", stage=stage)
    return _METRIC_NAMES.get(metric, Msg(metric, metric))


def metric_name(metric: str, lang: str) -> str:
    return render(metric_msg(metric), lang)


def metric_value(metric: str, value: float) -> Value:
    """A reading as a typed value: percentages for CPU / memory / accuracy, seconds for latency."""
    if metric in ("cpu", "memory"):
        return Pct(round(value), 0)
    if metric.startswith("latency."):
        return Count(round(value, 2), SECOND, 2)
    if metric == "ml.accuracy":
        return Pct(round(value * 100), 0)
    return Num(value, 2, 2)


def transition_text(tr: Transition) -> tuple[Msg, Msg]:
    """(title, body) of the alert for one level change of a monitored metric."""
    from assistant.monitor.thresholds import Level

    name = metric_msg(tr.metric)
    val = metric_value(tr.metric, tr.value)
    lim: Value = metric_value(tr.metric, tr.limit) if tr.limit is not None else "?"
    if tr.escalated:
        critical = tr.current is Level.CRITICAL
        if tr.metric.startswith("ml."):
            title = (msg("{name} critically low", "{name} très basse", name=name) if critical  # précision / confiance: feminine
                     else msg("{name} low", "{name} basse", name=name))
            body = msg("{name} is {val}, below the minimum of {lim}.", "{name} : {val}, sous le minimum de {lim}.",
                       name=name, val=val, lim=lim)
        else:
            title = (msg("{name} critical", "{name} critique", name=name) if critical
                     else msg("{name} high", "{name} élevée", name=name))
            level = msg("critical", "critique") if critical else msg("warning", "d'alerte")
            body = msg("{name} is {val} (the {level} limit is {lim}).", "{name} : {val} (seuil {level} : {lim}).",
                       name=name, val=val, level=level, lim=lim)
        return title, body
    title = (msg("{name} back to normal", "{name} revenue à la normale", name=name) if tr.recovered
             else msg("{name} improving", "{name} en amélioration", name=name))
    return title, msg("{name} is {val} now.", "{name} : {val} maintenant.", name=name, val=val)


def _duration(seconds: float, lang: str) -> str:
    seconds = int(seconds)
    d, rem = divmod(seconds, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    if d:
        return f"{d} j {h} h" if lang == "fr" else f"{d} d {h} h"
    if h:
        return f"{h} h {m:02d} min"
    return f"{m} min"


def _t(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


def _level_word(level: str, lang: str) -> str:
    return {"warning": _t(lang, "WARNING", "ALERTE"), "critical": _t(lang, "CRITICAL", "CRITIQUE")}.get(level, level)


def status_lines(snap: MonitorSnapshot | None, lang: str) -> list[str]:
    """The monitor's lines for `mia status` (system, latency, ML, trading, alert levels)."""
    from assistant.present.money import format_money

    if snap is None:
        return [_t(lang, "Monitor: no sample yet.", "Moniteur : pas encore de mesure.")]
    pct = format_fraction
    lines: list[str] = []
    s = snap.system
    if s is not None:
        disk = _t(lang, f", disk {pct(s.disk_percent / 100, lang, 0)}", f", disque {pct(s.disk_percent / 100, lang, 0)}") \
            if s.disk_percent is not None else ""
        lines.append(_t(
            lang,
            f"System: CPU {pct(s.cpu_percent / 100, lang, 0)}, memory {pct(s.memory_percent / 100, lang, 0)}{disk}; "
            f"MIA up {_duration(s.process_uptime_s, lang)}, {s.process_rss_mb:.0f} MB",
            f"Système : processeur {pct(s.cpu_percent / 100, lang, 0)}, mémoire {pct(s.memory_percent / 100, lang, 0)}{disk} ; "
            f"MIA active depuis {_duration(s.process_uptime_s, lang)}, {s.process_rss_mb:.0f} Mo",
        ))
    if snap.latency:
        parts = [f"{render(stage_msg(st.stage), lang)} {format_number(st.p50, lang, 2, 2)}/{format_number(st.p95, lang, 2, 2)} s"
                 for st in snap.latency]
        lines.append(_t(lang, "Voice latency p50/p95: ", "Latence vocale p50/p95 : ") + ", ".join(parts))
    else:
        lines.append(_t(lang, "Voice latency: no command measured yet.", "Latence vocale : aucune commande mesurée."))
    m = snap.ml
    if m.predictions or m.outcomes or m.cache_hits or m.cache_misses:
        plural = "s" if m.predictions != 1 else ""
        bits = [_t(lang, f"{m.predictions} prediction{plural}", f"{m.predictions} prédiction{plural}")]
        if m.inference_p95_ms is not None:
            bits.append(_t(lang, f"inference p95 {format_number(m.inference_p95_ms, lang, 0)} ms",
                           f"inférence p95 {format_number(m.inference_p95_ms, lang, 0)} ms"))
        if m.cache_hit_rate is not None:
            bits.append(_t(lang, f"cache hits {pct(m.cache_hit_rate, lang, 0)}",
                           f"cache {pct(m.cache_hit_rate, lang, 0)} de succès"))
        if m.accuracy is not None:
            bits.append(_t(lang, f"live accuracy {pct(m.accuracy, lang, 0)} ({m.outcomes} signals)",
                           f"précision en direct {pct(m.accuracy, lang, 0)} ({m.outcomes} signaux)"))
        lines.append(_t(lang, "ML: ", "ML : ") + ", ".join(bits))
    else:
        lines.append(_t(lang, "ML: no prediction yet.", "ML : aucune prédiction pour l'instant."))
    tr = snap.trading
    if tr is not None:
        pf = format_number(tr.profit_factor, lang, 2, 2) if tr.profit_factor is not None else "-"
        lines.append(_t(
            lang,
            f"Trading: P&L today {format_money(tr.pnl_today, lang)}; {tr.trades} trades, win rate "
            f"{pct(tr.win_rate, lang, 0)}, profit factor {pf}, max drawdown {format_money(tr.max_drawdown, lang)}",
            f"Trading : P&L du jour {format_money(tr.pnl_today, lang)} ; {tr.trades} trades, taux de réussite "
            f"{pct(tr.win_rate, lang, 0)}, facteur de profit {pf}, drawdown max {format_money(tr.max_drawdown, lang)}",
        ))
    bad = {k: v for k, v in snap.levels.items() if v != "ok"}
    if bad:
        lines.append(_t(lang, "Monitor alerts: ", "Alertes du moniteur : ")
                     + ", ".join(f"{metric_name(k, lang)} {_level_word(v, lang)}" for k, v in sorted(bad.items())))
    else:
        lines.append(_t(lang, "Monitor: every metric within its limits.", "Moniteur : toutes les mesures dans leurs limites."))
    return lines


async def performance_summary(engine: EngineAPI, monitor: Monitor | None, lang: str,
                              surface: Surface = Surface.CHAT) -> str:
    """A summary of the recent performance: trading results first, then the voice pipeline, ML and the
    machine when the monitor has them. `Surface.SPEECH` says the figures in words."""
    m = await engine.performance_metrics()
    pnl = await engine.pnl_today()
    parts: list[Msg] = []
    if m.trades:
        pf = (msg(", profit factor {pf}", ", facteur de profit {pf}", pf=Num(m.profit_factor, 2, 2))
              if m.profit_factor is not None else msg(", no losing trade", ", aucun trade perdant"))
        parts.append(msg("{trades}, win rate {win}{pf}, net {net}, largest drawdown {dd}.",
                         "{trades}, taux de réussite {win}{pf}, net {net}, drawdown maximal {dd}.",
                         trades=Count(m.trades, CLOSED_TRADE), win=Pct(round(m.win_rate * 100), 0), pf=pf,
                         net=Money(m.net_pnl), dd=Money(m.max_drawdown)))
    else:
        parts.append(msg("No closed trade yet.", "Aucun trade clôturé pour l'instant."))
    parts.append(msg("Today's P&L: {pnl}.", "P&L du jour : {pnl}.", pnl=Money(pnl.total)))
    snap = monitor.last if monitor is not None else None
    if monitor is not None and snap is None:
        snap = await monitor.sample(alert=False)
    if snap is not None:
        total = next((s for s in snap.latency if s.stage == "total"), None) or (snap.latency[-1] if snap.latency else None)
        if total is not None:
            parts.append(msg("Voice commands take {p50} typically, {p95} at worst (95th percentile).",
                             "Les commandes vocales prennent {p50} en général, {p95} au pire (95e centile).",
                             p50=Count(round(total.p50, 1), SECOND, 1), p95=Num(total.p95, 1, 1)))
        if snap.ml.accuracy is not None:
            parts.append(msg("The filter was right {acc} of the time on {n} signals.",
                             "Le filtre a eu raison {acc} du temps sur {n} signaux.",
                             acc=Pct(round(snap.ml.accuracy * 100), 0), n=snap.ml.outcomes))
        if snap.system is not None:
            parts.append(msg("CPU at {cpu}, memory at {mem}.", "Processeur à {cpu}, mémoire à {mem}.",
                             cpu=Pct(round(snap.system.cpu_percent), 0), mem=Pct(round(snap.system.memory_percent), 0)))
        bad = [k for k, v in snap.levels.items() if v != "ok"]
        if bad:
            names = ", ".join(render(metric_msg(k), lang, surface) for k in sorted(bad))
            parts.append(msg("Attention: {names}.", "Attention : {names}.", names=names))
    return " ".join(render(p, lang, surface) for p in parts)


__all__ = ["STAGE_NAMES", "metric_msg", "metric_name", "metric_value", "performance_summary", "stage_msg",
           "status_lines", "transition_text"]
