"""The parser's cache (`~/.cache/mia`) stays bounded: each kind keeps its most recently used files."""
from __future__ import annotations

import os
from pathlib import Path

from assistant.nlu.build_cache import KEEP_PER_KIND, note_use, prune, write_atomically


def _kept(tmp_path: Path, kind: str, n: int, ext: str = ".pickle") -> list[Path]:
    paths = []
    for i in range(n):
        p = tmp_path / f"{kind}-{i:024x}{ext}"
        p.write_bytes(b"x")
        os.utime(p, (1_000_000 + i, 1_000_000 + i))  # older first
        paths.append(p)
    return paths


def test_a_new_file_prunes_its_kind_to_the_most_recently_used(tmp_path: Path) -> None:
    old = _kept(tmp_path, "nlu-carriers-fr", KEEP_PER_KIND + 5)
    others = _kept(tmp_path, "nlu-carriers-en", 3) + _kept(tmp_path, "nlu-classifier", 3, ".joblib")
    stray = tmp_path / "whisper-silence-0a707b55da831ccf.npy"  # (not a 24-digit key: never touched)
    stray.write_bytes(b"x")
    note_use(old[0])  # the oldest file was just read: it stays
    new = tmp_path / f"nlu-carriers-fr-{'f' * 24}.pickle"
    write_atomically(new, lambda tmp: Path(tmp).write_bytes(b"new"))
    left = sorted(p for p in tmp_path.glob("nlu-carriers-fr-*"))
    assert len(left) == KEEP_PER_KIND and new in left and old[0] in left
    assert old[-1] in left and old[1] not in left  # the least recently used went first
    assert all(p.exists() for p in others) and stray.exists()
    assert not list(tmp_path.glob("*.tmp"))


def test_pruning_a_missing_or_foreign_name_is_no_error(tmp_path: Path) -> None:
    assert prune(tmp_path / "notes.txt") == []
    assert prune(tmp_path / "gone" / f"nlu-commands-{'0' * 24}.joblib") == []
