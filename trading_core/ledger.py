"""The trading ledger: one SQLite file holding orders, fills, events, the equity curve and small state.

Durability. The database runs in WAL mode. With ``synchronous=NORMAL`` (the default) a committed
transaction survives the process being killed (``kill -9``, a crash, an OOM kill): the WAL is in the
OS page cache and SQLite replays it on the next open. Only a power loss or kernel crash can drop the
last few commits (never corrupt the file). ``synchronous=FULL`` fsyncs the WAL on every commit and so
also survives power loss, at the price of a disk flush per commit (milliseconds instead of tens of
microseconds). Either way a transaction is all or nothing: a bracket's three orders, or a fill and
the status of its order, are never seen half written.

The ledger sits on the order path, so it is synchronous and uses one connection with explicit
transactions (``BEGIN IMMEDIATE`` ... ``COMMIT``); a lock makes it safe to share between the event loop
and a helper thread. A commit with ``synchronous=NORMAL`` costs tens of microseconds, but SQLite's
automatic WAL checkpoint, which runs inside whichever commit crosses the threshold, fsyncs the database
file and can take 10+ ms on a virtual disk. So by default a small background thread with its own
connection checkpoints the WAL every `checkpoint_interval_s` (PASSIVE: it never blocks a writer), and
the commit path only falls back to an automatic checkpoint if the WAL grows very large (the thread is
stuck or dead). Money (``Decimal``) is stored as text, timestamps as ISO-8601 UTC text with a fixed
width (so text order is time order), prices as SQLite REAL (tick multiples are exact binary floats).
"""
from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from trading_core.private import private_dir, private_file, tighten_file
from trading_core.risk.reasons import RECORDED, ReasonCode
from trading_core.types import (
    ConnectionChange,
    EngineEvent,
    EventKind,
    EventPayload,
    FeedFailed,
    FeedStale,
    Fill,
    FillEvent,
    LossLimitBreach,
    Notice,
    Order,
    OrderEvent,
    OrderStatus,
    OrderType,
    PositionMismatch,
    ReasonParam,
    ReconciliationMismatch,
    RecordedText,
    Rejection,
    RiskSettingChange,
    Severity,
    Side,
    StateChange,
    SystemNotice,
    TradingState,
)

log = logging.getLogger("mia.ledger")

SCHEMA_VERSION = 3
SynchronousMode = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
_SYNC_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"
_FALLBACK_AUTOCHECKPOINT_PAGES = 10_000


class _Checkpointer(threading.Thread):
    """Folds the WAL into the database file off the order path (see the module docstring)."""

    def __init__(self, path: str, interval_s: float) -> None:
        super().__init__(name="mia-ledger-checkpoint", daemon=True)
        self._path = path
        self._interval = interval_s
        self._stop_event = threading.Event()
        self.checkpoints = 0

    def run(self) -> None:
        try:
            con = sqlite3.connect(self._path, timeout=1.0, isolation_level=None)
        except sqlite3.Error as exc:
            log.warning("ledger checkpointer cannot open %s: %s", self._path, exc)
            return
        try:
            while not self._stop_event.wait(self._interval):
                try:
                    con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # busy or I/O trouble: the next round retries
                    log.warning("ledger checkpoint of %s failed: %s", self._path, exc)
        finally:
            con.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


class LedgerError(Exception):
    """A ledger problem with a message that says what happened and what to do."""


class LedgerCorruptError(LedgerError):
    """The file is not a readable SQLite ledger (damaged, truncated, or another kind of file)."""


class LedgerLockedError(LedgerError):
    """Another process holds the ledger's write lock for longer than the busy timeout."""


@dataclass(frozen=True, slots=True)
class EquityPoint:
    ts: datetime
    equity: Decimal
    realized: Decimal
    unrealized: Decimal


_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        TEXT NOT NULL UNIQUE,
    client_order_id TEXT NOT NULL UNIQUE,
    symbol          TEXT NOT NULL,
    side            TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
    quantity        INTEGER NOT NULL,
    order_type      TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_ts      TEXT NOT NULL,
    limit_price     REAL,
    stop_price      REAL,
    parent_id       TEXT,
    oco_group       TEXT,
    filled_quantity INTEGER NOT NULL DEFAULT 0,
    avg_fill_price  REAL,
    reason          TEXT,
    source          TEXT NOT NULL,
    broker_ref      TEXT
);
CREATE INDEX IF NOT EXISTS orders_status ON orders(status);
CREATE INDEX IF NOT EXISTS orders_created ON orders(created_ts);
CREATE TABLE IF NOT EXISTS fills (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    fill_id    TEXT NOT NULL UNIQUE,
    order_id   TEXT NOT NULL REFERENCES orders(order_id),
    symbol     TEXT NOT NULL,
    side       TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    price      REAL NOT NULL,
    commission TEXT NOT NULL,
    ts         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fills_ts ON fills(ts);
CREATE INDEX IF NOT EXISTS fills_order ON fills(order_id);
CREATE TABLE IF NOT EXISTS events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT NOT NULL,
    severity TEXT NOT NULL,
    ts       TEXT NOT NULL,
    text_en  TEXT NOT NULL,
    text_fr  TEXT NOT NULL,
    symbol   TEXT,
    payload  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS equity (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    ts         TEXT NOT NULL,
    equity     TEXT NOT NULL,
    realized   TEXT NOT NULL,
    unrealized TEXT NOT NULL
);
-- Positions are derived from the fills (the source of truth), never stored twice.
CREATE VIEW IF NOT EXISTS positions AS
    SELECT symbol,
           SUM(CASE side WHEN 'BUY' THEN quantity ELSE -quantity END) AS quantity,
           COUNT(*) AS fills,
           MAX(ts) AS last_fill_ts
    FROM fills GROUP BY symbol;
CREATE TABLE IF NOT EXISTS kv (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_ts TEXT NOT NULL
);
"""

# Version 2 (additive): the autopilot's signals, one row per signal holding its latest decision.
_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS autopilot_signals (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    signal_id   TEXT NOT NULL UNIQUE,
    ts          TEXT NOT NULL,
    symbol      TEXT NOT NULL,
    side        TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
    quantity    INTEGER NOT NULL,
    decision    TEXT NOT NULL,
    reason_code TEXT,
    order_id    TEXT,
    expires_ts  TEXT,
    updated_ts  TEXT NOT NULL,
    record      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS autopilot_signals_ts ON autopilot_signals(ts);
CREATE INDEX IF NOT EXISTS autopilot_signals_decision ON autopilot_signals(decision)
"""

# Version 3: events carry a typed payload (JSON with a "type"), no sentences. Rows written before keep
# their two sentences and their old payload inside a "recorded" payload (read back as RecordedText).
_SCHEMA_V3 = """
CREATE TABLE events_v3 (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT NOT NULL,
    severity TEXT NOT NULL,
    ts       TEXT NOT NULL,
    symbol   TEXT,
    payload  TEXT NOT NULL
);
INSERT INTO events_v3 (seq, kind, severity, ts, symbol, payload)
    SELECT seq, kind, severity, ts, symbol,
           json_object('type', 'recorded', 'text_en', text_en, 'text_fr', text_fr, 'data', json(payload))
    FROM events ORDER BY seq;
DROP TABLE events;
ALTER TABLE events_v3 RENAME TO events
"""

# Migrations from version N-1 to N; version 1 is the initial schema above.
_MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3}

_ORDER_COLUMNS = (
    "order_id, client_order_id, symbol, side, quantity, order_type, status, created_ts, limit_price, "
    "stop_price, parent_id, oco_group, filled_quantity, avg_fill_price, reason, source, broker_ref"
)
_INSERT_ORDER = f"INSERT INTO orders ({_ORDER_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
_UPDATE_ORDER = (
    "UPDATE orders SET symbol=?, side=?, quantity=?, order_type=?, status=?, limit_price=?, stop_price=?, "
    "parent_id=?, oco_group=?, filled_quantity=?, avg_fill_price=?, reason=?, source=?, broker_ref=? "
    "WHERE order_id=?"
)
_SELECT_ORDER = f"SELECT {_ORDER_COLUMNS} FROM orders"
_FILL_COLUMNS = "fill_id, order_id, symbol, side, quantity, price, commission, ts"
_INSERT_FILL = f"INSERT INTO fills ({_FILL_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)"
_INSERT_EVENT = "INSERT INTO events (kind, severity, ts, symbol, payload) VALUES (?,?,?,?,?)"
_INSERT_EVENT_WITH_SEQ = "INSERT INTO events (seq, kind, severity, ts, symbol, payload) VALUES (?,?,?,?,?,?)"
_INSERT_EQUITY = "INSERT INTO equity (ts, equity, realized, unrealized) VALUES (?,?,?,?)"


# --------------------------------------------------------------------------- value encoding

def ts_to_text(ts: datetime) -> str:
    """Fixed-width ISO UTC text; naive datetimes are refused because their zone is a guess."""
    if not isinstance(ts, datetime):
        raise LedgerError(f"timestamp must be a datetime, got {type(ts).__name__}: {ts!r}")
    tz = ts.tzinfo
    if tz is not timezone.utc:
        if tz is None or ts.utcoffset() is None:
            raise LedgerError(f"timestamp {ts.isoformat()} has no time zone; use a timezone-aware UTC datetime")
        ts = ts.astimezone(timezone.utc)
    if ts.year < 1000:  # isoformat and strftime agree on 4-digit years only
        return ts.strftime(_TS_FORMAT)
    return _utc_text(ts)


@lru_cache(maxsize=1024)
def _utc_text(ts: datetime) -> str:
    # Same text as strftime(_TS_FORMAT) at a third of the cost; cached because one order's
    # timestamp is written several times (order row, its updates, event payloads).
    return ts.isoformat(timespec="microseconds")


def _text(enum_cls: type[Any], value: Any) -> str:
    """The stored text of an enum value; a plain string is validated through the enum first.
    `_value_` is the member's plain attribute (`.value` goes through a slower descriptor)."""
    if type(value) is enum_cls:
        return value._value_
    return enum_cls(value).value


def ts_from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _money(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise LedgerError(f"{what} must be a Decimal (money is never a float), got {type(value).__name__}: {value!r}")
    d = Decimal(value)
    if not d.is_finite():
        raise LedgerError(f"{what} must be a finite amount, got {value!r}")
    return str(d)


def _price(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LedgerError(f"{what} must be a finite number or None, got {value!r}")
    return float(value)


def _param_to_json(value: ReasonParam) -> Any:
    return {"$decimal": str(value)} if isinstance(value, Decimal) else value


def _param_from_json(value: Any) -> ReasonParam:
    if isinstance(value, dict) and "$decimal" in value:
        return Decimal(value["$decimal"])
    return value


def rejection_to_dict(r: Rejection | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"code": r.code.value, "variant": r.variant, "params": {k: _param_to_json(v) for k, v in r.params.items()}}


def _recorded_code(code: str) -> ReasonCode:
    """The code of a refusal stored before schema version 3, in today's namespace: broker and IB codes
    written as free strings (IB_<number>, IB_TIMEOUT...) become their enum member."""
    try:
        return ReasonCode(code)
    except ValueError:
        pass
    if code.startswith("IB_") and code[3:].isdigit():
        return ReasonCode.IB_ERROR
    if code == "IB_TIMEOUT":
        return ReasonCode.IB_CONTRACT_TIMEOUT
    return ReasonCode.BROKER_REJECTED  # only a broker ever wrote codes outside the enum


def rejection_from_dict(d: dict[str, Any] | None) -> Rejection | None:
    if d is None:
        return None
    if "message_en" in d:  # written before schema version 3: the sentences, no parameters
        return Rejection(_recorded_code(str(d["code"])), RECORDED,
                         {"recorded_code": str(d["code"]), "text_en": d["message_en"], "text_fr": d["message_fr"]})
    params = {str(k): _param_from_json(v) for k, v in (d.get("params") or {}).items()}
    return Rejection(ReasonCode(d["code"]), str(d.get("variant") or ""), params)


def order_to_dict(o: Order) -> dict[str, Any]:
    return {
        "order_id": o.order_id,
        "client_order_id": o.client_order_id,
        "symbol": o.symbol,
        "side": _text(Side, o.side),
        "quantity": o.quantity,
        "order_type": _text(OrderType, o.order_type),
        "status": _text(OrderStatus, o.status),
        "created_ts": ts_to_text(o.created_ts),
        "limit_price": o.limit_price,
        "stop_price": o.stop_price,
        "parent_id": o.parent_id,
        "oco_group": o.oco_group,
        "filled_quantity": o.filled_quantity,
        "avg_fill_price": o.avg_fill_price,
        "reason": rejection_to_dict(o.reason),
        "source": o.source,
        "broker_ref": o.broker_ref,
    }


def order_from_dict(d: dict[str, Any]) -> Order:
    return Order(
        order_id=d["order_id"],
        client_order_id=d["client_order_id"],
        symbol=d["symbol"],
        side=Side(d["side"]),
        quantity=d["quantity"],
        order_type=OrderType(d["order_type"]),
        status=OrderStatus(d["status"]),
        created_ts=ts_from_text(d["created_ts"]),
        limit_price=d["limit_price"],
        stop_price=d["stop_price"],
        parent_id=d["parent_id"],
        oco_group=d["oco_group"],
        filled_quantity=d["filled_quantity"],
        avg_fill_price=d["avg_fill_price"],
        reason=rejection_from_dict(d["reason"]),
        source=d["source"],
        broker_ref=d["broker_ref"],
    )


def fill_to_dict(f: Fill) -> dict[str, Any]:
    return {
        "fill_id": f.fill_id,
        "order_id": f.order_id,
        "symbol": f.symbol,
        "side": _text(Side, f.side),
        "quantity": f.quantity,
        "price": f.price,
        "commission": str(f.commission),
        "ts": ts_to_text(f.ts),
    }


def fill_from_dict(d: dict[str, Any]) -> Fill:
    return Fill(
        fill_id=d["fill_id"],
        order_id=d["order_id"],
        symbol=d["symbol"],
        side=Side(d["side"]),
        quantity=d["quantity"],
        price=d["price"],
        commission=Decimal(d["commission"]),
        ts=ts_from_text(d["ts"]),
    )


def _order_row(o: Order) -> tuple[Any, ...]:
    if not isinstance(o, Order):
        raise LedgerError(f"expected a trading_core.types.Order, got {type(o).__name__}")
    for name in ("order_id", "client_order_id", "symbol"):
        value = getattr(o, name)
        if not isinstance(value, str) or not value:
            raise LedgerError(f"order {name} must be a non-empty string, got {value!r}")
    if isinstance(o.quantity, bool) or not isinstance(o.quantity, int):
        raise LedgerError(f"order {o.order_id}: quantity must be an int, got {o.quantity!r}")
    if isinstance(o.filled_quantity, bool) or not isinstance(o.filled_quantity, int) or o.filled_quantity < 0:
        raise LedgerError(f"order {o.order_id}: filled_quantity must be an int >= 0, got {o.filled_quantity!r}")
    reason = rejection_to_dict(o.reason)
    return (
        o.order_id,
        o.client_order_id,
        o.symbol,
        _text(Side, o.side),
        o.quantity,
        _text(OrderType, o.order_type),
        _text(OrderStatus, o.status),
        ts_to_text(o.created_ts),
        _price(o.limit_price, "limit_price"),
        _price(o.stop_price, "stop_price"),
        o.parent_id,
        o.oco_group,
        o.filled_quantity,
        _price(o.avg_fill_price, "avg_fill_price"),
        None if reason is None else json.dumps(reason, ensure_ascii=False),
        o.source,
        o.broker_ref,
    )


def _order_from_row(r: Sequence[Any]) -> Order:
    return Order(
        order_id=r[0],
        client_order_id=r[1],
        symbol=r[2],
        side=Side(r[3]),
        quantity=r[4],
        order_type=OrderType(r[5]),
        status=OrderStatus(r[6]),
        created_ts=ts_from_text(r[7]),
        limit_price=r[8],
        stop_price=r[9],
        parent_id=r[10],
        oco_group=r[11],
        filled_quantity=r[12],
        avg_fill_price=r[13],
        reason=None if r[14] is None else rejection_from_dict(json.loads(r[14])),
        source=r[15],
        broker_ref=r[16],
    )


def _fill_row(f: Fill) -> tuple[Any, ...]:
    if not isinstance(f, Fill):
        raise LedgerError(f"expected a trading_core.types.Fill, got {type(f).__name__}")
    if not isinstance(f.fill_id, str) or not f.fill_id:
        raise LedgerError(f"fill_id must be a non-empty string, got {f.fill_id!r}")
    if isinstance(f.quantity, bool) or not isinstance(f.quantity, int) or f.quantity <= 0:
        raise LedgerError(f"fill {f.fill_id}: quantity must be an int > 0, got {f.quantity!r}")
    price = _price(f.price, f"fill {f.fill_id} price")
    return (
        f.fill_id,
        f.order_id,
        f.symbol,
        _text(Side, f.side),
        f.quantity,
        price,
        _money(f.commission, f"fill {f.fill_id} commission"),
        ts_to_text(f.ts),
    )


def _fill_from_row(r: Sequence[Any]) -> Fill:
    return Fill(
        fill_id=r[0],
        order_id=r[1],
        symbol=r[2],
        side=Side(r[3]),
        quantity=r[4],
        price=r[5],
        commission=Decimal(r[6]),
        ts=ts_from_text(r[7]),
    )


class _StateEncoder(json.JSONEncoder):
    """JSON with tagged Decimal/datetime so `get_state` gives back exactly what `set_state` stored."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return {"__decimal__": str(o)}
        if isinstance(o, datetime):
            return {"__datetime__": o.isoformat()}
        if isinstance(o, date):
            return {"__date__": o.isoformat()}
        return super().default(o)


def _state_hook(d: dict[str, Any]) -> Any:
    if len(d) == 1:
        if "__decimal__" in d:
            return Decimal(d["__decimal__"])
        if "__datetime__" in d:
            return datetime.fromisoformat(d["__datetime__"])
        if "__date__" in d:
            return date.fromisoformat(d["__date__"])
    return d


def _state_to_dict(s: StateChange) -> dict[str, str]:
    return {"previous": s.previous.value, "current": s.current.value, "reason": s.reason}


def _state_from_dict(d: dict[str, str]) -> StateChange:
    return StateChange(TradingState(d["previous"]), TradingState(d["current"]), d["reason"])


# The autopilot's event payloads (trading_core.autopilot.types), by their tag in the ledger.
_AUTOPILOT_TYPES = {"autopilot_signal": "AutopilotSignal", "autopilot_mode": "ModeChange",
                    "catastrophe_level": "LevelChange"}
_AUTOPILOT_TAGS = {name: tag for tag, name in _AUTOPILOT_TYPES.items()}


def payload_to_dict(p: EventPayload) -> dict[str, Any]:
    """An event payload as JSON-ready data, tagged with its type."""
    if isinstance(p, OrderEvent):
        return {"type": "order", "order": order_to_dict(p.order), "rejection": rejection_to_dict(p.rejection)}
    if isinstance(p, FillEvent):
        return {"type": "fill", "fill": fill_to_dict(p.fill), "order": order_to_dict(p.order)}
    if isinstance(p, LossLimitBreach):
        return {"type": "loss_limit_breach", "pnl": str(p.pnl), "limit": str(p.limit), "flatten": p.flatten,
                "state": _state_to_dict(p.state)}
    if isinstance(p, StateChange):
        return {"type": "state", **_state_to_dict(p)}
    if isinstance(p, ConnectionChange):
        return {"type": "connection", "connected": p.connected, "detail": p.detail}
    if isinstance(p, ReconciliationMismatch):
        return {"type": "reconciliation", "broker": p.broker,
                "positions": [[d.symbol, d.ledger_quantity, d.broker_quantity] for d in p.positions],
                "missing_orders": list(p.missing_orders)}
    if isinstance(p, FeedStale):
        return {"type": "feed_stale", "silent_s": p.silent_s}
    if isinstance(p, FeedFailed):
        return {"type": "feed_failed", "error": p.error}
    if isinstance(p, RiskSettingChange):
        return {"type": "risk_setting", "percent": str(p.percent), "symbol": p.symbol}
    if isinstance(p, SystemNotice):
        return {"type": "notice", "notice": p.notice.value}
    if type(p).__module__ == "trading_core.autopilot.types":
        # the autopilot's records have their own JSON form (`to_dict`), tagged here
        return {"type": _AUTOPILOT_TAGS[type(p).__name__], **p.to_dict()}  # type: ignore[union-attr]
    if isinstance(p, RecordedText):
        data: dict[str, Any] = {}
        if p.order is not None:
            data["order"] = order_to_dict(p.order)
        if p.fill is not None:
            data["fill"] = fill_to_dict(p.fill)
        if p.rejection is not None:
            data["rejection"] = rejection_to_dict(p.rejection)
        if p.state is not None:
            data["state"] = _state_to_dict(p.state)
        return {"type": "recorded", "text_en": p.text_en, "text_fr": p.text_fr, "data": data}
    raise LedgerError(f"no ledger encoding for event payload {type(p).__name__}")


def payload_from_dict(d: dict[str, Any]) -> EventPayload:
    kind = d.get("type")
    if kind == "order":
        return OrderEvent(order_from_dict(d["order"]), rejection_from_dict(d.get("rejection")))
    if kind == "fill":
        return FillEvent(fill_from_dict(d["fill"]), order_from_dict(d["order"]))
    if kind == "loss_limit_breach":
        return LossLimitBreach(Decimal(d["pnl"]), Decimal(d["limit"]), bool(d["flatten"]), _state_from_dict(d["state"]))
    if kind == "state":
        return _state_from_dict(d)
    if kind == "connection":
        return ConnectionChange(bool(d["connected"]), str(d["detail"]))
    if kind == "reconciliation":
        return ReconciliationMismatch(
            str(d["broker"]), tuple(PositionMismatch(str(s), int(a), int(b)) for s, a, b in d["positions"]),
            tuple(str(o) for o in d["missing_orders"]),
        )
    if kind == "feed_stale":
        return FeedStale(float(d["silent_s"]))
    if kind == "feed_failed":
        return FeedFailed(str(d["error"]))
    if kind == "risk_setting":
        return RiskSettingChange(Decimal(d["percent"]), d.get("symbol"))
    if kind == "notice":
        return SystemNotice(Notice(d["notice"]))
    if kind in _AUTOPILOT_TYPES:
        from trading_core.autopilot import types as autopilot_types  # only ledgers that hold autopilot events

        record = getattr(autopilot_types, _AUTOPILOT_TYPES[kind])
        payload: EventPayload = record.from_dict({k: v for k, v in d.items() if k != "type"})
        return payload
    if kind == "recorded":
        data = d.get("data") or {}
        return RecordedText(
            str(d["text_en"]), str(d["text_fr"]),
            order=order_from_dict(data["order"]) if "order" in data else None,
            fill=fill_from_dict(data["fill"]) if "fill" in data else None,
            rejection=rejection_from_dict(data.get("rejection")),
            state=_state_from_dict(data["state"]) if "state" in data else None,
        )
    raise LedgerCorruptError(f"event payload of unknown type {kind!r}")


def _event_payload(e: EngineEvent) -> str:
    return json.dumps(payload_to_dict(e.payload), ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------- the ledger

class Ledger:
    """Durable record of everything the engine did. See the module docstring for the guarantees."""

    def __init__(
        self,
        path: str | Path,
        synchronous: SynchronousMode = "NORMAL",
        busy_timeout_s: float = 2.0,
        check_integrity: bool = True,
        checkpoint_interval_s: float | None = 0.5,
    ) -> None:
        sync = str(synchronous).upper()
        if sync not in _SYNC_MODES:
            raise LedgerError(f"synchronous = {synchronous!r} is not valid; allowed: {', '.join(_SYNC_MODES)}")
        if not busy_timeout_s >= 0:
            raise LedgerError(f"busy_timeout_s = {busy_timeout_s!r} is not valid; allowed: a number >= 0")
        if checkpoint_interval_s is not None and not checkpoint_interval_s > 0:
            raise LedgerError(
                f"checkpoint_interval_s = {checkpoint_interval_s!r} is not valid; allowed: a number > 0 or None"
            )
        self._checkpointer: _Checkpointer | None = None
        memory = str(path) == ":memory:"  # tests and throw-away replays; no WAL in memory
        self.path = Path(path) if memory else Path(path).expanduser()
        self._lock = threading.RLock()
        self._closed = False
        self._batch = False  # inside batch(): writes use savepoints in one outer transaction
        # Inside batch(), events and equity points are written behind (see `batch`).
        self._pending_events: list[tuple[Any, ...]] = []
        self._pending_equity: list[tuple[Any, ...]] = []
        self._event_seq = 0  # last event seq handed out inside the current batch (0: not known yet)
        if not memory:
            parent = self.path.expanduser().resolve().parent
            try:
                private_dir(parent)
            except OSError as exc:
                raise LedgerError(f"cannot create the ledger directory {parent}: {exc.strerror or exc}") from None
            try:
                # money state: the file (and the -wal / -shm SQLite derives from it) owner-only
                if self.path.is_dir():
                    raise LedgerError(f"the ledger path {self.path} is a folder, not a file")
                private_file(self.path)
            except OSError as exc:
                raise LedgerError(f"cannot create the ledger {self.path}: {exc.strerror or exc}") from None
        try:
            self._db = sqlite3.connect(
                str(self.path), timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open the ledger {path}: {exc}") from None
        try:
            self._configure(sync, busy_timeout_s)
            if not memory:
                for suffix in ("-wal", "-shm"):  # files an older MIA may have left world-readable
                    tighten_file(f"{self.path}{suffix}")
            if check_integrity:
                self._check_integrity()
            self._migrate()
        except BaseException:
            self._db.close()
            self._closed = True
            raise
        if checkpoint_interval_s is not None and not memory:
            # Safety net only: the commit path checkpoints by itself past ~40 MB of WAL.
            self._db.execute(f"PRAGMA wal_autocheckpoint={_FALLBACK_AUTOCHECKPOINT_PAGES}")
            self._checkpointer = _Checkpointer(str(self.path), checkpoint_interval_s)
            self._checkpointer.start()

    # ---- opening

    def _translate(self, exc: sqlite3.Error, doing: str) -> LedgerError:
        text = str(exc)
        low = text.lower()
        if "locked" in low or "busy" in low:
            return LedgerLockedError(
                f"ledger {self.path} is locked by another process while {doing} ({text}); "
                "stop the other MIA instance or wait, then retry. Nothing was written."
            )
        if "not a database" in low or "malformed" in low or "corrupt" in low:
            return LedgerCorruptError(
                f"ledger {self.path} is damaged or not a MIA ledger while {doing} ({text}); "
                "move the file aside (it is left untouched) and restore a backup or start a new ledger."
            )
        return LedgerError(f"ledger {self.path}: SQLite error while {doing}: {text}")

    def _configure(self, sync: str, busy_timeout_s: float) -> None:
        try:
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            self._db.execute(f"PRAGMA synchronous={sync}")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        except sqlite3.Error as exc:
            raise self._translate(exc, "opening") from None
        if str(self.path) != ":memory:" and str(mode).lower() != "wal":
            raise LedgerError(f"ledger {self.path}: could not switch to WAL mode (journal_mode is {mode!r})")
        self.journal_mode: str = str(mode).lower()
        self.synchronous: str = sync

    def _check_integrity(self) -> None:
        try:
            result = self._db.execute("PRAGMA quick_check").fetchall()
        except sqlite3.Error as exc:
            raise self._translate(exc, "checking integrity") from None
        if result != [("ok",)]:
            detail = "; ".join(str(r[0]) for r in result[:5])
            raise LedgerCorruptError(
                f"ledger {self.path} failed its integrity check ({detail}); move the file aside "
                "(it is left untouched) and restore a backup or start a new ledger."
            )

    def _migrate(self) -> None:
        try:
            has_meta = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
            ).fetchone()
            version = 0
            if has_meta:
                row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                version = int(row[0]) if row else 0
            else:
                other = self._db.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' LIMIT 1"
                ).fetchone()
                if other:
                    raise LedgerCorruptError(
                        f"{self.path} is a SQLite database but not a MIA ledger (it has table {other[0]!r} "
                        "and no meta table); choose another ledger path. The file was not modified."
                    )
        except sqlite3.Error as exc:
            raise self._translate(exc, "reading the schema version") from None
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"ledger {self.path} has schema version {version}, newer than this program's "
                f"{SCHEMA_VERSION}; upgrade MIA to read it. The file was not modified."
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._tx(f"migrating the schema to version {target}") as db:
                # Statement by statement: executescript() would COMMIT and break the transaction.
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                    (str(target),),
                )
                if target == 1:
                    db.execute(
                        "INSERT OR IGNORE INTO meta(key, value) VALUES ('created_ts', ?)",
                        (ts_to_text(datetime.now(timezone.utc)),),
                    )
            log.info("ledger %s migrated to schema version %d", self.path, target)

    # ---- plumbing

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group every write inside into one transaction (replays and backtests: thousands of
        orders without a commit each). Each write inside still rolls back alone on error.

        Events and equity points, which no constraint can refuse, are written behind inside a
        batch: kept in memory (already encoded) and inserted with one `executemany` before any
        read and at the end, so every read still sees every write. Event sequence numbers are
        handed out here exactly as SQLite's AUTOINCREMENT would (the batch holds the write lock,
        so nobody else can take one). Nothing is committed before the batch ends either way."""
        with self._lock:
            if self._batch:
                yield
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._translate(exc, "starting a batch") from None
            self._batch = True
        try:
            yield
            with self._lock:
                self._flush()
        except BaseException:
            with self._lock:
                self._end_batch()
                self._db.execute("ROLLBACK")
            raise
        with self._lock:
            self._end_batch()
            self._db.execute("COMMIT")

    def _end_batch(self) -> None:
        self._batch = False
        self._pending_events.clear()
        self._pending_equity.clear()
        self._event_seq = 0

    def _flush(self) -> None:
        """Insert the written-behind events and equity points (caller holds the lock)."""
        if self._pending_events:
            rows, self._pending_events = self._pending_events, []
            try:
                self._db.executemany(_INSERT_EVENT_WITH_SEQ, rows)
            except sqlite3.Error as exc:
                raise self._translate(exc, f"writing {len(rows)} events") from None
        if self._pending_equity:
            rows, self._pending_equity = self._pending_equity, []
            try:
                self._db.executemany(_INSERT_EQUITY, rows)
            except sqlite3.Error as exc:
                raise self._translate(exc, f"writing {len(rows)} equity points") from None

    @contextmanager
    def _tx(self, doing: str, single: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back entirely on any error, so nothing is half written.

        `single`: the body runs one writing statement (or undoes its earlier ones itself when a
        later one fails). Inside a batch it then needs no savepoint, because SQLite already undoes
        a failed statement entirely (statement journal); that saves two of the three round trips of
        every such write in a backtest."""
        with self._lock:
            if self._closed:
                raise LedgerError(f"ledger {self.path} is closed; cannot continue {doing}")
            db = self._db
            if single and self._batch:
                try:
                    yield db
                except sqlite3.Error as exc:
                    raise self._translate(exc, doing) from None
                return
            begin, commit, rollback = (
                ("SAVEPOINT w", "RELEASE w", "ROLLBACK TO w") if self._batch else ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
            )
            try:
                db.execute(begin)
            except sqlite3.Error as exc:
                raise self._translate(exc, doing) from None
            try:
                yield db
                db.execute(commit)
            except BaseException as exc:
                try:
                    db.execute(rollback)
                    if self._batch:
                        db.execute("RELEASE w")
                except sqlite3.Error:
                    pass
                if isinstance(exc, sqlite3.Error):
                    raise self._translate(exc, doing) from None
                raise

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            if self._closed:
                raise LedgerError(f"ledger {self.path} is closed")
            try:
                if self._batch:
                    self._flush()  # a read sees every write, even one written behind
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._translate(exc, "reading") from None

    @property
    def schema_version(self) -> int:
        return int(self._read("SELECT value FROM meta WHERE key='schema_version'")[0][0])

    # ---- orders

    def _insert_one(self, db: sqlite3.Connection, order: Order) -> tuple[Order, bool]:
        row = _order_row(order)
        try:
            db.execute(_INSERT_ORDER, row)
            return order, True
        except sqlite3.IntegrityError:
            existing = db.execute(
                f"{_SELECT_ORDER} WHERE client_order_id=?", (order.client_order_id,)
            ).fetchone()
            if existing is not None:
                return _order_from_row(existing), False
            raise LedgerError(
                f"order_id {order.order_id!r} already exists with another client_order_id; "
                "order ids must be unique"
            ) from None

    def insert_order(self, order: Order) -> tuple[Order, bool]:
        """Record a new order. If its client_order_id is already known, nothing is written and the
        EXISTING order is returned with False: a retried request never makes a second order."""
        with self._tx(f"inserting order {getattr(order, 'order_id', order)!r}", single=True) as db:
            return self._insert_one(db, order)

    def insert_orders(self, orders: Sequence[Order]) -> list[Order]:
        """Record several orders (a bracket's parent and children) in ONE transaction: all or none.

        Returns the stored order for each input, in order: the input object itself when it was new, the
        EXISTING order when its client_order_id was already known (test `stored[i] is orders[i]`, or
        compare order ids, to tell a duplicate)."""
        if not orders:
            raise LedgerError("insert_orders needs at least one order")
        with self._tx("inserting a group of orders", single=len(orders) == 1) as db:
            return [self._insert_one(db, o)[0] for o in orders]

    def update_order(self, order: Order) -> None:
        """Store the order's current status, fill progress, prices and broker reference."""
        row = _order_row(order)
        with self._tx(f"updating order {order.order_id!r}", single=True) as db:
            cur = db.execute(_UPDATE_ORDER, (*row[2:7], *row[8:], order.order_id))
            if cur.rowcount != 1:
                raise LedgerError(f"cannot update order {order.order_id!r}: no such order in the ledger")

    def record_fill(self, fill: Fill, order: Order) -> bool:
        """Record an execution and its order's new state in ONE transaction. A fill_id already
        recorded (a broker re-sending executions) changes nothing and returns False."""
        if not isinstance(order, Order):
            raise LedgerError(f"expected a trading_core.types.Order, got {type(order).__name__}")
        frow = _fill_row(fill)
        if fill.order_id != order.order_id:
            raise LedgerError(
                f"fill {fill.fill_id!r} belongs to order {fill.order_id!r}, not to {order.order_id!r}"
            )
        orow = _order_row(order)
        # Inside a batch the pair is written without a savepoint: each statement is atomic by
        # itself, and if the second one fails the first is undone by hand (see below).
        with self._tx(f"recording fill {fill.fill_id!r}", single=True) as db:
            try:
                db.execute(_INSERT_FILL, frow)
            except sqlite3.IntegrityError:
                if db.execute("SELECT 1 FROM fills WHERE fill_id=?", (fill.fill_id,)).fetchone():
                    return False
                raise LedgerError(
                    f"cannot record fill {fill.fill_id!r}: order {fill.order_id!r} is not in the ledger"
                ) from None
            try:
                cur = db.execute(_UPDATE_ORDER, (*orow[2:7], *orow[8:], order.order_id))
                if cur.rowcount != 1:
                    raise LedgerError(
                        f"cannot record fill {fill.fill_id!r}: order {order.order_id!r} is not in the ledger"
                    )
            except BaseException:
                if self._batch:
                    db.execute("DELETE FROM fills WHERE fill_id=?", (fill.fill_id,))
                raise
            return True

    def get_order(self, order_id: str) -> Order | None:
        rows = self._read(f"{_SELECT_ORDER} WHERE order_id=?", (order_id,))
        return _order_from_row(rows[0]) if rows else None

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        rows = self._read(f"{_SELECT_ORDER} WHERE client_order_id=?", (client_order_id,))
        return _order_from_row(rows[0]) if rows else None

    def open_orders(self) -> list[Order]:
        """Orders not yet final (PENDING or WORKING), oldest first."""
        rows = self._read(f"{_SELECT_ORDER} WHERE status IN ('PENDING', 'WORKING') ORDER BY seq")
        return [_order_from_row(r) for r in rows]

    def orders(self, limit: int | None = 100, since: datetime | None = None) -> list[Order]:
        """The most recent `limit` orders (all when None) created at or after `since`, oldest first."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise LedgerError(f"limit = {limit!r} is not valid; allowed: an int >= 0 or None")
        where, params = ("", []) if since is None else (" WHERE created_ts >= ?", [ts_to_text(since)])
        lim = -1 if limit is None else limit
        rows = self._read(
            f"SELECT seq, {_ORDER_COLUMNS} FROM orders{where} ORDER BY seq DESC LIMIT ?", (*params, lim)
        )
        return [_order_from_row(r[1:]) for r in reversed(rows)]

    def order_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM orders")[0][0])

    # ---- fills

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """Fills in the order they were recorded (the replay order for `Portfolio.rebuild`)."""
        if since is None:
            rows = self._read(f"SELECT {_FILL_COLUMNS} FROM fills ORDER BY seq")
        else:
            rows = self._read(f"SELECT {_FILL_COLUMNS} FROM fills WHERE ts >= ? ORDER BY seq", (ts_to_text(since),))
        return [_fill_from_row(r) for r in rows]

    def fills_for_order(self, order_id: str) -> list[Fill]:
        rows = self._read(f"SELECT {_FILL_COLUMNS} FROM fills WHERE order_id=? ORDER BY seq", (order_id,))
        return [_fill_from_row(r) for r in rows]

    def net_positions(self) -> dict[str, int]:
        """Signed net quantity per symbol from the recorded fills (flat symbols omitted)."""
        rows = self._read("SELECT symbol, quantity FROM positions WHERE quantity != 0 ORDER BY symbol")
        return {symbol: int(qty) for symbol, qty in rows}

    # ---- events

    def append_event(self, event: EngineEvent) -> int:
        """Persist an engine event; returns its sequence number (1, 2, ...)."""
        if not isinstance(event, EngineEvent):
            raise LedgerError(f"expected a trading_core.types.EngineEvent, got {type(event).__name__}")
        row = (
            _text(EventKind, event.kind),
            _text(Severity, event.severity),
            ts_to_text(event.ts),
            event.symbol,
            _event_payload(event),
        )
        with self._lock:
            if self._batch and not self._closed:
                if not self._event_seq:
                    self._event_seq = self._last_event_seq_in_tx()
                self._event_seq += 1
                self._pending_events.append((self._event_seq, *row))
                return self._event_seq
        with self._tx(f"appending a {event.kind} event") as db:
            cur = db.execute(_INSERT_EVENT, row)
            return int(cur.lastrowid or 0)

    def _last_event_seq_in_tx(self) -> int:
        """The seq AUTOINCREMENT would hand out last: the larger of the table's maximum and the
        highest ever used (kept in sqlite_sequence, so a deleted last event is never reused)."""
        try:
            row = self._db.execute(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name='events'), 0), "
                "COALESCE((SELECT MAX(seq) FROM events), 0))"
            ).fetchone()
        except sqlite3.Error as exc:
            raise self._translate(exc, "reading the last event seq") from None
        return int(row[0])

    def events(self, since_seq: int = 0, limit: int | None = 1000) -> list[EngineEvent]:
        """Events with seq > since_seq, oldest first, at most `limit` (all when None)."""
        lim = -1 if limit is None else int(limit)
        rows = self._read(
            "SELECT seq, kind, severity, ts, symbol, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
            (int(since_seq), lim),
        )
        out = []
        for seq, kind, severity, ts, symbol, payload in rows:
            try:
                data = payload_from_dict(json.loads(payload))
            except (ValueError, KeyError, TypeError) as exc:
                raise LedgerCorruptError(f"ledger {self.path}: event {seq} cannot be read ({exc})") from None
            out.append(EngineEvent(EventKind(kind), Severity(severity), ts_from_text(ts), data, symbol, seq))
        return out

    def last_event_seq(self) -> int:
        return int(self._read("SELECT COALESCE(MAX(seq), 0) FROM events")[0][0])

    # ---- autopilot signals

    def record_signal(self, signal: Any) -> None:
        """Store an autopilot signal (`trading_core.autopilot.types.AutopilotSignal`), or its new decision
        when the signal_id is already known (a proposal that was executed, refused or expired)."""
        d = signal.to_dict()
        row = (
            d["signal_id"], ts_to_text(signal.ts), d["symbol"], d["side"], int(d["quantity"]), d["decision"],
            d["reason_code"], d["order_id"],
            None if signal.expires_ts is None else ts_to_text(signal.expires_ts),
            ts_to_text(datetime.now(timezone.utc)), json.dumps(d, ensure_ascii=False, separators=(",", ":")),
        )
        with self._tx(f"recording autopilot signal {d['signal_id']!r}", single=True) as db:
            db.execute(
                "INSERT INTO autopilot_signals (signal_id, ts, symbol, side, quantity, decision, reason_code, "
                "order_id, expires_ts, updated_ts, record) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(signal_id) DO UPDATE SET quantity=excluded.quantity, decision=excluded.decision, "
                "reason_code=excluded.reason_code, order_id=excluded.order_id, expires_ts=excluded.expires_ts, "
                "updated_ts=excluded.updated_ts, record=excluded.record",
                row,
            )

    def _signals_from_rows(self, rows: list[Any]) -> list[Any]:
        from trading_core.autopilot.types import AutopilotSignal

        return [AutopilotSignal.from_dict(json.loads(r[0])) for r in rows]

    def autopilot_signals(
        self, limit: int | None = 100, since: datetime | None = None, decision: str | None = None
    ) -> list[Any]:
        """The most recent autopilot signals (all when `limit` is None), oldest first; optionally only
        those decided at or after `since` (signal time) or with one decision (e.g. "proposed")."""
        where: list[str] = []
        params: list[Any] = []
        if since is not None:
            where.append("ts >= ?")
            params.append(ts_to_text(since))
        if decision is not None:
            where.append("decision = ?")
            params.append(str(decision))
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        lim = -1 if limit is None else int(limit)
        rows = self._read(f"SELECT record FROM autopilot_signals{clause} ORDER BY seq DESC LIMIT ?", (*params, lim))
        return list(reversed(self._signals_from_rows(rows)))

    def autopilot_signal(self, signal_id: str) -> Any:
        rows = self._read("SELECT record FROM autopilot_signals WHERE signal_id=?", (signal_id,))
        return self._signals_from_rows(rows)[0] if rows else None

    # ---- equity curve

    def record_equity(self, ts: datetime, equity: Decimal, realized: Decimal, unrealized: Decimal) -> None:
        row = (
            ts_to_text(ts),
            _money(equity, "equity"),
            _money(realized, "realized"),
            _money(unrealized, "unrealized"),
        )
        with self._lock:
            if self._batch and not self._closed:
                self._pending_equity.append(row)
                return
        with self._tx("recording equity") as db:
            db.execute(_INSERT_EQUITY, row)

    def equity_curve(self, since: datetime | None = None) -> list[EquityPoint]:
        sql = "SELECT ts, equity, realized, unrealized FROM equity"
        params: tuple[Any, ...] = ()
        if since is not None:
            sql += " WHERE ts >= ?"
            params = (ts_to_text(since),)
        rows = self._read(sql + " ORDER BY seq", params)
        return [EquityPoint(ts_from_text(t), Decimal(e), Decimal(r), Decimal(u)) for t, e, r, u in rows]

    # ---- key/value state

    def get_state(self, key: str, default: Any = None) -> Any:
        rows = self._read("SELECT value FROM kv WHERE key=?", (key,))
        if not rows:
            return default
        try:
            return json.loads(rows[0][0], object_hook=_state_hook)
        except (ValueError, InvalidOperation) as exc:
            raise LedgerCorruptError(f"ledger {self.path}: state {key!r} is not valid JSON ({exc})") from None

    def set_state(self, key: str, value: Any) -> None:
        """Store any JSON value (Decimal, datetime and date round-trip exactly)."""
        self.set_states({key: value})

    def set_states(self, values: dict[str, Any]) -> None:
        """Store several state values in ONE transaction (all or none)."""
        rows = []
        now = ts_to_text(datetime.now(timezone.utc))
        for key, value in values.items():
            if not isinstance(key, str) or not key:
                raise LedgerError(f"state key must be a non-empty string, got {key!r}")
            try:
                text = json.dumps(value, cls=_StateEncoder, ensure_ascii=False, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise LedgerError(f"state {key!r} cannot be stored as JSON: {exc}. Nothing was written.") from None
            rows.append((key, text, now))
        with self._tx(f"setting state {', '.join(repr(r[0]) for r in rows)}", single=len(rows) == 1) as db:
            db.executemany(
                "INSERT INTO kv (key, value, updated_ts) VALUES (?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated_ts=excluded.updated_ts",
                rows,
            )

    def delete_state(self, key: str) -> bool:
        with self._tx(f"deleting state {key!r}", single=True) as db:
            return db.execute("DELETE FROM kv WHERE key=?", (key,)).rowcount == 1

    def state_keys(self) -> list[str]:
        return [r[0] for r in self._read("SELECT key FROM kv ORDER BY key")]

    # ---- lifecycle

    @property
    def closed(self) -> bool:
        return self._closed

    def checkpoint(self) -> None:
        """Fold the WAL back into the main file (done automatically by SQLite; useful before a backup)."""
        self._read("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._db.close()
            except sqlite3.Error as exc:
                log.warning("closing ledger %s: %s", self.path, exc)

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r}, synchronous={self.synchronous}, closed={self._closed})"
