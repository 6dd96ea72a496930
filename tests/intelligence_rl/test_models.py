"""Tiny training runs of every model type: they finish, save, reload with identical outputs, and the
same seed gives the same weights."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from tests.intelligence_rl.conftest import TINY_ENV, tiny_config  # noqa: E402
from trading_core.intelligence.rl import RLService  # noqa: E402
from trading_core.intelligence.rl.checkpoints import METADATA_FILE, MODEL_FILE, read_metadata  # noqa: E402
from trading_core.intelligence.rl.train import train_agent  # noqa: E402

MODEL_TYPES = ("ppo_cvar", "qr_dqn", "ensemble")
STEPS = 300


def _train(model_type: str, data_dir: Path, bars: pd.DataFrame, seed: int = 5) -> tuple[Any, Any]:
    return train_agent(model_type, "ES", bars=bars, steps=STEPS, seed=seed, data_dir=data_dir,
                       algo_config=tiny_config(model_type), env_overrides=TINY_ENV, progress=False)


def _flat_state(agent: Any) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(f"{prefix}.{k}", v)
        else:
            out[prefix] = torch.as_tensor(node)

    walk("", agent.state_dict())
    return out


def _outputs(model_type: str, agent: Any, obs: np.ndarray) -> list[np.ndarray]:
    if model_type == "ppo_cvar":
        return [agent.target_probs(obs), agent.value(obs), agent.targets(obs)]
    if model_type == "qr_dqn":
        return [agent.quantiles(obs), agent.targets(obs)]
    acts = agent.member_actions(obs)
    return [acts["sac"], acts["ppo"], acts["ddpg"], agent.action_distribution(obs), agent.targets(obs)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, bars: pd.DataFrame) -> dict[str, tuple[Any, Any, Path]]:
    root = tmp_path_factory.mktemp("rl")
    return {mt: (*_train(mt, root, bars), root) for mt in MODEL_TYPES}


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_tiny_run_saves_and_reloads_with_identical_outputs(model_type: str, trained: dict) -> None:
    result, agent, root = trained[model_type]
    ckpt = Path(result.checkpoint_dir)
    assert ckpt == root / "checkpoints" / model_type / "ES"
    assert (ckpt / MODEL_FILE).is_file() and (ckpt / METADATA_FILE).is_file()
    meta = read_metadata(ckpt)
    assert meta["model_type"] == model_type and meta["seed"] == 5 and meta["steps"] == STEPS
    assert meta["env_steps"] >= STEPS and len(meta["normalisation"]["mean"]) == meta["obs_dim"] - 2
    assert meta["env"]["episode_bars"] == TINY_ENV["episode_bars"] and meta["version"] == 1

    loaded = RLService(data_dir=root).load(model_type, "ES")
    obs = np.random.default_rng(0).standard_normal((16, meta["obs_dim"])).astype(np.float32)
    for before, after in zip(_outputs(model_type, agent, obs), _outputs(model_type, loaded.agent, obs)):
        assert np.array_equal(before, after)


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_same_seed_gives_the_same_weights(model_type: str, trained: dict, bars: pd.DataFrame,
                                          tmp_path: Path) -> None:
    _, agent, _ = trained[model_type]
    _, again = _train(model_type, tmp_path, bars, seed=5)
    a, b = _flat_state(agent), _flat_state(again)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_different_seed_gives_different_weights(trained: dict, bars: pd.DataFrame, tmp_path: Path) -> None:
    _, agent, _ = trained["ppo_cvar"]
    _, other = _train("ppo_cvar", tmp_path, bars, seed=6)
    a, b = _flat_state(agent), _flat_state(other)
    assert any(not torch.equal(a[k], b[k]) for k in a)


def test_reports_after_training(trained: dict, bars: pd.DataFrame) -> None:
    root = trained["ppo_cvar"][2]
    svc = RLService(data_dir=root)
    cv = svc.cvar_loss()
    assert cv.trained and cv.alpha == 0.1 and cv.episodes >= 1
    assert cv.cvar_loss_usd >= cv.var_loss_usd
    assert cv.lagrange_multiplier is not None and 0 <= cv.lagrange_multiplier <= 10
    assert cv.cvar_limit_usd > 0 and "CVaR" in cv.message_en and "CVaR" in cv.message_fr
    assert cv.history and all(len(h) == 3 for h in cv.history)

    recent = bars.tail(200)
    q = svc.qr_quantiles(bars=recent)
    assert q.trained and q.n_quantiles == 11 and q.actions == ("short", "flat", "long")
    for a in q.actions:
        assert len(q.quantiles_usd[a]) == 11 and list(q.quantiles_usd[a]) == sorted(q.quantiles_usd[a])
        assert 0 <= q.prob_positive[a] <= 1
    assert q.state_source == "bars" and q.greedy_action in q.actions

    for mt in MODEL_TYPES:
        tp = svc.trade_probability(model_type=mt)  # reuses the bars given above
        assert tp.trained and tp.state_source == "last_state"
        assert 0 <= tp.probability <= 1 and tp.direction in ("long", "short")
        assert tp.probability == (tp.probability_long if tp.direction == "long" else tp.probability_short)
        assert sum(tp.action_probabilities.values()) == pytest.approx(1.0)
        assert tp.recommended_action in ("short", "flat", "long") and tp.method
        assert tp.held_out_trades is not None and tp.base_win_rate is None or 0 <= tp.base_win_rate <= 1
        assert (tp.model_probability is not None) == (mt == "qr_dqn")
    # The position the engine holds changes the state the model sees.
    flat = svc.trade_probability(model_type="ppo_cvar")
    held = svc.trade_probability(model_type="ppo_cvar", position=1, unrealised_usd=300.0)
    assert flat.action_probabilities != held.action_probabilities

    run = svc.run_policy(recent, model_type="qr_dqn")
    assert run.positions.shape == (200,) and set(np.unique(run.positions)) <= {-1, 0, 1}
    assert (run.positions[:120] == 0).all()
    # Every change of position pays 14.75 USD per contract (the last bar has no decision).
    moved = np.abs(np.diff(np.r_[0, run.positions[:-1]])).sum()
    assert run.cost_usd.sum() == pytest.approx(moved * 14.75)
