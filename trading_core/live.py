"""Trading through Interactive Brokers: the money-safety gates and the engine wiring for `mia run --live`.

`build_live_engine(config, args)` returns a ready (not yet started) `Engine` on an `IBBroker` and an
`IBFeed` sharing one connection, or prints why it refuses (French and English, on stderr) and returns
None, which `mia run` turns into exit code 2. Gates, in order:

1. A paper run (`args.paper`, or not `args.live`) never routes to a live-trading port (7496 TWS,
   4001 IB Gateway).
2. The config names the account (`ib.account`).
3. Live only: the user types that account id at start-up to acknowledge live trading (read with
   `input_fn`, stdin by default; letter case ignored; an empty answer, end of input, Ctrl-C or a
   different id refuses).
4. The connection succeeds and the connected session manages that account (managedAccounts).
   A paper run also refuses an account that is not an IB paper account (paper ids start with "D").

After the gates, a `Reconciler` is attached: at start-up and after every reconnect the broker's
positions are compared with the ledger and a difference raises a RECONCILIATION_MISMATCH alert.
The live engine writes `ledger_live.sqlite3`; an IB paper-account run writes `ledger_ib_paper.sqlite3`,
separate from the simulated paper broker's ledger.
"""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from trading_core.broker.ib import LIVE_PORTS, IBBroker, IBError
from trading_core.broker.reconcile import Reconciler
from trading_core.clock import Clock, WallClock
from trading_core.config import MiaConfig
from trading_core.ledger import Ledger, LedgerError
from trading_core.marketdata.ib_feed import IBFeed

if TYPE_CHECKING:
    from trading_core.api import Engine

log = logging.getLogger("mia.live")

InputFn = Callable[[str], str]


class LiveGateError(Exception):
    """A refusal to trade through Interactive Brokers, with a stable code and both languages."""

    def __init__(self, code: str, message_en: str, message_fr: str) -> None:
        self.code, self.message_en, self.message_fr = code, message_en, message_fr
        super().__init__(f"{message_en} / {message_fr}")


@dataclass(frozen=True, slots=True)
class LiveSession:
    engine: "Engine"
    broker: IBBroker
    feed: IBFeed
    reconciler: Reconciler


def is_paper_run(args: argparse.Namespace) -> bool:
    """A run is live only when `--live` was asked for explicitly and `--paper` was not."""
    return bool(getattr(args, "paper", False)) or not bool(getattr(args, "live", False))


def check_port(paper: bool, port: int) -> None:
    if paper and port in LIVE_PORTS:
        raise LiveGateError(
            "LIVE_PORT_IN_PAPER",
            f"Refused: this is a paper run but ib.port = {port} is a LIVE trading port (7496 TWS, 4001 IB Gateway). "
            "Use 7497 (TWS) or 4002 (IB Gateway) for paper trading, or run `mia run --live` on purpose.",
            f"Refusé : session papier mais ib.port = {port} est un port de trading RÉEL (7496 TWS, 4001 IB Gateway). "
            "Utilisez 7497 (TWS) ou 4002 (IB Gateway) pour le papier, ou lancez `mia run --live` délibérément.",
        )


def check_account_configured(config: MiaConfig) -> str:
    account = (config.ib.account or "").strip()
    if not account:
        raise LiveGateError(
            "ACCOUNT_NOT_CONFIGURED",
            "Refused: no Interactive Brokers account is configured. Set ib.account in your config file "
            "(or MIA_IB__ACCOUNT) to the account id, e.g. U1234567.",
            "Refusé : aucun compte Interactive Brokers n'est configuré. Renseignez ib.account dans votre fichier "
            "de configuration (ou MIA_IB__ACCOUNT) avec l'identifiant du compte, par ex. U1234567.",
        )
    return account


def acknowledge_account(account: str, input_fn: InputFn) -> None:
    """The user must type the account id: proof that they know which account will trade real money."""
    prompt = (
        f"LIVE TRADING on Interactive Brokers account {account}. Type the account id to confirm / "
        f"TRADING RÉEL sur le compte Interactive Brokers {account}. Tapez l'identifiant du compte pour confirmer : "
    )
    try:
        typed = input_fn(prompt)
    except (EOFError, KeyboardInterrupt):
        typed = None
    if typed is None or not typed.strip():
        raise LiveGateError(
            "ACCOUNT_NOT_ACKNOWLEDGED",
            "Refused: the account id was not typed; live trading needs that acknowledgement at start-up.",
            "Refusé : l'identifiant du compte n'a pas été saisi ; le trading réel exige cette confirmation au démarrage.",
        )
    if typed.strip().upper() != account.upper():  # IB shows ids in capitals; the case is not the point
        raise LiveGateError(
            "ACCOUNT_ACK_MISMATCH",
            f"Refused: you typed {typed.strip()!r}, which is not the configured account {account}.",
            f"Refusé : vous avez saisi {typed.strip()!r}, qui n'est pas le compte configuré {account}.",
        )


def check_connected_account(account: str, managed: list[str], paper: bool) -> None:
    if account not in managed:
        raise LiveGateError(
            "ACCOUNT_NOT_CONNECTED",
            f"Refused: the connected TWS / IB Gateway session manages {', '.join(managed) or 'no account'}, "
            f"not the configured account {account}.",
            f"Refusé : la session TWS / IB Gateway connectée gère {', '.join(managed) or 'aucun compte'}, "
            f"pas le compte configuré {account}.",
        )
    if paper and not account.upper().startswith("D"):
        raise LiveGateError(
            "LIVE_ACCOUNT_IN_PAPER",
            f"Refused: this is a paper run but {account} is not an Interactive Brokers paper account "
            "(paper account ids start with D).",
            f"Refusé : session papier mais {account} n'est pas un compte papier Interactive Brokers "
            "(les comptes papier commencent par D).",
        )


def print_refusal(error: LiveGateError | IBError, err: TextIO) -> None:
    print(f"[{error.code}] {error.message_en}", file=err)
    print(f"[{error.code}] {error.message_fr}", file=err)


async def open_live_session(
    config: MiaConfig,
    args: argparse.Namespace,
    *,
    input_fn: InputFn = input,
    clock: Clock | None = None,
    broker_options: dict[str, object] | None = None,
    feed_options: dict[str, object] | None = None,
    reconcile_settle_s: float = 1.0,
) -> LiveSession:
    """Run the gates, connect, and build the engine; raises LiveGateError / IBError on refusal."""
    from trading_core.api import Engine

    paper = is_paper_run(args)
    check_port(paper, config.ib.port)
    account = check_account_configured(config)
    if not paper:
        # Read in the loop's own thread on purpose: nothing else runs yet, and Ctrl-C at the prompt then
        # interrupts the read (a worker thread would keep waiting for a line after the loop is gone).
        acknowledge_account(account, input_fn)
    symbols = tuple(config.instruments.symbols)
    options: dict[str, object] = {"commission_wait_s": 2.0}
    options.update(broker_options or {})
    broker = IBBroker(
        config.ib.model_copy(update={"account": account}),
        symbols=symbols,
        roll_days=config.instruments.roll_days_before_expiry,
        paper=paper,
        fallback_commission_per_contract=config.paper.commission_per_contract,
        **options,  # type: ignore[arg-type]
    )
    try:
        await broker.connect()
        check_connected_account(account, broker.managed_accounts, paper)
        feed = IBFeed(broker.ib, broker.contracts, symbols, clock=clock, **(feed_options or {}))  # type: ignore[arg-type]
        mode = "paper" if paper else "live"
        ledger = Ledger(config.data_path / "ledger_ib_paper.sqlite3") if paper else None
        engine = Engine(config, broker, ledger=ledger, feed=feed, clock=clock or WallClock(), mode=mode)
    except BaseException:
        await broker.disconnect()
        raise
    reconciler = Reconciler(engine, broker, settle_s=reconcile_settle_s).attach()
    log.info("%s session ready on account %s", mode, account)
    return LiveSession(engine, broker, feed, reconciler)


async def build_live_engine(
    config: MiaConfig,
    args: argparse.Namespace,
    *,
    input_fn: InputFn = input,
    err: TextIO | None = None,
    **options: object,
) -> "Engine | None":
    """The engine for `mia run --live` (and IB paper runs), or None after printing why it refuses."""
    err = err or sys.stderr
    try:
        session = await open_live_session(config, args, input_fn=input_fn, **options)  # type: ignore[arg-type]
    except (LiveGateError, IBError) as exc:
        print_refusal(exc, err)
        return None
    except LedgerError as exc:  # e.g. another MIA already trades on this ledger
        print_refusal(LiveGateError("LEDGER_UNAVAILABLE", f"Refused: the ledger cannot be opened: {exc}",
                                    f"Refusé : le registre ne peut pas être ouvert : {exc}"), err)
        return None
    return session.engine


__all__ = [
    "LiveGateError",
    "LiveSession",
    "acknowledge_account",
    "build_live_engine",
    "check_account_configured",
    "check_connected_account",
    "check_port",
    "is_paper_run",
    "open_live_session",
    "print_refusal",
]
