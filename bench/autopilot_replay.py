"""Autopilot replay throughput on the 62k-bar ESZ5 file (target >= 200,000 bars/s), beside the plain
replay kernel running the SMA cross on the same bars.

What is timed ("pipeline + kernel", training excluded): the window tables the live autopilot computes
bar by bar (features, order-flow score, confluence, candidates), the HMM regime filter, the ensemble
filter and the trade-probability model on every candidate, and the kernel (sizing, risk gate, paper
fills, brackets, daily-loss and catastrophe reactions). Two model set-ups:
- fixed models (trained on September 2019: regime + filter, and a short PPO-CVaR checkpoint);
- walk-forward (4 folds, models retrained before each fold; the training time is printed apart).
Best of N runs, wall and CPU (process time), on a shared machine: the load average is printed.
Usage: python bench/autopilot_replay.py [FILE] [--runs N] [--walk-forward-rl]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MARKET = ROOT.parent / "shared" / "data" / "market"
DEFAULT = MARKET / "intraday" / "es_1m_2025-09-14_2025-11-14_ESZ5_quotrading.csv.gz"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--walk-forward-rl", action="store_true",
                    help="also the walk-forward run with a PPO-CVaR model trained per fold (minutes)")
    args = ap.parse_args()

    from trading_core.autopilot.models import anchored_tables, load_trade_model, train_bundle
    from trading_core.autopilot.replay import run_autopilot_replay
    from trading_core.config import load_config
    from trading_core.intelligence.data import load_bars
    from trading_core.intelligence.rl.train import train_agent
    from trading_core.replay import replay_with_kernel
    from trading_core.strategies import SmaCross

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        cfg = load_config(env={}, overrides={"data_dir": str(tmp), "risk": {"enforce_trading_hours": False}})
        bars = load_bars(args.file)
        es19 = load_bars(MARKET / "intraday" / "es_1m_2019-09-01_2019-09-30_quantcs109.csv.gz")
        print(f"{args.file.name}: {len(bars):,} bars; training fixed models on September 2019 ...", flush=True)
        bundle = train_bundle(anchored_tables(es19.iloc[:20_000], cfg, 0.25), cfg, "ES", source="es 2019-09")
        train_agent("ppo_cvar", "ES", bars=es19.iloc[:20_000], steps=15_000, config=cfg, data_dir=tmp, progress=False)
        model = load_trade_model(cfg, "ES", "ppo_cvar", data_dir=tmp)
        none = load_trade_model(cfg, "ES", "none")

        def best(fn):
            out = []
            for _ in range(args.runs):
                w0, c0 = time.perf_counter(), time.process_time()
                rep = fn()
                out.append((time.perf_counter() - w0, time.process_time() - c0, rep))
            return min(out, key=lambda r: r[0])

        print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n")
        base = best(lambda: replay_with_kernel(cfg, bars, "ES", SmaCross()))
        print(f"plain kernel, SMA 10/30 cross:  {len(bars) / base[0]:>11,.0f} bars/s wall "
              f"({base[0] * 1e3:.0f} ms, CPU {base[1] * 1e3:.0f} ms)")
        for label, tm in (("fixed models, PPO-CVaR", model), ("fixed models, filter alone", none)):
            wall, cpu, rep = best(lambda tm=tm: run_autopilot_replay(bars, cfg, "ES", bundle=bundle, trade_model=tm))
            r = rep.result
            print(f"autopilot, {label}: {len(bars) / wall:>11,.0f} bars/s wall, {len(bars) / cpu:,.0f} bars/s CPU "
                  f"({wall * 1e3:.0f} ms: tables {rep.seconds_tables * 1e3:.0f}, scores {rep.seconds_scoring * 1e3:.0f}, "
                  f"kernel {rep.seconds_kernel * 1e3:.0f}); {rep.candidates} candidates, {r.metrics.trades} trades")
        wall, cpu, rep = best(lambda: run_autopilot_replay(bars, cfg, "ES", model_type="none", folds=4))
        print(f"autopilot, walk-forward (4 folds, filter alone): {rep.bars_per_second:,.0f} bars/s without training "
              f"({rep.seconds_replay * 1e3:.0f} ms); training {rep.seconds_training:.1f} s; whole run {wall:.1f} s")
        if args.walk_forward_rl:
            w0 = time.perf_counter()
            rep = run_autopilot_replay(bars, cfg, "ES", model_type="ppo_cvar", folds=4, rl_steps=20_000)
            print(f"autopilot, walk-forward (4 folds, PPO-CVaR 20,000 steps per fold): {rep.bars_per_second:,.0f} "
                  f"bars/s without training; training {rep.seconds_training:.1f} s; whole run "
                  f"{time.perf_counter() - w0:.1f} s")
        print(f"\nload average: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
