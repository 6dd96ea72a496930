"""The layering the code relies on, checked on the source: `trading_core` never imports `assistant`,
and no front reaches into the engine's internals (it uses `trading_core.protocols.EngineAPI`)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What the fronts may never touch on an engine: its parts and its private state.
INTERNALS = frozenset({"portfolio", "ledger", "clock", "gate", "broker", "feed", "intelligence", "rl"})
# Read methods of the engine that were attributes once: calling them is fine, reading them is not.
METHODS = frozenset({"bars", "last_prices"})


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _is_engine(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return "engine" in node.id
    if isinstance(node, ast.Attribute):
        return "engine" in node.attr
    return False


def test_trading_core_never_imports_assistant() -> None:
    offenders = []
    for path in _sources("trading_core"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] == "assistant"]
    assert offenders == []


def test_fronts_use_the_engine_api_not_its_internals() -> None:
    offenders = []
    for path in _sources("assistant"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _is_engine(node.value):
                name = node.attr
                if name in INTERNALS or (name.startswith("_") and not name.startswith("__")) or (
                    name in METHODS and id(node) not in called
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} engine.{name}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                    and node.args and _is_engine(node.args[0]) and len(node.args) > 1
                    and isinstance(node.args[1], ast.Constant) and node.args[1].value in INTERNALS):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} getattr(engine, {node.args[1].value!r})")
    assert offenders == [], "\n".join(offenders)


def test_the_core_writes_no_sentences_into_events() -> None:
    """Events carry data: no `text_en` / `text_fr` / `message_en` on an event or a refusal."""
    from trading_core.types import EngineEvent, Rejection

    for cls in (EngineEvent, Rejection):
        fields = set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
        assert not {f for f in fields if f.endswith(("_en", "_fr"))}, cls


def test_the_autopilot_records_carry_data_not_sentences() -> None:
    from trading_core.autopilot.types import AutopilotSignal, ConfirmResult, LevelChange, ModeChange, SetModeResult

    for cls in (AutopilotSignal, ModeChange, LevelChange, ConfirmResult, SetModeResult):
        fields = set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
        assert not {f for f in fields if f.endswith(("_en", "_fr"))}, cls


def _declared_distributions() -> set[str]:
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower().replace("_", "-")
            for spec in project["dependencies"]}


def test_every_third_party_import_is_a_declared_dependency() -> None:
    """What `trading_core` and `assistant` import (at the top of a module or lazily) is installed by
    `pip install .`: a runtime dependency in pyproject.toml, never a test or bench extra."""
    import sys
    from importlib.metadata import packages_distributions

    declared = _declared_distributions()
    providers = packages_distributions()
    missing = []
    for package in ("trading_core", "assistant"):
        for path in _sources(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in ("trading_core", "assistant", "__future__"):
                        continue
                    dists = {d.lower().replace("_", "-") for d in providers.get(top, [top])}
                    if not dists & declared:
                        missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {module} ({', '.join(sorted(dists))})")
    assert missing == [], "\n".join(missing)
