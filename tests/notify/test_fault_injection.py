"""30 % of requests fail (500 / 429 / timeouts) on every channel at once: every message still arrives
exactly once per channel, in order."""
from __future__ import annotations

from assistant.notify.message import MessageStatus, NewMessage
from tests.fakes.discord_webhook import FakeDiscordWebhook
from tests.fakes.http_fake import FaultConfig
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.notify.helpers import (
    CHAT_ID,
    SMS_TO,
    TG_TOKEN,
    TW_SID,
    TW_TOKEN,
    discord_channel,
    make_outbox,
    sms_channel,
    telegram_channel,
)

N = 30
MARK = "[possible duplicate] "


async def test_thirty_percent_faults_exactly_once_in_order(tmp_path):
    # Telegram: a timeout loses the request (it has no idempotency key, so a timeout where Telegram
    # did handle the message would be an honest duplicate; see test_kill9 for that window).
    tg = FakeTelegramAPI(TG_TOKEN, faults=FaultConfig(rate=0.3, kinds=("500", "429", "timeout"), retry_after=1,
                                                      hang_s=3, seed=11))
    # Discord and Twilio: a timeout happens AFTER the service handled the message: only the
    # idempotency key (Discord fake) or the reconciliation by listing (Twilio) avoids a duplicate.
    dc = FakeDiscordWebhook(bucket_limit=None, faults=FaultConfig(rate=0.3, kinds=("500", "429", "timeout"),
                                                                  retry_after=0.2, hang_s=3,
                                                                  timeout_after_processing=True, seed=12))
    tw = FakeTwilioAPI(TW_SID, TW_TOKEN, faults=FaultConfig(rate=0.3, kinds=("500", "429", "503", "timeout"),
                                                            hang_s=3, timeout_after_processing=True, seed=13))
    async with tg, dc, tw:
        chans = [telegram_channel(tg, timeout_s=0.3), discord_channel(dc, timeout_s=0.3), sms_channel(tw, timeout_s=0.3)]
        async with make_outbox(tmp_path / "o.db", chans, send_timeout_s=0.3, max_attempts=12) as ob:
            batch = []
            for i in range(N):
                batch += [NewMessage("telegram", str(CHAT_ID), f"tg {i:02d}", f"t{i}"),
                          NewMessage("discord", "webhook", f"dc {i:02d}", f"d{i}"),
                          NewMessage("sms", SMS_TO, f"sms {i:02d}", f"s{i}")]
            ob.enqueue_many(batch)
            assert await ob.wait_idle(60)
            rows = ob.messages()

    # Faults really happened, of every kind, on every channel.
    for fake in (tg, dc, tw):
        failures = sum(n for outcome, n in fake.outcomes.items() if outcome != "ok")
        assert failures >= 6, (fake.name, fake.outcomes)
        assert fake.outcomes["timeout"] >= 1 and fake.outcomes["429"] >= 1, (fake.name, fake.outcomes)

    assert all(r.status is MessageStatus.SENT for r in rows)
    # Telegram: each text once, in order (a retry after a timeout carries the possible-duplicate mark).
    assert [t.removeprefix(MARK) for t in tg.sent_texts()] == [f"tg {i:02d}" for i in range(N)]
    # Discord: timeouts made the client resend with the same key; deduplicated, each message once.
    assert [r.text for r in dc.delivered] == [f"dc {i:02d}" for i in range(N)]
    assert len(dc.duplicates) == dc.outcomes["timeout"]
    originals = {r.text: r.key for r in dc.delivered}
    assert all(d.text.startswith(MARK) and originals[d.text.removeprefix(MARK)] == d.key for d in dc.duplicates)
    # SMS: not even a duplicate request: interrupted attempts were found in Twilio's message list.
    assert [r.text for r in tw.received] == [f"sms {i:02d}" for i in range(N)]
    assert tw.duplicates == [] and tw.list_calls == tw.outcomes["timeout"]
