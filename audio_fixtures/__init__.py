"""The labelled audio fixture set: sentences, voices, noises and the generator (see README.md)."""
from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def add_fixture_arguments(parser: argparse.ArgumentParser, langs: tuple[str, ...] = ("en", "fr")) -> None:
    """`--audio` / `--labels` defaulting to the generated fixtures (`make fixtures`), for the benches."""
    parser.add_argument("--audio", nargs="+", default=[str(ROOT / "generated" / lang) for lang in langs],
                        help="audio folders (default: the project fixtures, both languages)")
    parser.add_argument("--labels", nargs="+", default=[str(ROOT / f"labels_{lang}.json") for lang in langs],
                        help="label files (default: the project fixtures' labels)")
