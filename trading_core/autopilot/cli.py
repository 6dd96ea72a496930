"""Offline commands of the autopilot, plugged into existing sub-commands:
`mia replay FILE --strategy autopilot`, `mia evaluate --autopilot`, `mia train --model-type autopilot|lstm_vix`.
Handlers return an exit code; every bad input gets a message in English and French and exit code 2.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from trading_core.config import MiaConfig

MODEL_CHOICES = ("ppo_cvar", "qr_dqn", "ensemble", "none")


def add_replay_options(r: argparse.ArgumentParser) -> None:
    """Options of `mia replay` used by --strategy autopilot (the other strategies ignore them)."""
    r.add_argument("--model-type", choices=MODEL_CHOICES, default=None,
                   help="autopilot: trade-probability model trained per fold (default: autopilot.model_type; "
                        "none = the ML filter alone)")
    r.add_argument("--folds", type=int, default=4, help="autopilot: walk-forward test folds, 1..20 (default 4)")
    r.add_argument("--rl-steps", type=int, default=20_000,
                   help="autopilot: training steps of the trade-probability model per fold (default 20000)")
    r.add_argument("--models", metavar="DIR", type=Path, default=None,
                   help="autopilot: use fixed models from this checkpoint folder (from `mia train --model-type "
                        "autopilot`, trained on other data) instead of walk-forward training")


def _err(cmd: str, en: str, fr: str) -> int:
    print(f"mia {cmd}: {en}", file=sys.stderr)
    print(f"mia {cmd} : {fr}", file=sys.stderr)
    return 2


def _lang(config: MiaConfig) -> str:
    return "fr" if config.language == "fr" else "en"


def _load(path: Path, symbol: str | None) -> Any:
    from trading_core.intelligence.data import load_bars

    return load_bars(path, symbol=symbol)


def _volatility(config: MiaConfig, bars: Any) -> Any:
    """The VIX forecast's sizing factor when it beat the naive forecast out of sample, else None; the
    S&P series is continued with the replayed bars' daily closes (the factor of day d only uses days
    before d, and is 1 on any day the model was trained on)."""
    if not config.autopilot.use_volatility_forecast:
        return None
    from trading_core.autopilot.controller import load_volatility_gate

    gate = load_volatility_gate(config, config.data_path)
    if gate is None:
        return None
    gate.extend_with_bars(bars)
    return gate.factor


def run_replay(args: argparse.Namespace, config: MiaConfig) -> int:
    from trading_core.autopilot.evaluate import save_verdict
    from trading_core.autopilot.models import ModelBundle, load_trade_model
    from trading_core.autopilot.replay import format_replay, run_autopilot_replay
    from trading_core.instruments import get_instrument
    from trading_core.intelligence.types import IntelligenceInputError

    symbol = get_instrument(args.symbol or config.market).symbol
    if not 1 <= args.folds <= 20:
        return _err("replay", f"--folds must be 1..20, got {args.folds}", f"--folds doit valoir de 1 à 20, reçu {args.folds}")
    if args.rl_steps < 100:
        return _err("replay", f"--rl-steps must be at least 100, got {args.rl_steps}",
                    f"--rl-steps doit valoir au moins 100, reçu {args.rl_steps}")
    if args.engine and args.models is None:
        return _err("replay", "--engine with the autopilot needs fixed models: --models DIR",
                    "--engine avec le pilote automatique demande des modèles fixes : --models DOSSIER")
    try:
        bars = _load(args.file, symbol if args.symbol else None)
        bundle = trade_model = None
        if args.models is not None:
            bundle = ModelBundle.load(args.models, config.autopilot.filter_threshold)
            trade_model = load_trade_model(config, symbol, args.model_type)
        if args.engine:
            import asyncio

            from trading_core.autopilot.replay import format_engine_run, replay_on_engine

            assert bundle is not None and trade_model is not None
            t0 = time.perf_counter()
            out = asyncio.run(replay_on_engine(bars, config, symbol, bundle, trade_model))
            print(format_engine_run(out, len(bars), time.perf_counter() - t0, _lang(config)))
            return 0
        rep = run_autopilot_replay(
            bars, config, symbol, source=Path(args.file).name, model_type=args.model_type, folds=args.folds,
            rl_steps=args.rl_steps, bundle=bundle, trade_model=trade_model, volatility_factor=_volatility(config, bars),
            progress=not args.no_progress)
    except FileNotFoundError:
        return _err("replay", f"no autopilot models in {args.models} (meta.json missing)",
                    f"aucun modèle du pilote automatique dans {args.models} (meta.json absent)")
    except IntelligenceInputError as exc:
        return _err("replay", exc.message_en, exc.message_fr)
    print(format_replay(rep, _lang(config)))
    save_verdict(rep, config.data_path)
    return 0


def add_evaluate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--autopilot", action="store_true",
                   help="evaluate the autopilot (walk-forward replay) against all its candidates unfiltered, "
                        "buy-and-hold and an MA cross, after commissions and slippage")
    p.add_argument("--model-type", choices=MODEL_CHOICES, default=None,
                   help="with --autopilot: the trade-probability model (default: autopilot.model_type)")
    p.add_argument("--rl-steps", type=int, default=20_000,
                   help="with --autopilot: training steps of the trade-probability model per fold (default 20000)")


def run_evaluate(args: argparse.Namespace, config: MiaConfig) -> int:
    from trading_core.autopilot.evaluate import evaluate_autopilot, format_evaluation, save_verdict
    from trading_core.autopilot.replay import run_autopilot_replay
    from trading_core.instruments import UnknownSymbolError, get_instrument
    from trading_core.intelligence.types import IntelligenceInputError

    try:
        symbol = get_instrument(args.market or config.market).symbol
    except UnknownSymbolError:
        return _err("evaluate", f"the autopilot trades ES or MNQ, not {args.market}",
                    f"le pilote automatique traite ES ou MNQ, pas {args.market}")
    cfg = config.model_copy(update={"risk": config.risk.model_copy(update={"enforce_trading_hours": False})})
    if args.rl_steps < 100:
        return _err("evaluate", f"--rl-steps must be at least 100, got {args.rl_steps}",
                    f"--rl-steps doit valoir au moins 100, reçu {args.rl_steps}")
    try:
        bars = _load(Path(args.data), args.symbol)
        rep = run_autopilot_replay(bars, cfg, symbol, source=Path(args.data).name, model_type=args.model_type,
                                   folds=args.folds, rl_steps=args.rl_steps, volatility_factor=_volatility(cfg, bars),
                                   seed=args.seed, progress=not args.no_progress)
        ev = evaluate_autopilot(rep, bars, cfg)
    except IntelligenceInputError as exc:
        return _err("evaluate", exc.message_en, exc.message_fr)
    print(format_evaluation(ev, "en"))
    print()
    print(format_evaluation(ev, "fr"))
    save_verdict(rep, config.data_path)
    return 0


def run_train_autopilot(args: argparse.Namespace, config: MiaConfig) -> int:
    """`mia train --model-type autopilot [--data FILE] [--market ES]`: the autopilot's regime + filter."""
    from trading_core.autopilot.controller import bootstrap_history
    from trading_core.autopilot.models import anchored_tables, bundle_dir, train_bundle
    from trading_core.instruments import get_instrument
    from trading_core.intelligence.types import IntelligenceInputError

    symbol = get_instrument(args.market or config.market).symbol
    t0 = time.perf_counter()
    try:
        if args.data:
            bars, source = _load(Path(args.data), None), Path(args.data).name
        else:
            bars, source = bootstrap_history(config, symbol, args.synthetic_bars)
        tables = anchored_tables(bars, config, float(get_instrument(symbol).tick_size))
        bundle = train_bundle(tables, config, symbol, source=source, seed=args.seed)
    except IntelligenceInputError as exc:
        return _err("train", exc.message_en, exc.message_fr)
    out = bundle.save(bundle_dir(config.data_path, symbol))
    info = bundle.info
    if _lang(config) == "fr":
        print(f"modèles du pilote automatique : {out}")
        print(f"{info['bars']} barres ({source}), {info['signals']} candidats étiquetés, taux de gain "
              f"{100 * info['win_rate']:.1f} % ; {time.perf_counter() - t0:.1f} s".replace(".", ","))
    else:
        print(f"autopilot models: {out}")
        print(f"{info['bars']} bars ({source}), {info['signals']} labelled candidates, win rate "
              f"{100 * info['win_rate']:.1f}%; {time.perf_counter() - t0:.1f}s")
    return 0


def run_train_vix(args: argparse.Namespace, config: MiaConfig) -> int:
    """`mia train --model-type lstm_vix`: the LSTM next-day VIX forecaster, walk-forward evaluated."""
    from trading_core.autopilot.volatility import VolatilityInputError, format_training, train_vix_model

    try:
        result = train_vix_model(config, data_dir=config.data_path, seed=args.seed, progress=not args.no_progress,
                                 epochs=args.steps)
    except VolatilityInputError as exc:
        return _err("train", exc.message_en, exc.message_fr)
    print(format_training(result, _lang(config)))
    return 0
