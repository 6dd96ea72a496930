"""What the front ends share in one run, built once by the lifecycle and handed to each of them.

A front never looks another one up: it gets `Services` and uses its typed fields, the speaker (one voice
for answers and alerts: an urgent alert pre-empts a calm answer), the alert manager, the Telegram rate
limiter (one bot token, one set of limits for the alert outbox and the chat bot), the monitor with the
recorders the voice loop feeds (stage latencies, the command log, ML metrics). The intelligence services
are reached through the engine (`EngineAPI.regime`, ...), which builds them on first use.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.autopilot.options import AutopilotRunOptions
from trading_core.config import MiaConfig

if TYPE_CHECKING:
    from trading_core.protocols import EngineAPI

    from assistant.app.console import StartupSummary

    from assistant.app.console import StartupSummary
    from assistant.monitor import CommandLog, LatencyRecorder, MLMetrics, Monitor
    from assistant.notify.manager import AlertManager
    from assistant.notify.ratelimit import TelegramRateLimiter
    from assistant.speech.base import Speaker

log = logging.getLogger("mia.app")


@dataclass(frozen=True, slots=True)
class DashboardOptions:
    host: str
    port: int
    refresh_rate: float
    intelligence: bool
    figures: bool


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What the command line asked for, typed, for every preset (`mia run`, `bot`, `dashboard`, `listen`)."""

    lang_setting: str = "auto"  # the language to listen and answer in: en, fr or auto (per utterance)
    input: str = "auto"  # auto | mic | text | wav | none
    wav: Path | None = None  # `--input wav FILE`
    device: str | None = None  # microphone name or index
    backend: str | None = None  # speech recogniser override
    speech: bool = True  # False: `--no-speech`, answers and alerts are only printed / sent
    speak_to: Path | None = None  # write spoken answers as WAV files here instead of playing them
    duration: float | None = None  # stop after this many seconds
    live: bool = False  # `mia run --live`
    paper: bool = False  # `mia run --paper`
    feed: bool = True  # run the market feed (False: `mia dashboard` without --feed marks at the last prices)
    dashboard: DashboardOptions | None = None  # `mia dashboard`'s own settings (else the config's)
    autopilot: AutopilotRunOptions | None = None  # `mia run --autopilot ...` (None: the last run's mode)


@dataclass
class Services:
    """Everything the front ends of one run share. Built by `build_services`, started and stopped by the
    lifecycle (`assistant.app.lifecycle`)."""

    config: MiaConfig
    engine: EngineAPI
    options: RunOptions
    lang: str  # the interface language for banners and messages (en / fr)
    stop: asyncio.Event
    speaker: Speaker
    telegram_limiter: TelegramRateLimiter
    latency: LatencyRecorder
    commands: CommandLog
    ml: MLMetrics
    monitor: Monitor
    alerts: AlertManager | None = None  # when the run sends alerts (`mia run`)
    startup: StartupSummary | None = None  # the start-up line's parts, when the preset prints one (`mia run`)
    exit_code: int | None = None  # what the run's main front asks the command to exit with
    urls: dict[str, str] = field(default_factory=dict)  # what the run serves, by name ("dashboard")
    _started: bool = field(default=False, repr=False)

    # ---- what the dialogue hands over after each answer
    async def copy_answer(self, transcript: str, answer: str, lang: str, source: str, intent: str | None = None) -> None:
        """A command and MIA's answer: kept in the command log (dashboard) and copied to the written
        channels when the run sends alerts."""
        if lang in ("en", "fr") and (transcript.strip() or answer.strip()):
            self.commands.record(transcript, intent, answer, lang, source=source)
        if self.alerts is not None:
            await self.alerts.copy_answer(transcript, answer, lang, source)

    async def recogniser_failure(self, detail_en: str, detail_fr: str) -> None:
        """The microphone or a recogniser failed: the trader must know at once (spoken, sent)."""
        if self.alerts is None:
            log.error("voice input failure and no alert manager to report it: %s", detail_en)
            return
        try:
            await self.alerts.recogniser_failure(detail_en, detail_fr)
        except Exception:  # the alert path failing must not hide the original failure
            log.exception("recogniser failure alert could not be sent")

    # ---- lifecycle
    async def start(self) -> None:
        if self.alerts is not None:
            await self.alerts.start()
        self._started = True

    async def close(self) -> None:
        """Stop the alert manager (drains its outbox for a few seconds) and let the voice finish."""
        if self.alerts is not None and self._started:
            await self.alerts.stop(drain_timeout=5)
        await asyncio.to_thread(self.speaker.flush, 10.0)
        self.speaker.close()


def make_speaker(config: MiaConfig, options: RunOptions, lang: str) -> Speaker:
    """The one voice of a run: WAV files with `--speak-to`, nothing with `--no-speech` (or speech off
    in the config), else the live voice (no voice, with a message, when it cannot start)."""
    from assistant.speech import NullSpeaker, SpeechError, SpeechSettings, WavSpeaker
    from assistant.speech import make_speaker as live_speaker

    settings = SpeechSettings.from_config(config.speech)
    if options.speak_to is not None:
        return WavSpeaker(options.speak_to, settings)
    if not options.speech or not config.speech.enabled:
        return NullSpeaker(settings)
    try:
        return live_speaker(config, "live")
    except SpeechError as exc:
        import sys

        print(f"Réponses parlées désactivées : {exc.fr}" if lang == "fr" else f"Spoken answers off: {exc.en}",
              file=sys.stderr)
        return NullSpeaker(settings)


def build_services(
    engine: EngineAPI,
    config: MiaConfig,
    options: RunOptions,
    *,
    stop: asyncio.Event | None = None,
    lang: str = "en",
    alerts: bool = False,
    startup: bool = False,
    speaker: Speaker | None = None,
    secrets: Any = None,
) -> Services:
    """The services of one run (nothing started yet). `alerts`: build the alert manager and its outbox
    (only `mia run` sends alerts; the other presets leave the outbox to it); each spoken alert is also
    shown as a terminal line. `startup`: collect the fronts' parts of the start-up line."""
    from assistant.app.console import StartupSummary
    from assistant.monitor import CommandLog, LatencyRecorder, MLMetrics, Monitor
    from assistant.notify.ratelimit import TelegramRateLimiter

    voice = speaker if speaker is not None else make_speaker(config, options, lang)
    limiter = TelegramRateLimiter()
    manager: AlertManager | None = None
    if alerts:
        from assistant.notify.factory import build_alert_manager
        from trading_core.config import Secrets

        alert_voice = voice if config.alert_manager.voice_alerts else None
        manager = build_alert_manager(config, secrets if secrets is not None else Secrets.from_env(),
                                      speaker=alert_voice, telegram_limiter=limiter, echo=_echo_alert)
        manager.set_language(lang)  # alerts before the trader's first word follow the run's language
    latency, commands, ml = LatencyRecorder(), CommandLog(), MLMetrics()
    monitor = Monitor(config, engine=engine, latency=latency, ml=ml, commands=commands, alert_sink=manager)
    return Services(
        config=config, engine=engine, options=options, lang=lang, stop=stop or asyncio.Event(), speaker=voice,
        telegram_limiter=limiter, latency=latency, commands=commands, ml=ml, monitor=monitor, alerts=manager,
        startup=StartupSummary() if startup else None,
    )


def _echo_alert(text: str, lang: str) -> None:
    """A spoken alert as a terminal line, next to the conversation (above a waiting typed-input prompt)."""
    from assistant.app.console import alert_line
    from assistant.voice.loop import PROMPT

    PROMPT.print_line(alert_line(text, lang))


__all__ = ["DashboardOptions", "RunOptions", "Services", "build_services", "make_speaker"]
