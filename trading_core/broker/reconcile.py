"""Reconciliation of the broker's positions (and working orders) against the engine's ledger.

After every (re)connection of a live broker, including the first one at start-up, `Reconciler` asks
the broker for its positions and compares them, symbol by symbol, with the ledger's net positions.
When the broker can list the engine orders working there (`open_order_ids`), orders the ledger
still holds as working but the broker does not (e.g. cancelled or filled at the broker while MIA was
not running) are reported too. A difference is never resolved by overwriting either side: it becomes
a RECONCILIATION_MISMATCH alert through `Engine.report_reconciliation`, for a person to decide.

Fills still travelling from the broker to the ledger (a fill waiting for its commission report) would
show as a false difference, so the check first waits for the broker to be idle when it can
(`wait_idle`), and a difference must still be there after `settle_s` to be reported.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trading_core.broker.base import Broker, BrokerPosition, ConnectionUpdate
from trading_core.types import EngineEvent, EventKind, PositionMismatch, ReconciliationMismatch

if TYPE_CHECKING:
    from trading_core.api import Engine

log = logging.getLogger("mia.reconcile")


def compare_positions(ledger: Mapping[str, int], broker: Iterable[BrokerPosition]) -> list[PositionMismatch]:
    """Symbols whose signed quantity differs between the ledger and the broker, sorted by symbol."""
    at_broker: dict[str, int] = {}
    for p in broker:
        at_broker[p.symbol] = at_broker.get(p.symbol, 0) + int(p.quantity)
    symbols = sorted({s for s, q in ledger.items() if q} | {s for s, q in at_broker.items() if q})
    return [
        PositionMismatch(s, int(ledger.get(s, 0)), at_broker.get(s, 0))
        for s in symbols
        if int(ledger.get(s, 0)) != at_broker.get(s, 0)
    ]


@dataclass(frozen=True, slots=True)
class Reconciliation:
    positions: list[PositionMismatch]
    missing_orders: list[str]  # working in the ledger, not at the broker

    def __bool__(self) -> bool:
        return bool(self.positions or self.missing_orders)


class Reconciler:
    """Runs `check()` after each broker (re)connection and reports differences through the engine."""

    def __init__(self, engine: "Engine", broker: Broker | None = None, *, settle_s: float = 1.0,
                 idle_timeout_s: float = 5.0) -> None:
        self.engine = engine
        self.broker = broker or engine.broker
        self.settle_s = settle_s
        self.idle_timeout_s = idle_timeout_s
        self.runs = 0
        self.last: list[PositionMismatch] | None = None
        self.last_orders: list[str] | None = None
        self.last_error: BaseException | None = None
        self._task: asyncio.Task[Any] | None = None
        self._again = False

    def attach(self) -> "Reconciler":
        """Check after every connection: from the broker's own connection updates when it offers them
        (they include the first connection), else from the engine's BROKER_RECONNECTED events."""
        add = getattr(self.broker, "add_connection_listener", None)
        if add is not None:
            add(self._on_connection)
        else:
            self.engine.add_listener(self._on_event)
        return self

    def detach(self) -> None:
        self.engine.remove_listener(self._on_event)
        remove = getattr(self.broker, "remove_connection_listener", None)
        if remove is not None:
            remove(self._on_connection)
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _on_connection(self, update: ConnectionUpdate) -> None:
        if update.connected:
            self._schedule()

    def _on_event(self, event: EngineEvent) -> None:
        if event.kind is EventKind.BROKER_RECONNECTED:
            self._schedule()

    def _schedule(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True  # a new connection while a check runs: check once more afterwards
            return
        self._task = asyncio.get_running_loop().create_task(self._run_until_settled(), name="mia-reconcile")

    async def wait(self) -> list[PositionMismatch] | None:
        """Wait for the check in progress, if any; returns the latest result."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        return self.last

    async def _run_until_settled(self) -> None:
        while True:
            self._again = False
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker dropped again, or timed out: the next reconnect re-checks
                self.last_error = exc
                log.warning("position reconciliation could not run: %s", exc)
            if not self._again:
                return

    async def _snapshot(self) -> Reconciliation:
        wait_idle = getattr(self.broker, "wait_idle", None)
        if wait_idle is not None:
            await wait_idle(self.idle_timeout_s)
        positions = await self.broker.broker_positions()
        mismatches = compare_positions(self.engine.ledger.net_positions(), positions)
        missing: list[str] = []
        open_ids = getattr(self.broker, "open_order_ids", None)
        if open_ids is not None:
            at_broker = open_ids()
            missing = [o.order_id for o in await self.engine.working_orders() if o.order_id not in at_broker]
        return Reconciliation(mismatches, missing)

    async def check(self) -> list[PositionMismatch]:
        """Compare now; report a difference that is still there after `settle_s`. Returns the position
        differences (`last_orders` holds the missing orders)."""
        result = await self._snapshot()
        if result and self.settle_s > 0:
            await asyncio.sleep(self.settle_s)
            result = await self._snapshot()
        self.runs += 1
        self.last = result.positions
        self.last_orders = result.missing_orders
        self.last_error = None
        name = getattr(self.broker, "name", "broker")
        if result.positions:
            self.engine.report_reconciliation(ReconciliationMismatch(name, positions=tuple(result.positions)))
        if result.missing_orders:
            self.engine.report_reconciliation(ReconciliationMismatch(name, missing_orders=tuple(result.missing_orders)))
        if not result:
            log.info("reconciled: ledger and %s agree", name)
        return result.positions


__all__ = ["PositionMismatch", "Reconciliation", "Reconciler", "compare_positions"]
