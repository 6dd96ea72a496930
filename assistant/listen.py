"""`mia listen`: talk to MIA through one input (microphone, a WAV file, or typed text), with an
engine running in-process on the paper ledger, as `mia run` does but focused on that input.

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
from typing import Any

from trading_core.config import MiaConfig

log = logging.getLogger("mia.voice")

INPUTS = ("auto", "mic", "wav", "text")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "listen",
        help="talk to MIA through the microphone, a WAV file or typed text (paper engine in-process)",
        description=(
            "Listen to one input and answer: orders, closing and halting are read back and need a spoken or "
            "typed confirmation. Runs the paper engine in-process (refuses if `mia run` is already running).\n"
            "Examples:\n  mia listen\n  mia listen --input wav command.wav --no-speech\n"
            "  mia listen --input text --lang fr\n  mia listen --input wav cmd.wav --speak-to answers/"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lang", choices=["auto", "fr", "en"], default=argparse.SUPPRESS,
                   help="language to listen and answer in (default: config; auto = per utterance)")
    p.add_argument("--input", nargs="+", metavar="KIND", default=["auto"],
                   help="auto (default), mic, text, or wav FILE")
    p.add_argument("--backend", choices=["whisper-grammar", "vosk", "pocketsphinx", "whisper"], help="speech recogniser override")
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
    ui = _ui_lang(getattr(args, "lang", None) or config.language)
    try:
        parse_input(args.input)  # usage errors first, before seconds of imports
    except ListenUsageError as exc:
        _err(ui, exc.en, exc.fr)
        return 2
    try:
        return asyncio.run(_listen(args, config))
    except KeyboardInterrupt:
        return 130


def _ui_lang(lang_setting: str) -> str:
    return lang_setting if lang_setting in ("en", "fr") else "en"


def _err(lang: str, en: str, fr: str) -> None:
    print(fr if lang == "fr" else en, file=sys.stderr)


async def _wait_for_prices(engine: Any, timeout_s: float = 10.0) -> bool:
    """Orders need a current price: wait until the feed has given a live one per symbol (a price
    remembered from the ledger or the warm-up history does not count)."""
    deadline = time.monotonic() + timeout_s
    while not all(engine.has_current_price(s) for s in engine.symbols):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _listen(args: argparse.Namespace, config: MiaConfig) -> int:
    from assistant import control
    from assistant.asr.base import RecognizerError
    from assistant.asr.pipeline import Listener
    from assistant.audio import AudioInputError, MicSource, WavSource, probe
    from assistant.dialogue import Dialogue, shared_parser
    from assistant.console import summary_line
    from assistant.voice_loop import (
        AnswerOutput,
        VoiceLoop,
        VoiceSetup,
        answers_part,
        endpointer_for,
        listen_languages,
        make_output_speaker,
        prepare_recognizers,
        prepare_voice,
        run_text_loop,
        typed_part,
        voice_part,
    )
    from trading_core.api import Engine

    lang_setting = getattr(args, "lang", None) or config.language
    ui = _ui_lang(lang_setting)
    try:
        kind, wav = parse_input(args.input)
    except ListenUsageError as exc:
        _err(ui, exc.en, exc.fr)
        return 2
    if wav is not None:
        try:
            probe(wav)
        except AudioInputError as exc:
            _err(ui, exc.en, exc.fr)
            return 2
    sock = control.socket_path(config.data_path)
    if sock.exists() and await control.call(sock, "ping", {}, ui) is not None:
        _err(ui, "`mia run` is already running on this data folder and owns its ledger: its voice loop is the one "
                 "to talk to (or stop it first).",
             "`mia run` tourne déjà sur ce dossier de données et tient son registre : parlez à sa boucle vocale "
             "(ou arrêtez-le d'abord).")
        return 2

    langs = listen_languages(lang_setting)
    recognizers: dict[str, Any] = {}
    device = None
    why_not_voice: str | None = None
    if kind in ("auto", "mic"):
        setup = await asyncio.to_thread(prepare_voice, config, ui, langs, args.backend, args.device)
        if setup.ok:
            kind, recognizers, device = "mic", setup.recognizers, setup.device
            report = setup.report
        elif kind == "mic":
            _err(ui, f"Voice input unavailable: {setup.problem}", f"Entrée vocale indisponible : {setup.problem}")
            return 2
        else:
            log.info("no voice input: %s", setup.problem)
            why_not_voice = setup.problem
            kind = "text"
    elif kind == "wav":
        try:
            recognizers, report = await asyncio.to_thread(prepare_recognizers, config, ui, langs, args.backend)
        except RecognizerError as exc:
            _err(ui, exc.en, exc.fr)
            return 2
        if not recognizers:
            _err(ui, "No speech recogniser is available:\n  " + "\n  ".join(report),
                 "Aucun moteur de reconnaissance disponible :\n  " + "\n  ".join(report))
            return 2
    if kind in ("mic", "wav"):
        for line in report:
            log.info("recogniser: %s", line)

    speaker = make_output_speaker(config, no_speech=args.no_speech, speak_to=args.speak_to, lang=ui)
    parser = await asyncio.to_thread(shared_parser)  # compiled before the engine runs: it takes seconds
    engine = Engine.from_config(config, realtime=True, mode="paper")
    await engine.start()
    code = 0
    try:
        if not await _wait_for_prices(engine):
            _err(ui, "No market price yet: orders will be refused until the feed gives one.",
                 "Pas encore de prix de marché : les ordres seront refusés tant que le flux n'en donne pas.")
        output = AnswerOutput(speaker)
        source_name = "text" if kind == "text" else "voice"
        dialogue = Dialogue(engine, parser, config=config, lang=lang_setting, source=source_name)
        if kind == "text":
            part = typed_part(ui, why_not_voice)
        elif kind == "wav":
            backends = ", ".join(f"{code.upper()} {rec.backend}" for code, rec in recognizers.items())
            part = (f"fichier {wav} : {backends}" if ui == "fr" else f"file {wav}: {backends}")
        else:
            part = voice_part(VoiceSetup(recognizers, device, []), ui)
        print(summary_line(ui, mode=engine.mode, market=config.market, state=engine.state.value,
                           parts={"input": part, "answers": answers_part(speaker, ui)},
                           log_dir=config.data_path / "logs" / config.market,
                           log_level=logging.getLevelName(logging.getLogger("mia").level),
                           quit_hint=kind != "wav"), flush=True)
        if kind == "text":
            await run_text_loop(dialogue, output, prompt="> " if sys.stdin.isatty() else None)
        elif kind == "wav":
            assert wav is not None
            loop = VoiceLoop(dialogue, Listener(recognizers, endpointer_for(config)), output,
                             clock="stream", say_when_nothing_heard=True)
            cfg = loop.listener.endpointer.config
            result = await loop.run(WavSource(wav, trailing_silence_s=cfg.trailing_silence_s + 0.1))
            if not any(r.executed or r.kind in ("answer", "readback", "help", "info") for r in result.replies):
                code = 1  # nothing was understood or done: useful for scripts
        else:
            mic = MicSource(device.index)
            loop = VoiceLoop(dialogue, Listener(recognizers, endpointer_for(config)), output,
                             clock="wall", half_duplex=True)
            try:
                with mic:
                    await loop.run(mic)
            finally:
                loop.stop()
                mic.close()
    except AudioInputError as exc:
        _err(ui, exc.en, exc.fr)
        code = 2
    finally:
        await asyncio.to_thread(speaker.flush, 30.0)
        speaker.close()
        await engine.stop()
        engine.close()
    return code
