"""Owner-only files and folders for everything that holds money state or secrets.

The ledger (and SQLite's -wal / -shm beside it, which take the database file's permissions), the
alert outbox (alert texts, phone numbers, chat ids), logs and snapshots are created 0600 in 0700
folders, like the control socket, whatever the process umask. An existing file of MIA's with looser
permissions that belongs to this user is tightened, and so is a folder MIA names itself (logs/,
run/, cache/...) when asked; a folder the user chose (the data folder itself, /tmp, a home folder)
is never chmod-ed: only what MIA creates there is made private.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def _tighten(path: Path, mode: int) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & ~mode:
        os.chmod(path, stat.S_IMODE(st.st_mode) & mode)


def private_dir(path: str | os.PathLike[str], *, tighten: bool = False) -> Path:
    """Create `path` (and missing parents) owner-only. Folders that already exist are left as they
    are, unless `tighten` (a folder that is MIA's own, e.g. logs/ES): then it is made 0700 too."""
    p = Path(path).expanduser()
    missing: list[Path] = []
    probe = p
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
        _tighten(d, DIR_MODE)
    if tighten:
        _tighten(p, DIR_MODE)
    return p


def private_file(path: str | os.PathLike[str]) -> Path:
    """Make sure `path` exists as an owner-only file (created empty if missing), its folder too."""
    p = Path(path).expanduser()
    private_dir(p.parent)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.close(fd)
    _tighten(p, FILE_MODE)
    return p


def tighten_file(path: str | os.PathLike[str]) -> None:
    """Owner-only permissions for a file some library created (SQLite's -wal and -shm)."""
    _tighten(Path(path), FILE_MODE)


__all__ = ["DIR_MODE", "FILE_MODE", "private_dir", "private_file", "tighten_file"]
