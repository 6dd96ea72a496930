"""Intelligence layer benchmark: prints figures, asserts nothing.

- feature pipeline throughput on 1,000,000 one-minute bars (target >= 1 M bars/s);
- regime inference latency per bar: the HMM forward step alone, and `IntelligenceService.on_bar` (features on
  the last 64 bars + the step), p50 / p99;
- ensemble filter latency per signal (uncached, cached) and `signal_quality()` end to end on a 6,000-bar
  buffer, p50 / p99;
- training wall time of the HMM (20,000 bars) and of the filter.

Run: .venv/bin/python bench/features_throughput.py [--bars 1000000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trading_core.config import load_config  # noqa: E402
from trading_core.intelligence.features import compute_features  # noqa: E402
from trading_core.intelligence.filter import MLEnsembleFilter  # noqa: E402
from trading_core.intelligence.labels import BarrierSpec  # noqa: E402
from trading_core.intelligence.labels import triple_barrier  # noqa: E402
from trading_core.intelligence.backtest import cost_model  # noqa: E402
from trading_core.intelligence.regime import RegimeDetector  # noqa: E402
from trading_core.intelligence.service import IntelligenceService  # noqa: E402
from trading_core.intelligence.signals import cusum_events, signal_matrix  # noqa: E402
from trading_core.marketdata.synthetic import SyntheticFeed  # noqa: E402
from trading_core.types import Bar  # noqa: E402


def pct(samples: list[float]) -> str:
    a = np.asarray(samples) * 1000.0
    return f"p50 {np.percentile(a, 50):.3f} ms  p99 {np.percentile(a, 99):.3f} ms  (n={a.size})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (shared machine)")

    t = time.perf_counter()
    bars = SyntheticFeed(("ES",), seed=1, realtime=False).generate_frame(args.bars)
    print(f"generated {len(bars):,} synthetic bars in {time.perf_counter() - t:.2f} s")
    times, cpu = [], []
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        feats = compute_features(bars)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    med, best = statistics.median(times), min(times)
    print(f"features: {len(feats.columns)} columns x {len(bars):,} bars: wall median {med:.3f} s "
          f"({len(bars) / med / 1e6:.2f} M bars/s), best {best:.3f} s ({len(bars) / best / 1e6:.2f} M bars/s); "
          f"CPU time median {statistics.median(cpu):.3f} s ({len(bars) / statistics.median(cpu) / 1e6:.2f} M bars "
          "per CPU-second; single-threaded code, so this is the throughput of one unshared core)")

    hist = bars.iloc[:20_000]
    hfeats = compute_features(hist)
    t = time.perf_counter()
    det = RegimeDetector(seed=0).fit(hfeats)
    print(f"HMM training on 20,000 bars: {time.perf_counter() - t:.2f} s ({len(det.hmm.loglik_history)} EM iterations)")
    obs = det.observations(compute_features(bars.iloc[20_000:30_000]))
    p = None
    steps = []
    for row in obs:
        t = time.perf_counter()
        p = det.update(p, row)
        steps.append(time.perf_counter() - t)
    print(f"regime HMM forward step per bar: {pct(steps)}")

    idx, side = cusum_events(hfeats, hist["close"].to_numpy())
    costs = cost_model("ES")
    out = triple_barrier(hist, idx, side, hfeats["rv_30"].to_numpy()[idx], BarrierSpec(), costs)
    x = signal_matrix(hfeats, out["signal_idx"].to_numpy(), out["side"].to_numpy(), det.filter(hfeats))
    t = time.perf_counter()
    flt = MLEnsembleFilter().fit(x, out["label"].to_numpy())
    print(f"filter training (RF 150 + XGB 150 + LR) on {len(x):,} labelled signals: {time.perf_counter() - t:.2f} s")
    uncached, cached = [], []
    for i in range(min(300, len(x))):
        row = x.iloc[[i]]
        t = time.perf_counter()
        flt.score(row)
        uncached.append(time.perf_counter() - t)
        t = time.perf_counter()
        flt.score(row)
        cached.append(time.perf_counter() - t)
    print(f"filter score per signal, uncached (3 models + TreeSHAP): {pct(uncached)}")
    print(f"filter score per signal, cached: {pct(cached)}")

    with tempfile.TemporaryDirectory() as tmp:
        det.save(Path(tmp) / "checkpoints" / "regime" / "ES")
        flt.save(Path(tmp) / "checkpoints" / "filter" / "ES")
        svc = IntelligenceService(load_config(), data_dir=tmp)
        svc.regime("ES")  # loads the checkpoints
        live = bars.iloc[30_000:37_000]
        on_bar = []
        for ts, r in zip(live.index, live.itertuples(index=False)):
            b = Bar("ES", ts.to_pydatetime(), r.open, r.high, r.low, r.close, int(r.volume))
            t = time.perf_counter()
            svc.on_bar(b)
            on_bar.append(time.perf_counter() - t)
        print(f"IntelligenceService.on_bar (buffer + features on 64 bars + HMM step): {pct(on_bar)}")
        sq = []
        for _ in range(100):
            t = time.perf_counter()
            svc.signal_quality()
            sq.append(time.perf_counter() - t)
        print(f"signal_quality() end to end on the 6,000-bar buffer (features + filter, cached after 1st): {pct(sq)}")
        info = svc.regime("ES")
        print(f"regime now: {info.regime} p={info.probability:.3f} {info.distribution}")


if __name__ == "__main__":
    main()
