"""Child process of the kill -9 test: enqueue a burst (idempotently: a restart re-enqueues the same
dedup keys, which must add nothing) and deliver it. Secrets come from the environment, as in MIA.

    python -m tests.notify.outbox_child --db PATH --telegram URL --twilio URL --count N --chat ID --sms-to NUM
"""
from __future__ import annotations

import argparse
import asyncio

from assistant.notify.channels import DiscordChannel, SmsChannel, TelegramChannel
from assistant.notify.message import NewMessage
from assistant.notify.outbox import BackoffPolicy, Outbox
from assistant.notify.ratelimit import TelegramRateLimiter
from trading_core.config import Secrets


async def run(args: argparse.Namespace) -> int:
    secrets = Secrets.from_env()
    unlimited = TelegramRateLimiter(per_chat_rate=1000, per_chat_burst=1000, global_rate=1000, global_burst=1000)
    channels = [
        TelegramChannel(secrets.telegram_token or "", api_base=args.telegram, timeout_s=2.0, limiter=unlimited),
        DiscordChannel(secrets.discord_webhook_url or "", timeout_s=2.0),
        SmsChannel(secrets.twilio_account_sid or "", secrets.twilio_auth_token or "", args.sms_from,
                   api_base=args.twilio, timeout_s=2.0),
    ]
    outbox = Outbox(args.db, channels, backoff=BackoffPolicy(base_s=0.02, max_s=0.2), send_timeout_s=2.0,
                    poll_interval_s=0.1)
    burst = []
    for i in range(args.count):
        burst += [
            NewMessage("telegram", str(args.chat), f"burst {i:03d}", f"burst/tg/{i}"),
            NewMessage("discord", "webhook", f"burst {i:03d}", f"burst/dc/{i}"),
            NewMessage("sms", args.sms_to, f"burst {i:03d}", f"burst/sms/{i}"),
        ]
    new = [i for i in outbox.enqueue_many(burst) if i is not None]
    print(f"ENQUEUED {len(new)}", flush=True)
    await outbox.start()
    print("STARTED", flush=True)
    drained = await outbox.wait_idle(60)
    await outbox.stop()
    print("DRAINED" if drained else "TIMEOUT", flush=True)
    return 0 if drained else 1


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--telegram", required=True)
    p.add_argument("--twilio", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--chat", type=int, required=True)
    p.add_argument("--sms-to", required=True)
    p.add_argument("--sms-from", required=True)
    return asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
