"""`mia run` front end of the mentor: records the market regime over time (when the intelligence models
are loaded) and sends the daily report to the written channels at the end of each session.

End of session: the first check after the CME daily close (17:00 ET) of a session with trades, or the
first check in a new session for a previous one not sent yet. A marker file per session
(`<data_dir>/mentor/sent_<date>`) makes sure a restart does not send the same report twice.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from assistant.mentor.daily import regime_tape, report_from_engine, save_report, send_report
from assistant.mentor.regimes import RegimeTape, trend_direction
from trading_core import calendar as cme
from trading_core.protocols import EngineAPI

if TYPE_CHECKING:
    from assistant.app.services import Services
    from assistant.notify.manager import AlertManager

log = logging.getLogger("mia.mentor")

CHECK_INTERVAL_S = 30.0


class SessionReporter:
    """Decides when a session's report is due and sends it once."""

    def __init__(self, engine: EngineAPI, config: Any, alerts: AlertManager | None, lang: str) -> None:
        self.engine, self.config, self.alerts, self.lang = engine, config, alerts, lang
        self.tape: RegimeTape = regime_tape(config)
        self._current: date | None = None
        self.dir = config.data_path / "mentor"

    def _marker(self, day: date):
        return self.dir / f"sent_{day.isoformat()}"

    def _has_trades(self, day: date) -> bool:
        return any(cme.session_date(t.closed_ts) == day for t in self.engine.closed_trades())

    async def send(self, day: date) -> bool:
        """Save and send the report of `day`; False when there was nothing to send or no alert manager."""
        if self._marker(day).exists() or not self._has_trades(day):
            return False
        manager = self.alerts
        lang = getattr(manager, "language", None) or self.lang
        report = await report_from_engine(self.engine, day, self.tape)
        path = save_report(self.config, report, lang)
        if manager is None:
            log.warning("daily report %s saved to %s; no alert manager to send it", day, path)
            return False
        outcome = await send_report(report, manager, lang)
        if outcome.error is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._marker(day).write_text(",".join(sorted(outcome.plan.channels())) + "\n", encoding="utf-8")
            log.info("daily report %s sent to %s", day, ",".join(sorted(outcome.plan.channels())) or "no channel")
            return True
        return False

    async def check(self) -> list[date]:
        """One check; returns the sessions whose report was sent."""
        now = self.engine.now()
        today = cme.session_date(now)
        due: list[date] = []
        if self._current is not None and today != self._current:
            due.append(self._current)
        self._current = today
        if not cme.is_market_open(now):
            due.append(today)
        sent = []
        for day in due:
            if await self.send(day):
                sent.append(day)
        return sent

    async def sample_regime(self) -> None:
        """Record the regime of the main market when the intelligence service is already loaded (never
        load it from here: the first load trains models for seconds)."""
        if not self.engine.intelligence_loaded:
            return
        market = self.config.market
        info = await self.engine.regime(market)
        direction = trend_direction([b.close for b in self.engine.bars(market)])
        if info.regime != "unknown":
            self.tape.record(market, self.engine.now(), info.regime, direction)


async def run_mentor(services: Services) -> None:
    reporter = SessionReporter(services.engine, services.config, services.alerts, services.lang)
    stop = services.stop
    while not stop.is_set():
        try:
            await reporter.sample_regime()
            await reporter.check()
        except Exception:  # the mentor must never take `mia run` down
            log.exception("mentor check failed")
        try:
            await asyncio.wait_for(stop.wait(), CHECK_INTERVAL_S)
        except asyncio.TimeoutError:
            pass
