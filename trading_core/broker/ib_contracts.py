"""Interactive Brokers errors and futures contracts: the front month of each root symbol qualified at IB.

`ContractBook` builds the contract from `trading_core.calendar` (local symbol such as ESZ6, month
YYYYMM, exchange CME, currency USD, multiplier and trading class from the instrument table), asks IB
to qualify it (reqContractDetails through ib_async), caches it, and qualifies the next contract once
the calendar rolls. IB's refusal (usually error 200, no security definition) becomes a
`ContractNotFoundError` carrying IB's code and text.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timezone

from ib_async import IB, Contract, Future

from trading_core import calendar as cme
from trading_core.clock import Clock
from trading_core.instruments import INSTRUMENTS, UnknownSymbolError, get_instrument
from trading_core.risk.reasons import ReasonCode, reject
from trading_core.types import Rejection

log = logging.getLogger("mia.broker.ib")


class IBError(Exception):
    """A problem with Interactive Brokers that a user can act on, with a stable code and both languages.

    `reason`: the same problem as an order rejection (a reason code and its parameters), when it stops
    an order (see `rejection()`)."""

    def __init__(self, code: str, message_en: str, message_fr: str, reason: Rejection | None = None) -> None:
        self.code, self.message_en, self.message_fr = code, message_en, message_fr
        self.reason = reason
        super().__init__(f"{message_en} / {message_fr}")

    def rejection(self) -> Rejection:
        return self.reason if self.reason is not None else reject(ReasonCode.BROKER_REJECTED)


class IBConnectionError(IBError):
    """TWS / IB Gateway could not be reached, or the session was refused."""


class IBAccountError(IBError):
    """The connected session does not manage the configured account."""


class ContractNotFoundError(IBError):
    """IB could not qualify a contract (usually error 200, no security definition)."""


def ib_rejection(code: int, text: str) -> Rejection:
    """An IB error message as an order rejection: IB_ERROR with IB's code and its own text."""
    return reject(ReasonCode.IB_ERROR, ib_code=int(code), text=text)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ContractBook:
    """Front-month futures contracts qualified at IB, one per root symbol, cached until the roll."""

    def __init__(
        self,
        ib: IB,
        symbols: Sequence[str],
        roll_days: int = cme.DEFAULT_ROLL_DAYS,
        clock: Clock | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._ib = ib
        self.symbols = tuple(get_instrument(s).symbol for s in symbols)
        self.roll_days = roll_days
        self._clock = clock
        self.timeout_s = timeout_s
        self._cache: dict[str, Contract] = {}
        self.errors: dict[str, IBError] = {}  # last qualification failure per symbol
        self._by_ib_symbol = {inst.ib_symbol or inst.symbol: inst.symbol for inst in INSTRUMENTS.values()}

    def front(self, symbol: str) -> cme.Contract:
        now = self._clock.now() if self._clock is not None else _utc_now()
        return cme.front_month(get_instrument(symbol).symbol, now, self.roll_days)

    def cached(self, symbol: str) -> Contract | None:
        return self._cache.get(get_instrument(symbol).symbol)

    def symbol_of(self, contract: Contract) -> str | None:
        """MIA's root symbol for an IB futures contract (None for anything MIA does not trade)."""
        if contract.secType not in ("FUT", ""):
            return None
        return self._by_ib_symbol.get(contract.symbol) or self._by_ib_symbol.get(contract.tradingClass)

    def request_for(self, symbol: str) -> Future:
        inst = get_instrument(symbol)
        front = self.front(inst.symbol)
        return Future(
            symbol=inst.ib_symbol or inst.symbol,
            lastTradeDateOrContractMonth=front.last_trade_date_or_contract_month,
            exchange=inst.exchange,
            localSymbol=front.local_symbol,
            multiplier=str(inst.multiplier),
            currency=inst.currency,
            tradingClass=inst.trading_class or inst.symbol,
        )

    async def qualify(self, symbol: str) -> Contract:
        """The qualified front-month contract of `symbol` (conId set); raises ContractNotFoundError."""
        try:
            root = get_instrument(symbol).symbol
        except UnknownSymbolError as exc:
            raise ContractNotFoundError("UNKNOWN_SYMBOL", exc.message_en, exc.message_fr, exc.to_rejection()) from None
        wanted = self.front(root).local_symbol
        cached = self._cache.get(root)
        if cached is not None and cached.localSymbol == wanted:
            return cached
        request = self.request_for(root)
        errors: list[tuple[int, str]] = []

        def on_error(req_id: int, code: int, text: str, contract: Contract | None) -> None:
            if contract is request:
                errors.append((code, text))

        self._ib.errorEvent += on_error
        try:
            result = await asyncio.wait_for(self._ib.qualifyContractsAsync(request), self.timeout_s)
        except TimeoutError:
            error: IBError = ContractNotFoundError(
                "IB_TIMEOUT",
                f"Interactive Brokers did not describe {wanted} within {self.timeout_s:g} s.",
                f"Interactive Brokers n'a pas décrit {wanted} en {self.timeout_s:g} s.",
                reject(ReasonCode.IB_CONTRACT_TIMEOUT, contract=wanted, seconds=float(self.timeout_s)),
            )
            self.errors[root] = error
            raise error from None
        finally:
            self._ib.errorEvent -= on_error
        if not result or result[0] is None or not request.conId:
            code, text = errors[-1] if errors else (200, "No security definition has been found for the request")
            error = ContractNotFoundError(
                f"IB_{code}",
                f"Interactive Brokers does not know the contract {wanted} (error {code}): {text}",
                f"Interactive Brokers ne connaît pas le contrat {wanted} (erreur {code}) : {text}",
                reject(ReasonCode.IB_CONTRACT_UNKNOWN, contract=wanted, ib_code=int(code), text=text),
            )
            self.errors[root] = error
            raise error
        if request.exchange != "CME" or request.currency != "USD":
            log.warning("contract %s qualified as %s/%s, expected CME/USD", wanted, request.exchange, request.currency)
        self._cache[root] = request
        self.errors.pop(root, None)
        log.info("qualified %s -> %s conId=%s expiry=%s", root, request.localSymbol, request.conId,
                 request.lastTradeDateOrContractMonth)
        return request

    async def refresh(self) -> dict[str, Contract]:
        """Qualify every symbol; failures are logged and kept in `errors` (orders then get IB's code)."""
        out: dict[str, Contract] = {}
        for symbol in self.symbols:
            try:
                out[symbol] = await self.qualify(symbol)
            except IBError as exc:
                log.error("cannot qualify %s: %s", symbol, exc)
        return out


__all__ = ["ContractBook", "ContractNotFoundError", "IBAccountError", "IBConnectionError", "IBError", "ib_rejection"]
