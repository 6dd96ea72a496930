"""A fake TWS / IB Gateway on 127.0.0.1 that speaks the real TWS socket API (server version 176).

Wire format: every message is a 4-byte big-endian length followed by ASCII fields, each ending in NUL.
The client opens with raw `API\\0` and one framed `v157..178` (no NUL); the server answers
`[serverVersion, connectionTime]`. After startApi (71) the server sends managedAccounts (15) and
nextValidId (9), then answers the sync requests a client makes at connect (positions 61 → 62,
open orders 5 → 53, completed orders 99 → 102, account updates 6 → 54, account updates multi 76 → 74,
executions 7 → 55).

Market model: one last price per root symbol (ES, MNQ), shared by every expiry. `set_price` moves it,
streams it to market-data subscribers (tick type 4, LAST) and matches resting orders:
- MKT fills at once at the current price; LMT buy fills when price <= limit (sell: >=), STP buy
  triggers when price >= stop (sell: <=); LMT and STP fill at the current price.
- IB's transmit rule: an order with transmit=0 is held (nothing is sent back) until an order with
  transmit=1 arrives in the same parent group; then the group is acknowledged together. Children of a
  bracket stay PreSubmitted until their parent fills, then become Submitted.
- When a child fills, its siblings (same parentId) and any order of the same ocaGroup are cancelled
  (OCO). Cancelling a parent cancels its children. Cancels answer orderStatus Cancelled + error 202.
- Each fill sends execDetails (reqId -1), orderStatus, then commissionReport
  (`commission_per_contract` x quantity), optionally delayed (`commission_delay_s`) or withheld
  (`send_commissions = False`). Positions, portfolio and account values are pushed to subscribers.

Test controls: `set_price`, `push_realtime_bar`, `reject_next_order(code, text)`, `split_next_fill`,
`market_fill_delay` (a market order rests Submitted until that many more prices arrive: a broker whose
fills come after the next quotes),
`set_position`, `cancel_in_tws`, `drop_connections`, `stop_listening` / `start_listening` (TWS down / back up),
`send_error`, and records: `placed` (every placeOrder as parsed), `cancels`, `requests`
(perf_counter time and message id of every client message), `connections`.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

log = logging.getLogger("tests.fakes.tws")

SERVER_VERSION = 176
UNSET_DOUBLE = "1.7976931348623157E308"
MONTH_CODES = {3: "H", 6: "M", 9: "U", 12: "Z"}
# root -> (multiplier, long name, min tick, default price, conId base)
ROOTS: dict[str, tuple[str, str, float, float, int]] = {
    "ES": ("50", "E-mini S&P 500", 0.25, 6000.0, 495_000_000),
    "MNQ": ("2", "Micro E-mini Nasdaq-100", 0.25, 21000.0, 654_000_000),
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def frame(fields: Iterable[Any]) -> bytes:
    payload = "".join(_text(f) + "\0" for f in fields).encode()
    return struct.pack(">I", len(payload)) + payload


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


@dataclass(frozen=True)
class FakeContract:
    con_id: int
    symbol: str
    local_symbol: str
    last_trade_date: str  # YYYYMMDD
    multiplier: str
    long_name: str
    min_tick: float
    exchange: str = "CME"
    currency: str = "USD"
    sec_type: str = "FUT"

    @property
    def trading_class(self) -> str:
        return self.symbol

    @property
    def expiry(self) -> date:
        return datetime.strptime(self.last_trade_date, "%Y%m%d").date()

    def exec_fields(self) -> list[Any]:
        """conId .. tradingClass as in position / execDetails (with exchange, no primaryExchange)."""
        return [self.con_id, self.symbol, self.sec_type, self.last_trade_date, 0.0, "", self.multiplier,
                self.exchange, self.currency, self.local_symbol, self.trading_class]


@dataclass(frozen=True)
class PlacedOrder:
    """One placeOrder message as the fake parsed it (what a test asserts on)."""

    order_id: int
    client_id: int
    symbol: str
    local_symbol: str
    con_id: int
    sec_type: str
    exchange: str
    currency: str
    action: str
    quantity: float
    order_type: str
    lmt_price: float | None
    aux_price: float | None
    tif: str
    oca_group: str
    oca_type: int
    account: str
    order_ref: str
    transmit: bool
    parent_id: int
    outside_rth: bool
    ts: float


@dataclass
class FakeOrder:
    order_id: int
    client_id: int
    perm_id: int
    contract: FakeContract
    account: str
    action: str
    quantity: float
    order_type: str
    lmt_price: float | None
    aux_price: float | None
    tif: str
    oca_group: str
    oca_type: int
    order_ref: str
    transmit: bool
    parent_id: int
    outside_rth: bool
    status: str = "Held"  # Held (not transmitted), PreSubmitted, Submitted, Filled, Cancelled
    filled: float = 0.0
    avg_fill_price: float = 0.0
    last_fill_price: float = 0.0
    why_held: str = ""
    prices_to_wait: int = 0  # a market order fills only after this many more prices (late fills)
    completed_time: str = ""

    @property
    def remaining(self) -> float:
        return self.quantity - self.filled

    @property
    def active(self) -> bool:
        return self.status in ("PreSubmitted", "Submitted")

    @property
    def done(self) -> bool:
        return self.status in ("Filled", "Cancelled")


@dataclass
class FakeExecution:
    exec_id: str
    order: FakeOrder
    time_text: str
    side: str  # BOT / SLD
    shares: float
    price: float
    cum_qty: float
    avg_price: float
    commission: Decimal
    realized_pnl: Decimal | None
    commission_sent: bool = False


@dataclass
class _Position:
    quantity: float = 0.0
    avg_cost: float = 0.0  # price x multiplier, as IB reports it


@dataclass
class _Session:
    writer: asyncio.StreamWriter
    peer: str
    client_id: int = -1
    started: bool = False
    positions_sub: bool = False
    account_updates: str | None = None
    summary_reqs: set[int] = field(default_factory=set)
    multi_reqs: dict[int, str] = field(default_factory=dict)
    rt_bars: dict[int, str] = field(default_factory=dict)  # reqId -> root
    mkt_data: dict[int, str] = field(default_factory=dict)
    closed: bool = False


class FakeTws:
    """The fake server. `async with FakeTws() as tws:` starts it on a free port (`tws.port`)."""

    def __init__(
        self,
        accounts: tuple[str, ...] = ("DU1234567",),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        server_version: int = SERVER_VERSION,
        commission_per_contract: Decimal = Decimal("2.25"),
        starting_cash: Decimal = Decimal("100000"),
        prices: dict[str, float] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.accounts = tuple(accounts)
        self.host = host
        self.port = port
        self.server_version = server_version
        self.commission_per_contract = Decimal(commission_per_contract)
        self.starting_cash = Decimal(starting_cash)
        self._now = now or (lambda: datetime.now(timezone.utc))
        self.prices: dict[str, float] = {root: spec[3] for root, spec in ROOTS.items()}
        self.prices.update(prices or {})
        self.contracts: list[FakeContract] = self._build_contracts()
        # behaviour switches
        self.send_commissions = True
        self.commission_delay_s = 0.0
        self.market_fill_delay = 0  # prices a new market order waits before it fills
        # state
        self.orders: dict[tuple[int, int], FakeOrder] = {}  # (clientId, orderId)
        self.executions: list[FakeExecution] = []
        self.positions: dict[tuple[str, int], _Position] = {}  # (account, conId)
        self.realized: dict[str, Decimal] = {a: Decimal(0) for a in self.accounts}
        self.commissions: dict[str, Decimal] = {a: Decimal(0) for a in self.accounts}
        # records
        self.placed: list[PlacedOrder] = []
        self.cancels: list[int] = []
        self.requests: list[tuple[float, int]] = []
        self.connections: list[tuple[float, int]] = []  # (perf_counter, clientId) of each startApi
        self.unhandled: list[list[str]] = []
        self._sessions: list[_Session] = []
        self._server: asyncio.AbstractServer | None = None
        self._next_order_id = 1
        self._next_perm_id = 1_000_000
        self._exec_seq = 0
        self._rejects: list[tuple[int, str]] = []
        self._splits: list[int] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> int:
        await self.start_listening()
        return self.port

    async def start_listening(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._handle, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop_listening(self) -> None:
        """TWS goes down: no new connections (refused) and the current ones are dropped."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        await self.drop_connections()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)

    async def stop(self) -> None:
        await self.stop_listening()
        for task in list(self._tasks):
            task.cancel()

    async def __aenter__(self) -> "FakeTws":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def drop_connections(self) -> None:
        """Close every client socket at once (as when TWS restarts or the network fails)."""
        for s in list(self._sessions):
            s.closed = True
            s.writer.transport.abort()
        self._sessions.clear()
        await asyncio.sleep(0)

    @property
    def session_count(self) -> int:
        return sum(1 for s in self._sessions if s.started and not s.closed)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("fake TWS: condition not met in time")
            await asyncio.sleep(0.005)

    # ------------------------------------------------------------------ contracts

    def _build_contracts(self) -> list[FakeContract]:
        today = self._now().date()
        out = []
        for root, (mult, name, tick, _price, base) in ROOTS.items():
            for year in range(today.year - 1, today.year + 3):
                for month, code in MONTH_CODES.items():
                    expiry = third_friday(year, month)
                    if not today - timedelta(days=120) <= expiry <= today + timedelta(days=800):
                        continue
                    out.append(
                        FakeContract(
                            con_id=base + year * 100 + month,
                            symbol=root,
                            local_symbol=f"{root}{code}{year % 10}",
                            last_trade_date=expiry.strftime("%Y%m%d"),
                            multiplier=mult,
                            long_name=name,
                            min_tick=tick,
                        )
                    )
        return out

    def contract(self, symbol_or_local: str) -> FakeContract:
        """A contract by local symbol (ESZ6) or, for a root (ES), the nearest one more than 8 days
        from expiry (the usual roll)."""
        key = symbol_or_local.upper()
        for c in self.contracts:
            if c.local_symbol == key:
                return c
        today = self._now().date()
        live = sorted((c for c in self.contracts if c.symbol == key and c.expiry - timedelta(days=8) > today),
                      key=lambda c: c.expiry)
        if not live:
            raise KeyError(f"fake TWS has no contract {symbol_or_local!r}")
        return live[0]

    def _match_contracts(self, f: list[str]) -> list[FakeContract]:
        con_id, symbol, sec_type, last, _strike, _right, mult, exchange, _prim, currency, local, tclass = f[:12]
        found = []
        for c in self.contracts:
            if con_id not in ("", "0"):
                if str(c.con_id) == con_id:
                    found.append(c)
                continue
            if sec_type and sec_type != c.sec_type:
                continue
            if symbol and symbol.upper() != c.symbol:
                continue
            if local and local.upper() != c.local_symbol:
                continue
            if last and not c.last_trade_date.startswith(last):
                continue
            if exchange and exchange.upper() != c.exchange:
                continue
            if currency and currency.upper() != c.currency:
                continue
            if mult and mult != c.multiplier:
                continue
            if tclass and tclass.upper() != c.trading_class:
                continue
            found.append(c)
        return found

    # ------------------------------------------------------------------ test controls

    def reject_next_order(self, code: int = 201, text: str = "Order rejected - reason:Insufficient margin") -> None:
        self._rejects.append((code, text))

    def split_next_fill(self, parts: int) -> None:
        """The next fill is reported as `parts` executions (a partial-fill sequence)."""
        self._splits.append(parts)

    def set_price(self, symbol: str, price: float) -> None:
        root = symbol.upper()
        self.prices[root] = float(price)
        for o in self.orders.values():
            if o.prices_to_wait and o.contract.symbol == root and o.status == "Submitted":
                o.prices_to_wait -= 1
        for s in self._live_sessions():
            for req_id, r in s.mkt_data.items():
                if r == root:
                    self._send(s, [1, 6, req_id, 4, float(price), 1, 0])
        self._match(root)

    def push_realtime_bar(self, symbol: str, ts: datetime, o: float, h: float, low: float, c: float,
                          volume: int = 100) -> int:
        """Send a 5-second bar starting at `ts` to every subscriber of `symbol`; the price becomes its
        close. Returns the number of subscriptions served."""
        root = symbol.upper()
        served = 0
        for s in self._live_sessions():
            for req_id, r in s.rt_bars.items():
                if r == root:
                    wap = round((o + h + low + c) / 4, 4)
                    self._send(s, [50, 3, req_id, int(ts.timestamp()), o, h, low, c, volume, wap, max(1, volume // 10)])
                    served += 1
        self.set_price(root, c)
        return served

    def subscribers(self, symbol: str, kind: str = "bars") -> int:
        root = symbol.upper()
        attr = "rt_bars" if kind == "bars" else "mkt_data"
        return sum(1 for s in self._live_sessions() for r in getattr(s, attr).values() if r == root)

    def set_position(self, symbol: str, quantity: float, avg_price: float | None = None,
                     account: str | None = None) -> None:
        """Change a position behind the client's back (a trade made elsewhere), pushing the update."""
        c = self.contract(symbol)
        acct = account or self.accounts[0]
        price = self.prices[c.symbol] if avg_price is None else avg_price
        pos = self.positions.setdefault((acct, c.con_id), _Position())
        pos.quantity = float(quantity)
        pos.avg_cost = price * float(c.multiplier) if quantity else 0.0
        self._push_position(acct, c)

    def cancel_in_tws(self, order_id: int) -> None:
        """Cancel an order from TWS's own window (not through the API client)."""
        self._cancel(self.order(order_id))

    def send_error(self, req_id: int, code: int, text: str) -> None:
        for s in self._live_sessions():
            self._send(s, [4, 2, req_id, code, text, ""])

    def position_of(self, symbol: str, account: str | None = None) -> float:
        c = self.contract(symbol)
        pos = self.positions.get((account or self.accounts[0], c.con_id))
        return pos.quantity if pos else 0.0

    def order(self, order_id: int, client_id: int | None = None) -> FakeOrder:
        for (cid, oid), o in self.orders.items():
            if oid == order_id and (client_id is None or cid == client_id):
                return o
        raise KeyError(order_id)

    # ------------------------------------------------------------------ connection handling

    def _live_sessions(self) -> list[_Session]:
        return [s for s in self._sessions if s.started and not s.closed]

    def _send(self, s: _Session, fields: list[Any]) -> None:
        if s.closed:
            return
        try:
            s.writer.write(frame(fields))
        except (ConnectionError, RuntimeError):
            s.closed = True

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = str(writer.get_extra_info("peername"))
        s = _Session(writer, peer)
        self._sessions.append(s)
        try:
            prefix = await reader.readexactly(4)
            if prefix != b"API\0":
                log.warning("fake TWS: bad greeting %r from %s", prefix, peer)
                return
            size = struct.unpack(">I", await reader.readexactly(4))[0]
            version_text = (await reader.readexactly(size)).decode()
            if not version_text.startswith("v"):
                log.warning("fake TWS: bad version range %r", version_text)
                return
            conn_time = self._now().strftime("%Y%m%d %H:%M:%S UTC")
            writer.write(frame([self.server_version, conn_time]))
            while not s.closed:
                size = struct.unpack(">I", await reader.readexactly(4))[0]
                fields = (await reader.readexactly(size)).decode(errors="replace").split("\0")
                if fields and fields[-1] == "":
                    fields.pop()
                if not fields:
                    continue
                self.requests.append((time.perf_counter(), int(fields[0] or 0)))
                try:
                    self._dispatch(s, fields)
                except Exception:  # a fake bug must show in the test log, not kill the session silently
                    log.exception("fake TWS failed on %s", fields[:6])
                    raise
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            s.closed = True
            if s in self._sessions:
                self._sessions.remove(s)
            with contextlib.suppress(Exception):
                writer.close()

    def _dispatch(self, s: _Session, f: list[str]) -> None:
        msg = int(f[0])
        if msg == 71:  # startApi
            client_id = int(f[2])
            if any(o is not s and o.client_id == client_id for o in self._live_sessions()):
                self._send(s, [4, 2, -1, 326, f"Unable to connect as the client id is already in use. Retry with a unique client id.", ""])
                s.closed = True
                s.writer.close()
                return
            s.client_id = client_id
            s.started = True
            self.connections.append((time.perf_counter(), client_id))
            self._send(s, [15, 1, ",".join(self.accounts)])
            self._send(s, [9, 1, self._next_order_id])
            return
        handler = self._HANDLERS.get(msg)
        if handler is None:
            self.unhandled.append(f)
            log.info("fake TWS: unhandled message %s", f[:4])
            return
        handler(self, s, f)

    # ------------------------------------------------------------------ requests: sync at connect

    def _req_positions(self, s: _Session, f: list[str]) -> None:
        s.positions_sub = True
        for (acct, con_id), pos in self.positions.items():
            c = self._by_con_id(con_id)
            self._send(s, [61, 3, acct, *c.exec_fields(), pos.quantity, pos.avg_cost])
        self._send(s, [62, 1])

    def _cancel_positions(self, s: _Session, f: list[str]) -> None:
        s.positions_sub = False

    def _req_open_orders(self, s: _Session, f: list[str]) -> None:
        for o in self.orders.values():
            if o.active and (s.client_id == 0 or o.client_id == s.client_id):
                self._send(s, self._open_order_fields(o))
                self._send(s, self._status_fields(o))
        self._send(s, [53, 1])

    def _req_completed_orders(self, s: _Session, f: list[str]) -> None:
        for o in self.orders.values():
            if o.done:
                self._send(s, self._completed_order_fields(o))
        self._send(s, [102])

    def _req_account_updates(self, s: _Session, f: list[str]) -> None:
        subscribe, acct = f[2] == "1", f[3]
        if not subscribe:
            s.account_updates = None
            return
        acct = acct or self.accounts[0]
        s.account_updates = acct
        if acct in self.accounts:
            for tag, value, cur in self._account_values(acct):
                self._send(s, [6, 2, tag, value, cur, acct])
            for (a, con_id), pos in self.positions.items():
                if a == acct and pos.quantity:
                    self._send(s, self._portfolio_fields(acct, self._by_con_id(con_id), pos))
        self._send(s, [8, 1, self._now().strftime("%H:%M")])
        self._send(s, [54, 1, acct])

    def _req_account_updates_multi(self, s: _Session, f: list[str]) -> None:
        req_id, acct, model = int(f[2]), f[3], f[4]
        s.multi_reqs[req_id] = acct
        if acct in self.accounts:
            for tag, value, cur in self._account_values(acct):
                self._send(s, [73, 1, req_id, acct, model, tag, value, cur])
        self._send(s, [74, 1, req_id])

    def _cancel_account_updates_multi(self, s: _Session, f: list[str]) -> None:
        s.multi_reqs.pop(int(f[2]), None)

    def _req_account_summary(self, s: _Session, f: list[str]) -> None:
        req_id = int(f[2])
        s.summary_reqs.add(req_id)
        self._send_summary(s, req_id)
        self._send(s, [64, 1, req_id])

    def _cancel_account_summary(self, s: _Session, f: list[str]) -> None:
        s.summary_reqs.discard(int(f[2]))

    def _req_executions(self, s: _Session, f: list[str]) -> None:
        req_id, client_filter, acct_filter = int(f[2]), int(f[3] or 0), f[4]
        for e in self.executions:
            if client_filter and e.order.client_id != client_filter:
                continue
            if acct_filter and e.order.account != acct_filter:
                continue
            self._send(s, self._exec_fields(req_id, e))
            if self.send_commissions and e.commission_sent:
                self._send(s, self._commission_fields(e))
        self._send(s, [55, 1, req_id])

    def _req_ids(self, s: _Session, f: list[str]) -> None:
        self._send(s, [9, 1, self._next_order_id])

    def _req_current_time(self, s: _Session, f: list[str]) -> None:
        self._send(s, [49, 1, int(self._now().timestamp())])

    def _ignore(self, s: _Session, f: list[str]) -> None:
        return None

    # ------------------------------------------------------------------ requests: contracts and data

    def _req_contract_details(self, s: _Session, f: list[str]) -> None:
        req_id = int(f[2])
        found = self._match_contracts(f[3:15])
        if not found:
            self._send(s, [4, 2, req_id, 200, "No security definition has been found for the request", ""])
            return
        for c in found:
            self._send(s, [
                10, req_id, c.symbol, c.sec_type, c.last_trade_date, 0.0, "", c.exchange, c.currency,
                c.local_symbol, c.trading_class, c.trading_class, c.con_id, c.min_tick, c.multiplier,
                "ACTIVETIM,AD,ADJUST,ALERT,ALLOC,AVGCOST,BASKET,GTC,LMT,MKT,STP,STPLMT,TRAIL",
                "CME,QBALGO", 1, 11004968, c.long_name, "", c.last_trade_date[:6], "", "", "", "US/Central",
                "20261117:1700-20261118:1600", "20261118:0830-20261118:1600", "", "", 0,
                "", c.symbol, "IND", "67,67", c.last_trade_date, "", 1, 1, 1,
            ])
        self._send(s, [52, 1, req_id])

    def _req_realtime_bars(self, s: _Session, f: list[str]) -> None:
        req_id = int(f[2])
        found = self._match_contracts(f[3:15])
        if len(found) != 1:
            self._send(s, [4, 2, req_id, 200, "No security definition has been found for the request", ""])
            return
        s.rt_bars[req_id] = found[0].symbol

    def _cancel_realtime_bars(self, s: _Session, f: list[str]) -> None:
        s.rt_bars.pop(int(f[2]), None)

    def _req_mkt_data(self, s: _Session, f: list[str]) -> None:
        req_id = int(f[2])
        found = self._match_contracts(f[3:15])
        if len(found) != 1:
            self._send(s, [4, 2, req_id, 200, "No security definition has been found for the request", ""])
            return
        root = found[0].symbol
        s.mkt_data[req_id] = root
        self._send(s, [1, 6, req_id, 4, self.prices[root], 1, 0])

    def _cancel_mkt_data(self, s: _Session, f: list[str]) -> None:
        s.mkt_data.pop(int(f[2]), None)

    def _req_historical(self, s: _Session, f: list[str]) -> None:
        req_id = int(f[1])
        found = self._match_contracts(f[2:14])
        if len(found) != 1:
            self._send(s, [4, 2, req_id, 200, "No security definition has been found for the request", ""])
            return
        end_text, bar_size, duration, _rth, _what, fmt = f[15], f[16], f[17], f[18], f[19], f[20]
        bar_seconds = _bar_seconds(bar_size)
        span = _duration_seconds(duration)
        if bar_seconds is None or span is None:
            self._send(s, [4, 2, req_id, 321, f"Error validating request:-'bS' : cause - Invalid bar size or duration {bar_size!r}/{duration!r}", ""])
            return
        end = self._now() if not end_text else datetime.strptime(end_text[:17], "%Y%m%d %H:%M:%S").replace(tzinfo=timezone.utc)
        end_epoch = int(end.timestamp()) // bar_seconds * bar_seconds
        count = max(1, span // bar_seconds)
        c = found[0]
        tick = c.min_tick
        last = self.prices[c.symbol]
        rows: list[Any] = []
        for i in range(count):
            start = end_epoch - (count - i) * bar_seconds
            # a deterministic zig-zag around the current price, on the tick grid
            close = last + ((i * 7) % 9 - 4 - ((count - 1) * 7 % 9 - 4)) * tick
            open_ = close - ((i % 3) - 1) * tick
            high = max(open_, close) + tick
            low = min(open_, close) - tick
            stamp = str(start) if fmt == "2" else datetime.fromtimestamp(start, timezone.utc).strftime("%Y%m%d  %H:%M:%S")
            rows += [stamp, open_, high, low, close, 100 + i, round((high + low) / 2, 4), 10]
        start_text = datetime.fromtimestamp(end_epoch - count * bar_seconds, timezone.utc).strftime("%Y%m%d %H:%M:%S")
        end_text_out = datetime.fromtimestamp(end_epoch, timezone.utc).strftime("%Y%m%d %H:%M:%S")
        self._send(s, [17, req_id, start_text, end_text_out, count, *rows])

    # ------------------------------------------------------------------ orders

    def _place_order(self, s: _Session, f: list[str]) -> None:
        order_id = int(f[1])
        contracts = self._match_contracts(f[2:14])
        placed = PlacedOrder(
            order_id=order_id, client_id=s.client_id, symbol=f[3], local_symbol=f[12],
            con_id=contracts[0].con_id if len(contracts) == 1 else 0, sec_type=f[4], exchange=f[9], currency=f[11],
            action=f[16], quantity=float(f[17] or 0), order_type=f[18], lmt_price=_float(f[19]),
            aux_price=_float(f[20]), tif=f[21], oca_group=f[22], oca_type=int(f[47] or 0), account=f[23],
            order_ref=f[26], transmit=f[27] == "1", parent_id=int(f[28] or 0), outside_rth=f[33] == "1",
            ts=time.perf_counter(),
        )
        self.placed.append(placed)
        self._next_order_id = max(self._next_order_id, order_id + 1)
        key = (s.client_id, order_id)
        existing = self.orders.get(key)
        if existing is not None:
            self._modify(s, existing, placed)
            return
        if len(contracts) != 1:
            self._send(s, [4, 2, order_id, 200, "No security definition has been found for the request", ""])
            return
        c = contracts[0]
        account = placed.account or self.accounts[0]
        if account not in self.accounts:
            self._send(s, [4, 2, order_id, 321, f"Error validating request.-'bN' : cause - The account code {account} is invalid", ""])
            return
        problem = self._validate(placed, c)
        if problem is None and self._rejects:
            problem = self._rejects.pop(0)
        if problem is None and placed.parent_id:
            parent = self.orders.get((s.client_id, placed.parent_id))
            if parent is None or parent.status == "Cancelled":
                problem = (201, "Order rejected - reason:The parent order is not active")
        self._next_perm_id += 1
        o = FakeOrder(
            order_id=order_id, client_id=s.client_id, perm_id=self._next_perm_id, contract=c, account=account,
            action=placed.action, quantity=placed.quantity, order_type=placed.order_type,
            lmt_price=placed.lmt_price, aux_price=placed.aux_price, tif=placed.tif or "DAY",
            oca_group=placed.oca_group, oca_type=placed.oca_type, order_ref=placed.order_ref,
            transmit=placed.transmit, parent_id=placed.parent_id, outside_rth=placed.outside_rth,
            prices_to_wait=self.market_fill_delay if placed.order_type == "MKT" else 0,
        )
        self.orders[key] = o
        if problem is not None:
            code, text = problem
            o.status = "Cancelled"
            o.completed_time = self._stamp()
            self._send(s, [4, 2, order_id, code, text, ""])
            self._send(s, self._status_fields(o))
            return
        if not o.transmit:
            return  # held in TWS until an order of its group transmits (IB's transmit rule)
        root_id = o.parent_id or o.order_id
        group = [x for x in self.orders.values()
                 if x.client_id == s.client_id and x.status == "Held" and (x.order_id == root_id or x.parent_id == root_id)]
        group.sort(key=lambda x: (x.parent_id != 0, x.order_id))
        for x in group:
            parent = self.orders.get((x.client_id, x.parent_id)) if x.parent_id else None
            if parent is not None and parent.status != "Filled":
                x.status, x.why_held = "PreSubmitted", "child"
            else:
                x.status = "Submitted"
            self._send_to_client(x.client_id, self._open_order_fields(x))
            self._send_to_client(x.client_id, self._status_fields(x))
        self._match(c.symbol)

    def _validate(self, p: PlacedOrder, c: FakeContract) -> tuple[int, str] | None:
        if p.action not in ("BUY", "SELL"):
            return 201, f"Order rejected - reason:Invalid action {p.action!r}"
        if p.quantity <= 0 or p.quantity != int(p.quantity):
            return 201, "Order rejected - reason:The order size must be a positive whole number of contracts"
        if p.order_type not in ("MKT", "LMT", "STP"):
            return 387, f"Unsupported order type for this exchange and security type: {p.order_type}"
        for price in ([p.lmt_price] if p.order_type == "LMT" else []) + ([p.aux_price] if p.order_type == "STP" else []):
            if price is None or price <= 0:
                return 201, "Order rejected - reason:A price is required for this order type"
            if abs(price / c.min_tick - round(price / c.min_tick)) > 1e-9:
                return 110, "The price does not conform to the minimum price variation for this contract."
        return None

    def _modify(self, s: _Session, o: FakeOrder, p: PlacedOrder) -> None:
        if not o.active:
            self._send(s, [4, 2, o.order_id, 104, "Cannot modify a filled order.", ""])
            return
        o.quantity, o.lmt_price, o.aux_price = p.quantity, p.lmt_price, p.aux_price
        self._send(s, self._open_order_fields(o))
        self._send(s, self._status_fields(o))
        self._match(o.contract.symbol)

    def _cancel_order(self, s: _Session, f: list[str]) -> None:
        order_id = int(f[2])
        self.cancels.append(order_id)
        o = self.orders.get((s.client_id, order_id))
        if o is None or o.done:
            self._send(s, [4, 2, order_id, 10147, f"OrderId {order_id} that needs to be cancelled is not found.", ""])
            return
        self._cancel(o, with_202=True)

    def _global_cancel(self, s: _Session, f: list[str]) -> None:
        for o in list(self.orders.values()):
            if o.active or o.status == "Held":
                self._cancel(o, with_202=True)

    def _cancel(self, o: FakeOrder, with_202: bool = False) -> None:
        o.status = "Cancelled"
        o.completed_time = self._stamp()
        self._send_to_client(o.client_id, self._status_fields(o))
        if with_202:
            self._send_to_client(o.client_id, [4, 2, o.order_id, 202, "Order Canceled - reason:", ""])
        for child in self._children(o):
            if not child.done:
                self._cancel(child)

    def _children(self, o: FakeOrder) -> list[FakeOrder]:
        return [x for x in self.orders.values() if x.client_id == o.client_id and x.parent_id == o.order_id]

    def _match(self, root: str) -> None:
        price = self.prices[root]
        progress = True
        while progress:  # a fill can activate children that trigger at the same price
            progress = False
            for o in list(self.orders.values()):
                if o.status != "Submitted" or o.contract.symbol != root:
                    continue
                buy = o.action == "BUY"
                if o.order_type == "MKT":
                    hit = o.prices_to_wait <= 0
                elif o.order_type == "LMT":
                    hit = price <= o.lmt_price if buy else price >= o.lmt_price
                else:
                    hit = price >= o.aux_price if buy else price <= o.aux_price
                if hit:
                    self._fill(o, price)
                    progress = True

    def _fill(self, o: FakeOrder, price: float) -> None:
        parts = self._splits.pop(0) if self._splits else 1
        qty = int(o.remaining)
        chunks = [qty // parts + (1 if i < qty % parts else 0) for i in range(parts)]
        c = o.contract
        for chunk in (x for x in chunks if x > 0):
            self._exec_seq += 1
            notional_before = o.avg_fill_price * o.filled
            o.filled += chunk
            o.avg_fill_price = (notional_before + price * chunk) / o.filled
            o.last_fill_price = price
            realized = self._book_position(o.account, c, o.action, chunk, price)
            commission = self.commission_per_contract * chunk
            self.commissions[o.account] += commission
            e = FakeExecution(
                exec_id=f"0000e0d5.{o.perm_id:08x}.{self._exec_seq:02d}.01", order=o, time_text=self._stamp(),
                side="BOT" if o.action == "BUY" else "SLD", shares=float(chunk), price=price, cum_qty=o.filled,
                avg_price=o.avg_fill_price, commission=commission, realized_pnl=realized,
            )
            self.executions.append(e)
            if o.filled >= o.quantity:
                o.status = "Filled"
                o.completed_time = self._stamp()
            self._send_to_client(o.client_id, self._exec_fields(-1, e))
            self._send_to_client(o.client_id, self._status_fields(o))
            self._schedule_commission(e)
            self._push_position(o.account, c)
        if o.status != "Filled":
            return
        for child in self._children(o):
            if child.status == "PreSubmitted":
                child.status, child.why_held = "Submitted", ""
                self._send_to_client(child.client_id, self._status_fields(child))
        siblings: list[FakeOrder] = []
        if o.parent_id:
            parent = self.orders.get((o.client_id, o.parent_id))
            if parent is not None:
                siblings += [x for x in self._children(parent) if x is not o]
        if o.oca_group:
            siblings += [x for x in self.orders.values()
                         if x is not o and x.oca_group == o.oca_group and x.account == o.account]
        for x in siblings:
            if x.active or x.status == "Held":
                self._cancel(x)

    def _schedule_commission(self, e: FakeExecution) -> None:
        if not self.send_commissions:
            return

        def send() -> None:
            e.commission_sent = True
            self._send_to_client(e.order.client_id, self._commission_fields(e))

        if self.commission_delay_s > 0:
            asyncio.get_running_loop().call_later(self.commission_delay_s, send)
        else:
            send()

    def _book_position(self, account: str, c: FakeContract, action: str, qty: int, price: float) -> Decimal | None:
        """Net a fill into the position; returns the realised P&L of the closed part (None if none)."""
        mult = float(c.multiplier)
        pos = self.positions.setdefault((account, c.con_id), _Position())
        signed = qty if action == "BUY" else -qty
        realized: Decimal | None = None
        if pos.quantity == 0 or (pos.quantity > 0) == (signed > 0):
            total = pos.quantity + signed
            pos.avg_cost = (pos.avg_cost * abs(pos.quantity) + price * mult * abs(signed)) / abs(total)
            pos.quantity = total
        else:
            closing = min(abs(signed), abs(pos.quantity))
            entry = pos.avg_cost / mult
            direction = 1 if pos.quantity > 0 else -1
            realized = Decimal(repr((price - entry) * direction * closing * mult)).quantize(Decimal("0.01"))
            self.realized[account] += realized
            pos.quantity += signed
            if pos.quantity == 0:
                pos.avg_cost = 0.0
            elif (pos.quantity > 0) == (signed > 0):  # reversed through zero
                pos.avg_cost = price * mult
        return realized

    # ------------------------------------------------------------------ outgoing messages

    def _send_to_client(self, client_id: int, fields: list[Any]) -> None:
        for s in self._live_sessions():
            if s.client_id == client_id or s.client_id == 0:
                self._send(s, fields)

    def _by_con_id(self, con_id: int) -> FakeContract:
        return next(c for c in self.contracts if c.con_id == con_id)

    def _stamp(self) -> str:
        return self._now().strftime("%Y%m%d %H:%M:%S UTC")

    def _status_fields(self, o: FakeOrder) -> list[Any]:
        return [3, o.order_id, o.status, o.filled, o.remaining, o.avg_fill_price, o.perm_id, o.parent_id,
                o.last_fill_price, o.client_id, o.why_held, 0.0]

    def _exec_fields(self, req_id: int, e: FakeExecution) -> list[Any]:
        o, c = e.order, e.order.contract
        return [11, req_id, o.order_id, *c.exec_fields(), e.exec_id, e.time_text, o.account, c.exchange, e.side,
                e.shares, e.price, o.perm_id, o.client_id, 0, e.cum_qty, e.avg_price, o.order_ref, "", "", "", 1]

    def _commission_fields(self, e: FakeExecution) -> list[Any]:
        realized = UNSET_DOUBLE if e.realized_pnl is None else str(e.realized_pnl - e.commission)
        return [59, 1, e.exec_id, str(e.commission), "USD", realized, UNSET_DOUBLE, ""]

    def _open_order_fields(self, o: FakeOrder) -> list[Any]:
        c = o.contract
        fields: list[Any] = [
            5, o.order_id, c.con_id, c.symbol, c.sec_type, c.last_trade_date, 0.0, "", c.multiplier, c.exchange,
            c.currency, c.local_symbol, c.trading_class, o.action, o.quantity, o.order_type, o.lmt_price,
            o.aux_price, o.tif, o.oca_group, o.account, "", 0, o.order_ref, o.client_id, o.perm_id,
            o.outside_rth, False, 0.0, "", "", "", "", "",
        ]
        if self.server_version < 177:
            fields.append("")  # faProfile
        fields += [
            "", "", "", "", "", 0, "", -1, 0, "", "", "", "", "", "", False, False, False, "", o.oca_type,
            False, False, "", o.parent_id, 0, "", 0, "", "",  # ... deltaNeutralOrderType empty, auxPrice
            False, 0, "", "", "", "", "",  # continuousUpdate .. comboLegsDescrip
            0, 0, 0,  # combo legs, order combo legs, smart combo params
            "", "", "",  # scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
            "",  # hedgeType
            False, "", "", False, 0,  # optOutSmartRouting .. notHeld, no delta-neutral contract
            "",  # algoStrategy
            False, False, o.status if o.status != "Held" else "PreSubmitted",
            "", "", "", "", "", "", "", "", "", "", "", "", "", "",  # margins, commission fields, warning
            False, False,  # randomizeSize, randomizePrice
            0,  # conditions
            "", "", "", "", "", "", "", 0, "", "", "", "", False, False, "", False,
        ]
        if self.server_version >= 159:
            fields.append("")  # duration
        if self.server_version >= 160:
            fields.append("")  # postToAts
        if self.server_version >= 162:
            fields.append(False)  # autoCancelParent
        if self.server_version >= 170:
            fields += ["", "", "", "", ""]
        return fields

    def _completed_order_fields(self, o: FakeOrder) -> list[Any]:
        c = o.contract
        fields: list[Any] = [
            101, c.con_id, c.symbol, c.sec_type, c.last_trade_date, 0.0, "", c.multiplier, c.exchange, c.currency,
            c.local_symbol, c.trading_class, o.action, o.quantity, o.order_type, o.lmt_price, o.aux_price, o.tif,
            o.oca_group, o.account, "", 0, o.order_ref, o.perm_id, o.outside_rth, False, 0.0, "", "", "", "",
        ]
        if self.server_version < 177:
            fields.append("")
        fields += [
            "", "", "", "", "", 0, "", -1, "", "", "", "", "", "", False, False, "", o.oca_type, 0, "", 0, "", "",
            False, 0, "", "", "",  # continuousUpdate .. comboLegsDescrip
            0, 0, 0, "", "", "", "",  # legs, order legs, params, scale sizes + increment, hedgeType
            "", "", False, 0,  # clearingAccount, clearingIntent, notHeld, no delta-neutral contract
            "",  # algoStrategy
            False, o.status, False, False,  # solicited, status, randomizeSize, randomizePrice
            0,  # conditions
            "", "", "", False, False, "", o.filled, 0, False, "", False, False, 0,
            o.completed_time, o.status,
        ]
        if self.server_version >= 170:
            fields += ["", "", "", "", ""]
        return fields

    def _portfolio_fields(self, acct: str, c: FakeContract, pos: _Position) -> list[Any]:
        price = self.prices[c.symbol]
        mult = float(c.multiplier)
        value = pos.quantity * price * mult
        unrealized = value - pos.quantity * pos.avg_cost
        return [7, 8, c.con_id, c.symbol, c.sec_type, c.last_trade_date, 0.0, "", c.multiplier, "", c.currency,
                c.local_symbol, c.trading_class, pos.quantity, price, value, pos.avg_cost, unrealized,
                float(self.realized.get(acct, 0)), acct]

    def _unrealized(self, acct: str) -> float:
        total = 0.0
        for (a, con_id), pos in self.positions.items():
            if a == acct and pos.quantity:
                c = self._by_con_id(con_id)
                total += pos.quantity * self.prices[c.symbol] * float(c.multiplier) - pos.quantity * pos.avg_cost
        return total

    def _account_values(self, acct: str) -> list[tuple[str, str, str]]:
        realized = self.realized.get(acct, Decimal(0))
        cash = self.starting_cash + realized - self.commissions.get(acct, Decimal(0))
        unrealized = Decimal(repr(round(self._unrealized(acct), 2)))
        net = cash + unrealized
        return [
            ("AccountType", "INDIVIDUAL", ""),
            ("NetLiquidation", f"{net:.2f}", "USD"),
            ("TotalCashValue", f"{cash:.2f}", "USD"),
            ("BuyingPower", f"{net * 4:.2f}", "USD"),
            ("RealizedPnL", f"{realized - self.commissions.get(acct, Decimal(0)):.2f}", "USD"),
            ("UnrealizedPnL", f"{unrealized:.2f}", "USD"),
        ]

    def _send_summary(self, s: _Session, req_id: int) -> None:
        for acct in self.accounts:
            for tag, value, cur in self._account_values(acct):
                self._send(s, [63, 1, req_id, acct, tag, value, cur])

    def _push_position(self, acct: str, c: FakeContract) -> None:
        pos = self.positions.get((acct, c.con_id), _Position())
        for s in self._live_sessions():
            if s.positions_sub:
                self._send(s, [61, 3, acct, *c.exec_fields(), pos.quantity, pos.avg_cost])
            if s.account_updates == acct:
                self._send(s, self._portfolio_fields(acct, c, pos))
                for tag, value, cur in self._account_values(acct):
                    self._send(s, [6, 2, tag, value, cur, acct])
            for req_id in s.summary_reqs:
                self._send_summary(s, req_id)
                self._send(s, [64, 1, req_id])

    _HANDLERS: dict[int, Callable[["FakeTws", _Session, list[str]], None]] = {
        1: _req_mkt_data,
        2: _cancel_mkt_data,
        3: _place_order,
        4: _cancel_order,
        5: _req_open_orders,
        6: _req_account_updates,
        7: _req_executions,
        8: _req_ids,
        9: _req_contract_details,
        15: _ignore,  # reqAutoOpenOrders
        16: _req_open_orders,  # reqAllOpenOrders
        20: _req_historical,
        25: _ignore,  # cancelHistoricalData
        49: _req_current_time,
        50: _req_realtime_bars,
        51: _cancel_realtime_bars,
        58: _global_cancel,
        59: _ignore,  # reqMarketDataType
        61: _req_positions,
        62: _req_account_summary,
        63: _cancel_account_summary,
        64: _cancel_positions,
        76: _req_account_updates_multi,
        77: _cancel_account_updates_multi,
        99: _req_completed_orders,
    }


def _float(text: str) -> float | None:
    return float(text) if text not in ("", UNSET_DOUBLE) else None


def _bar_seconds(bar_size: str) -> int | None:
    parts = bar_size.split()
    if len(parts) != 2 or not parts[0].isdigit():
        return None
    unit = parts[1].rstrip("s")
    scale = {"sec": 1, "min": 60, "hour": 3600, "day": 86400}.get(unit)
    return None if scale is None else int(parts[0]) * scale


def _duration_seconds(duration: str) -> int | None:
    parts = duration.split()
    if len(parts) != 2 or not parts[0].isdigit():
        return None
    scale = {"S": 1, "D": 86400, "W": 7 * 86400}.get(parts[1])
    return None if scale is None else int(parts[0]) * scale


async def _serve(port: int, accounts: tuple[str, ...], requests_log: str | None) -> None:
    import json
    import signal

    tws = FakeTws(accounts, port=port)
    await tws.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print(tws.port, flush=True)  # the first line of output is the port (a parent process reads it)
    try:
        await stop.wait()
    finally:
        await tws.stop()
        if requests_log:
            # time.perf_counter() is CLOCK_MONOTONIC on Linux: comparable with the parent's clock
            with open(requests_log, "w", encoding="utf-8") as fh:
                json.dump({"requests": tws.requests, "placed": [p.ts for p in tws.placed]}, fh)


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.fakes.tws [--port N] [--account DU...]`: serve until interrupted (for benches and
    for trying `mia run --live` by hand against the fake)."""
    import argparse

    parser = argparse.ArgumentParser(description="fake TWS / IB Gateway on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port (printed on the first line)")
    parser.add_argument("--account", action="append", help="managed account (repeatable); default DU1234567")
    parser.add_argument("--requests-log", help="on SIGTERM, write the arrival times of client messages here (JSON)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, tuple(args.account or ["DU1234567"]), args.requests_log))


__all__ = ["FakeContract", "FakeExecution", "FakeOrder", "FakeTws", "PlacedOrder", "frame", "main", "third_friday"]


if __name__ == "__main__":
    main()
