"""The replay kernel decides and trades exactly as the live Engine + Autopilot on the same bars."""
from __future__ import annotations

import pytest

from trading_core.autopilot.replay import replay_on_engine, run_autopilot_replay

from .conftest import config

_LEVELS = {"daily_loss_warning": 300, "daily_loss_critical": 600, "consecutive_losses_warning": 1,
           "consecutive_losses_critical": 2, "consecutive_losses_catastrophe": 4, "drawdown_pct_warning": 0.5,
           "drawdown_pct_critical": 1.0, "drawdown_pct_catastrophe": 2.5}


def _tight(daily_loss_limit: int, catastrophe_loss: int) -> dict:
    return {"risk": {"enforce_trading_hours": False, "daily_loss_limit": daily_loss_limit, "max_consecutive_losses": 3,
                     "default_risk_percent": 2},
            "autopilot": {"filter_threshold": 0.0, "reward_risk": 2.0,
                          "catastrophe": {**_LEVELS, "daily_loss_catastrophe": catastrophe_loss}}}


CASES = [
    # stop losses and take profits, the default levels (3 losses in a row: reduce-only)
    pytest.param({"autopilot": {"filter_threshold": 0.0, "reward_risk": 3.0}}, 2500, id="brackets"),
    # the daily loss limit halts and flattens; every level up to CATASTROPHE; resumes next session
    pytest.param(_tight(1000, 1500), 3500, id="daily-loss"),
    # the CATASTROPHE level's kill switch
    pytest.param(_tight(1500, 1500), 3000, id="kill-switch"),
]


def _signals(sigs):
    return [(s.signal_id, s.side, s.decision, s.reason_code, s.quantity, s.entry, s.stop_loss, s.take_profit,
             s.scores.level) for s in sigs]


def _scores(sigs):
    """The scores: identical code on identical numbers, except the regime filter (stepped live, scanned in
    replay), which agrees to rounding."""
    return [(s.scores.score, s.scores.confidence, s.scores.filter_probability, *s.scores.regime.values(),
             s.scores.kelly_fraction or 0.0) for s in sigs]


@pytest.mark.parametrize("over,n", CASES)
async def test_kernel_and_engine_give_the_same_signals_orders_and_fills(tmp_path, bundle, no_model, es_2025, over, n):
    cfg = config(tmp_path, **over)
    bars = es_2025.iloc[:n]
    kernel = run_autopilot_replay(bars, cfg, "ES", bundle=bundle, trade_model=no_model).result
    engine = await replay_on_engine(bars, cfg, "ES", bundle, no_model)
    assert _signals(kernel.signals) == _signals(engine["signals"])
    for k_row, e_row in zip(_scores(kernel.signals), _scores(engine["signals"])):
        assert k_row == pytest.approx(e_row, rel=1e-9, abs=1e-12)
    assert len(kernel.signals) > 20
    k_orders = [(o.ts, o.side, o.quantity, o.rejection.code if o.rejection else None) for o in kernel.orders]
    e_orders = [(o.created_ts, o.side, o.quantity, o.reason.code if o.reason else None)
                for o in engine["orders"] if o.parent_id is None]
    assert k_orders == e_orders
    assert [(f.ts, f.side, f.quantity, f.price, f.commission) for f in kernel.fills] == \
        [(f.ts, f.side, f.quantity, f.price, f.commission) for f in engine["fills"]]
    assert [(t.pnl, t.entry_price, t.exit_price) for t in kernel.trades] == \
        [(t.pnl, t.entry_price, t.exit_price) for t in engine["trades"]]
    assert [(c.current, c.action) for _, c in kernel.levels] == [(c.current, c.action) for _, c in engine["levels"]]
    assert kernel.final_equity == engine["equity"] and kernel.final_position == engine["position"]
    assert any(s.decision.value == "executed" for s in kernel.signals)
    assert all(o.kind == "bracket" for o in kernel.orders if o.source == "autopilot")


def test_the_parity_cases_really_exercise_brackets_and_risk_reactions(tmp_path, bundle, no_model, es_2025):
    """Guard for the cases above: their agreement means something only if they contain both bracket exits,
    both kinds of halt, every level and risk-gate refusals."""
    def run(case):
        over, n = case.values
        return run_autopilot_replay(es_2025.iloc[:n], config(tmp_path, **over), "ES", bundle=bundle,
                                    trade_model=no_model).result

    brackets, loss, kill = (run(c) for c in CASES)
    assert {f.kind for f in brackets.fills} >= {"entry", "stop_loss", "take_profit"}
    assert "refused:REDUCING_ONLY" in brackets.decisions()
    assert {c.current.value for _, c in loss.levels} >= {"WARNING", "CRITICAL", "CATASTROPHE"}
    assert "daily_loss" in {why for _, why in loss.halts} and "flatten" in {f.kind for f in loss.fills}
    assert "catastrophe" in {why for _, why in kill.halts}
