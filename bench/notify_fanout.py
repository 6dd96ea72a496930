"""Alert fan-out benchmark: engine event -> delivery at the loopback fakes (Telegram, Discord, SMS).

Prints:
1. latency from `AlertManager.handle_event()` to acceptance by each fake (p50 / p99 / max), no faults,
   service rate limits lifted on both sides, events at a steady pace;
2. throughput: a burst enqueued at once, time until every channel has it all;
3. backlog drain after a restart: 1 000 messages committed by one Outbox instance that never sent,
   drained by a fresh instance on the same file (what `mia run` does after a crash);
4. with the real limits on (Telegram 1 msg/s per chat and 30 msg/s overall, Discord bucket 5 per 2 s):
   achieved rate and the number of 429s the services had to send (should be 0).

Everything runs in one process (fakes and clients share the event loop and the 2 CPU cores), SQLite in
WAL mode with synchronous=FULL. Run: .venv/bin/python bench/notify_fanout.py [--quick]
"""
from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.notify.channels import DiscordChannel, SmsChannel, TelegramChannel  # noqa: E402
from assistant.notify.manager import AlertManager  # noqa: E402
from assistant.notify.message import NewMessage  # noqa: E402
from assistant.notify.outbox import BackoffPolicy, Outbox  # noqa: E402
from assistant.notify.ratelimit import TelegramRateLimiter  # noqa: E402
from tests.fakes.discord_webhook import FakeDiscordWebhook  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramLimits  # noqa: E402
from tests.fakes.twilio_api import FakeTwilioAPI  # noqa: E402
from trading_core.config import AlertManagerConfig  # noqa: E402
from trading_core.types import EngineEvent, EventKind, Severity, StateChange, TradingState  # noqa: E402

TOKEN = "123456789:AAFakeTokenForBench_abcdefghijklmnop"
SID, AUTH = "AC" + "b" * 32, "bench-auth-token-0123456789"
CHAT, SMS_TO, SMS_FROM = 4242, "+33612345678", "+15550001111"
EVENT_ID = re.compile(r"bench event (\d+)")


def unlimited() -> TelegramRateLimiter:
    return TelegramRateLimiter(per_chat_rate=1e6, per_chat_burst=1e6, global_rate=1e6, global_burst=1e6)


def channels(tg, dc, tw, limiter: TelegramRateLimiter | None = None):
    return [
        TelegramChannel(TOKEN, api_base=tg.base_url, timeout_s=10, limiter=limiter or unlimited()),
        DiscordChannel(dc.webhook_url, timeout_s=10),
        SmsChannel(SID, AUTH, SMS_FROM, api_base=tw.base_url, timeout_s=10),
    ]


def outbox(path: Path, chans) -> Outbox:
    return Outbox(path, chans, backoff=BackoffPolicy(base_s=0.05, max_s=1.0), send_timeout_s=10, poll_interval_s=0.2)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def fmt_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"p50 {pct(ms, 50):6.1f} ms  p99 {pct(ms, 99):6.1f} ms  max {max(ms):6.1f} ms  "
            f"mean {statistics.fmean(ms):6.1f} ms  (n={len(ms)})")


async def bench_latency(tmp: Path, events: int, rate: float) -> None:
    async with FakeTelegramAPI(TOKEN) as tg, FakeDiscordWebhook(bucket_limit=None) as dc, FakeTwilioAPI(SID, AUTH) as tw:
        cfg = AlertManagerConfig(telegram_chat_ids=[CHAT], sms_to=SMS_TO, sms_from=SMS_FROM, voice_alerts=False)
        am = AlertManager(cfg, outbox(tmp / "latency.db", channels(tg, dc, tw)), language="en")
        started: dict[int, float] = {}
        async with am:
            t0 = time.perf_counter()
            for i in range(events):
                # Priority 5 so that every event fans out to all three channels.
                event = EngineEvent(EventKind.KILL_SWITCH, Severity.CRITICAL, datetime.now(timezone.utc),
                                    StateChange(TradingState.ACTIVE, TradingState.HALTED, f"bench event {i}"), seq=i + 1)
                started[i] = time.perf_counter()
                await am.handle_event(event)
                await asyncio.sleep(max(0.0, t0 + (i + 1) / rate - time.perf_counter()))
            assert await am.outbox.wait_idle(60), "not drained"
        print(f"\n1. Event -> delivery latency, no faults, {events} events at {rate:g}/s, 3 channels each")
        everything: list[float] = []
        for fake in (tg, dc, tw):
            lat = [r.ts - started[int(EVENT_ID.search(r.text).group(1))] for r in fake.delivered]
            everything += lat
            print(f"   {fake.name:9s} {fmt_ms(lat)}")
        print(f"   {'all':9s} {fmt_ms(everything)}")


async def bench_throughput(tmp: Path, n: int) -> None:
    async with FakeTelegramAPI(TOKEN) as tg, FakeDiscordWebhook(bucket_limit=None) as dc, FakeTwilioAPI(SID, AUTH) as tw:
        ob = outbox(tmp / "throughput.db", channels(tg, dc, tw))
        async with ob:
            batch = []
            for i in range(n):
                batch += [NewMessage("telegram", str(CHAT), f"m{i}", f"t{i}"),
                          NewMessage("discord", "webhook", f"m{i}", f"d{i}"),
                          NewMessage("sms", SMS_TO, f"m{i}", f"s{i}")]
            t0 = time.perf_counter()
            ob.enqueue_many(batch)
            t_enq = time.perf_counter() - t0
            assert await ob.wait_idle(300)
            total = time.perf_counter() - t0
        print(f"\n2. Throughput: burst of {n} messages per channel ({3 * n} total), limits lifted")
        print(f"   enqueue (one transaction): {t_enq * 1000:.1f} ms")
        for fake in (tg, dc, tw):
            last = max(r.ts for r in fake.delivered)
            first = min(r.ts for r in fake.delivered)
            print(f"   {fake.name:9s} {len(fake.delivered)} msgs, {len(fake.delivered) / max(1e-9, last - first):7.1f} msg/s")
        print(f"   all       {3 * n / total:7.1f} msg/s overall, {total:.2f} s until all delivered")


async def bench_backlog(tmp: Path, n: int) -> None:
    path = tmp / "backlog.db"
    async with FakeTelegramAPI(TOKEN) as tg, FakeDiscordWebhook(bucket_limit=None) as dc, FakeTwilioAPI(SID, AUTH) as tw:
        first = Outbox(path)  # the process that crashed: it committed, never sent
        names = ("telegram", "discord", "sms")
        recipients = {"telegram": str(CHAT), "discord": "webhook", "sms": SMS_TO}
        first.enqueue_many([NewMessage(names[i % 3], recipients[names[i % 3]], f"backlog {i}", f"b{i}")
                            for i in range(n)])
        first.store.close()
        t0 = time.perf_counter()
        restarted = outbox(path, channels(tg, dc, tw))
        await restarted.start()
        t_start = time.perf_counter() - t0
        assert await restarted.wait_idle(300)
        total = time.perf_counter() - t0
        await restarted.stop()
        got = len(tg.delivered) + len(dc.delivered) + len(tw.delivered)
        print(f"\n3. Backlog of {n} messages (telegram/discord/sms, 1/3 each) after a restart, limits lifted")
        print(f"   restart (open, recover, start workers): {t_start * 1000:.1f} ms")
        print(f"   drained {got} messages in {total:.2f} s ({got / total:.0f} msg/s)")

        # The same backlog, all for Telegram: one FIFO worker, one chat.
        path2 = tmp / "backlog_tg.db"
        first = Outbox(path2)
        first.enqueue_many([NewMessage("telegram", str(CHAT), f"tg backlog {i}", f"bt{i}") for i in range(n)])
        first.store.close()
        before = len(tg.delivered)
        t0 = time.perf_counter()
        restarted = outbox(path2, channels(tg, dc, tw)[:1])
        await restarted.start()
        assert await restarted.wait_idle(300)
        total = time.perf_counter() - t0
        await restarted.stop()
        print(f"   {n} messages all for one Telegram chat: {total:.2f} s ({(len(tg.delivered) - before) / total:.0f} msg/s);"
              f" with Telegram's real 1 msg/s per chat this backlog needs about {n / 60:.0f} min")


async def bench_real_limits(tmp: Path, tg_msgs: int, chats: int, dc_msgs: int) -> None:
    async with FakeTelegramAPI(TOKEN, limits=TelegramLimits()) as tg, FakeDiscordWebhook(bucket_limit=5, bucket_window_s=2.0) as dc, \
            FakeTwilioAPI(SID, AUTH) as tw:
        ob = outbox(tmp / "limits.db", channels(tg, dc, tw, limiter=TelegramRateLimiter()))
        async with ob:
            t0 = time.perf_counter()
            ob.enqueue_many([NewMessage("telegram", str(1000 + i % chats), f"m{i}", f"t{i}") for i in range(tg_msgs)]
                            + [NewMessage("discord", "webhook", f"m{i}", f"d{i}") for i in range(dc_msgs)])
            assert await ob.wait_idle(600)
        tg_span = max(r.ts for r in tg.delivered) - min(r.ts for r in tg.delivered)
        dc_span = max(r.ts for r in dc.delivered) - min(r.ts for r in dc.delivered)
        print("\n4. Real limits on (client token buckets vs. the fakes' limits)")
        print(f"   telegram: {tg_msgs} msgs over {chats} chats in {tg_span:.2f} s = {(tg_msgs - 1) / tg_span:.1f} msg/s "
              f"(limit 30/s), server 429s: {tg.rate_limited}")
        print(f"   discord:  {dc_msgs} msgs in {dc_span:.2f} s = {(dc_msgs - 1) / dc_span:.2f} msg/s "
              f"(bucket 5 per 2 s), server 429s: {dc.rate_limited}")
        print(f"   (total {time.perf_counter() - t0:.1f} s)")


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller runs")
    args = p.parse_args()
    events, backlog = (100, 300) if args.quick else (300, 1000)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        await bench_latency(tmp, events, rate=20.0)
        await bench_throughput(tmp, backlog)
        await bench_backlog(tmp, backlog)
        await bench_real_limits(tmp, tg_msgs=150 if args.quick else 300, chats=50, dc_msgs=12 if args.quick else 20)


if __name__ == "__main__":
    asyncio.run(main())
