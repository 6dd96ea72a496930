"""Speech models on disk: `mia models download en fr` and `mia models list`.

Vosk models come from the official Vosk model list (Apache-2.0). Each archive is checked against
a pinned SHA-256 while it downloads, unpacked into a staging folder (refusing paths that would
escape it), checked to look like a Vosk model, then moved into place in one rename - an
interrupted or corrupted download never leaves a half model that start-up would pick.

Where models live: `asr.models_dir` in the config, else $MIA_MODELS_DIR, else
$XDG_DATA_HOME/mia/models (~/.local/share/mia/models). `MIA_MODELS_BASE_URL` points downloads at
a mirror (same file names).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from .base import RecognizerError
from .vosk_backend import check_model_dir as check_vosk_dir
from .whisper_backend import check_model_dir as check_whisper_dir

OFFICIAL_BASE_URL = "https://alphacephei.com/vosk/models"


class ModelDownloadError(RecognizerError):
    """A model could not be fetched, verified or unpacked; nothing was installed."""


@dataclass(frozen=True)
class ModelSpec:
    lang: str
    name: str  # folder name once unpacked, and archive name without ".zip"
    sha256: str
    size: int  # bytes, for the progress bar when the server sends no Content-Length
    url: str = ""

    @property
    def archive_url(self) -> str:
        if self.url:
            return self.url
        base = os.environ.get("MIA_MODELS_BASE_URL", OFFICIAL_BASE_URL).rstrip("/")
        return f"{base}/{self.name}.zip"


# Digests of the official archives (small models, about 40 MB each).
CATALOGUE: dict[str, ModelSpec] = {
    "en": ModelSpec("en", "vosk-model-small-en-us-0.15",
                    "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498", 41_205_931),
    "fr": ModelSpec("fr", "vosk-model-small-fr-0.22",
                    "cabf6180e177eb9b3a9a9d43a437bd5e549f3a7d09525e5d69a3fed787be12ad", 42_233_323),
}


def models_dir(config: Any = None) -> Path:
    configured = getattr(getattr(config, "asr", None), "models_dir", None)
    if configured:
        return Path(configured).expanduser()
    env = os.environ.get("MIA_MODELS_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "mia" / "models"


@dataclass(frozen=True)
class InstalledModel:
    kind: str  # "vosk" | "whisper"
    lang: str  # "en" | "fr" | "fr+en" | "?"
    name: str
    path: Path
    size_bytes: int


def _dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def _guess_lang(name: str) -> str:
    for spec in CATALOGUE.values():
        if spec.name == name:
            return spec.lang
    low = name.lower()
    if "-en" in low:
        return "en"
    if "-fr" in low:
        return "fr"
    return "?"


def installed_models(dest: Path) -> list[InstalledModel]:
    """Every usable model folder directly under `dest` (staging folders are ignored)."""
    out: list[InstalledModel] = []
    if not dest.is_dir():
        return out
    for child in sorted(dest.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        try:
            check_vosk_dir(child, "?")
            out.append(InstalledModel("vosk", _guess_lang(child.name), child.name, child, _dir_size(child)))
            continue
        except RecognizerError:
            pass
        try:
            check_whisper_dir(child)
            out.append(InstalledModel("whisper", "fr+en", child.name, child, _dir_size(child)))
        except RecognizerError:
            pass
    return out


def find_vosk_model(lang: str, dest: Path) -> Path | None:
    """The catalogue model for `lang` if installed, else any installed Vosk model of that language."""
    models = [m for m in installed_models(dest) if m.kind == "vosk"]
    spec = CATALOGUE.get(lang)
    for m in models:
        if spec and m.name == spec.name:
            return m.path
    for m in models:
        if m.lang == lang:
            return m.path
    return None


def find_whisper_model(dest: Path) -> Path | None:
    for m in installed_models(dest):
        if m.kind == "whisper":
            return m.path
    return None


def _safe_members(zf: zipfile.ZipFile, archive: str) -> list[zipfile.ZipInfo]:
    members = zf.infolist()
    for info in members:
        p = PurePosixPath(info.filename)
        if p.is_absolute() or ".." in p.parts or info.filename.startswith(("/", "\\")):
            raise ModelDownloadError(
                f"Archive refusée ({archive}) : chemin dangereux « {info.filename} »",
                f"Archive refused ({archive}): unsafe path '{info.filename}'",
            )
    return members


def install_archive(archive: Path, spec: ModelSpec, dest: Path) -> Path:
    """Verify, unpack and move a downloaded archive into `dest/spec.name` (atomic rename)."""
    digest = sha256_file(archive)
    if digest != spec.sha256:
        raise ModelDownloadError(
            f"Somme de contrôle incorrecte pour {spec.name} : attendu {spec.sha256}, obtenu {digest}. "
            "Fichier rejeté (téléchargement corrompu ou modifié).",
            f"Checksum mismatch for {spec.name}: expected {spec.sha256}, got {digest}. "
            "File rejected (corrupted or altered download).",
        )
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=dest))
    try:
        try:
            with zipfile.ZipFile(archive) as zf:
                members = _safe_members(zf, spec.name)
                zf.extractall(staging, members)
        except zipfile.BadZipFile as exc:
            raise ModelDownloadError(
                f"Archive {spec.name} illisible : {exc}", f"Archive {spec.name} is unreadable: {exc}"
            ) from None
        # Official archives hold one top-level folder named like the model; accept a flat one too.
        entries = [e for e in staging.iterdir() if not e.name.startswith("__MACOSX")]
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else staging
        try:
            check_vosk_dir(root, spec.lang)
        except RecognizerError:
            raise ModelDownloadError(
                f"L'archive {spec.name} ne contient pas de modèle Vosk (am/final.mdl ou conf/model.conf absents)",
                f"The archive {spec.name} holds no Vosk model (no am/final.mdl or conf/model.conf)",
            ) from None
        target = dest / spec.name
        if target.exists():
            shutil.rmtree(target)
        root.rename(target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download_model(spec: ModelSpec, dest: Path, progress: bool = True, timeout_s: float = 60.0) -> Path:
    """Fetch, verify and install one model; returns its folder. Already installed -> no download."""
    target = dest / spec.name
    try:
        return check_vosk_dir(target, spec.lang)
    except RecognizerError:
        pass
    dest.mkdir(parents=True, exist_ok=True)
    url = spec.archive_url
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.name}-", suffix=".zip.part", dir=dest)
    tmp = Path(tmp_name)
    try:
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as resp, os.fdopen(fd, "wb") as out:
                total = int(resp.headers.get("Content-Length") or spec.size or 0)
                bar = _progress_bar(total, spec.name, progress)
                try:
                    for block in iter(lambda: resp.read(1 << 16), b""):
                        out.write(block)
                        bar.update(len(block))
                finally:
                    bar.close()
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ModelDownloadError(
                f"Téléchargement impossible de {url} : {reason}. Vérifiez la connexion réseau.",
                f"Cannot download {url}: {reason}. Check the network connection.",
            ) from None
        return install_archive(tmp, spec, dest)
    finally:
        tmp.unlink(missing_ok=True)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, name: str, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total or None, unit="B", unit_scale=True, unit_divisor=1024, desc=name,
                file=sys.stderr)


# ---------------------------------------------------------------- CLI: mia models ...
def register(sub: Any) -> None:
    """Add `mia models download LANG...` and `mia models list` to the CLI."""
    p = sub.add_parser("models", help="download / list speech models (Vosk)",
                       description="Examples: mia models download en fr ; mia models list")
    msub = p.add_subparsers(dest="models_command", required=True)
    d = msub.add_parser("download", help="download the official small Vosk models")
    d.add_argument("langs", nargs="+", choices=sorted(CATALOGUE), help="languages: en, fr")
    d.add_argument("--no-progress", action="store_true")
    d.set_defaults(func=_cmd_download)
    ls = msub.add_parser("list", help="show the installed models")
    ls.set_defaults(func=_cmd_list)


def _cmd_download(args: argparse.Namespace, config: Any) -> int:
    dest = models_dir(config)
    status = 0
    for lang in args.langs:
        spec = CATALOGUE[lang]
        try:
            path = download_model(spec, dest, progress=not args.no_progress)
        except ModelDownloadError as exc:
            print(str(exc), file=sys.stderr)
            status = 1
            continue
        print(f"{lang}: {spec.name} installé / installed -> {path}")
    return status


def format_listing(dest: Path) -> str:
    models = installed_models(dest)
    lines = [f"Dossier des modèles / models folder: {dest}"]
    if not models:
        lines.append("Aucun modèle installé / no model installed "
                     "(mia models download en fr)")
    for m in models:
        lines.append(f"  {m.kind:8s} {m.lang:6s} {m.name}  ({m.size_bytes / 1e6:.1f} MB)  {m.path}")
    missing = [lang for lang in CATALOGUE if find_vosk_model(lang, dest) is None]
    if missing:
        lines.append("Manquants / missing: " + ", ".join(
            f"{lang} (mia models download {lang})" for lang in missing))
    return "\n".join(lines)


def _cmd_list(args: argparse.Namespace, config: Any) -> int:
    print(format_listing(models_dir(config)))
    return 0


def with_url(spec: ModelSpec, url: str) -> ModelSpec:
    """Same model from another address (a mirror, or a local server in tests)."""
    return replace(spec, url=url)
