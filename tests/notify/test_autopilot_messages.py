"""Signals and autopilot trades are their own message kind on Telegram and Discord (through the real
channels and the fake servers): icon, title, the signal's figures; refusals are only logged; the
autopilot switched off by a halt is spoken and sent."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from assistant.autopilot.alerts import SIGNAL_ICON, TRADE_ICON
from assistant.notify.alerts import AlertCategory, alert_from_event
from assistant.notify.manager import AlertManager
from tests.autopilot.test_stats import signal
from tests.notify.helpers import CHAT_ID, RecordingSpeaker, discord_channel, make_outbox, telegram_channel
from tests.notify.test_routing import TS, cfg
from trading_core.autopilot.types import AutopilotMode, ModeChange, SignalDecision
from trading_core.types import EngineEvent, EventKind, Severity


def event(kind: EventKind, seq: int, payload, severity: Severity = Severity.INFO) -> EngineEvent:
    return EngineEvent(kind, severity, TS, payload, symbol="ES", seq=seq)


PROPOSED = replace(signal("AP-ES-1", 0, SignalDecision.PROPOSED, qty=2), decided_ts=TS, expires_ts=TS + timedelta(seconds=120))


@pytest.fixture
async def manager(tmp_path, tg_fake, dc_fake):
    speaker = RecordingSpeaker()
    chans = [telegram_channel(tg_fake), discord_channel(dc_fake)]
    am = AlertManager(cfg(telegram_chat_ids=[CHAT_ID]), make_outbox(tmp_path / "o.db", chans), speaker=speaker, language="fr")
    await am.start()
    yield am, speaker
    await am.stop()


async def test_signal_and_trade_messages_on_telegram_and_discord(manager, tg_fake, dc_fake):
    am, speaker = manager
    await am.handle_event(event(EventKind.AUTOPILOT_PROPOSAL, 1, PROPOSED))
    executed = replace(PROPOSED, decision=SignalDecision.EXECUTED, mode="auto", order_id="O-1")
    await am.handle_event(event(EventKind.AUTOPILOT_EXECUTED, 2, executed))
    refused = signal("AP-ES-2", 1, SignalDecision.REFUSED, "FILTER_REJECTED")
    out = await am.handle_event(event(EventKind.AUTOPILOT_REFUSED, 3, refused))
    assert out.plan.deliveries == ()  # logged only
    assert await am.outbox.wait_idle(5)
    texts = tg_fake.sent_texts(CHAT_ID)
    assert texts == [
        f"{SIGNAL_ICON} Signal du pilote automatique — confirmation requise\nlong 2 ES à 5\u202f000,00, stop "
        "4\u202f996,00, objectif 5\u202f008,00 — score +0,40, confiance 0,80, filtre ML 0,64. Confirmez à la voix ou "
        "avec les boutons Telegram sous 120 s.",
        f"{TRADE_ICON} Trade du pilote automatique\nlong 2 ES à 5\u202f000,00, stop 4\u202f996,00, objectif 5\u202f008,00 "
        "— score +0,40, confiance 0,80, filtre ML 0,64. Ordre bracket envoyé (mode automatique).",
    ]
    assert [r.text for r in dc_fake.delivered] == texts
    assert speaker.events == []  # the voice front reads proposals back and announces auto trades itself


async def test_the_autopilot_switched_off_by_a_halt_is_spoken_and_sent(manager, tg_fake):
    am, speaker = manager
    off = ModeChange(AutopilotMode.PROPOSE, AutopilotMode.OFF, "halt")
    out = await am.handle_event(event(EventKind.AUTOPILOT_MODE, 4, off, Severity.WARNING))
    assert out.spoken and await am.outbox.wait_idle(5)
    assert tg_fake.sent_texts(CHAT_ID) == [f"{TRADE_ICON} Pilote automatique\nPilote automatique désactivé : le trading a été arrêté."]
    by_user = alert_from_event(event(EventKind.AUTOPILOT_MODE, 5, replace(off, reason="user")))
    assert by_user.priority == 2 and by_user.category is AlertCategory.AUTOPILOT
