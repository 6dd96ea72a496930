"""The voice front of a run: voice input when a microphone and a recogniser are available, typed input
otherwise, spoken answers through the run's one speaker. `run_front_end(services)` is what `mia run`
attaches; it reports what it runs for the start-up line (`assistant.app.console`) instead of printing
it. The setup helpers are shared with `mia listen` and the audio test harness."""
from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.asr.pipeline import Listener
from assistant.dialogue import Dialogue, shared_parser
from assistant.dialogue.autopilot import AutopilotFeed
from assistant.voice.loop import AnswerOutput, VoiceLoop, run_text_loop

if TYPE_CHECKING:
    from assistant.app.services import Services

log = logging.getLogger("mia.voice")


def _t(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


def _per_language(message: str, lang: str) -> str:
    """The recogniser start-up lines are "français / English": keep the user's half."""
    parts = message.split(" / ")
    if len(parts) == 2:
        return parts[0] if lang == "fr" else parts[1]
    return message


@dataclass
class VoiceSetup:
    """What `prepare_voice` found: recognisers ready, or why voice input is not possible."""

    recognizers: dict[str, Any]
    device: Any | None
    report: list[str]  # one line per language, in the user's language
    problem: str | None = None  # why voice input is unavailable (user's language)

    @property
    def ok(self) -> bool:
        return self.problem is None and bool(self.recognizers)


def prepare_recognizers(config: Any, lang: str, listen_langs: tuple[str, ...], backend: str | None,
                        grammar: Any = None) -> tuple[dict[str, Any], list[str]]:
    """Recognisers for the listening languages, compiled from the project grammars (or `grammar`,
    a loaded `Grammar`, for the test harness's other domains), with the start-up line of each
    language. Raises `RecognizerError` for an explicit backend that cannot run."""
    from assistant.asr.select import build_recognizers, select_backends
    from assistant.grammar import load_grammar

    choices = select_backends(config, langs=listen_langs, override=backend)
    report = [_per_language(c.message, lang) for c in choices.values()]
    available = {k: c for k, c in choices.items() if c.available}
    if not available:
        return {}, report
    recognizers = build_recognizers(available, grammar if grammar is not None else load_grammar(None))
    return recognizers, report


def prepare_voice(config: Any, lang: str, listen_langs: tuple[str, ...], backend: str | None, device: Any = None) -> VoiceSetup:
    from assistant.asr.base import RecognizerError
    from assistant.audio import AudioInputError, resolve_input_device

    try:
        dev = resolve_input_device(device if device is not None else config.asr.input_device)
    except AudioInputError as exc:
        return VoiceSetup({}, None, [], exc.fr if lang == "fr" else exc.en)
    try:
        recognizers, report = prepare_recognizers(config, lang, listen_langs, backend)
    except RecognizerError as exc:
        return VoiceSetup({}, dev, [], exc.fr if lang == "fr" else exc.en)
    if not recognizers:
        return VoiceSetup({}, dev, report, _t(lang, "no speech recogniser is available for "
                                              + ", ".join(x.upper() for x in listen_langs),
                                              "aucun moteur de reconnaissance n'est disponible pour "
                                              + ", ".join(x.upper() for x in listen_langs)))
    return VoiceSetup(recognizers, dev, report)


def listen_languages(lang_setting: str) -> tuple[str, ...]:
    return ("en", "fr") if lang_setting == "auto" else (lang_setting,)


def endpointer_for(config: Any) -> Any:
    from assistant.audio import Endpointer, EndpointerConfig

    return Endpointer(EndpointerConfig.from_asr_config(config.asr))


def answers_part(speaker: Any, lang: str) -> str:
    """The start-up line's word on answers: spoken or text only."""
    from assistant.speech import NullSpeaker

    spoken = speaker is not None and not isinstance(speaker, NullSpeaker)
    return _t(lang, "spoken answers" if spoken else "answers in text only",
              "réponses parlées" if spoken else "réponses en texte seulement")


def voice_part(setup: VoiceSetup, lang: str) -> str:
    """"voice input: EN pocketsphinx, FR whisper on [3] USB mic"."""
    backends = ", ".join(f"{code.upper()} {rec.backend}" for code, rec in setup.recognizers.items())
    device = f"[{setup.device.index}] {setup.device.name}" if setup.device is not None else "?"
    return _t(lang, f"voice input: {backends} on {device}", f"entrée vocale : {backends} sur {device}")


def typed_part(lang: str, why_not_voice: str | None = None) -> str:
    """"typed input (no microphone), type help for examples"."""
    from assistant.app.console import short_reason

    why = f" ({short_reason(why_not_voice)})" if why_not_voice else ""
    return _t(lang, f"typed input{why}, type “help” for examples, “quit” or Ctrl-D to quit",
              f"saisie au clavier{why}, tapez « aide » pour des exemples, « quitter » ou Ctrl-D pour quitter")


def typed_banner(lang: str) -> str:
    return _t(
        lang,
        'Typed input: type a command, for example "buy 2 ES" or "help"; "quit" or Ctrl-D to quit.',
        "Saisie au clavier : tapez une commande, par exemple « achète 2 contrats ES » ou « aide » ; « quitter » ou Ctrl-D pour quitter.",
    )


def dialogue_for(services: Services, parser: Any, source: str) -> Dialogue:
    """The dialogue of this front: every answer goes to the command log and the written channels."""
    return Dialogue(services.engine, parser, config=services.config, lang=services.options.lang_setting,
                    source=source, copy_sink=services.copy_answer)


async def run_front_end(services: Services) -> None:
    """`mia run`'s voice or typed input. `--input auto` listens to the microphone when there is one
    and a recogniser for a listening language, and reads typed commands otherwise."""
    from assistant.app.console import SUMMARY_WAIT_S, report

    options = services.options
    mode = options.input or "auto"
    ui_lang = services.lang
    # With a start-up line (mia run), what this front runs is one part of it; run alone (tests, embedding)
    # it says so in its own lines.
    collected = services.startup is not None
    if mode == "none":
        if collected:
            report(services, "input", _t(ui_lang, "no input (alerts only)", "aucune entrée (alertes seulement)"))
        return
    output = AnswerOutput(services.speaker)
    # Compiling the grammars takes seconds: never on the event loop the engine runs on.
    parser = await asyncio.to_thread(shared_parser)
    setup: VoiceSetup | None = None
    why_not_voice: str | None = None
    if mode in ("auto", "mic"):
        setup = await asyncio.to_thread(
            prepare_voice, services.config, ui_lang, listen_languages(options.lang_setting), options.backend,
            options.device,
        )
        if not setup.ok:
            reason = setup.problem or ""
            if mode == "mic":
                print(_t(ui_lang, f"Voice input unavailable: {reason}", f"Entrée vocale indisponible : {reason}"), file=sys.stderr)
                await services.recogniser_failure(f"Voice input unavailable: {reason}.", f"Entrée vocale indisponible : {reason}.")
                if collected:
                    report(services, "input", _t(ui_lang, "no input", "aucune entrée"))
                return
            log.info("no voice input: %s", reason)
            if not collected:
                print(_t(ui_lang, f"No voice input ({reason}).", f"Pas d'entrée vocale ({reason})."))
            why_not_voice = reason
            setup = None
    if setup is not None:
        from assistant.audio import MicSource

        assert setup.device is not None  # prepare_voice found the device before the recognisers

        dialogue = dialogue_for(services, parser, "voice")
        for line in setup.report:
            log.info("recogniser: %s", line)
        if collected:
            report(services, "answers", answers_part(services.speaker, ui_lang))
            report(services, "input", voice_part(setup, ui_lang))
        else:
            print(_t(ui_lang, f"Listening on [{setup.device.index}] {setup.device.name}.",
                     f"Écoute sur [{setup.device.index}] {setup.device.name}."))
            for line in setup.report:
                print("  " + line)
        mic = MicSource(setup.device.index)
        listener = Listener(setup.recognizers, endpointer_for(services.config))
        voice = VoiceLoop(dialogue, listener, output, clock="wall", half_duplex=True, latency=services.latency,
                          feed=AutopilotFeed(services.engine))
        try:
            with mic:
                await voice.run(mic, services.stop)
        except Exception as exc:  # the microphone or a recogniser died: the trader must know at once
            await services.recogniser_failure(f"Voice input stopped: {exc}.", f"L'entrée vocale s'est arrêtée : {exc}.")
            raise
        finally:
            voice.stop()
            mic.close()
        return
    dialogue = dialogue_for(services, parser, "text")
    if collected:
        report(services, "answers", answers_part(services.speaker, ui_lang))
        report(services, "input", typed_part(ui_lang, why_not_voice))
    else:
        print(typed_banner(ui_lang))
    if services.startup is not None:  # the start-up line first, then the conversation
        await services.startup.until_shown(SUMMARY_WAIT_S + 1.0)
    at_terminal = sys.stdin.isatty()

    def input_ended(how: str) -> None:
        # "quit" typed, or Ctrl-D at a terminal, ends the run; a script's input running out does
        # not (the run goes on until --duration or Ctrl-C, as a service with no more input).
        if how == "quit" or at_terminal:
            services.stop.set()

    await run_text_loop(dialogue, output, stop=services.stop, prompt="> " if at_terminal else None,
                        feed=AutopilotFeed(services.engine), on_end=input_ended)


__all__ = [
    "VoiceSetup", "answers_part", "dialogue_for", "endpointer_for", "listen_languages", "prepare_recognizers",
    "prepare_voice", "run_front_end", "typed_banner", "typed_part", "voice_part",
]
