"""Where the daily report comes from (a running engine, or the ledger file) and where it goes (the
written channels through the alert manager, and a text file under `<data_dir>/mentor/`)."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from assistant.mentor.regimes import RegimeTape
from assistant.mentor.render import render_report, spoken_summary
from assistant.mentor.report import DailyReport, build_daily_report
from trading_core import calendar as cme
from trading_core.config import MiaConfig
from trading_core.protocols import EngineAPI

log = logging.getLogger("mia.mentor")


class MentorError(Exception):
    """A report that cannot be made (no ledger, bad date), with a sentence in each language."""

    def __init__(self, message_en: str, message_fr: str) -> None:
        self.message_en, self.message_fr = message_en, message_fr
        super().__init__(message_en)

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


def parse_day(text: str | None, today: date) -> date:
    """`None` / "today" / "aujourd'hui" -> today; "yesterday" / "hier" -> the previous trading day;
    otherwise an ISO date (YYYY-MM-DD)."""
    if text is None or text.strip().lower() in ("today", "aujourd'hui", "aujourdhui"):
        return today
    word = text.strip().lower()
    if word in ("yesterday", "hier"):
        return _previous_weekday(today)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise MentorError(
            f"not a date: {text!r}; use YYYY-MM-DD, today or yesterday",
            f"date invalide : {text!r} ; utilisez AAAA-MM-JJ, aujourd'hui ou hier",
        ) from None


def _previous_weekday(day: date) -> date:
    """CME sessions are dated Monday to Friday."""
    d = day - timedelta(days=1)
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def session_today(clock_now: datetime) -> date:
    return cme.session_date(clock_now)


def regime_tape(config: MiaConfig) -> RegimeTape:
    return RegimeTape(config.data_path)


async def report_from_engine(engine: EngineAPI, day: date | None = None, tape: RegimeTape | None = None) -> DailyReport:
    """The report of `day` (default: the engine's current session) from the engine's closed trades and
    equity curve."""
    day = day or session_today(engine.now())
    tape = tape if tape is not None else regime_tape(engine.config)
    report = build_daily_report(
        engine.closed_trades(), engine.equity_curve(), engine.config.account.starting_balance, day, tape,
    )
    return replace(report, autopilot=await engine.autopilot_stats(day))


def ledger_path(config: MiaConfig, mode: str | None = None) -> Path:
    return config.data_path / f"ledger_{mode or config.mode}.sqlite3"


def report_from_ledger(config: MiaConfig, day: str | date | None = None, *, mode: str | None = None) -> DailyReport:
    """The report read from the ledger file alone (no engine, safe while `mia run` writes it: WAL readers
    do not block the writer). Default day: the session of the last market time the engine recorded."""
    from trading_core.autopilot.stats import ledger_stats
    from trading_core.instruments import get_instrument
    from trading_core.ledger import Ledger, LedgerError
    from trading_core.portfolio import Portfolio

    path = ledger_path(config, mode)
    if not path.exists():
        raise MentorError(
            f"no ledger at {path}: no trading recorded yet (start with: mia run --paper)",
            f"aucun registre à {path} : aucune activité enregistrée (commencez par : mia run --paper)",
        )
    try:
        ledger = Ledger(path, checkpoint_interval_s=None)
    except LedgerError as exc:
        raise MentorError(f"cannot read the ledger: {exc}", f"lecture du registre impossible : {exc}") from None
    try:
        last_ts = ledger.get_state("last_market_ts", None)
        now = datetime.fromisoformat(last_ts) if last_ts else datetime.now(timezone.utc)
        the_day = day if isinstance(day, date) else parse_day(day, session_today(now))
        portfolio = Portfolio.rebuild(ledger.fills(), get_instrument, config.account.starting_balance)
        report = build_daily_report(portfolio.closed_trades, ledger.equity_curve(), config.account.starting_balance,
                                    the_day, regime_tape(config))
        stats = ledger_stats(ledger, get_instrument, Decimal(config.account.starting_balance), the_day)
        return replace(report, autopilot=stats)
    finally:
        ledger.close()


async def daily_report_text(engine: EngineAPI, lang: str, day: date | None = None, *, spoken: bool = False) -> str:
    """For the dialogue and chat ("rapport du jour", "daily report"): the full text, or the spoken summary."""
    report = await report_from_engine(engine, day)
    return spoken_summary(report, lang) if spoken else render_report(report, lang)


def save_report(config: MiaConfig, report: DailyReport, lang: str) -> Path:
    out = config.data_path / "mentor"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"report_{report.day.isoformat()}_{lang}.txt"
    path.write_text(render_report(report, lang) + "\n", encoding="utf-8")
    return path


def report_alert(report: DailyReport, lang: str, priority: int = 2) -> Any:
    """The report as an alert for the written channels (category COPY: never spoken, priority of the
    answer copies). The key is per day and language: sending the same report twice enqueues nothing."""
    from assistant.notify.alerts import Alert, AlertCategory
    from assistant.present.text import Msg

    body = render_report(report, lang)
    # drop the first line of the body: it is the title
    rest = body.split("\n", 1)[1].lstrip("\n") if "\n" in body else body
    return Alert(
        key=f"mentor:daily:{report.day.isoformat()}:{lang}",
        priority=priority,
        category=AlertCategory.COPY,
        kind="DAILY_REPORT",
        title_msg=Msg(f"Daily report {report.day.isoformat()}",
                      f"Rapport quotidien du {report.day.strftime('%d/%m/%Y')}"),
        body_msg=Msg(rest, rest),
        ts=datetime.now(timezone.utc),
    )


async def send_report(report: DailyReport, manager: Any, lang: str | None = None) -> Any:
    """Publish the report through the alert manager (its durable outbox). Returns the AlertOutcome."""
    lang = lang or str(getattr(manager, "language", "en"))
    priority = getattr(getattr(manager, "config", None), "copy_priority", 2)
    return await manager.publish(report_alert(report, lang, priority), lang=lang)
