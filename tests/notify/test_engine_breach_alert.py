"""A real daily-loss-limit breach in the engine produces an urgent spoken WAV and SMS + Telegram
copies, through the real alert manager, outbox and client libraries against the loopback fakes."""
from __future__ import annotations

import asyncio
import wave
from datetime import datetime, timedelta, timezone

import numpy as np

from assistant.notify.manager import AlertManager
from assistant.speech import make_speaker
from tests.notify.helpers import CHAT_ID, SMS_TO, make_outbox, sms_channel, telegram_channel
from trading_core.api import Engine
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.config import AlertManagerConfig, load_config
from trading_core.instruments import get_instrument
from trading_core.types import OrderRequest, Side, TradingState

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)  # a Wednesday, market open


async def test_forced_daily_loss_breach_is_spoken_urgently_and_sent_by_sms_and_telegram(tmp_path, tg_fake, tw_fake):
    cfg = load_config(env={}, overrides={"data_dir": str(tmp_path / "data"), "language": "en",
                                         "risk": {"daily_loss_limit": 1000}})
    engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
    speaker = make_speaker(cfg, "wav", out_dir=tmp_path / "spoken")
    am_cfg = AlertManagerConfig(telegram_chat_ids=[CHAT_ID], sms_to=SMS_TO, sms_from="+15550001111")
    manager = AlertManager(am_cfg, make_outbox(tmp_path / "outbox.db", [telegram_channel(tg_fake), sms_channel(tw_fake)]),
                           speaker=speaker, language="en")
    await engine.start(run_feed=False)
    await manager.start()
    consumer = asyncio.create_task(manager.consume(engine.subscribe()))
    try:
        engine.on_price("ES", 6000.0, T0)
        await engine.place_order(OrderRequest("ES", Side.BUY, 2))
        engine.on_price("ES", 6000.0, T0 + timedelta(seconds=1))  # filled at 6000.25
        engine.on_price("ES", 5989.0, T0 + timedelta(seconds=2))  # -$1 125: breach
        for _ in range(50):
            await asyncio.sleep(0.02)
            engine.on_price("ES", 5989.0, T0 + timedelta(seconds=3))  # lets the flattening order fill
            if engine.state is TradingState.HALTED and not await engine.positions():
                break
        assert engine.state is TradingState.HALTED and await engine.positions() == []
        await asyncio.sleep(0.2)
        await manager.speech_idle()
        assert await manager.outbox.wait_idle(10)
        assert speaker.flush(30)
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        await manager.stop()
        await engine.stop()
        engine.close()
        speaker.close()

    urgent = [item for item in speaker.spoken if item.profile == "urgent"]
    assert urgent and "loss limit" in urgent[0].text.lower()
    with wave.open(str(urgent[0].path)) as w:
        frames = w.readframes(w.getnframes())
        duration = w.getnframes() / w.getframerate()
    assert duration > 1.0 and np.abs(np.frombuffer(frames, np.int16)).max() > 1000  # real, non-silent speech
    sms = [r.text for r in tw_fake.delivered]
    telegram = tg_fake.sent_texts(CHAT_ID)
    assert any("loss limit" in t.lower() for t in sms)
    assert any("loss limit" in t.lower() for t in telegram)
