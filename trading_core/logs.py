"""Per-module log files: `data/logs/<market>/<module>.log`.

Loggers are named `mia.<module>[.<sub>]`; one handler routes each record to its module's file so a
trader can read `broker.log` without the parser's chatter. Secrets never reach a log: the config
holds none, and `Secrets.__repr__` hides values.
"""
from __future__ import annotations

import logging
from pathlib import Path

from trading_core.private import private_dir, private_file

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ModuleFileHandler(logging.Handler):
    """Routes `mia.<module>...` records to `<dir>/<module>.log` (other loggers go to `other.log`)."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        # logs name orders, positions and chat ids: owner-only folders and files
        private_dir(self.directory.parent, tighten=True)
        private_dir(self.directory, tighten=True)
        self._handlers: dict[str, logging.FileHandler] = {}
        self.setFormatter(logging.Formatter(_FORMAT))

    def _module(self, name: str) -> str:
        parts = name.split(".")
        return parts[1] if len(parts) > 1 and parts[0] == "mia" else "other"

    def emit(self, record: logging.LogRecord) -> None:
        module = self._module(record.name)
        handler = self._handlers.get(module)
        if handler is None:
            handler = logging.FileHandler(private_file(self.directory / f"{module}.log"), encoding="utf-8")
            handler.setFormatter(self.formatter)
            self._handlers[module] = handler
        handler.emit(record)

    def close(self) -> None:
        for h in self._handlers.values():
            h.close()
        super().close()


def setup_logging(data_dir: Path, market: str, level: int = logging.INFO, console: bool = False) -> Path:
    """Attach the per-module file handler to the `mia` logger; returns the log directory."""
    log_dir = Path(data_dir) / "logs" / market
    root = logging.getLogger("mia")
    root.setLevel(level)
    for h in list(root.handlers):
        if isinstance(h, ModuleFileHandler):
            root.removeHandler(h)
            h.close()
    root.addHandler(ModuleFileHandler(log_dir))
    if console and not any(type(h) is logging.StreamHandler for h in root.handlers):
        sh = logging.StreamHandler()
        sh.setLevel(logging.WARNING)
        sh.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(sh)
    return log_dir
