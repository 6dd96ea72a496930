"""`mia dashboard [--port 8050] [--host 127.0.0.1] [--refresh-rate S]` and the `mia run` front end.

Standalone (a preset of the one lifecycle, `assistant.app`), the dashboard opens the paper engine on the
ledger the way one-shot CLI commands do (last recorded prices, repeated), or with `--feed` runs the
configured market feed. When another MIA is already running on the data folder it refuses: a second
engine on the same ledger would resubmit its working orders. `mia run` shows the dashboard itself when
`dashboard.enabled` is true (MIA_DASHBOARD__ENABLED=true).
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from assistant.app.lifecycle import Preset, interface_lang, paper_engine, run_preset
from assistant.app.services import DashboardOptions, RunOptions
from trading_core.config import MiaConfig

if TYPE_CHECKING:
    from assistant.app.services import Services


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
    d = config.dashboard
    options = RunOptions(
        lang_setting=getattr(args, "lang", None) or config.language,
        speech=False,
        duration=args.duration,
        feed=bool(args.feed),
        dashboard=DashboardOptions(
            host=args.host or d.host,
            port=d.port if args.port is None else args.port,
            refresh_rate=args.refresh_rate or d.refresh_rate_s,
            intelligence=d.intelligence and not args.no_intelligence,
            figures=d.figures and not args.no_figures,
        ),
    )
    try:
        return asyncio.run(run_preset(DASHBOARD, config, options, interface_lang(options.lang_setting)))
    except KeyboardInterrupt:
        return 130


def _settings(services: Services) -> DashboardOptions:
    if services.options.dashboard is not None:
        return services.options.dashboard
    d = services.config.dashboard
    return DashboardOptions(d.host, d.port, d.refresh_rate_s, d.intelligence, d.figures)


async def _serve(services: Services) -> int:
    """Serve the dashboard on the run's engine until stop; 2 when its port cannot be used."""
    from assistant.dashboard.server import DashboardServer

    s = _settings(services)
    server = DashboardServer(
        services.engine, services.config, host=s.host, port=s.port, refresh_rate=s.refresh_rate,
        monitor=services.monitor, intelligence=s.intelligence, figures=s.figures,
        run_monitor=True,  # a no-op when the monitor front end already samples it
    )
    try:
        await server.start()
    except OSError as exc:
        print(f"mia dashboard: {exc.strerror or exc}", file=sys.stderr)
        return 2
    services.urls["dashboard"] = server.url
    print(("Tableau de bord : " if services.lang == "fr" else "Dashboard: ") + server.url
          + (("   (Ctrl-C pour arrêter)" if services.lang == "fr" else "   (Ctrl-C to stop)")
             if services.options.dashboard is not None else ""))
    try:
        await services.stop.wait()
    finally:
        services.urls.pop("dashboard", None)
        await server.stop()
    return 0


async def _standalone_front(services: Services) -> int:
    return await _serve(services)


DASHBOARD = Preset("dashboard", (("dashboard", "assistant.dashboard.cli:_standalone_front"),), paper_engine,
                   main="dashboard")


async def run_dashboard(services: Services) -> None:
    """`mia run` front end: serves the dashboard on the running engine when `dashboard.enabled` is true,
    with the run's monitor (latency, ML metrics, command log)."""
    if not services.config.dashboard.enabled:
        return
    await _serve(services)


__all__ = ["DASHBOARD", "dashboard_command", "register", "run_dashboard"]
