"""The alert manager: events in; spoken alerts, and durable messages to the written channels, out."""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections import OrderedDict
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from assistant.notify.alerts import (
    Alert,
    alert_from_event,
    copy_alert,
    recogniser_failure_alert,
)
from assistant.notify.message import NewMessage
from assistant.notify.outbox import Outbox
from assistant.notify.router import RoutingPlan, route
from trading_core.config import AlertManagerConfig
from trading_core.types import EngineEvent

log = logging.getLogger("mia.notify.alerts")

_SPOKEN_MEMORY = 2048  # alert keys remembered so a replayed event is not spoken twice


@runtime_checkable
class Speaker(Protocol):
    """What the alert manager needs from the speech side: `say(text, lang, profile)` with profile
    "calm" or "urgent", sync or async; it should queue the utterance and return rather than block until
    spoken. An optional `preempt()` (sync or async) is called before a priority-5 alert; speakers without
    it are expected to pre-empt on the "urgent" profile themselves (assistant.speech does)."""

    def say(self, text: str, lang: str, profile: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    alert: Alert
    plan: RoutingPlan
    lang: str
    enqueued: tuple[int, ...]  # new outbox rows
    already_known: int  # deliveries whose dedup key was already in the outbox (replayed event)
    spoken: bool  # handed to the speaker (queued)
    error: str | None = None  # the outbox could not be written (the alert was still spoken)


@dataclass(frozen=True, slots=True)
class _Utterance:
    text: str
    lang: str
    profile: str


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


class AlertManager:
    """Turns events into alerts, routes them (voice, Telegram, Discord, SMS, e-mail) and enqueues the
    written ones in the durable outbox. `language`: "fr", "en" or "auto" (follow the language the
    trader last used, starting with `default_language`)."""

    def __init__(
        self,
        config: AlertManagerConfig,
        outbox: Outbox,
        *,
        speaker: Speaker | None = None,
        language: str = "auto",
        default_language: str = "en",
        echo: Callable[[str, str], Any] | None = None,
    ) -> None:
        if language not in ("auto", "fr", "en"):
            raise ValueError(f"language must be auto, fr or en (got {language!r})")
        if speaker is not None and not callable(getattr(speaker, "say", None)):
            raise TypeError("speaker must have a say(text, lang, profile) method")
        self.config = config
        self.outbox = outbox
        self.speaker = speaker
        #: Called with (text, lang) for every alert routed to the voice: the terminal's alert lines.
        self.echo = echo
        self._language_setting = language
        self._current_language = language if language != "auto" else ("fr" if default_language == "fr" else "en")
        self._speech_queue: asyncio.Queue[_Utterance] | None = None
        self._speech_task: asyncio.Task[None] | None = None
        self._spoken: OrderedDict[str, None] = OrderedDict()
        self._warned_missing: set[str] = set()

    def __repr__(self) -> str:
        return f"AlertManager(channels={list(self.outbox.channel_names)}, language={self.language!r}, voice={self.speaker is not None})"

    # -- language -----------------------------------------------------------------------------------

    @property
    def language(self) -> str:
        return self._current_language

    def set_language(self, lang: str) -> None:
        """The trader just used `lang`; alerts follow it when the configured language is auto."""
        if self._language_setting == "auto" and lang in ("fr", "en"):
            self._current_language = lang

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.outbox.start()
        self._ensure_speech_worker()

    async def stop(self, drain_timeout: float | None = None) -> None:
        if self._speech_task is not None:
            self._speech_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._speech_task
            self._speech_task = None
        await self.outbox.stop(drain_timeout=drain_timeout)

    async def __aenter__(self) -> "AlertManager":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- inputs -------------------------------------------------------------------------------------

    async def handle_event(self, event: EngineEvent) -> AlertOutcome:
        return await self.publish(alert_from_event(event))

    async def consume(self, events: AsyncIterable[EngineEvent]) -> None:
        """Handle every event of an async stream (e.g. the engine's event subscription) until it ends."""
        async for event in events:
            try:
                await self.handle_event(event)
            except Exception as exc:  # one malformed event must not stop the alert stream
                log.error("alert for event %s failed: %s: %s", getattr(event, "kind", "?"), type(exc).__name__, exc)

    async def recogniser_failure(self, detail_en: str, detail_fr: str | None = None) -> AlertOutcome:
        return await self.publish(recogniser_failure_alert(detail_en, detail_fr))

    async def copy_answer(self, transcript: str, answer_text: str, lang: str, source: str = "voice") -> AlertOutcome | None:
        """Copy a command (its transcript) and MIA's answer to the written channels. Not to the channel
        the command came from (a Telegram command already has its answer in the chat). None when copies
        are switched off or there is nothing to copy."""
        self.set_language(lang)
        if not self.config.copy_answers or not (transcript.strip() or answer_text.strip()):
            return None
        alert = copy_alert(transcript, answer_text, lang, source, priority=self.config.copy_priority)
        return await self.publish(alert, lang=lang, exclude=(source,))

    async def publish(self, alert: Alert, *, lang: str | None = None, exclude: tuple[str, ...] = ()) -> AlertOutcome:
        """Route one alert: enqueue its written messages (durably, first), then queue it for speech."""
        lang = lang or self.language
        plan = route(alert, self.config, self.outbox.channel_names, exclude=exclude)
        self._warn_unconfigured()
        messages = [
            NewMessage(
                channel=d.channel,
                recipient=d.recipient,
                body=self._body_for(alert, d.channel, lang),
                dedup_key=f"{alert.key}/{d.channel}/{d.recipient}",
                subject=alert.subject(lang) if d.channel == "email" else None,
                lang=lang,
                priority=alert.priority,
                category=alert.category.value,
            )
            for d in plan.deliveries
        ]
        error = None
        ids: list[int | None] = []
        if messages:
            try:
                ids = self.outbox.enqueue_many(messages)
            except Exception as exc:  # whatever broke, the alert must still be spoken
                error = f"{type(exc).__name__}: {exc}"
                log.error("alert %s could not be written to the outbox: %s", alert.key, error)
        new_ids = tuple(i for i in ids if i is not None)
        replay = bool(messages) and not new_ids and error is None
        spoken = False
        if plan.speak and not replay and alert.key not in self._spoken:
            if self.echo is not None:
                try:
                    self.echo(alert.terminal_text(lang), lang)
                except Exception as exc:  # showing the line must never stop the alert
                    log.warning("alert echo failed: %s: %s", type(exc).__name__, exc)
            if self.speaker is not None:
                spoken = await self._speak(alert, lang, plan)
            else:
                self._spoken[alert.key] = None  # shown once, as it would be said once
                while len(self._spoken) > _SPOKEN_MEMORY:
                    self._spoken.popitem(last=False)
        log.info(
            "alert %s P%d %s -> %s%s", alert.key, alert.priority, alert.kind,
            ",".join(sorted(plan.channels())) or "no channel", " + voice" if spoken else "",
        )
        return AlertOutcome(alert, plan, lang, new_ids, len(ids) - len(new_ids), spoken, error)

    # -- internals ----------------------------------------------------------------------------------

    @staticmethod
    def _body_for(alert: Alert, channel: str, lang: str) -> str:
        if channel == "sms":
            return alert.sms_text(lang)
        return alert.channel_text(lang)

    def _warn_unconfigured(self) -> None:
        cfg = self.config
        wanted = {
            "telegram": cfg.telegram_enabled,
            "discord": cfg.discord_enabled,
            "sms": cfg.sms_enabled,
            "email": cfg.email_enabled,
        }
        for name, enabled in wanted.items():
            if enabled and name not in self.outbox.channel_names and name not in self._warned_missing:
                self._warned_missing.add(name)
                log.warning("alerts: %s is enabled but not configured (missing secret or recipient); skipping it", name)

    def _ensure_speech_worker(self) -> None:
        if self.speaker is None or (self._speech_task is not None and not self._speech_task.done()):
            return
        if self._speech_queue is None:
            self._speech_queue = asyncio.Queue()
        self._speech_task = asyncio.create_task(self._speech_worker(), name="alert-speech")

    async def _speak(self, alert: Alert, lang: str, plan: RoutingPlan) -> bool:
        assert self.speaker is not None and plan.voice_profile is not None
        self._ensure_speech_worker()
        assert self._speech_queue is not None
        self._spoken[alert.key] = None
        while len(self._spoken) > _SPOKEN_MEMORY:
            self._spoken.popitem(last=False)
        if plan.preempt:
            # Drop what we had queued and cut what the speaker is saying: this one cannot wait.
            while not self._speech_queue.empty():
                self._speech_queue.get_nowait()
                self._speech_queue.task_done()
            preempt = getattr(self.speaker, "preempt", None)
            if callable(preempt):
                try:
                    await _maybe_await(preempt())
                except Exception as exc:
                    log.warning("speaker.preempt() failed: %s: %s", type(exc).__name__, exc)
        self._speech_queue.put_nowait(_Utterance(alert.spoken_text(lang), lang, plan.voice_profile))
        return True

    async def _speech_worker(self) -> None:
        assert self._speech_queue is not None and self.speaker is not None
        while True:
            u = await self._speech_queue.get()
            try:
                await _maybe_await(self.speaker.say(u.text, u.lang, u.profile))
            except Exception as exc:  # a broken voice must not stop the written alerts
                log.warning("speaker.say() failed: %s: %s", type(exc).__name__, exc)
            finally:
                self._speech_queue.task_done()

    async def speech_idle(self) -> None:
        """Wait until every queued alert has been handed to `speaker.say`."""
        if self._speech_queue is not None:
            await self._speech_queue.join()
