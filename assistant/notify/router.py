"""Which alert goes where, from the `alert_manager` config section.

- Voice: priority >= `priority_threshold` with `voice_alerts` on. Priority 5 uses the `urgent` profile
  and pre-empts queued speech; lower priorities use `calm` (assistant.speech pre-empts on every
  `urgent` utterance, so `urgent` is kept for the emergencies). Copies of answers are never spoken:
  the answer was just spoken.
- Telegram (each configured chat) and Discord: everything from priority 2 (priority 1 is log-only).
- SMS: only when `sms_enabled` and priority >= `sms_min_priority`.
- E-mail: only when `email_enabled` and priority >= `email_min_priority`.
A channel is used only if it is enabled AND built (its secrets are present): see `available`.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from assistant.notify.alerts import Alert, AlertCategory
from trading_core.config import AlertManagerConfig

CALM = "calm"
URGENT = "urgent"
URGENT_MIN_PRIORITY = 5
PREEMPT_PRIORITY = 5
WRITTEN_MIN_PRIORITY = 2


@dataclass(frozen=True, slots=True)
class Delivery:
    channel: str
    recipient: str


@dataclass(frozen=True, slots=True)
class RoutingPlan:
    speak: bool
    voice_profile: str | None
    preempt: bool
    deliveries: tuple[Delivery, ...]

    def channels(self) -> set[str]:
        return {d.channel for d in self.deliveries}


def route(
    alert: Alert,
    cfg: AlertManagerConfig,
    available: Collection[str],
    *,
    exclude: Collection[str] = (),
) -> RoutingPlan:
    """`available`: channels that exist (configured and with secrets); `exclude`: channels to skip
    (the one a command came from already shows the answer)."""
    speak = cfg.voice_alerts and alert.priority >= cfg.priority_threshold and alert.category is not AlertCategory.COPY
    profile = (URGENT if alert.priority >= URGENT_MIN_PRIORITY else CALM) if speak else None
    preempt = speak and alert.priority >= PREEMPT_PRIORITY

    def usable(name: str, enabled: bool) -> bool:
        return enabled and name in available and name not in exclude

    out: list[Delivery] = []
    if alert.priority >= WRITTEN_MIN_PRIORITY:
        if usable("telegram", cfg.telegram_enabled):
            out.extend(Delivery("telegram", str(chat)) for chat in cfg.telegram_chat_ids)
        if usable("discord", cfg.discord_enabled):
            out.append(Delivery("discord", "webhook"))
    if usable("sms", cfg.sms_enabled) and alert.priority >= cfg.sms_min_priority and cfg.sms_to:
        out.append(Delivery("sms", cfg.sms_to))
    if usable("email", cfg.email_enabled) and alert.priority >= cfg.email_min_priority and cfg.email_to:
        out.append(Delivery("email", cfg.email_to))
    return RoutingPlan(speak=speak, voice_profile=profile, preempt=preempt, deliveries=tuple(out))
