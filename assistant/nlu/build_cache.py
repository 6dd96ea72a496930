"""What the parser builds from its grammar files once and keeps between runs (`~/.cache/mia`: the classifiers'
models, the fuzzy stage's carrier phrases): where it is kept, under which key, and how it is written."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Files of one kind kept (the most recently used): every edit of a grammar or of the code makes a new key,
#: and the files of the old keys (up to ~5 MB each) would otherwise pile up; several checkouts share the cache.
KEEP_PER_KIND = 8

#: A kept file's name: "<kind>-<24 hex digits of key>.<ext>" ("nlu-carriers-fr-0a1b….pickle").
_KEYED = re.compile(r"^(?P<kind>.+)-[0-9a-f]{24}$")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mia"


def code_files() -> list[Path]:
    """The code that turns grammar files into what is kept (grammar loader, scanner, frames, the NLU modules)."""
    return sorted(HERE.glob("*.py")) + sorted((HERE.parent / "grammar").glob("*.py"))


def files_digest(seed: str, groups: Iterable[Iterable[Path]]) -> str | None:
    """A cache key from `seed` and the names and bytes of the files, in the order given; None when one cannot
    be read (then nothing is kept under a key that may be wrong)."""
    h = hashlib.sha256(seed.encode())
    try:
        for group in groups:
            for path in group:
                h.update(f"\n{path.name}\n".encode())
                h.update(path.read_bytes())
    except OSError:
        return None
    return h.hexdigest()[:24]


def write_atomically(path: Path, write: Callable[[str], None]) -> None:
    """`write(temporary path)`, then the file moved to `path` whole: a run stopped mid-write leaves no
    truncated file behind. Raises OSError (a read-only cache: the caller builds again next time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    prune(path)


def note_use(path: Path) -> None:
    """Mark a kept file as just used (its modification time), so that pruning keeps it."""
    try:
        os.utime(path)
    except OSError:
        pass


def prune(path: Path, keep: int = KEEP_PER_KIND) -> list[Path]:
    """Remove the files of `path`'s kind beyond the `keep` most recently used (`path` always stays); returns
    what was removed. Best effort: a file another process removes first, or a read-only cache, is no error."""
    match = _KEYED.match(path.stem)
    if match is None:
        return []
    prefix = match.group("kind") + "-"
    aged: list[tuple[float, Path]] = []
    try:
        for other in path.parent.iterdir():
            if other != path and other.suffix == path.suffix and other.name.startswith(prefix) \
                    and (m := _KEYED.match(other.stem)) is not None and m.group("kind") == match.group("kind"):
                aged.append((other.stat().st_mtime, other))
    except OSError:
        return []
    removed = []
    for _, other in sorted(aged, key=lambda item: item[0], reverse=True)[max(keep - 1, 0):]:
        try:
            other.unlink()
            removed.append(other)
        except OSError:
            pass
    return removed
