"""Candidates: windows, prefix-exact tables, thresholds from the config; config validation."""
from __future__ import annotations

import numpy as np
import pytest

from trading_core.autopilot.scoring import window_bounds, window_start, window_table
from trading_core.config import ConfigError, load_config

from .conftest import config


@pytest.mark.parametrize("n,cap", [(100, 40), (40, 40), (41, 40), (1000, 41), (5, 800)])
def test_window_bounds_cover_every_bar_once_from_the_live_window_start(n, cap):
    covered = []
    for start, first, end in window_bounds(n, cap):
        assert end - start <= cap
        for t in range(first, end):
            assert window_start(t + 1, cap) == start
            covered.append(t)
    assert covered == list(range(n))


def test_window_table_rows_only_depend_on_earlier_bars(tmp_path, es_2023):
    """The live autopilot reads the last row of a shorter window: it must equal the replay's row."""
    cfg = config(tmp_path)
    full = window_table(es_2023.iloc[:1500], cfg, 0.25)
    for end in (700, 1111, 1500):
        part = window_table(es_2023.iloc[:end], cfg, 0.25)
        np.testing.assert_array_equal(part.score, full.score[:end])
        np.testing.assert_array_equal(part.confidence, full.confidence[:end])
        np.testing.assert_array_equal(part.candidate, full.candidate[:end])
        np.testing.assert_array_equal(part.stop_points, full.stop_points[:end])


def test_candidates_follow_the_configured_thresholds(tmp_path, es_2023):
    bars = es_2023.iloc[:4000]
    base = window_table(bars, config(tmp_path), 0.25)
    idx = np.flatnonzero(base.candidate)
    assert idx.size > 10 and idx.min() >= 389  # nothing during the warm-up
    long_ = idx[base.candidate[idx] > 0]
    short = idx[base.candidate[idx] < 0]
    assert (base.score[long_] > 0.25).all() and (base.score[short] < -0.25).all()
    assert (base.confidence[idx] >= 0.75).all()
    assert np.nanmax(np.abs(base.score)) <= 1.0 and np.nanmin(base.confidence) >= 0.0
    # a new candidate on the same side needs rearm_bars bars without the condition
    for side in (1, -1):
        same = idx[base.candidate[idx] == side]
        assert (np.diff(same) > 15).all()
    strict = window_table(bars, config(tmp_path, autopilot={"long_threshold": 0.5, "short_threshold": -0.5}), 0.25)
    assert 0 < np.count_nonzero(strict.candidate) < idx.size
    assert (np.abs(strict.score[np.flatnonzero(strict.candidate)]) > 0.5).all()


def test_stop_distance_is_atr_multiple_on_the_tick_grid(tmp_path, es_2023):
    t = window_table(es_2023.iloc[:800], config(tmp_path, risk={"atr_stop_multiple": 3.0}), 0.25)
    assert np.allclose(t.stop_points / 0.25, np.round(t.stop_points / 0.25))
    assert (t.stop_points >= 0.25).all()
    assert np.allclose(t.stop_points, np.maximum(np.floor(t.atr * 3.0 / 0.25 + 0.5), 1) * 0.25)


def test_autopilot_config_defaults_are_the_seed_thresholds():
    ap = load_config(env={}).autopilot
    assert (ap.mode, ap.long_threshold, ap.short_threshold, ap.min_confidence, ap.filter_threshold) == (
        "off", 0.25, -0.25, 0.75, 0.6)
    assert ap.model_type == "ppo_cvar"


@pytest.mark.parametrize("env,key", [
    ({"MIA_AUTOPILOT__LONG_THRESHOLD": "1.5"}, "autopilot.long_threshold"),
    ({"MIA_AUTOPILOT__SHORT_THRESHOLD": "0.2"}, "autopilot.short_threshold"),
    ({"MIA_AUTOPILOT__MIN_CONFIDENCE": "-1"}, "autopilot.min_confidence"),
    ({"MIA_AUTOPILOT__FILTER_THRESHOLD": "2"}, "autopilot.filter_threshold"),
    ({"MIA_AUTOPILOT__MODE": "on"}, "autopilot.mode"),
    ({"MIA_AUTOPILOT__MODEL_TYPE": "lstm"}, "autopilot.model_type"),
    ({"MIA_AUTOPILOT__SCORE_WEIGHTS": "{momentum: 1, luck: 1}"}, "autopilot.score_weights"),
    ({"MIA_AUTOPILOT__CATASTROPHE__DAILY_LOSS_WARNING": "5000"}, "autopilot.catastrophe"),
    ({"MIA_AUTOPILOT__CATASTROPHE__CONSECUTIVE_LOSSES_CRITICAL": "9"}, "autopilot.catastrophe"),
    ({"MIA_AUTOPILOT__HISTORY_BARS": "500"}, "autopilot.history_bars"),
])
def test_bad_autopilot_settings_name_the_key(env, key):
    with pytest.raises(ConfigError) as err:
        load_config(env=env)
    assert err.value.key == key


def test_unquoted_off_in_yaml_means_off(tmp_path):
    f = tmp_path / "user.yaml"
    f.write_text("autopilot:\n  mode: off\n")
    assert load_config(f, env={}).autopilot.mode == "off"
    assert load_config(env={"MIA_AUTOPILOT__MODE": "off"}).autopilot.mode == "off"
