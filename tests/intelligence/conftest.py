"""Shared fixtures: real ES bars read straight from ../shared/data/market (never copied into the repo)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

MARKET = Path(__file__).resolve().parents[3] / "shared" / "data" / "market" / "intraday"
ES_2019 = MARKET / "es_1m_2019-09-01_2019-09-30_quantcs109.csv.gz"  # has up_ticks / down_ticks
ES_2023 = MARKET / "es_1m_2023-09-24_2023-10-09_firstrate-sample.csv.gz"


def read_bars(path: Path, rows: int | None = None) -> pd.DataFrame:
    if not path.exists():
        pytest.skip(f"shared market data not available: {path}")
    df = pd.read_csv(path, nrows=rows)
    df.index = pd.DatetimeIndex(pd.to_datetime(df.pop("ts_utc"), utc=True)).as_unit("ns")
    return df.drop(columns=["ts_et"])


@pytest.fixture(scope="session")
def es_2019() -> pd.DataFrame:
    return read_bars(ES_2019, rows=6000)


@pytest.fixture(scope="session")
def es_2023() -> pd.DataFrame:
    return read_bars(ES_2023)
