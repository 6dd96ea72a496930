"""IntelligenceService: lazy training and checkpoints, online regime, SHAP, signal quality, bad inputs."""
from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.intelligence.synthetic import regime_switching_bars
from trading_core.config import load_config
from trading_core.intelligence.features import compute_features
from trading_core.intelligence.filter import FilterParams
from trading_core.intelligence.service import IntelligenceService
from trading_core.intelligence.signals import MODEL_FEATURES
from trading_core.intelligence.types import REGIMES, IntelligenceInputError, RegimeInfo, SignalQuality
from trading_core.types import Bar, Side

FAST = FilterParams(rf_trees=40, xgb_rounds=40)
HISTORY = regime_switching_bars(6000, seed=3)
LIVE = regime_switching_bars(1000, seed=9)


def _bars(df: pd.DataFrame, symbol: str = "ES") -> list[Bar]:
    return [Bar(symbol, ts.to_pydatetime(), r.open, r.high, r.low, r.close, int(r.volume))
            for ts, r in df.iterrows()]


def _service(data_dir: Path, **kw: object) -> IntelligenceService:
    return IntelligenceService(load_config(), data_dir=data_dir, history=lambda symbol: HISTORY,
                               filter_params=FAST, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("intel")


@pytest.fixture(scope="module")
def live_service(data_dir: Path) -> IntelligenceService:
    svc = _service(data_dir)
    before = svc.regime("ES")  # trains lazily and saves checkpoints
    assert before.regime == "unknown" and before.bars_seen == 0
    for b in _bars(LIVE):
        svc.on_bar(b)  # models loaded: one forward-filter step per bar
    return svc


def test_lazy_training_writes_checkpoints(data_dir: Path, live_service: IntelligenceService) -> None:
    assert (data_dir / "checkpoints" / "regime" / "ES" / "hmm.json").is_file()
    for name in ("meta.json", "xgboost.json", "random_forest.joblib", "logistic_regression.joblib"):
        assert (data_dir / "checkpoints" / "filter" / "ES" / name).is_file()
    info = live_service.regime("ES")
    assert info.model_source == "trained:history"


def test_online_regime_matches_batch_catch_up(data_dir: Path, live_service: IntelligenceService) -> None:
    online = live_service.regime("ES")
    assert isinstance(online, RegimeInfo) and online.regime in REGIMES
    assert online.bars_seen == len(LIVE) and online.ts == LIVE.index[-1].to_pydatetime()
    assert list(online.distribution) == list(REGIMES)
    assert sum(online.distribution.values()) == pytest.approx(1.0)
    assert online.probability == max(online.distribution.values())
    later = _service(data_dir)  # loads the checkpoint; bars arrive before the models
    for b in _bars(LIVE):
        later.on_bar(b)
    batch = later.regime("ES")
    assert batch.model_source == "checkpoint"
    for r in REGIMES:
        assert batch.distribution[r] == pytest.approx(online.distribution[r], abs=1e-6)
    # and the regime follows the planted regimes of the live bars most of the time
    det = later._ensure_models("ES").regime
    named = det.filter(compute_features(LIVE))["regime"].to_numpy()[60:]
    assert (named == LIVE["regime"].to_numpy()[60:]).mean() > 0.7
    assert online.name("fr") and online.name("en") != online.name("fr")


def test_top_features_and_shap(live_service: IntelligenceService) -> None:
    top = live_service.top_features(5)
    assert len(top) == 5 and all(a.value >= b.value for a, b in zip(top, top[1:]))
    assert {f.name for f in top} <= set(MODEL_FEATURES)
    with pytest.raises(IntelligenceInputError):
        live_service.top_features(0)


def test_signal_quality_from_live_bars_mapping_and_frame(live_service: IntelligenceService) -> None:
    q = live_service.signal_quality()  # the buffered live bars, side from the confluence
    assert isinstance(q, SignalQuality) and q.symbol == "ES" and q.side in ("BUY", "SELL")
    assert 0.0 <= q.probability <= 1.0 and q.threshold == 0.6 and q.approved == (q.probability >= 0.6)
    assert set(q.model_probabilities) == {"random_forest", "xgboost", "logistic_regression"}
    assert q.probability == pytest.approx(np.mean(list(q.model_probabilities.values())))
    assert len(q.top_features) == 5 and q.regime is not None and q.position_factor in (0.7, 1.3, 1.1, 1.0, 1.05)
    assert q.ts == LIVE.index[-1].to_pydatetime()
    assert live_service.last_signal_features(5) == list(q.top_features)
    raw = compute_features(LIVE).iloc[-1].to_dict()
    sell = live_service.signal_quality({**raw, "side": "SELL"})
    buy = live_service.signal_quality(raw, side=Side.BUY)
    assert sell.side == "SELL" and buy.side == "BUY"
    assert sell.features["ret_5"] == pytest.approx(-buy.features["ret_5"])  # oriented by side
    again = live_service.signal_quality(raw, side=Side.BUY)
    assert again.cached and again.probability == buy.probability
    from_frame = live_service.signal_quality(LIVE, side="buy")
    assert from_frame.probability == pytest.approx(buy.probability)
    oriented = live_service.signal_quality(buy.features)
    assert oriented.probability == pytest.approx(buy.probability)


def test_signal_quality_bad_inputs(live_service: IntelligenceService, data_dir: Path) -> None:
    raw = compute_features(LIVE).iloc[-1].to_dict()
    with pytest.raises(IntelligenceInputError, match="side"):
        live_service.signal_quality(raw, side="sideways")
    with pytest.raises(IntelligenceInputError, match="lack"):
        live_service.signal_quality({"ret_1": 0.001}, side=1)
    with pytest.raises(IntelligenceInputError, match="numbers"):
        live_service.signal_quality({**raw, "ret_1": "abc"}, side=1)
    with pytest.raises(IntelligenceInputError, match="unknown symbol"):
        live_service.signal_quality(raw, symbol="CL", side=1)
    with pytest.raises(IntelligenceInputError, match="more than 390"):
        live_service.signal_quality(LIVE.iloc[:100], side=1)
    fresh = _service(data_dir)
    with pytest.raises(IntelligenceInputError, match="not enough"):
        fresh.signal_quality(symbol="MNQ")


def test_bad_bars_are_refused_and_not_stored(data_dir: Path) -> None:
    svc = _service(data_dir)
    good = _bars(LIVE.iloc[:3])
    for b in good:
        svc.on_bar(b)
    last = good[-1]
    bad = [
        Bar("ES", last.ts + timedelta(minutes=1), last.open, last.low - 1, last.low, last.close, 10),  # high < low
        Bar("ES", last.ts + timedelta(minutes=1), float("nan"), last.high, last.low, last.close, 10),
        Bar("ES", last.ts, last.open, last.high, last.low, last.close, 10),  # duplicate time
        Bar("ES", last.ts - timedelta(minutes=5), last.open, last.high, last.low, last.close, 10),
        Bar("ES", (last.ts + timedelta(minutes=1)).replace(tzinfo=None), last.open, last.high, last.low, last.close, 1),
        Bar("CL", last.ts + timedelta(minutes=1), last.open, last.high, last.low, last.close, 10),
    ]
    for b in bad:
        with pytest.raises(IntelligenceInputError) as exc:
            svc.on_bar(b)
        assert exc.value.message_fr
    with pytest.raises(IntelligenceInputError, match="takes a Bar"):
        svc.on_bar({"close": 1})  # type: ignore[arg-type]
    st = svc._state("ES")
    assert st.bars_seen == 3 and len(st.bars) == 3 and st.last_ts == last.ts
    svc.on_bar(Bar("ES", last.ts + timedelta(minutes=1), last.close, last.close, last.close, last.close, 0))
    assert svc._state("ES").bars_seen == 4


def test_unreadable_checkpoint_is_kept_aside_and_retrained(tmp_path: Path, data_dir: Path,
                                                          live_service: IntelligenceService) -> None:
    shutil.copytree(data_dir / "checkpoints", tmp_path / "checkpoints")
    (tmp_path / "checkpoints" / "filter" / "ES" / "meta.json").write_text("{broken")
    again = _service(tmp_path)
    assert again.regime("ES").model_source == "trained:history"
    aside = [p.name for p in (tmp_path / "checkpoints" / "filter").iterdir()]
    assert any(n.startswith("ES.unreadable-") for n in aside)
    assert (tmp_path / "checkpoints" / "filter" / "ES" / "meta.json").is_file()


def test_default_bootstrap_uses_the_synthetic_market(tmp_path: Path) -> None:
    svc = IntelligenceService(load_config(), data_dir=tmp_path, bootstrap_bars=6_000, filter_params=FAST)
    info = svc.regime("MNQ")
    assert info.model_source.startswith("trained:synthetic(seed 42")
    paths = svc.write_figures("MNQ")
    assert [p.name for p in paths] == ["shap_MNQ.png"]  # no live bars yet: no regime chart


def test_retrain_replaces_models_and_refilters(tmp_path: Path, data_dir: Path,
                                               live_service: IntelligenceService) -> None:
    shutil.copytree(data_dir / "checkpoints", tmp_path / "checkpoints")
    svc = _service(tmp_path)
    for b in _bars(LIVE.iloc[:500]):
        svc.on_bar(b)
    svc.retrain("ES", regime_switching_bars(5000, seed=17), source="file")
    info = svc.regime("ES")
    assert info.model_source == "trained:file" and info.bars_seen == 500 and info.regime in REGIMES
    assert "file" in (tmp_path / "checkpoints" / "regime" / "ES" / "hmm.json").read_text()


def test_csv_feed_bootstraps_from_the_configured_file(tmp_path: Path) -> None:
    from tests.intelligence.conftest import ES_2023

    if not ES_2023.exists():
        pytest.skip("shared market data not available")
    cfg = load_config(overrides={"feed": {"kind": "csv", "csv_path": str(ES_2023)}})
    svc = IntelligenceService(cfg, data_dir=tmp_path, filter_params=FAST)
    assert svc.top_features(3)[0].value > 0
    assert svc.regime("ES").model_source == f"trained:csv:{ES_2023.name}"
