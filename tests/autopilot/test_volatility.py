"""The LSTM next-day VIX forecast: walk-forward record against the naive forecast, checkpoint, figure, query, gate."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from assistant.cli import main as mia
from trading_core.autopilot.volatility import (
    ForecastService,
    VixForecaster,
    VolatilityGate,
    VolatilityInputError,
    checkpoint_path,
    diebold_mariano,
    features,
    load_daily,
    train_vix_model,
)

from .conftest import DAILY, config


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    if not DAILY.exists():
        pytest.skip("shared daily data not available")
    root = tmp_path_factory.mktemp("vix")
    cfg = config(root, autopilot={"daily_data_dir": str(DAILY)})
    # trained on the years up to 2017 only, so that 2018-2019 are days it never saw
    result = train_vix_model(cfg, epochs=2, test_years=[2016, 2017], progress=False, seed=3,
                             daily=load_daily(DAILY).loc[:"2017"])
    return cfg, result


def test_walk_forward_scores_the_model_and_the_naive_forecast_on_later_years(trained):
    cfg, r = trained
    assert [f.year for f in r.folds] == [2016, 2017]
    daily = load_daily(DAILY)
    for f in r.folds:
        v = daily["vix"].dropna()
        days = r.oos[r.oos.index.year == f.year]
        # the naive forecast is today's close; its error is the next close minus today's
        nxt = v.shift(-1).reindex(days.index)
        assert np.allclose(days["naive"], v.reindex(days.index)) and np.allclose(days["next_vix"], nxt)
        assert f.rmse_naive == pytest.approx(float(np.sqrt(np.mean((days["naive"] - nxt) ** 2))))
        assert f.days == len(days) > 200
    assert np.isfinite([r.rmse_model, r.mae_model, r.rmse_naive, r.mae_naive]).all()
    better = r.rmse_model < r.rmse_naive and r.mae_model < r.mae_naive and r.dm_p < 0.05
    assert r.beats_baseline == better
    assert r.trained_until == "2017-12-28"  # the final model saw every day it was given, up to the last target


def test_checkpoint_and_figure_are_written_like_the_others(trained):
    cfg, r = trained
    path = checkpoint_path(cfg)
    assert (path / "model.pt").exists() and (path / "metadata.json").exists()
    assert r.figure is not None and r.figure.name == "prediction_vix.png" and r.figure.stat().st_size > 10_000
    assert r.figure.parent == cfg.data_path / "figures" / "ES"
    model = VixForecaster(path)
    assert model.record["rmse_naive"] == pytest.approx(r.rmse_naive)
    preds = model.predict_series(load_daily(DAILY).loc["2017"])
    assert len(preds) > 200 and np.isfinite(preds).all() and (preds > 5).all()


async def test_the_engine_answers_the_volatility_question_with_typed_data(trained, tmp_path):
    cfg, r = trained
    from trading_core.api import Engine
    from trading_core.broker.paper import PaperBroker
    from trading_core.instruments import get_instrument
    from trading_core.ledger import Ledger

    engine = Engine(cfg, PaperBroker(get_instrument), ledger=Ledger(":memory:"))
    f = await engine.volatility_forecast()
    assert f.trained and f.predicted_vix is not None and f.for_date > f.as_of
    assert f.rmse_model == pytest.approx(r.rmse_model) and f.rmse_naive == pytest.approx(r.rmse_naive)
    assert f.beats_baseline == r.beats_baseline and f.used_for_sizing == r.beats_baseline
    assert "Predicted VIX" in f.message_en and "VIX prévu" in f.message_fr
    assert ("did not beat" in f.message_en) != r.beats_baseline
    assert f.dm_p is not None and 0 <= f.dm_p <= 1 and f.test_years >= 1
    engine.close()


def test_without_a_model_the_answer_says_how_to_train(tmp_path):
    f = ForecastService(config(tmp_path)).forecast()
    assert not f.trained and f.predicted_vix is None
    assert "mia train --model-type lstm_vix" in f.message_en and "Pour l'entraîner" in f.message_fr


def test_the_gate_sizes_only_with_a_model_that_beat_the_baseline_and_never_on_training_days(trained):
    cfg, _ = trained
    gate = VolatilityGate.from_config(cfg)
    assert gate.model is not None
    gate.model.beats_baseline = False
    assert not gate.usable and gate.factor(datetime(2018, 3, 5, 15, tzinfo=timezone.utc)) == 1.0
    gate.model.beats_baseline = True  # as a model that did beat it: the factor applies from then on
    assert gate.usable
    inside = gate.factor(datetime(2017, 3, 7, 15, tzinfo=timezone.utc))
    assert inside == 1.0  # a day the model was trained on: no look-ahead
    values = [gate.factor(datetime(2018, m, 12, 15, tzinfo=timezone.utc)) for m in range(2, 13)]
    assert all(0.5 <= v <= 1.0 for v in values) and any(v < 1.0 for v in values)
    assert gate.factor(datetime(2024, 5, 7, 15, tzinfo=timezone.utc)) == 1.0  # no S&P data then


def test_es_minute_bars_extend_the_sp_series(trained, es_2023):
    cfg, _ = trained
    gate = VolatilityGate.from_config(cfg)
    gate.model.beats_baseline = True
    day = datetime(2023, 10, 6, 15, tzinfo=timezone.utc)
    assert gate.factor(day) == 1.0  # the S&P series ends in 2019
    gate.extend_with_bars(es_2023)
    assert 0.5 <= gate.factor(day) <= 1.0
    assert gate.daily["spx"].dropna().index[-1] >= pd.Timestamp("2023-10-06")


def test_diebold_mariano_is_one_sided():
    rng = np.random.default_rng(0)
    e = rng.normal(size=500)
    assert diebold_mariano(e, e)[1] == 1.0
    stat, p = diebold_mariano(e, 0.5 * e)
    assert stat > 0 and p < 1e-6
    assert diebold_mariano(0.5 * e, e)[1] > 0.99


def test_features_use_only_the_past_and_the_target_is_tomorrow(trained):
    daily = load_daily(DAILY).loc["2015":"2016"]
    x, y = features(daily)
    x2, _ = features(daily.iloc[:300])
    pd.testing.assert_frame_equal(x.iloc[:300], x2)
    v = np.log(daily.dropna()["vix"])
    assert np.allclose(y.iloc[:-1], (v.shift(-1) - v).iloc[:-1])


def test_training_refuses_missing_data_in_both_languages(tmp_path, capsys, monkeypatch):
    with pytest.raises(VolatilityInputError) as err:
        train_vix_model(config(tmp_path, autopilot={"daily_data_dir": str(tmp_path / "none")}), progress=False)
    assert "not found" in err.value.message_en and "introuvable" in err.value.message_fr
    monkeypatch.setenv("MIA_AUTOPILOT__DAILY_DATA_DIR", str(tmp_path / "none"))
    code = mia(["--data-dir", str(tmp_path), "train", "--model-type", "lstm_vix", "--no-progress"])
    err_text = capsys.readouterr().err
    assert code == 2 and "VIX file not found" in err_text and "fichier VIX introuvable" in err_text
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "vix_1d_1990-2026_cboe.csv").write_text("when,level\nyesterday,high\n")
    monkeypatch.setenv("MIA_AUTOPILOT__DAILY_DATA_DIR", str(bad))
    assert mia(["--data-dir", str(tmp_path), "train", "--model-type", "lstm_vix", "--no-progress"]) == 2
    assert "unreadable" in capsys.readouterr().err


def test_the_autopilot_sizes_with_the_forecast_only_when_it_beat_the_baseline(trained, tmp_path, bundle, no_model, es_2025):
    from trading_core.autopilot.controller import load_volatility_gate
    from trading_core.autopilot.replay import run_autopilot_replay

    cfg, r = trained
    assert (load_volatility_gate(cfg, cfg.data_path) is None) == (not r.beats_baseline)
    gate = VolatilityGate.from_config(cfg)
    gate.model.beats_baseline = True  # as a model that did beat it
    gate.extend_with_bars(es_2025)  # ES daily closes continue the S&P series in 2025
    run_cfg = config(tmp_path, autopilot={"filter_threshold": 0.0, "reward_risk": 3.0})
    bars = es_2025.iloc[:6000]
    plain = run_autopilot_replay(bars, run_cfg, "ES", bundle=bundle, trade_model=no_model).result
    sized = run_autopilot_replay(bars, run_cfg, "ES", bundle=bundle, trade_model=no_model,
                                 volatility_factor=gate.factor).result
    factors = [s.scores.volatility_factor for s in sized.signals]
    assert all(0.5 <= f <= 1.0 for f in factors) and any(f < 1.0 for f in factors)
    assert all(s.scores.volatility_factor == 1.0 for s in plain.signals)
    first = next(s for s in sized.signals if s.quantity and s.scores.volatility_factor < 1.0)
    same = next(s for s in plain.signals if s.signal_id == first.signal_id)
    assert first.quantity <= same.quantity and first.scores.risk_fraction == pytest.approx(
        same.scores.risk_fraction * first.scores.volatility_factor, rel=1e-9)


def test_the_training_report_in_both_languages(trained):
    from trading_core.autopilot.volatility import format_training

    _, r = trained
    en, fr = format_training(r, "en"), format_training(r, "fr")
    assert "RMSE LSTM" in en and "Diebold-Mariano" in en and ("BEATS" in en) == r.beats_baseline
    assert "RMSE naïf" in fr and "Diebold-Mariano" in fr and ("NE BAT PAS" in fr) != r.beats_baseline
    assert f"{r.folds[0].rmse_naive:.3f}".replace(".", ",") in fr
