"""Mentor daily report: numbers against a hand-computed scripted paper session; lessons, setups,
FR/EN text, the ledger path, the CLI and sending through the alert manager to a fake Discord webhook."""
from __future__ import annotations

import argparse
import asyncio
from datetime import date, timedelta
from decimal import Decimal

import pytest

from assistant.mentor import (
    MentorError,
    RegimeTape,
    build_daily_report,
    parse_day,
    render_report,
    report_from_engine,
    report_from_ledger,
    spoken_summary,
)
from assistant.mentor.cli import report_command
from tests.mentor.session import DAY, EQUITY, EXPECTED, T0, scripted_session, session_config


@pytest.fixture
async def engine(tmp_path):
    eng = await scripted_session(tmp_path)
    yield eng
    await eng.stop()
    eng.close()


def check_numbers(report) -> None:
    m = report.metrics
    assert (m.trades, m.wins, m.losses) == (EXPECTED["trades"], EXPECTED["wins"], EXPECTED["losses"])
    assert m.win_rate == pytest.approx(EXPECTED["win_rate"])
    assert m.gross_profit == EXPECTED["gross_profit"] and m.gross_loss == EXPECTED["gross_loss"]
    assert m.net_pnl == EXPECTED["net"]
    assert m.profit_factor == pytest.approx(EXPECTED["profit_factor"])
    assert m.largest_win == EXPECTED["largest_win"] and m.largest_loss == EXPECTED["largest_loss"]
    assert m.max_drawdown == EXPECTED["max_drawdown"]
    assert m.max_drawdown_pct == pytest.approx(EXPECTED["max_drawdown_pct"])
    assert report.commissions == EXPECTED["commissions"]
    assert report.start_equity == Decimal("100000")


async def test_report_numbers_match_the_hand_computed_session(engine):
    # the engine recorded exactly the equity marks computed by hand
    assert [p.equity for p in engine.ledger.equity_curve()] == EQUITY
    report = await report_from_engine(engine, DAY)
    check_numbers(report)
    assert [t.pnl for t in report.trades] == [Decimal(x) for x in ("470.50", "470.50", "-659.00", "-229.50", "-129.50")]
    assert report.largest_loss_trade.quantity == 2 and report.largest_loss_trade.side.value == "SELL"
    assert report.avg_hold_win_s == 90 and report.avg_hold_loss_s == 80


async def test_setups_lessons_suggestions_and_celebrations_are_computed(engine):
    report = await report_from_engine(engine, DAY)
    assert report.setup_basis == "phase"  # no regime recorded: side x time of day
    assert report.best_setup.key == "long/open" and report.best_setup.net_pnl == Decimal("582.00")
    assert report.best_setup.trades == 4 and report.best_setup.wins == 2
    assert report.worst_setup.key == "short/open" and report.worst_setup.net_pnl == Decimal("-659.00")
    lessons = {lesson.code: lesson for lesson in report.lessons}
    # D came after B and C lost in a row; C and D re-entered within 2 minutes of a loss; B (2 lots) is oversized
    assert set(lessons) == {"after_losses", "revenge", "oversized"}
    assert lessons["after_losses"].trades == 1 and lessons["after_losses"].cost == Decimal("-129.50")
    assert lessons["revenge"].trades == 2 and lessons["revenge"].cost == Decimal("-359.00")
    assert lessons["oversized"].trades == 1 and lessons["oversized"].cost == Decimal("-659.00")
    assert "65%" in lessons["oversized"].text_en  # 659 of 1018 of losses
    # losers were NOT held longer (80 s vs 90 s) and no loss exceeded two average wins: no such lesson
    assert "held_losers" not in lessons and "big_loss" not in lessons
    assert [n.code for n in report.suggestions] == ["oversized", "revenge", "after_losses", "best_setup", "worst_setup"]
    assert [n.code for n in report.celebrations] == ["best_trade"]


async def test_regime_tape_groups_setups_by_regime_and_finds_trades_against_the_trend(engine, tmp_path):
    tape = RegimeTape(tmp_path / "tape")
    tape.record("ES", T0, "trend", +1)  # an up-trend for the whole session
    report = await report_from_engine(engine, DAY, tape)
    assert report.setup_basis == "regime"
    assert {s.key for s in report.setups} == {"long/trend", "short/trend"}
    against = next(lesson for lesson in report.lessons if lesson.code == "against_regime")
    assert against.trades == 1 and against.cost == Decimal("-659.00")  # the short against the up-trend
    # the tape persists and is read back by a new instance
    assert RegimeTape(tmp_path / "tape").at("ES", T0 + timedelta(minutes=5)) == ("trend", 1)
    assert RegimeTape(tmp_path / "tape").at("ES", T0 - timedelta(minutes=1)) is None


async def test_text_in_both_languages(engine):
    report = await report_from_engine(engine, DAY)
    en, fr = render_report(report, "en"), render_report(report, "fr").replace("\u202f", " ").replace("\u00a0", " ")
    assert "Win rate: 40.0%" in en and "Profit factor: 0.92" in en and "Largest loss: $659.00" in en
    assert "Largest drawdown: $1,018.00" in en and "Best setup: long at the open" in en
    assert "Taux de réussite : 40,0 %" in fr and "Facteur de profit : 0,92" in fr
    assert "Plus grosse perte : 659,00 $" in fr and "Meilleure configuration : achat à l'ouverture" in fr
    assert "Leçons des trades perdants" in fr and "Lessons from the losing trades" in en
    speech_fr = spoken_summary(report, "fr")
    # the summary is for the voice: figures in words
    assert speech_fr.startswith("Aujourd'hui : 5 trades, taux de réussite quarante pour cent")
    assert "moins soixante-dix-sept dollars" in speech_fr


async def test_ledger_report_equals_engine_report(tmp_path):
    eng = await scripted_session(tmp_path)
    live = await report_from_engine(eng, DAY)
    await eng.stop()
    eng.close()
    cfg = session_config(tmp_path)
    from_file = report_from_ledger(cfg)  # default day: the session of the last recorded market time
    assert from_file.day == DAY
    check_numbers(from_file)
    assert render_report(from_file, "en") == render_report(live, "en")
    assert report_from_ledger(cfg, "2026-11-17").metrics.trades == 0


def test_bad_dates_and_missing_ledger_have_clear_errors(tmp_path):
    with pytest.raises(MentorError, match="not a date: '18/11'"):
        parse_day("18/11", DAY)
    assert parse_day("hier", date(2026, 11, 16)) == date(2026, 11, 13)  # Monday -> Friday
    with pytest.raises(MentorError) as err:
        report_from_ledger(session_config(tmp_path))
    assert "no ledger" in err.value.message_en and "aucun registre" in err.value.message_fr


def test_empty_session_report():
    report = build_daily_report([], [], Decimal("100000"), DAY)
    assert report.metrics.trades == 0 and not report.lessons and not report.celebrations
    assert "No closed trade" in render_report(report, "en")
    assert "Aucun trade clôturé" in render_report(report, "fr")


async def test_cli_send_delivers_the_report_to_discord(tmp_path, monkeypatch, capsys):
    from tests.fakes.discord_webhook import FakeDiscordWebhook

    eng = await scripted_session(tmp_path)
    await eng.stop()
    eng.close()
    async with FakeDiscordWebhook(bucket_limit=None) as fake:
        monkeypatch.setenv("MIA_DISCORD_WEBHOOK_URL", fake.webhook_url)
        cfg = session_config(tmp_path)
        args = argparse.Namespace(date="2026-11-18", send=True, mode=None, lang="fr")
        # the command runs its own event loop: in a thread, while this loop serves the fake
        code = await asyncio.to_thread(report_command, args, cfg)
        assert code == 0
        delivered = fake.delivered
        assert len(delivered) == 1
        text = delivered[0].text.replace("\u202f", " ").replace("\u00a0", " ")
        assert "Rapport quotidien du 18/11/2026" in text and "Taux de réussite : 40,0 %" in text
        out = capsys.readouterr().out
        assert "Envoyé à : discord" in out
        # sending again is recognised as the same report: nothing new is queued
        code = await asyncio.to_thread(report_command, args, cfg)
        assert code == 0 and len(fake.delivered) == 1
    assert (tmp_path / "mentor" / "report_2026-11-18_fr.txt").exists()


def test_cli_without_channel_or_ledger(tmp_path, capsys, monkeypatch):
    for var in ("MIA_DISCORD_WEBHOOK_URL", "MIA_TELEGRAM_TOKEN", "MIA_TWILIO_ACCOUNT_SID"):
        monkeypatch.delenv(var, raising=False)
    cfg = session_config(tmp_path)
    args = argparse.Namespace(date=None, send=False, mode=None, lang="en")
    assert report_command(args, cfg) == 2
    assert "no ledger" in capsys.readouterr().err


async def test_end_of_session_report_is_sent_once_by_the_run_front_end(tmp_path):
    from assistant.mentor import SessionReporter
    from assistant.notify import AlertManager
    from assistant.notify.channels import DiscordChannel
    from assistant.notify.outbox import BackoffPolicy, Outbox
    from tests.fakes.discord_webhook import FakeDiscordWebhook

    eng = await scripted_session(tmp_path)
    try:
        async with FakeDiscordWebhook(bucket_limit=None) as fake:
            outbox = Outbox(tmp_path / "outbox.sqlite3", [DiscordChannel(fake.webhook_url, timeout_s=2.0)],
                            backoff=BackoffPolicy(base_s=0.02, max_s=0.2), poll_interval_s=0.1)
            manager = AlertManager(eng.config.alert_manager, outbox, language="en")
            await manager.start()
            try:
                silent = SessionReporter(eng, eng.config, None, "en")  # a run without alerts
                assert await silent.check() == []  # 10:12 ET: the session is still open
                # 17:05 ET, the daily break: the session is over; no alert manager -> saved, not sent
                eng.on_price("ES", 6020.0, T0 + timedelta(hours=7, minutes=5))
                assert await silent.check() == []
                assert (tmp_path / "mentor" / "report_2026-11-18_en.txt").exists()
                reporter = SessionReporter(eng, eng.config, manager, "en")
                assert await reporter.check() == [DAY]
                await fake.wait_delivered(1, timeout=5)
                assert "Daily report 2026-11-18" in fake.delivered[0].text and "Win rate: 40.0%" in fake.delivered[0].text
                assert await reporter.check() == []  # sent once
                eng.on_price("ES", 6020.0, T0 + timedelta(hours=8, minutes=5))  # 18:05 ET: next session
                assert await reporter.check() == []
                # a restart does not send it again either (marker file)
                assert await SessionReporter(eng, eng.config, manager, "en").send(DAY) is False
                assert len(fake.delivered) == 1
            finally:
                await manager.stop(drain_timeout=2)
    finally:
        await eng.stop()
        eng.close()


async def test_the_autopilot_section_separates_its_pnl_from_the_traders(tmp_path):
    """Trade A of the scripted session is the autopilot's (client id ap-<signal>); two signals refused."""
    from dataclasses import replace

    from tests.autopilot.test_stats import signal
    from trading_core.autopilot.types import SignalDecision
    from trading_core.types import OrderRequest, Side
    from tests.mentor.session import STEPS, play, start_engine

    eng = await start_engine(session_config(tmp_path))
    await play(eng, STEPS[:2])
    res = await eng.place_order(OrderRequest("ES", Side.BUY, 1, client_order_id="ap-SIG-A", source="autopilot"))
    assert res.accepted
    await play(eng, [(None, 0, 6010.0), (None, 0, 6018.0), (Side.SELL, 1, 6020.0)], start_minute=3)
    ts = T0 + timedelta(minutes=3)
    for s in (signal("SIG-A", 0, SignalDecision.EXECUTED, order_id=res.order.order_id),
              signal("R1", 1, SignalDecision.REFUSED, "FILTER_REJECTED"),
              signal("R2", 2, SignalDecision.EXPIRED, "DECLINED")):
        eng.ledger.record_signal(replace(s, ts=ts))
    report = await report_from_engine(eng, DAY)
    st = report.autopilot
    assert (st.signals, st.executed, st.refused, st.expired) == (3, 1, 1, 1)
    # A: +470.50 for the autopilot (even though the trader's sell closed it); E: +470.50 the trader's
    assert st.autopilot.net_pnl == Decimal("470.50") and st.manual.net_pnl == Decimal("470.50")
    en, fr = render_report(report, "en"), render_report(report, "fr")
    assert "Autopilot P&L: $470.50 over 1 trade(s)" in en and "Your own trades: $470.50" in en
    assert "ML filter said no: 1" in en and "declined by you: 1" in en and "Best signal: long 1 ES" in en
    assert "P&L du pilote automatique : 470,50\u00a0$ sur 1 trade(s)" in fr and "refusé par le filtre ML : 1" in fr
    assert "Pilote automatique : 1 signaux pris sur 3" in spoken_summary(report, "fr")
    cfg = session_config(tmp_path)
    await eng.stop()
    eng.close()
    assert report_from_ledger(cfg, DAY).autopilot == st
