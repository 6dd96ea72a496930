"""`mia run` front end: engine events become alerts, spoken above the voice threshold through the run's
one speaker (urgent alerts pre-empt calm answers) and sent through the durable outbox to Telegram,
Discord, SMS and e-mail as configured. The alert manager itself is built and started with the run's
services (`assistant.app.services`); the dialogue copies each answer through `Services.copy_answer`."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.app.services import Services

log = logging.getLogger("mia.notify")


def preload(config: Any) -> None:
    """What the alert manager imports (the channels' clients), imported by `mia run` before the market
    data flows."""
    import assistant.notify.factory  # noqa: F401


async def run_front_end(services: Services) -> None:
    """`mia run`'s alert fan-out: every engine event through the run's alert manager (spoken through the
    run's one voice, each spoken alert also shown as a terminal line, and sent to the channels)."""
    from assistant.app.console import report

    manager = services.alerts
    if manager is None:
        log.info("alerts off in this run")
        return
    fr = services.lang == "fr"
    channels = ", ".join(sorted(manager.outbox.channel_names))
    report(services, "alerts", (f"alertes : {channels}" if fr else f"alerts: {channels}") if channels else
           ("alertes : aucun canal configuré" if fr else "alerts: no channel configured"))
    subscription = services.engine.subscribe()
    consumer = asyncio.create_task(manager.consume(subscription), name="mia-alerts")
    try:
        await services.stop.wait()
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        subscription.close()
