"""What the parser builds from its grammar files once and keeps between runs (`~/.cache/mia`: the classifiers'
models, the fuzzy stage's carrier phrases): where it is kept, under which key, and how it is written."""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent


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
