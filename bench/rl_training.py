"""Benchmark of the trade-probability models: training wall time and steps/s at the default step
counts, inference latency (p50 / p99) of RLService, optionally 1 vs 2 torch threads on a short run.

    .venv/bin/python bench/rl_training.py                     # default steps (several minutes)
    .venv/bin/python bench/rl_training.py --scale 0.1         # 10 % of the default steps, quicker look
    .venv/bin/python bench/rl_training.py --compare-threads   # also 1 vs 2 intra-op threads

Prints figures; asserts nothing. Checkpoints go to a temporary directory unless --data-dir is given.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trading_core.intelligence.rl.data import synthetic_bars  # noqa: E402
from trading_core.intelligence.rl.defaults import DEFAULT_STEPS, DEFAULT_SYNTHETIC_BARS  # noqa: E402
from trading_core.intelligence.rl.observation import WARMUP_BARS  # noqa: E402


def _pcts(samples: list[float]) -> str:
    a = np.asarray(samples) * 1000.0
    return f"p50 {np.percentile(a, 50):7.2f} ms   p99 {np.percentile(a, 99):7.2f} ms   (n={a.size})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the default step counts")
    ap.add_argument("--models", default="ppo_cvar,qr_dqn,ensemble")
    ap.add_argument("--market", default="ES")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--repeats", type=int, default=300, help="inference calls per latency figure")
    ap.add_argument("--compare-threads", action="store_true",
                    help="also time short runs with 1 and 2 torch threads (2 threads can be very slow on a busy machine)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    import torch

    from trading_core.intelligence.rl.inference import RLService
    from trading_core.intelligence.rl.train import train

    print(f"python {platform.python_version()}, torch {torch.__version__}, cpus {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f} at start, torch import {time.perf_counter() - t0:.1f} s")
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="mia-rl-bench-"))
    bars, info = synthetic_bars(DEFAULT_SYNTHETIC_BARS, args.market, 42)
    print(f"data: {info['generator']}, {len(bars):,} bars; checkpoints in {data_dir}\n")

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    print("== training (seed 42, 1 torch thread, default hyper-parameters) ==")
    print(f"{'model':<10} {'steps/learner':>13} {'env steps':>10} {'wall s':>8} {'steps/s':>9} "
          f"{'held-out mean ep USD':>21} {'buy&hold':>9} {'trades':>7} {'win rate':>8}")
    for mt in models:
        steps = max(1, int(DEFAULT_STEPS[mt] * args.scale))
        r = train(mt, args.market, bars=bars, steps=steps, seed=42, data_dir=data_dir, progress=False)
        ev = r.evaluation
        win = f"{ev['trade_win_rate']:.1%}" if ev["trades"] else "-"
        print(f"{mt:<10} {steps:>13,} {int(ev['env_steps']):>10,} {r.wall_time_s:>8.1f} {r.steps_per_s:>9,.0f} "
              f"{ev['mean_episode_usd']:>21.1f} {ev['buy_hold_mean_episode_usd']:>9.1f} {int(ev['trades']):>7} {win:>8}",
              flush=True)

    print("\n== inference latency (RLService, warm, one state from the last 121 bars) ==")
    svc = RLService(data_dir=data_dir, market=args.market)
    recent = bars.tail(WARMUP_BARS)
    for mt in models:
        t = time.perf_counter()
        svc.load(mt)
        print(f"{mt}: cold checkpoint load {1000 * (time.perf_counter() - t):.1f} ms")
    cases = [(f"trade_probability[{mt}] from bars", lambda mt=mt: svc.trade_probability(bars=recent, model_type=mt))
             for mt in models]
    obs, _ = svc.observation(svc.load(models[0]), bars=recent)
    cases += [(f"trade_probability[{mt}] from obs", lambda mt=mt: svc.trade_probability(obs=obs[0], model_type=mt))
              for mt in models]
    if "qr_dqn" in models:
        cases.append(("qr_quantiles from bars", lambda: svc.qr_quantiles(bars=recent)))
    if "ensemble" in models:
        cases.append(("ensemble_weights from bars", lambda: svc.ensemble_weights(bars=recent)))
    if "ppo_cvar" in models:
        cases.append(("cvar_loss (metadata)", svc.cvar_loss))
    for name, fn in cases:
        fn()
        samples = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        print(f"{name:<40} {_pcts(samples)}")

    if args.compare_threads:
        print("\n== torch intra-op threads: same short run with 1 and 2 threads ==")
        for mt, steps in (("qr_dqn", 10_000), ("ppo_cvar", 100_000)):
            for th in (1, 2):
                r = train(mt, args.market, bars=bars, steps=steps, seed=1, data_dir=Path(tempfile.mkdtemp()),
                          progress=False, threads=th)
                print(f"{mt:<10} {steps:>8,} steps  threads={th}: {r.wall_time_s:6.1f} s  {r.steps_per_s:9,.0f} steps/s",
                      flush=True)
        torch.set_num_threads(1)
    print(f"\nload average {os.getloadavg()[0]:.2f} at end (2 cores shared with other jobs: figures vary)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
