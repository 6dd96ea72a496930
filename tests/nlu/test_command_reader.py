"""The learned reader of orders and closes worded freely (assistant/nlu/command_reader.py).

It only ever reads an order or a close; its values come from the grammar's detectors, never from the
model; every doubt the earlier stages refuse for (a negation, a condition, a price, another market, an
unfinished sentence, a word like a side word of the other direction, a fragment...) leaves it silent;
and what it reads is said back as a guess before anything is sent (tests/dialogue/test_learned_orders.py).
Its training is cached and a corrupt cache is rebuilt."""
from __future__ import annotations

import itertools

import pytest

from assistant.nlu.command_reader import COMMAND_INTENTS, CommandReader, CommandReaderOptions
from assistant.nlu.parser import Parser

#: Words of colour a trader may wrap an order in (oaths, address, regional tags) that no grammar knows.
COLOUR = {
    "en": [("", "gov"), ("oi gov,", ""), ("", "innit bruv"), ("crikey,", "")],
    "fr": [("", "mon vieux"), ("", "mon poto"), ("zut de zut,", ""), ("", "saperlipopette")],
}
ORDERS = {
    "en": [("sell {n} micros", "SELL", "MNQ"), ("buy {n} ES", "BUY", "ES"), ("short {n} spoos", "SELL", "ES")],
    "fr": [("vends {n} micros", "SELL", "MNQ"), ("achète {n} ES", "BUY", "ES")],
}
WORDS = {"en": {2: "two", 3: "three", 7: "seven", 12: "twelve"}, "fr": {2: "deux", 3: "trois", 7: "sept", 12: "douze"}}


def _reader(parser: Parser) -> CommandReader:
    reader = parser._commands
    assert reader is not None and reader.model is not None
    return reader


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_orders_in_colour_words_are_read_with_the_values_said(parser: Parser, lang: str) -> None:
    reader = _reader(parser)
    read = 0
    total = 0
    for (before, after), (order, side, symbol), (n, word) in itertools.product(
            COLOUR[lang], ORDERS[lang], WORDS[lang].items()):
        text = " ".join(p for p in (before, order.format(n=word), after) if p)
        total += 1
        guess = reader.read(text, lang)
        if guess.intent is not None:
            # never another value than the one said
            assert guess.intent == "place_trade" and not guess.missing, text
            assert guess.slots == {"side": side, "quantity": n, "symbol": symbol}, text
            read += 1
        result = parser.parse(text)  # whatever stage reads it
        if result.matched:
            assert result.intent == "place_trade", text
            assert result.slots == {"side": side, "quantity": n, "symbol": symbol}, text
    assert read >= total // 3, f"the learned reader read only {read} of {total}"


@pytest.mark.parametrize("text", [
    # the doubts every earlier stage refuses for, with an unknown word of colour beside them
    "damn it, don't sell 2 ES", "damn it, sell 2 ES if it breaks", "damn it, sell 2 ES at 6850",
    "damn it, sell 2 ES tomorrow", "damn it, sell 2 ES with a stop", "damn it, sell 2 gold",
    "damn it, sell 2 ES and", "damn it, sell 2 ES for", "damn it, sell 2 ES or 3", "damn it, sell 2 ES?",
    "damn it, sell 2 ES and 3 MNQ", "damn it, sell 2.5 ES", "damn it, sell about 2 ES",
    "damn it, sell 2 micros, NQ", "damn it, sell two micro, nasdaq", "damn it, sell 2 ES with 1% risk",
    "dmn, lg 2 es sell", "damn it, sell 3 MNQ shortly", "damn it, sell 2 ES x",
    "damn it, close an ES", "damn it, shut it all down", "damn it, close 1 ES",
    "putain, vends 2 ES demain", "putain, ne vends pas 2 ES", "putain, vends 2 ES si ça casse",
    "putain, vte 2 es long", "putain, vends genre deux micros", "putain, achète 2 ES à", "putain, ferme tout et le frigo",
])
def test_doubts_leave_the_reader_silent(parser: Parser, text: str) -> None:
    lang = "fr" if text.startswith("putain") else "en"
    guess = _reader(parser).read(text, lang)
    assert guess.intent is None and guess.reason, (text, guess)
    result = parser.parse(text)
    assert result.method != "learned", (text, result)


@pytest.mark.slow
def test_it_reads_only_orders_and_closes_on_every_corpus_line(parser: Parser) -> None:
    from assistant.nlu.classifier import default_corpora
    import yaml
    reader = _reader(parser)
    seen = 0
    for path in default_corpora():
        lang = path.stem.rsplit("_", 1)[-1]
        if lang not in ("en", "fr"):
            continue
        for line in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(line, dict) and "t" in line:
                guess = reader.read(str(line["t"]), lang)
                if guess.intent is not None:
                    seen += 1
                    assert guess.intent in COMMAND_INTENTS
                    assert guess.probability >= reader.options.probability
    assert seen > 100


def test_an_incomplete_order_is_a_follow_up_with_what_was_said(parser: Parser) -> None:
    result = parser.parse("biloute, achète")
    assert not result.matched
    if result.method == "learned":
        assert result.reason == "missing_quantity" and result.slots == {"side": "BUY"}
        assert set(result.missing) == {"quantity", "symbol"}


@pytest.mark.slow
def test_the_stage_can_be_switched_off() -> None:
    off = Parser.from_paths(None, commands=False)
    assert off._commands is None
    assert off.parse("damn it, sell 2 ES").method != "learned"


@pytest.mark.slow
def test_training_is_cached_and_a_corrupt_cache_is_rebuilt(parser: Parser, tmp_path) -> None:
    options = CommandReaderOptions(cache_dir=tmp_path)
    first = CommandReader(parser.grammar, parser._compiled, parser._frames, options)
    files = list(tmp_path.glob("nlu-commands-*.joblib"))
    assert len(files) == 1 and first.model is not None
    files[0].write_bytes(b"not a model")
    again = CommandReader(parser.grammar, parser._compiled, parser._frames, options)
    assert again.model is not None and again.model.classes == first.model.classes
    assert (again.model.weights == first.model.weights).all()  # deterministic training
    text = "damn it, sell 2 ES"
    assert again.read(text, "en") == first.read(text, "en")
