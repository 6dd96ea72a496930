"""`mia harness`: score the whole speech-to-action path on folders of labelled audio, in noise.

    mia harness --audio DIR --labels LABELS.json [--grammar PATH ...] [--backend whisper-grammar|pocketsphinx-verified|vosk|pocketsphinx|whisper]
                [--lang auto|fr|en] [--noise NOISE.wav|babble|music|clatter|pink|brown ... --snr 24 15 6] [--seed N]
                [--report report.json] [--min-accept 0.95] [--plot acceptance.png]

Exit code: 0 when the run is complete and at or above `--min-accept`, 1 below it, 2 for bad input
(labels, audio folder, noise file, grammar, recogniser that cannot run). Labels format and SNR
definition: docs/harness.md.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

DEFAULT_SNRS = [24.0, 15.0, 6.0]

EXAMPLES = """examples:
  make fixtures     # once: synthesise the labelled fixture set into audio_fixtures/generated/
  mia harness --audio audio_fixtures/generated/en --labels audio_fixtures/labels_en.json --lang en
  mia harness --audio audio_fixtures/generated/fr --labels audio_fixtures/labels_fr.json --lang fr \\
      --noise babble music clatter --snr 24 15 6
  mia harness --audio recordings/ --labels recordings/labels.json --noise cafe.wav --snr 18 12 6 \\
      --report report.json --plot acceptance.png --min-accept 0.9
  mia harness --audio lights/ --labels lights/labels.json --grammar lights.yaml --lang en
"""


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1 (e.g. 0.95), got {text!r}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "harness",
        help="score speech -> intent on labelled audio folders, clean and in noise",
        description=(
            "Run every labelled audio file through the live listening path (source -> endpointer -> "
            "recogniser -> parser; nothing is executed) and report command acceptance overall, per "
            "language, per SNR, per noise and per intent, the failures, latency and real-time factor. "
            "Labels: Picovoice speech-to-intent format (docs/harness.md)."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--audio", nargs="+", required=True, metavar="DIR",
                   help="audio folder (one for all labels files, or one per labels file)")
    p.add_argument("--labels", nargs="+", required=True, metavar="LABELS.json",
                   help="labels: {file: {intent, slots}}; null/absent intent = must be rejected")
    p.add_argument("--grammar", nargs="+", metavar="PATH",
                   help="grammar files or folders in the project format (default: grammars/)")
    p.add_argument("--backend", choices=["whisper-grammar", "pocketsphinx-verified", "vosk", "pocketsphinx", "whisper"], help="speech recogniser override")
    p.add_argument("--lang", choices=["auto", "fr", "en"], default=argparse.SUPPRESS,
                   help="listening language(s) (default auto: every language of the grammar)")
    p.add_argument("--noise", nargs="+", metavar="NOISE",
                   help="noise files mixed into every utterance, or names of the fixture set's noises: "
                        "pink, brown, babble, music, clatter")
    p.add_argument("--snr", nargs="+", type=float, metavar="DB",
                   help="SNRs in dB for --noise (default: 24 15 6)")
    p.add_argument("--no-clean", action="store_true", help="with --noise: skip the clean condition")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise offsets (default 0)")
    p.add_argument("--report", metavar="FILE", help="write the full report as JSON")
    p.add_argument("--plot", metavar="FILE", help="write a PNG of acceptance vs SNR")
    p.add_argument("--min-accept", type=_fraction, metavar="RATE",
                   help="exit with code 1 when overall acceptance is below RATE (0..1), for CI")
    p.add_argument("--min-confidence", type=_fraction, metavar="C",
                   help="confidence gate (default: the config's dialogue.min_confidence, as live)")
    p.add_argument("--context", choices=["confirmation"],
                   help="score every file as said in this reply context: 'confirmation' = right after a "
                        "read-back, when MIA waits for yes / no (docs/asr.md, \"Reply contexts\")")
    p.add_argument("--max-failures", type=int, default=40, metavar="N", help="failures listed on the terminal")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=harness_command)


def _say(ui: str, en: str, fr: str, *, err: bool = False) -> None:
    print(fr if ui == "fr" else en, file=sys.stderr if err else sys.stdout)


def harness_command(args: argparse.Namespace, config: Any) -> int:
    from assistant.asr.base import RecognizerError
    from assistant.grammar.model import GrammarError

    from .labels import LabelsError, load_dataset
    from .noise import NoiseError, load_noise
    from .report import format_table, report_dict, summarise, write_json, write_plot
    from .runner import HarnessError, build_pipeline, conditions_for, lead_in_s, run

    lang = getattr(args, "lang", None) or "auto"
    ui = lang if lang in ("en", "fr") else (config.language if config.language in ("en", "fr") else "en")
    if args.snr and not args.noise:
        _say(ui, "--snr needs --noise (the noise files to mix in)",
             "--snr demande --noise (les fichiers de bruit à mélanger)", err=True)
        return 2
    if args.no_clean and not args.noise:
        _say(ui, "--no-clean needs --noise: there would be nothing to run",
             "--no-clean demande --noise : il n'y aurait rien à évaluer", err=True)
        return 2
    try:
        dataset = load_dataset(args.audio, args.labels, lang if lang in ("en", "fr") else None)
        noises = [load_noise(n) for n in args.noise or []]
    except (LabelsError, NoiseError) as exc:
        _say(ui, exc.en, exc.fr, err=True)
        return 2
    names = [n.name for n in noises]
    if len(set(names)) != len(names):
        _say(ui, f"two noise files have the same name ({', '.join(names)}): rename one, reports key noises by name",
             f"deux fichiers de bruit ont le même nom ({', '.join(names)}) : renommez-en un", err=True)
        return 2
    if dataset.unlabelled:
        shown = ", ".join(dataset.unlabelled[:5]) + (" ..." if len(dataset.unlabelled) > 5 else "")
        _say(ui, f"note: {len(dataset.unlabelled)} audio file(s) without a label are skipped: {shown}",
             f"note : {len(dataset.unlabelled)} fichier(s) audio sans étiquette ignoré(s) : {shown}", err=True)
    try:
        pipeline = build_pipeline(config, lang=lang, backend=args.backend, grammar_paths=args.grammar,
                                  min_confidence=args.min_confidence, ui_lang=ui)
    except GrammarError as exc:
        _say(ui, f"grammar error: {exc}", f"erreur de grammaire : {exc}", err=True)
        return 2
    except (RecognizerError, HarnessError) as exc:
        _say(ui, exc.en, exc.fr, err=True)
        return 2
    if args.context:
        from assistant.asr.context import ReplyContext

        for rec in {id(r): r for r in pipeline.recognizers.values()}.values():
            rec.set_context(ReplyContext(args.context))
            if not rec.uses_context:
                _say(ui, f"note: the {rec.backend} recogniser ignores the reply context",
                     f"note : le moteur {rec.backend} ignore le contexte de réponse", err=True)
    try:
        for line in pipeline.startup:
            print("  " + line, file=sys.stderr)
        snrs = args.snr or (DEFAULT_SNRS if noises else [])
        conditions = conditions_for(noises, snrs, include_clean=not args.no_clean)
        result = run(pipeline, dataset.items, conditions, seed=args.seed,
                     progress=not args.no_progress and sys.stderr.isatty())
    finally:
        pipeline.close()
    summary = summarise(result.outcomes)
    unreadable = sorted({o.file for o in result.outcomes if o.error is not None})
    if unreadable:
        shown = ", ".join(unreadable[:5]) + (" ..." if len(unreadable) > 5 else "")
        _say(ui, f"warning: {len(unreadable)} file(s) could not be read and count as failures: {shown}",
             f"attention : {len(unreadable)} fichier(s) illisible(s), comptés comme échecs : {shown}", err=True)
    settings = {
        "audio": [str(a) for a in args.audio], "labels": [str(lb) for lb in args.labels],
        "files": len(dataset.items), "conditions": len(conditions), "lang": lang,
        "noises": [str(n.path) for n in noises], "snr_db": snrs, "clean": not args.no_clean, "seed": args.seed,
        "lead_in_s": lead_in_s(pipeline.endpointer_config) if noises else 0.0,
        "trailing_silence_s": pipeline.endpointer_config.trailing_silence_s,
        "min_confidence": pipeline.min_confidence, "min_accept": args.min_accept,
        "unlabelled": dataset.unlabelled,
    }
    print(format_table(summary, pipeline, settings, max_failures=args.max_failures, lang=ui))
    if args.report:
        path = write_json(args.report, report_dict(result, summary, pipeline, settings))
        _say(ui, f"report written: {path}", f"rapport écrit : {path}")
    if args.plot:
        path = write_plot(args.plot, summary)
        _say(ui, f"plot written: {path}", f"graphique écrit : {path}")
    if args.min_accept is not None and summary.overall.rate < args.min_accept:
        _say(ui, f"FAIL: acceptance {summary.overall.rate:.1%} is below --min-accept {args.min_accept:.1%}",
             f"ÉCHEC : acceptation {summary.overall.rate:.1%} sous --min-accept {args.min_accept:.1%}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m assistant.harness.cli ...`: the same command without the rest of `mia`."""
    from trading_core.config import ConfigError, load_config

    parser = argparse.ArgumentParser(prog="mia")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["harness", *(sys.argv[1:] if argv is None else argv)])
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"mia: {exc}", file=sys.stderr)
        return 2
    return int(args.func(args, config))


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["DEFAULT_SNRS", "harness_command", "main", "register"]
