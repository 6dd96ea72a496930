"""Per-module log files: `data/logs/<market>/<module>.log`.

Loggers are named `mia.<module>[.<sub>]`; one handler routes each record to its module's file so a
trader can read `broker.log` without the parser's chatter. Records of other libraries (warnings and
above) and Python warnings go to `other.log`: nothing reaches the terminal, where the trader
talks to MIA, unless `console=True` (`mia -v`). Secrets never reach a log: the config holds
none, and `Secrets.__repr__` hides values.
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


#: Levels accepted by `--log-level` (the seed's option), most verbose first.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def parse_level(text: str) -> int:
    """"debug" / "INFO" ... -> logging level; ValueError (naming the allowed values) otherwise."""
    name = str(text).strip().upper()
    if name not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)} (got {text!r}) / "
                         f"le niveau de journalisation doit être l'un de {', '.join(LEVELS)} (reçu {text!r})")
    return int(getattr(logging, name))


class _NotMia(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "mia" or record.name.startswith("mia."))


def setup_logging(data_dir: Path, market: str, level: int = logging.INFO, console: bool = False) -> Path:
    """Attach the per-module file handler to the `mia` logger, and one for everything else (other
    libraries' warnings, Python warnings) to the root logger; returns the log directory."""
    log_dir = Path(data_dir) / "logs" / market
    mia = logging.getLogger("mia")
    mia.setLevel(level)
    base = logging.getLogger()
    for logger in (mia, base):
        for h in list(logger.handlers):
            if isinstance(h, ModuleFileHandler) or getattr(h, "_mia_console", False):
                logger.removeHandler(h)
                h.close()
    mia.addHandler(ModuleFileHandler(log_dir))
    others = ModuleFileHandler(log_dir)
    others.setLevel(logging.WARNING)
    others.addFilter(_NotMia())
    base.addHandler(others)
    # e.g. a recogniser's GrammarWarning: to other.log, not the terminal. Re-armed (off, then on):
    # logging does nothing when it believes it already captures, even if warnings.showwarning has
    # been put back since (warnings.catch_warnings does that).
    logging.captureWarnings(False)
    logging.captureWarnings(True)
    if console:
        sh = logging.StreamHandler()
        sh.setLevel(level)
        sh.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        sh._mia_console = True  # type: ignore[attr-defined]
        mia.addHandler(sh)
    return log_dir
