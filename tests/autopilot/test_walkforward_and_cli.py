"""Walk-forward replay without look-ahead, the trade-probability model per fold, and the offline commands."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.cli import main as mia
from trading_core.autopilot.evaluate import evaluate_autopilot, last_verdict
from trading_core.autopilot.replay import run_autopilot_replay
from trading_core.intelligence.filter import FilterParams

from .conftest import ES_2023, bars_of, config

LIGHT = FilterParams(rf_trees=40, xgb_rounds=40, seed=3)


def test_each_fold_is_trained_on_earlier_bars_only_and_the_future_cannot_change_it(tmp_path, es_2023):
    cfg = config(tmp_path, autopilot={"model_type": "none"})
    bars = es_2023.iloc[:9000]
    rep = run_autopilot_replay(bars, cfg, "ES", model_type="none", folds=2, filter_params=LIGHT)
    assert [f.trained for f in rep.folds] == [True, True]
    for f in rep.folds:
        assert pd.Timestamp(f.train_last_bar) < f.start  # models saw bars before their block only
        assert pd.Timestamp(f.train_last_bar) == bars.index[f.start_bar - 1]
    first_end = rep.folds[0].end
    early = [s for s in rep.result.signals if s.bar_ts <= first_end]
    assert all(s.bar_ts >= rep.folds[0].start for s in rep.result.signals)  # nothing traded before the first block
    # scramble everything after the first block: what was decided inside it cannot change
    later = bars.index > first_end
    noisy = bars.copy()
    noisy.loc[later, ["open", "high", "low", "close"]] = noisy.loc[later, ["open", "high", "low", "close"]].to_numpy()[::-1]
    noisy.loc[later, "high"] = noisy.loc[later, ["open", "high", "low", "close"]].max(axis=1)
    noisy.loc[later, "low"] = noisy.loc[later, ["open", "high", "low", "close"]].min(axis=1)
    other = run_autopilot_replay(noisy, cfg, "ES", model_type="none", folds=2, filter_params=LIGHT)
    other_early = [s for s in other.result.signals if s.bar_ts <= first_end]
    key = lambda s: (s.signal_id, s.decision, s.reason_code, s.quantity, s.scores.filter_probability)  # noqa: E731
    assert early and [key(s) for s in early] == [key(s) for s in other_early]


def test_trade_probability_model_trained_per_fold_scores_every_candidate(tmp_path, es_2023):
    cfg = config(tmp_path, autopilot={"filter_threshold": 0.35})
    rep = run_autopilot_replay(es_2023.iloc[:7000], cfg, "ES", model_type="ppo_cvar", folds=1, rl_steps=2000,
                               filter_params=LIGHT)
    assert rep.model_type == "ppo_cvar" and "trained per fold" in rep.model_note_en
    cands = list(rep.candidate_map.values())
    assert cands and all(c.model_trained for c in cands)
    approved = [c for c in cands if c.filter_probability >= 0.35]
    assert approved and len(approved) < len(cands)
    # the model scores what the filter approved; for the others its number would decide nothing
    assert all(c.model_probability is not None and 0.0 <= c.model_probability <= 1.0 for c in approved)
    assert all(c.model_direction in ("long", "short") for c in approved)
    assert all(c.model_probability is None for c in cands if c.filter_probability < 0.35)


def test_evaluation_puts_the_autopilot_beside_the_baselines(tmp_path, es_2023):
    cfg = config(tmp_path, autopilot={"model_type": "none"})
    bars = es_2023.iloc[:9000]
    rep = run_autopilot_replay(bars, cfg, "ES", model_type="none", folds=2, filter_params=LIGHT)
    ev = evaluate_autopilot(rep, bars, cfg)
    assert [r.key for r in ev.rows] == ["autopilot", "all_candidates", "buy_hold", "ma_cross"]
    everything = ev.row("all_candidates")
    assert everything.trades >= ev.row("autopilot").trades  # the same candidates, none filtered out
    bh = ev.row("buy_hold")
    assert bh.trades >= 1 and bh.contracts_traded >= 1
    # the whole row is the account's change, marked to market at the last close
    assert ev.row("autopilot").net_pnl == rep.result.final_equity - rep.result.starting_balance
    assert ev.replay.lost_money == (rep.result.final_equity < rep.result.starting_balance)


@pytest.fixture()
def small_file(tmp_path):
    """A 6,000-bar slice of the 2023 ES sample, written under tmp_path (never into the repository)."""
    bars = bars_of(ES_2023).iloc[:6000]
    path = tmp_path / "es_slice.csv"
    out = bars[["open", "high", "low", "close", "volume"]].copy()
    out.insert(0, "ts_utc", bars.index.strftime("%Y-%m-%dT%H:%M:%SZ"))
    out.to_csv(path, index=False)
    return path


def test_mia_replay_autopilot_prints_its_verdict_and_saves_it(tmp_path, small_file, capsys, monkeypatch):
    monkeypatch.setenv("MIA_LANGUAGE", "fr")
    code = mia(["--data-dir", str(tmp_path), "replay", str(small_file), "--strategy", "autopilot", "--model-type",
                "none", "--folds", "2", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "pilote automatique ES sur es_slice.csv" in out and "barres/s" in out
    assert ("a PERDU" in out) or ("n'a pas perdu" in out)
    verdict = last_verdict(tmp_path, "ES")
    assert verdict is not None and verdict.source == "es_slice.csv" and verdict.bars == 6000
    assert ("perdu" in verdict.message("fr")) == verdict.lost_money
    assert verdict.message("en").startswith("Warning" if verdict.lost_money else "In replay")


@pytest.mark.parametrize("args,en,fr", [
    (["--folds", "0"], "--folds must be 1..20", "--folds doit valoir"),
    (["--rl-steps", "5"], "--rl-steps must be at least 100", "--rl-steps doit valoir"),
    (["--models", "/nonexistent/models"], "no autopilot models in", "aucun modèle du pilote automatique"),
])
def test_mia_replay_autopilot_refuses_bad_options_in_both_languages(tmp_path, small_file, capsys, args, en, fr):
    code = mia(["--data-dir", str(tmp_path), "replay", str(small_file), "--strategy", "autopilot", "--no-progress",
                *args])
    err = capsys.readouterr().err
    assert code == 2 and en in err and fr in err


def test_mia_replay_autopilot_on_a_corrupt_or_missing_file(tmp_path, capsys):
    missing = mia(["--data-dir", str(tmp_path), "replay", str(tmp_path / "nope.csv"), "--strategy", "autopilot"])
    assert missing == 2 and "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("ts_utc,open,high,low,close,volume\nnot a date,1,2,3,4,5\n")
    code = mia(["--data-dir", str(tmp_path), "replay", str(bad), "--strategy", "autopilot", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "mia replay" in err and "mia replay :" in err


def test_mia_train_autopilot_then_replay_with_those_fixed_models(tmp_path, small_file, capsys):
    assert mia(["--data-dir", str(tmp_path), "train", "--model-type", "autopilot", "--data", str(small_file)]) == 0
    out = capsys.readouterr().out
    models = tmp_path / "checkpoints" / "autopilot" / "ES"
    assert (models / "meta.json").exists() and "labelled candidates" in out
    code = mia(["--data-dir", str(tmp_path), "replay", str(small_file), "--strategy", "autopilot", "--models",
                str(models), "--model-type", "none", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0 and "fixed models" in out
    # the same models on the live engine, bar by bar (the kernel's cross-check), on a shorter slice
    short = tmp_path / "short.csv"
    short.write_text("".join(small_file.read_text().splitlines(keepends=True)[:1001]))
    code = mia(["--data-dir", str(tmp_path), "replay", str(short), "--strategy", "autopilot", "--models",
                str(models), "--model-type", "none", "--engine"])
    out = capsys.readouterr().out
    assert code == 0 and "live engine, bar by bar: 1000 bars" in out


def test_mia_evaluate_autopilot_prints_the_table_in_both_languages(tmp_path, small_file, capsys):
    code = mia(["--data-dir", str(tmp_path), "evaluate", "--autopilot", "--data", str(small_file), "--folds", "2",
                "--model-type", "none", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    for label in ("autopilot", "all candidates (no filter)", "buy & hold, 1 contract", "MA 50/200 cross",
                  "pilote automatique", "tous les candidats (sans filtre)", "achat-conservation"):
        assert label in out
    assert "after commissions and slippage" in out and "après commissions et glissement" in out
    assert np.isfinite(float(last_verdict(tmp_path, "ES").net_pnl))


def test_mia_replay_autopilot_on_the_live_engine_needs_fixed_models(tmp_path, small_file, capsys):
    code = mia(["--data-dir", str(tmp_path), "replay", str(small_file), "--strategy", "autopilot", "--engine"])
    err = capsys.readouterr().err
    assert code == 2 and "--models" in err and "modèles fixes" in err
