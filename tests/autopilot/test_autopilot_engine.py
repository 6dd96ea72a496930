"""The autopilot attached to the live engine: modes, confirmations, the risk gate, halts, persistence."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from trading_core.api import Engine
from trading_core.autopilot.controller import Autopilot
from trading_core.autopilot.types import AutopilotMode, ReasonCode, SignalDecision

from assistant.present.autopilot import confirm_msg, set_mode_msg
from assistant.present.events import event_body
from assistant.present.reasons import reason_text
from assistant.present.text import render
from trading_core.broker.paper import PaperBroker
from trading_core.clock import MarketClock
from trading_core.instruments import get_instrument
from trading_core.ledger import Ledger
from trading_core.types import Bar, EventKind, OrderType, Severity, TradingState

from .conftest import ACTIVE, config


async def new_engine(cfg: Any, ledger: str | Path = ":memory:", mode: str = "paper") -> Engine:
    broker = PaperBroker(get_instrument, slippage_ticks=cfg.paper.slippage_ticks,
                         commission_per_contract=cfg.paper.commission_per_contract)
    engine = Engine(cfg, broker, ledger=Ledger(ledger), clock=MarketClock(), mode=mode)
    engine.symbols = ("ES",)
    await engine.start(run_feed=False)
    return engine


async def pilot_on(engine: Engine, bundle: Any, model: Any, mode: AutopilotMode | None = None, **kw: Any) -> Autopilot:
    pilot = Autopilot(engine, bundles={"ES": bundle}, trade_models={"ES": model}, **kw)
    await pilot.start(prepare=False)
    if mode is not None:
        res = await pilot.set_mode(mode)
        assert res.ok, res.code
    return pilot


async def drive(engine: Engine, bars: pd.DataFrame, until: Any = None) -> int:
    """Prices as the replay feeds them: open, settle, the bar (its close), settle. Stops when until() is true."""
    ts = bars.index.to_pydatetime()
    for i, row in enumerate(bars[["open", "high", "low", "close", "volume"]].itertuples(index=False)):
        engine.on_price("ES", row[0], ts[i])
        await engine.settle()
        engine.on_bar(Bar("ES", ts[i], row[0], row[1], row[2], row[3], int(row[4])))
        await engine.settle()
        if until is not None and until():
            return i + 1
    return len(bars)


def kinds(engine: Engine) -> list[EventKind]:
    return [e.kind for e in engine.events_since(0, limit=None)]


async def test_propose_executes_nothing_without_confirmation_and_one_bracket_after(tmp_path, bundle, no_model, es_2025):
    cfg = config(tmp_path, autopilot=ACTIVE, dialogue={"confirm_timeout_s": 120})
    engine = await new_engine(cfg)
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.PROPOSE)
    await drive(engine, es_2025.iloc[:3000], until=lambda: bool(pilot.pending()))
    (prop,) = pilot.pending()
    assert prop.decision is SignalDecision.PROPOSED and prop.quantity > 0 and prop.expires_ts is not None
    assert engine.ledger.orders(limit=None) == []  # nothing sent while it waits
    assert EventKind.AUTOPILOT_PROPOSAL in kinds(engine)
    ev = [e for e in engine.events_since(0, limit=None) if e.kind is EventKind.AUTOPILOT_PROPOSAL][-1]
    assert ev.signal == prop and ev.payload == prop
    body = event_body(ev)  # the fronts' sentence, rendered from the signal's data
    assert body is not None and "Confirm?" in render(body, "en") and "Confirmez-vous ?" in render(body, "fr")
    res = await pilot.confirm(prop.signal_id)
    assert res.ok and res.signal is not None and res.signal.decision is SignalDecision.EXECUTED
    orders = engine.ledger.orders(limit=None)
    assert len(orders) == 3  # the entry and its stop loss / take profit
    parent = [o for o in orders if o.parent_id is None][0]
    assert parent.client_order_id == f"ap-{prop.signal_id}" and parent.source == "autopilot"
    assert parent.quantity == prop.quantity
    assert {(o.order_type, o.stop_price or o.limit_price) for o in orders if o.parent_id} == {
        (OrderType.STOP, prop.stop_loss), (OrderType.LIMIT, prop.take_profit)}
    again = await pilot.confirm(prop.signal_id)
    assert again.ok and again.duplicate and len(engine.ledger.orders(limit=None)) == 3
    stats = await engine.autopilot_stats()
    assert stats.executed == 1 and [r.signal.signal_id for r in stats.results] == [prop.signal_id]
    stored = engine.ledger.autopilot_signal(prop.signal_id)
    assert stored.decision is SignalDecision.EXECUTED and stored.order_id == parent.order_id
    unknown = await pilot.confirm("AP-ES-19990101T0000")
    assert not unknown.ok and unknown.code == "UNKNOWN_SIGNAL"
    assert "AP-ES-19990101T0000" in render(confirm_msg(unknown, "AP-ES-19990101T0000"), "fr")
    await pilot.stop()
    await engine.stop()
    engine.close()


async def test_unconfirmed_proposals_expire_and_a_late_confirmation_sends_nothing(tmp_path, bundle, no_model, es_2025):
    cfg = config(tmp_path, autopilot=ACTIVE, dialogue={"confirm_timeout_s": 0.2})
    engine = await new_engine(cfg)
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.PROPOSE)
    await drive(engine, es_2025.iloc[:3000], until=lambda: bool(pilot.pending()))
    (prop,) = pilot.pending()
    await asyncio.sleep(0.4)
    assert pilot.pending() == []
    late = await pilot.confirm(prop.signal_id)
    assert not late.ok and late.code == "EXPIRED"
    assert engine.ledger.autopilot_signal(prop.signal_id).reason_code == ReasonCode.EXPIRED_TIMEOUT.value
    assert engine.ledger.orders(limit=None) == [] and EventKind.AUTOPILOT_EXPIRED in kinds(engine)
    # a declined proposal ends the same way, by the trader's word
    engine.config.dialogue.confirm_timeout_s = 120
    await drive(engine, es_2025.iloc[3000:6000], until=lambda: bool(pilot.pending()))
    (other,) = pilot.pending()
    assert (await pilot.decline(other.signal_id)).ok
    assert engine.ledger.autopilot_signal(other.signal_id).reason_code == ReasonCode.DECLINED.value
    assert engine.ledger.orders(limit=None) == []
    await pilot.stop()
    await engine.stop()
    engine.close()


async def test_auto_goes_through_the_risk_gate_and_refusals_are_logged(tmp_path, bundle, no_model, es_2025):
    cfg = config(tmp_path, autopilot=ACTIVE)
    engine = await new_engine(cfg)
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.AUTO)
    await engine.reduce_only("test")
    sigs = lambda: engine.ledger.autopilot_signals(limit=None)  # noqa: E731
    await drive(engine, es_2025.iloc[:2500], until=lambda: any(s.reason_code == "REDUCING_ONLY" for s in sigs()))
    refused = [s for s in sigs() if s.reason_code == "REDUCING_ONLY"]
    assert refused and refused[0].decision is SignalDecision.REFUSED and "reduce" in reason_text(refused[0].reason, "en")
    assert [o.reason and o.reason.code for o in engine.ledger.orders(limit=None)] == ["REDUCING_ONLY"] * len(refused)
    await engine.resume("test")
    start = len(engine.ledger.orders(limit=None))
    await drive(engine, es_2025.iloc[2500:6000], until=lambda: any(s.decision is SignalDecision.EXECUTED for s in sigs()))
    done = [s for s in sigs() if s.decision is SignalDecision.EXECUTED]
    assert done
    new = engine.ledger.orders(limit=None)[start:]
    assert any(o.client_order_id == f"ap-{done[0].signal_id}" and o.reason is None for o in new)
    assert EventKind.AUTOPILOT_EXECUTED in kinds(engine) and EventKind.AUTOPILOT_REFUSED in kinds(engine)
    # every decision is in the ledger with the scores that decided it, readable by the fronts
    recent = await engine.autopilot_signals(limit=5)
    assert recent and all(s.scores.filter_probability is not None for s in recent)
    await pilot.stop()
    await engine.stop()
    engine.close()


async def test_halt_and_kill_switch_turn_the_autopilot_off_and_say_so(tmp_path, bundle, no_model):
    cfg = config(tmp_path)
    engine = await new_engine(cfg)
    engine.on_price("ES", 5300.0, pd.Timestamp("2025-04-22 14:30", tz="UTC").to_pydatetime())
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.AUTO)
    await engine.halt("test")
    assert pilot.mode is AutopilotMode.OFF
    ev = [e for e in engine.events_since(0, limit=None) if e.kind is EventKind.AUTOPILOT_MODE][-1]
    assert ev.mode_change is not None
    assert ev.mode_change.current is AutopilotMode.OFF and ev.mode_change.reason == "halt"
    body = event_body(ev)
    assert ev.severity is Severity.WARNING and body is not None
    assert "halted" in render(body, "en") and "arrêté" in render(body, "fr")
    refused = await pilot.set_mode("auto")
    assert not refused.ok and refused.code == "ENGINE_HALTED" and "reprenez" in render(set_mode_msg(refused), "fr")
    await engine.resume("test")
    assert (await pilot.set_mode("propose")).ok
    await engine.kill_switch("test")
    assert pilot.mode is AutopilotMode.OFF
    assert engine.ledger.get_state("autopilot_mode") == "off"
    assert [e.mode_change and e.mode_change.reason for e in engine.events_since(0, limit=None)
            if e.kind is EventKind.AUTOPILOT_MODE][-1] \
        == "kill_switch"
    await pilot.stop()
    await engine.stop()
    engine.close()


async def test_auto_on_a_live_engine_needs_the_acknowledgement(tmp_path, bundle, no_model):
    cfg = config(tmp_path)
    path = tmp_path / "ledger_live.sqlite3"
    engine = await new_engine(cfg, path, mode="live")
    pilot = await pilot_on(engine, bundle, no_model)
    assert pilot.mode is AutopilotMode.OFF  # the default
    res = await pilot.set_mode("auto")
    assert not res.ok and res.code == "LIVE_ACK_REQUIRED" and pilot.mode is AutopilotMode.OFF
    assert (await pilot.set_mode("auto", live_ack=True)).ok
    await pilot.stop()
    await engine.stop()
    engine.close()
    # after a restart, auto on a live account is not resumed without a new acknowledgement
    engine = await new_engine(cfg, path, mode="live")
    pilot = await pilot_on(engine, bundle, no_model)
    assert pilot.mode is AutopilotMode.OFF
    ev = [e for e in engine.events_since(0, limit=None) if e.kind is EventKind.AUTOPILOT_MODE][-1]
    assert ev.mode_change is not None and ev.mode_change.reason == "live_ack"
    await pilot.stop()
    await engine.stop()
    engine.close()
    engine = await new_engine(cfg, path, mode="live")
    pilot = Autopilot(engine, bundles={"ES": bundle}, trade_models={"ES": no_model})
    engine.ledger.set_state("autopilot_mode", "auto")
    await pilot.start(live_ack=True, prepare=False)
    assert pilot.mode is AutopilotMode.AUTO
    await pilot.stop()
    await engine.stop()
    engine.close()


async def test_untrained_trade_model_says_so_and_the_filter_decides_alone(tmp_path, bundle, es_2025):
    cfg = config(tmp_path, autopilot={**ACTIVE, "model_type": "qr_dqn"})
    engine = await new_engine(cfg)
    pilot = Autopilot(engine, bundles={"ES": bundle})
    await pilot.start(prepare=False)
    await pilot.prepare()  # loads the (missing) QR-DQN checkpoint: no crash
    st = pilot.status()
    assert st.ready and not st.model_trained
    assert "mia train --model-type qr_dqn" in st.model_message_en and "filtre ML seul" in st.model_message_fr
    res = await pilot.set_mode("auto")
    assert res.ok and "automatic mode" in render(set_mode_msg(res), "en")
    await drive(engine, es_2025.iloc[:1500], until=lambda: bool(engine.ledger.autopilot_signals(limit=1)))
    sig = engine.ledger.autopilot_signals(limit=1)[0]
    assert sig.scores.model_type == "qr_dqn" and not sig.scores.model_trained and sig.scores.model_probability is None
    await pilot.stop()
    await engine.stop()
    engine.close()


async def test_models_trained_once_from_the_bootstrap_history_then_loaded(tmp_path):
    cfg = config(tmp_path, autopilot={"model_type": "none"})
    engine = await new_engine(cfg)
    pilot = Autopilot(engine, bootstrap_bars=8000)
    await pilot.start(prepare=False)
    await pilot.prepare()
    assert pilot.ready and pilot.last_error is None
    meta = tmp_path / "checkpoints" / "autopilot" / "ES" / "meta.json"
    assert meta.exists() and "synthetic" in meta.read_text()
    stamp = meta.stat().st_mtime_ns
    await pilot.stop()
    again = Autopilot(engine)
    await again.start(prepare=False)
    await again.prepare()
    assert again.ready and meta.stat().st_mtime_ns == stamp  # loaded, not retrained
    await again.stop()
    # a damaged checkpoint is moved aside and retrained, never a crash
    (meta.parent / "filter" / "meta.json").write_text("{not json")
    third = Autopilot(engine, bootstrap_bars=8000)
    await third.start(prepare=False)
    await third.prepare()
    assert third.ready and list(tmp_path.glob("checkpoints/autopilot/ES.unreadable-*"))
    await third.stop()
    await engine.stop()
    engine.close()


async def test_the_loop_on_the_synthetic_feed_emits_signals(tmp_path, bundle, no_model):
    """The real feed task: Engine.from_config with the synthetic market (its history at full speed, then
    50 bars a second; the history replayed fills the features' 390-bar window, since session 21), the
    autopilot in auto. The subject is the feed plumbing, not the P&L: the
    catastrophe levels and the daily-loss limit are out of the way, or one losing trade on a given clock
    halts the autopilot before it has emitted three signals (that path has its own tests)."""
    cfg = config(
        tmp_path,
        autopilot={**ACTIVE, "catastrophe": {"enabled": False}},
        risk={"daily_loss_limit": 1_000_000},
        feed={"kind": "synthetic", "seed": 5, "speed": 3000},
    )
    engine = Engine.from_config(cfg, realtime=True)
    engine.symbols = ("ES",)
    engine.ledger = Ledger(":memory:")
    await engine.start(run_feed=True)
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.AUTO)
    for _ in range(2400):  # at most 2 minutes on a very busy machine; seconds otherwise
        await asyncio.sleep(0.05)
        if len(engine.ledger.autopilot_signals(limit=None)) >= 3:
            break
    await engine.stop()  # the feed stops first: then the autopilot can finish what it started
    await pilot.settle()
    sigs = engine.ledger.autopilot_signals(limit=None)
    assert len(sigs) >= 3
    assert all(s.symbol == "ES" and s.scores.stop_points > 0 for s in sigs)
    assert {s.decision for s in sigs} <= {SignalDecision.EXECUTED, SignalDecision.REFUSED}
    assert pilot.status().bars_seen["ES"] > 390
    await pilot.stop()
    engine.close()


async def test_events_keep_their_typed_data_in_the_ledger(tmp_path, bundle, no_model, es_2025):
    cfg = config(tmp_path, autopilot=ACTIVE)
    engine = await new_engine(cfg, tmp_path / "ledger.sqlite3")
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.AUTO)
    await drive(engine, es_2025.iloc[:2000], until=lambda: bool(engine.ledger.autopilot_signals(limit=1)))
    await pilot.stop()
    await engine.stop()
    engine.close()
    led = Ledger(tmp_path / "ledger.sqlite3")
    evs = [e for e in led.events(0, limit=None) if e.kind.value.startswith("AUTOPILOT")]
    assert any(e.mode_change is not None and e.mode_change.current is AutopilotMode.AUTO for e in evs)
    with_signal = [e for e in evs if e.signal is not None]
    stored = {s.signal_id: s for s in led.autopilot_signals(limit=None)}
    assert with_signal and all(e.signal is not None and e.signal == stored[e.signal.signal_id] for e in with_signal)
    led.close()


async def test_a_trained_trade_model_scores_live_signals_as_the_replay_does(tmp_path, bundle, es_2023, es_2025):
    """The PPO-CVaR checkpoint (tiny training) loaded by prepare(): live and replay give the same probability."""
    from trading_core.autopilot.models import load_trade_model
    from trading_core.autopilot.replay import run_autopilot_replay
    from trading_core.intelligence.rl.train import train_agent

    cfg = config(tmp_path, autopilot={**ACTIVE, "model_type": "ppo_cvar"})
    train_agent("ppo_cvar", "ES", bars=es_2023.iloc[:6000], steps=2000, config=cfg, data_dir=tmp_path, progress=False)
    engine = await new_engine(cfg)
    pilot = Autopilot(engine, bundles={"ES": bundle})
    await pilot.start(prepare=False)
    await pilot.prepare()
    assert pilot.status().model_trained
    assert (await pilot.set_mode("auto")).ok
    bars = es_2025.iloc[:1200]
    await drive(engine, bars, until=lambda: len(engine.ledger.autopilot_signals(limit=None)) >= 2)
    live = engine.ledger.autopilot_signals(limit=None)
    assert live and all(s.scores.model_trained and 0 <= s.scores.model_probability <= 1 for s in live)
    model = load_trade_model(cfg, "ES", "ppo_cvar", data_dir=tmp_path)
    replayed = {s.signal_id: s for s in run_autopilot_replay(bars, cfg, "ES", bundle=bundle, trade_model=model).result.signals}
    for s in live:
        r = replayed[s.signal_id].scores
        assert r.model_probability == pytest.approx(s.scores.model_probability, abs=1e-9)
        assert r.model_direction == s.scores.model_direction
    await pilot.stop()
    await engine.stop()
    engine.close()


async def test_a_run_started_off_loads_its_models_when_switched_on(tmp_path, bundle):
    from trading_core.autopilot.models import bundle_dir

    bundle.save(bundle_dir(tmp_path, "ES"))
    cfg = config(tmp_path, autopilot={"model_type": "none"})
    engine = await new_engine(cfg)
    pilot = Autopilot(engine)
    await pilot.start(prepare=False)  # off: nothing loaded
    assert pilot.mode is AutopilotMode.OFF and not pilot.ready
    assert (await pilot.set_mode(AutopilotMode.PROPOSE)).ok
    for _ in range(200):
        if pilot.ready:
            break
        await asyncio.sleep(0.05)
    assert pilot.ready and pilot.status().model_type == "none"
    await pilot.stop()
    await engine.stop()
    engine.close()


def _bar(bars: pd.DataFrame, i: int) -> Bar:
    row = bars.iloc[i]
    return Bar("ES", bars.index[i].to_pydatetime(), row["open"], row["high"], row["low"], row["close"], int(row["volume"]))


async def test_warm_up_history_fills_the_window_and_is_never_decided_on(tmp_path, bundle, no_model, es_2025):
    """The feed's warm-up replays while the fronts start: bars the engine buffered before the autopilot was
    attached come from `start()`, the later ones from `Engine.on_history_bar`; one already held is passed over
    in silence; none is decided on (no signal, no order)."""
    cfg = config(tmp_path, autopilot=ACTIVE)
    engine = await new_engine(cfg)
    for i in range(100):
        engine.on_history_bar(_bar(es_2025, i))
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.AUTO)
    for i in range(95, 500):  # (95-99 again: already held)
        engine.on_history_bar(_bar(es_2025, i))
    await engine.settle()
    await pilot.settle()
    assert pilot.status().bars_seen["ES"] == 500
    assert engine.ledger.autopilot_signals(limit=None) == [] and engine.ledger.orders(limit=None) == []
    await pilot.stop()
    engine.close()


async def test_the_first_decision_needs_no_live_history_after_a_warm_up(tmp_path, bundle, no_model, es_2025):
    """Live from the first bar: where a session fed only live bars decides first at bar N (its window full), a
    session whose warm-up replayed the bars before N - 5 as history decides the same bar after 5 live bars,
    not after a live warm-up of its own (`min_history_bars`, 390 bars: 6.5 minutes of a real market)."""
    cfg = config(tmp_path / "a", autopilot=ACTIVE)
    engine = await new_engine(cfg)
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.AUTO)
    first = await drive(engine, es_2025.iloc[:3000], until=lambda: bool(engine.ledger.autopilot_signals(limit=1)))
    await pilot.settle()
    (signal,) = engine.ledger.autopilot_signals(limit=None)
    await pilot.stop()
    engine.close()
    assert first >= cfg.autopilot.min_history_bars

    cfg = config(tmp_path / "b", autopilot=ACTIVE)
    engine = await new_engine(cfg)
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.AUTO)
    warm = first - 5
    for i in range(warm):
        engine.on_history_bar(_bar(es_2025, i))
    live = await drive(engine, es_2025.iloc[warm:3000], until=lambda: bool(engine.ledger.autopilot_signals(limit=1)))
    await pilot.settle()
    (again,) = engine.ledger.autopilot_signals(limit=None)
    assert live == 5 < cfg.autopilot.min_history_bars
    assert (again.ts, again.side, again.quantity) == (signal.ts, signal.side, signal.quantity)
    await pilot.stop()
    engine.close()
