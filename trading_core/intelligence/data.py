"""Reading bar files for the intelligence layer (evaluation, bootstrap training).

Bars come from the shared CSV replay loader (`trading_core.marketdata.csv_replay.load_bars_csv`: header
detection, bad-row skipping, symbol selection). That loader keeps OHLCV only; when the file also has
up_ticks/down_ticks (the 2019 ES file) they are read here and joined by timestamp, because the
order-flow feature uses them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from trading_core.intelligence.features import normalise_bars
from trading_core.intelligence.types import IntelligenceInputError


def load_bars(path: str | Path, symbol: str | None = None) -> pd.DataFrame:
    """Bars of one symbol from a CSV(.gz) file, UTC DatetimeIndex, checked by features.normalise_bars."""
    from trading_core.marketdata.csv_replay import CsvReplayError, load_bars_csv

    p = Path(path).expanduser()
    if not p.is_file():
        raise IntelligenceInputError(f"data file not found: {p}", f"fichier de données introuvable : {p}")
    try:
        df, report = load_bars_csv(str(p), symbol=symbol)
    except CsvReplayError as exc:
        raise IntelligenceInputError(exc.message_en, exc.message_fr) from None
    df = normalise_bars(df)
    if {"up_ticks", "down_ticks"} <= set(getattr(report, "columns_ignored", ())):
        df = _join_tick_counts(p, df)
    return df


def _join_tick_counts(path: Path, bars: pd.DataFrame) -> pd.DataFrame:
    """Add the file's up_ticks/down_ticks for the order-flow feature (rows matched by timestamp)."""
    try:
        extra = pd.read_csv(path, usecols=["ts_utc", "up_ticks", "down_ticks"])
        idx = pd.DatetimeIndex(pd.to_datetime(extra["ts_utc"], utc=True)).as_unit("ns")
    except (OSError, ValueError) as exc:
        raise IntelligenceInputError(f"cannot read tick counts from {path}: {exc}",
                                     f"lecture impossible des compteurs de ticks de {path} : {exc}") from None
    extra = extra.drop(columns=["ts_utc"]).set_axis(idx, axis=0)
    extra = extra[~extra.index.duplicated(keep="last")].reindex(bars.index)
    return bars.assign(up_ticks=extra["up_ticks"].to_numpy(), down_ticks=extra["down_ticks"].to_numpy())
