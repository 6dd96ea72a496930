"""Compressed JSON snapshots of the engine state, written on SIGINT/SIGTERM.

Path: `data/cache/<module>/<market>/sigint_<UTC timestamp>.json.gz`. The ledger stays the source of
truth; a snapshot is a human- and tool-readable record of what the engine held when it stopped.
"""
from __future__ import annotations

import dataclasses
import enum
import gzip
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from trading_core.private import private_dir, private_file


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, enums, Decimals and datetimes to plain JSON values (Decimal as string: exact)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in obj]
    return obj


def write_snapshot(data_dir: Path, module: str, market: str, state: Any, reason: str = "sigint") -> Path:
    ts = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    directory = Path(data_dir) / "cache" / module / market
    for folder in (Path(data_dir) / "cache", Path(data_dir) / "cache" / module, directory):
        private_dir(folder, tighten=True)  # positions, orders and equity: owner-only
    path = directory / f"{reason}_{ts}.json.gz"
    tmp = path.with_suffix(".tmp")
    private_file(tmp)
    with gzip.open(tmp, "wt", encoding="utf-8") as fh:
        json.dump(to_jsonable(state), fh, ensure_ascii=False, indent=1)
    tmp.replace(path)  # atomic: a half-written snapshot never carries the final name
    return path


def read_snapshot(path: Path) -> Any:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)
