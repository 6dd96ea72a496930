"""Secrets come only from the environment; they never show in logs, stored errors or reprs."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from assistant.notify.factory import build_alert_manager, build_channels
from assistant.notify.redact import Redactor
from tests.notify.helpers import CHAT_ID, SMS_FROM, SMS_TO, TG_TOKEN, TW_SID, TW_TOKEN
from trading_core.config import ConfigError, Secrets, load_config
from trading_core.types import EngineEvent, EventKind, Severity, StateChange, TradingState


def test_token_in_yaml_config_is_refused_without_echoing_it(tmp_path):
    user = tmp_path / "mia.yaml"
    user.write_text(f"alert_manager:\n  telegram_token: '{TG_TOKEN}'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(user, env={})
    assert "alert_manager.telegram_token" in str(err.value) and "MIA_TELEGRAM_TOKEN" in str(err.value)
    assert TG_TOKEN not in str(err.value)

    user.write_text("telegram:\n  bot_token: 'abc:defghijkl'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="never read from config files"):
        load_config(user, env={})
    # Through the MIA_<SECTION>__<KEY> overrides too.
    with pytest.raises(ConfigError, match="MIA_TWILIO_AUTH_TOKEN"):
        load_config(env={"MIA_ALERT_MANAGER__TWILIO_AUTH_TOKEN": TW_TOKEN})


def _env(dc_url: str) -> dict[str, str]:
    return {
        "MIA_TELEGRAM_TOKEN": TG_TOKEN,
        "MIA_DISCORD_WEBHOOK_URL": dc_url,
        "MIA_TWILIO_ACCOUNT_SID": TW_SID,
        "MIA_TWILIO_AUTH_TOKEN": TW_TOKEN,
        "MIA_SMTP_PASSWORD": "smtp-password-123",
    }


def _config(tmp_path, tg_fake, tw_fake, **am):
    am = {"telegram_chat_ids": [CHAT_ID], "telegram_api_base": tg_fake.base_url, "twilio_api_base": tw_fake.base_url,
          "sms_to": SMS_TO, "sms_from": SMS_FROM, "send_timeout_s": 1.0, "backoff_base_s": 0.02, **am}
    return load_config(env={}, overrides={"data_dir": str(tmp_path), "alert_manager": am})


def test_channels_are_built_from_the_environment_only(tmp_path, caplog):
    config = load_config(env={}, overrides={"data_dir": str(tmp_path), "alert_manager": {
        "telegram_chat_ids": [CHAT_ID], "sms_to": SMS_TO, "sms_from": SMS_FROM}})
    caplog.set_level(logging.WARNING, logger="mia.notify")
    assert build_channels(config, Secrets.from_env({})) == []
    assert "MIA_TELEGRAM_TOKEN is not set" in caplog.text and "MIA_TWILIO_ACCOUNT_SID" in caplog.text
    names = [c.name for c in build_channels(config, Secrets.from_env(_env("https://discord.com/api/webhooks/1/tok-abcdefgh")))]
    assert names == ["telegram", "discord", "sms"]


def test_bad_token_is_refused_without_echoing_it(tmp_path):
    config = load_config(env={}, overrides={"data_dir": str(tmp_path), "alert_manager": {"telegram_chat_ids": [1]}})
    with pytest.raises(ValueError, match="not a valid bot token") as err:
        build_channels(config, Secrets.from_env({"MIA_TELEGRAM_TOKEN": "no-colon-secret-value"}))
    assert "no-colon-secret-value" not in str(err.value)


async def test_secrets_never_in_logs_errors_or_reprs(tmp_path, tg_fake, dc_fake, tw_fake, caplog):
    # Everything at DEBUG, including the twilio client's own request log (it prints URLs with the SID).
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="mia.notify.twilio_http")
    secrets = Secrets.from_env(_env(dc_fake.webhook_url))
    values = [TG_TOKEN, TG_TOKEN.split(":")[1], dc_fake.webhook_url, dc_fake.token, TW_SID, TW_TOKEN, "smtp-password-123"]
    config = _config(tmp_path, tg_fake, tw_fake, email_enabled=True, email_to="x@example.org", smtp_port=1)
    manager = build_alert_manager(config, secrets)
    # Make every channel fail once in a way that talks about the request, then succeed.
    tg_fake.script("500")
    dc_fake.script("500")
    tw_fake.script("503")
    async with manager:
        await manager.handle_event(EngineEvent(EventKind.KILL_SWITCH, Severity.CRITICAL, datetime.now(timezone.utc),
                                               StateChange(TradingState.ACTIVE, TradingState.HALTED, "kill switch: cli"),
                                               seq=1))
        await tg_fake.wait_delivered(1, 5)
        await dc_fake.wait_delivered(1, 5)
        await tw_fake.wait_delivered(1, 5)
        errors = [m.last_error or "" for m in manager.outbox.messages()]
        reprs = [repr(manager), repr(manager.outbox), repr(secrets)] + [
            repr(manager.outbox.channel(n)) for n in manager.outbox.channel_names]
    # The SMTP attempt to port 1 failed: its error was stored too.
    assert any("smtp" in e for e in errors)
    assert "POST Request" in caplog.text  # the twilio request log was captured, masked
    for blob in [caplog.text, *errors, *reprs]:
        for secret in values:
            assert secret not in blob


def test_redactor_masks_encoded_forms_and_short_values_are_ignored():
    red = Redactor(["s3cr3t/value+x", "ab"])
    assert red("url=https://h/s3cr3t%2Fvalue%2Bx and s3cr3t/value+x") == "url=https://h/*** and ***"
    assert red("ab stays") == "ab stays"
