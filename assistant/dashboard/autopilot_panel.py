"""The dashboard's autopilot panel: the mode, the catastrophe level, pending proposals, the last signals
with their scores and decisions, the session's figures (taken / refused, autopilot vs manual P&L) and
the VIX forecast with its record against the naive forecast.

The live part (`AutopilotStatus`) is read at each snapshot; the session figures (a ledger scan) and the
forecast (the LSTM, torch) are refreshed by `run()` in the background, every STATS_EVERY_S and
FORECAST_EVERY_S, so a snapshot never waits for them.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict
from typing import Any

from assistant.present.reasons import reason_msg
from assistant.present.text import Surface, render

log = logging.getLogger("mia.dashboard")

STATS_EVERY_S = 5.0
FORECAST_EVERY_S = 600.0
SIGNALS_SHOWN = 10


def _reason(s: Any, lang: str) -> str:
    return render(reason_msg(s.reason), lang, Surface.PAGE) if s.reason is not None else ""


def signal_dict(s: Any) -> dict[str, Any]:
    sc = s.scores
    return {
        "id": s.signal_id, "ts": s.ts.isoformat(), "symbol": s.symbol, "side": s.side.value, "qty": s.quantity,
        "entry": s.entry, "stop": s.stop_loss, "target": s.take_profit, "decision": s.decision.value,
        "reason_code": s.reason_code, "reason_en": _reason(s, "en"), "reason_fr": _reason(s, "fr"), "mode": s.mode,
        "score": sc.score, "confidence": sc.confidence, "filter": sc.filter_probability,
        "model": sc.model_probability, "model_type": sc.model_type, "level": sc.level,
        "expires": s.expires_ts.isoformat() if s.expires_ts is not None else None,
    }


def stats_dict(st: Any) -> dict[str, Any]:
    def tally(t: Any) -> dict[str, Any]:
        return {"trades": t.trades, "wins": t.wins, "net": float(t.net_pnl), "win_rate": t.win_rate}

    return {
        "day": st.day.isoformat(), "signals": st.signals, "executed": st.executed, "refused": st.refused,
        "expired": st.expired, "proposed": st.proposed,
        "reasons": [{"code": r.code, "decision": r.decision.value, "count": r.count} for r in st.reasons],
        "autopilot": tally(st.autopilot), "manual": tally(st.manual),
    }


class AutopilotPanel:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.stats: dict[str, Any] | None = None
        self.forecast: dict[str, Any] | None = None
        self._forecast_at = 0.0

    def snapshot(self) -> dict[str, Any]:
        status = self.engine.autopilot_status()
        out: dict[str, Any] = {"attached": status is not None, "stats": self.stats, "volatility": self.forecast}
        if status is None:
            return out
        out.update({
            "mode": status.mode.value, "model_type": status.model_type, "model_trained": status.model_trained,
            "model_message_en": status.model_message_en, "model_message_fr": status.model_message_fr,
            "level": status.level.value, "ready": status.ready, "symbols": list(status.symbols),
            "pending": [signal_dict(s) for s in status.pending],
            "signals": [signal_dict(s) for s in reversed(status.last_signals[-SIGNALS_SHOWN:])],  # newest first
            "volatility_used": status.volatility_factor_used,
        })
        return out

    async def refresh(self, *, forecast: bool = False) -> None:
        try:
            self.stats = stats_dict(await self.engine.autopilot_stats())
        except Exception as exc:  # a ledger hiccup leaves the previous figures on the page
            log.warning("autopilot figures not refreshed: %s", exc)
        if forecast:
            self._forecast_at = time.monotonic()
            try:
                f = await self.engine.volatility_forecast()
                self.forecast = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(f).items()}
            except Exception as exc:  # shown as a message, never a broken panel
                log.warning("volatility forecast unavailable: %s", exc)
                self.forecast = {"trained": False, "message_en": f"Volatility forecast unavailable: {exc}",
                                 "message_fr": f"Prévision de volatilité indisponible : {exc}"}

    async def run(self, stop: asyncio.Event, on_change: Any = None) -> None:
        while not stop.is_set():
            due = not self._forecast_at or time.monotonic() - self._forecast_at >= FORECAST_EVERY_S
            await self.refresh(forecast=due)
            if on_change is not None:
                on_change()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), STATS_EVERY_S)
