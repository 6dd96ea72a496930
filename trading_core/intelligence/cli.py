"""`mia evaluate`: walk-forward out-of-sample evaluation on a bar file, printed next to buy-and-hold and a
moving-average baseline. `register(subparsers)` plugs it into the main CLI; the handler is
`args.func(args[, config]) -> exit code`. `python -m trading_core.intelligence.cli evaluate ...` runs it alone.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from trading_core.config import ConfigError, MiaConfig, load_config


def _threshold(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {v}")
    return v


def _folds(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer 1..20, got {text!r}") from None
    if not 1 <= v <= 20:
        raise argparse.ArgumentTypeError(f"expected an integer 1..20, got {v}")
    return v


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `evaluate` sub-command."""
    p = subparsers.add_parser(
        "evaluate",
        help="walk-forward out-of-sample test of the ML filter vs buy-and-hold and an MA baseline",
        description="Walk-forward out-of-sample evaluation on a bar file: features, HMM regimes and the "
        "ensemble filter are refitted per fold on past data only (purged, embargoed); prints trades, win "
        "rate, profit factor, Sharpe and max drawdown of the filtered signals, all signals, buy-and-hold and "
        "a moving-average crossover on the same bars with ES/MNQ commissions and 1 tick slippage.\n"
        "Example: mia evaluate --data ../shared/data/market/intraday/es_1m_2023-09-24_2023-10-09_firstrate-"
        "sample.csv.gz --figures",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", metavar="FILE", required=True, help="CSV(.gz) of 1-minute bars (ts_utc, OHLCV)")
    p.add_argument("--market", choices=("ES", "MNQ", "NQ"), default=None,
                   help="contract for costs and P&L (default: the config's market)")
    p.add_argument("--symbol", default=None, help="symbol to keep when the file holds several (e.g. ES)")
    p.add_argument("--threshold", type=_threshold, default=None,
                   help="filter approval threshold (default: intelligence.filter_threshold, 0.6)")
    p.add_argument("--folds", type=_folds, default=4, help="walk-forward test folds (default 4)")
    p.add_argument("--signals", choices=("cusum", "cross"), default="cusum",
                   help="candidate signals: CUSUM events with the confluence side (default) or confluence crossings")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--figures", action="store_true", help="write regime_/shap_/performance_ PNGs")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    from trading_core.autopilot.cli import add_evaluate_options

    add_evaluate_options(p)
    p.set_defaults(func=run_evaluate)
    return p


def run_evaluate(args: argparse.Namespace, config: MiaConfig | None = None) -> int:
    from trading_core.intelligence.evaluate import EvaluationSettings, evaluate_file, format_report
    from trading_core.intelligence.filter import FilterParams
    from trading_core.intelligence.types import IntelligenceInputError

    try:
        cfg = config or load_config(getattr(args, "config", None))
    except ConfigError as exc:
        print(f"mia evaluate: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "autopilot", False):
        from trading_core.autopilot.cli import run_evaluate as run_autopilot_evaluate

        return run_autopilot_evaluate(args, cfg)
    market = args.market or cfg.market
    try:
        settings = EvaluationSettings(
            market=market,
            threshold=cfg.intelligence.filter_threshold if args.threshold is None else args.threshold,
            n_folds=args.folds,
            signal_mode=args.signals,
            commission_per_side=float(cfg.paper.commission_per_contract),
            slippage_ticks=int(cfg.paper.slippage_ticks),
            mtf_weights=dict(cfg.intelligence.mtf_weights),
            gamma_factors=dict(cfg.intelligence.gamma_factors),
            filter_params=FilterParams(seed=args.seed),
            symbol=args.symbol,
            seed=args.seed,
        )
        report = evaluate_file(args.data, settings, progress=not args.no_progress)
    except IntelligenceInputError as exc:
        print(f"mia evaluate: {exc.message_en}", file=sys.stderr)
        print(f"mia evaluate : {exc.message_fr}", file=sys.stderr)
        return 2
    print(format_report(report))
    if args.figures:
        from trading_core.intelligence.figures import figures_dir, write_evaluation_figures

        out = figures_dir(cfg.data_path, market)
        for path in write_evaluation_figures(report, out):
            print(f"figure: {path.resolve()}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trading_core.intelligence.cli")
    parser.add_argument("--config", metavar="FILE", help="user YAML config")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
