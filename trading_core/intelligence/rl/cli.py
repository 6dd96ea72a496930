"""`mia train`: train a trade-probability model. `register(subparsers)` plugs it into the main CLI;
`python -m trading_core.intelligence.rl.cli train ...` runs it standalone. Importing this module does
not import torch; the command does, when it runs."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from trading_core.config import ConfigError, MiaConfig, load_config
from trading_core.intelligence.rl.defaults import DEFAULT_SEED, DEFAULT_STEPS, DEFAULT_SYNTHETIC_BARS
from trading_core.intelligence.rl.env import MARKET_SPECS
from trading_core.intelligence.rl.types import MODEL_TYPES, RLInputError


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {v}")
    return v


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `train` sub-command; its handler is `args.func(args, config) -> exit code` (the main CLI
    loads the config, honouring its global --config / --data-dir, and passes it)."""
    steps_help = ", ".join(f"{k} {v:,}" for k, v in DEFAULT_STEPS.items())
    p = subparsers.add_parser(
        "train",
        help="train a trade-probability model (PPO-CVaR, QR-DQN or SAC+PPO+DDPG ensemble)",
        description="Train a torch trade-probability model on bars and save a checkpoint under "
        "<data_dir>/checkpoints/<model-type>/<market>/. Same seed and data -> same weights.",
    )
    p.add_argument("--model-type", choices=(*MODEL_TYPES, "autopilot", "lstm_vix"), default=None,
                   help="model to train (default: intelligence.model_type from the config); autopilot: the "
                        "autopilot's regime model and ML filter; lstm_vix: the next-day VIX forecaster (daily "
                        "VIX and S&P 500 history, walk-forward evaluated against the naive forecast)")
    p.add_argument("--market", choices=tuple(MARKET_SPECS), default=None,
                   help="market whose contract specs (tick value) apply (default: the config's market)")
    p.add_argument("--data", metavar="FILE", default=None,
                   help="CSV(.gz) of 1-minute bars (ts_utc, open, high, low, close, volume); "
                        "default: the synthetic market generator")
    p.add_argument("--steps", type=_positive_int, default=None,
                   help=f"environment steps per learner (defaults: {steps_help}; the ensemble trains 3 learners)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--synthetic-bars", type=_positive_int, default=DEFAULT_SYNTHETIC_BARS,
                   help=f"bars to generate when no --data is given (default {DEFAULT_SYNTHETIC_BARS:,})")
    p.add_argument("--threads", type=_positive_int, default=None,
                   help="torch intra-op threads (default 1: faster for these small networks on a busy machine; "
                        "reproducibility needs the same value)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run_train)
    return p


def _lang(config: MiaConfig | None) -> str:
    return "fr" if config is not None and config.language == "fr" else "en"


def run_train(args: argparse.Namespace, config: MiaConfig | None = None) -> int:
    try:
        if config is None:
            config = load_config(getattr(args, "config", None))
        if args.model_type in ("autopilot", "lstm_vix"):
            from trading_core.autopilot import cli as autopilot_cli

            if args.model_type == "autopilot":
                return autopilot_cli.run_train_autopilot(args, config)
            return autopilot_cli.run_train_vix(args, config)
        from trading_core.intelligence.rl.train import train  # torch, only now

        model_type = args.model_type or config.intelligence.model_type
        market = args.market or config.market
        result = train(
            model_type,
            market,
            data_path=args.data,
            steps=args.steps,
            seed=args.seed,
            config=config,
            synthetic_n_bars=args.synthetic_bars,
            progress=not args.no_progress,
            threads=args.threads,
        )
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except RLInputError as exc:
        print(("erreur : " if _lang(config) == "fr" else "error: ") + exc.message(_lang(config)), file=sys.stderr)
        return 2
    lang = _lang(config)
    ev = result.evaluation
    trades = int(ev["trades"])
    win = f"{ev['trade_win_rate']:.1%}" if trades else "-"
    if lang == "fr":
        print(f"point de contrôle : {result.checkpoint_dir}")
        print(f"durée : {result.wall_time_s:.1f} s, {result.steps_per_s:,.0f} pas/s")
        print(f"hors échantillon : {int(ev['episodes'])} épisodes de {int(ev['episode_bars'])} barres, "
              f"moyenne {ev['mean_episode_usd']:+.1f} USD par épisode (achat-conservation "
              f"{ev['buy_hold_mean_episode_usd']:+.1f} USD), {trades} trades, taux de gain {win}")
    else:
        print(f"checkpoint: {result.checkpoint_dir}")
        print(f"wall time: {result.wall_time_s:.1f} s, {result.steps_per_s:,.0f} steps/s")
        print(f"held-out: {int(ev['episodes'])} episodes of {int(ev['episode_bars'])} bars, "
              f"mean {ev['mean_episode_usd']:+.1f} USD per episode (buy and hold "
              f"{ev['buy_hold_mean_episode_usd']:+.1f} USD), {trades} trades, win rate {win}")
    if result.model_type == "ppo_cvar":
        from trading_core.intelligence.rl.inference import RLService

        svc = RLService(config, market=result.market)
        print(svc.cvar_loss().message(lang))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry with the same global options as the main CLI (--config, --data-dir)."""
    parser = argparse.ArgumentParser(prog="mia")
    parser.add_argument("--config", default=None, help="user YAML config file")
    parser.add_argument("--data-dir", default=None, help="root of data/ (checkpoints go to <data-dir>/checkpoints)")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config, overrides={"data_dir": args.data_dir} if args.data_dir else None)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return int(args.func(args, config))


if __name__ == "__main__":
    raise SystemExit(main())
