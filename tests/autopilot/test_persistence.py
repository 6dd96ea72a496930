"""The autopilot's state survives kill -9: the mode comes back, a pending proposal is expired, never executed;
the ledger's additive migration keeps what an older ledger holds."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from trading_core.ledger import _MIGRATIONS, SCHEMA_VERSION, Ledger

from .conftest import ES_2025

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from trading_core.api import Engine
    from trading_core.autopilot.controller import Autopilot
    from trading_core.autopilot.models import ModelBundle, load_trade_model
    from trading_core.broker.paper import PaperBroker
    from trading_core.clock import MarketClock
    from trading_core.config import load_config
    from trading_core.instruments import get_instrument
    from trading_core.intelligence.data import load_bars
    from trading_core.types import Bar

    async def main(data_dir, bundle_dir, bars_file):
        cfg = load_config(env={}, overrides={"data_dir": data_dir, "risk": {"enforce_trading_hours": False},
                          "autopilot": {"filter_threshold": 0.0, "reward_risk": 3.0, "model_type": "none"},
                          "dialogue": {"confirm_timeout_s": 120}})
        engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
        engine.symbols = ("ES",)
        await engine.start(run_feed=False)
        pilot = Autopilot(engine, bundles={"ES": ModelBundle.load(Path(bundle_dir), 0.0)},
                          trade_models={"ES": load_trade_model(cfg, "ES", "none")})
        await pilot.start(prepare=False)
        await pilot.set_mode("propose")
        bars = load_bars(bars_file).iloc[:4000]
        ts = bars.index.to_pydatetime()
        for i, r in enumerate(bars[["open", "high", "low", "close", "volume"]].itertuples(index=False)):
            engine.on_price("ES", r[0], ts[i])
            await engine.settle()
            engine.on_bar(Bar("ES", ts[i], r[0], r[1], r[2], r[3], int(r[4])))
            await engine.settle()
            if pilot.pending():
                print("PROPOSED", pilot.pending()[0].signal_id, flush=True)
                break
        while True:
            await asyncio.sleep(1)

    asyncio.run(main(*sys.argv[1:4]))
    """
)


async def test_kill_9_then_restart_restores_the_mode_and_expires_the_pending_proposal(tmp_path, bundle, no_model):
    if not ES_2025.exists():
        import pytest

        pytest.skip("shared market data not available")
    bundle_path = bundle.save(tmp_path / "bundle")
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), str(bundle_path), str(ES_2025)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    signal_id = None
    deadline = time.time() + 240
    while signal_id is None and time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith("PROPOSED"):
            signal_id = line.split()[1]
        elif not line and proc.poll() is not None:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert signal_id is not None, "the child never proposed"

    from trading_core.api import Engine
    from trading_core.autopilot.controller import Autopilot
    from trading_core.autopilot.types import AutopilotMode, ReasonCode, SignalDecision
    from trading_core.broker.paper import PaperBroker
    from trading_core.clock import MarketClock
    from trading_core.instruments import get_instrument
    from trading_core.types import EventKind

    from .conftest import config

    cfg = config(tmp_path, autopilot={"filter_threshold": 0.0, "model_type": "none"})
    engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
    engine.symbols = ("ES",)
    await engine.start(run_feed=False)
    before = engine.ledger.autopilot_signal(signal_id)
    assert before.decision is SignalDecision.PROPOSED  # committed before the kill
    pilot = Autopilot(engine, bundles={"ES": bundle}, trade_models={"ES": no_model})
    await pilot.start(prepare=False)
    assert pilot.mode is AutopilotMode.PROPOSE
    after = engine.ledger.autopilot_signal(signal_id)
    assert after.decision is SignalDecision.EXPIRED and after.reason_code == ReasonCode.EXPIRED_RESTART.value
    assert pilot.pending() == []
    res = await pilot.confirm(signal_id)
    assert not res.ok and res.code == "EXPIRED"
    assert engine.ledger.orders(limit=None) == []  # never executed after the restart
    assert any(e.kind is EventKind.AUTOPILOT_EXPIRED and e.signal.signal_id == signal_id
               for e in engine.events_since(0, limit=None))
    await pilot.stop()
    await engine.stop()
    engine.close()


def test_an_older_ledger_gains_the_signals_table_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path)
    for statement in _MIGRATIONS[1].split(";"):
        if statement.strip():
            con.execute(statement)
    con.execute("INSERT INTO meta(key, value) VALUES ('schema_version', '1')")
    con.execute("INSERT INTO kv(key, value, updated_ts) VALUES ('trading_state', '\"HALTED\"', '2025-01-01T00:00:00.000000+00:00')")
    con.commit()
    con.close()
    led = Ledger(path)
    assert led.schema_version == SCHEMA_VERSION == 3
    assert led.get_state("trading_state") == "HALTED"
    assert led.autopilot_signals(limit=None) == []
    led.close()


def test_a_part_one_ledger_keeps_its_autopilot_events_and_signals(tmp_path):
    """Schema 2 (autopilot part 1) wrote sentences into events and signals; schema 3 reads them back as
    recorded text, with the reason code in today's namespace."""
    import json

    from trading_core.autopilot.types import ReasonCode, SignalDecision
    from trading_core.risk.reasons import RECORDED
    from trading_core.types import EventKind, RecordedText

    from assistant.present.events import event_body
    from assistant.present.reasons import reason_text

    path = tmp_path / "v2.sqlite3"
    con = sqlite3.connect(path)
    for version in (1, 2):
        for statement in _MIGRATIONS[version].split(";"):
            if statement.strip():
                con.execute(statement)
    con.execute("INSERT INTO meta(key, value) VALUES ('schema_version', '2')")
    con.execute("INSERT INTO events (kind, severity, ts, text_en, text_fr, symbol, payload) VALUES (?,?,?,?,?,?,?)",
                ("AUTOPILOT_MODE", "WARNING", "2025-04-22T14:30:00.000000+00:00", "Autopilot off: trading was halted.",
                 "Pilote automatique désactivé : le trading a été arrêté.", None,
                 json.dumps({"mode_change": {"previous": "auto", "current": "off", "reason": "halt"}})))
    from trading_core.autopilot.decide import decide, make_signal
    from trading_core.instruments import get_instrument

    from .conftest import config
    from .test_decide_and_levels import CTX, cand

    c = cand()
    cfg = config(tmp_path)
    record = make_signal(c, decide(c, CTX, cfg, get_instrument("ES")), CTX, cfg, mode="auto",
                         decision=SignalDecision.REFUSED).to_dict()
    del record["reason"]  # part 1 kept the code and two sentences instead
    record |= {"reason_code": "FILTER_REJECTED", "reason_en": "ML filter 52% is below its 60% threshold.",
               "reason_fr": "Filtre ML à 52 %, sous son seuil de 60 %."}
    con.execute("INSERT INTO autopilot_signals (signal_id, ts, symbol, side, quantity, decision, reason_code, "
                "updated_ts, record) VALUES (?,?,?,?,?,?,?,?,?)",
                (record["signal_id"], record["ts"], "ES", record["side"], 0, "refused", "FILTER_REJECTED", record["ts"],
                 json.dumps(record)))
    con.commit()
    con.close()
    with Ledger(path) as led:
        assert led.schema_version == SCHEMA_VERSION == 3
        (ev,) = led.events()
        assert ev.kind is EventKind.AUTOPILOT_MODE and isinstance(ev.payload, RecordedText)
        assert event_body(ev).text("fr") == "Pilote automatique désactivé : le trading a été arrêté."
        (sig,) = led.autopilot_signals(limit=None)
        assert sig.decision is SignalDecision.REFUSED and sig.reason_code == ReasonCode.FILTER_REJECTED.value
        assert sig.reason is not None and sig.reason.variant == RECORDED
        assert reason_text(sig.reason, "en") == "ML filter 52% is below its 60% threshold."


def test_signal_records_are_updated_in_place_by_id(tmp_path, bundle):
    from dataclasses import replace

    from trading_core.autopilot.types import SignalDecision

    from .test_decide_and_levels import CTX, cand
    from .conftest import config
    from trading_core.autopilot.decide import decide, make_signal
    from trading_core.instruments import get_instrument

    cfg = config(tmp_path)
    c = cand()
    s = make_signal(c, decide(c, CTX, cfg, get_instrument("ES")), CTX, cfg, mode="propose",
                    decision=SignalDecision.PROPOSED)
    led = Ledger(tmp_path / "l.sqlite3")
    led.record_signal(s)
    assert led.autopilot_signals(decision="proposed") == [s]
    done = replace(s, decision=SignalDecision.EXECUTED, order_id="O-1")
    led.record_signal(done)
    assert led.autopilot_signals(limit=None) == [done] and led.autopilot_signals(decision="proposed") == []
    assert led.autopilot_signal(s.signal_id) == done and led.autopilot_signal("nope") is None
    led.close()
