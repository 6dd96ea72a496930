"""`mia run`: the main job. Engine + market data + control socket, then every front end that is
available (voice or typed input, alert fan-out, Telegram bot, monitor, mentor, dashboard), until
SIGINT / SIGTERM (the lifecycle writes the snapshot: `data/cache/engine/<market>/sigint_*.json.gz`).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from assistant.app.lifecycle import Preset, interface_lang, paper_engine, run_preset
from assistant.app.services import RunOptions
from assistant.autopilot.options import (
    MODE_CHOICES,
    MODEL_CHOICES,
    RUN_EXAMPLES,
    RUN_HELP,
    AutopilotRunOptions,
    acknowledge_auto,
    config_overrides,
)
from trading_core.config import MiaConfig

# The front ends of `mia run`, in start order.
FRONT_ENDS: tuple[tuple[str, str], ...] = (
    ("voice", "assistant.voice.front:run_front_end"),  # voice or typed input, spoken answers
    ("alerts", "assistant.notify.frontend:run_front_end"),  # alerts and copies via the outbox
    ("telegram", "assistant.telegram_bot.cli:run_front_end"),  # chat commands, when a token is set
    ("monitor", "assistant.monitor:run_monitor"),  # system / latency / ML / trading thresholds
    ("mentor", "assistant.mentor:run_mentor"),  # daily report at the end of the session
    ("dashboard", "assistant.dashboard:run_dashboard"),  # only when dashboard.enabled
    ("autopilot", "assistant.autopilot.front:run_front_end"),  # the autopilot (mode restored, --autopilot)
)


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser(
        "run",
        help="start MIA: engine, simulated market, voice or typed input",
        description=(
            "Start MIA. Default: paper trading on the built-in simulated market, voice input when a microphone "
            "and a recogniser are available, typed input otherwise, spoken answers.\n"
            "Examples:\n  mia run --paper --market ES\n  mia run --input text --no-speech\n"
            "  mia run --live   (Interactive Brokers; asks you to type the account id)\n" + RUN_EXAMPLES
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = r.add_mutually_exclusive_group()
    mode.add_argument("--paper", action="store_true", help="paper trading (default)")
    mode.add_argument("--live", action="store_true", help="live trading through Interactive Brokers (gated)")
    r.add_argument("--market", choices=["ES", "MNQ"], help="main market (default: config)")
    r.add_argument("--speed", type=float, help="simulated seconds per wall second for the simulated market")
    r.add_argument("--input", choices=["auto", "mic", "text", "none"], default="auto", help="voice, typed, or no input")
    r.add_argument("--backend", choices=["whisper-grammar", "pocketsphinx-verified", "vosk", "pocketsphinx", "whisper"], help="speech recogniser override")
    r.add_argument("--no-speech", action="store_true", help="do not speak answers (text only)")
    r.add_argument("--duration", type=float, help="stop after this many seconds (demos and tests)")
    r.add_argument("--log-level", type=_log_level, default=logging.INFO, metavar="LEVEL",
                   help="level of the log files in data/logs/<market>/: DEBUG, INFO (default), WARNING or ERROR; "
                        "logs never go to the terminal unless -v")
    r.add_argument("--autopilot", choices=MODE_CHOICES, help=RUN_HELP["autopilot"])
    r.add_argument("--model-type", choices=MODEL_CHOICES, help=RUN_HELP["model_type"])
    r.set_defaults(func=run_command)


def _log_level(text: str) -> int:
    from trading_core.logs import parse_level

    try:
        return parse_level(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


async def run_engine(config: MiaConfig, options: RunOptions) -> Any:
    """`--live` (or `mode: live` without `--paper`): Interactive Brokers behind its gates; else paper."""
    if options.live or (config.mode == "live" and not options.paper):
        import argparse as _argparse

        from trading_core.live import build_live_engine

        return await build_live_engine(config, _argparse.Namespace(live=options.live, paper=options.paper))
    return await paper_engine(config, options)


RUN = Preset("run", FRONT_ENDS, run_engine, alerts=True, summary=True)


def options_from(args: argparse.Namespace, config: MiaConfig) -> RunOptions:
    return RunOptions(
        lang_setting=getattr(args, "lang", None) or config.language,
        input=getattr(args, "input", "auto") or "auto",
        backend=getattr(args, "backend", None),
        speech=not getattr(args, "no_speech", False),
        duration=getattr(args, "duration", None),
        live=bool(getattr(args, "live", False)),
        paper=bool(getattr(args, "paper", False)),
        autopilot=AutopilotRunOptions(getattr(args, "autopilot", None), bool(getattr(args, "autopilot_live_ack", False))),
    )


def run_command(args: argparse.Namespace, config: MiaConfig) -> int:
    overrides: dict[str, Any] = {}
    if args.market:
        overrides["market"] = args.market
    if args.speed:
        overrides["feed"] = {"speed": args.speed}
    overrides |= config_overrides(getattr(args, "model_type", None))
    if overrides:
        from trading_core.config import load_config

        config = load_config(args.config, overrides=overrides | ({"data_dir": args.data_dir} if args.data_dir else {}))
    if getattr(args, "autopilot", None) == "auto" and (args.live or (config.mode == "live" and not args.paper)):
        # automatic trading on the live account: the account id typed once more, before anything starts
        args.autopilot_live_ack = acknowledge_auto(str(config.ib.account or ""), input)
        if not args.autopilot_live_ack:
            print("Autopilot not switched to auto: the account id was not typed / pilote automatique non passé en "
                  "auto : l'identifiant du compte n'a pas été saisi.", file=sys.stderr)
            args.autopilot = None
    options = options_from(args, config)
    try:
        return asyncio.run(run_preset(RUN, config, options, interface_lang(options.lang_setting)))
    except KeyboardInterrupt:
        return 130


__all__ = ["FRONT_ENDS", "RUN", "options_from", "register", "run_command", "run_engine"]
