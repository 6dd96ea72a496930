"""The parser's modules compiled with mypyc (assistant/nlu/native.py): a build is loaded only while every source
it was compiled from is unchanged (never a stale module in place of an edited one), and the compiled parser
gives exactly the pure-Python parser's results."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.nlu import native

ROOT = Path(__file__).resolve().parents[2]
CURRENT, WHY_NOT = native.check()
needs_build = pytest.mark.skipif(CURRENT is None, reason=f"no current compiled build of the parser ({WHY_NOT})")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV and not k.startswith("PYTEST_XDIST")}
    return {**env, "PYTHONDONTWRITEBYTECODE": "1", **extra}


def _fake_tree(root: Path) -> dict[str, Path]:
    """A tree with two modules of assistant/nlu, one of assistant/grammar and the loader, and a build of it
    (empty files stand for the compiled modules: `check` only looks for them)."""
    for rel, text in (("assistant/nlu/fuzzy.py", "X = 1\n"), ("assistant/nlu/build_cache.py", "Y = 2\n"),
                      ("assistant/nlu/native.py", "# the loader\n"), ("assistant/grammar/model.py", "Z = 3\n")):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    build = root / ".mypyc"
    modules = {"assistant.nlu.fuzzy": "lib/assistant/nlu/fuzzy.so", "abc__mypyc": "lib/abc__mypyc.so"}
    for rel in modules.values():
        (build / rel).parent.mkdir(parents=True, exist_ok=True)
        (build / rel).write_bytes(b"")
    manifest = {"format": native.MANIFEST_FORMAT, "python": native.python_tag(), "modules": modules,
                "sources": native._digests(native.guarded_sources(root), root)}
    (build / native.MANIFEST_NAME).write_text(json.dumps(manifest))
    return {name: build / rel for name, rel in modules.items()}


def test_a_build_is_used_only_while_every_source_it_was_compiled_from_is_unchanged(tmp_path: Path) -> None:
    expected = _fake_tree(tmp_path)
    assert native.check(tmp_path)[0] == expected

    fuzzy = tmp_path / "assistant/nlu/fuzzy.py"
    fuzzy.write_text("X = 1  # edited\n")  # an edited compiled module
    modules, why = native.check(tmp_path)
    assert modules is None and "assistant/nlu/fuzzy.py changed" in why and "make setup" in why
    fuzzy.write_text("X = 1\n")
    assert native.check(tmp_path)[0] == expected  # the same bytes again: current again

    model = tmp_path / "assistant/grammar/model.py"  # not compiled, but the compiled code relies on its types
    model.write_text("Z = 4\n")
    assert native.check(tmp_path)[0] is None
    model.write_text("Z = 3\n")

    added = tmp_path / "assistant/nlu/new_stage.py"  # a module added since: not in the build
    added.write_text("W = 5\n")
    assert "new_stage.py" in native.check(tmp_path)[1]
    added.unlink()
    (tmp_path / "assistant/nlu/build_cache.py").unlink()  # one removed since
    assert native.check(tmp_path)[0] is None
    (tmp_path / "assistant/nlu/build_cache.py").write_text("Y = 2\n")

    (tmp_path / "assistant/nlu/native.py").write_text("# the loader, edited\n")  # the loader is not compiled in
    assert native.check(tmp_path)[0] == expected

    expected["abc__mypyc"].unlink()  # a compiled module missing
    assert native.check(tmp_path)[0] is None


def test_a_build_for_another_python_or_an_unreadable_manifest_is_not_used(tmp_path: Path) -> None:
    _fake_tree(tmp_path)
    path = tmp_path / ".mypyc" / native.MANIFEST_NAME
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "python": "cpython-30b00f0.cpython-311-x86_64-linux-gnu.so"}))
    assert "another Python" in native.check(tmp_path)[1]
    path.write_text(json.dumps(manifest)[:40])
    assert "unreadable" in native.check(tmp_path)[1]
    path.unlink()
    modules, why = native.check(tmp_path)
    assert modules is None and why.startswith("not compiled")


def _copy_of_this_tree(into: Path) -> Path:
    """The package's sources and its compiled build, elsewhere (so that a test may edit them)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    (into / "assistant").mkdir()
    shutil.copy2(ROOT / "assistant" / "__init__.py", into / "assistant" / "__init__.py")
    for part in ("nlu", "grammar"):
        shutil.copytree(ROOT / "assistant" / part, into / "assistant" / part, ignore=ignore)
    shutil.copytree(ROOT / ".mypyc" / "lib", into / ".mypyc" / "lib")
    shutil.copy2(ROOT / ".mypyc" / native.MANIFEST_NAME, into / ".mypyc" / native.MANIFEST_NAME)
    return into


def _which_runs(root: Path, **env: str) -> list[str]:
    code = ("from assistant.nlu import native\nimport assistant.nlu.fuzzy as fuzzy\n"
            "print(fuzzy.__file__)\nprint(native.state().line())")
    run = subprocess.run([sys.executable, "-c", code], cwd=root, env=_env(PYTHONPATH=str(root), **env),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout.splitlines()


@needs_build
def test_an_edited_module_runs_as_edited_never_its_compiled_build(tmp_path: Path) -> None:
    root = _copy_of_this_tree(tmp_path)
    where, line = _which_runs(root)
    assert not where.endswith(".py") and str(root / ".mypyc") in where and line.startswith("parser: compiled")
    where, line = _which_runs(root, **{native.PURE_ENV: "1"})
    assert where == str(root / "assistant" / "nlu" / "fuzzy.py") and native.PURE_ENV in line

    fuzzy = root / "assistant" / "nlu" / "fuzzy.py"
    fuzzy.write_text(fuzzy.read_text() + "\nEDITED = True\n")
    where, line = _which_runs(root)
    assert where == str(fuzzy)
    assert line.startswith("parser: pure Python") and "assistant/nlu/fuzzy.py changed" in line


_DUMP = """\
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from assistant.nlu import native
from bench.parser_equivalence import dump
count, digest = dump(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), 13)
print(native.running_compiled(), count, digest)
"""


@pytest.mark.slow
@needs_build
def test_the_compiled_parser_gives_the_pure_parsers_results(tmp_path: Path) -> None:
    """Every field of every parse of the corpora (bench/parser_equivalence.py's dump: tests/nlu/*.yaml, the
    paraphrase sets, the audio fixtures' sentences, each in several languages, and one perturbation of each),
    byte for byte. (`bench/parser_equivalence.py --variants 3` run with a build does the same with more.)"""
    out = {}
    for name, env in (("compiled", {}), ("pure", {native.PURE_ENV: "1"})):
        run = subprocess.run([sys.executable, "-c", _DUMP, str(ROOT), str(tmp_path / f"{name}.jsonl"), "1"],
                             cwd=ROOT, env=_env(PYTHONHASHSEED="0", **env), capture_output=True, text=True,
                             timeout=900)
        assert run.returncode == 0, run.stderr[-3000:]
        out[name] = run.stdout.split()
    assert out["compiled"][0] == "True" and out["pure"][0] == "False"
    assert int(out["compiled"][1]) > 20000
    if out["compiled"][2] != out["pure"][2]:
        compiled = (tmp_path / "compiled.jsonl").read_text(encoding="utf-8").splitlines()
        pure = (tmp_path / "pure.jsonl").read_text(encoding="utf-8").splitlines()
        diffs = [(a, b) for a, b in zip(pure, compiled) if a != b]
        first = f"\n  pure:     {diffs[0][0]}\n  compiled: {diffs[0][1]}" if diffs else ""
        pytest.fail(f"{len(diffs)} of {len(pure)} parses differ ({len(compiled)} compiled){first}")


def test_a_build_that_cannot_be_made_says_one_line_and_leaves_pure_python(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for rel in ("assistant/__init__.py", "assistant/nlu/__init__.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    (tmp_path / "assistant/nlu/stage.py").write_text('COUNT: int = "three"\n')  # mypyc refuses a type error
    if native.missing_tools() is None:
        current, line = native.build(tmp_path)
        assert not current and line.startswith("parser: compiling with mypyc failed after")
        assert "it runs in pure Python" in line and "\n" not in line
        assert "stage.py" in (tmp_path / ".mypyc" / "build.log").read_text()
        assert native.check(tmp_path)[0] is None
    monkeypatch.setattr(native, "missing_tools", lambda: "no C compiler (cc)")
    current, line = native.build(tmp_path)
    assert not current and line == "parser: not compiled (no C compiler (cc)); it runs in pure Python"
