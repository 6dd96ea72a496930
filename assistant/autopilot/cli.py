"""`mia autopilot status|off|propose|auto`: the autopilot of a running `mia run`, through its control
socket. Switching on (propose, auto) is read back and confirmed like `mia halt` ([y/N], or --yes);
`auto` on a live account also asks you to type the account id, as `mia run --live` does.

Exit codes: 0 done (or nothing to do), 1 refused or not confirmed, 2 bad usage, 3 no `mia run` on this
data folder."""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any, Callable

from assistant.autopilot.text import t

EXIT_NOT_RUNNING = 3
_YES = ("y", "yes", "o", "oui")

EPILOG = """examples:
  mia autopilot status            what the autopilot is doing (mode, level, last signal)
  mia autopilot propose           each signal is read to you and traded only if you confirm it
  mia autopilot auto --yes        signals are traded at once, through the risk gate
  mia autopilot off               stop taking signals (no confirmation needed)
Start MIA with the autopilot on: mia run --autopilot propose --model-type ppo_cvar"""


def register(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser(
        "autopilot", help="show or switch the autopilot of the running MIA (status, off, propose, auto)",
        description="Show or switch the autopilot of a running `mia run` (through its control socket). propose and "
                    "auto are read back and confirmed (or --yes); auto on a live account asks for the account id.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("action", choices=["status", "off", "propose", "auto"], help="status, or the mode to switch to")
    a.add_argument("-y", "--yes", action="store_true", help="confirm without asking (needed without a terminal)")
    a.set_defaults(func=autopilot_command)


def _lang(args: argparse.Namespace, config: Any) -> str:
    lang = getattr(args, "lang", None) or config.language
    return "fr" if lang == "fr" else "en"


def autopilot_command(args: argparse.Namespace, config: Any) -> int:
    return asyncio.run(run(args.action, bool(args.yes), config, _lang(args, config)))


def _ask(prompt: str, timeout_s: float) -> str | None:
    import select

    print(prompt, end="", flush=True)
    ready, _, _ = select.select([sys.stdin], [], [], timeout_s)
    if not ready:
        print()
        return None
    line = sys.stdin.readline()
    return line.strip() if line else None


async def run(action: str, yes: bool, config: Any, lang: str,
              ask: Callable[[str, float], str | None] = _ask, tty: bool | None = None) -> int:
    from assistant.cli import control

    sock = control.socket_path(config.data_path)
    try:
        alive = await control.call(sock, "ping", {}, lang, timeout=5.0) is not None
    except control.ControlLost:
        alive = False
    if not alive:
        print(t(lang, "MIA is not running on this data folder: the autopilot lives in `mia run`. Start it with: "
                      "mia run --autopilot propose",
                "MIA ne tourne pas sur ce dossier de données : le pilote automatique vit dans `mia run`. Lancez-le "
                "avec : mia run --autopilot propose"), file=sys.stderr)
        return EXIT_NOT_RUNNING

    async def do(op: str, op_args: dict[str, Any]) -> Any:
        res = await control.call(sock, op, op_args, lang)
        if res is None:
            raise control.ControlLost("the running MIA stopped listening")
        return res

    try:
        if action == "status":
            res = await do("autopilot_status", {})
            print(res.text)
            return int(res.exit)
        op_args: dict[str, Any] = {"mode": action}
        if action != "off":
            preview = await do("autopilot_preview", {"mode": action})
            print(preview.text)
            if not preview.ok or preview.data.get("nothing"):
                return int(preview.exit)
            timeout = float(config.dialogue.confirm_timeout_s)
            deadline = time.time() + timeout
            if not yes:
                if not (sys.stdin.isatty() if tty is None else tty):
                    print(t(lang, "Not confirmed: add --yes to confirm without a terminal. Nothing was changed.",
                            "Non confirmé : ajoutez --yes pour confirmer sans terminal. Rien n'a été changé."))
                    return 1
                answer = ask(t(lang, f"Confirm? [y/N] (within {timeout:g} s) ",
                               f"Confirmez-vous ? [o/N] (sous {timeout:g} s) "), timeout)
                if answer is None or time.time() > deadline:
                    print(t(lang, f"Too late: no confirmation within {timeout:g} s. Nothing was changed.",
                            f"Trop tard : pas de confirmation en {timeout:g} s. Rien n'a été changé."))
                    return 1
                if answer.lower() not in _YES:
                    print(t(lang, "Cancelled. Nothing was changed.", "Annulé. Rien n'a été changé."))
                    return 1
            if preview.data.get("live_ack_needed"):
                account = preview.data.get("account", "")
                typed = ask(t(lang, f"AUTOMATIC TRADING on the LIVE account {account}. Type the account id to confirm: ",
                              f"TRADING AUTOMATIQUE sur le compte RÉEL {account}. Tapez l'identifiant du compte pour "
                              f"confirmer : "), timeout)
                op_args["live_ack"] = typed or ""
        res = await do("autopilot_mode", op_args)
        print(res.text)
        return int(res.exit)
    except control.ControlLost as exc:
        print(t(lang, f"The running MIA did not answer ({exc}): check with `mia autopilot status`.",
                f"La MIA en cours n'a pas répondu ({exc}) : vérifiez avec `mia autopilot status`."), file=sys.stderr)
        return 1
