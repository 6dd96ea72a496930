"""Each channel delivers through its real client library (aiogram, aiohttp, twilio, smtplib) to a
loopback fake, and turns the service's refusals into dead letters with a clear reason."""
from __future__ import annotations

from assistant.notify.message import MessageStatus
from tests.notify.helpers import (
    CHAT_ID,
    SMS_FROM,
    SMS_TO,
    discord_channel,
    email_channel,
    make_outbox,
    sms_channel,
    telegram_channel,
)


async def test_telegram_delivers_with_aiogram(tmp_path, tg_fake):
    async with make_outbox(tmp_path / "o.db", [telegram_channel(tg_fake)]) as ob:
        ids = [ob.enqueue("telegram", str(CHAT_ID), f"🔔 Fill\nBought {i} ES", dedup_key=f"k{i}") for i in (1, 2)]
        assert await ob.wait_idle(5)
        rows = [ob.store.get(i) for i in ids]
    assert tg_fake.sent_texts(CHAT_ID) == ["🔔 Fill\nBought 1 ES", "🔔 Fill\nBought 2 ES"]
    assert [r.status for r in rows] == [MessageStatus.SENT, MessageStatus.SENT]
    # The Telegram message_id comes back and is kept.
    assert [r.remote_id for r in rows] == [str(tg_fake.received[0].payload["message_id"]), str(tg_fake.received[1].payload["message_id"])]
    assert all(r.attempts == 1 for r in rows)


async def test_discord_delivers_json_webhook(tmp_path, dc_fake):
    async with make_outbox(tmp_path / "o.db", [discord_channel(dc_fake)]) as ob:
        msg_id = ob.enqueue("discord", "webhook", "⚠️ Broker disconnected @everyone", dedup_key="d1")
        assert await ob.wait_idle(5)
        row = ob.store.get(msg_id)
    (rec,) = dc_fake.received
    assert rec.text == "⚠️ Broker disconnected @everyone"
    assert rec.payload["allowed_mentions"] == {"parse": []}  # transcripts can never ping the server
    assert rec.key == row.idempotency_key
    assert row.status is MessageStatus.SENT and row.remote_id and row.remote_id.isdigit()


async def test_discord_long_text_is_truncated_not_refused(tmp_path, dc_fake):
    async with make_outbox(tmp_path / "o.db", [discord_channel(dc_fake)]) as ob:
        ob.enqueue("discord", "webhook", "x" * 2500, dedup_key="long")
        assert await ob.wait_idle(5)
    assert len(dc_fake.received[0].text) == 2000 and dc_fake.received[0].text.endswith("…")


async def test_sms_delivers_with_twilio_client(tmp_path, tw_fake):
    async with make_outbox(tmp_path / "o.db", [sms_channel(tw_fake)]) as ob:
        msg_id = ob.enqueue("sms", SMS_TO, "MIA: Trading halted - daily loss limit", dedup_key="s1")
        assert await ob.wait_idle(5)
        row = ob.store.get(msg_id)
    (rec,) = tw_fake.received
    assert (rec.recipient, rec.text, rec.payload["From"]) == (SMS_TO, "MIA: Trading halted - daily loss limit", SMS_FROM)
    assert rec.key == row.idempotency_key
    assert row.status is MessageStatus.SENT and row.remote_id == tw_fake.messages[0]["sid"]


async def test_email_delivers_to_aiosmtpd(tmp_path, smtp_server):
    sink, host, port = smtp_server
    async with make_outbox(tmp_path / "o.db", [email_channel(host, port)]) as ob:
        msg_id = ob.enqueue(
            "email", "trader@example.org", "🚨 Trading halted\nDaily loss limit reached.",
            subject="[MIA P5] Trading halted", dedup_key="e1",
        )
        assert await ob.wait_idle(5)
        row = ob.store.get(msg_id)
    (mail,) = sink.messages
    assert mail["Subject"] == "[MIA P5] Trading halted"
    assert mail["To"] == "trader@example.org" and mail["From"] == "mia@example.org"
    assert mail["Message-ID"] == f"<{row.idempotency_key}@mia.local>"
    assert "Daily loss limit reached." in mail.get_payload(decode=True).decode()
    assert sink.envelopes == [("mia@example.org", ["trader@example.org"])]
    assert row.status is MessageStatus.SENT


async def test_email_permanent_refusal_is_dead_lettered(tmp_path, smtp_server):
    sink, host, port = smtp_server
    sink.refuse_with = "554 Transaction failed: policy"
    async with make_outbox(tmp_path / "o.db", [email_channel(host, port)]) as ob:
        msg_id = ob.enqueue("email", "trader@example.org", "hello", dedup_key="e1")
        assert await ob.wait_idle(5)
        row = ob.store.get(msg_id)
    assert row.status is MessageStatus.DEAD and row.attempts == 1
    assert "554" in row.last_error


async def test_refusals_become_dead_letters_with_reasons(tmp_path, tg_fake, dc_fake, tw_fake):
    tg_fake.blocked_chats.add(777)
    channels = [telegram_channel(tg_fake), discord_channel(dc_fake), sms_channel(tw_fake)]
    dc_fake.token = "rotated-token"  # the webhook URL we hold is no longer valid
    async with make_outbox(tmp_path / "o.db", channels) as ob:
        t = ob.enqueue("telegram", "777", "hello", dedup_key="t")
        d = ob.enqueue("discord", "webhook", "hello", dedup_key="d")
        s = ob.enqueue("sms", "0612", "hello", dedup_key="s")  # not E.164
        assert await ob.wait_idle(5)
        rows = {name: ob.store.get(i) for name, i in (("t", t), ("d", d), ("s", s))}
    assert all(r.status is MessageStatus.DEAD and r.attempts == 1 for r in rows.values())
    assert "blocked" in rows["t"].last_error
    assert "401" in rows["d"].last_error and "MIA_DISCORD_WEBHOOK_URL" in rows["d"].last_error
    assert "21211" in rows["s"].last_error
    assert tg_fake.received == [] and dc_fake.received == [] and tw_fake.received == []


async def test_unreachable_service_is_retried_not_lost(tmp_path):
    from tests.fakes.telegram_api import FakeTelegramAPI

    fake = FakeTelegramAPI()
    await fake.start()
    port = fake.port
    await fake.stop()  # nothing listens on that port any more
    ch = telegram_channel(fake)
    ch.api_base = f"http://127.0.0.1:{port}"
    async with make_outbox(tmp_path / "o.db", [ch], max_attempts=2) as ob:
        msg_id = ob.enqueue("telegram", str(CHAT_ID), "hello", dedup_key="x")
        assert await ob.wait_idle(5)
        row = ob.store.get(msg_id)
    assert row.status is MessageStatus.DEAD and row.attempts == 2
    assert "network" in row.last_error
    assert not row.in_doubt  # a refused connection means nothing was sent
