"""Build the configured market feed (synthetic by default, CSV replay on request)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from trading_core import calendar as cme
from trading_core.config import ConfigError, MiaConfig


def simulated_start(now: datetime | None = None, *, accelerated: bool = False) -> datetime:
    """Start the simulated market at the current minute when CME is open, else at the last
    minute it was open, so a session started on a weekend still trades (on simulated time).
    `accelerated` (simulated time runs faster than the wall clock): no later than `WARMUP` after the
    current session's open, so most of its day lies ahead and the warm-up history is still this
    session's (started at 16:55 New York time at 600x, the current minute would close the market
    within a second)."""
    ts = (now or datetime.now(timezone.utc)).replace(second=0, microsecond=0)
    if cme.is_market_open(ts):
        if not accelerated:
            return ts
        opened = ts
        while cme.is_market_open(opened - timedelta(hours=1)):
            opened -= timedelta(hours=1)
        return min(ts, opened + WARMUP)
    probe = ts
    for _ in range(7 * 24 * 60):  # at most a week back, minute by minute over closed time
        probe -= timedelta(minutes=60 if not cme.is_market_open(probe - timedelta(minutes=60)) else 1)
        if cme.is_market_open(probe):
            # go back to that session's open so the simulated session has its whole day ahead
            while cme.is_market_open(probe - timedelta(hours=1)):
                probe -= timedelta(hours=1)
            return probe
    return ts


# Simulated history replayed at full speed when a live session starts, so ATR sizing and the
# regime model have data from the first command. It is history (`HistoryBar`): never traded on.
WARMUP = timedelta(hours=10)


def build_feed(config: MiaConfig, realtime: bool = True):
    """The configured feed. The simulated market is anchored in time (see `SyntheticFeed`): a
    long-running session replays the last `WARMUP` as history, then goes live at the current minute;
    a one-shot command (`realtime=False`) gets the live prices of the current minute at once."""
    feed_cfg = config.feed
    symbols = tuple(config.instruments.symbols)
    if feed_cfg.kind == "synthetic":
        from trading_core.marketdata.synthetic import SyntheticFeed

        live_from = simulated_start(accelerated=realtime and feed_cfg.speed > 1)
        return SyntheticFeed(
            symbols, seed=feed_cfg.seed, speed=feed_cfg.speed, realtime=realtime, live_from=live_from,
            warmup=WARMUP if realtime else timedelta(0),
        )
    if feed_cfg.kind == "csv":
        if not feed_cfg.csv_path:
            raise ConfigError("feed.csv_path", None, "a CSV or CSV.gz bar file when feed.kind is csv")
        if not Path(feed_cfg.csv_path).exists():
            raise ConfigError("feed.csv_path", feed_cfg.csv_path, "an existing CSV or CSV.gz bar file")
        from trading_core.marketdata.csv_replay import CsvReplayFeed

        return CsvReplayFeed(feed_cfg.csv_path, config.market, speed=feed_cfg.speed if realtime else 0.0, quotes_per_bar=2)
    raise ConfigError("feed.kind", feed_cfg.kind, "synthetic or csv for paper trading (ib needs mia run --live)")
