"""kill -9 while sending, restart, and check what each service received.

Run 1 is killed while one request per channel is parked inside the fakes AFTER the fake recorded it
(the worst case: the service has the message, the sender never heard back). Run 2 is killed at an
arbitrary moment mid-burst. Run 3 drains. Expectations, per channel:
- SMS: exactly once, not even a duplicate request: the restarted sender finds the interrupted
  messages in Twilio's message list instead of resending them.
- Discord: exactly once after deduplication on the idempotency key; the repeats the fake saw carry the
  SAME key as the original (real Discord ignores that key: see the residual window below).
- Telegram (no idempotency key, no way to list sent messages): at most one repeat per kill, only of
  the message in flight, adjacent to the original and marked "[possible duplicate]". This is the honest
  at-least-once window; the outbox commits "sent" in the same event-loop turn as the answer, so the
  window is the time the request is in flight.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from assistant.notify.outbox import OutboxStore
from tests.fakes.discord_webhook import FakeDiscordWebhook
from tests.fakes.http_fake import FaultConfig
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.notify.helpers import CHAT_ID, SMS_FROM, SMS_TO, TG_TOKEN, TW_SID, TW_TOKEN

ROOT = Path(__file__).resolve().parents[2]
N = 40
HELD_AT = 8  # run 1 is killed while message #8 of each channel is parked in the fake
MARK = "[possible duplicate] "


async def _spawn(tmp_path: Path, run: int, tg, dc, tw) -> asyncio.subprocess.Process:
    env = dict(os.environ)
    env.update({
        "MIA_TELEGRAM_TOKEN": TG_TOKEN,
        "MIA_DISCORD_WEBHOOK_URL": dc.webhook_url,
        "MIA_TWILIO_ACCOUNT_SID": TW_SID,
        "MIA_TWILIO_AUTH_TOKEN": TW_TOKEN,
        "PYTHONPATH": str(ROOT),
    })
    stderr = open(tmp_path / f"child{run}.err", "wb")  # noqa: SIM115 - closed with the process
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.notify.outbox_child", "--db", str(tmp_path / "outbox.db"),
        "--telegram", tg.base_url, "--twilio", tw.base_url, "--count", str(N), "--chat", str(CHAT_ID),
        "--sms-to", SMS_TO, "--sms-from", SMS_FROM,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=stderr,
    )


async def _read_until(proc: asyncio.subprocess.Process, word: str, timeout: float) -> list[str]:
    lines: list[str] = []
    async with asyncio.timeout(timeout):
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                raise AssertionError(f"child ended before {word!r}; said {lines}")
            lines.append(raw.decode().strip())
            if lines[-1].startswith(word):
                return lines


async def _kill(proc: asyncio.subprocess.Process) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert await proc.wait() == -signal.SIGKILL


def _collapse_marked_repeats(texts: list[str]) -> tuple[list[str], list[str]]:
    """Drop a marked text that repeats the one just before it; return (sequence, repeats)."""
    out: list[str] = []
    repeats: list[str] = []
    for t in texts:
        plain = t.removeprefix(MARK)
        if out and out[-1] == plain:
            repeats.append(t)
        else:
            out.append(plain)
    return out, repeats


async def test_sigkill_mid_send_then_restart_delivers_everything_once_in_order(tmp_path):
    latency = FaultConfig(latency_s=0.02)  # spread the burst so the second kill lands mid-send
    tg = FakeTelegramAPI(TG_TOKEN, faults=latency)
    dc = FakeDiscordWebhook(bucket_limit=None, faults=FaultConfig(latency_s=0.02))
    tw = FakeTwilioAPI(TW_SID, TW_TOKEN, faults=FaultConfig(latency_s=0.02))
    async with tg, dc, tw:
        holds = [fake.hold_next(record=True, after=HELD_AT) for fake in (tg, dc, tw)]

        # Run 1: killed while message #8 of every channel is recorded by the service, unanswered.
        p1 = await _spawn(tmp_path, 1, tg, dc, tw)
        await _read_until(p1, "STARTED", 90)
        for hold in holds:
            await hold.wait_arrived(30)
        await _kill(p1)
        for hold in holds:
            hold.release()
        assert [len(f.received) for f in (tg, dc, tw)] == [HELD_AT + 1] * 3

        # Run 2: killed at an arbitrary point of the burst.
        p2 = await _spawn(tmp_path, 2, tg, dc, tw)
        said = await _read_until(p2, "STARTED", 90)
        assert said[0] == "ENQUEUED 0"  # the same burst re-enqueued: dedup keys make it a no-op
        await tg.wait_until(lambda: len(tg.received) >= HELD_AT + 6, timeout=30)
        await _kill(p2)

        # Run 3: drains.
        p3 = await _spawn(tmp_path, 3, tg, dc, tw)
        said = await _read_until(p3, "DRAINED", 90)
        assert said[0] == "ENQUEUED 0"
        assert await p3.wait() == 0

    expected = [f"burst {i:03d}" for i in range(N)]
    held = expected[HELD_AT]

    # SMS: exactly once, in order, with no duplicate request at all.
    assert [r.text for r in tw.received] == expected
    assert tw.list_calls >= 1  # the interrupted attempt was looked up, not resent

    # Discord: exactly once in order after dedup; each repeat used the original idempotency key.
    assert [r.text for r in dc.delivered] == expected
    first_key = {r.text: r.key for r in dc.delivered}
    assert 1 <= len(dc.duplicates) <= 2  # one request in flight per kill at most
    assert any(d.text == MARK + held for d in dc.duplicates)
    assert all(d.key == first_key[d.text.removeprefix(MARK)] for d in dc.duplicates)

    # Telegram: in order; repeats only of a message in flight at a kill, right after it, marked.
    sequence, repeats = _collapse_marked_repeats(tg.sent_texts(CHAT_ID))
    assert sequence == expected
    assert 1 <= len(repeats) <= 2
    assert MARK + held in repeats and all(r.startswith(MARK) for r in repeats)

    # The outbox agrees: every message sent, the Discord row's key is the one the fake saw twice.
    store = OutboxStore(tmp_path / "outbox.db")
    try:
        assert {ch: c["sent"] for ch, c in store.counts().items()} == {"telegram": N, "discord": N, "sms": N}
        assert all(c["pending"] == c["sending"] == c["dead"] == 0 for c in store.counts().values())
        row = next(m for m in store.messages(channel="discord") if m.body == held)
        assert row.idempotency_key == first_key[held]
    finally:
        store.close()
