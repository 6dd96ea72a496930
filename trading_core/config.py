"""Configuration: `config/default.yaml`, then an optional user file, then `MIA_*` environment overrides.

Validated with pydantic. A bad value raises `ConfigError` naming the key, the value and what is
allowed; the CLI turns it into exit code 2. Secrets (tokens, passwords, SIDs) are never read from
files: only from the environment, through `Secrets`, and their repr hides them.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

log = logging.getLogger("mia.config")

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PACKAGE_ROOT / "config" / "default.yaml"
ENV_PREFIX = "MIA_"
# Environment variables with these names are secrets and are never part of the validated config.
SECRET_ENV_VARS = (
    "MIA_TELEGRAM_TOKEN",
    "MIA_DISCORD_WEBHOOK_URL",
    "MIA_TWILIO_ACCOUNT_SID",
    "MIA_TWILIO_AUTH_TOKEN",
    "MIA_SMTP_PASSWORD",
    "MIA_IB_ACCOUNT_PASSWORD",
)


class ConfigError(Exception):
    """A configuration problem a user can fix; the message names key, value and what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"config error: {key} = {value!r} is not valid; allowed: {allowed}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class AccountConfig(_Section):
    starting_balance: Decimal = Field(Decimal("100000"), gt=0)
    currency: Literal["USD"] = "USD"


class InstrumentsConfig(_Section):
    symbols: list[Literal["ES", "MNQ"]] = ["ES", "MNQ"]
    roll_days_before_expiry: int = Field(8, ge=0, le=60)


class PaperConfig(_Section):
    slippage_ticks: int = Field(1, ge=0, le=20)
    commission_per_contract: Decimal = Field(Decimal("2.25"), ge=0, le=100)


class FeedConfig(_Section):
    kind: Literal["synthetic", "csv", "ib"] = "synthetic"
    seed: int = 42
    speed: float = Field(60.0, gt=0, le=1_000_000)  # simulated seconds per wall second
    csv_path: str | None = None
    stale_after_s: float = Field(120.0, gt=0)


class RiskConfig(_Section):
    max_order_size: int = Field(10, ge=1, le=1000)
    max_position_per_symbol: int = Field(10, ge=1, le=10000)
    max_total_position: int = Field(20, ge=1, le=10000)
    daily_loss_limit: Decimal = Field(Decimal("2000"), gt=0)
    max_consecutive_losses: int = Field(5, ge=1, le=100)
    min_account_balance: Decimal = Field(Decimal("25000"), ge=0)
    enforce_trading_hours: bool = True
    max_orders_per_minute: int = Field(30, ge=1, le=10000)
    price_band_pct: float = Field(5.0, gt=0, le=50)  # limit/stop price distance from last, % of price
    default_risk_percent: Decimal = Field(Decimal("1.0"), gt=0, le=10)
    max_risk_percent: Decimal = Field(Decimal("5.0"), gt=0, le=10)
    kelly_cap: float = Field(0.25, gt=0, le=1)
    atr_period: int = Field(14, ge=2, le=500)
    atr_stop_multiple: float = Field(2.0, gt=0, le=20)
    flatten_on_daily_loss: bool = True


class DialogueConfig(_Section):
    confirm_timeout_s: float = Field(10.0, gt=0, le=120)
    min_confidence: float = Field(0.5, ge=0, le=1)


class SpeechConfig(_Section):
    enabled: bool = True
    voice_en: str = "gmw/en-us"
    voice_fr: str = "roa/fr"
    calm_rate: int = Field(170, ge=60, le=400)
    urgent_rate: int = Field(200, ge=60, le=400)
    calm_volume: float = Field(0.9, ge=0, le=1)
    urgent_volume: float = Field(1.0, ge=0, le=1)
    calm_pitch: int = Field(50, ge=0, le=99)  # espeak-ng pitch, 50 = voice default
    urgent_pitch: int = Field(65, ge=0, le=99)
    output_device: str | None = None  # sounddevice output name or index; None = system default


class AsrConfig(_Section):
    backend_en: Literal["auto", "whisper-grammar", "pocketsphinx-verified", "vosk", "pocketsphinx", "whisper"] = "auto"
    backend_fr: Literal["auto", "whisper-grammar", "vosk", "whisper"] = "auto"
    vosk_model_en: str | None = None
    vosk_model_fr: str | None = None
    whisper_model: str | None = None
    input_device: str | None = None
    trailing_silence_s: float = Field(0.5, gt=0, le=5)
    max_utterance_s: float = Field(10.0, gt=0, le=120)
    pre_roll_s: float = Field(0.3, ge=0, le=5)
    # Endpointer frame classifier: silero (trained VAD, ignores clatter/music/knocks), energy (level +
    # pitch), auto = silero when installed, else energy.
    vad: Literal["auto", "silero", "energy"] = "auto"
    # Speculative final decoding (opt-in): the endpointer announces a pause this long (s, e.g. 0.2)
    # after the last speech frame, and whisper-grammar starts its final decoding then, not at the
    # close (docs/asr.md, "Exact speculation"); 0, or not shorter than trailing_silence_s: at the close.
    pause_s: float = Field(0.0, ge=0, le=5)
    models_dir: str | None = None  # downloaded models; None = $MIA_MODELS_DIR or ~/.local/share/mia/models


_SECRET_KEY_HINTS = {
    "telegram_token": "MIA_TELEGRAM_TOKEN",
    "token": "MIA_TELEGRAM_TOKEN",
    "bot_token": "MIA_TELEGRAM_TOKEN",
    "discord_webhook_url": "MIA_DISCORD_WEBHOOK_URL",
    "webhook_url": "MIA_DISCORD_WEBHOOK_URL",
    "twilio_account_sid": "MIA_TWILIO_ACCOUNT_SID",
    "account_sid": "MIA_TWILIO_ACCOUNT_SID",
    "twilio_auth_token": "MIA_TWILIO_AUTH_TOKEN",
    "auth_token": "MIA_TWILIO_AUTH_TOKEN",
    "smtp_password": "MIA_SMTP_PASSWORD",
    "password": "MIA_SMTP_PASSWORD",
}
def _refuse_secret_keys(section: str, data: Any) -> Any:
    """A secret written in a config file is refused by name, with the environment variable to use.
    Raised as ConfigError (not ValueError) so pydantic does not echo the value into its error."""
    if isinstance(data, dict):
        for key in data:
            name = str(key).lower()
            if name in _SECRET_KEY_HINTS or any(w in name for w in _SECRET_WORDS):
                env = _SECRET_KEY_HINTS.get(name, "the matching MIA_* secret variable")
                raise ConfigError(
                    f"{section}.{key}",
                    "***",
                    f"nothing: secrets are never read from config files; set {env} in the environment",
                )
    return data


class AlertManagerConfig(_Section):
    voice_alerts: bool = True
    priority_threshold: int = Field(4, ge=1, le=5)  # spoken when priority >= this
    sms_enabled: bool = True
    sms_min_priority: int = Field(4, ge=1, le=5)
    email_enabled: bool = False
    telegram_enabled: bool = True
    discord_enabled: bool = True
    max_attempts: int = Field(8, ge=1, le=100)
    sms_to: str | None = None
    sms_from: str | None = None
    email_to: str | None = None
    email_from: str = "mia@localhost"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, ge=1, le=65535)
    telegram_chat_ids: list[int] = []
    telegram_api_base: str | None = None  # e.g. a local Bot API server
    twilio_api_base: str | None = None
    email_min_priority: int = Field(4, ge=1, le=5)
    smtp_user: str | None = None  # login name when MIA_SMTP_PASSWORD is set (default: email_from)
    smtp_starttls: bool = False
    copy_answers: bool = True  # copy each command's transcript and answer to the written channels
    copy_priority: int = Field(2, ge=1, le=5)
    send_timeout_s: float = Field(10.0, gt=0, le=120)  # one delivery attempt
    backoff_base_s: float = Field(1.0, gt=0, le=60)  # first retry delay; doubles each attempt
    backoff_max_s: float = Field(300.0, gt=0, le=3600)
    outbox_path: str | None = None  # default: <data_dir>/outbox.sqlite3

    @model_validator(mode="before")
    @classmethod
    def _refuse_secrets(cls, data: Any) -> Any:
        return _refuse_secret_keys("alert_manager", data)


class TelegramConfig(_Section):
    allowed_chat_ids: list[int] = []
    # When set, only these users may command MIA (in an allowed chat or their private chat with it).
    allowed_user_ids: list[int] = []
    queries_from_strangers: bool = False
    confirm_timeout_s: float = Field(60.0, gt=0, le=3600)
    api_base: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _refuse_secrets(cls, data: Any) -> Any:
        return _refuse_secret_keys("telegram", data)

    @field_validator("allowed_user_ids")
    @classmethod
    def _user_ids_are_users(cls, v: list[int]) -> list[int]:
        bad = [u for u in v if u <= 0]
        if bad:
            raise ValueError(f"Telegram user ids (positive numbers; {bad} look like group chat ids, which belong "
                             "in telegram.allowed_chat_ids)")
        return v


class IbConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(7497, ge=1, le=65535)
    client_id: int = Field(1, ge=0)
    account: str | None = None
    connect_timeout_s: float = Field(10.0, gt=0, le=300)
    reconnect_max_backoff_s: float = Field(60.0, gt=0, le=3600)


class IntelligenceConfig(_Section):
    filter_threshold: float = Field(0.6, ge=0, le=1)
    model_type: Literal["ppo_cvar", "qr_dqn", "ensemble"] = "ppo_cvar"
    qr_quantiles: int = Field(51, ge=3, le=501)
    ensemble_weights: list[float] = [0.4, 0.3, 0.3]
    gamma_factors: dict[str, float] = {
        "expiry_week": 0.7,
        "gamma_peak": 1.3,
        "gamma_moderate": 1.1,
        "normal": 1.0,
        "post_expiry": 1.05,
    }
    mtf_weights: dict[str, float] = {"1m": 0.1, "5m": 0.15, "15m": 0.2, "1h": 0.25, "4h": 0.3}

    @field_validator("ensemble_weights")
    @classmethod
    def _weights_sum_to_one(cls, v: list[float]) -> list[float]:
        if len(v) != 3 or any(w < 0 for w in v) or abs(sum(v) - 1.0) > 1e-6:
            raise ValueError("three non-negative weights (SAC, PPO, DDPG) summing to 1")
        return v


class CatastropheConfig(_Section):
    """The seed's catastrophe levels (INFO < WARNING < CRITICAL < CATASTROPHE) on the session's realised
    loss after commissions (USD), consecutive losing trades and the drawdown of closed-trade equity from
    its peak (% of that peak). WARNING scales the autopilot's size by `warning_size_factor`, CRITICAL puts
    the engine in reduce-only, CATASTROPHE halts and flattens (the kill switch)."""

    enabled: bool = True
    daily_loss_warning: Decimal = Field(Decimal("500"), gt=0)
    daily_loss_critical: Decimal = Field(Decimal("1000"), gt=0)
    daily_loss_catastrophe: Decimal = Field(Decimal("1500"), gt=0)
    consecutive_losses_warning: int = Field(2, ge=1, le=100)
    consecutive_losses_critical: int = Field(3, ge=1, le=100)
    consecutive_losses_catastrophe: int = Field(4, ge=1, le=100)
    drawdown_pct_warning: float = Field(2.0, gt=0, le=100)
    drawdown_pct_critical: float = Field(4.0, gt=0, le=100)
    drawdown_pct_catastrophe: float = Field(6.0, gt=0, le=100)
    warning_size_factor: float = Field(0.5, gt=0, le=1)

    @model_validator(mode="after")
    def _levels_increase(self) -> "CatastropheConfig":
        for name in ("daily_loss", "consecutive_losses", "drawdown_pct"):
            w, c, k = (getattr(self, f"{name}_{lvl}") for lvl in ("warning", "critical", "catastrophe"))
            if not w < c < k:
                raise ValueError(f"{name}: warning < critical < catastrophe is required, got {w}, {c}, {k}")
        return self


AUTOPILOT_SCORE_COMPONENTS: tuple[str, ...] = ("order_flow", "smart_money", "momentum", "volume_profile", "confluence")


class AutopilotConfig(_Section):
    """The autopilot (trading_core/autopilot): signal thresholds, models, bracket geometry, modes."""

    mode: Literal["off", "propose", "auto"] = "off"  # used when no mode was persisted yet
    model_type: Literal["ppo_cvar", "qr_dqn", "ensemble", "none"] = "ppo_cvar"
    symbols: list[Literal["ES", "MNQ"]] = []  # empty: the config's market
    long_threshold: float = Field(0.25, gt=0, lt=1)  # order-flow score above this: long candidate
    short_threshold: float = Field(-0.25, gt=-1, lt=0)  # below this: short candidate
    min_confidence: float = Field(0.75, ge=0, le=1)  # share of score weight agreeing with the side
    rearm_bars: int = Field(15, ge=1, le=1000)  # bars without the condition before it raises a new candidate
    filter_threshold: float = Field(0.6, ge=0, le=1)  # ensemble filter approval (seed value)
    # the trade-probability model must rate the trade at least this; None: at least as well as the policy's
    # average held-out trade (its base win rate), so a model without a proven edge never vetoes
    model_min_probability: float | None = Field(None, ge=0, le=1)
    reward_risk: float = Field(1.5, gt=0, le=10)  # take-profit distance / stop distance
    score_weights: dict[str, float] = {
        "order_flow": 0.3, "smart_money": 0.2, "momentum": 0.2, "volume_profile": 0.1, "confluence": 0.2,
    }
    history_bars: int = Field(6000, ge=800, le=200_000)  # feature window; halves when full
    min_history_bars: int = Field(390, ge=60, le=10_000)  # no signal before this many bars
    label_horizon_bars: int = Field(120, ge=5, le=2000)  # filter labels: bars a bracket may stay open
    use_volatility_forecast: bool = True  # only ever applied when the forecast beat the naive baseline
    daily_data_dir: str | None = None  # daily VIX / S&P 500 files; None: ../shared/data/market/daily
    catastrophe: CatastropheConfig = CatastropheConfig()

    @field_validator("mode", mode="before")
    @classmethod
    def _yaml_off(cls, v: Any) -> Any:
        # YAML 1.1 reads an unquoted `off` as false (in files and MIA_AUTOPILOT__MODE=off alike)
        return "off" if v is False else v

    @field_validator("score_weights")
    @classmethod
    def _known_weights(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(AUTOPILOT_SCORE_COMPONENTS))
        if unknown or any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
            raise ValueError(f"weights >= 0 with a positive sum over {list(AUTOPILOT_SCORE_COMPONENTS)}")
        return v

    @model_validator(mode="after")
    def _window(self) -> "AutopilotConfig":
        if self.min_history_bars * 2 > self.history_bars:
            raise ValueError("history_bars must be at least twice min_history_bars")
        return self


class MonitoringConfig(_Section):
    cpu_warning: float = Field(70, gt=0, le=100)
    cpu_critical: float = Field(90, gt=0, le=100)
    # how long the CPU must stay over a limit before an alert, and under it before "back to normal": a load
    # that comes and goes (a model training, a backtest) is one alert, not one every half-minute
    cpu_sustain_s: float = Field(30.0, ge=0, le=3600)
    cpu_clear_s: float = Field(60.0, ge=0, le=3600)
    memory_warning: float = Field(70, gt=0, le=100)
    memory_critical: float = Field(85, gt=0, le=100)
    latency_warning_s: float = Field(2.0, gt=0)
    latency_critical_s: float = Field(5.0, gt=0)
    ml_accuracy_min: float = Field(0.6, ge=0, le=1)
    confidence_min: float = Field(0.5, ge=0, le=1)
    interval_s: float = Field(5.0, gt=0)


class DashboardConfig(_Section):
    enabled: bool = False  # `mia run` also serves the dashboard (MIA_DASHBOARD__ENABLED=true)
    host: str = "127.0.0.1"  # loopback by default: the page shows the account and has no login
    port: int = Field(8050, ge=0, le=65535)  # 0: any free port
    refresh_rate_s: float = Field(5.0, gt=0, le=3600)  # PNG figures are rewritten this often
    intelligence: bool = True  # regime / SHAP / RL panels (the first load trains models for seconds)
    figures: bool = True  # save the PNG figures under <data_dir>/figures/<market>/


class MiaConfig(_Section):
    mode: Literal["paper", "live"] = "paper"
    market: Literal["ES", "MNQ"] = "ES"
    language: Literal["auto", "fr", "en"] = "auto"
    data_dir: str = "data"
    account: AccountConfig = AccountConfig()
    instruments: InstrumentsConfig = InstrumentsConfig()
    paper: PaperConfig = PaperConfig()
    feed: FeedConfig = FeedConfig()
    risk: RiskConfig = RiskConfig()
    dialogue: DialogueConfig = DialogueConfig()
    speech: SpeechConfig = SpeechConfig()
    asr: AsrConfig = AsrConfig()
    alert_manager: AlertManagerConfig = AlertManagerConfig()
    telegram: TelegramConfig = TelegramConfig()
    ib: IbConfig = IbConfig()
    intelligence: IntelligenceConfig = IntelligenceConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
    dashboard: DashboardConfig = DashboardConfig()
    autopilot: AutopilotConfig = AutopilotConfig()

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser()


@dataclass(frozen=True)
class Secrets:
    """Secrets from the environment only. repr() never shows a value."""

    telegram_token: str | None = None
    discord_webhook_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    smtp_password: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Secrets":
        e = os.environ if env is None else env
        return cls(
            telegram_token=e.get("MIA_TELEGRAM_TOKEN") or None,
            discord_webhook_url=e.get("MIA_DISCORD_WEBHOOK_URL") or None,
            twilio_account_sid=e.get("MIA_TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=e.get("MIA_TWILIO_AUTH_TOKEN") or None,
            smtp_password=e.get("MIA_SMTP_PASSWORD") or None,
        )

    def __repr__(self) -> str:
        shown = {k: ("***" if v else None) for k, v in self.__dict__.items()}
        return f"Secrets({shown})"


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


# MIA_* variables that are not config settings: read by their own modules (and documented there).
NON_CONFIG_ENV_VARS = frozenset({
    "MIA_CONFIG",  # the user config file
    "MIA_MODELS_DIR",  # where speech models are downloaded (assistant/asr/models.py)
    "MIA_MODELS_BASE_URL",  # where they are downloaded from
    "MIA_GRAMMAR_DIR",  # another grammars folder (assistant/grammar/loader.py)
    "MIA_WHISPER_MODEL",  # the Whisper model of bench/asr_latency.py
    *SECRET_ENV_VARS,
})
_NON_CONFIG_PREFIXES = ("MIA_TEST_",)  # test-suite switches (MIA_TEST_VOSK_MODEL_EN...)


def _is_text(annotation: Any) -> bool:
    """A field whose value is text (`str`, `str | None`): its environment value is taken as it is
    written. A phone number ("+15551234567"), an account id or a folder name is never turned into a
    number, a date or a boolean by YAML."""
    if annotation is str:
        return True
    args = get_args(annotation)
    return bool(args) and str in args and all(a in (str, type(None)) for a in args)


def _env_overrides(env: dict[str, str]) -> dict[str, Any]:
    """`MIA_RISK__MAX_ORDER_SIZE=5` -> {"risk": {"max_order_size": "5"}}. Values of text fields are
    kept as written; others are parsed as YAML scalars ("5", "true", "[1, 2]").

    A variable that does not name a setting is not an error: MIA's other variables (models, grammars,
    secrets) and stray ones (another tool's MIA_FOO) are left alone, the stray ones with a logged
    warning. One written as a setting of a known section (`MIA_RISK__MAX_ORDR_SIZE`) is kept, so
    that validation refuses it by name: a misspelt risk limit must never be silently ignored."""
    out: dict[str, Any] = {}
    for name, raw in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or name in NON_CONFIG_ENV_VARS or name.startswith(_NON_CONFIG_PREFIXES):
            continue
        path = [p.lower() for p in name[len(ENV_PREFIX):].split("__") if p]
        if not path:
            continue
        model: Any = MiaConfig
        annotation: Any = None
        known = True
        for depth, part in enumerate(path):
            fields = getattr(model, "model_fields", None)
            if fields is None:  # inside a dict setting (gamma_factors...): any key
                break
            field = fields.get(part)
            if field is None:
                known = depth > 0  # MIA_RISK__TYPO: a setting of a known section, refused by validation
                break
            annotation = field.annotation
            model = annotation
        if not known:
            log.warning("environment variable %s is not a MIA setting; ignored / la variable d'environnement %s "
                        "n'est pas un réglage de MIA ; ignorée", name, name)
            continue
        if raw == "":
            value: Any = None
        elif _is_text(annotation):
            value = raw
        else:
            try:
                value = yaml.safe_load(raw)
            except yaml.YAMLError:
                value = raw
        node = out
        for p in path[:-1]:
            node = node.setdefault(p, {})
        node[path[-1]] = value
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError("config file", str(path), "an existing YAML file") from None
    except yaml.YAMLError as exc:
        raise ConfigError("config file", str(path), f"valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError("config file", str(path), "a YAML mapping at top level")
    return data


# Key fragments that mark a secret: refused in config files (above), redacted when shown. (Two lists
# used to be defined under this name; the second, broader one was the one in force for both.)
_SECRET_WORDS = ("token", "password", "secret", "sid", "webhook", "api_key", "apikey", "auth")


def _looks_secret(key: str) -> bool:
    k = key.lower()
    return any(w in k for w in _SECRET_WORDS)


def _first_error(exc: ValidationError, merged: dict[str, Any]) -> ConfigError:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"])
    value = err.get("input")
    msg = err.get("msg", "invalid")
    if err.get("type") == "extra_forbidden":
        msg = "a known key (this one is not recognised; check the spelling)"
        if _looks_secret(key):
            # never echo what may be a token pasted into the wrong place
            value = "***"
            msg += "; secrets go in environment variables (MIA_TELEGRAM_TOKEN, MIA_TWILIO_AUTH_TOKEN, ...)"
    elif "ctx" in err:
        ctx = err["ctx"]
        parts = [f"{k} {v}" for k, v in ctx.items() if k in ("gt", "ge", "lt", "le", "expected")]
        if parts:
            msg = f"{msg} ({', '.join(parts)})"
    return ConfigError(key, value, msg)


def load_config(
    user_file: str | Path | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> MiaConfig:
    """Build the effective config. Order: default.yaml < user file (or $MIA_CONFIG) < MIA_* env < overrides."""
    e = dict(os.environ if env is None else env)
    merged = _read_yaml(DEFAULT_CONFIG_PATH) if DEFAULT_CONFIG_PATH.exists() else {}
    user = user_file or e.get("MIA_CONFIG")
    if user:
        merged = _deep_merge(merged, _read_yaml(Path(user)))
    merged = _deep_merge(merged, _env_overrides(e))
    if overrides:
        merged = _deep_merge(merged, overrides)
    try:
        return MiaConfig.model_validate(merged)
    except ValidationError as exc:
        raise _first_error(exc, merged) from None
