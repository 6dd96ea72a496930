"""`mia dashboard [--port 8050] [--host 127.0.0.1] [--refresh-rate S]` and the `mia run` front end.

Standalone, the dashboard opens the paper engine on the ledger the way one-shot CLI commands do (last
recorded prices, repeated), or with `--feed` runs the configured market feed. When a `mia run` is already
running it refuses: a second engine on the same ledger would resubmit its working orders. That run shows
the dashboard itself when `dashboard.enabled` is true (MIA_DASHBOARD__ENABLED=true).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from trading_core.config import MiaConfig


def _positive(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"the refresh rate must be > 0 seconds: {text!r}")
    return v


def _port(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535: {text!r}")
    return v


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "dashboard",
        help="live web dashboard on 127.0.0.1 / tableau de bord web local",
        description=(
            "Serve the live dashboard page (equity, P&L, positions, orders, regime, SHAP, CVaR / QR-DQN / "
            "ensemble, latency, system, voice commands) and save its figures as PNG.\n"
            "Examples:\n  mia dashboard\n  mia dashboard --port 8060 --refresh-rate 10\n  mia dashboard --feed"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=_port, help="TCP port (default: config dashboard.port, 8050)")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1; anything else exposes the account)")
    p.add_argument("--refresh-rate", type=_positive, metavar="S", help="seconds between PNG figure updates (default 5)")
    p.add_argument("--no-intelligence", action="store_true", help="no regime / SHAP / RL panels (no model loading)")
    p.add_argument("--no-figures", action="store_true", help="do not write PNG figures")
    p.add_argument("--feed", action="store_true", help="run the configured market feed (simulated market by default)")
    p.add_argument("--duration", type=_positive, help="stop after this many seconds (demos and tests)")
    p.set_defaults(func=dashboard_command)
    return p


def dashboard_command(args: argparse.Namespace, config: MiaConfig) -> int:
    try:
        return asyncio.run(_standalone(args, config))
    except KeyboardInterrupt:
        return 130


def _options(args: argparse.Namespace, config: MiaConfig) -> dict[str, Any]:
    d = config.dashboard
    return {
        "host": args.host or d.host,
        "port": d.port if args.port is None else args.port,
        "refresh_rate": args.refresh_rate or d.refresh_rate_s,
        "intelligence": d.intelligence and not args.no_intelligence,
        "figures": d.figures and not args.no_figures,
    }


async def _standalone(args: argparse.Namespace, config: MiaConfig) -> int:
    from assistant import control
    from assistant.dashboard.server import DashboardServer
    from assistant.monitor import Monitor
    from trading_core.api import Engine

    lang = "fr" if (getattr(args, "lang", None) or config.language) == "fr" else "en"
    sock = control.socket_path(config.data_path)
    if sock.exists() and await control.call(sock, "ping", {}, lang) is not None:
        print("A `mia run` is running on this data directory: its dashboard is served by that run when "
              "dashboard.enabled is true (MIA_DASHBOARD__ENABLED=true mia run). / Une instance `mia run` tourne "
              "déjà : activez son tableau de bord avec MIA_DASHBOARD__ENABLED=true.", file=sys.stderr)
        return 2
    opts = _options(args, config)
    engine = Engine.from_config(config, realtime=True, mode="paper")
    await engine.start(run_feed=bool(args.feed))
    pump: asyncio.Task[None] | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # only possible in the main thread; elsewhere (embedded, tests) Ctrl-C is KeyboardInterrupt
        with contextlib.suppress(RuntimeError, ValueError, NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        if not args.feed:
            try:
                await engine.prime_market()
            except asyncio.TimeoutError:
                print("No market price yet (the feed gave none within 10 s). / Aucun prix de marché.", file=sys.stderr)
            pump = asyncio.create_task(engine.pump_last_prices(0.5))
        monitor = Monitor(config, engine=engine)
        server = DashboardServer(engine, config, monitor=monitor, run_monitor=True, **opts)
        try:
            await server.start()
        except OSError as exc:
            print(f"mia dashboard: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(("Dashboard: " if lang == "en" else "Tableau de bord : ") + server.url
              + ("   (Ctrl-C to stop)" if lang == "en" else "   (Ctrl-C pour arrêter)"))
        if args.duration:
            loop.call_later(args.duration, stop.set)
        await stop.wait()
        await server.stop()
        return 0
    finally:
        if pump is not None:
            pump.cancel()
        await engine.stop()
        engine.close()


async def run_dashboard(ctx: Any) -> None:
    """`mia run` front end: serves the dashboard on the running engine when `dashboard.enabled` is true.
    It shares the monitor (latency, ML metrics, command log) with the other front ends."""
    cfg = ctx.config.dashboard
    if not cfg.enabled:
        return
    from assistant.dashboard.server import DashboardServer
    from assistant.monitor import monitor_from_context

    monitor = monitor_from_context(ctx)
    server = DashboardServer(
        ctx.engine, ctx.config, host=cfg.host, port=cfg.port, refresh_rate=cfg.refresh_rate_s,
        monitor=monitor, intelligence=cfg.intelligence, figures=cfg.figures,
        run_monitor=True,  # a no-op when the monitor front end already samples it
    )
    await server.start()
    ctx.extras["dashboard"] = server
    print(("Dashboard: " if ctx.lang != "fr" else "Tableau de bord : ") + server.url)
    try:
        await ctx.stop.wait()
    finally:
        await server.stop()
