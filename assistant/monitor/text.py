"""Monitor read-outs in French and English: `mia status` lines and the spoken performance summary."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from assistant.monitor.latency import stage_name

if TYPE_CHECKING:
    from assistant.monitor.monitor import Monitor, MonitorSnapshot


def t(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


def money(value: Decimal | float, lang: str) -> str:
    q = Decimal(str(value)).quantize(Decimal("0.01"))
    if lang == "fr":
        s = f"{abs(q):,.2f}".replace(",", "\u202f").replace(".", ",")
        return ("-" if q < 0 else "") + s + " $"
    return ("-" if q < 0 else "") + f"${abs(q):,.2f}"


def num(value: float | Decimal, lang: str, decimals: int = 2) -> str:
    s = f"{float(value):,.{decimals}f}"
    return s.replace(",", "\u202f").replace(".", ",") if lang == "fr" else s


def pct(fraction: float, lang: str, decimals: int = 0) -> str:
    """0.55 -> "55%" / "55 %"."""
    s = num(fraction * 100, lang, decimals)
    return f"{s} %" if lang == "fr" else f"{s}%"


def duration(seconds: float, lang: str) -> str:
    seconds = int(seconds)
    d, rem = divmod(seconds, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    if d:
        return t(lang, f"{d} d {h} h", f"{d} j {h} h")
    if h:
        return f"{h} h {m:02d} min"
    return f"{m} min"


def _level_word(level: str, lang: str) -> str:
    return {"warning": t(lang, "WARNING", "ALERTE"), "critical": t(lang, "CRITICAL", "CRITIQUE")}.get(level, level)


def status_lines(snap: "MonitorSnapshot | None", monitor: "Monitor | None", lang: str) -> list[str]:
    """The monitor's lines for `mia status` (system, latency, ML, trading, alert levels)."""
    from assistant.monitor.monitor import metric_name

    if snap is None:
        return [t(lang, "Monitor: no sample yet.", "Moniteur : pas encore de mesure.")]
    lines: list[str] = []
    s = snap.system
    if s is not None:
        disk = t(lang, f", disk {pct(s.disk_percent / 100, lang)}", f", disque {pct(s.disk_percent / 100, lang)}") \
            if s.disk_percent is not None else ""
        lines.append(t(
            lang,
            f"System: CPU {pct(s.cpu_percent / 100, lang)}, memory {pct(s.memory_percent / 100, lang)}{disk}; "
            f"MIA up {duration(s.process_uptime_s, lang)}, {s.process_rss_mb:.0f} MB",
            f"Système : processeur {pct(s.cpu_percent / 100, lang)}, mémoire {pct(s.memory_percent / 100, lang)}{disk} ; "
            f"MIA active depuis {duration(s.process_uptime_s, lang)}, {s.process_rss_mb:.0f} Mo",
        ))
    if snap.latency:
        parts = [f"{stage_name(st.stage, lang)} {num(st.p50, lang)}/{num(st.p95, lang)} s" for st in snap.latency]
        lines.append(t(lang, "Voice latency p50/p95: ", "Latence vocale p50/p95 : ") + ", ".join(parts))
    else:
        lines.append(t(lang, "Voice latency: no command measured yet.", "Latence vocale : aucune commande mesurée."))
    m = snap.ml
    if m.predictions or m.outcomes or m.cache_hits or m.cache_misses:
        plural = "s" if m.predictions != 1 else ""
        bits = [t(lang, f"{m.predictions} prediction{plural}", f"{m.predictions} prédiction{plural}")]
        if m.inference_p95_ms is not None:
            bits.append(t(lang, f"inference p95 {num(m.inference_p95_ms, lang, 0)} ms",
                          f"inférence p95 {num(m.inference_p95_ms, lang, 0)} ms"))
        if m.cache_hit_rate is not None:
            bits.append(t(lang, f"cache hits {pct(m.cache_hit_rate, lang)}", f"cache {pct(m.cache_hit_rate, lang)} de succès"))
        if m.accuracy is not None:
            bits.append(t(lang, f"live accuracy {pct(m.accuracy, lang)} ({m.outcomes} signals)",
                          f"précision en direct {pct(m.accuracy, lang)} ({m.outcomes} signaux)"))
        lines.append("ML: " + ", ".join(bits) if lang != "fr" else "ML : " + ", ".join(bits))
    else:
        lines.append(t(lang, "ML: no prediction yet.", "ML : aucune prédiction pour l'instant."))
    tr = snap.trading
    if tr is not None:
        pf = num(tr.profit_factor, lang) if tr.profit_factor is not None else "-"
        lines.append(t(
            lang,
            f"Trading: P&L today {money(tr.pnl_today, lang)}; {tr.trades} trades, win rate {pct(tr.win_rate, lang)}, "
            f"profit factor {pf}, max drawdown {money(tr.max_drawdown, lang)}",
            f"Trading : P&L du jour {money(tr.pnl_today, lang)} ; {tr.trades} trades, taux de réussite "
            f"{pct(tr.win_rate, lang)}, facteur de profit {pf}, drawdown max {money(tr.max_drawdown, lang)}",
        ))
    bad = {k: v for k, v in snap.levels.items() if v != "ok"}
    if bad:
        lines.append(t(lang, "Monitor alerts: ", "Alertes du moniteur : ")
                     + ", ".join(f"{metric_name(k, lang)} {_level_word(v, lang)}" for k, v in sorted(bad.items())))
    else:
        lines.append(t(lang, "Monitor: every metric within its limits.", "Moniteur : toutes les mesures dans leurs limites."))
    return lines


async def performance_summary(engine: Any, monitor: "Monitor | None", lang: str) -> str:
    """A spoken summary of the recent performance ("afficher les métriques de performance récentes"):
    trading results first, then the voice pipeline, ML and the machine when the monitor has them."""
    lang = "fr" if lang == "fr" else "en"
    m = await engine.performance_metrics()
    pnl = await engine.pnl_today()
    parts: list[str] = []
    if m.trades:
        pf = (t(lang, f", profit factor {num(m.profit_factor, lang)}", f", facteur de profit {num(m.profit_factor, lang)}")
              if m.profit_factor is not None else t(lang, ", no losing trade", ", aucun trade perdant"))
        parts.append(t(
            lang,
            f"{m.trades} closed trades, win rate {pct(m.win_rate, lang)}{pf}, net {money(m.net_pnl, lang)}, "
            f"largest drawdown {money(m.max_drawdown, lang)}.",
            f"{m.trades} trades clôturés, taux de réussite {pct(m.win_rate, lang)}{pf}, net {money(m.net_pnl, lang)}, "
            f"drawdown maximal {money(m.max_drawdown, lang)}.",
        ))
    else:
        parts.append(t(lang, "No closed trade yet.", "Aucun trade clôturé pour l'instant."))
    parts.append(t(lang, f"Today's P&L: {money(pnl.total, lang)}.", f"P&L du jour : {money(pnl.total, lang)}."))
    snap = monitor.last if monitor is not None else None
    if monitor is not None and snap is None:
        snap = await monitor.sample(alert=False)
    if snap is not None:
        total = next((s for s in snap.latency if s.stage == "total"), None) or (snap.latency[-1] if snap.latency else None)
        if total is not None:
            parts.append(t(
                lang,
                f"Voice commands take {num(total.p50, lang, 1)} seconds typically, {num(total.p95, lang, 1)} at worst (95th percentile).",
                f"Les commandes vocales prennent {num(total.p50, lang, 1)} seconde{'s' if total.p50 >= 2 else ''} en général, "
                f"{num(total.p95, lang, 1)} au pire (95e centile).",
            ))
        if snap.ml.accuracy is not None:
            parts.append(t(lang, f"The filter was right {pct(snap.ml.accuracy, lang)} of the time on {snap.ml.outcomes} signals.",
                           f"Le filtre a eu raison {pct(snap.ml.accuracy, lang)} du temps sur {snap.ml.outcomes} signaux."))
        if snap.system is not None:
            parts.append(t(lang, f"CPU at {pct(snap.system.cpu_percent / 100, lang)}, memory at {pct(snap.system.memory_percent / 100, lang)}.",
                           f"Processeur à {pct(snap.system.cpu_percent / 100, lang)}, mémoire à {pct(snap.system.memory_percent / 100, lang)}."))
        bad = [k for k, v in snap.levels.items() if v != "ok"]
        if bad:
            from assistant.monitor.monitor import metric_name

            parts.append(t(lang, "Attention: ", "Attention : ") + ", ".join(metric_name(k, lang) for k in sorted(bad)) + ".")
    return " ".join(parts)
