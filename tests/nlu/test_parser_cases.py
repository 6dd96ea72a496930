"""Table-driven utterance -> intent/slots cases (cases_en.yaml, cases_fr.yaml)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.nlu.parser import Parser

HERE = Path(__file__).parent


def load_cases(name: str) -> list[dict[str, Any]]:
    cases = yaml.safe_load((HERE / name).read_text(encoding="utf-8"))
    assert isinstance(cases, list)
    return cases


CASES = {lang: load_cases(f"cases_{lang}.yaml") for lang in ("en", "fr")}


def test_at_least_300_cases_per_language() -> None:
    for lang, cases in CASES.items():
        assert len(cases) >= 300, lang
        assert len({c["t"] for c in cases}) >= 300, f"{lang}: duplicate sentences"


def check(parser: Parser, case: dict[str, Any]) -> None:
    result = parser.parse(case["t"])
    if "missing" in case:
        # An incomplete command: refused, with the intent, what it does say and what it lacks
        # (the dialogue asks for the rest).
        got = (f"matched={result.matched} intent={result.intent} slots={result.slots} "
               f"reason={result.reason} missing={result.missing}")
        assert not result.matched and result.intent == case["i"], got
        assert result.slots == case.get("s", {}) and list(result.missing) == case["missing"], got
        assert result.reason is not None and result.reason.endswith("_" + case["missing"][0]), got
        return
    got = (f"matched={result.matched} intent={result.intent} slots={result.slots} "
           f"lang={result.language} method={result.method} score={result.score} "
           f"reason={result.reason} ({result.detail})")
    if "not" in case:
        assert not (result.matched and result.intent in case["not"]), got
        return
    if "reject" in case:
        assert not result.matched, got
        if case["reject"] is not True:
            assert result.reason == case["reject"], got
        return
    assert result.matched, got
    assert result.intent == case["i"], got
    expected = case.get("s", {})
    assert result.slots == expected, got
    for name, value in expected.items():
        assert type(result.slots[name]) is type(value), f"{name}: {got}"
    if "m" in case:
        assert result.method == case["m"], got
    if "lang" in case:
        assert result.language == case["lang"], got
    # typed_only: understood when typed, never acted on from a recogniser (see grammars/README.md)
    assert result.typed_only == case.get("typed_only", False), got
    assert 0.0 < result.score <= 1.0 and result.reason is None


@pytest.mark.parametrize("case", CASES["en"], ids=[c["t"] or "<empty>" for c in CASES["en"]])
def test_english(parser: Parser, case: dict[str, Any]) -> None:
    check(parser, case)


@pytest.mark.parametrize("case", CASES["fr"], ids=[c["t"] or "<vide>" for c in CASES["fr"]])
def test_french(parser: Parser, case: dict[str, Any]) -> None:
    check(parser, case)
