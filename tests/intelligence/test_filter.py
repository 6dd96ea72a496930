"""Ensemble filter: skill on a planted signal, none on noise, SHAP additivity, cache, purging, persistence."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trading_core.intelligence.filter import (
    MODEL_NAMES,
    FilterParams,
    MLEnsembleFilter,
    purged_walk_forward_splits,
)
from trading_core.intelligence.types import IntelligenceInputError

FAST = FilterParams(rf_trees=60, xgb_rounds=60)


def _dataset(n: int, planted: bool, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.standard_normal((n, 8)), columns=[f"f{i}" for i in range(8)])
    if planted:
        logit = 1.2 * x["f0"] - 1.0 * x["f1"] + 0.8 * x["f2"] * x["f3"]
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    else:
        y = rng.integers(0, 2, n)
    t0 = np.arange(n) * 10  # signal bars
    t1 = t0 + 40  # outcomes overlap the next 4 signals: purging matters
    return x, np.asarray(y), t0, t1


def test_beats_chance_on_planted_signal() -> None:
    x, y, t0, t1 = _dataset(2400, planted=True)
    rep = MLEnsembleFilter(params=FAST).walk_forward(x, y, t0, t1, n_splits=3, embargo=20)
    assert len(rep.folds) == 3
    assert rep.pooled_auc > 0.6 and rep.mean_auc > 0.6
    for fold in rep.folds:
        for m in MODEL_NAMES:
            assert fold[f"auc_{m}"] > 0.6


def test_no_skill_on_pure_noise() -> None:
    x, y, t0, t1 = _dataset(2400, planted=False, seed=1)
    rep = MLEnsembleFilter(params=FAST).walk_forward(x, y, t0, t1, n_splits=3, embargo=20)
    assert 0.44 < rep.pooled_auc < 0.56


def test_purged_splits_never_train_on_overlapping_outcomes() -> None:
    _, _, t0, t1 = _dataset(500, planted=False)
    splits = purged_walk_forward_splits(t0, t1, n_splits=4, embargo=25)
    assert len(splits) == 4
    for train, test in splits:
        start = t0[test[0]]
        assert t1[train].max() < start - 25
        assert t0[train].max() < start
        assert set(train).isdisjoint(test)
    by_bars = purged_walk_forward_splits(t0, t1, boundaries=[0, 1000, 3000, 5000], min_train=1)
    assert [len(te) for _, te in by_bars] == [200, 200]
    with pytest.raises(IntelligenceInputError, match="sorted"):
        purged_walk_forward_splits(t0[::-1], t1[::-1])


@pytest.fixture(scope="module")
def fitted() -> tuple[MLEnsembleFilter, pd.DataFrame]:
    x, y, _, _ = _dataset(1500, planted=True, seed=4)
    return MLEnsembleFilter(threshold=0.6, params=FAST).fit(x, y, source="test"), x


def test_shap_contributions_sum_to_margin(fitted: tuple[MLEnsembleFilter, pd.DataFrame]) -> None:
    flt, x = fitted
    contrib = flt.shap_values(x.iloc[:300])
    assert contrib.shape == (300, x.shape[1] + 1)
    np.testing.assert_allclose(contrib.sum(axis=1), flt.margin(x.iloc[:300]), rtol=1e-5, atol=1e-5)
    # margin is the XGBoost member's log-odds
    p_xgb = flt.predict_models(x.iloc[:300])["xgboost"]
    np.testing.assert_allclose(1 / (1 + np.exp(-flt.margin(x.iloc[:300]))), p_xgb, rtol=1e-5)
    top = flt.top_features(3)
    assert {f.name for f in top} >= {"f0", "f1"}  # the planted features lead the global ranking
    assert top[0].value >= top[1].value >= top[2].value


def test_score_threshold_cache_and_last_contributions(fitted: tuple[MLEnsembleFilter, pd.DataFrame]) -> None:
    flt, x = fitted
    row = x.iloc[[7]]
    v = flt.score(row)
    assert not v.cached
    assert v.probability == pytest.approx(np.mean(list(v.model_probabilities.values())))
    assert v.approved == (v.probability >= 0.6)
    assert v.probability == pytest.approx(flt.predict_proba(row)[0])
    assert sum(c.value for c in v.contributions) == pytest.approx(v.margin - flt.shap_values(row)[0, -1], abs=1e-5)
    hits = flt.cache_info()["hits"]
    again = flt.score(row.copy())
    assert again.cached and again.probability == v.probability and flt.cache_info()["hits"] == hits + 1
    assert [c.name for c in flt.last_contributions(3)] == [c.name for c in v.contributions[:3]]
    np.testing.assert_array_equal(flt.approve(x.iloc[:50]), flt.predict_proba(x.iloc[:50]) >= 0.6)
    # the single-row fast path of the forest gives sklearn's numbers
    rf = flt.models["random_forest"]
    for i in range(5):
        m = flt._matrix(x.iloc[[i]])
        assert flt._proba("random_forest", m)[0] == pytest.approx(rf.predict_proba(m)[0, 1], abs=1e-12)


def test_missing_values_are_imputed_not_fatal(fitted: tuple[MLEnsembleFilter, pd.DataFrame]) -> None:
    flt, x = fitted
    row = x.iloc[[3]].copy()
    row.iloc[0, 2] = np.nan
    assert 0.0 <= flt.score(row).probability <= 1.0
    with pytest.raises(IntelligenceInputError, match="missing"):
        flt.predict_proba(x.drop(columns=["f3"]))


def test_save_load_gives_identical_predictions(tmp_path: Path, fitted: tuple[MLEnsembleFilter, pd.DataFrame]) -> None:
    flt, x = fitted
    flt.save(tmp_path)
    back = MLEnsembleFilter.load(tmp_path, threshold=0.55)
    np.testing.assert_allclose(back.predict_proba(x.iloc[:100]), flt.predict_proba(x.iloc[:100]), rtol=1e-6)
    np.testing.assert_allclose(back.shap_values(x.iloc[:20]), flt.shap_values(x.iloc[:20]), rtol=1e-5, atol=1e-6)
    assert back.threshold == 0.55 and back.top_features(2) == flt.top_features(2)
    (tmp_path / "xgboost.json").write_text("garbage")
    with pytest.raises(IntelligenceInputError, match="unreadable"):
        MLEnsembleFilter.load(tmp_path)
    with pytest.raises(FileNotFoundError):
        MLEnsembleFilter.load(tmp_path / "none")


def test_bad_training_input() -> None:
    x, y, _, _ = _dataset(100, planted=True)
    with pytest.raises(IntelligenceInputError, match="both outcomes"):
        MLEnsembleFilter().fit(x, np.zeros(100, dtype=int))
    with pytest.raises(IntelligenceInputError, match="length"):
        MLEnsembleFilter().fit(x, y[:50])
    with pytest.raises(IntelligenceInputError, match="threshold"):
        MLEnsembleFilter(threshold=1.5)
    with pytest.raises(IntelligenceInputError, match="not trained"):
        MLEnsembleFilter().predict_proba(x)
