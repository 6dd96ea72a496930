"""Grammar files from any path: a non-trading grammar, extensions, and clear errors."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from assistant.grammar import GrammarError, default_grammar_dir, load_grammar
from assistant.nlu.parser import Parser


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# ------------------------------------------------------------------ a coffee-order grammar
@pytest.fixture(scope="module")
def coffee(coffee_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Parser:
    # Copied to an arbitrary place under an arbitrary name: nothing ties grammars to grammars/.
    target = tmp_path_factory.mktemp("elsewhere") / "my orders.yml"
    shutil.copy(coffee_path, target)
    return Parser.from_paths(target)


@pytest.mark.parametrize("text, slots", [
    ("two large lattes to go", {"count": 2, "size": "L", "drink": "latte"}),
    ("I'd like one espresso please", {"count": 1, "drink": "espresso"}),
    ("can i have 3 small cappuccinos", {"count": 3, "size": "S", "drink": "cappuccino"}),
    ("um give me ten tall lattes", {"count": 10, "size": "L", "drink": "latte"}),
])
def test_coffee_grammar_orders(coffee: Parser, text: str, slots: dict) -> None:
    result = coffee.parse(text)
    assert result.matched and result.intent == "order_coffee"
    assert result.slots == slots
    assert result.language == "en"


def test_coffee_grammar_fuzzy_carrier_and_rejections(coffee: Parser) -> None:
    fuzzy = coffee.parse("i wold like two large lattes to go")
    assert fuzzy.matched and fuzzy.method == "fuzzy"
    assert fuzzy.slots == {"count": 2, "size": "L", "drink": "latte"}
    assert coffee.parse("cancel my order").intent == "cancel_order"
    # The trading grammar is not loaded: trading commands are out of domain here.
    assert not coffee.parse("buy two ES").matched
    assert coffee.parse("eleven lattes").reason == "invalid_count"   # range is 1..10
    assert coffee.parse("large lattes").reason == "missing_count"
    assert coffee.parse("two lattes and espressos").reason == "ambiguous_drink"
    assert coffee.intents() == ["cancel_order", "order_coffee"]
    # The trading slash commands name lists this grammar has not: refused with their usage, never a crash.
    for command in ("/buy 2 MNQ", "/sell 1 ES 6050.5", "/close MNQ"):
        refused = coffee.parse(command)
        assert not refused.matched and refused.reason in ("command_usage", "unknown_command")


@pytest.mark.slow
def test_directory_and_extension_files(tmp_path: Path) -> None:
    """A user adds phrasings in a file of their own; intents of the same language merge."""
    extra = write(tmp_path, "my_phrases.yaml", """
        language: en
        intents:
          place_trade:
            sentences:
              - "{side} me {quantity} {symbol} pronto"
          status:
            - "how are things"
        """)
    # Exact templates only: what is asserted is the merge, and the trained stages (classifier, command
    # reader, fuzzy carriers) would be built for this grammar alone (~25 s of CPU on a cold cache).
    parser = Parser.from_paths([default_grammar_dir(), extra], fuzzy=False, classifier=False, commands=False)
    result = parser.parse("buy me two ES pronto")
    assert result.matched and result.method == "exact"
    assert result.slots == {"side": "BUY", "quantity": 2, "symbol": "ES"}
    assert parser.parse("how are things").intent == "status"
    assert parser.parse("buy two ES").intent == "place_trade"  # original sentences kept


def test_shared_list_file_serves_every_language(tmp_path: Path) -> None:
    write(tmp_path, "shared.yaml", """
        lists:
          colour:
            values:
              - in: [red, rouge]
                out: RED
        """)
    write(tmp_path, "en.yaml", """
        language: en
        intents:
          paint: ["paint it {colour}"]
        """)
    write(tmp_path, "fr.yaml", """
        language: fr
        intents:
          paint: ["peins le en {colour}"]
        """)
    parser = Parser.from_paths(tmp_path)
    assert parser.parse("paint it red").slots == {"colour": "RED"}
    fr = parser.parse("peins-le en rouge")
    assert fr.slots == {"colour": "RED"} and fr.language == "fr"


# ------------------------------------------------------------------ malformed grammars
BAD_GRAMMARS = {
    "unbalanced": ("""
        language: en
        intents:
          greet:
            sentences:
              - "hello there"
              - "(hi|hey there"
        """, 6, ["intent 'greet', sentence 2", "never closed", "column 1"]),
    "unknown_list": ("""
        language: en
        intents:
          paint:
            - "paint it {colour}"
        """, 4, ["intent 'paint'", "unknown list '{colour}'"]),
    "unknown_rule": ("""
        language: en
        intents:
          paint:
            - "<please> paint it"
        """, 4, ["unknown rule '<please>'"]),
    "recursive_rule": ("""
        language: en
        rules:
          a: "x <b>"
          b: "y <a>"
        intents:
          t: ["<a>"]
        """, 3, ["rule includes itself"]),
    "no_sentences": ("""
        language: en
        intents:
          empty: {}
        """, 3, ["intent 'empty'", "no sentences"]),
    "required_not_guaranteed": ("""
        language: en
        lists:
          thing: {values: [apple]}
        intents:
          take:
            required: [thing]
            sentences: ["take [the {thing}]"]
        """, 7, ["required slot 'thing'", "not in every form"]),
    "list_without_values": ("""
        language: en
        lists:
          thing: {slot: x}
        intents:
          t: ["hello"]
        """, 3, ["list 'thing'", "exactly one of 'values' or 'range'"]),
    "bad_range": ("""
        language: en
        lists:
          n: {range: {from: 10, to: 1}}
        intents:
          t: ["{n}"]
        """, 3, ["list 'n'", "'from' (10) is above 'to' (1)"]),
    "bad_range_type": ("""
        language: en
        lists:
          n: {range: {type: fraction, from: 0, to: 1}}
        intents:
          t: ["{n}"]
        """, 3, ["range type 'fraction' unknown"]),
    "conflicting_value": ("""
        language: en
        lists:
          side:
            values:
              - {in: [buy], out: BUY}
              - {in: [Buy, sell], out: SELL}
        intents:
          t: ["{side}"]
        """, 6, ["list 'side'", "'Buy' already means 'BUY'"]),
    "typo_key": ("""
        language: en
        intens:
          t: ["hello"]
        """, 2, ["unknown key 'intens'"]),
    "unquoted_yes": ("""
        language: en
        intents:
          confirm:
            - yes
        """, 4, ["expected text, got True", "quote words such as yes/no"]),
    "empty_alternative": ("""
        language: en
        intents:
          t: ["(a||b)"]
        """, 3, ["empty alternative"]),
    "bad_yaml": ("""
        language: en
        intents:
          t: ["hello"
          u: ["bye"]
        """, 4, ["invalid YAML"]),
    "intents_without_language": ("""
        intents:
          t: ["hello"]
        """, 2, ["needs 'language: <code>'"]),
}


@pytest.mark.parametrize("name", sorted(BAD_GRAMMARS))
def test_malformed_grammar_errors_name_file_line_and_problem(tmp_path: Path, name: str) -> None:
    text, line, fragments = BAD_GRAMMARS[name]
    path = write(tmp_path, f"{name}.yaml", text)
    with pytest.raises(GrammarError) as info:
        load_grammar(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}:"), message
    for fragment in fragments:
        assert fragment in message, message
    assert info.value.origin.path == str(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(GrammarError, match="file not found"):
        load_grammar(tmp_path / "nope.yaml")
    empty = write(tmp_path, "empty.yaml", "\n")
    with pytest.raises(GrammarError, match="file is empty"):
        load_grammar(empty)
    empty_dir = tmp_path / "nothing_here"
    empty_dir.mkdir()
    with pytest.raises(GrammarError, match="no .yaml grammar file"):
        load_grammar(empty_dir)
    shared_only = tmp_path / "only_shared"
    shared_only.mkdir()
    write(shared_only, "lists.yaml", "lists:\n  a: {values: [x]}\n")
    with pytest.raises(GrammarError, match="no language file"):
        load_grammar(shared_only)


def test_bad_file_does_not_break_the_parser_already_built(parser: Parser, tmp_path: Path) -> None:
    """Loading a broken extension raises; the parser in use keeps working unchanged."""
    bad = write(tmp_path, "broken.yaml", "language: en\nintents:\n  t: ['(oops']\n")
    with pytest.raises(GrammarError):
        Parser.from_paths([default_grammar_dir(), bad])
    assert parser.parse("buy two ES").matched
