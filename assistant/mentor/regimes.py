"""A record of the market regime over time, so the mentor can tell which regime each trade was taken in.

The dashboard (and the mentor's `mia run` front end, when the intelligence models are loaded) append
`(ts, regime, direction)` samples; the report looks up the last sample before each trade's entry.
Stored as JSON lines in `<data_dir>/mentor/regimes_<SYMBOL>.jsonl`, one line per change of regime or
direction (not per sample), so the file stays small.
"""
from __future__ import annotations

import bisect
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

log = logging.getLogger("mia.mentor")

MAX_AGE = timedelta(minutes=30)  # a sample older than this says nothing about a trade


@dataclass(frozen=True, slots=True)
class RegimeSample:
    ts: datetime
    regime: str
    direction: int  # +1 rising, -1 falling, 0 flat or unknown


def trend_direction(closes: list[float], lookback: int = 30) -> int:
    """Sign of the price change over the last `lookback` closes."""
    if len(closes) < 2:
        return 0
    first = closes[-min(lookback, len(closes))]
    change = closes[-1] - first
    return 0 if change == 0 else (1 if change > 0 else -1)


class RegimeTape:
    def __init__(self, data_dir: str | Path) -> None:
        self.dir = Path(data_dir).expanduser() / "mentor"
        self._samples: dict[str, list[RegimeSample]] = {}
        self._loaded: set[str] = set()
        self._lock = threading.Lock()

    def _path(self, symbol: str) -> Path:
        return self.dir / f"regimes_{symbol.upper()}.jsonl"

    def _load(self, symbol: str) -> list[RegimeSample]:
        sym = symbol.upper()
        if sym in self._loaded:
            return self._samples.setdefault(sym, [])
        self._loaded.add(sym)
        samples: list[RegimeSample] = []
        path = self._path(sym)
        if path.exists():
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                try:
                    d = json.loads(line)
                    samples.append(RegimeSample(datetime.fromisoformat(d["ts"]), str(d["regime"]), int(d.get("direction", 0))))
                except (ValueError, KeyError, TypeError) as exc:  # a torn last line after a crash: skip it, keep the rest
                    log.warning("regime record %s line %d unreadable (%s); skipped", path, n, exc)
        samples.sort(key=lambda s: s.ts)
        self._samples[sym] = samples
        return samples

    def record(self, symbol: str, ts: datetime, regime: str, direction: int = 0) -> bool:
        """Add a sample; written only when the regime or direction changed. Returns True if written."""
        if ts.tzinfo is None:
            raise ValueError(f"regime sample time {ts} has no time zone")
        with self._lock:
            samples = self._load(symbol)
            last = samples[-1] if samples else None
            if last is not None and ts <= last.ts:
                return False
            if last is not None and last.regime == regime and last.direction == direction and ts - last.ts < MAX_AGE:
                return False
            sample = RegimeSample(ts, regime, int(direction))
            samples.append(sample)
            self.dir.mkdir(parents=True, exist_ok=True)
            with self._path(symbol).open("a", encoding="utf-8") as f:
                f.write(json.dumps({"ts": ts.isoformat(), "regime": regime, "direction": int(direction)}) + "\n")
            return True

    def at(self, symbol: str, ts: datetime) -> tuple[str, int] | None:
        """(regime, direction) in force at `ts`, or None when nothing recent was recorded."""
        with self._lock:
            samples = self._load(symbol)
            i = bisect.bisect_right(samples, ts, key=lambda s: s.ts) - 1
            if i < 0:
                return None
            s = samples[i]
            nxt = samples[i + 1].ts if i + 1 < len(samples) else None
            # the sample holds until the next one; after the last one only for MAX_AGE
            if nxt is None and ts - s.ts > MAX_AGE:
                return None
            return s.regime, s.direction

    def __call__(self, symbol: str, ts: datetime) -> tuple[str, int] | None:
        return self.at(symbol, ts)
