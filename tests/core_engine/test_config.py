"""Config layering, validation messages, and secrets that only come from the environment."""
from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from trading_core.config import ConfigError, Secrets, load_config
from trading_core.logs import setup_logging


def test_defaults_are_the_embedded_paper_market():
    cfg = load_config(env={})
    assert cfg.mode == "paper" and cfg.feed.kind == "synthetic" and cfg.market == "ES"
    assert cfg.risk.default_risk_percent == Decimal("1.0")


def test_layering_user_file_then_env_then_overrides(tmp_path):
    user = tmp_path / "user.yaml"
    user.write_text("risk:\n  max_order_size: 4\n  daily_loss_limit: 1500\nlanguage: fr\n")
    cfg = load_config(user, env={"MIA_RISK__MAX_ORDER_SIZE": "3"}, overrides={"market": "MNQ"})
    assert cfg.risk.max_order_size == 3  # env beats the file
    assert cfg.risk.daily_loss_limit == Decimal("1500") and cfg.language == "fr" and cfg.market == "MNQ"
    cfg2 = load_config(env={"MIA_CONFIG": str(user)})
    assert cfg2.risk.max_order_size == 4


@pytest.mark.parametrize(
    "env,key,allowed",
    [
        ({"MIA_RISK__MAX_ORDER_SIZE": "0"}, "risk.max_order_size", "greater than or equal to 1"),
        ({"MIA_MARKET": "CL"}, "market", "'ES' or 'MNQ'"),
        ({"MIA_RISK__DAILY_LOSS_LIMIT": "lots"}, "risk.daily_loss_limit", "decimal"),
        ({"MIA_INTELLIGENCE__ENSEMBLE_WEIGHTS": "[0.5, 0.5, 0.5]"}, "intelligence.ensemble_weights", "summing to 1"),
        ({"MIA_RISK__MAX_ORDR": "1"}, "risk.max_ordr", "known key"),
    ],
)
def test_bad_values_name_key_value_and_what_is_allowed(env, key, allowed):
    with pytest.raises(ConfigError) as exc:
        load_config(env=env)
    assert exc.value.key == key
    assert allowed.lower() in str(exc.value).lower()


def test_missing_user_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "nope.yaml", env={})
    assert "existing YAML file" in str(exc.value)


def test_secrets_never_come_from_yaml_and_never_show(tmp_path):
    user = tmp_path / "user.yaml"
    user.write_text("telegram:\n  token: 123:ABC\n")
    with pytest.raises(ConfigError) as exc:
        load_config(user, env={})
    assert exc.value.key == "telegram.token"
    s = Secrets.from_env({"MIA_TELEGRAM_TOKEN": "123:SECRET", "MIA_TWILIO_AUTH_TOKEN": "tw-SECRET"})
    assert s.telegram_token == "123:SECRET"
    assert "SECRET" not in repr(s) and "***" in repr(s)
    # a secret in the environment is not mistaken for a config key
    cfg = load_config(env={"MIA_TELEGRAM_TOKEN": "123:SECRET"})
    assert "SECRET" not in cfg.model_dump_json()


def test_logs_go_to_one_file_per_module(tmp_path):
    log_dir = setup_logging(tmp_path, "ES")
    logging.getLogger("mia.engine").warning("engine line")
    logging.getLogger("mia.broker.paper").warning("broker line")
    for h in logging.getLogger("mia").handlers:
        h.flush()
    assert "engine line" in (log_dir / "engine.log").read_text()
    assert "broker line" in (log_dir / "broker.log").read_text()
    assert "engine line" not in (log_dir / "broker.log").read_text()


@pytest.fixture(autouse=True)
def _detach_log_handlers():
    yield
    root = logging.getLogger("mia")
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()


def test_a_token_pasted_at_the_wrong_place_is_never_echoed(tmp_path):
    user = tmp_path / "user.yaml"
    user.write_text("telegram_token: 123456:VERY-SECRET\n")
    with pytest.raises(ConfigError) as exc:
        load_config(user, env={})
    assert "VERY-SECRET" not in str(exc.value) and "MIA_TELEGRAM_TOKEN" in str(exc.value)


# ------------------------------------------------------------------ issue #15 item 12
def test_documented_and_stray_mia_variables_never_stop_mia(caplog):
    env = {
        "MIA_MODELS_DIR": "/tmp/models", "MIA_MODELS_BASE_URL": "http://127.0.0.1:9/models",
        "MIA_GRAMMAR_DIR": "/tmp/grammars", "MIA_TEST_VOSK_MODEL_EN": "/tmp/vosk", "MIA_FOO": "1",
        "MIA_SOMETHING_ELSE__DEEP": "x",
    }
    with caplog.at_level("WARNING", logger="mia.config"):
        cfg = load_config(env=env)
    assert cfg.market == "ES"
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "MIA_FOO" in warned and "MIA_SOMETHING_ELSE__DEEP" in warned  # stray: a warning, nothing else
    assert "MIA_MODELS_DIR" not in warned and "MIA_GRAMMAR_DIR" not in warned  # documented: silent


def test_text_settings_from_the_environment_are_never_coerced():
    cfg = load_config(env={
        "MIA_ALERT_MANAGER__SMS_TO": "+15551234567", "MIA_ALERT_MANAGER__SMS_FROM": "0612345678",
        "MIA_IB__ACCOUNT": "0012345", "MIA_DATA_DIR": "2026", "MIA_ALERT_MANAGER__EMAIL_FROM": "yes",
        "MIA_TELEGRAM__ALLOWED_CHAT_IDS": "[-1001234567890, 42]", "MIA_RISK__MAX_ORDER_SIZE": "4",
    })
    am = cfg.alert_manager
    assert (am.sms_to, am.sms_from, am.email_from) == ("+15551234567", "0612345678", "yes")
    assert cfg.ib.account == "0012345" and cfg.data_dir == "2026"
    assert cfg.telegram.allowed_chat_ids == [-1001234567890, 42] and cfg.risk.max_order_size == 4


def test_a_misspelt_setting_of_a_known_section_is_still_refused_by_name():
    with pytest.raises(ConfigError) as exc:
        load_config(env={"MIA_RISK__MAX_ORDR_SIZE": "3"})
    assert exc.value.key == "risk.max_ordr_size"
