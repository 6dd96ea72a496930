"""Checkpoints under `<data_dir>/checkpoints/<model_type>/<market>/`: `model.pt` (torch state dicts) and
`metadata.json` (version, config, seed, steps, observation normalisation, evaluation figures).

Reading metadata needs no torch, so reports that only quote training figures stay torch-free. Files are
written to a temporary name and renamed, so a crash mid-save never leaves a half-written checkpoint in
place of a good one; the previous one is kept as `*.prev` until the new pair is complete.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

from trading_core.intelligence.rl.types import MODEL_TYPES, RLInputError

CHECKPOINT_VERSION = 1
MODEL_FILE = "model.pt"
METADATA_FILE = "metadata.json"


class CheckpointMissing(RLInputError):
    pass


class CheckpointInvalid(RLInputError):
    pass


def checkpoint_dir(data_dir: str | Path, model_type: str, market: str) -> Path:
    if model_type not in MODEL_TYPES:
        raise RLInputError(
            f"unknown model type {model_type!r}; choose one of {', '.join(MODEL_TYPES)}",
            f"type de modèle inconnu {model_type!r} ; choisissez parmi {', '.join(MODEL_TYPES)}",
        )
    return Path(data_dir).expanduser() / "checkpoints" / model_type / market


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _replace_keeping_previous(tmp: Path, path: Path) -> None:
    if path.exists():
        os.replace(path, path.with_name(path.name + ".prev"))
    os.replace(tmp, path)


def _json_safe(x: Any) -> Any:
    """NaN / inf become null so metadata.json is strict JSON any tool can read; numpy scalars become
    plain Python numbers."""
    if type(x).__module__ == "numpy" and hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


def save_checkpoint(directory: Path, state: dict[str, Any], metadata: dict[str, Any]) -> Path:
    import torch  # lazy: only the training path saves

    directory.mkdir(parents=True, exist_ok=True)
    model_tmp = directory / (MODEL_FILE + ".tmp")
    meta_tmp = directory / (METADATA_FILE + ".tmp")
    torch.save(state, model_tmp)
    # The metadata names the exact weights it describes: a save interrupted between the two renames
    # is detected at load time instead of pairing new weights with old normalisation figures.
    meta = _json_safe({"version": CHECKPOINT_VERSION, **metadata, "model_sha256": _sha256(model_tmp)})
    meta_tmp.write_text(json.dumps(meta, indent=2, sort_keys=True, allow_nan=False), encoding="utf-8")
    _replace_keeping_previous(model_tmp, directory / MODEL_FILE)
    _replace_keeping_previous(meta_tmp, directory / METADATA_FILE)
    return directory


def read_metadata(directory: Path) -> dict[str, Any]:
    path = directory / METADATA_FILE
    if not path.exists() or not (directory / MODEL_FILE).exists():
        raise CheckpointMissing(f"no checkpoint in {directory}", f"aucun point de contrôle dans {directory}")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointInvalid(
            f"{path} is not valid JSON ({exc})", f"{path} n'est pas un JSON valide ({exc})"
        ) from None
    if not isinstance(meta, dict) or meta.get("version") != CHECKPOINT_VERSION:
        found = meta.get("version") if isinstance(meta, dict) else None
        raise CheckpointInvalid(
            f"{path} has checkpoint version {found!r}, this program reads version {CHECKPOINT_VERSION}",
            f"{path} est en version {found!r}, ce programme lit la version {CHECKPOINT_VERSION}",
        )
    return meta


def load_state(directory: Path, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    import torch  # lazy: only inference / tests load weights

    path = directory / MODEL_FILE
    if metadata is not None and path.exists() and metadata.get("model_sha256") != _sha256(path):
        raise CheckpointInvalid(
            f"{path} does not match its metadata (interrupted save?); retrain",
            f"{path} ne correspond pas à ses métadonnées (sauvegarde interrompue ?) ; ré-entraînez",
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointMissing(f"no checkpoint in {directory}", f"aucun point de contrôle dans {directory}") from None
    except Exception as exc:  # torch raises many types (pickle, zip, runtime) for a damaged file
        raise CheckpointInvalid(
            f"{path} cannot be loaded ({type(exc).__name__}: {exc})",
            f"{path} ne peut pas être chargé ({type(exc).__name__} : {exc})",
        ) from None
    if not isinstance(state, dict):
        raise CheckpointInvalid(f"{path} does not hold a state dictionary", f"{path} ne contient pas de dictionnaire d'état")
    return state
