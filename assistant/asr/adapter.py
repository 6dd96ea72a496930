"""A low-rank (LoRA) adapter of Whisper's decoder for the command domain: load, check, apply.

Whisper base's decoder prior does not expect the grammar's sentences on synthetic voices ("achet
douce contra us" for "achète douze contrats ES"), while forced scoring shows the audio evidence is
in the encoder. The adapter adds trained low-rank updates `B @ A` (rank r) to some projections of
each decoder layer (self-attention query/value, cross-attention query and output); embeddings and
the output projection are untouched. It is applied only to the search's *grammar* rows
(`WhisperDecoder.step(adapt=...)`); the free row and the language / no-speech probabilities stay the
base model, an independent witness.

File format (`.npz`, numpy only): for each target and layer `A/<target>/<layer>` (r, in) and
`B/<target>/<layer>` (out, r), float16; `meta` a JSON string: rank, scale, targets, the SHA-256 of the
base model's `model.bin` (an adapter trained for another model is refused), how it was trained.
Trained by `bench/whisper_adapter.py`.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .base import BackendUnavailable

TARGETS = ("sa_q", "sa_v", "ca_q", "ca_out")
FORMAT = "mia-whisper-lora-1"


def model_hash(model_dir: str | Path) -> str:
    """SHA-256 of the model's `model.bin` (about 0.5 s for Whisper base)."""
    h = hashlib.sha256()
    with open(Path(model_dir) / "model.bin", "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _refuse(path: Path, fr: str, en: str) -> BackendUnavailable:
    return BackendUnavailable(f"Adaptateur Whisper {path} ignoré : {fr}", f"Whisper adapter {path} ignored: {en}")


@dataclass
class LoraWeights:
    """The adapter's tensors (torch, float32), `delta(target, layer, x)` = scale * x A^T B^T."""

    a: dict[str, list[Any]]
    b: dict[str, list[Any]]
    scale: float
    meta: dict[str, Any]

    def delta(self, target: str, layer: int, x: Any) -> Any:
        if target not in self.a:
            return 0.0
        return (x @ self.a[target][layer].transpose(0, 1)) @ self.b[target][layer].transpose(0, 1) * self.scale

    @property
    def parameters(self) -> list[Any]:
        return [t for name in self.a for t in (*self.a[name], *self.b[name])]

    @classmethod
    def new(cls, layers: int, width: int, rank: int, *, targets: tuple[str, ...] = TARGETS,
            alpha: float = 16.0, seed: int = 0) -> LoraWeights:
        """Fresh trainable weights: A small random, B zero (the adapter starts as the base model)."""
        import torch

        gen = torch.Generator().manual_seed(seed)
        a = {t: [(torch.randn(rank, width, generator=gen) / width ** 0.5).requires_grad_() for _ in range(layers)]
             for t in targets}
        b = {t: [torch.zeros(width, rank).requires_grad_() for _ in range(layers)] for t in targets}
        return cls(a, b, alpha / rank, {"rank": rank, "alpha": alpha, "targets": list(targets)})

    def save(self, path: str | Path, meta: dict[str, Any]) -> int:
        """Write the `.npz` (float16); returns its size in bytes."""
        arrays: dict[str, np.ndarray] = {}
        for name in self.a:
            for i, (ta, tb) in enumerate(zip(self.a[name], self.b[name])):
                arrays[f"A/{name}/{i}"] = ta.detach().numpy().astype(np.float16)
                arrays[f"B/{name}/{i}"] = tb.detach().numpy().astype(np.float16)
        full = {**self.meta, **meta, "format": FORMAT, "scale": self.scale}
        arrays["meta"] = np.array(json.dumps(full, ensure_ascii=False))
        p = Path(path)
        tmp = p.with_name(p.name + ".tmp.npz")
        np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]
        tmp.replace(p)
        return p.stat().st_size


def load_adapter(path: str | Path, model_dir: str | Path, layers: int, width: int,
                 expected_hash: str | None = None) -> LoraWeights:
    """The adapter at `path`, checked against the model: raises `BackendUnavailable` (bilingual)
    for a missing, corrupt or mismatched file, so the caller falls back to the base decoder."""
    import torch

    p = Path(path).expanduser()
    if not p.is_file():
        raise _refuse(p, "fichier absent", "file not found")
    try:
        with np.load(p, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {k: np.asarray(data[k], dtype=np.float32) for k in data.files if k != "meta"}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise _refuse(p, f"fichier illisible ({exc})", f"unreadable file ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _refuse(p, "format inconnu", "unknown format")
    want = expected_hash or model_hash(model_dir)
    if meta.get("model_sha256") != want:
        raise _refuse(p, "entraîné pour un autre modèle Whisper (empreinte de model.bin différente)",
                      "trained for another Whisper model (model.bin hash differs)")
    targets = [t for t in meta.get("targets", []) if t in TARGETS]
    rank = int(meta.get("rank", 0))
    a: dict[str, list[Any]] = {}
    b: dict[str, list[Any]] = {}
    for t in targets:
        a[t], b[t] = [], []
        for i in range(layers):
            ka, kb = f"A/{t}/{i}", f"B/{t}/{i}"
            if ka not in arrays or kb not in arrays:
                raise _refuse(p, f"poids {ka} absents", f"weights {ka} missing")
            wa, wb = arrays[ka], arrays[kb]
            if wa.shape != (rank, width) or wb.shape != (width, rank) or not (
                    np.isfinite(wa).all() and np.isfinite(wb).all()):
                raise _refuse(p, f"poids {ka} de forme {wa.shape} ou non finis",
                              f"weights {ka} of shape {wa.shape} or not finite")
            a[t].append(torch.from_numpy(wa))
            b[t].append(torch.from_numpy(wb))
    if not targets:
        raise _refuse(p, "aucune couche adaptée", "no adapted layer")
    return LoraWeights(a, b, float(meta.get("scale", 1.0)), meta)
