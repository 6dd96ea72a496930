"""The mentor: daily report (results, best / worst setup, lessons from losing trades, suggestions and
celebrations) in French or English, sent at the end of each session and on demand.

    report = await report_from_engine(engine)            # or report_from_ledger(config, "2026-11-18")
    text = render_report(report, "fr")                   # chat / e-mail / terminal
    speech = spoken_summary(report, "fr")                # voice
    await send_report(report, alert_manager, "fr")       # the written channels
"""
from assistant.mentor.daily import (
    MentorError,
    daily_report_text,
    parse_day,
    report_alert,
    report_from_engine,
    report_from_ledger,
    save_report,
    send_report,
)
from assistant.mentor.frontend import SessionReporter, run_mentor
from assistant.mentor.regimes import RegimeTape, trend_direction
from assistant.mentor.render import render_report, spoken_summary
from assistant.mentor.report import DailyReport, Lesson, Note, Setup, build_daily_report

__all__ = [
    "DailyReport", "Lesson", "MentorError", "Note", "RegimeTape", "SessionReporter", "Setup", "build_daily_report",
    "daily_report_text", "parse_day", "render_report", "report_alert", "report_from_engine", "report_from_ledger",
    "run_mentor", "save_report", "send_report", "spoken_summary", "trend_direction",
]
