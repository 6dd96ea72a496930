"""The parser's modules compiled with mypyc: built by `make setup`, loaded only while they match the sources.

    .venv/bin/python -m assistant.nlu build      # compile when not compiled or stale (`make setup` runs it)
    .venv/bin/python -m assistant.nlu build --force
    .venv/bin/python -m assistant.nlu status     # which build a process started now runs, and why

Compiled, the parser parses about 1.3-1.4 times as many sentences a second (docs/development.md, "Compiled
build"); its results are byte for byte those of pure Python (bench/parser_equivalence.py, tests/nlu/test_native.py).

The compiled modules live outside the package, in `<repository>/.mypyc/` (git-ignored): `lib/` holds the
extension modules, `manifest.json` the SHA-256 of every *guarded* source when they were compiled. The guarded
sources are every module of assistant/nlu (but this loader) and assistant/grammar: the compiled ones, and those
whose types the compiled code relies on (it checks declared types at run time, and calls the other compiled modules
directly).

`assistant/nlu/__init__.py` calls `install()` before any other module of the package is imported. The compiled
modules are loaded (by a finder put first on `sys.meta_path`) only when every guarded source on disk has the
manifest's digest, the build is for this Python and `MIA_PURE_PYTHON` is not set; otherwise none of them is (all
or nothing: compiled modules call each other's compiled code directly, a mix could run an edited function's old
code). So an edited fuzzy.py runs as edited at once, in pure Python, until the next build; nothing stale is ever
run. `state().line()` says which build runs (logged by the dialogue at start, printed by the throughput bench).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
#: Where the compiled build is kept (git-ignored), outside the package: never found by the normal import.
BUILD_DIR = ROOT / ".mypyc"
MANIFEST_NAME = "manifest.json"
#: Set (to anything but "" or "0") to run the parser in pure Python even when a current build exists.
PURE_ENV = "MIA_PURE_PYTHON"
#: Modules of assistant/nlu left in pure Python: the package's own, this one (it loads the others) and its command,
#: build_cache (its `HERE` is the package's folder, from its `__file__`) and frozen_init (run once per class).
NOT_COMPILED = frozenset({"__init__", "__main__", "native", "build_cache", "frozen_init"})
#: Bump when what the manifest holds changes.
MANIFEST_FORMAT = 1
#: mypyc's optimisation level (as `mypyc -O`).
OPT_LEVEL = "3"


def compiled_sources(root: Path = ROOT) -> list[Path]:
    """The modules compiled: every module of assistant/nlu but `NOT_COMPILED`."""
    return sorted(p for p in (root / "assistant" / "nlu").glob("*.py") if p.stem not in NOT_COMPILED)


#: Modules of assistant/nlu a build does not depend on: the loader and its command.
NOT_GUARDED = frozenset({"__main__", "native"})


def guarded_sources(root: Path = ROOT) -> list[Path]:
    """The sources a build is valid for: any change to one of them makes the build stale."""
    nlu = sorted(p for p in (root / "assistant" / "nlu").glob("*.py") if p.stem not in NOT_GUARDED)
    return nlu + sorted((root / "assistant" / "grammar").glob("*.py"))


def python_tag() -> str:
    """What a build is valid for on the Python side: its exact version and the extension modules' ABI."""
    return f"{sys.implementation.name}-{sys.hexversion:x}{importlib.machinery.EXTENSION_SUFFIXES[0]}"


def _digests(paths: Iterable[Path], root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@dataclass(frozen=True)
class NativeState:
    """Which build of the parser this process runs, and why."""

    compiled: bool
    detail: str

    def line(self) -> str:
        if self.compiled:
            return f"parser: compiled with mypyc ({self.detail})"
        return f"parser: pure Python ({self.detail})"


def check(root: Path = ROOT, build_dir: Path | None = None) -> tuple[dict[str, Path] | None, str]:
    """({module name: its compiled file}, what the build is) when the build at `build_dir` is current for the
    sources under `root`; (None, why not) otherwise."""
    build_dir = build_dir or root / ".mypyc"
    manifest_path = build_dir / MANIFEST_NAME
    if not manifest_path.is_file():
        return None, "not compiled: `make setup` compiles it where a C compiler and the Python headers are present"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("format") != MANIFEST_FORMAT:
            return None, "the compiled build is of an older format: `make setup` compiles it again"
        if manifest.get("python") != python_tag():
            return None, f"compiled for another Python ({manifest.get('python')}): `make setup` compiles it again"
        built: dict[str, str] = dict(manifest["sources"])
        modules = {str(name): build_dir / str(path) for name, path in dict(manifest["modules"]).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, f"the compiled build's manifest ({manifest_path}) is unreadable: `make setup` compiles it again"
    try:
        now = _digests(guarded_sources(root), root)
    except OSError as exc:
        return None, f"a source cannot be read ({exc})"
    changed = sorted(name for name in now.keys() | built.keys() if now.get(name) != built.get(name))
    if changed:
        more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
        return None, (f"{changed[0]}{more} changed since the parser was compiled: `make setup` compiles it again")
    missing = [path for path in modules.values() if not path.is_file()]
    if missing or not modules:
        return None, f"the compiled build is incomplete ({missing[0] if missing else 'no module'})"
    return modules, f"{len(modules) - 1} modules, {build_dir}"


class _CompiledFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled modules of a current build (and mypyc's shared library of them)."""

    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules = modules

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        so = self.modules.get(fullname)
        if so is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(so))
        return importlib.util.spec_from_file_location(fullname, so, loader=loader)


_STATE: NativeState | None = None


def pure_forced() -> bool:
    return os.environ.get(PURE_ENV, "") not in ("", "0")


def install() -> NativeState:
    """Load the compiled modules from now on if the build is current (once per process; before any module of
    assistant.nlu but this one is imported)."""
    global _STATE
    if _STATE is not None:
        return _STATE
    if pure_forced():
        _STATE = NativeState(False, f"{PURE_ENV} is set")
    else:
        modules, detail = check()
        if modules is not None:
            sys.meta_path.insert(0, _CompiledFinder(modules))
        _STATE = NativeState(modules is not None, detail)
    log.debug(_STATE.line())
    return _STATE


def state() -> NativeState:
    """Which build this process runs (the package's import decided it)."""
    return _STATE if _STATE is not None else install()


def running_compiled() -> bool:
    """Whether the parser's modules imported so far are compiled ones (what actually runs)."""
    parser = sys.modules.get("assistant.nlu.parser")
    return parser is not None and not str(getattr(parser, "__file__", "")).endswith(".py")


# ------------------------------------------------------------------ build
_SETUP = """\
import json, sys
from setuptools import setup
from mypyc.build import mypycify
args = json.loads(sys.argv[1])
setup(name="mia-nlu-compiled", script_args=["build_ext", "--build-lib", args["lib"], "--build-temp", args["temp"]],
      ext_modules=mypycify(args["sources"], opt_level=args["opt_level"], target_dir=args["c"]))
"""


def missing_tools() -> str | None:
    """What compiling needs and is not there (None: all of it is)."""
    try:
        import mypyc.build  # noqa: F401
    except ImportError:
        return "mypyc is not installed (it comes with mypy, a test dependency)"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    include = sysconfig.get_paths().get("include", "")
    if not (Path(include) / "Python.h").is_file():
        return f"no Python headers ({include}/Python.h; Debian: python3-dev)"
    return None


def build(root: Path = ROOT, force: bool = False, announce: Callable[[str], None] | None = None) -> tuple[bool, str]:
    """Compile the modules of `compiled_sources` into `<root>/.mypyc` unless a current build is there.
    Returns (a current build is there now, one line saying what happened). Never raises for a failed build:
    pure Python is always there. `announce` is told one line before a compile starts (minutes: say so first)."""
    build_dir = root / ".mypyc"
    if not force and check(root, build_dir)[0] is not None:
        return True, "parser: compiled with mypyc, up to date"
    problem = missing_tools()
    if problem is not None:
        return False, f"parser: not compiled ({problem}); it runs in pure Python"
    if announce is not None:
        announce("parser: compiling with mypyc for a faster parser (2-3 minutes on 2 cores, once per change of its "
                 f"sources; {PURE_ENV}=1 skips it)…")
    build_dir.mkdir(parents=True, exist_ok=True)
    (build_dir / MANIFEST_NAME).unlink(missing_ok=True)  # from here on, nothing half-built is ever loaded
    work = build_dir / "work"
    shutil.rmtree(work, ignore_errors=True)
    before = _digests(guarded_sources(root), root)
    args = {"sources": [p.relative_to(root).as_posix() for p in compiled_sources(root)], "opt_level": OPT_LEVEL,
            "lib": str(work / "lib"), "temp": str(work / "temp"), "c": str(work / "c")}
    log_path = build_dir / "build.log"
    t0 = time.monotonic()
    with log_path.open("w", encoding="utf-8") as out:
        # (mypy's cache of its own: the type check's, .mypy_cache, stays as `mypy` left it)
        env = {**os.environ, "MYPY_CACHE_DIR": str(work / "mypy_cache")}
        done = subprocess.run([sys.executable, "-c", _SETUP, json.dumps(args)], cwd=root, stdout=out,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    took = time.monotonic() - t0
    if done.returncode != 0:
        return False, (f"parser: compiling with mypyc failed after {took:.0f} s (see {log_path}); "
                       "it runs in pure Python")
    if _digests(guarded_sources(root), root) != before:
        return False, "parser: a source changed while it was compiled; not kept (run `make setup` again)"
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    lib = build_dir / "lib"
    shutil.rmtree(lib, ignore_errors=True)
    os.replace(work / "lib", lib)
    modules: dict[str, str] = {}
    for so in sorted(lib.rglob(f"*{suffix}")):
        rel = so.relative_to(lib)
        name = ".".join((*rel.parts[:-1], rel.name[: -len(suffix)]))
        modules[name] = so.relative_to(build_dir).as_posix()
    manifest = {"format": MANIFEST_FORMAT, "python": python_tag(), "opt_level": OPT_LEVEL,
                "compile_s": round(took, 1), "sources": before, "modules": modules}
    tmp = build_dir / (MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, build_dir / MANIFEST_NAME)
    shutil.rmtree(work, ignore_errors=True)
    current = check(root, build_dir)[0] is not None
    if not current:
        return False, "parser: compiled, but the build does not check out; it runs in pure Python"
    return True, f"parser: compiled with mypyc in {took:.0f} s ({len(modules) - 1} modules, {build_dir})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.nlu", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="compile when not compiled or stale (one line of output; exit status 0 "
                                     "even when compiling fails: pure Python runs then)")
    b.add_argument("--force", action="store_true", help="compile even when the build is current")
    sub.add_parser("status", help="which build a process started now runs, and why")
    args = ap.parse_args(argv)
    if args.command == "status":
        print(state().line())
        return 0
    if pure_forced():
        print(f"parser: {PURE_ENV} is set: not compiled, it runs in pure Python")
        return 0
    _, line = build(force=args.force, announce=lambda text: print(text, flush=True))
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
