"""The `mia` command.

Every subcommand has an example in `--help` and in the README. Commands that act on the engine
(`order`, `close`, `status`...) talk to a running `mia run` through its control socket when there
is one, and otherwise open the paper ledger themselves (one-shot mode).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any, Callable

from trading_core.config import ConfigError, MiaConfig, load_config

log = logging.getLogger("mia.cli")

EPILOG = """examples:
  mia run --paper --market ES          engine + simulated market + voice/typed input
  mia order buy 2 ES                   market order (read back, then asks to confirm)
  mia order sell 1 MNQ --limit 21000.25 --yes
  mia order buy 1 ES --stop 5990 --target 6020   bracket: entry + stop loss + take profit
  mia close ES | mia close all         flatten one symbol or everything
  mia positions | mia status | mia pnl | mia metrics
  mia risk 1 ES                        1 % of equity risked per trade on ES
  mia halt [--flatten] | mia resume    stop new orders (kill switch with --flatten) / resume
  mia replay FILE.csv.gz --strategy sma_cross
"""


def _lang(args: argparse.Namespace, config: MiaConfig | None) -> str:
    lang = getattr(args, "lang", None) or (config.language if config else "en")
    return "en" if lang == "auto" else lang


# ---------------------------------------------------------------------------- engine ops
def _op_command(op: str, build_args: Callable[[argparse.Namespace], dict[str, Any]], confirm: bool = False):
    def run(args: argparse.Namespace, config: MiaConfig) -> int:
        return asyncio.run(_run_op(op, build_args(args), args, config, confirm))

    return run


async def _run_op(op: str, op_args: dict[str, Any], args: argparse.Namespace, config: MiaConfig, confirm: bool) -> int:
    from assistant import control
    from assistant.ops import OPS

    lang = _lang(args, config)
    sock = control.socket_path(config.data_path)
    remote = await control.call(sock, "ping", {}, lang) if sock.exists() else None
    use_remote = remote is not None
    if confirm:
        # Read back and ask: parse -> read-back -> explicit confirmation -> risk gate -> broker.
        preview = await (control.call(sock, "preview", op_args, lang) if use_remote else _one_shot(config, "preview", op_args, lang))
        print(preview.text)
        if not preview.ok:
            return preview.exit
        if not getattr(args, "yes", False):
            if not sys.stdin.isatty():
                print("Not confirmed: add --yes to confirm without a terminal. / Non confirmé : ajoutez --yes.")
                return 1
            answer = input("Confirm? / Confirmez-vous ? [y/N] ").strip().lower()
            if answer not in ("y", "yes", "o", "oui"):
                print("Cancelled. / Annulé.")
                return 1
    res = await (control.call(sock, op, op_args, lang) if use_remote else _one_shot(config, op, op_args, lang))
    print(res.text)
    return res.exit


async def _one_shot(config: MiaConfig, op: str, op_args: dict[str, Any], lang: str):
    """Run one op on an engine opened on the paper ledger, marking at the last recorded price."""
    from assistant.ops import OPS
    from trading_core.api import Engine

    engine = Engine.from_config(config, realtime=False)
    await engine.start(run_feed=False)
    try:
        await engine.prime_market()
        pump = asyncio.create_task(engine.pump_last_prices())
        try:
            return await OPS[op](engine, op_args, lang)
        finally:
            pump.cancel()
    finally:
        await engine.stop()
        engine.close()


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
        raise argparse.ArgumentTypeError(f"not a price: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"a price must be positive: {text!r}")
    return value


def _quantity(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of contracts: {text!r}") from None


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
    p.add_argument("-v", "--verbose", action="store_true", help="log to the terminal too")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    from assistant.runner import register as register_run

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

    c = sub.add_parser("close", help="flatten a symbol or everything", description="Example: mia close ES ; mia close all")
    c.add_argument("symbol", nargs="?", default="all", help="ES, MNQ or all (default)")
    c.add_argument("-y", "--yes", action="store_true", help="no confirmation prompt")
    c.set_defaults(func=_op_command("close", lambda a: {"symbol": a.symbol}))

    for name, helptext in (("positions", "open positions"), ("status", "engine status"), ("pnl", "today's P&L"), ("metrics", "performance metrics")):
        s = sub.add_parser(name, help=helptext, description=f"Example: mia {name}")
        s.set_defaults(func=_op_command(name, lambda a: {}))

    h = sub.add_parser("halt", help="halt trading (no new orders)", description="Example: mia halt ; mia halt --flatten (kill switch)")
    h.add_argument("--flatten", action="store_true", help="kill switch: also cancel all orders and close all positions")
    h.set_defaults(func=_op_command("halt", lambda a: {"flatten": a.flatten}))
    r = sub.add_parser("resume", help="resume trading", description="Example: mia resume")
    r.set_defaults(func=_op_command("resume", lambda a: {}))

    k = sub.add_parser("risk", help="set the risk per trade in %% of equity", description="Example: mia risk 1 ES ; mia risk 0.5")
    k.add_argument("percent", help="percent of equity, e.g. 1 or 0.5")
    k.add_argument("symbol", nargs="?", help="ES or MNQ (default: all symbols)")
    k.set_defaults(func=_op_command("risk", lambda a: {"percent": a.percent, "symbol": a.symbol}))

    from trading_core.replay import register as register_replay

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
    "assistant.listen",  # mia listen
    "assistant.harness.cli",  # mia harness
    "assistant.asr.models",  # mia models download|list
    "assistant.notify.cli",  # mia outbox status|retry
    "assistant.telegram_bot.cli",  # mia bot
    "trading_core.intelligence.rl.cli",  # mia train
    "trading_core.intelligence.cli",  # mia evaluate
    "assistant.mentor.cli",  # mia report daily
    "assistant.dashboard.cli",  # mia dashboard
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
    from trading_core.logs import setup_logging

    setup_logging(config.data_path, config.market, console=args.verbose)
    try:
        return int(args.func(args, config) or 0)
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:
        print(f"mia: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
