"""Outbox behaviour: durability, dedup, FIFO, retries (429 / 5xx / timeouts), dead letters, rate limits."""
from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from assistant.notify.message import MessageStatus, NewMessage
from assistant.notify.outbox import Outbox, OutboxBusyError, OutboxError, OutboxStore
from assistant.notify.ratelimit import TelegramRateLimiter, TokenBucket
from tests.fakes.discord_webhook import FakeDiscordWebhook
from tests.fakes.http_fake import FaultConfig
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramLimits
from tests.notify.helpers import (
    CHAT_ID,
    SMS_TO,
    TG_TOKEN,
    discord_channel,
    make_outbox,
    sms_channel,
    telegram_channel,
)


def _gap_after(log: list[tuple[float, str]], failed: str) -> float:
    """Seconds between the first `failed` outcome and the next successful request."""
    t_fail = next(t for t, o in log if o == failed)
    return next(t for t, o in log if o == "ok" and t > t_fail) - t_fail


# -- durability and dedup ------------------------------------------------------------------------


def test_enqueue_is_durable_and_deduplicated(tmp_path):
    path = tmp_path / "o.db"
    store = OutboxStore(path)
    ids = store.enqueue_many([NewMessage("telegram", "1", "a", "k1"), NewMessage("discord", "webhook", "b", "k2")])
    again = store.enqueue_many([NewMessage("telegram", "1", "a (replayed)", "k1")])
    # Enqueue commits with synchronous=FULL, then the connection goes back to NORMAL for state marks.
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 1
    store.close()
    assert None not in ids and again == [None]
    # A fresh connection (a new process would do the same) sees exactly what was committed.
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = db.execute("SELECT dedup_key, body, status FROM outbox ORDER BY id").fetchall()
    assert rows == [("k1", "a", "pending"), ("k2", "b", "pending")]


def test_bad_messages_are_refused_clearly_and_lose_nothing(tmp_path):
    ob = Outbox(tmp_path / "o.db")
    ok_id = ob.enqueue("telegram", "1", "kept", dedup_key="ok")
    with pytest.raises(OutboxError, match="empty body"):
        ob.enqueue("telegram", "1", "   ", dedup_key="empty")
    with pytest.raises(OutboxError, match="priority 9"):
        ob.enqueue("telegram", "1", "x", dedup_key="p", priority=9)
    with pytest.raises(OutboxError, match="unknown channel 'pigeon'"):
        ob.enqueue("pigeon", "1", "x", dedup_key="c")
    with pytest.raises(OutboxError, match="no dedup key"):
        ob.enqueue("telegram", "1", "x", dedup_key="")
    # A batch with one bad message is refused whole: nothing half-written.
    with pytest.raises(OutboxError):
        ob.enqueue_many([NewMessage("telegram", "1", "good", "g"), NewMessage("telegram", "1", "", "bad")])
    assert [m.id for m in ob.messages()] == [ok_id]


def test_unreadable_outbox_file_is_a_clear_error(tmp_path):
    path = tmp_path / "o.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(OutboxError, match="cannot be opened as an SQLite database"):
        OutboxStore(path)
    assert path.read_bytes().startswith(b"this is not sqlite")  # left untouched for the user to inspect


async def test_only_one_process_sends_from_an_outbox(tmp_path, tg_fake):
    a = make_outbox(tmp_path / "o.db", [telegram_channel(tg_fake)])
    b = make_outbox(tmp_path / "o.db", [telegram_channel(tg_fake)])
    await a.start()
    try:
        with pytest.raises(OutboxBusyError, match="already sending"):
            await b.start()
        # ... but the second one may still enqueue, and the first one delivers it.
        b.enqueue("telegram", str(CHAT_ID), "from b", dedup_key="b1")
        await tg_fake.wait_delivered(1, timeout=5)
    finally:
        await a.stop()
        await b.stop()


# -- ordering and retries --------------------------------------------------------------------------


async def test_telegram_429_retry_after_is_honoured_and_blocks_the_queue(tmp_path, tg_fake):
    tg_fake.script("429")
    tg_fake.faults.retry_after = 1
    async with make_outbox(tmp_path / "o.db", [telegram_channel(tg_fake)]) as ob:
        for i in range(3):
            ob.enqueue("telegram", str(CHAT_ID), f"m{i}", dedup_key=f"k{i}")
        assert await ob.wait_idle(10)
    assert _gap_after(tg_fake.attempt_log, "429") >= 1.0
    assert tg_fake.sent_texts() == ["m0", "m1", "m2"]  # m1 and m2 waited behind m0


async def test_discord_429_retry_after_is_honoured(tmp_path, dc_fake):
    dc_fake.script("429")
    dc_fake.faults.retry_after = 0.4
    async with make_outbox(tmp_path / "o.db", [discord_channel(dc_fake)]) as ob:
        ob.enqueue("discord", "webhook", "hello", dedup_key="k")
        assert await ob.wait_idle(10)
    assert _gap_after(dc_fake.attempt_log, "429") >= 0.4
    assert [r.text for r in dc_fake.delivered] == ["hello"]


async def test_discord_rate_limit_headers_are_read_so_no_429(tmp_path):
    async with FakeDiscordWebhook(bucket_limit=2, bucket_window_s=0.5) as fake:
        async with make_outbox(tmp_path / "o.db", [discord_channel(fake)]) as ob:
            start = time.perf_counter()
            for i in range(6):
                ob.enqueue("discord", "webhook", f"m{i}", dedup_key=f"k{i}")
            assert await ob.wait_idle(10)
            elapsed = time.perf_counter() - start
    assert fake.rate_limited == 0  # the client waited for X-RateLimit-Reset-After instead
    assert [r.text for r in fake.delivered] == [f"m{i}" for i in range(6)]
    assert elapsed >= 1.0  # three windows of 0.5 s for six messages, two per window


async def test_telegram_client_rate_limit_keeps_under_the_server_limit(tmp_path):
    async with FakeTelegramAPI(TG_TOKEN, limits=TelegramLimits()) as fake:
        ch = telegram_channel(fake, limiter=TelegramRateLimiter())  # defaults: 1/s per chat, burst 2
        async with make_outbox(tmp_path / "o.db", [ch]) as ob:
            for i in range(4):
                ob.enqueue("telegram", str(CHAT_ID), f"m{i}", dedup_key=f"k{i}")
            assert await ob.wait_idle(10)
    times = [r.ts for r in fake.received]
    assert fake.rate_limited == 0
    assert fake.sent_texts() == ["m0", "m1", "m2", "m3"]
    assert times[3] - times[1] >= 1.9  # after the burst of 2, one per second


async def test_token_bucket_spacing():
    now = [0.0]
    bucket = TokenBucket(rate=2.0, capacity=2, clock=lambda: now[0])
    assert [bucket.reserve() for _ in range(4)] == [0.0, 0.0, 0.5, 1.0]
    now[0] = 10.0
    assert bucket.reserve() == 0.0


async def test_5xx_are_retried(tmp_path, tg_fake, dc_fake, tw_fake):
    tg_fake.script("500", "500")
    dc_fake.script("500", "503")
    tw_fake.script("503", "500", "429")
    chans = [telegram_channel(tg_fake), discord_channel(dc_fake), sms_channel(tw_fake)]
    async with make_outbox(tmp_path / "o.db", chans) as ob:
        ids = [
            ob.enqueue("telegram", str(CHAT_ID), "t", dedup_key="t"),
            ob.enqueue("discord", "webhook", "d", dedup_key="d"),
            ob.enqueue("sms", SMS_TO, "s", dedup_key="s"),
        ]
        assert await ob.wait_idle(10)
        rows = [ob.store.get(i) for i in ids]
    assert [r.attempts for r in rows] == [3, 3, 4]
    assert all(r.status is MessageStatus.SENT and not r.in_doubt for r in rows)
    assert (len(tg_fake.received), len(dc_fake.received), len(tw_fake.received)) == (1, 1, 1)


async def test_telegram_timeout_is_retried_and_marked_possible_duplicate(tmp_path, tg_fake):
    tg_fake.script("timeout")  # the request is lost: the server hangs without handling it
    tg_fake.faults.hang_s = 5
    async with make_outbox(tmp_path / "o.db", [telegram_channel(tg_fake, timeout_s=0.3)], send_timeout_s=0.3) as ob:
        msg_id = ob.enqueue("telegram", str(CHAT_ID), "Fill: bought 1 ES", dedup_key="k", lang="en")
        assert await ob.wait_idle(10)
        row = ob.store.get(msg_id)
    assert row.status is MessageStatus.SENT and row.attempts == 2
    # We cannot know whether the first try arrived, so the resend says so.
    assert tg_fake.sent_texts() == ["[possible duplicate] Fill: bought 1 ES"]


async def test_discord_timeout_resends_with_the_same_idempotency_key(tmp_path):
    faults = FaultConfig(timeout_after_processing=True, hang_s=5)
    async with FakeDiscordWebhook(bucket_limit=None, faults=faults) as fake:
        fake.script("timeout")  # handled and recorded, but the answer is lost
        async with make_outbox(tmp_path / "o.db", [discord_channel(fake, timeout_s=0.3)], send_timeout_s=0.3) as ob:
            msg_id = ob.enqueue("discord", "webhook", "hello", dedup_key="k")
            assert await ob.wait_idle(10)
            row = ob.store.get(msg_id)
    first, second = fake.received
    assert first.key == second.key == row.idempotency_key
    assert second.duplicate and len(fake.delivered) == 1
    assert row.status is MessageStatus.SENT and row.attempts == 2


async def test_sms_timeout_is_reconciled_instead_of_resent(tmp_path, tw_fake):
    tw_fake.faults.timeout_after_processing = True
    tw_fake.faults.hang_s = 5
    tw_fake.script("timeout")  # Twilio created the message, the answer never came
    async with make_outbox(tmp_path / "o.db", [sms_channel(tw_fake, timeout_s=0.3)], send_timeout_s=0.3) as ob:
        msg_id = ob.enqueue("sms", SMS_TO, "MIA: Kill switch activated", dedup_key="k")
        assert await ob.wait_idle(10)
        row = ob.store.get(msg_id)
    assert len(tw_fake.received) == 1  # one POST only: the message list showed it had arrived
    assert tw_fake.list_calls == 1
    assert row.status is MessageStatus.SENT and row.remote_id == tw_fake.messages[0]["sid"]


async def test_dead_letter_after_max_attempts_does_not_block_and_retry_resends(tmp_path, tg_fake):
    tg_fake.script("500", "500", "500")
    async with make_outbox(tmp_path / "o.db", [telegram_channel(tg_fake)], max_attempts=3) as ob:
        first = ob.enqueue("telegram", str(CHAT_ID), "first", dedup_key="a")
        ob.enqueue("telegram", str(CHAT_ID), "second", dedup_key="b")
        assert await ob.wait_idle(10)
        dead = ob.store.get(first)
        assert dead.status is MessageStatus.DEAD and dead.attempts == 3
        assert "500" in dead.last_error or "Internal Server Error" in dead.last_error
        assert tg_fake.sent_texts() == ["second"]  # the dead letter left the queue

        report = ob.retry([first])
        assert report.revived == (first,)
        assert await ob.wait_idle(10)
        revived = ob.store.get(first)
    assert revived.status is MessageStatus.SENT and revived.attempts == 1
    assert tg_fake.sent_texts() == ["second", "first"]


async def test_backoff_survives_a_restart(tmp_path, tg_fake):
    """A retry time set by a 429 is stored, so a restart does not hammer the service early."""
    tg_fake.script("429")
    tg_fake.faults.retry_after = 2
    path = tmp_path / "o.db"
    ob = make_outbox(path, [telegram_channel(tg_fake)])
    await ob.start()
    ob.enqueue("telegram", str(CHAT_ID), "m", dedup_key="k")
    await tg_fake.wait_until(lambda: tg_fake.outcomes["429"] == 1, timeout=5)
    await asyncio.sleep(0.05)
    await ob.stop()
    ob2 = make_outbox(path, [telegram_channel(tg_fake)])
    await ob2.start()
    try:
        assert await ob2.wait_idle(10)
    finally:
        await ob2.stop()
    assert _gap_after(tg_fake.attempt_log, "429") >= 2.0
    assert tg_fake.sent_texts() == ["m"]
