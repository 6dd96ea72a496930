"""Routing by priority and config, and the alert manager end to end: spoken alerts (urgent profile,
pre-emption), SMS only for high priorities, copies of answers, replayed events."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from assistant.notify.alerts import Alert, AlertCategory
from assistant.notify.manager import AlertManager
from assistant.notify.router import CALM, URGENT, Delivery, route
from tests.notify.helpers import (
    CHAT_ID,
    SMS_TO,
    RecordingSpeaker,
    discord_channel,
    email_channel,
    make_outbox,
    sms_channel,
    telegram_channel,
)
from trading_core.config import AlertManagerConfig
from assistant.present.text import msg
from trading_core.types import (
    ConnectionChange,
    EngineEvent,
    EventKind,
    Fill,
    FillEvent,
    Order,
    OrderStatus,
    OrderType,
    Severity,
    Side,
    StateChange,
    TradingState,
)

TS = datetime(2026, 11, 20, 14, 30, tzinfo=timezone.utc)
ALL = ("telegram", "discord", "sms", "email")


def cfg(**kw) -> AlertManagerConfig:
    base = dict(telegram_chat_ids=[CHAT_ID, 99], sms_to=SMS_TO, sms_from="+15550001111", email_enabled=True,
                email_to="t@example.org")
    base.update(kw)
    return AlertManagerConfig(**base)


def alert(priority: int, category: AlertCategory = AlertCategory.RISK) -> Alert:
    return Alert(f"k{priority}", priority, category, "X", msg("Title", "Titre"), msg("body", "corps"), TS)


def test_priority_3_goes_to_telegram_and_discord_only():
    plan = route(alert(3), cfg(), ALL)
    assert plan.deliveries == (Delivery("telegram", str(CHAT_ID)), Delivery("telegram", "99"), Delivery("discord", "webhook"))
    assert not plan.speak and plan.voice_profile is None and not plan.preempt


def test_priority_4_adds_sms_and_calm_voice_without_preemption():
    plan = route(alert(4), cfg(), ALL)
    assert plan.channels() == {"telegram", "discord", "sms", "email"}
    assert (plan.speak, plan.voice_profile, plan.preempt) == (True, CALM, False)


def test_priority_5_preempts():
    plan = route(alert(5), cfg(), ALL)
    assert (plan.speak, plan.voice_profile, plan.preempt) == (True, URGENT, True)
    assert Delivery("sms", SMS_TO) in plan.deliveries


def test_thresholds_and_switches_from_config():
    assert not route(alert(5), cfg(voice_alerts=False), ALL).speak
    assert "sms" not in route(alert(5), cfg(sms_enabled=False), ALL).channels()
    assert "sms" not in route(alert(4), cfg(sms_min_priority=5), ALL).channels()
    assert "email" not in route(alert(3), cfg(), ALL).channels()  # email_min_priority 4 by default
    low = route(alert(3), cfg(priority_threshold=2), ALL)
    assert (low.speak, low.voice_profile, low.preempt) == (True, CALM, False)
    assert route(alert(1), cfg(priority_threshold=1), ALL).deliveries == ()  # priority 1: log (and voice) only
    assert "telegram" not in route(alert(4), cfg(telegram_enabled=False), ALL).channels()
    # Enabled but not built (no secret): skipped.
    assert route(alert(5), cfg(), {"discord"}).channels() == {"discord"}


def test_copies_are_never_spoken_and_skip_their_source_channel():
    copy = Alert("c", 4, AlertCategory.COPY, "ANSWER_COPY", msg("Voice command", "Commande vocale"), msg("b"), TS)
    plan = route(copy, cfg(), ALL, exclude=("telegram",))
    assert not plan.speak and "telegram" not in plan.channels() and "discord" in plan.channels()


# -- the alert manager end to end ------------------------------------------------------------------


def halted() -> EngineEvent:
    return EngineEvent(EventKind.STATE_CHANGE, Severity.CRITICAL, TS,
                       StateChange(TradingState.ACTIVE, TradingState.HALTED, "daily loss limit"), seq=501)


def fill() -> EngineEvent:
    order = Order("O-1", "C-1", "ES", Side.BUY, 2, OrderType.MARKET, OrderStatus.FILLED, TS)
    return EngineEvent(EventKind.FILL, Severity.INFO, TS,
                       FillEvent(Fill("F-1", "O-1", "ES", Side.BUY, 2, 5012.25, Decimal("4.50"), TS), order), "ES", 500)


@pytest.fixture
async def manager(tmp_path, tg_fake, dc_fake, tw_fake):
    speaker = RecordingSpeaker()
    chans = [telegram_channel(tg_fake), discord_channel(dc_fake), sms_channel(tw_fake)]
    am = AlertManager(cfg(telegram_chat_ids=[CHAT_ID]), make_outbox(tmp_path / "o.db", chans), speaker=speaker, language="fr")
    await am.start()
    yield am, speaker
    await am.stop()


async def test_daily_loss_halt_is_spoken_urgently_and_sent_by_sms_telegram_discord(manager, tg_fake, dc_fake, tw_fake):
    am, speaker = manager
    speaker.say("position update", "fr", CALM)  # something already queued in the speaker
    outcome = await am.handle_event(halted())
    await am.speech_idle()
    assert await am.outbox.wait_idle(5)

    assert outcome.spoken and outcome.plan.preempt and len(outcome.enqueued) == 3
    assert speaker.events[1:] == [
        ("preempt",),
        ("say", "Trading arrêté. Trading arrêté : aucun nouvel ordre. La fermeture des positions reste possible.", "fr", URGENT),
    ]
    assert tg_fake.sent_texts(CHAT_ID) == ["🚨 Trading arrêté\nTrading arrêté : aucun nouvel ordre. La fermeture des positions reste possible."]
    assert [r.text for r in dc_fake.delivered] == tg_fake.sent_texts(CHAT_ID)
    assert [r.text for r in tw_fake.delivered] == ["MIA: Trading arrêté - Trading arrêté : aucun nouvel ordre. La fermeture des positions reste possible."]


async def test_fill_goes_to_telegram_and_discord_not_sms_nor_voice(manager, tg_fake, dc_fake, tw_fake):
    am, speaker = manager
    outcome = await am.handle_event(fill())
    assert await am.outbox.wait_idle(5)
    assert not outcome.spoken and speaker.events == []
    assert tg_fake.sent_texts() == ["🔔 Exécution\nExécuté : achat de 2 ES à 5\u202f012,25."]
    assert len(dc_fake.delivered) == 1 and tw_fake.received == []


async def test_replayed_event_is_neither_resent_nor_spoken_again(manager, tg_fake):
    am, speaker = manager
    first = await am.handle_event(halted())
    again = await am.handle_event(halted())
    await am.speech_idle()
    assert await am.outbox.wait_idle(5)
    assert len(first.enqueued) == 3 and again.enqueued == () and again.already_known == 3
    assert not again.spoken and len(speaker.said) == 1
    assert len(tg_fake.received) == 1


async def test_copy_answer_goes_to_written_channels_and_sets_language(manager, tg_fake, dc_fake, tw_fake):
    am, speaker = manager
    await am.copy_answer("buy two ES", "Bought 2 ES at 5012.25.", "en", "voice")
    await am.copy_answer("/status", "All good.", "en", "telegram")  # already answered in the chat
    assert await am.outbox.wait_idle(5)
    assert tg_fake.sent_texts() == ["ℹ️ Voice command\n“buy two ES”\n→ Bought 2 ES at 5012.25."]
    assert [r.text for r in dc_fake.delivered] == [
        "ℹ️ Voice command\n“buy two ES”\n→ Bought 2 ES at 5012.25.",
        "ℹ️ Telegram command\n“/status”\n→ All good.",
    ]
    assert tw_fake.received == [] and speaker.events == []
    assert am.language == "fr"  # configured "fr": a command in English does not switch the alerts


async def test_auto_language_follows_the_trader(tmp_path, tg_fake):
    am = AlertManager(cfg(telegram_chat_ids=[CHAT_ID]), make_outbox(tmp_path / "o.db", [telegram_channel(tg_fake)]),
                      language="auto", default_language="en")
    async with am:
        await am.handle_event(fill())
        await am.copy_answer("achète deux ES", "Achat de 2 ES.", "fr", "voice")
        await am.handle_event(EngineEvent(EventKind.BROKER_DISCONNECTED, Severity.WARNING, TS,
                                          ConnectionChange(False, "IB lost"), seq=9))
        assert await am.outbox.wait_idle(5)
    assert tg_fake.sent_texts() == [
        "🔔 Fill\nFilled: buy 2 ES at 5,012.25.",
        "ℹ️ Commande vocale\n« achète deux ES »\n→ Achat de 2 ES.",
        "⚠️ Courtier déconnecté\nCourtier déconnecté : IB lost",
    ]


async def test_recogniser_failure_is_spoken_and_texted(manager, tw_fake):
    am, speaker = manager
    outcome = await am.recogniser_failure("Microphone disconnected.", "Micro débranché.")
    await am.speech_idle()
    assert await am.outbox.wait_idle(5)
    assert outcome.alert.priority == 4 and speaker.said[0][2] == CALM
    assert tw_fake.received[0].text.startswith("MIA: Échec de la reconnaissance vocale - Micro débranché.")


async def test_a_broken_speaker_does_not_stop_written_alerts(tmp_path, tg_fake, caplog):
    class BrokenSpeaker:
        def say(self, text, lang, profile):
            raise RuntimeError("no audio device")

        def preempt(self):
            raise RuntimeError("no audio device")

    am = AlertManager(cfg(telegram_chat_ids=[CHAT_ID]), make_outbox(tmp_path / "o.db", [telegram_channel(tg_fake)]),
                      speaker=BrokenSpeaker(), language="en")
    caplog.set_level(logging.WARNING, logger="mia.notify.alerts")
    async with am:
        await am.handle_event(halted())
        await am.speech_idle()
        assert await am.outbox.wait_idle(5)
    assert tg_fake.sent_texts() == ["🚨 Trading halted\nTrading halted: no new orders. Closing positions is still allowed."]
    assert "no audio device" in caplog.text


async def test_email_copy_of_critical_alert(tmp_path, smtp_server):
    sink, host, port = smtp_server
    am = AlertManager(cfg(email_to="desk@example.org"), make_outbox(tmp_path / "o.db", [email_channel(host, port)]), language="en")
    async with am:
        await am.handle_event(halted())
        await am.handle_event(fill())  # priority 3: below email_min_priority
        assert await am.outbox.wait_idle(5)
    (mail,) = sink.messages
    assert mail["Subject"] == "[MIA P5] Trading halted" and mail["To"] == "desk@example.org"


def test_speaker_must_have_say(tmp_path):
    class Mute:
        def preempt(self): ...

    with pytest.raises(TypeError, match="say"):
        AlertManager(cfg(), make_outbox(tmp_path / "o.db", []), speaker=Mute())


async def test_with_the_real_speech_module(tmp_path, tg_fake):
    """assistant.speech's Speaker has say() only, and pre-empts by itself on the urgent profile."""
    speech = pytest.importorskip("assistant.speech.base")
    speaker = speech.NullSpeaker()  # records what it would have said
    try:
        am = AlertManager(cfg(telegram_chat_ids=[CHAT_ID]), make_outbox(tmp_path / "o.db", [telegram_channel(tg_fake)]),
                          speaker=speaker, language="en")
        async with am:
            await am.handle_event(halted())
            await am.speech_idle()
        assert speaker.flush(5)
    finally:
        speaker.close()
    assert [(i.text, i.lang, i.profile) for i in speaker.spoken] == [
        ("Trading halted. Trading halted: no new orders. Closing positions is still allowed.", "en", URGENT)
    ]


async def test_spoken_alerts_are_echoed_once_for_the_terminal(tmp_path, tg_fake):
    # `mia run` shows each alert that is spoken as a line of its terminal, with or without a voice.
    shown: list[tuple[str, str]] = []
    for speaker in (RecordingSpeaker(), None):
        shown.clear()
        am = AlertManager(cfg(telegram_chat_ids=[CHAT_ID]), make_outbox(tmp_path / f"o{speaker is None}.db",
                                                                        [telegram_channel(tg_fake)]),
                          speaker=speaker, language="en", echo=lambda text, lang: shown.append((text, lang)))
        async with am:
            await am.handle_event(halted())
            await am.handle_event(halted())  # the same event again: neither spoken nor shown twice
            await am.speech_idle()
            assert await am.outbox.wait_idle(5)
        assert shown == [("Trading halted. Trading halted: no new orders. Closing positions is still allowed.", "en")]
