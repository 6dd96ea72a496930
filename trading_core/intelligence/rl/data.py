"""Training bars: a CSV file (`--data`) through the market-data loader, or the project's synthetic market.

Both come from `trading_core.marketdata` (csv_replay / synthetic), so training reads files and simulates
markets exactly as the live feeds do. The metadata returned here goes into the checkpoint.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from trading_core.intelligence.rl.env import market_spec
from trading_core.intelligence.rl.types import RLInputError


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_csv_bars(path: str | Path, market: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Bars of `market` from a CSV(.gz) file (an NQ file feeds MNQ: same prices)."""
    from trading_core.marketdata.csv_replay import CsvReplayError, load_bars_csv

    market_spec(market)
    p = Path(path).expanduser()
    if not p.is_file():
        raise RLInputError(f"data file not found: {p}", f"fichier de données introuvable : {p}")
    try:
        df, report = load_bars_csv(p, symbol=market)
    except CsvReplayError as exc:
        raise RLInputError(exc.message_en, exc.message_fr) from None
    return df, {
        "source": "csv",
        "path": str(p),
        "sha256": _file_sha256(p),
        "bars": int(len(df)),
        "rows_skipped": int(report.rows_skipped),
        "source_symbol": report.source_symbol,
        "first_ts": None if report.first_ts is None else report.first_ts.isoformat(),
        "last_ts": None if report.last_ts is None else report.last_ts.isoformat(),
    }


def synthetic_bars(n: int, market: str, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The first `n` 1-minute bars of the seeded synthetic market (the embedded default feed)."""
    from trading_core.marketdata.synthetic import SyntheticFeed

    market_spec(market)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RLInputError(f"synthetic bar count must be a positive integer, got {n!r}",
                           f"le nombre de barres synthétiques doit être un entier positif, reçu {n!r}")
    df = SyntheticFeed(symbols=(market,), seed=seed, realtime=False).generate_frame(n, symbol=market)
    return df, {"source": "synthetic", "generator": "trading_core.marketdata.synthetic.SyntheticFeed",
                "seed": seed, "bars": int(len(df))}
