"""Alerts and copies to voice, Telegram, Discord, SMS and e-mail, through a durable SQLite outbox.

Typical use (`mia run`):

    manager = build_alert_manager(config, Secrets.from_env(), speaker=speaker)
    await manager.start()
    ... await manager.handle_event(event) for each engine event ...
    ... await manager.copy_answer(transcript, answer, lang, "voice") after each voice command ...
    await manager.stop(drain_timeout=5)
"""

# Names are imported on first use (PEP 562): the channels pull in aiogram and twilio, which take
# seconds to import, and `mia --help` or `mia outbox status` must not pay for that.
from assistant.lazy import lazy_exports

_LAZY = {
    "Alert": "assistant.notify.alerts",
    "AlertCategory": "assistant.notify.alerts",
    "alert_from_event": "assistant.notify.alerts",
    "copy_alert": "assistant.notify.alerts",
    "recogniser_failure_alert": "assistant.notify.alerts",
    "build_alert_manager": "assistant.notify.factory",
    "build_channels": "assistant.notify.factory",
    "build_outbox": "assistant.notify.factory",
    "outbox_path": "assistant.notify.factory",
    "AlertManager": "assistant.notify.manager",
    "AlertOutcome": "assistant.notify.manager",
    "Speaker": "assistant.notify.manager",
    "MessageStatus": "assistant.notify.message",
    "NewMessage": "assistant.notify.message",
    "OutboxMessage": "assistant.notify.message",
    "BackoffPolicy": "assistant.notify.outbox",
    "Outbox": "assistant.notify.outbox",
    "OutboxBusyError": "assistant.notify.outbox",
    "OutboxError": "assistant.notify.outbox",
    "OutboxStore": "assistant.notify.outbox",
    "RetryReport": "assistant.notify.outbox",
    "TelegramRateLimiter": "assistant.notify.ratelimit",
    "TokenBucket": "assistant.notify.ratelimit",
    "Redactor": "assistant.notify.redact",
    "CALM": "assistant.notify.router",
    "URGENT": "assistant.notify.router",
    "Delivery": "assistant.notify.router",
    "RoutingPlan": "assistant.notify.router",
    "route": "assistant.notify.router",
}

__all__ = [
    "CALM", "URGENT", "Alert", "AlertCategory", "AlertManager", "AlertOutcome", "BackoffPolicy", "Delivery",
    "MessageStatus", "NewMessage", "Outbox", "OutboxBusyError", "OutboxError", "OutboxMessage", "OutboxStore",
    "Redactor", "RetryReport", "RoutingPlan", "Speaker", "TelegramRateLimiter", "TokenBucket", "alert_from_event",
    "build_alert_manager", "build_channels", "build_outbox", "copy_alert", "outbox_path", "recogniser_failure_alert",
    "route",
]

__getattr__ = lazy_exports("assistant.notify", globals(), _LAZY)
