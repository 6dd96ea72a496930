from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.core_broker.conftest import ts
from trading_core.ledger import (
    SCHEMA_VERSION,
    EquityPoint,
    Ledger,
    LedgerCorruptError,
    LedgerError,
    LedgerLockedError,
)
from trading_core.risk.reasons import RECORDED, ReasonCode, reject
from trading_core.types import (
    ConnectionChange,
    EngineEvent,
    EventKind,
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
    ReconciliationMismatch,
    RecordedText,
    RiskSettingChange,
    Severity,
    Side,
    StateChange,
    SystemNotice,
    TradingState,
)


def make_order(n: int, **kw) -> Order:
    base = dict(
        order_id=f"O-{n}",
        client_order_id=f"C-{n}",
        symbol="ES",
        side=Side.BUY,
        quantity=2,
        order_type=OrderType.MARKET,
        status=OrderStatus.PENDING,
        created_ts=ts(n),
    )
    base.update(kw)
    return Order(**base)


def make_fill(order: Order, n: int = 1, price: float = 5000.25, qty: int | None = None) -> Fill:
    q = order.quantity if qty is None else qty
    return Fill(f"{order.order_id}-F{n}", order.order_id, order.symbol, order.side, q, price, Decimal("2.25") * q, ts(100 + n))


@pytest.fixture
def ledger(tmp_path: Path):
    led = Ledger(tmp_path / "ledger.sqlite3")
    yield led
    led.close()


def test_wal_mode_and_synchronous_setting(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    with Ledger(path) as led:
        assert led.journal_mode == "wal" and led.synchronous == "NORMAL"
        assert led._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert led.schema_version == SCHEMA_VERSION
    # The WAL setting is persistent in the file: a plain connection sees it too.
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    con.close()
    with Ledger(path, synchronous="FULL") as led:
        assert led._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    with pytest.raises(LedgerError, match="synchronous = 'SOMETIMES'.*allowed: OFF, NORMAL, FULL, EXTRA"):
        Ledger(path, synchronous="SOMETIMES")  # type: ignore[arg-type]


def test_order_round_trip_keeps_every_field(ledger: Ledger) -> None:
    parent = make_order(
        1,
        order_type=OrderType.LIMIT,
        limit_price=5001.75,
        status=OrderStatus.REJECTED,
        reason=reject(ReasonCode.QTY_ABOVE_MAX, quantity=50, maximum=10),
        source="voice",
        broker_ref="P7",
        filled_quantity=0,
        avg_fill_price=None,
    )
    child = make_order(
        2,
        side=Side.SELL,
        order_type=OrderType.STOP,
        stop_price=4990.25,
        parent_id="O-1",
        oco_group="OCO-1",
        filled_quantity=1,
        avg_fill_price=4990.0,
        created_ts=datetime(2025, 3, 10, 16, 30, 0, 123456, tzinfo=timezone.utc),
    )
    assert ledger.insert_order(parent) == (parent, True)
    assert ledger.insert_order(child)[1] is True
    assert ledger.get_order("O-1") == parent
    assert ledger.get_order_by_client_id("C-2") == child
    assert ledger.get_order("nope") is None and ledger.get_order_by_client_id("nope") is None
    # Time zones other than UTC are stored as the same instant in UTC.
    from datetime import timedelta

    paris = timezone(timedelta(hours=1))
    o3 = make_order(3, created_ts=datetime(2025, 3, 10, 17, 0, tzinfo=paris))
    ledger.insert_order(o3)
    assert ledger.get_order("O-3").created_ts == datetime(2025, 3, 10, 16, 0, tzinfo=timezone.utc)


def test_same_client_order_id_twice_makes_one_order(ledger: Ledger) -> None:
    first = make_order(1)
    retry = make_order(99, client_order_id="C-1", quantity=5)  # a retried request, new engine id
    assert ledger.insert_order(first) == (first, True)
    stored, created = ledger.insert_order(retry)
    assert created is False
    assert stored == first  # the EXISTING order comes back, not the retry
    assert ledger.order_count() == 1
    assert ledger.get_order("O-99") is None
    # A different client id reusing an engine order id is a bug, reported clearly.
    with pytest.raises(LedgerError, match="order_id 'O-1' already exists with another client_order_id"):
        ledger.insert_order(make_order(1, client_order_id="C-other"))
    assert ledger.order_count() == 1


def test_insert_orders_is_all_or_nothing(ledger: Ledger) -> None:
    ledger.insert_order(make_order(7))
    parent = make_order(1)
    sl = make_order(2, side=Side.SELL, order_type=OrderType.STOP, stop_price=4990.0, parent_id="O-1", oco_group="G")
    broken = make_order(7, client_order_id="C-new", side=Side.SELL, order_type=OrderType.LIMIT, limit_price=5010.0)
    with pytest.raises(LedgerError):
        ledger.insert_orders([parent, sl, broken])
    assert ledger.get_order("O-1") is None and ledger.get_order("O-2") is None
    assert ledger.order_count() == 1
    tp = make_order(3, side=Side.SELL, order_type=OrderType.LIMIT, limit_price=5010.0, parent_id="O-1", oco_group="G")
    stored = ledger.insert_orders([parent, sl, tp])
    assert [o.order_id for o in stored] == ["O-1", "O-2", "O-3"]
    assert all(s is o for s, o in zip(stored, [parent, sl, tp]))  # newly stored: the same objects
    again = ledger.insert_orders([make_order(11, client_order_id="C-1"), make_order(12)])
    assert again[0] == parent and again[0] is not parent  # duplicate client id: the existing order
    assert again[1].order_id == "O-12"
    with pytest.raises(LedgerError, match="at least one order"):
        ledger.insert_orders([])


def test_record_fill_updates_order_in_the_same_transaction(ledger: Ledger) -> None:
    order = make_order(1)
    ledger.insert_order(order)
    order = replace(order, status=OrderStatus.FILLED, filled_quantity=2, avg_fill_price=5000.25)
    fill = make_fill(order)
    assert ledger.record_fill(fill, order) is True
    assert ledger.fills() == [fill]
    assert ledger.get_order("O-1").status is OrderStatus.FILLED
    assert ledger.get_order("O-1").filled_quantity == 2
    # The same execution reported again changes nothing.
    again = replace(order, status=OrderStatus.WORKING, filled_quantity=0)
    assert ledger.record_fill(fill, again) is False
    assert ledger.get_order("O-1").status is OrderStatus.FILLED
    assert len(ledger.fills()) == 1


def test_record_fill_failures_write_nothing(ledger: Ledger) -> None:
    ghost = make_order(5)
    with pytest.raises(LedgerError, match="order 'O-5' is not in the ledger"):
        ledger.record_fill(make_fill(ghost), ghost)
    real = make_order(1)
    ledger.insert_order(real)
    with pytest.raises(LedgerError, match="belongs to order 'O-5', not to 'O-1'"):
        ledger.record_fill(make_fill(ghost), real)
    with pytest.raises(LedgerError, match="quantity must be an int > 0"):
        ledger.record_fill(make_fill(real, qty=0), real)
    with pytest.raises(LedgerError, match="commission must be a Decimal"):
        ledger.record_fill(replace(make_fill(real), commission=2.25), real)  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="no time zone"):
        ledger.record_fill(replace(make_fill(real), ts=datetime(2025, 1, 1)), real)
    assert ledger.fills() == []
    assert ledger.get_order("O-1") == real


def test_update_order_and_queries(ledger: Ledger) -> None:
    for n in range(1, 6):
        ledger.insert_order(make_order(n))
    ledger.update_order(replace(ledger.get_order("O-2"), status=OrderStatus.WORKING, broker_ref="P2"))
    ledger.update_order(replace(ledger.get_order("O-3"), status=OrderStatus.CANCELLED))
    assert ledger.get_order("O-2").broker_ref == "P2"
    assert [o.order_id for o in ledger.open_orders()] == ["O-1", "O-2", "O-4", "O-5"]
    assert [o.order_id for o in ledger.orders(limit=2)] == ["O-4", "O-5"]
    assert [o.order_id for o in ledger.orders(limit=None, since=ts(3))] == ["O-3", "O-4", "O-5"]
    with pytest.raises(LedgerError, match="no such order"):
        ledger.update_order(make_order(42))
    with pytest.raises(LedgerError, match="limit = -1"):
        ledger.orders(limit=-1)


def test_fills_since_in_commit_order(ledger: Ledger) -> None:
    orders = [make_order(n) for n in (1, 2, 3)]
    ledger.insert_orders(orders)
    for i, o in enumerate(orders):
        f = Fill(f"F{i}", o.order_id, "ES", Side.BUY, 1, 5000.0 + i, Decimal("2.25"), ts(10 * i))
        ledger.record_fill(f, o)
    assert [f.fill_id for f in ledger.fills()] == ["F0", "F1", "F2"]
    assert [f.fill_id for f in ledger.fills(since=ts(10))] == ["F1", "F2"]
    assert ledger.fills()[2].price == 5002.0 and ledger.fills()[2].commission == Decimal("2.25")
    assert [f.fill_id for f in ledger.fills_for_order("O-2")] == ["F1"]
    sell = make_order(4, side=Side.SELL, symbol="MNQ")
    ledger.insert_order(sell)
    ledger.record_fill(Fill("F3", "O-4", "MNQ", Side.SELL, 2, 18000.0, Decimal("1.04"), ts(40)), sell)
    assert ledger.net_positions() == {"ES": 3, "MNQ": -2}


def test_events_round_trip_with_sequence_numbers(ledger: Ledger) -> None:
    order = make_order(1)
    fill = make_fill(order)
    halt = StateChange(TradingState.ACTIVE, TradingState.HALTED, "daily loss")
    denied = replace(order, status=OrderStatus.REJECTED,
                     reason=reject(ReasonCode.DAILY_LOSS_LIMIT, pnl=Decimal("-2150.25"), limit=Decimal("2000")))
    events = [
        EngineEvent(EventKind.ORDER_ACCEPTED, Severity.INFO, ts(1), OrderEvent(order), "ES"),
        EngineEvent(EventKind.FILL, Severity.INFO, ts(2), FillEvent(fill, order), "ES"),
        EngineEvent(EventKind.STATE_CHANGE, Severity.WARNING, ts(3), halt),
        EngineEvent(EventKind.ORDER_DENIED, Severity.WARNING, ts(4), OrderEvent(denied, denied.reason), "ES"),
        EngineEvent(EventKind.RISK_BREACH, Severity.CRITICAL, ts(5),
                    LossLimitBreach(Decimal("-2150.25"), Decimal("2000"), True, halt)),
        EngineEvent(EventKind.BROKER_DISCONNECTED, Severity.CRITICAL, ts(6), ConnectionChange(False, "TWS gone")),
        EngineEvent(EventKind.RECONCILIATION_MISMATCH, Severity.CRITICAL, ts(7),
                    ReconciliationMismatch("ib", (PositionMismatch("ES", 1, 3),), ("O-9",))),
        EngineEvent(EventKind.MARKET_DATA_STALE, Severity.CRITICAL, ts(8), FeedStale(31.5)),
        EngineEvent(EventKind.MARKET_DATA_STALE, Severity.CRITICAL, ts(9), FeedFailed("socket closed")),
        EngineEvent(EventKind.RISK_SETTING_CHANGED, Severity.INFO, ts(10), RiskSettingChange(Decimal("0.5"), "ES"), "ES"),
        EngineEvent(EventKind.SYSTEM, Severity.INFO, ts(11), SystemNotice(Notice.ENGINE_STARTED)),
    ]
    seqs = [ledger.append_event(e) for e in events]
    assert seqs == list(range(1, 12))
    back = ledger.events()
    assert back == [replace(e, seq=s) for e, s in zip(events, seqs)]  # the typed payload, exactly
    assert back[3].rejection == denied.reason and back[4].state == halt and back[1].fill == fill
    assert [e.seq for e in ledger.events(since_seq=9)] == [10, 11]
    assert [e.seq for e in ledger.events(since_seq=0, limit=1)] == [1]
    assert ledger.last_event_seq() == 11
    with pytest.raises(LedgerError, match="expected a trading_core.types.EngineEvent"):
        ledger.append_event("halted")  # type: ignore[arg-type]


def test_equity_curve_is_exact(ledger: Ledger) -> None:
    ledger.record_equity(ts(0), Decimal("100000"), Decimal("0"), Decimal("0"))
    ledger.record_equity(ts(1), Decimal("100012.50"), Decimal("-2.25"), Decimal("14.75"))
    assert ledger.equity_curve() == [
        EquityPoint(ts(0), Decimal("100000"), Decimal("0"), Decimal("0")),
        EquityPoint(ts(1), Decimal("100012.50"), Decimal("-2.25"), Decimal("14.75")),
    ]
    assert len(ledger.equity_curve(since=ts(1))) == 1
    with pytest.raises(LedgerError, match="equity must be a Decimal"):
        ledger.record_equity(ts(2), 100000.1, Decimal(0), Decimal(0))  # type: ignore[arg-type]
    assert len(ledger.equity_curve()) == 2


def test_key_value_state(ledger: Ledger, tmp_path: Path) -> None:
    assert ledger.get_state("trading_state", "ACTIVE") == "ACTIVE"
    ledger.set_state("trading_state", TradingState.HALTED.value)
    risk = {"default": Decimal("1.5"), "per_symbol": {"ES": Decimal("0.75")}, "since": ts(3), "n": [1, 2]}
    ledger.set_state("risk", risk)
    assert ledger.get_state("trading_state") == "HALTED"
    assert ledger.get_state("risk") == risk
    with pytest.raises(LedgerError, match="cannot be stored as JSON.*Nothing was written"):
        ledger.set_state("risk", {"bad": object()})
    assert ledger.get_state("risk") == risk
    with pytest.raises(LedgerError, match="cannot be stored as JSON"):
        ledger.set_state("x", float("nan"))
    assert sorted(ledger.state_keys()) == ["risk", "trading_state"]
    assert ledger.delete_state("risk") is True and ledger.get_state("risk") is None


def test_reopen_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    with Ledger(path) as led:
        o = make_order(1)
        led.insert_order(o)
        o = replace(o, status=OrderStatus.FILLED, filled_quantity=2)
        led.record_fill(make_fill(o), o)
        led.set_state("k", {"v": Decimal("2")})
    with Ledger(path) as led:
        assert led.get_order("O-1").status is OrderStatus.FILLED
        assert len(led.fills()) == 1
        assert led.get_state("k") == {"v": Decimal("2")}


def test_corrupt_file_is_reported_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    junk = b"this is not a database at all\n" * 200
    path.write_bytes(junk)
    with pytest.raises(LedgerCorruptError, match="damaged or not a MIA ledger.*left untouched"):
        Ledger(path)
    assert path.read_bytes() == junk


def test_damaged_pages_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as led:
        led.insert_orders([make_order(n) for n in range(200)])
        led.checkpoint()
    con = sqlite3.connect(path)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name='orders'").fetchone()[0]
    page = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page  # the orders table's root page, header included
    data[start : start + page] = b"\xa5" * page
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerCorruptError):
        Ledger(path)


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(LedgerCorruptError, match="not a MIA ledger.*'customers'"):
        Ledger(path)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    Ledger(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    con.commit()
    con.close()
    with pytest.raises(LedgerError, match="schema version 99, newer than"):
        Ledger(path)


def test_locked_ledger_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    led = Ledger(path, busy_timeout_s=0.05)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    try:
        with pytest.raises(LedgerLockedError, match="locked by another process.*Nothing was written"):
            led.insert_order(make_order(1))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert led.insert_order(make_order(1))[1] is True  # usable again once the lock is gone
    led.close()


def test_closed_ledger_and_bad_inputs(tmp_path: Path) -> None:
    led = Ledger(tmp_path / "l.sqlite3")
    with pytest.raises(LedgerError, match="no time zone"):
        led.insert_order(make_order(1, created_ts=datetime(2025, 1, 1)))
    with pytest.raises(LedgerError, match="expected a trading_core.types.Order"):
        led.insert_order({"order_id": "x"})  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="limit_price must be a finite number"):
        led.insert_order(make_order(1, limit_price=float("inf")))
    with pytest.raises(LedgerError, match="client_order_id must be a non-empty string"):
        led.insert_order(make_order(1, client_order_id=""))
    assert led.order_count() == 0
    led.close()
    led.close()  # idempotent
    with pytest.raises(LedgerError, match="is closed"):
        led.insert_order(make_order(1))
    with pytest.raises(LedgerError, match="is closed"):
        led.open_orders()


def test_background_checkpoint_keeps_the_wal_off_the_commit_path(tmp_path: Path) -> None:
    import time

    led = Ledger(tmp_path / "l.sqlite3", checkpoint_interval_s=0.02)
    assert led._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 10_000
    led.insert_orders([make_order(n) for n in range(50)])
    checkpointer = led._checkpointer
    deadline = time.monotonic() + 5
    while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpointer.checkpoints >= 1
    led.close()
    assert not checkpointer.is_alive()
    with Ledger(tmp_path / "l.sqlite3", checkpoint_interval_s=None) as again:
        assert again._checkpointer is None and again.order_count() == 50
        assert again._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000  # SQLite's own
    with pytest.raises(LedgerError, match="checkpoint_interval_s = 0"):
        Ledger(tmp_path / "l.sqlite3", checkpoint_interval_s=0)


def test_in_memory_ledger_and_unusable_path(tmp_path: Path) -> None:
    with Ledger(":memory:") as mem:
        assert mem.journal_mode == "memory" and mem._checkpointer is None
        assert mem.insert_order(make_order(1))[1] is True
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(LedgerError, match="cannot create the ledger directory"):
        Ledger(blocker / "sub" / "l.sqlite3")


# A ledger as MIA wrote it before events carried typed payloads (schema version 1): sentences in two
# columns, refusals as sentences with free-string codes.
_V1_EVENT = (
    "INSERT INTO events (kind, severity, ts, text_en, text_fr, symbol, payload) VALUES (?,?,?,?,?,?,?)"
)


def _v1_ledger(path: Path) -> None:
    from trading_core.ledger import _SCHEMA_V1

    db = sqlite3.connect(path)
    for statement in _SCHEMA_V1.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO meta(key, value) VALUES ('schema_version', '1')")
    old_rej = {"code": "IB_201", "message_en": "Interactive Brokers refused the order (error 201): margin",
               "message_fr": "Interactive Brokers a refusé l'ordre (erreur 201) : margin"}
    import json

    db.execute(
        "INSERT INTO orders (order_id, client_order_id, symbol, side, quantity, order_type, status, created_ts, "
        "filled_quantity, reason, source) VALUES ('O-1','C-1','ES','BUY',2,'MARKET','REJECTED',?,0,?,'cli')",
        (ts(1).isoformat(timespec="microseconds"), json.dumps(old_rej)),
    )
    order = {"order_id": "O-1", "client_order_id": "C-1", "symbol": "ES", "side": "BUY", "quantity": 2,
             "order_type": "MARKET", "status": "REJECTED", "created_ts": ts(1).isoformat(timespec="microseconds"),
             "limit_price": None, "stop_price": None, "parent_id": None, "oco_group": None, "filled_quantity": 0,
             "avg_fill_price": None, "reason": old_rej, "source": "cli", "broker_ref": None}
    db.execute(_V1_EVENT, ("ORDER_REJECTED", "WARNING", ts(2).isoformat(timespec="microseconds"),
                           old_rej["message_en"], old_rej["message_fr"], "ES",
                           json.dumps({"order": order, "rejection": old_rej})))
    db.execute(_V1_EVENT, ("STATE_CHANGE", "WARNING", ts(3).isoformat(timespec="microseconds"),
                           "Trading halted.", "Trading arrêté.", None,
                           json.dumps({"state": {"previous": "ACTIVE", "current": "HALTED", "reason": "user"}})))
    db.execute(_V1_EVENT, ("MARKET_DATA_STALE", "CRITICAL", ts(4).isoformat(timespec="microseconds"),
                           "Market data stale: nothing received for 31 s.", "Données figées : rien reçu depuis 31 s.",
                           None, "{}"))
    db.commit()
    db.close()


def test_schema_1_ledger_is_migrated_and_its_rows_read(tmp_path: Path) -> None:
    from assistant.present.events import event_body
    from assistant.present.reasons import reason_text

    path = tmp_path / "old.sqlite3"
    _v1_ledger(path)
    with Ledger(path) as led:
        assert led.schema_version == SCHEMA_VERSION == 3
        rejected, halted, stale = led.events()
        # the recorded sentences are kept, with the typed parts the old payload had
        assert isinstance(rejected.payload, RecordedText) and rejected.order.order_id == "O-1"
        assert rejected.rejection.code is ReasonCode.IB_ERROR and rejected.rejection.variant == RECORDED
        assert rejected.rejection.params["recorded_code"] == "IB_201"
        assert "error 201" in reason_text(rejected.rejection, "en")
        assert halted.state == StateChange(TradingState.ACTIVE, TradingState.HALTED, "user")
        assert event_body(stale).text("fr") == "Données figées : rien reçu depuis 31 s."
        assert led.get_order("O-1").reason.code is ReasonCode.IB_ERROR
        # new events go on after the old ones, typed
        seq = led.append_event(EngineEvent(EventKind.SYSTEM, Severity.INFO, ts(5), SystemNotice(Notice.ENGINE_STARTED)))
        assert seq == 4 and led.events(since_seq=3)[0].payload == SystemNotice(Notice.ENGINE_STARTED)
    with Ledger(path) as led:  # reopening migrates nothing twice
        assert led.schema_version == 3 and len(led.events()) == 4


def test_an_event_payload_must_match_its_kind() -> None:
    with pytest.raises(TypeError, match="FILL event carries StateChange"):
        EngineEvent(EventKind.FILL, Severity.INFO, ts(1), StateChange(TradingState.ACTIVE, TradingState.HALTED, "x"))
