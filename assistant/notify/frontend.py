"""`mia run` front end: engine events become alerts — spoken above the voice threshold (sharing the
voice loop's speaker, so urgent alerts pre-empt calm answers) and sent through the durable outbox
to Telegram, Discord, SMS and e-mail as configured. The voice loop finds the manager in
`ctx.extras["alerts"]` to copy each answer to the channels."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from assistant.console import alert_line, report
from trading_core.config import Secrets

log = logging.getLogger("mia.notify")


def preload(config: Any) -> None:
    """What `run_front_end` imports, imported by `mia run` before the market data flows."""
    import assistant.notify.factory  # noqa: F401


async def run_front_end(ctx: Any) -> None:
    from assistant.notify.factory import build_alert_manager

    speaker = ctx.extras.get("speaker")
    own_speaker = None
    if speaker is None and not getattr(ctx.args, "no_speech", False) and ctx.config.alert_manager.voice_alerts:
        from assistant.voice_loop import make_output_speaker

        own_speaker = speaker = make_output_speaker(ctx.config, no_speech=False, lang=ctx.lang)
        ctx.extras["speaker"] = speaker
    lang = ctx.lang if ctx.lang in ("en", "fr") else "en"
    # the rate limiter the chat bot also uses: one bot token, one set of Telegram limits
    manager = build_alert_manager(ctx.config, Secrets.from_env(), speaker=speaker,
                                  telegram_limiter=ctx.extras.get("telegram_limiter"),
                                  echo=lambda text, alert_lang: print(alert_line(text, alert_lang), flush=True))
    await manager.start()
    ctx.extras["alerts"] = manager
    channels = ", ".join(sorted(manager.outbox.channel_names))
    report(ctx, "alerts", (f"alertes : {channels}" if lang == "fr" else f"alerts: {channels}") if channels else
           ("alertes : aucun canal configuré" if lang == "fr" else "alerts: no channel configured"))
    subscription = ctx.engine.subscribe()
    consumer = asyncio.create_task(manager.consume(subscription), name="mia-alerts")
    try:
        await ctx.stop.wait()
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        subscription.close()
        ctx.extras.pop("alerts", None)
        await manager.stop(drain_timeout=5)
        if own_speaker is not None:
            await asyncio.to_thread(own_speaker.flush, 10.0)
            own_speaker.close()
