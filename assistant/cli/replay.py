"""`mia replay`: replay a bar file through the risk gate and the paper broker with a built-in strategy,
then print the result (the replay itself is `trading_core.replay`)."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from assistant.present.money import format_money
from assistant.present.numbers import format_fraction, format_number, format_percent
from trading_core.config import MiaConfig
from trading_core.replay import ReplayOutcome, run_replay
from trading_core.strategies import STRATEGIES


def render_outcome(out: ReplayOutcome, lang: str = "en") -> str:
    m = out.metrics
    fr = lang == "fr"
    pf = format_number(m.profit_factor, lang, 2, 2) if m.profit_factor is not None else "-"

    def usd(v: object) -> str:
        return format_money(v, lang)  # type: ignore[arg-type]

    reasons = ", ".join(f"{k} {v}" for k, v in sorted(out.rejections.items(), key=lambda kv: -kv[1]))
    reasons = f" ({reasons})" if reasons else ""
    skipped = f" {out.skipped_reasons}" if out.skipped_reasons else ""
    seconds = format_number(out.seconds, lang, 3, 3)
    rate = format_number(round(out.bars_per_second), lang, 0)
    win = format_fraction(m.win_rate, lang, 1)
    dd = format_percent(m.max_drawdown_pct, lang, 2)
    if fr:
        lines = [
            f"{out.bars} barres en {seconds} s ({rate} barres/s, {out.mode})",
            f"ordres {out.orders}, refusés par le contrôle des risques {out.rejected}{reasons} ; arrêts sur perte "
            f"journalière {out.halts} ; lignes corrompues ignorées {out.rows_skipped}{skipped}",
            f"trades {m.trades}  taux de réussite {win}  facteur de profit {pf}",
            f"P&L net {usd(m.net_pnl)}  plus gros gain {usd(m.largest_win)}  plus grosse perte {usd(m.largest_loss)}",
            f"gain moyen {usd(m.average_win)}  perte moyenne {usd(m.average_loss)}  perte maximale depuis un sommet "
            f"{usd(m.max_drawdown)} ({dd})",
            f"capital final {usd(out.final_equity)}",
        ]
    else:
        lines = [
            f"bars {out.bars} in {seconds}s ({rate} bars/s, {out.mode})",
            f"orders {out.orders}, refused by the risk gate {out.rejected}{reasons}; daily-loss halts {out.halts}; "
            f"corrupt rows skipped {out.rows_skipped}{skipped}",
            f"trades {m.trades}  win rate {win}  profit factor {pf}",
            f"net P&L {usd(m.net_pnl)}  largest win {usd(m.largest_win)}  largest loss {usd(m.largest_loss)}",
            f"avg win {usd(m.average_win)}  avg loss {usd(m.average_loss)}  max drawdown {usd(m.max_drawdown)} ({dd})",
            f"final equity {usd(out.final_equity)}",
        ]
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser(
        "replay",
        help="replay a bar file through the paper broker with a built-in strategy",
        description="Replay OHLCV bars (CSV or CSV.gz: ts_utc,open,high,low,close,volume) through the risk gate and "
        "paper broker with a simple strategy, then print performance metrics. Corrupt rows are skipped and counted.\n"
        "Example: mia replay ../shared/data/market/intraday/es_1m_2019-09-01_2019-09-30_quantcs109.csv.gz --strategy sma_cross",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("file", type=Path, help="CSV or CSV.gz bar file")
    r.add_argument("--strategy", default="sma_cross", choices=sorted([*STRATEGIES, "autopilot"]),
                   help="built-in strategy, or autopilot: the autopilot's pipeline with walk-forward models")
    r.add_argument("--symbol", choices=["ES", "MNQ"], help="instrument for sizing and P&L (default: config market)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--engine", action="store_true",
                   help="drive the live engine price by price instead of the replay kernel (same trades, ~100x slower; "
                        "a cross-check)")
    from trading_core.autopilot.cli import add_replay_options

    add_replay_options(r)
    r.set_defaults(func=_replay_command)


def _replay_command(args: argparse.Namespace, config: MiaConfig) -> int:
    if not args.file.exists():
        print(f"mia replay: no such file: {args.file} / fichier introuvable", file=sys.stderr)
        return 2
    # A replay is a backtest: market hours come from the data itself.
    cfg = config.model_copy(update={"risk": config.risk.model_copy(update={"enforce_trading_hours": False})})
    from trading_core.marketdata.csv_replay import CsvReplayError

    lang = _lang(args, config)
    if args.strategy == "autopilot":
        from trading_core.autopilot.cli import run_replay as run_autopilot_replay

        try:
            return run_autopilot_replay(args, cfg)
        except CsvReplayError as exc:
            print(f"mia replay: {exc.message(lang)}", file=sys.stderr)
            return 2
    try:
        out = asyncio.run(run_replay(args.file, args.strategy, cfg, args.symbol, show_progress=not args.no_progress,
                                     engine_mode=args.engine))
    except CsvReplayError as exc:
        print(f"mia replay: {exc.message(lang)}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"mia replay: {exc}", file=sys.stderr)
        return 2
    print(render_outcome(out, lang))
    return 0


def _lang(args: argparse.Namespace, config: MiaConfig) -> str:
    lang = getattr(args, "lang", None) or config.language
    return "fr" if lang == "fr" else "en"


__all__ = ["register", "render_outcome"]
