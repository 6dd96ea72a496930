"""Shared fixtures: real ES bars read from ../shared/data/market (never copied), one small model bundle."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from trading_core.config import MiaConfig, load_config

MARKET = Path(__file__).resolve().parents[3] / "shared" / "data" / "market"
ES_2019 = MARKET / "intraday" / "es_1m_2019-09-01_2019-09-30_quantcs109.csv.gz"
ES_2023 = MARKET / "intraday" / "es_1m_2023-09-24_2023-10-09_firstrate-sample.csv.gz"
ES_2025 = MARKET / "intraday" / "es_1m_2025-04-20_2025-05-05_firstrate-sample.csv.gz"
DAILY = MARKET / "daily"


def bars_of(path: Path) -> pd.DataFrame:
    if not path.exists():
        pytest.skip(f"shared market data not available: {path}")
    from trading_core.intelligence.data import load_bars

    return load_bars(path)


def config(tmp_path: Path, **sections: Any) -> MiaConfig:
    """Test config: replay conventions (no trading-hours check), data under tmp_path."""
    over: dict[str, Any] = {"data_dir": str(tmp_path), "risk": {"enforce_trading_hours": False}}
    for k, v in sections.items():
        over[k] = {**over.get(k, {}), **v} if isinstance(v, dict) else v
    return load_config(env={}, overrides=over)


# Thresholds that let the autopilot act often (the bundle below rarely reaches the seed's 0.6): the
# behaviour under test is the plumbing, not the edge.
ACTIVE = {"filter_threshold": 0.0, "reward_risk": 4.0}


@pytest.fixture(scope="session")
def es_2023() -> pd.DataFrame:
    return bars_of(ES_2023)


@pytest.fixture(scope="session")
def es_2025() -> pd.DataFrame:
    return bars_of(ES_2025)


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Regime model + filter trained on 12,000 bars of September 2019 (other data than the tests drive)."""
    from trading_core.autopilot.models import anchored_tables, train_bundle
    from trading_core.intelligence.filter import FilterParams

    # symmetric, cost-free labels: the filter's probabilities sit near one half, so that with the tests'
    # thresholds it approves often enough to exercise orders (the tests trade with the usual costs)
    cfg = config(tmp_path_factory.mktemp("bundle"), autopilot={"reward_risk": 1.0},
                 paper={"commission_per_contract": 0, "slippage_ticks": 0})
    bars = bars_of(ES_2019).iloc[:10_000]
    return train_bundle(anchored_tables(bars, cfg, 0.25), cfg, "ES", source="es 2019-09", seed=7,
                        filter_params=FilterParams(rf_trees=60, xgb_rounds=60, seed=7))


@pytest.fixture(scope="session")
def no_model() -> Any:
    from trading_core.autopilot.models import load_trade_model

    return load_trade_model(load_config(env={}), "ES", "none")
