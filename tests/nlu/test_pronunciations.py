"""The grammar format's `pronunciations:` section: loading, errors, JSGF compilation and PocketSphinx."""
from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

from assistant.asr.pocketsphinx_backend import PocketsphinxRecognizer
from assistant.grammar import load_grammar
from assistant.grammar.compile import GrammarWarning, compile_jsgf, jsgf_pronunciations, to_jsgf
from assistant.grammar.model import GrammarError

GRAMMAR = """
language: en
intents:
  risk_view:
    - "show the (cvar|zork) loss"
    - "what is the tail risk"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_loaded_merged_and_stress_digits_dropped(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", GRAMMAR + 'pronunciations:\n  cvar: "S IY1 V AA2 R"\n')
    b = write(tmp_path, "b.yaml", """
        language: en
        pronunciations:
          cvar: ["S IY V AA R", "K AH V AA R"]
          zork: Z AO R K
    """)
    en = load_grammar([a, b]).language("en")
    assert en.pronunciations == {"cvar": ("S IY V AA R", "K AH V AA R"), "zork": ("Z AO R K",)}


@pytest.mark.parametrize("body,problem", [
    ('  cvar: "s iy v aa r"', "not ARPAbet phones: s, iy, v, aa, r"),
    ('  cvar: ""', "empty pronunciation"),
    ('  CVaR: "S IY V AA R"', "must be lower case letters"),
    ("  cvar: {a: 1}", "expected a single value"),
])
def test_errors_name_the_file_line_and_word(tmp_path: Path, body: str, problem: str) -> None:
    path = write(tmp_path, "bad.yaml", GRAMMAR + "pronunciations:\n" + body + "\n")
    with pytest.raises(GrammarError) as err:
        load_grammar(path)
    message = str(err.value)
    assert problem in message and str(path) in message and ":7:" in message


def test_jsgf_carries_them_and_pocketsphinx_loads_them(tmp_path: Path) -> None:
    path = write(tmp_path, "g.yaml", GRAMMAR + 'pronunciations:\n  cvar: ["S IY V AA R", "K AH V AA R"]\n')
    with pytest.warns(GrammarWarning, match="zork"):  # still unknown: left out, as before
        jsgf = to_jsgf(path, "en")
    assert "show the cvar loss" in jsgf and "zork" not in jsgf.split("// Words")[0]
    assert jsgf_pronunciations(jsgf) == {"cvar": ["S IY V AA R", "K AH V AA R"]}
    rec = PocketsphinxRecognizer(jsgf, "en")
    d = rec._decoder
    assert d.lookup_word("cvar") == "S IY V AA R" and d.lookup_word("cvar(2)") == "K AH V AA R"
    rec.close()


def test_phones_outside_the_acoustic_model_are_left_out_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "g.yaml", GRAMMAR + 'pronunciations:\n  cvar: ["S IY V AA R", "S IY V QX R"]\n'
                 '  zork: Z QX R K\n')
    # Two warnings: the phone outside the acoustic model, then the word left without any pronunciation.
    with pytest.warns(GrammarWarning) as caught:
        jsgf = to_jsgf(path, "en")
    messages = [str(w.message) for w in caught]
    assert any("zork: Z QX R K" in m for m in messages)
    assert any("not in the PocketSphinx dictionary" in m and "zork" in m for m in messages)
    assert jsgf_pronunciations(jsgf) == {"cvar": ["S IY V AA R"]}
    result = compile_jsgf(path, "en")
    assert any("phone not in the acoustic model" in s for s in result.skipped)


def test_known_words_get_them_as_alternatives_and_extra_words_add_more() -> None:
    jsgf = "#JSGF V1.0;\ngrammar t;\npublic <c> = see the cvar | pause;\n// pronunciation: pause P AA Z\n"
    rec = PocketsphinxRecognizer(jsgf, "en", extra_words={"cvar": ["S IY V AA R"]})
    d = rec._decoder
    assert d.lookup_word("pause") == "P AO Z" and d.lookup_word("pause(2)") == "P AA Z"
    assert d.lookup_word("cvar") == "S IY V AA R"
    rec.close()
    # The same pronunciation twice is added once.
    rec = PocketsphinxRecognizer(jsgf + "// pronunciation: pause P AA Z\n", "en", extra_words={"cvar": "S IY V AA R"})
    assert rec._decoder.lookup_word("pause(3)") is None
    rec.close()


def test_project_grammar_needs_no_word_left_out() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", GrammarWarning)
        jsgf = to_jsgf(load_grammar(), "en")
    rec = PocketsphinxRecognizer(jsgf, "en")
    assert rec._decoder.lookup_word("quantiles") is not None
    rec.close()
