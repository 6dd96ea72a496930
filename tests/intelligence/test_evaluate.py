"""Walk-forward evaluation on a real ES file, the `mia evaluate` command and the figures."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from tests.intelligence.conftest import ES_2023
from trading_core.config import load_config
from trading_core.intelligence.cli import register, run_evaluate
from trading_core.intelligence.evaluate import EvaluationSettings, evaluate_file, format_report
from trading_core.intelligence.figures import advanced_figure, advanced_figure_from_reports, write_evaluation_figures
from trading_core.intelligence.filter import FilterParams
from trading_core.intelligence.types import IntelligenceInputError

FAST = EvaluationSettings(n_folds=2, filter_params=FilterParams(rf_trees=40, xgb_rounds=40), hmm_max_fit_bars=8000)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    if not ES_2023.exists():
        pytest.skip("shared market data not available")
    return evaluate_file(ES_2023, FAST)


def test_evaluation_on_real_es_file(report, es_2023) -> None:  # type: ignore[no-untyped-def]
    assert report.n_bars == 15_176 and report.market == "ES"
    assert set(report.strategies) == {"ml_filter", "unfiltered", "buy_hold", "ma_cross"}
    assert len(report.folds) == 2 and all(f.train_signals >= 100 for f in report.folds)
    assert report.folds[0].test_start == report.oos_start
    assert report.oos_signals > 100 and 0 <= report.oos_approved <= report.oos_signals
    assert 0.0 < report.oos_auc < 1.0
    bh = report.strategies["buy_hold"]
    assert bh.trades == 1 and len(bh.equity) == report.oos_bars
    # buy-and-hold P&L: (last close - first OOS open - 2 ticks) * 50 - 2 commissions
    first = report.oos_start_idx
    expected = (es_2023["close"].iloc[-1] - es_2023["open"].iloc[first] - 2 * 0.25) * 50 - 2 * 2.25
    assert bh.net_pnl == pytest.approx(expected)
    for name, res in report.strategies.items():
        assert res.net_pnl == pytest.approx(res.equity[-1] if len(res.equity) else 0.0), name
        assert res.max_drawdown >= 0
        if res.trades:
            assert res.net_pnl == pytest.approx(res.trade_pnls.sum(), abs=1e-6), name
    # the filter takes a subset of the signals
    assert report.strategies["ml_filter"].trades <= report.strategies["unfiltered"].trades
    assert report.regime_probs is not None and len(report.regime_probs) == report.n_bars
    assert first > 390
    text = format_report(report)
    for needle in ("ML filter", "buy & hold", "MA 50/200", "Sharpe", "max DD", "hors échantillon", "AUC"):
        assert needle in text
    assert len(report.top_features) == 10


def test_figures_are_written(tmp_path: Path, report) -> None:  # type: ignore[no-untyped-def]
    paths = write_evaluation_figures(report, tmp_path, tag="t")
    assert sorted(p.name for p in paths) == ["performance_t.png", "regime_t.png", "shap_t.png"]
    for p in paths:
        assert p.read_bytes()[:8] == PNG and p.stat().st_size > 20_000
    adv = advanced_figure(tmp_path / "advanced_t.png", cvar_loss=412.5,
                          cvar_history=[(1000, 600.0, 0.1), (2000, 480.0, 0.3), (3000, 430.0, 0.2)],
                          quantiles={"long": np.linspace(-300, 400, 51), "short": np.linspace(-350, 250, 51)},
                          ensemble_weights={"sac": 0.4, "ppo": 0.3, "ddpg": 0.3})
    empty = advanced_figure(tmp_path / "advanced_empty.png")
    assert adv.read_bytes()[:8] == PNG and empty.read_bytes()[:8] == PNG
    from trading_core.intelligence.rl.types import CvarReport, EnsembleWeightsReport, QuantileReport

    rep = advanced_figure_from_reports(
        tmp_path / "advanced_reports.png",
        cvar=CvarReport(True, "ES", "ok", "ok", alpha=0.05, cvar_loss_usd=300.0, history=((10, 350.0, 0.1),)),
        quantiles=QuantileReport(False, "ES", "not trained", "non entraîné"),
        weights=EnsembleWeightsReport(True, "ES", "ok", "ok", weights=(0.4, 0.3, 0.3)),
    )
    assert rep.read_bytes()[:8] == PNG


def test_cli_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="mia")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    cfg = load_config(overrides={"data_dir": str(tmp_path)})
    args = parser.parse_args(["evaluate", "--data", str(tmp_path / "missing.csv.gz"), "--no-progress"])
    assert args.func(args, cfg) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "introuvable" in err
    with pytest.raises(SystemExit):
        parser.parse_args(["evaluate", "--data", "x", "--threshold", "1.7"])
    short = tmp_path / "short.csv"
    short.write_text("ts_utc,open,high,low,close,volume\n2024-01-02T14:30:00Z,1,1,1,1,1\n")
    args = parser.parse_args(["evaluate", "--data", str(short), "--no-progress"])
    assert run_evaluate(args, cfg) == 2
    assert "too short" in capsys.readouterr().err


def test_settings_are_checked() -> None:
    with pytest.raises(IntelligenceInputError):
        EvaluationSettings(n_folds=0)
    with pytest.raises(IntelligenceInputError):
        EvaluationSettings(threshold=2.0)
