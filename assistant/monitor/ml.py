"""ML metrics: inference time, prediction count, cache hit rate, confidence and live accuracy of the filter.

Numbers arrive in two ways:
- pushed by whoever calls the models (`record_prediction`, `record_outcome`), or through
  `timed_signal_quality(engine, ml, ...)`, which times the engine's signal-quality call and remembers the
  verdict so that the trade that follows can score it (`score_closed_trades`);
- read from the intelligence service when it keeps prediction cache counters
  (`engine.intelligence_cache_info()`, read by the monitor at each sample).
Live accuracy: a signal the filter approved is right when the trade that followed it made money; a
rejected signal is right when that trade lost. Only signals followed by a trade on the same symbol and
side within `match_window` count.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from assistant.monitor.latency import percentile

if TYPE_CHECKING:
    from trading_core.protocols import EngineAPI


@dataclass(frozen=True, slots=True)
class MLSnapshot:
    predictions: int  # since start
    inference_p50_ms: float | None
    inference_p95_ms: float | None
    cache_hit_rate: float | None  # 0..1
    cache_hits: int
    cache_misses: int
    mean_confidence: float | None  # over the recent window
    accuracy: float | None  # live accuracy of the filter, 0..1
    outcomes: int  # scored signals behind `accuracy` (recent window)


@dataclass(frozen=True, slots=True)
class _Signal:
    symbol: str
    side: str  # BUY / SELL
    approved: bool
    ts: datetime  # market time the signal was asked


class MLMetrics:
    def __init__(self, window: int = 200, outcome_window: int = 100, match_window: timedelta = timedelta(minutes=10)) -> None:
        self._lock = threading.Lock()
        self._inference: deque[float] = deque(maxlen=window)
        self._confidence: deque[float] = deque(maxlen=window)
        self._outcomes: deque[bool] = deque(maxlen=outcome_window)
        self.predictions = 0
        self._hits = 0
        self._misses = 0
        self._external_cache: tuple[int, int] | None = None  # (hits, misses) read from the service
        self._signals: deque[_Signal] = deque(maxlen=200)
        self._scored_trades = 0
        self.match_window = match_window

    # -- inputs -------------------------------------------------------------------------------------
    def record_prediction(self, seconds: float, *, cached: bool = False, confidence: float | None = None) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"inference time must be a finite number of seconds >= 0 (got {seconds!r})")
        if confidence is not None and not (isinstance(confidence, (int, float)) and 0.0 <= confidence <= 1.0):
            raise ValueError(f"confidence must be a probability in 0..1 (got {confidence!r})")
        with self._lock:
            self.predictions += 1
            self._inference.append(float(seconds))
            if cached:
                self._hits += 1
            else:
                self._misses += 1
            if confidence is not None:
                self._confidence.append(float(confidence))

    def record_outcome(self, approved: bool, won: bool) -> None:
        """One scored signal: the filter said `approved`, and the trade did (not) make money."""
        with self._lock:
            self._outcomes.append(bool(approved) == bool(won))

    def set_cache_counts(self, hits: int, misses: int) -> None:
        """Cache counters read from the intelligence service (they replace the pushed ones)."""
        if hits < 0 or misses < 0:
            raise ValueError(f"cache counters must be >= 0 (got hits={hits}, misses={misses})")
        with self._lock:
            self._external_cache = (int(hits), int(misses))

    def remember_signal(self, symbol: str, side: str, approved: bool, ts: datetime) -> None:
        with self._lock:
            self._signals.append(_Signal(symbol.upper(), side.upper(), bool(approved), ts))

    def score_closed_trades(self, trades: Sequence[Any]) -> int:
        """Score remembered signals against closed trades not seen yet (`trades` is every closed trade,
        `engine.closed_trades()`; only its new tail is read). Returns how many were scored."""
        new = trades[self._scored_trades:]
        self._scored_trades = len(trades)
        scored = 0
        for t in new:
            side = getattr(t.side, "value", str(t.side))
            with self._lock:
                match = None
                for s in reversed(self._signals):
                    if s.symbol == t.symbol and s.side == side and s.ts <= t.opened_ts <= s.ts + self.match_window:
                        match = s
                        break
                if match is not None:
                    self._signals.remove(match)
            if match is not None:
                self.record_outcome(match.approved, t.pnl > 0)
                scored += 1
        return scored

    # -- output -------------------------------------------------------------------------------------
    def snapshot(self) -> MLSnapshot:
        with self._lock:
            inf = list(self._inference)
            conf = list(self._confidence)
            outcomes = list(self._outcomes)
            hits, misses = self._external_cache or (self._hits, self._misses)
            predictions = self.predictions
        lookups = hits + misses
        return MLSnapshot(
            predictions=predictions,
            inference_p50_ms=percentile(inf, 50) * 1000 if inf else None,
            inference_p95_ms=percentile(inf, 95) * 1000 if inf else None,
            cache_hit_rate=hits / lookups if lookups else None,
            cache_hits=hits,
            cache_misses=misses,
            mean_confidence=sum(conf) / len(conf) if conf else None,
            accuracy=sum(outcomes) / len(outcomes) if outcomes else None,
            outcomes=len(outcomes),
        )


async def timed_signal_quality(engine: EngineAPI, ml: MLMetrics, features: Any = None) -> Any:
    """`engine.signal_quality(features)`, timed and recorded (inference time, cache hit, confidence),
    and remembered so the trade that follows scores the filter's live accuracy."""
    start = time.perf_counter()
    sq = await engine.signal_quality(features)
    ml.record_prediction(time.perf_counter() - start, cached=bool(getattr(sq, "cached", False)),
                         confidence=float(sq.probability))
    ml.remember_signal(sq.symbol, sq.side, sq.approved, engine.now())
    return sq
