"""The parser's score bounds and cue gates rule out only what cannot matter: with each one disabled,
the same outcomes (bench/parser_equivalence.py checks whole parse results on the corpora; these check
each shortcut on its own, on perturbed corpus lines)."""
from __future__ import annotations

import random
from typing import Any

import pytest

import assistant.nlu.fuzzy as fuzzy
from assistant.nlu.frames import _PRIORITY, _CueTable
from assistant.nlu.normalize import normalize
from assistant.nlu.parser import Parser
from tests.nlu.conftest import ran_in_pure_python
from tests.nlu.test_parser_shortcuts import _corpus, _perturbed, missing_slot_cases


def test_missing_slot_aligns_only_candidates_that_can_win(parser: Parser, monkeypatch: pytest.MonkeyPatch,
                                                          request: pytest.FixtureRequest) -> None:
    """`CarrierIndex._missing_slot` skips the word alignment of a candidate whose score bound
    (`_missing_bound`) cannot reach the floor or beat the best so far: never skipping, the same
    outcomes."""
    if ran_in_pure_python(request):  # (patches the fuzzy module's internals)
        return
    cases = missing_slot_cases(parser, random.Random(41))
    skipped = 0
    cannot_win = fuzzy._cannot_win

    def counted(bound: float, floor: float, best: tuple[float, Any, bool] | None) -> bool:
        nonlocal skipped
        out = cannot_win(bound, floor, best)
        skipped += out
        return out

    monkeypatch.setattr(fuzzy, "_cannot_win", counted)
    bounded = [index._missing_slot(scan, 0.72, beaten) for index, scan, beaten in cases]
    assert skipped > 1000
    monkeypatch.setattr(fuzzy, "_cannot_win", lambda bound, floor, best: False)
    assert [index._missing_slot(scan, 0.72, beaten) for index, scan, beaten in cases] == bounded


def test_missing_bound_is_above_every_score(parser: Parser) -> None:
    """The bound of every candidate the refusal analysis scores is at least its score (with the
    candidate's stand-in wording and content words as `_missing_slot` computes them)."""
    rng = random.Random(43)
    checked = 0
    for index in parser._carriers.values():
        comp = index.comp
        for line in rng.sample(_perturbed(_corpus(), rng), 800):
            spaced = comp.strip_skip(normalize(line) + " ")
            if not spaced.strip():
                continue
            scan = comp.scan(spaced)
            said = scan.tokens
            said_content = [t for t in said if t not in index.common and t not in index._placeholders]
            group = index._minus.get(scan.seq)
            if group is None:
                continue
            for info in group.flat()[1][:40]:
                if info.missing is None:
                    continue
                full_ratio = index._ratio(scan.carrier, info.full)
                full_tokens, template_words = index._full_words(info.full)
                slot_index = info.full.count(" ", 0, info.missing_at)
                ratio = full_ratio
                words = list(said)
                replaced = fuzzy._slot_stand_in(said, full_tokens, slot_index)
                if replaced is not None:
                    words = words[:replaced[0]] + words[replaced[1]:]
                    stand_in = list(said[:replaced[0]]) + [full_tokens[slot_index]] + list(said[replaced[1]:])
                    ratio = max(ratio, index._ratio(" ".join(stand_in), info.full))
                said_words = [w for w in words if w not in index.common and w not in index._placeholders]
                score = ratio if not said_words and not template_words else \
                    0.5 * index._token_f1(said_words, template_words) + 0.5 * ratio
                bound = index._missing_bound(said_content, template_words, scan.carrier, info.full, full_ratio,
                                             len(full_tokens[slot_index]), full_ratio)
                assert score <= bound, (line, info.full, score, bound)
                checked += 1
    assert checked > 5000


@pytest.mark.parametrize("category", ["quotes", "other_assets"])
def test_cue_gate_never_hides_a_cue(parser: Parser, category: str) -> None:
    """`_CueTable.may_start` is False only for sentences where no place reads a cue of the category."""
    frames = parser._frames
    assert frames is not None
    table: _CueTable = frames._table
    rng = random.Random(47)
    found = 0
    for line in _perturbed(_corpus(), rng):
        tokens = normalize(line).split()
        said = any((cue := table.at(tokens, i, _PRIORITY)) is not None and cue.category == category
                   for i in range(len(tokens)))
        found += said
        assert table.may_start(tokens, category) or not said, line
    assert found > 5


def test_gated_frame_questions_answer_as_ungated(parser: Parser, monkeypatch: pytest.MonkeyPatch,
                                                request: pytest.FixtureRequest) -> None:
    """`asks_quote`, `index_order` and `other_market` with their cue gate always passed: the same answers."""
    if ran_in_pure_python(request):  # (patches a frames class)
        return
    frames = parser._frames
    assert frames is not None
    comps = list(parser._compiled.values())
    lines = [normalize(line) for line in _perturbed(_corpus(), random.Random(53))]

    def answers() -> list[tuple[bool, str | None, str | None]]:
        return [(frames.asks_quote(line), frames.index_order(line), frames.other_market(comps, line))
                for line in lines]

    gated = answers()
    monkeypatch.setattr(_CueTable, "may_start", lambda self, tokens, category: True)
    assert answers() == gated
    assert any(quote for quote, _, _ in gated) and any(index for _, index, _ in gated) \
        and any(other for _, _, other in gated)
