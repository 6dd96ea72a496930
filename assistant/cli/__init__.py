"""The `mia` command.

Every subcommand has an example in `--help` and in the README. Commands that act on the engine
(`order`, `close`, `status`...) talk to a running `mia run` through its control socket when there
is one, and otherwise open the paper ledger themselves (one-shot mode).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from trading_core.config import ConfigError, MiaConfig, load_config

if TYPE_CHECKING:
    from trading_core.api import Engine

log = logging.getLogger("mia.cli")

EPILOG = """examples:
  mia run --paper --market ES          engine + simulated market + voice/typed input
  mia order buy 2 ES                   market order (read back, then asks to confirm)
  mia order sell 1 MNQ --limit 21000.25 --yes
  mia order buy 1 ES --stop 5990 --target 6020   bracket: entry + stop loss + take profit
  mia close ES | mia close all         flatten one symbol or everything (read back, then confirm)
  mia positions | mia status | mia pnl | mia metrics
  mia risk 1 ES                        1 % of equity risked per trade on ES
  mia halt [--flatten] | mia resume    stop new orders (kill switch with --flatten; confirmed) / resume
  mia reduce                           reduce-only mode: only orders that shrink a position (confirmed)
  mia autopilot status|off|propose|auto   the running MIA's autopilot (mia run --autopilot propose)
  mia replay FILE.csv.gz --strategy sma_cross
"""


def _lang(args: argparse.Namespace, config: MiaConfig | None) -> str:
    lang = getattr(args, "lang", None) or (config.language if config else "en")
    return "en" if lang == "auto" else lang


# ---------------------------------------------------------------------------- engine ops
# Ops that change positions or trading: read back first, then an explicit confirmation (or --yes).
_READBACK_OPS = {"order": "preview", "close": "preview_close", "halt": "preview_halt", "reduce": "preview_reduce"}
_YES = ("y", "yes", "o", "oui")


def _op_command(op: str, build_args: Callable[[argparse.Namespace], dict[str, Any]], confirm: bool = False):
    def run(args: argparse.Namespace, config: MiaConfig) -> int:
        return asyncio.run(_run_op(op, build_args(args), args, config, confirm))

    return run


def _t(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


def _ask(lang: str, timeout_s: float) -> str | None:
    """The typed answer to the read-back, or None when none came within `timeout_s` (the read-back
    expires like a spoken one)."""
    import select

    print(_t(lang, f"Confirm? [y/N] (within {timeout_s:g} s) ", f"Confirmez-vous ? [o/N] (sous {timeout_s:g} s) "),
          end="", flush=True)
    ready, _, _ = select.select([sys.stdin], [], [], timeout_s)
    if not ready:
        print()
        return None
    line = sys.stdin.readline()
    return line.strip().lower() if line else None


async def _run_op(op: str, op_args: dict[str, Any], args: argparse.Namespace, config: MiaConfig, confirm: bool) -> int:
    from assistant.cli import control

    lang = _lang(args, config)
    sock = control.socket_path(config.data_path)
    try:
        remote = await control.call(sock, "ping", {}, lang, timeout=5.0) if sock.exists() else None
    except control.ControlLost:
        remote = None  # a socket left by a MIA that is gone: work on the ledger directly
    if remote is not None:
        sent: dict[str, Any] = {}

        async def do(name: str, a: dict[str, Any]) -> Any:
            sent.update(op=name, args=a)
            answer = await control.call(sock, name, a, lang)
            if answer is None:
                raise control.ControlLost("the running MIA stopped listening")
            return answer

        try:
            return await _drive(op, op_args, args, config, lang, confirm, do)
        except control.ControlLost as exc:
            return _after_lost_answer(config, lang, sent.get("op", op), sent.get("args", op_args), str(exc))
    async with _one_shot_engine(config) as engine:
        from assistant.cli.control import OpContext
        from assistant.cli.ops import OPS

        context = OpContext(engine)

        async def local(name: str, a: dict[str, Any]) -> Any:
            return await OPS[name](context, a, lang)

        return await _drive(op, op_args, args, config, lang, confirm, local)


async def _drive(op: str, op_args: dict[str, Any], args: argparse.Namespace, config: MiaConfig, lang: str,
                 confirm: bool, do: Callable[[str, dict[str, Any]], Any]) -> int:
    """parse -> read-back -> explicit confirmation -> (risk gate -> broker, inside the op). What is
    executed is what was read back: the op gets the pinned quantity and client order id, or the token of
    the engine's close / halt preview, and a deadline after which the read-back has expired."""
    import time

    if confirm:
        preview = await do(_READBACK_OPS[op], op_args)
        print(preview.text)
        if not preview.ok or preview.data.get("nothing"):
            return preview.exit
        timeout = config.dialogue.confirm_timeout_s
        deadline = time.time() + timeout
        if not getattr(args, "yes", False):
            if not sys.stdin.isatty():
                print(_t(lang, "Not confirmed: add --yes to confirm without a terminal. Nothing was done.",
                         "Non confirmé : ajoutez --yes pour confirmer sans terminal. Rien n'a été fait."))
                return 1
            answer = _ask(lang, timeout)
            if answer is None or time.time() > deadline:
                print(_t(lang, f"Too late: no confirmation within {timeout:g} s. Nothing was done.",
                         f"Trop tard : pas de confirmation en {timeout:g} s. Rien n'a été fait."))
                return 1
            if answer not in _YES:
                print(_t(lang, "Cancelled. Nothing was done.", "Annulé. Rien n'a été fait."))
                return 1
        pins = dict(preview.data)
        if op == "order":
            # sized once, at the read-back: a risk percentage is never re-sized after "yes"
            pins = {"quantity": pins["quantity"], "client_order_id": pins["client_order_id"], "risk_percent": None}
        op_args = op_args | pins | {"confirm_by": deadline}
    res = await do(op, op_args)
    print(res.text)
    return res.exit


def _after_lost_answer(config: MiaConfig, lang: str, op: str, op_args: dict[str, Any], why: str) -> int:
    """`mia run` stopped in the middle of a request: say whether it went in, from the ledger (an
    order is found by the client order id the read-back pinned)."""
    from trading_core.ledger import Ledger, LedgerError

    print(_t(lang, f"MIA stopped while handling the request ({why}).", f"MIA s'est arrêté pendant la requête ({why})."))
    client_id = op_args.get("client_order_id") if op == "order" else None
    if op not in ("order", "close", "halt", "reduce"):
        print(_t(lang, "Nothing was changed by this command; run it again.", "Cette commande n'a rien modifié ; relancez-la."))
        return 1
    if client_id is None:
        print(_t(lang, "Whether it was carried out is unknown: check with mia status and mia positions.",
                 "Impossible de savoir si elle a été exécutée : vérifiez avec mia status et mia positions."))
        return 1
    found = None
    for mode in ("paper", "live", "ib_paper"):
        path = config.data_path / f"ledger_{mode}.sqlite3"
        if not path.exists():
            continue
        try:
            with Ledger(path, checkpoint_interval_s=None) as ledger:
                found = ledger.get_order_by_client_id(client_id)
        except LedgerError as exc:
            log.warning("lookup of %s in %s failed: %s", client_id, path, exc)
        if found is not None:
            break
    if found is None:
        print(_t(lang, f"The ledger has no order with client id {client_id}: the order was NOT sent. You may send it again.",
                 f"Le registre n'a aucun ordre d'identifiant client {client_id} : l'ordre n'a PAS été envoyé. "
                 "Vous pouvez le renvoyer."))
        return 1
    filled = f", {found.filled_quantity} filled at {found.avg_fill_price:g}" if found.avg_fill_price else ""
    filled_fr = f", {found.filled_quantity} exécuté(s) à {found.avg_fill_price:g}" if found.avg_fill_price else ""
    print(_t(lang,
             f"The order WENT IN: {found.order_id} ({client_id}) {found.side.value.lower()} {found.quantity} {found.symbol}, "
             f"status {found.status.value}{filled}. Do not send it again; check with mia status.",
             f"L'ordre EST PASSÉ : {found.order_id} ({client_id}) {'achat' if found.side.value == 'BUY' else 'vente'} "
             f"{found.quantity} {found.symbol}, statut {found.status.value}{filled_fr}. Ne le renvoyez pas ; "
             "vérifiez avec mia status."))
    return 0 if found.status.value in ("FILLED", "WORKING", "PENDING") else 3


class _one_shot_engine:
    """An engine opened on the paper ledger for one command, marking at the last recorded price
    (the paper broker fills at it); closed, whatever happens, when the command ends."""

    def __init__(self, config: MiaConfig) -> None:
        self.config = config
        self.engine: Engine | None = None
        self.pump: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Engine:
        from trading_core.api import Engine

        engine = self.engine = Engine.from_config(self.config, realtime=False)
        try:
            await engine.start(run_feed=False)
            await engine.prime_market()
        except BaseException:
            await self._close()
            raise
        self.pump = asyncio.create_task(engine.pump_last_prices())
        return engine

    async def __aexit__(self, *exc: object) -> None:
        await self._close()

    async def _close(self) -> None:
        if self.pump is not None:
            self.pump.cancel()
            await asyncio.gather(self.pump, return_exceptions=True)
        if self.engine is None:
            return
        try:
            await self.engine.stop()
        finally:
            self.engine.close()


def _order_args(a: argparse.Namespace) -> dict[str, Any]:
    return {
        "side": a.side, "quantity": a.quantity, "symbol": a.symbol, "limit": a.limit, "stop": a.stop,
        "target": a.target, "stop_entry": a.stop_entry, "client_order_id": a.client_id,
        "risk_percent": a.risk, "source": "cli",
    } | ({"quantity": None} if a.risk is not None else {})


def _positive_price(text: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a price: {text!r} / pas un prix : {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"a price must be a number above zero: {text!r} / un prix doit être un "
                                         f"nombre supérieur à zéro : {text!r}")
    return value


def _quantity(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of contracts: {text!r} / pas un nombre entier de "
                                         f"contrats : {text!r}") from None


# ---------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mia",
        description="MIA: offline voice assistant for trading CME futures (ES, MNQ). Paper trading by default.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
    )
    p.add_argument("--config", metavar="FILE", help="user YAML config merged over config/default.yaml")
    p.add_argument("--lang", choices=["auto", "fr", "en"], help="language of answers (default: config)")
    p.add_argument("--data-dir", metavar="DIR", help="where ledgers, logs, checkpoints go (default: ./data)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show log records in the terminal too (they always go to data/logs/<market>/*.log)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    from assistant.app.run import register as register_run

    register_run(sub)

    o = sub.add_parser("order", help="place an order (read back, then confirm)", description="Place an order through the risk gate. Example: mia order buy 2 ES --limit 5990.25")
    o.add_argument("side", choices=["buy", "sell", "long", "short"], help="buy/long or sell/short")
    o.add_argument("quantity", type=_quantity, help="number of contracts")
    o.add_argument("symbol", help="ES or MNQ")
    o.add_argument("--limit", type=_positive_price, help="limit price (limit order, or limit entry of a bracket)")
    o.add_argument("--stop", type=_positive_price, help="stop-loss price (makes a bracket)")
    o.add_argument("--target", type=_positive_price, help="take-profit price (makes a bracket)")
    o.add_argument("--stop-entry", type=_positive_price, help="stop order trigger price (stop entry)")
    o.add_argument("--risk", type=float, help="size from risk %% of equity instead of quantity (use quantity 0)")
    o.add_argument("--client-id", help="client order id (idempotent: the same id never makes two orders)")
    o.add_argument("-y", "--yes", action="store_true", help="confirm without asking")
    o.set_defaults(func=_op_command("order", _order_args, confirm=True))

    c = sub.add_parser("close", help="flatten a symbol or everything (read back, then confirm)",
                       description="Cancel working orders and flatten a symbol or everything. The positions are read "
                                   "back and closed only after you confirm (or with --yes); the command waits for the "
                                   "fills. Example: mia close ES ; mia close all --yes")
    c.add_argument("symbol", nargs="?", default="all", help="ES, MNQ or all (default)")
    c.add_argument("-y", "--yes", action="store_true", help="confirm without asking (needed without a terminal)")
    c.set_defaults(func=_op_command("close", lambda a: {"symbol": a.symbol}, confirm=True))

    for name, helptext in (("positions", "open positions"), ("status", "engine status"), ("pnl", "today's P&L"), ("metrics", "performance metrics")):
        s = sub.add_parser(name, help=helptext, description=f"Example: mia {name}")
        s.set_defaults(func=_op_command(name, lambda a: {}))

    h = sub.add_parser("halt", help="halt trading (no new orders; read back, then confirm)",
                       description="Stop new orders; with --flatten (kill switch) also cancel every order and close every "
                                   "position, waiting for the fills. Read back, then confirm (or --yes). "
                                   "Example: mia halt ; mia halt --flatten --yes")
    h.add_argument("--flatten", action="store_true", help="kill switch: also cancel all orders and close all positions")
    h.add_argument("-y", "--yes", action="store_true", help="confirm without asking (needed without a terminal)")
    h.set_defaults(func=_op_command("halt", lambda a: {"flatten": a.flatten}, confirm=True))
    rd = sub.add_parser("reduce", help="reduce-only mode: only orders that shrink a position (read back, then confirm)",
                        description="Switch to reduce-only mode (the REDUCING state): from now on only orders that shrink "
                                    "a position without reversing it are accepted; positions and working orders stay. "
                                    "`mia resume` goes back to normal trading; `mia halt` stops everything. Read back, "
                                    "then confirm (or --yes). Example: mia reduce ; mia reduce --yes")
    rd.add_argument("-y", "--yes", action="store_true", help="confirm without asking (needed without a terminal)")
    rd.set_defaults(func=_op_command("reduce", lambda a: {}, confirm=True))
    r = sub.add_parser("resume", help="resume trading", description="Example: mia resume")
    r.set_defaults(func=_op_command("resume", lambda a: {}))

    k = sub.add_parser("risk", help="set the risk per trade in %% of equity", description="Example: mia risk 1 ES ; mia risk 0.5")
    k.add_argument("percent", help="percent of equity, e.g. 1 or 0.5")
    k.add_argument("symbol", nargs="?", help="ES or MNQ (default: all symbols)")
    k.set_defaults(func=_op_command("risk", lambda a: {"percent": a.percent, "symbol": a.symbol}))

    from assistant.cli.replay import register as register_replay

    register_replay(sub)

    cf = sub.add_parser("config", help="show the effective configuration", description="Example: mia config ; MIA_RISK__MAX_ORDER_SIZE=5 mia config")
    cf.set_defaults(func=_show_config)

    for module in _EXTENSIONS:
        try:
            mod = __import__(module, fromlist=["register"])
        except ImportError as exc:  # a broken optional part must not take the whole CLI down
            log.warning("subcommands from %s unavailable: %s", module, exc)
            continue
        mod.register(sub)
    return p


# Modules that add their own subcommands (listen, harness, outbox, bot, train, evaluate...).
_EXTENSIONS: list[str] = [
    "assistant.voice.listen",  # mia listen
    "assistant.harness.cli",  # mia harness
    "assistant.asr.models",  # mia models download|list
    "assistant.notify.cli",  # mia outbox status|retry
    "assistant.telegram_bot.cli",  # mia bot
    "trading_core.intelligence.rl.cli",  # mia train
    "trading_core.intelligence.cli",  # mia evaluate
    "assistant.mentor.cli",  # mia report daily
    "assistant.dashboard.cli",  # mia dashboard
    "assistant.autopilot.cli",  # mia autopilot status|off|propose|auto
]


def _show_config(args: argparse.Namespace, config: MiaConfig) -> int:
    import yaml

    from trading_core.snapshot import to_jsonable

    print(yaml.safe_dump(to_jsonable(config.model_dump()), sort_keys=False, allow_unicode=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    overrides: dict[str, Any] = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    try:
        config = load_config(args.config, overrides=overrides)
    except ConfigError as exc:
        print(f"mia: {exc}", file=sys.stderr)
        print(f"mia : erreur de configuration : {exc.key} = {exc.value!r} ; autorisé : {exc.allowed}", file=sys.stderr)
        return 2
    problem = _data_dir_problem(config.data_path)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    from trading_core.logs import setup_logging

    # `mia run --market MNQ` logs to data/logs/MNQ/; `--log-level` (validated by the subcommand) sets
    # the file log level.
    setup_logging(config.data_path, getattr(args, "market", None) or config.market,
                  level=getattr(args, "log_level", None) or logging.INFO, console=args.verbose)
    try:
        return int(args.func(args, config) or 0)
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:
        print(f"mia: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`mia status | head -4`): nothing more to say, and no traceback.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:
        return _report_failure(exc)


def _data_dir_problem(path: Path) -> str | None:
    """A data folder that cannot be one (a file, an unwritable place): said before anything runs."""
    try:
        if path.exists() and not path.is_dir():
            return (f"mia: the data folder {path} is a file, not a folder; choose another --data-dir.\n"
                    f"mia : le dossier de données {path} est un fichier, pas un dossier ; choisissez un autre --data-dir.")
        from trading_core.private import private_dir

        private_dir(path)
    except OSError as exc:
        return (f"mia: cannot use the data folder {path}: {exc.strerror or exc}.\n"
                f"mia : impossible d'utiliser le dossier de données {path} : {exc.strerror or exc}.")
    return None


def _report_failure(exc: Exception) -> int:
    """What a user sees instead of a traceback: what failed, in both languages, and where the details
    are (the traceback goes to the log file)."""
    from trading_core.ledger import LedgerError

    log.error("command failed", exc_info=exc)
    if isinstance(exc, LedgerError):
        print(f"mia: the ledger cannot be used: {exc}", file=sys.stderr)
        print(f"mia : le registre ne peut pas être utilisé : {exc}", file=sys.stderr)
        return 2
    message = getattr(exc, "message", None)
    if callable(message):  # the core's errors carry their sentence in both languages
        print(f"mia: {message('en')}.", file=sys.stderr)
        print(f"mia : {message('fr')}.", file=sys.stderr)
        return 1
    if isinstance(exc, TimeoutError):  # an OSError whose text is empty: say what it is
        print("mia: timed out (a busy machine?); check `mia status` before trying again.", file=sys.stderr)
        print("mia : délai dépassé (machine chargée ?) ; vérifiez avec `mia status` avant de réessayer.",
              file=sys.stderr)
        return 1
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"mia: system error: {exc.strerror or exc}{where}.", file=sys.stderr)
        print(f"mia : erreur système : {exc.strerror or exc}{where}.", file=sys.stderr)
        return 1
    print(f"mia: unexpected error: {type(exc).__name__}: {exc}. Details are in the log file (data/logs/<market>/cli.log).",
          file=sys.stderr)
    print(f"mia : erreur inattendue : {type(exc).__name__} : {exc}. Détails dans le journal (data/logs/<marché>/cli.log).",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
