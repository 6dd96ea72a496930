"""The parser's speed shortcuts compute exactly what they replace (bench/parser_equivalence.py
checks whole parse results on the corpora; these check each shortcut on its own, more widely)."""
from __future__ import annotations

import random
from difflib import SequenceMatcher
from pathlib import Path

import pytest
import yaml
from rapidfuzz import fuzz, process

from assistant.grammar.expand import sample_expansions
from assistant.grammar.model import RangeList, TextList
from assistant.grammar.template import SlotRef
from assistant.nlu.compiled import Scan
from assistant.nlu.fuzzy import _TOKEN_MATCH, CarrierIndex, _TemplateWords, _closest_word, _replaced_span
from assistant.nlu.normalize import normalize
from assistant.nlu.parser import Parser
from tests.nlu.conftest import ran_in_pure_python

HERE = Path(__file__).parent


def _corpus() -> list[str]:
    lines: list[str] = []
    for name in ("cases_en.yaml", "cases_fr.yaml", "frames_en.yaml", "frames_fr.yaml"):
        lines.extend(str(line["t"]) for line in yaml.safe_load((HERE / name).read_text(encoding="utf-8")))
    return lines


def test_replaced_span_is_the_sequence_matchers_replacement() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        words = rng.choice((["a", "b"], ["a", "b", "c", "d"], ["buy", "two", "es", "\ue001", "de", "le"]))
        said = [rng.choice(words) for _ in range(rng.randrange(0, 10))]
        full = [rng.choice(words) for _ in range(rng.randrange(1, 10))]
        if said and rng.random() < 0.5:  # near copies, as a sentence and its carrier are
            full = list(said)
            for _ in range(rng.randrange(1, 4)):
                k = rng.randrange(len(full) + 1)
                full[k:k + rng.randrange(2)] = [rng.choice(words)] * rng.randrange(2)
            full = full or ["a"]
        opcodes = SequenceMatcher(None, said, full, autojunk=False).get_opcodes()
        for slot in range(len(full)):
            expected = next(((i1, i2) for tag, i1, i2, j1, j2 in opcodes if tag == "replace" and j1 <= slot < j2),
                            None)
            assert _replaced_span(said, full, slot) == expected, (said, full, slot)


def test_closest_word_is_rapidfuzz_extract_one() -> None:
    rng = random.Random(5)
    vocabulary = ["positions", "position", "features", "feature", "regime", "regimes", "trading", "trade",
                  "treading", "risque", "risk", "posiitons", "featrues", "x", "", "positons"]
    for _ in range(3000):
        word = rng.choice(vocabulary)
        choices = [rng.choice(vocabulary) for _ in range(rng.randrange(0, 6))]
        best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=_TOKEN_MATCH)
        assert _closest_word(word, choices) == (-1 if best is None else best[2]), (word, choices)


def test_close_skeletons_rank_as_rapidfuzz_extract(parser: Parser) -> None:
    rng = random.Random(11)
    checked = 0
    for index in parser._carriers.values():
        for group in index._minus.values():
            skeletons = group.skeletons(index)[0]
            for _ in range(8):
                words = rng.choice(skeletons).split()
                if words and rng.random() < 0.7:
                    del words[rng.randrange(len(words))]
                if rng.random() < 0.5:
                    words.insert(rng.randrange(len(words) + 1), rng.choice(("de", "buy", "positions", "x")))
                query = " ".join(words)
                for cutoff in (0.0, 50.0, 62.0, 80.0, 100.0):
                    expected = [k for _, _, k in process.extract(query, skeletons, scorer=fuzz.ratio,
                                                                 score_cutoff=cutoff, limit=12)]
                    assert group.close_skeletons(index, query, cutoff, 12) == expected, (query, cutoff)
                    checked += 1
    assert checked > 1000


def test_plain_top_is_the_sorted_ranking(parser: Parser) -> None:
    for index in parser._carriers.values():
        for group in index._index.values():
            tokens = group.key_tokens()
            expected = sorted(((index._token_f1([], tokens[idx]), idx) for idx in group.short_keys()),
                              reverse=True)[:4]
            assert group.plain_top() == expected


def test_a_bucket_matches_only_sentences_within_its_words(parser: Parser) -> None:
    """`match_exact` skips a bucket whose words do not cover the sentence's: every sentence a
    bucket's regex matches (corpus lines, and sentences sampled from every template with real
    list values and numbers) must be made of its words and digits."""
    rng = random.Random(3)
    for code, comp in parser._compiled.items():
        lg = comp.grammar
        sentences = {comp.strip_skip(normalize(t) + " ") for t in _corpus()}
        for intent in lg.intents.values():
            for tpl in intent.templates:
                for parts in sample_expansions(tpl.expr, lg.rules, 6, seed=rng.randrange(1 << 30)):
                    words: list[str] = []
                    for part in parts:
                        if not isinstance(part, SlotRef):
                            words.append(part)
                            continue
                        slot_list = lg.lists[part.list_name]
                        if isinstance(slot_list, TextList):
                            value = rng.choice(slot_list.values)
                            words.append(rng.choice(value.forms))
                        elif isinstance(slot_list, RangeList):
                            number = rng.choice(("2", "12", "deux", "two", "0.5", "un et demi", "one and a half"))
                            words.append(number + (" %" if slot_list.kind == "percent" else ""))
                    sentences.add(comp.strip_skip(normalize(" ".join(words)) + " "))
        buckets = {id(b): b for group in comp._dispatch.values() for b in group}
        matched = 0
        for spaced in sentences:
            if not spaced.strip():
                continue
            said = {t for t in spaced.split() if not t[0].isdigit()}
            for _, fullmatch, _, vocabulary in buckets.values():
                if fullmatch(spaced) is not None:
                    matched += 1
                    assert said <= vocabulary, (code, spaced, sorted(said - vocabulary))
        assert matched > 500, code


def test_the_classifier_reuses_only_the_same_sentences_analysis(parser: Parser) -> None:
    frames = parser._frames
    assert frames is not None
    comp = parser._compiled["en"]
    spaced = comp.strip_skip(normalize("what are my positions") + " ")
    first = frames.analysis(comp, spaced, "what are my positions")
    assert frames.analysis(comp, spaced, "what are my positions") is first
    asked = frames.analysis(comp, spaced, "what are my positions?")
    assert asked is not first and asked.question_mark and not first.question_mark
    fresh = frames._analyse(comp, spaced, "what are my positions?")
    assert (fresh.categories, fresh.topics, fresh.question_mark) == (asked.categories, asked.topics,
                                                                      asked.question_mark)


def _perturbed(lines: list[str], rng: random.Random) -> list[str]:
    """Corpus lines, and each with a word dropped, doubled, or led by a lead or skip word."""
    out = list(lines)
    for line in lines:
        words = line.split()
        if not words:
            continue
        k = rng.randrange(len(words))
        out.append(" ".join(words[:k] + words[k + 1:]))
        out.append(" ".join(words[:k + 1] + words[k:]))
        out.append(rng.choice(("ok ", "alors ", "euh ", "please ", "so ", "um ")) + line)
    return out


def test_skip_words_shortcut_is_the_substitution(parser: Parser) -> None:
    """`strip_skip` returns a sentence without a word that begins a skip phrase as is: the regex
    would not change it either."""
    rng = random.Random(17)
    checked = 0
    for comp in parser._compiled.values():
        assert comp._skip_re is not None
        for line in _perturbed(_corpus(), rng):
            spaced = normalize(line) + " "
            assert comp.strip_skip(spaced) == comp._skip_re.sub("", spaced), (comp.code, spaced)
            checked += 1
    assert checked > 1000


def test_reads_number_is_the_scan(parser: Parser) -> None:
    """`reads_number` (a scan that stops at the number) says what the full scan's items say."""
    rng = random.Random(19)
    checked = 0
    for comp in parser._compiled.values():
        for line in _perturbed(_corpus(), rng):
            spaced = normalize(line) + " "
            if not spaced.strip():
                continue
            comp._last_scan = None
            numbers = [item.text for item in comp._scan_items(spaced) if not isinstance(item, str)]
            for text in numbers + ["2", "deux", "two", "es"]:
                expected = any(not isinstance(item, str) and item.kind == "#number" and item.text == text
                               for item in comp._scan_items(spaced))
                comp._last_scan = None
                assert comp.reads_number(spaced, text) == expected, (spaced, text)
                comp.scan_items(spaced)  # and from the last scan kept
                assert comp.reads_number(spaced, text) == expected, (spaced, text)
                checked += 1
    assert checked > 1000


def test_a_variant_ruled_out_never_matches(parser: Parser) -> None:
    """`variant_may_match` is False only for sentences whose variant (lead words dropped,
    stutters collapsed) `could_match_exactly` refuses."""
    rng = random.Random(23)
    ruled_out = 0
    for comp in parser._compiled.values():
        for line in _perturbed(_corpus(), rng):
            spaced = comp.strip_skip(normalize(line) + " ")
            if not spaced.strip():
                continue
            if not comp.variant_may_match(spaced.split()):
                ruled_out += 1
                assert not comp.could_match_exactly(comp.variant(spaced).split()), (comp.code, spaced)
    assert ruled_out > 500


def test_key_ranks_order_as_the_tuples(parser: Parser) -> None:
    """`_search` ranks keys on `rank - count * size`: the order of (-count, words, index)."""
    rng = random.Random(29)
    for index in parser._carriers.values():
        for group in index._index.values():
            rank, order = group.key_ranks()
            size = len(order)
            lengths = group.key_lengths()
            for _ in range(5):
                counts = {idx: rng.randrange(1, 6) for idx in rng.sample(range(size), min(size, 30))}
                expected = [idx for _, _, idx in sorted((-n, lengths[idx], idx) for idx, n in counts.items())]
                got = [order[code % size] for code in sorted(rank[idx] - n * size for idx, n in counts.items())]
                assert got == expected


def test_convert_memo_is_the_conversion(parser: Parser) -> None:
    for comp in parser._compiled.values():
        for list_name in comp.text_values.keys() | comp.range_lists.keys():
            for text in ("es", "two", "deux", "2", "2.5", "5012.25", "1 percent", "un pour cent et demi", "x"):
                first = comp.convert(list_name, text, "slot")
                assert first == comp._convert(list_name, text, "slot") == comp.convert(list_name, text, "slot")


def missing_slot_cases(parser: Parser, rng: random.Random) -> list[tuple[CarrierIndex, Scan, float]]:
    """(carrier index, scanned sentence, best complete command's score) of 2,500 perturbed corpus lines
    a language: what `CarrierIndex._missing_slot` is asked."""
    cases = []
    for index in parser._carriers.values():
        comp = index.comp
        for line in rng.sample(_perturbed(_corpus(), rng), 2500):
            spaced = comp.strip_skip(normalize(line) + " ")
            if spaced.strip():
                cases.append((index, comp.scan(spaced), rng.choice((0.0, 0.6, 0.8))))
    return cases


def test_missing_slot_ruled_out_only_when_no_candidate_can_win(parser: Parser, monkeypatch,
                                                                request: pytest.FixtureRequest) -> None:
    """`CarrierIndex._missing_slot` returns early when no content word said can be a candidate's
    (`_TemplateWords.may_share`): with that test always passed, the outcome is the same."""
    if ran_in_pure_python(request):  # (patches a fuzzy class)
        return
    cases = missing_slot_cases(parser, random.Random(31))
    gated = [index._missing_slot(scan, 0.72, beaten) for index, scan, beaten in cases]
    ruled_out = sum(1 for index, scan, _ in cases if (group := index._minus.get(scan.seq)) is not None
                    and not index._template_words(group).may_share(
                        [t for t in scan.tokens if t not in index.common and t not in index._placeholders]))
    monkeypatch.setattr(_TemplateWords, "may_share", lambda self, said: True)
    assert [index._missing_slot(scan, 0.72, beaten) for index, scan, beaten in cases] == gated
    assert ruled_out > 500


def test_opinion_size_is_the_longest_phrase(parser: Parser) -> None:
    frames = parser._frames
    assert frames is not None
    phrases = frames._market_opinions
    assert phrases
    rng = random.Random(41)
    lines = rng.sample(_perturbed(_corpus(), rng), 1500) + [" ".join(p) + " tech is toppy" for p in phrases]
    for line in lines:
        tokens = normalize(line).split()
        for i in range(len(tokens)):
            expected = max((len(p) for p in phrases if tuple(tokens[i:i + len(p)]) == p), default=0)
            assert frames._opinion_size(tokens, i) == expected, (tokens, i)
