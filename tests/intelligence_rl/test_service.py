"""RLService: ensemble weights, missing / damaged checkpoints, bad input, reports without a state."""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.intelligence_rl.conftest import TINY_ENV, tiny_config
from trading_core.config import ConfigError, MiaConfig, load_config
from trading_core.intelligence.rl import RLInputError, RLService, normalise_weights
from trading_core.intelligence.rl.checkpoints import METADATA_FILE, MODEL_FILE


# ---------------------------------------------------------------------------------- weights (no torch)
def test_weights_are_validated_and_normalised() -> None:
    assert normalise_weights([0.4, 0.3, 0.3]) == pytest.approx((0.4, 0.3, 0.3))
    assert normalise_weights([2, 1, 1]) == (0.5, 0.25, 0.25)
    assert normalise_weights((0, 0, 5)) == (0.0, 0.0, 1.0)
    assert sum(normalise_weights([0.1, 0.2, 0.3])) == pytest.approx(1.0)
    cases = [([0.5, 0.5], "exactly 3"), ([1, -1, 1], "non-negative"), ([0, 0, 0], "all be zero"),
             ([math.nan, 1, 1], "finite"), (["a", 1, 1], "numbers"), ([1, 1, 1, 1], "exactly 3")]
    for bad, fragment in cases:
        with pytest.raises(RLInputError) as e:
            normalise_weights(bad)
        assert fragment in e.value.message_en and e.value.message_fr


def test_service_takes_the_seed_weights_from_config_and_refuses_bad_ones(tmp_path: Path) -> None:
    svc = RLService(MiaConfig(), data_dir=tmp_path)
    assert svc.weights == pytest.approx((0.4, 0.3, 0.3))
    rep = svc.ensemble_weights()
    assert not rep.trained and rep.weights == pytest.approx((0.4, 0.3, 0.3)) and rep.members == ("sac", "ppo", "ddpg")
    assert "mia train --model-type ensemble --market ES" in rep.message_en and "Aucun modèle" in rep.message_fr
    assert RLService(data_dir=tmp_path, weights=[1, 1, 2]).weights == (0.25, 0.25, 0.5)
    with pytest.raises(RLInputError):
        RLService(data_dir=tmp_path, weights=[1, 2])
    with pytest.raises(RLInputError):
        svc.set_ensemble_weights([-0.2, 0.6, 0.6])
    assert svc.weights == pytest.approx((0.4, 0.3, 0.3))  # unchanged after a refusal
    with pytest.raises(ConfigError):
        load_config(env={}, overrides={"intelligence": {"ensemble_weights": [0.5, 0.5, 0.5]}})


def test_untrained_reports_say_so_and_invent_nothing(tmp_path: Path) -> None:
    svc = RLService(data_dir=tmp_path, market="MNQ")
    cv, q, tp = svc.cvar_loss(), svc.qr_quantiles(), svc.trade_probability(model_type="qr_dqn")
    assert not cv.trained and cv.cvar_loss_usd is None and cv.lagrange_multiplier is None
    assert not q.trained and q.quantiles_usd == {} and q.n_quantiles is None
    assert not tp.trained and tp.probability is None and tp.action_probabilities == {}
    assert "mia train --model-type qr_dqn --market MNQ" in tp.message_en
    assert "Pour l'entraîner" in cv.message("fr") and cv.message("en").startswith("No trained")
    assert not svc.is_trained("ppo_cvar")


def test_unknown_market_and_model_type_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RLInputError) as e:
        RLService(data_dir=tmp_path, market="CL")
    assert "marché inconnu" in e.value.message_fr
    svc = RLService(data_dir=tmp_path)
    with pytest.raises(RLInputError):
        svc.trade_probability(model_type="dqn")
    with pytest.raises(RLInputError):
        svc.cvar_loss(market="ZN")


# ---------------------------------------------------------------------------------- with checkpoints
@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, bars: pd.DataFrame) -> Path:
    pytest.importorskip("torch")
    from trading_core.intelligence.rl.train import train

    d = tmp_path_factory.mktemp("svc")
    for mt in ("ppo_cvar", "ensemble"):
        train(mt, "ES", bars=bars, steps=200, seed=2, data_dir=d, algo_config=tiny_config(mt),
              env_overrides=TINY_ENV, progress=False)
    return d


def test_ensemble_report_combines_member_actions_with_the_weights(root: Path, bars: pd.DataFrame) -> None:
    svc = RLService(data_dir=root)
    rep = svc.ensemble_weights(bars=bars.tail(150))
    assert rep.trained and rep.state_source == "bars"
    assert set(rep.member_actions) == {"sac", "ppo", "ddpg"}
    assert all(-1 <= a <= 1 for a in rep.member_actions.values())
    expected = sum(w * rep.member_actions[m] for w, m in zip(rep.weights, rep.members))
    assert rep.combined_action == pytest.approx(expected)
    assert rep.target_position == int(np.rint(expected))
    svc.set_ensemble_weights([0, 0, 1])
    only_ddpg = svc.ensemble_weights()  # last state reused
    assert only_ddpg.state_source == "last_state" and only_ddpg.weights == (0.0, 0.0, 1.0)
    assert only_ddpg.combined_action == pytest.approx(only_ddpg.member_actions["ddpg"])
    tp = svc.trade_probability(model_type="ensemble")
    assert tp.trained and sum(tp.action_probabilities.values()) == pytest.approx(1.0)
    assert "SAC" in rep.message_en and "poids" in rep.message_fr


def test_reports_without_a_market_state_explain_what_is_missing(root: Path) -> None:
    svc = RLService(data_dir=root)
    assert svc.warm_up() == ("ppo_cvar", "ensemble")
    assert svc.is_trained("ensemble") and not svc.is_trained("qr_dqn")
    tp = svc.trade_probability()
    assert tp.trained and tp.probability is None and "121 recent" in tp.message_en and "barres" in tp.message_fr
    ens = svc.ensemble_weights()
    assert ens.trained and ens.member_actions == {} and ens.weights


def test_a_bars_source_supplies_the_current_state(root: Path, bars: pd.DataFrame) -> None:
    from datetime import timedelta

    from trading_core.types import Bar

    t0 = bars.index[-150].to_pydatetime()
    engine_bars = [Bar("ES", t0 + timedelta(minutes=i), *map(float, r[:4]), int(r[4]))
                   for i, r in enumerate(bars.tail(150).to_numpy())]
    asked: list[str] = []

    def source(market: str) -> list[Bar]:
        asked.append(market)
        return engine_bars

    svc = RLService(data_dir=root, bars_source=source)
    via_source = svc.ensemble_weights()
    direct = RLService(data_dir=root).ensemble_weights(bars=bars.tail(150))
    assert asked == ["ES"] and via_source.state_source == "bars_source"
    assert via_source.member_actions == direct.member_actions
    for too_few in ([], engine_bars[:100]):  # just after start-up: no state yet, not an error
        early = RLService(data_dir=root, bars_source=lambda m, b=too_few: b).trade_probability()
        assert early.trained and early.probability is None and early.state_source is None


def test_bad_observations_and_too_few_bars_are_refused(root: Path, bars: pd.DataFrame) -> None:
    svc = RLService(data_dir=root)
    with pytest.raises(RLInputError) as e:
        svc.trade_probability(obs=[0.0] * 3)
    assert "11" in e.value.message_en and "observation" in e.value.message_fr
    with pytest.raises(RLInputError):
        svc.trade_probability(obs=[math.nan] * 11)
    with pytest.raises(RLInputError) as e:
        svc.trade_probability(bars=bars.tail(50))
    assert "121" in e.value.message_en
    ok = svc.trade_probability(obs=np.zeros(11))
    assert ok.trained and ok.state_source == "observation"


def test_damaged_checkpoints_are_reported_not_used(root: Path, tmp_path: Path, bars: pd.DataFrame) -> None:
    for mt in ("ppo_cvar", "ensemble"):
        shutil.copytree(root / "checkpoints" / mt, tmp_path / "checkpoints" / mt)
    ppo_dir = tmp_path / "checkpoints" / "ppo_cvar" / "ES"
    ens_dir = tmp_path / "checkpoints" / "ensemble" / "ES"
    good_weights = (ens_dir / MODEL_FILE).read_bytes()
    (ens_dir / MODEL_FILE).write_bytes(good_weights[: len(good_weights) // 2])  # truncated weights
    (ppo_dir / METADATA_FILE).write_text("{not json", encoding="utf-8")
    svc = RLService(data_dir=tmp_path)
    cv = svc.cvar_loss()
    assert not cv.trained and "cannot be used" in cv.message_en and "inutilisable" in cv.message_fr
    ens = svc.trade_probability(bars=bars.tail(150), model_type="ensemble")
    assert not ens.trained and "does not match its metadata" in ens.message_en
    # A newer checkpoint version is refused by name, and the files are left in place (no data lost).
    meta = json.loads((root / "checkpoints" / "ensemble" / "ES" / METADATA_FILE).read_text())
    (ens_dir / MODEL_FILE).write_bytes(good_weights)
    (ens_dir / METADATA_FILE).write_text(json.dumps({**meta, "version": 99}), encoding="utf-8")
    rep = svc.ensemble_weights(bars=bars.tail(150))
    assert not rep.trained and "version 99" in rep.message_en
    assert (ens_dir / MODEL_FILE).read_bytes() == good_weights
