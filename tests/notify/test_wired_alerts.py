"""Issue #15 item 9: the alerts the README promises fire from the real paths.

- stale market data: the engine's feed watchdog (`feed.stale_after_s`);
- a recogniser / microphone failure: `mia run`'s voice front end calls the alert manager, which sends it
  to Telegram (the fake Bot API, through the real aiohttp client);
- one Telegram rate limiter shared by the alert outbox and the chat bot, created by `mia run`."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from tests.rendering import en, fr
from assistant.notify.alerts import alert_from_event
from assistant.app.services import RunOptions, build_services
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramLimits
from tests.notify.helpers import CHAT_ID, TG_TOKEN
from trading_core.api import Engine
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.config import Secrets, load_config
from trading_core.instruments import get_instrument
from trading_core.marketdata.synthetic import SyntheticFeed
from trading_core.types import EventKind, Notice, Severity

WEDNESDAY = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)  # 10:00 New York, market open


async def _until(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
    return value


async def test_silent_market_data_raises_one_stale_alert(tmp_path):
    cfg = load_config(env={}, overrides={"data_dir": str(tmp_path), "feed": {"stale_after_s": 0.4}})
    # a paced market so slow that after its first quotes nothing more arrives
    feed = SyntheticFeed(("ES",), speed=0.001, live_from=WEDNESDAY)
    engine = Engine(cfg, PaperBroker(get_instrument), feed=feed, clock=MarketClock(), mode="paper")
    await engine.start()
    try:
        await _until(lambda: engine.has_current_price("ES"))
        stale = await _until(lambda: [e for e in engine.events_since(0, limit=None)
                                      if e.kind is EventKind.MARKET_DATA_STALE])
        await asyncio.sleep(1.0)
        # Once per silence, not every second: the paced feed may send its next quote within that second (it
        # depends on the time of day), and a new silence after the feed resumed is a new alert.
        seen = [e for e in engine.events_since(0, limit=None)
                if e.kind is EventKind.MARKET_DATA_STALE or getattr(e.payload, "notice", None) is Notice.FEED_RESUMED]
        kinds = [e.kind is EventKind.MARKET_DATA_STALE for e in seen]
        assert kinds[0] and all(not (a and b) for a, b in zip(kinds, kinds[1:])), seen
        assert stale[0].severity is Severity.CRITICAL
        assert "nothing received" in en(stale[0]) and "rien reçu" in fr(stale[0])
        alert = alert_from_event(stale[0])
        assert alert.priority >= 4 and alert.category.value == "market_data"
    finally:
        await engine.stop()
        engine.close()


async def test_a_missing_microphone_is_an_alert_on_the_channels(tmp_path):
    from assistant.voice.front import run_front_end

    async with FakeTelegramAPI(TG_TOKEN) as fake:
        cfg = load_config(env={}, overrides={
            "data_dir": str(tmp_path),
            "asr": {"input_device": "no-such-microphone-on-this-machine"},
            "alert_manager": {"telegram_chat_ids": [CHAT_ID], "telegram_api_base": fake.base_url,
                              "sms_enabled": False, "discord_enabled": False, "voice_alerts": False},
        })
        engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
        await engine.start(run_feed=False)
        services = build_services(engine, cfg, RunOptions(lang_setting="en", input="mic", speech=False), alerts=True,
                                  secrets=Secrets(telegram_token=TG_TOKEN))
        manager = services.alerts
        await services.start()
        try:
            await run_front_end(services)  # mic requested, none there: says so and returns
            sent = await _until(lambda: fake.sent_texts(CHAT_ID))
            assert "Speech recogniser failure" in sent[0] and "Voice input unavailable" in sent[0]
            assert "use Telegram or the CLI" in sent[0]
        finally:
            await services.close()
            await engine.stop()
            engine.close()


async def test_mia_run_shares_one_telegram_rate_limiter_between_alerts_and_the_chat_bot(tmp_path, monkeypatch):
    from assistant.notify.frontend import run_front_end as alerts_front_end
    from assistant.telegram_bot.cli import run_front_end as telegram_front_end

    # Telegram's pace (the fake's defaults): one message per second per chat after a burst of three.
    # Two senders each allowed their own burst of two would go past it and be refused with 429s.
    async with FakeTelegramAPI(TG_TOKEN, limits=TelegramLimits()) as fake:
        monkeypatch.setenv("MIA_TELEGRAM_TOKEN", TG_TOKEN)
        cfg = load_config(env={}, overrides={
            "data_dir": str(tmp_path),
            "telegram": {"allowed_chat_ids": [CHAT_ID], "api_base": fake.base_url},
            "alert_manager": {"telegram_chat_ids": [CHAT_ID], "sms_enabled": False, "discord_enabled": False,
                              "voice_alerts": False, "copy_answers": False},
        })
        engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
        await engine.start(run_feed=False)
        services = build_services(engine, cfg, RunOptions(lang_setting="fr", speech=False), lang="fr", alerts=True)
        stop = services.stop
        await services.start()
        bots: list = []
        import assistant.telegram_bot.bot as bot_module

        original = bot_module.TelegramChatBot.__init__

        def remember(self, *a, **kw):  # the bot the front end builds, to look at its limiter
            original(self, *a, **kw)
            bots.append(self)

        monkeypatch.setattr(bot_module.TelegramChatBot, "__init__", remember)
        tasks = [asyncio.create_task(alerts_front_end(services)), asyncio.create_task(telegram_front_end(services))]
        try:
            bot = (await _until(lambda: bots))[0]
            manager = services.alerts
            # `language: auto` and a French run: alerts before the trader's first word are in French
            assert cfg.language == "auto" and manager.language == "fr"
            limiter = services.telegram_limiter
            channel = manager.outbox._channels["telegram"]  # the outbox keeps its channels by name
            assert bot.limiter is limiter and channel.limiter is limiter
            await _until(lambda: any(m == "getUpdates" for m, _ in fake.calls), timeout=20)
            # an alert and chat replies for the same chat at once: paced together, never a 429
            await engine.halt("test")
            await engine.resume("test")
            for command in ("/status", "/pnl", "/positions"):
                fake.push_message(CHAT_ID, command)
            await _until(lambda: len(fake.sent_texts(CHAT_ID)) >= 5, timeout=20)
            assert fake.rate_limited == 0
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await services.close()
            await engine.stop()
            engine.close()
