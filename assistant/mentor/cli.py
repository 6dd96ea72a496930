"""`mia report daily [--date D] [--send]`: print the mentor's daily report; `--send` also sends it to the
written channels (Telegram, Discord, SMS, e-mail as configured) through the alert manager's outbox."""
from __future__ import annotations

import argparse
import asyncio
import sys

from assistant.mentor.daily import MentorError, report_from_ledger, save_report, send_report
from assistant.mentor.render import render_report
from trading_core.config import MiaConfig


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "report",
        help="mentor reports: daily results, lessons, suggestions / rapports du mentor",
        description="Examples:\n  mia report daily\n  mia report daily --date 2026-11-18 --send\n  mia --lang fr report daily --date hier",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="report_command", required=True, metavar="KIND")
    d = sub.add_parser("daily", help="the daily report of one CME session (default: the current one)")
    d.add_argument("--date", metavar="D", help="session date YYYY-MM-DD, today or yesterday (default: today's session)")
    d.add_argument("--send", action="store_true", help="also send it to the written channels")
    d.add_argument("--mode", choices=["paper", "live"], help="which ledger (default: config mode)")
    p.set_defaults(func=report_command)
    return p


def _lang(args: argparse.Namespace, config: MiaConfig) -> str:
    lang = getattr(args, "lang", None) or config.language
    return "fr" if lang == "fr" else "en"


def report_command(args: argparse.Namespace, config: MiaConfig) -> int:
    """Exit codes: 0 printed (and sent), 1 not sent (no channel configured), 2 no ledger / bad date."""
    lang = _lang(args, config)
    try:
        report = report_from_ledger(config, args.date, mode=args.mode)
    except MentorError as exc:
        print(f"mia report: {exc.message(lang)}", file=sys.stderr)
        return 2
    print(render_report(report, lang))
    path = save_report(config, report, lang)
    if not args.send:
        return 0
    return asyncio.run(_send(config, report, lang, path))


async def _send(config: MiaConfig, report, lang: str, path) -> int:
    from assistant.notify import OutboxBusyError, build_alert_manager

    manager = build_alert_manager(config)
    if not manager.outbox.channel_names:
        print("Not sent: no written channel is configured (Telegram, Discord, SMS or e-mail); saved to "
              f"{path}. / Non envoyé : aucun canal écrit n'est configuré ; enregistré dans {path}.", file=sys.stderr)
        await manager.stop()
        return 1
    running_elsewhere = False
    try:
        await manager.start()
    except OutboxBusyError:
        # A running `mia run` owns the senders: enqueue durably and let its workers deliver.
        running_elsewhere = True
    try:
        outcome = await send_report(report, manager, lang)
        channels = ", ".join(sorted(outcome.plan.channels())) or "-"
        if outcome.error:
            print(f"Not sent: {outcome.error} / Non envoyé : {outcome.error}", file=sys.stderr)
            return 1
        if not outcome.enqueued and outcome.already_known:
            print(("Already sent earlier to: " if lang == "en" else "Déjà envoyé à : ") + channels)
            return 0
        if running_elsewhere:
            print(("Queued for the running MIA to send to: " if lang == "en" else "Mis en file pour la MIA en cours, vers : ") + channels)
            return 0
        done = await manager.outbox.wait_idle(30)
        if done:
            print(("Sent to: " if lang == "en" else "Envoyé à : ") + channels)
        else:
            print(("Queued (will be retried; see mia outbox status): " if lang == "en"
                   else "En file (nouvel essai plus tard ; voir mia outbox status) : ") + channels)
        return 0
    finally:
        await manager.stop()  # not started (busy): only closes the outbox file
