"""Build the notify stack (channels, outbox, alert manager) from the config and the environment."""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.notify.channels.base import Channel
from assistant.notify import channels as _channels
from assistant.notify.manager import AlertManager, Speaker
from assistant.notify.outbox import BackoffPolicy, Outbox
from assistant.notify.ratelimit import TelegramRateLimiter
from assistant.notify.redact import Redactor
from trading_core.config import MiaConfig, Secrets

log = logging.getLogger("mia.notify")

OUTBOX_FILENAME = "outbox.sqlite3"


def outbox_path(config: MiaConfig) -> Path:
    am = config.alert_manager
    return Path(am.outbox_path).expanduser() if am.outbox_path else config.data_path / OUTBOX_FILENAME


def build_channels(
    config: MiaConfig,
    secrets: Secrets,
    *,
    redactor: Redactor | None = None,
    telegram_limiter: TelegramRateLimiter | None = None,
) -> list[Channel]:
    """Channels that are enabled AND have what they need. Missing pieces are logged, never guessed."""
    am = config.alert_manager
    red = redactor or Redactor.from_secrets(secrets)
    timeout = am.send_timeout_s
    out: list[Channel] = []
    if am.telegram_enabled:
        if not secrets.telegram_token:
            log.warning("telegram alerts enabled but MIA_TELEGRAM_TOKEN is not set: Telegram is off")
        elif not am.telegram_chat_ids:
            log.warning("telegram alerts enabled but alert_manager.telegram_chat_ids is empty: Telegram is off")
        else:
            out.append(_channels.TelegramChannel(
                secrets.telegram_token, api_base=am.telegram_api_base or config.telegram.api_base,
                timeout_s=timeout, limiter=telegram_limiter, redactor=red,
            ))
    if am.discord_enabled:
        if not secrets.discord_webhook_url:
            log.warning("discord alerts enabled but MIA_DISCORD_WEBHOOK_URL is not set: Discord is off")
        else:
            out.append(_channels.DiscordChannel(secrets.discord_webhook_url, timeout_s=timeout, redactor=red))
    if am.sms_enabled:
        if not (secrets.twilio_account_sid and secrets.twilio_auth_token):
            log.warning("SMS alerts enabled but MIA_TWILIO_ACCOUNT_SID / MIA_TWILIO_AUTH_TOKEN are not set: SMS is off")
        elif not (am.sms_from and am.sms_to):
            log.warning("SMS alerts enabled but alert_manager.sms_from / sms_to are not set: SMS is off")
        else:
            out.append(_channels.SmsChannel(
                secrets.twilio_account_sid, secrets.twilio_auth_token, am.sms_from,
                api_base=am.twilio_api_base, timeout_s=timeout, redactor=red,
            ))
    if am.email_enabled:
        if not am.email_to:
            log.warning("e-mail alerts enabled but alert_manager.email_to is not set: e-mail is off")
        else:
            out.append(_channels.EmailChannel(
                am.smtp_host, am.smtp_port, am.email_from, username=am.smtp_user, password=secrets.smtp_password,
                starttls=am.smtp_starttls, timeout_s=timeout, redactor=red,
            ))
    return out


def build_outbox(config: MiaConfig, channels: list[Channel], *, redactor: Redactor | None = None) -> Outbox:
    am = config.alert_manager
    return Outbox(
        outbox_path(config),
        channels,
        max_attempts=am.max_attempts,
        backoff=BackoffPolicy(base_s=am.backoff_base_s, max_s=am.backoff_max_s),
        send_timeout_s=am.send_timeout_s,
        redactor=redactor,
    )


def build_alert_manager(
    config: MiaConfig,
    secrets: Secrets | None = None,
    *,
    speaker: Speaker | None = None,
    telegram_limiter: TelegramRateLimiter | None = None,
    echo: Callable[[str, str], Any] | None = None,
) -> AlertManager:
    """Everything `mia run` needs: `await manager.start()`, feed it events, `await manager.stop()`.
    `echo(text, lang)` shows each spoken alert (the terminal's alert lines)."""
    secrets = secrets if secrets is not None else Secrets.from_env()
    red = Redactor.from_secrets(secrets)
    channels = build_channels(config, secrets, redactor=red, telegram_limiter=telegram_limiter)
    outbox = build_outbox(config, channels, redactor=red)
    return AlertManager(config.alert_manager, outbox, speaker=speaker, language=config.language, echo=echo)
