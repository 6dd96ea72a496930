"""One lifecycle for every long-running command: `mia run`, `mia bot`, `mia dashboard`, `mia listen`
are presets of it (which engine, which front ends, which one ends the run).

build (engine off the event loop, front-end modules imported before market data flows) -> start
(engine, control socket: one MIA per data folder, services, front ends) -> run until SIGINT / SIGTERM,
`--duration`, or the preset's main front end ending -> stop (front ends, services, socket, engine) ->
snapshot (`data/cache/engine/<market>/<reason>_<UTC>.json.gz`, reason `sigint` on a signal) -> close.
"""
from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from assistant.app.services import RunOptions, Services, build_services
from trading_core.config import MiaConfig

log = logging.getLogger("mia.run")

# A front end: runs alongside the engine until `services.stop` is set (or its own input ends); may return
# the command's exit code when it is the preset's main front.
FrontEnd = Callable[[Services], Awaitable[int | None]]
# Builds the engine of a preset; None when it refuses (it has said why).
EngineFactory = Callable[[MiaConfig, RunOptions], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Preset:
    name: str  # run / bot / dashboard / listen
    fronts: tuple[tuple[str, str], ...]  # (name, "module:function") in start order
    engine: EngineFactory
    main: str | None = None  # the front whose end ends the run; its return value is the exit code
    alerts: bool = False  # build and start the alert manager (its outbox has one writer: `mia run`)
    banner: Callable[[Services], str] | None = None
    summary: bool = False  # print one start-up line once the fronts reported what they run (`mia run`)


def _t(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


async def paper_engine(config: MiaConfig, options: RunOptions) -> Any:
    """The embedded default: the paper broker on the configured market feed, set up off the event loop."""
    def build() -> Any:
        from trading_core.api import Engine

        engine = Engine.from_config(config, realtime=True, mode="paper")
        if options.feed:
            engine.prepare()
        return engine

    return await asyncio.to_thread(build)


def import_fronts(preset: Preset, config: MiaConfig) -> list[tuple[str, FrontEnd]]:
    """Import every front end of the preset and let each module preload what it would import on first
    use (its optional `preload(config)`): once market data flows, an import would freeze the loop."""
    importlib.import_module("assistant.cli.control")
    importlib.import_module("assistant.cli.ops")
    found: list[tuple[str, FrontEnd]] = []
    for name, target in preset.fronts:
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


async def _another_mia(config: MiaConfig, lang: str) -> bool:
    from assistant.cli import control

    sock = control.socket_path(config.data_path)
    try:
        alive = sock.exists() and await control.call(sock, "ping", {}, lang, timeout=2.0) is not None
    except control.ControlLost:
        alive = False
    if alive:
        print(_t(lang, "Another MIA is already running on this data folder and owns its ledger: talk to it (mia "
                       "status, its voice or chat), or stop it first.",
                 "Une autre MIA tourne déjà sur ce dossier de données et tient son registre : adressez-vous à elle "
                 "(mia status, sa voix ou son chat), ou arrêtez-la d'abord."), file=sys.stderr)
    return alive


async def _guard(name: str, front: FrontEnd, services: Services) -> int | None:
    """A failing front end is reported and stops alone; the engine keeps running."""
    try:
        return await front(services)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.exception("front end %s failed", name)
        print(f"[{name}] stopped: {exc}", file=sys.stderr)
        return 1


async def run_preset(preset: Preset, config: MiaConfig, options: RunOptions, lang: str,
                     *, stop: asyncio.Event | None = None) -> int:
    """The whole life of one long-running command. Exit codes: 0 stopped normally, 2 could not start,
    else the main front end's."""
    from assistant.cli import control, ops
    from trading_core.snapshot import write_snapshot

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    reasons: list[str] = []
    installed: list[signal.Signals] = []

    def on_signal(name: str) -> None:
        reasons.append(name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        # only in the main thread; elsewhere (embedded, tests) Ctrl-C is KeyboardInterrupt (RuntimeError also
        # covers the platforms without signal handlers on the loop, whose error derives from it)
        with contextlib.suppress(RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal, sig.name.lower())
            installed.append(sig)
    try:
        if await _another_mia(config, lang):
            return 2
        engine = await preset.engine(config, options)
        if engine is None:
            return 2
        fronts = await asyncio.to_thread(import_fronts, preset, config)
        await engine.start(run_feed=options.feed)
        from trading_core.api import MarketNotReadyError

        pump: asyncio.Task[None] | None = None
        if not options.feed:
            # no market feed: the last recorded prices are the market, repeated (as one-shot commands do)
            try:
                await engine.prime_market()
            except MarketNotReadyError as exc:
                names = ", ".join(exc.symbols)
                print(_t(lang, f"No market price yet for {names} (the feed gave none within {exc.timeout:g} s).",
                         f"Pas encore de prix de marché pour {names} (le flux n'en a donné aucun en "
                         f"{exc.timeout:g} s)."), file=sys.stderr)
            pump = asyncio.create_task(engine.pump_last_prices(0.5), name="mia-pump")
        server = control.ControlServer(engine, ops.OPS, control.socket_path(config.data_path))
        services: Services | None = None
        try:
            await server.start()
            # on the loop's thread: the outbox's SQLite connection is used from here
            services = build_services(engine, config, options, stop=stop, lang=lang, alerts=preset.alerts,
                                      startup=preset.summary)
            server.context.monitor = services.monitor
            await services.start()
            tasks = {name: asyncio.create_task(_guard(name, fe, services), name=f"mia-{name}") for name, fe in fronts}
            if options.duration:  # counted from the start of the front ends, start-up line included
                loop.call_later(options.duration, stop.set)
            if preset.banner is not None:
                print(preset.banner(services))
            if services.startup is not None:
                await _print_summary(services, stop)
            waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(stop.wait())}
            main = tasks.get(preset.main) if preset.main else None
            if main is not None:
                waiters.add(main)
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            stop.set()
            for w in waiters:
                if not w.done():
                    w.cancel()
            if main is not None and main.done() and not main.cancelled():
                code = main.result()
                services.exit_code = services.exit_code if services.exit_code is not None else code
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
        except RuntimeError as exc:  # the control socket: another MIA took it in between
            print(str(exc), file=sys.stderr)
            return 2
        finally:
            if services is not None:
                await services.close()
            await server.stop()
            if pump is not None:
                pump.cancel()
                await asyncio.gather(pump, return_exceptions=True)
            await engine.stop()
            reason = reasons[0] if reasons else "stop"
            path = write_snapshot(config.data_path, "engine", config.market, engine.snapshot(),
                                  reason="sigint" if reason in ("sigint", "sigterm") else reason)
            engine.close()
            print(_t(lang, "Stopped. Snapshot: ", "Arrêté. Instantané : ") + str(path))
        return services.exit_code or 0 if services is not None else 0
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def _print_summary(services: Services, stop: asyncio.Event) -> None:
    """One start-up line once the fronts said what they run (compiling the grammars takes seconds);
    nothing when the run stops first."""
    from assistant.app.console import SUMMARY_WAIT_S, summary_line

    summary = services.startup
    assert summary is not None
    try:
        waiting = asyncio.create_task(summary.wait(SUMMARY_WAIT_S))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        stopping.cancel()
        if stop.is_set():
            return
        engine, config = services.engine, services.config
        level = logging.getLevelName(logging.getLogger("mia").level)
        print(summary_line(services.lang, mode=engine.mode, market=config.market, state=engine.state.value,
                           parts=summary.parts, log_dir=config.data_path / "logs" / config.market,
                           log_level=level), flush=True)
    finally:
        summary.shown()


def interface_lang(setting: str | None) -> str:
    """The language of banners and messages: French when asked for, else English ("auto" included)."""
    return "fr" if setting == "fr" else "en"


__all__ = ["EngineFactory", "FrontEnd", "Preset", "import_fronts", "interface_lang", "paper_engine", "run_preset"]
