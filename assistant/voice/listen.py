"""`mia listen`: talk to MIA through one input (microphone, a WAV file, or typed text), with an
engine running in-process on the paper ledger: a preset of the one lifecycle (`assistant.app`), whose
main front end is that input; the run ends when the input does (end of the file, Ctrl-D).

    mia listen                                  microphone if there is one, else typed text
    mia listen --input wav command.wav --no-speech
    mia listen --input text --lang fr
    mia listen --input wav cmd.wav --speak-to answers/   spoken answers written as WAV files
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.app.lifecycle import Preset, interface_lang, paper_engine, run_preset
from assistant.app.services import RunOptions
from trading_core.config import MiaConfig
from trading_core.protocols import EngineAPI

if TYPE_CHECKING:
    from assistant.app.services import Services

log = logging.getLogger("mia.voice")

INPUTS = ("auto", "mic", "wav", "text")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "listen",
        help="talk to MIA through the microphone, a WAV file or typed text (paper engine in-process)",
        description=(
            "Listen to one input and answer: orders, closing and halting are read back and need a spoken or "
            "typed confirmation. Runs the paper engine in-process (refuses if another MIA runs on the data folder).\n"
            "Examples:\n  mia listen\n  mia listen --input wav command.wav --no-speech\n"
            "  mia listen --input text --lang fr\n  mia listen --input wav cmd.wav --speak-to answers/"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lang", choices=["auto", "fr", "en"], default=argparse.SUPPRESS,
                   help="language to listen and answer in (default: config; auto = per utterance)")
    p.add_argument("--input", nargs="+", metavar="KIND", default=["auto"],
                   help="auto (default), mic, text, or wav FILE")
    p.add_argument("--backend", choices=["whisper-grammar", "pocketsphinx-verified", "vosk", "pocketsphinx", "whisper"], help="speech recogniser override")
    p.add_argument("--device", help="microphone name or index (default: config asr.input_device, else the system default)")
    p.add_argument("--no-speech", action="store_true", help="do not speak answers (text only)")
    p.add_argument("--speak-to", metavar="DIR", help="write each spoken answer as a WAV file in DIR instead of playing it")
    p.set_defaults(func=listen_command)


class ListenUsageError(ValueError):
    def __init__(self, en: str, fr: str) -> None:
        self.en, self.fr = en, fr
        super().__init__(en)


def parse_input(tokens: list[str]) -> tuple[str, Path | None]:
    """`--input` tokens -> (kind, wav path). Raises ListenUsageError with a bilingual message."""
    kind = tokens[0].lower()
    if kind not in INPUTS:
        raise ListenUsageError(
            f"--input: unknown input {tokens[0]!r}; use auto, mic, text or wav FILE",
            f"--input : entrée inconnue « {tokens[0]} » ; utilisez auto, mic, text ou wav FICHIER",
        )
    if kind == "wav":
        if len(tokens) != 2:
            raise ListenUsageError("--input wav needs exactly one file: --input wav FILE.wav",
                                   "--input wav attend un seul fichier : --input wav FICHIER.wav")
        return kind, Path(tokens[1]).expanduser()
    if len(tokens) != 1:
        raise ListenUsageError(f"--input {kind} takes no file (only wav does)",
                               f"--input {kind} ne prend pas de fichier (seul wav en prend)")
    return kind, None


def listen_command(args: argparse.Namespace, config: MiaConfig) -> int:
    lang_setting = getattr(args, "lang", None) or config.language
    ui = interface_lang(lang_setting)
    try:
        kind, wav = parse_input(args.input)  # usage errors first, before seconds of imports
    except ListenUsageError as exc:
        _err(ui, exc.en, exc.fr)
        return 2
    if wav is not None:
        from assistant.audio import AudioInputError, probe

        try:
            probe(wav)
        except AudioInputError as exc:
            _err(ui, exc.en, exc.fr)
            return 2
    options = RunOptions(
        lang_setting=lang_setting, input=kind, wav=wav, device=args.device, backend=args.backend,
        speech=not args.no_speech, speak_to=Path(args.speak_to) if args.speak_to else None,
    )
    try:
        return asyncio.run(run_preset(LISTEN, config, options, ui))
    except KeyboardInterrupt:
        return 130


def _err(lang: str, en: str, fr: str) -> None:
    print(fr if lang == "fr" else en, file=sys.stderr)


async def _wait_for_prices(engine: EngineAPI, timeout_s: float = 10.0) -> bool:
    """Orders need a current price: wait until the feed has given a live one per symbol (a price
    remembered from the ledger or the warm-up history does not count)."""
    deadline = time.monotonic() + timeout_s
    while not all(engine.has_current_price(s) for s in engine.symbols):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def listen_front(services: Services) -> int:
    """The input of `mia listen`, until it ends. Exit code: 0, 1 when a WAV file gave nothing that was
    understood or done (useful for scripts), 2 when the input cannot be used."""
    from assistant.app.console import summary_line
    from assistant.asr.base import RecognizerError
    from assistant.asr.pipeline import Listener
    from assistant.audio import AudioInputError, MicSource, WavSource
    from assistant.dialogue import shared_parser
    from assistant.voice.front import (
        VoiceSetup,
        answers_part,
        dialogue_for,
        endpointer_for,
        listen_languages,
        prepare_recognizers,
        prepare_voice,
        typed_part,
        voice_part,
    )
    from assistant.voice.loop import AnswerOutput, VoiceLoop, run_text_loop

    options, ui, config = services.options, services.lang, services.config
    kind = options.input
    langs = listen_languages(options.lang_setting)
    recognizers: dict[str, Any] = {}
    device = None
    report: list[str] = []
    why_not_voice: str | None = None
    if kind in ("auto", "mic"):
        setup = await asyncio.to_thread(prepare_voice, config, ui, langs, options.backend, options.device)
        if setup.ok:
            kind, recognizers, device, report = "mic", setup.recognizers, setup.device, setup.report
        elif kind == "mic":
            _err(ui, f"Voice input unavailable: {setup.problem}", f"Entrée vocale indisponible : {setup.problem}")
            return 2
        else:
            log.info("no voice input: %s", setup.problem)
            why_not_voice = setup.problem
            kind = "text"
    elif kind == "wav":
        try:
            recognizers, report = await asyncio.to_thread(prepare_recognizers, config, ui, langs, options.backend)
        except RecognizerError as exc:
            _err(ui, exc.en, exc.fr)
            return 2
        if not recognizers:
            _err(ui, "No speech recogniser is available:\n  " + "\n  ".join(report),
                 "Aucun moteur de reconnaissance disponible :\n  " + "\n  ".join(report))
            return 2
    for line in report if kind in ("mic", "wav") else ():
        log.info("recogniser: %s", line)
    parser = await asyncio.to_thread(shared_parser)  # compiled off the loop: it takes seconds
    if not await _wait_for_prices(services.engine):
        _err(ui, "No market price yet: orders will be refused until the feed gives one.",
             "Pas encore de prix de marché : les ordres seront refusés tant que le flux n'en donne pas.")
    output = AnswerOutput(services.speaker)
    dialogue = dialogue_for(services, parser, "text" if kind == "text" else "voice")
    if kind == "text":
        part = typed_part(ui, why_not_voice)
    elif kind == "wav":
        backends = ", ".join(f"{code.upper()} {rec.backend}" for code, rec in recognizers.items())
        part = f"fichier {options.wav} : {backends}" if ui == "fr" else f"file {options.wav}: {backends}"
    else:
        part = voice_part(VoiceSetup(recognizers, device, []), ui)
    engine = services.engine
    print(summary_line(ui, mode=engine.mode, market=config.market, state=engine.state.value,
                       parts={"input": part, "answers": answers_part(services.speaker, ui)},
                       log_dir=config.data_path / "logs" / config.market,
                       log_level=logging.getLevelName(logging.getLogger("mia").level),
                       quit_hint=kind != "wav"), flush=True)
    try:
        if kind == "text":
            await run_text_loop(dialogue, output, stop=services.stop, prompt="> " if sys.stdin.isatty() else None)
            return 0
        if kind == "wav":
            assert options.wav is not None
            loop = VoiceLoop(dialogue, Listener(recognizers, endpointer_for(config)), output,
                             clock="stream", say_when_nothing_heard=True, latency=services.latency)
            cfg = loop.listener.endpointer.config
            result = await loop.run(WavSource(options.wav, trailing_silence_s=cfg.trailing_silence_s + 0.1))
            await asyncio.to_thread(services.speaker.flush, 30.0)
            understood = any(r.executed or r.kind in ("answer", "readback", "help", "info") for r in result.replies)
            return 0 if understood else 1  # nothing understood or done: useful for scripts
        assert device is not None
        mic = MicSource(device.index)
        voice = VoiceLoop(dialogue, Listener(recognizers, endpointer_for(config)), output,
                          clock="wall", half_duplex=True, latency=services.latency)
        try:
            with mic:
                await voice.run(mic, services.stop)
        finally:
            voice.stop()
            mic.close()
        return 0
    except AudioInputError as exc:
        _err(ui, exc.en, exc.fr)
        return 2


LISTEN = Preset("listen", (("listen", "assistant.voice.listen:listen_front"),), paper_engine, main="listen")

__all__ = ["INPUTS", "LISTEN", "ListenUsageError", "listen_command", "listen_front", "parse_input", "register"]
