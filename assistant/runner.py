"""`mia run`: the main job. Engine + market data + control socket, then the front ends that are
available (voice or typed input, Telegram bot, alert fan-out, monitor), until SIGINT/SIGTERM.

On SIGINT/SIGTERM the engine stops cleanly and writes a compressed JSON snapshot to
`data/cache/engine/<market>/sigint_*.json.gz`.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import sys
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from assistant.console import StartupSummary, summary_line
from trading_core.config import MiaConfig

log = logging.getLogger("mia.run")

#: How long the start-up line waits for the front ends to report (grammar compilation included).
_SUMMARY_WAIT_S = 30.0

# A front end: an async function run alongside the engine until `stop` is set.
FrontEnd = Callable[["RunContext"], Awaitable[None]]


@dataclass
class RunContext:
    engine: Any
    config: MiaConfig
    args: argparse.Namespace
    stop: asyncio.Event
    lang: str
    extras: dict[str, Any] = field(default_factory=dict)
    say: Callable[[str], None] = print


# Front ends registered by other modules (voice loop, Telegram bot, alerts, monitor), in start order.
FRONT_ENDS: list[tuple[str, str]] = [
    ("voice", "assistant.voice_loop:run_front_end"),  # voice or typed input, spoken answers
    ("alerts", "assistant.notify.frontend:run_front_end"),  # alerts and copies via the outbox
    ("telegram", "assistant.telegram_bot.cli:run_front_end"),  # chat commands, when a token is set
    ("monitor", "assistant.monitor:run_monitor"),  # system / latency / ML / trading thresholds
    ("mentor", "assistant.mentor:run_mentor"),  # daily report at the end of the session
    ("dashboard", "assistant.dashboard:run_dashboard"),  # only when dashboard.enabled
]


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser(
        "run",
        help="start MIA: engine, simulated market, voice or typed input",
        description=(
            "Start MIA. Default: paper trading on the built-in simulated market, voice input when a microphone "
            "and a recogniser are available, typed input otherwise, spoken answers.\n"
            "Examples:\n  mia run --paper --market ES\n  mia run --input text --no-speech\n"
            "  mia run --live   (Interactive Brokers; asks you to type the account id)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = r.add_mutually_exclusive_group()
    mode.add_argument("--paper", action="store_true", help="paper trading (default)")
    mode.add_argument("--live", action="store_true", help="live trading through Interactive Brokers (gated)")
    r.add_argument("--market", choices=["ES", "MNQ"], help="main market (default: config)")
    r.add_argument("--speed", type=float, help="simulated seconds per wall second for the simulated market")
    r.add_argument("--input", choices=["auto", "mic", "text", "none"], default="auto", help="voice, typed, or no input")
    r.add_argument("--backend", choices=["whisper-grammar", "vosk", "pocketsphinx", "whisper"], help="speech recogniser override")
    r.add_argument("--no-speech", action="store_true", help="do not speak answers (text only)")
    r.add_argument("--duration", type=float, help="stop after this many seconds (demos and tests)")
    r.add_argument("--log-level", type=_log_level, default=logging.INFO, metavar="LEVEL",
                   help="level of the log files in data/logs/<market>/: DEBUG, INFO (default), WARNING or ERROR; "
                        "logs never go to the terminal unless -v")
    r.set_defaults(func=run_command)


def _log_level(text: str) -> int:
    from trading_core.logs import parse_level

    try:
        return parse_level(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_command(args: argparse.Namespace, config: MiaConfig) -> int:
    overrides: dict[str, Any] = {}
    if args.market:
        overrides["market"] = args.market
    if args.speed:
        overrides["feed"] = {"speed": args.speed}
    if overrides:
        from trading_core.config import load_config

        config = load_config(args.config, overrides=overrides | ({"data_dir": args.data_dir} if args.data_dir else {}))
    try:
        return asyncio.run(_main(args, config))
    except KeyboardInterrupt:
        return 130


def _paper_engine(config: MiaConfig) -> Any:
    from trading_core.api import Engine

    engine = Engine.from_config(config, realtime=True, mode="paper")
    engine.prepare()
    return engine


async def _build_engine(args: argparse.Namespace, config: MiaConfig):
    if args.live or config.mode == "live" and not args.paper:
        from trading_core.live import build_live_engine

        return await build_live_engine(config, args)
    # Importing the engine and building the feed take a second: off the event loop, like everything slow.
    return await asyncio.to_thread(_paper_engine, config)


@dataclass
class RunSession:
    """What `mia run` runs: the engine with its feed, the control socket, the front ends."""

    engine: Any
    server: Any
    ctx: RunContext
    tasks: list[asyncio.Task[None]]


async def open_session(args: argparse.Namespace, config: MiaConfig, stop: asyncio.Event, lang: str) -> RunSession | None:
    """Start the engine, the control socket and the front ends; None (after saying why) when MIA
    cannot start. Slow set-up (module imports, building the feed) runs in worker threads: the event
    loop serves prices and the socket from the first second."""
    engine = await _build_engine(args, config)
    if engine is None:
        return None
    # Everything slow to import is imported now, before market data flows: once the engine runs, an
    # import (even in a worker thread: a module's set-up holds the GIL) would freeze the event loop.
    front_ends = await asyncio.to_thread(_import_front_ends, config)
    await engine.start()
    control = importlib.import_module("assistant.control")
    ops = importlib.import_module("assistant.ops")
    server = control.ControlServer(engine, ops.OPS, control.socket_path(config.data_path))
    try:
        await server.start()
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        await engine.stop()
        engine.close()
        return None
    ctx = new_context(engine, config, args, stop, lang)
    tasks = [asyncio.create_task(_guard(name, fe, ctx), name=f"mia-{name}") for name, fe in front_ends]
    return RunSession(engine, server, ctx, tasks)


def _import_front_ends(config: MiaConfig) -> list[tuple[str, FrontEnd]]:
    """Import the control socket, the ops and every front end, and let each front-end module preload
    what it would import on its first use (its optional `preload(config)`)."""
    importlib.import_module("assistant.control")
    importlib.import_module("assistant.ops")
    found: list[tuple[str, FrontEnd]] = []
    for name, target in FRONT_ENDS:
        module, func = target.split(":")
        try:
            loaded = importlib.import_module(module)
            preload = getattr(loaded, "preload", None)
            if callable(preload):
                preload(config)
            found.append((name, getattr(loaded, func)))
        except ImportError as exc:
            log.warning("front end %s unavailable: %s", name, exc)
    return found


async def close_session(session: RunSession) -> None:
    for task in session.tasks:
        task.cancel()
    await asyncio.gather(*session.tasks, return_exceptions=True)
    await session.server.stop()
    await session.engine.stop()


async def _main(args: argparse.Namespace, config: MiaConfig) -> int:
    from trading_core.snapshot import write_snapshot

    lang = "en" if (args.lang or config.language) == "auto" else (args.lang or config.language)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    stop_reason: list[str] = []

    def on_signal(signame: str) -> None:
        stop_reason.append(signame)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig.name.lower())
    session = await open_session(args, config, stop, lang)
    if session is None:
        return 2
    engine = session.engine
    summary: StartupSummary = session.ctx.extras["startup"]
    if args.duration:
        loop.call_later(args.duration, stop.set)
    # One start-up line once the front ends said what they run (compiling the grammars takes seconds).
    waiting = asyncio.create_task(summary.wait(_SUMMARY_WAIT_S))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not stop.is_set():
        level = logging.getLevelName(logging.getLogger("mia").level)
        log_dir = config.data_path / "logs" / config.market
        print(summary_line(lang, mode=engine.mode, market=config.market, state=engine.state.value,
                           parts=summary.parts, log_dir=log_dir, log_level=level), flush=True)
    waiting.cancel()
    stopping.cancel()
    await stop.wait()
    await close_session(session)
    reason = stop_reason[0] if stop_reason else "stop"
    path = write_snapshot(config.data_path, "engine", config.market, engine.snapshot(), reason="sigint" if reason in ("sigint", "sigterm") else reason)
    engine.close()
    print(("Stopped. Snapshot: " if lang == "en" else "Arrêté. Instantané : ") + str(path))
    return 0


def new_context(engine: Any, config: MiaConfig, args: argparse.Namespace, stop: asyncio.Event, lang: str) -> RunContext:
    """The context every front end shares, with what they must share created before any starts: one
    Telegram rate limiter for the alert outbox and the chat bot (one bot token, one set of limits),
    the start-up summary they report to."""
    from assistant.notify.ratelimit import TelegramRateLimiter

    ctx = RunContext(engine=engine, config=config, args=args, stop=stop, lang=lang)
    ctx.extras["telegram_limiter"] = TelegramRateLimiter()
    # the front ends report what they run here; `mia run` prints it as one start-up line
    ctx.extras["startup"] = StartupSummary()
    return ctx


async def _guard(name: str, fe: FrontEnd, ctx: RunContext) -> None:
    """A failing front end is reported and stops alone; the engine keeps running."""
    try:
        await fe(ctx)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.exception("front end %s failed", name)
        print(f"[{name}] stopped: {exc}", file=sys.stderr)
