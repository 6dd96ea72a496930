"""`make test` installs the natural test voices (non-free) for the tests; `make run` never does.
The installer is idempotent and writes the apt source entry of ../shared/ENVIRONMENT.md."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "audio_fixtures" / "install_voices.sh"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_apt_source_entry(tmp_path: Path) -> None:
    os_release = tmp_path / "os-release"
    os_release.write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n')
    sources = tmp_path / "sources.list.d"
    sources.mkdir()
    (sources / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n")
    out = run("--print-source", env={"MIA_OS_RELEASE": str(os_release), "MIA_APT_SOURCES_DIR": str(sources)})
    assert out.returncode == 0, out.stderr
    fields = dict(line.split(": ", 1) for line in out.stdout.splitlines() if line and not line.startswith("#"))
    assert fields == {"Types": "deb", "URIs": "http://mirror.example/debian", "Suites": "bookworm",
                      "Components": "contrib non-free", "Signed-By": "/usr/share/keyrings/debian-archive-keyring.gpg"}
    # Without a release name it refuses rather than guessing.
    os_release.write_text("ID=debian\n")
    bad = run("--print-source", env={"MIA_OS_RELEASE": str(os_release), "MIA_APT_SOURCES_DIR": str(sources)})
    assert bad.returncode != 0 and "VERSION_CODENAME" in bad.stderr


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="not a Debian system")
def test_installed_voices_make_it_a_no_op(tmp_path: Path) -> None:
    if run("--check").returncode != 0:
        pytest.skip("natural test voices not installed on this machine (sudo make test-voices)")
    sources = tmp_path / "sources.list.d"
    sources.mkdir()
    out = run(env={"MIA_APT_SOURCES_DIR": str(sources)})
    assert out.returncode == 0 and out.stdout.strip() == "natural test voices: installed"
    assert not list(sources.iterdir())  # nothing written, nothing installed


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_test_installs_the_voices_and_make_run_does_not() -> None:
    def dry(target: str) -> str:
        return subprocess.run(["make", "-n", "-C", str(REPO), target], capture_output=True, text=True,
                              timeout=60).stdout

    assert "install_voices.sh" in dry("test")
    assert "install_voices.sh" not in dry("run")
    assert "audio_fixtures.generate" in dry("test")


def test_unknown_option() -> None:
    out = run("--bogus")
    assert out.returncode == 2 and "usage" in out.stderr
