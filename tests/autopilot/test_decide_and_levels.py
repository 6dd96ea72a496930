"""Sizing and refusals of a scored candidate; the catastrophe levels."""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from trading_core.autopilot.catastrophe import CatastropheMonitor
from trading_core.autopilot.decide import DecisionContext, bracket_prices, decide, make_signal, round_trip_cost_usd
from trading_core.autopilot.pipeline import Candidate
from trading_core.autopilot.types import CatastropheLevel, ReasonCode, SignalDecision

from trading_core.instruments import get_instrument
from trading_core.types import Side

from assistant.present.autopilot import level_change_msg
from assistant.present.reasons import reason_text
from assistant.present.text import render

from .conftest import config

ES = get_instrument("ES")
MNQ = get_instrument("MNQ")


def cand(**kw) -> Candidate:
    base = dict(symbol="ES", bar_ts=datetime(2025, 4, 22, 14, 30, tzinfo=timezone.utc), side=1, entry=5300.0,
                atr=1.5, stop_points=3.0, score=0.4, confidence=0.8,
                components={"order_flow": 0.5, "smart_money": 0.2, "momentum": 0.6, "volume_profile": 0.1,
                            "confluence": 0.3},
                confluence=0.3, trends={"1m": 0.1}, gamma_phase="normal", gamma_factor=1.0,
                regime={"trend": 0.5, "range": 0.3, "defensive": 0.2}, filter_probability=0.7,
                filter_models={"random_forest": 0.7}, model_type="none", model_trained=False,
                model_probability=None, model_direction=None)
    base.update(kw)
    return Candidate(**base)


CTX = DecisionContext(equity=Decimal("100000"), in_trade=False, risk_percent=Decimal("1"))


def test_a_sized_bracket_risks_at_most_the_configured_percent(tmp_path):
    cfg = config(tmp_path)
    d = decide(cand(), CTX, cfg, ES)
    assert d.sized and d.reason is None
    assert (d.stop_loss, d.take_profit) == (5297.0, 5304.5)  # 3 points stop, 1.5 x 3 = 4.5 points target
    # Kelly with W = 0.7 is far above the 0.25 cap: the full 1 % budget, $1,000 / ($50 x 3) -> 6 contracts
    assert d.kelly == 0.25 and math.isclose(d.risk_fraction, 0.01)
    assert d.quantity == 6
    assert d.quantity * 3.0 * 50 <= 1000


def test_thin_edge_risks_proportionally_less_and_gamma_and_levels_scale(tmp_path):
    cfg = config(tmp_path, autopilot={"filter_threshold": 0.4})
    thin = decide(cand(filter_probability=0.5), CTX, cfg, ES)
    cost = round_trip_cost_usd(cfg, ES)
    payoff = (4.5 * 50 - cost) / (3.0 * 50 + cost)
    f = 0.5 - 0.5 / payoff
    assert math.isclose(thin.kelly, f) and math.isclose(thin.risk_fraction, 0.01 * f / 0.25)
    assert thin.quantity == math.floor(100000 * 0.01 * f / 0.25 / 150)
    peak = decide(cand(gamma_factor=1.3), CTX, cfg, ES)
    assert peak.quantity == math.floor(100000 * 0.013 / 150)
    warned = decide(cand(), replace(CTX, level=CatastropheLevel.WARNING, level_factor=0.5), cfg, ES)
    assert warned.quantity == 3
    calm = decide(cand(), replace(CTX, volatility_factor=0.5), cfg, ES)
    assert calm.quantity == 3


@pytest.mark.parametrize("kw,ctx,code", [
    ({}, replace(CTX, in_trade=True), ReasonCode.IN_TRADE),
    ({"filter_probability": 0.59}, CTX, ReasonCode.FILTER_REJECTED),
    ({"filter_probability": 0.65, "model_trained": True, "model_probability": 0.40, "model_base_rate": 0.45},
     CTX, ReasonCode.MODEL_REJECTED),
    ({"stop_points": 400.0}, CTX, ReasonCode.SIZE_ZERO),
])
def test_refusals_come_with_a_code_and_both_languages(tmp_path, kw, ctx, code):
    d = decide(cand(**kw), ctx, config(tmp_path), ES)
    assert not d.sized and d.reason is code and d.quantity == 0
    assert d.rejection is not None
    en, fr = reason_text(d.rejection, "en"), reason_text(d.rejection, "fr")
    assert en and fr and en != fr and "Refused (" not in en  # each code has its sentence


def test_no_edge_when_kelly_is_zero_after_costs(tmp_path):
    cfg = config(tmp_path, autopilot={"filter_threshold": 0.0})
    d = decide(cand(filter_probability=0.2), CTX, cfg, ES)
    assert d.reason is ReasonCode.NO_EDGE and d.kelly == 0.0
    tiny = decide(cand(stop_points=0.25), CTX, config(tmp_path, autopilot={"reward_risk": 1.0}), ES)
    assert tiny.reason is ReasonCode.NO_EDGE  # one tick each way cannot pay the round trip


def test_model_floor_defaults_to_the_policys_average_trade(tmp_path):
    cfg = config(tmp_path)
    at_average = cand(model_trained=True, model_probability=0.42, model_base_rate=0.42)
    assert decide(at_average, CTX, cfg, ES).sized  # an uninformative model never vetoes
    below = cand(model_trained=True, model_probability=0.41, model_base_rate=0.42)
    assert decide(below, CTX, cfg, ES).reason is ReasonCode.MODEL_REJECTED
    fixed = config(tmp_path, autopilot={"model_min_probability": 0.3})
    assert decide(below, CTX, fixed, ES).sized


def test_size_is_capped_at_the_max_order_size(tmp_path):
    # $2 a point: a 20-point stop risks $40 a contract, 1 % of $100,000 would buy 25
    d = decide(cand(symbol="MNQ", stop_points=20.0), CTX, config(tmp_path), MNQ)
    assert d.quantity == 10
    # on MNQ a 3-point stop cannot pay the commissions: no edge
    assert decide(cand(symbol="MNQ"), CTX, config(tmp_path), MNQ).reason is ReasonCode.NO_EDGE


@pytest.mark.parametrize("side,entry,stop,r,expected", [
    (1, 5300.0, 3.0, 1.5, (5297.0, 5304.5)),
    (-1, 5300.0, 3.0, 1.5, (5303.0, 5295.5)),
    (1, 5300.25, 1.25, 1.5, (5299.0, 5302.25)),  # 1.875 points rounds to 2 ticks... 1.75 / 2.0: nearest tick
    (-1, 100.0, 0.25, 1.0, (100.25, 99.75)),
])
def test_bracket_prices_are_on_the_tick_and_on_the_right_side(side, entry, stop, r, expected):
    s, t = bracket_prices(side, entry, stop, r, 0.25)
    assert (s, t) == expected
    assert (s < entry < t) if side > 0 else (t < entry < s)


def test_a_signal_record_keeps_every_score_and_round_trips(tmp_path):
    cfg = config(tmp_path)
    c = cand(model_type="qr_dqn", model_trained=True, model_probability=0.55, model_base_rate=0.5,
             model_direction="long")
    d = decide(c, CTX, cfg, ES)
    s = make_signal(c, d, CTX, cfg, mode="propose", decision=SignalDecision.PROPOSED)
    assert s.signal_id == "AP-ES-20250422T1430" and s.side is Side.BUY and s.quantity == d.quantity
    assert s.ts == datetime(2025, 4, 22, 14, 31, tzinfo=timezone.utc)
    sc = s.scores
    assert (sc.score, sc.confidence, sc.filter_probability, sc.model_probability, sc.model_threshold) == (
        0.4, 0.8, 0.7, 0.55, 0.5)
    assert sc.components["momentum"] == 0.6 and sc.regime["trend"] == 0.5 and sc.kelly_fraction == d.kelly
    from trading_core.autopilot.types import AutopilotSignal

    assert AutopilotSignal.from_dict(s.to_dict()) == s


# --------------------------------------------------------------------------- catastrophe levels
def monitor(tmp_path, **cat) -> CatastropheMonitor:
    return CatastropheMonitor(config(tmp_path, autopilot={"catastrophe": cat}).autopilot.catastrophe, Decimal("100000"))


@pytest.mark.parametrize("loss,consec,equity,level,triggers", [
    ("0", 0, "100000", CatastropheLevel.INFO, ()),
    ("-500", 0, "99500", CatastropheLevel.WARNING, ("daily_loss",)),
    ("-999.99", 1, "99000.01", CatastropheLevel.WARNING, ("daily_loss",)),
    ("-100", 3, "99900", CatastropheLevel.CRITICAL, ("consecutive_losses",)),
    ("0", 0, "94000", CatastropheLevel.CATASTROPHE, ("drawdown",)),
    ("-1500", 4, "98500", CatastropheLevel.CATASTROPHE, ("daily_loss", "consecutive_losses")),
])
def test_level_is_the_worst_of_the_three_measures(tmp_path, loss, consec, equity, level, triggers):
    m = monitor(tmp_path)
    change = m.evaluate(Decimal(loss), consec, Decimal(equity))
    if level is CatastropheLevel.INFO:
        assert change is None and m.level is CatastropheLevel.INFO
        return
    assert change is not None and change.current is level and change.previous is CatastropheLevel.INFO
    assert change.triggers == triggers
    assert change.action == {"WARNING": "size_reduced", "CRITICAL": "reduce_only", "CATASTROPHE": "halt_and_flatten"}[level.value]


def test_falling_levels_take_no_action_and_resume_restarts_the_drawdown(tmp_path):
    m = monitor(tmp_path)
    m.evaluate(Decimal("0"), 0, Decimal("110000"))  # a new peak
    up = m.evaluate(Decimal("0"), 0, Decimal("105000"))  # 4.5 % below the peak
    assert up.current is CatastropheLevel.CRITICAL and m.size_factor == 0.5
    assert m.evaluate(Decimal("0"), 0, Decimal("105000")) is None  # unchanged: no event
    m.restart_peak(Decimal("105000"))
    down = m.evaluate(Decimal("0"), 0, Decimal("105000"))
    assert down.current is CatastropheLevel.INFO and down.action == "none" and m.size_factor == 1.0
    en, fr = render(level_change_msg(up), "en"), render(level_change_msg(up), "fr")
    assert "CRITICAL" in en and "reduce-only" in en and "CRITIQUE" in fr and "réduction" in fr


def test_disabled_monitor_never_changes_level(tmp_path):
    m = monitor(tmp_path, enabled=False)
    assert m.evaluate(Decimal("-5000"), 9, Decimal("50000")) is None and m.level is CatastropheLevel.INFO
