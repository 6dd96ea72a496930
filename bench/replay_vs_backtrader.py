"""Replay throughput: MIA's replay (feed + risk gate + paper broker + mark-to-market + strategy)
side by side with backtrader running the same strategy on the same bars, same process.

Both: SMA(10)/SMA(30) cross, always in the market with 1 contract after warm-up, market orders
filled at the next bar's open with 1 tick slippage, $2.25 commission per contract, ES multiplier 50.
The net P&L of both runs is printed as a cross-check of the fills. Target: MIA >= 50x backtrader.

MIA runs `mia replay`'s default path, the replay kernel (trading_core/backtest.py): every order
passes RiskGate.check, fills by the paper broker's rule, FIFO P&L in ticks, the daily loss check at
every price (proved not to trigger over quiet stretches by a range min/max), equity marked at every
close. `--engine` also times the live Engine driven price by price on the same bars (the kernel's
reference; it must give the same P&L).

Fairness. MIA's replay time starts after the CSV is loaded into a DataFrame; backtrader's `run()`
also converts that DataFrame into its own line buffers (preload). So three comparisons are printed:
"engine only" (MIA without the CSV load, backtrader without its conversion, measured apart),
"from the file" (both include the same CSV load, backtrader also its conversion) and backtrader's
whole run() against MIA's replay. Each side is the best of a few runs (a shared, noisy machine).
Usage: python bench/replay_vs_backtrader.py [FILE] [--bt-runs N] [--engine]
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT = ROOT.parent / "shared" / "data" / "market" / "intraday" / "es_1m_2025-09-14_2025-11-14_ESZ5_quotrading.csv.gz"


def _bt_frame(df):
    data = df[["open", "high", "low", "close", "volume"]].copy()
    data.index = data.index.tz_convert(None)
    return data


def backtrader_conversion_seconds(df) -> float:
    """What backtrader's run() spends turning the DataFrame into its line buffers (its preload)."""
    import backtrader as bt

    t0 = time.perf_counter()
    feed = bt.feeds.PandasData(dataname=_bt_frame(df))
    bt.Cerebro(stdstats=False).adddata(feed)  # gives the feed its environment (calendar, tz)
    feed._start()  # what Cerebro.run does before preloading
    feed.preload()
    return time.perf_counter() - t0


def run_backtrader(df) -> tuple[float, float, int]:
    """(seconds of cerebro.run including its DataFrame conversion, net P&L, orders)."""
    import backtrader as bt

    class SmaCross(bt.Strategy):
        def __init__(self) -> None:
            self.fast = bt.indicators.SMA(self.data.close, period=10)
            self.slow = bt.indicators.SMA(self.data.close, period=30)
            self.orders = 0

        def next(self) -> None:
            target = 1 if self.fast[0] > self.slow[0] else -1
            if self.position.size != target:
                self.order_target_size(target=target)
                self.orders += 1

    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=_bt_frame(df)))
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(100_000.0)
    cerebro.broker.setcommission(commission=2.25, margin=1000.0, mult=50.0)
    cerebro.broker.set_slippage_fixed(0.25, slip_open=True, slip_out=True)
    t0 = time.perf_counter()  # the copy above is negligible (one DataFrame copy)
    strat = cerebro.run()[0]
    elapsed = time.perf_counter() - t0
    return elapsed, cerebro.broker.getvalue() - 100_000.0, strat.orders


async def run_mia(path: Path, engine_mode: bool = False):
    from trading_core.config import load_config
    from trading_core.replay import run_replay

    with tempfile.TemporaryDirectory() as tmp:
        # Risk limits opened up so both engines take the same trades (backtrader has no risk gate).
        cfg = load_config(env={}, overrides={"data_dir": tmp, "risk": {
            "enforce_trading_hours": False, "daily_loss_limit": 10_000_000, "max_consecutive_losses": 100,
            "min_account_balance": 0, "max_orders_per_minute": 10_000}})
        return await run_replay(path, "sma_cross", cfg, "ES", show_progress=False, engine_mode=engine_mode)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    bt_runs = int(sys.argv[sys.argv.index("--bt-runs") + 1]) if "--bt-runs" in sys.argv else 2
    if "--bt-runs" in sys.argv:
        args.remove(str(bt_runs))
    path = Path(args[0]) if args else DEFAULT
    if not path.exists():
        print(f"data file not found: {path}")
        sys.exit(1)
    from trading_core.marketdata.csv_replay import load_bars_csv

    loads = []
    for _ in range(3):
        t0 = time.perf_counter()
        df, report = load_bars_csv(path)
        loads.append(time.perf_counter() - t0)
    load_s = min(loads)
    mia_runs = [asyncio.run(run_mia(path)) for _ in range(5)]
    mia = min(mia_runs, key=lambda o: o.seconds)
    bt_results = [run_backtrader(df) for _ in range(bt_runs)]
    bt_s, bt_pnl, bt_orders = min(bt_results)
    conv_s = min(backtrader_conversion_seconds(df) for _ in range(3))
    n = len(df)
    mia_file = load_s + mia.seconds
    bt_engine = bt_s - conv_s
    print(f"file {path.name}: {n} bars (CSV load {load_s * 1e3:.0f} ms, {report.rows_skipped} corrupt rows skipped)")
    print(f"  MIA replay     : {mia.seconds:7.3f} s  {n / mia.seconds:>12,.0f} bars/s  orders {mia.orders:5d}  "
          f"net P&L ${float(mia.metrics.net_pnl):>10,.2f}  (stepped {mia.stepped_prices} of {2 * n} prices; best of {len(mia_runs)}; CSV load excluded)")
    print(f"  backtrader     : {bt_s:7.3f} s  {n / bt_s:>12,.0f} bars/s  orders {bt_orders:5d}  net P&L ${bt_pnl:>10,.2f}"
          f"  (best of {bt_runs}; includes its DataFrame conversion {conv_s * 1e3:.0f} ms)")
    print(f"  speed-up, engine only   : {bt_engine / mia.seconds:6.1f}x  "
          f"(MIA {mia.seconds:.3f} s without CSV load vs backtrader {bt_engine:.3f} s without its conversion)")
    print(f"  speed-up, from the file : {(load_s + bt_s) / mia_file:6.1f}x  "
          f"(MIA CSV load + replay {mia_file:.3f} s vs CSV load + backtrader incl. conversion {load_s + bt_s:.3f} s)")
    print(f"  speed-up, backtrader run() vs MIA replay : {bt_s / mia.seconds:6.1f}x  (target >= 50x)")
    if "--engine" in sys.argv:
        eng = asyncio.run(run_mia(path, engine_mode=True))
        print(f"  MIA live engine, price by price: {eng.seconds:7.3f} s  {n / eng.seconds:>10,.0f} bars/s  "
              f"net P&L ${float(eng.metrics.net_pnl):>10,.2f}  (kernel {eng.seconds / mia.seconds:.0f}x faster, "
              f"same P&L: {eng.metrics.net_pnl == mia.metrics.net_pnl})")


if __name__ == "__main__":
    main()
