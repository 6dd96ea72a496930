"""`mia models download/list`: checksum, unzip and install logic against a local HTTP server."""
from __future__ import annotations

import argparse
import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.asr import models
from assistant.asr.models import (
    CATALOGUE,
    ModelDownloadError,
    ModelSpec,
    download_model,
    find_vosk_model,
    format_listing,
    installed_models,
    models_dir,
)


def _make_model_zip(path: Path, top: str | None, evil: bool = False, valid: bool = True) -> str:
    with zipfile.ZipFile(path, "w") as zf:
        prefix = f"{top}/" if top else ""
        if valid:
            zf.writestr(f"{prefix}am/final.mdl", b"\x00" * 1000)
            zf.writestr(f"{prefix}conf/model.conf", "--min-active=200\n")
        zf.writestr(f"{prefix}README", "test model")
        if evil:
            zf.writestr("../../escaped.txt", "gotcha")
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = lambda *a, **kw: _Handler(*a, directory=str(root), **kw)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def _spec(name: str, sha: str, url: str) -> ModelSpec:
    return ModelSpec("en", name, sha, 1234, url=url)


def test_download_verify_unzip_install(server, tmp_path: Path) -> None:
    base, root = server
    name = "vosk-model-small-en-us-0.15"
    sha = _make_model_zip(root / f"{name}.zip", top=name)
    dest = tmp_path / "models"
    path = download_model(_spec(name, sha, f"{base}/{name}.zip"), dest, progress=False)
    assert path == dest / name
    assert (path / "am" / "final.mdl").stat().st_size == 1000
    assert [p.name for p in dest.iterdir()] == [name]  # no staging or partial file left
    assert find_vosk_model("en", dest) == path
    listing = installed_models(dest)
    assert [(m.kind, m.lang, m.name) for m in listing] == [("vosk", "en", name)]
    # second call: already installed, no download (the server file is gone)
    (root / f"{name}.zip").unlink()
    assert download_model(_spec(name, sha, f"{base}/{name}.zip"), dest, progress=False) == path


def test_flat_archive_is_accepted(server, tmp_path: Path) -> None:
    base, root = server
    sha = _make_model_zip(root / "flat.zip", top=None)
    path = download_model(_spec("vosk-model-flat", sha, f"{base}/flat.zip"), tmp_path / "m", progress=False)
    assert (path / "conf" / "model.conf").exists()


def test_checksum_mismatch_installs_nothing(server, tmp_path: Path) -> None:
    base, root = server
    _make_model_zip(root / "m.zip", top="vosk-model-x")
    dest = tmp_path / "models"
    with pytest.raises(ModelDownloadError) as err:
        download_model(_spec("vosk-model-x", "0" * 64, f"{base}/m.zip"), dest, progress=False)
    assert "Somme de contrôle" in str(err.value) and "Checksum mismatch" in str(err.value)
    assert list(dest.iterdir()) == []


def test_zip_slip_is_refused(server, tmp_path: Path) -> None:
    base, root = server
    sha = _make_model_zip(root / "evil.zip", top="vosk-model-evil", evil=True)
    dest = tmp_path / "a" / "b" / "models"
    with pytest.raises(ModelDownloadError, match="unsafe path"):
        download_model(_spec("vosk-model-evil", sha, f"{base}/evil.zip"), dest, progress=False)
    assert not (tmp_path / "a" / "escaped.txt").exists()
    assert list(dest.iterdir()) == []


def test_archive_without_model_is_refused(server, tmp_path: Path) -> None:
    base, root = server
    sha = _make_model_zip(root / "empty.zip", top="vosk-model-empty", valid=False)
    with pytest.raises(ModelDownloadError, match="no Vosk model"):
        download_model(_spec("vosk-model-empty", sha, f"{base}/empty.zip"), tmp_path / "m", progress=False)


def test_http_error_is_clear(server, tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(ModelDownloadError) as err:
        download_model(_spec("vosk-model-nope", "0" * 64, f"{base}/nope.zip"), tmp_path / "m", progress=False)
    assert "Téléchargement impossible" in str(err.value) and "Cannot download" in str(err.value)


def test_mirror_base_url_and_cli_download(server, tmp_path: Path, monkeypatch, capsys) -> None:
    base, root = server
    name = CATALOGUE["en"].name
    sha = _make_model_zip(root / f"{name}.zip", top=name)
    monkeypatch.setattr(models, "CATALOGUE", {"en": ModelSpec("en", name, sha, 10)})
    monkeypatch.setenv("MIA_MODELS_BASE_URL", base)
    monkeypatch.setenv("MIA_MODELS_DIR", str(tmp_path / "store"))
    parser = argparse.ArgumentParser()
    models.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["models", "download", "en", "--no-progress"])
    assert args.func(args, None) == 0
    assert (tmp_path / "store" / name / "am" / "final.mdl").exists()
    args = parser.parse_args(["models", "list"])
    assert args.func(args, None) == 0
    out = capsys.readouterr().out
    assert name in out and "vosk" in out


def test_listing_says_what_is_missing(tmp_path: Path) -> None:
    text = format_listing(tmp_path / "none")
    assert "mia models download en" in text and "mia models download fr" in text


def test_models_dir_resolution(tmp_path: Path, monkeypatch) -> None:
    from trading_core.config import load_config

    monkeypatch.delenv("MIA_MODELS_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert models_dir(None) == tmp_path / "xdg" / "mia" / "models"
    monkeypatch.setenv("MIA_MODELS_DIR", str(tmp_path / "env"))
    assert models_dir(None) == tmp_path / "env"
    cfg = load_config(env={}, overrides={"asr": {"models_dir": str(tmp_path / "cfg")}})
    assert models_dir(cfg) == tmp_path / "cfg"


def test_catalogue_has_official_small_models() -> None:
    assert CATALOGUE["en"].name == "vosk-model-small-en-us-0.15"
    assert CATALOGUE["fr"].name == "vosk-model-small-fr-0.22"
    for spec in CATALOGUE.values():
        assert len(spec.sha256) == 64 and spec.archive_url.endswith(f"/{spec.name}.zip")
