"""The one set of locale formatters: written numbers, money, percentages, and their spoken words."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from assistant.present.money import format_money, say_money
from assistant.present.numbers import format_fraction, format_number, format_percent, format_price
from assistant.present.speech import for_speech, spell_symbol
from assistant.present.spell import spell_int, spell_number
from assistant.present.text import CONTRACT, SECOND, Count, Money, Surface, Sym, msg, render

S, B = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("value", "en", "fr"),
    [
        (0, "0", "0"),
        (999, "999", "999"),
        (1000, "1,000", f"1{S}000"),
        (-1234567, "-1,234,567", f"-1{S}234{S}567"),
        (2.5, "2.5", "2,5"),
        (4512.25, "4,512.25", f"4{S}512,25"),
        (Decimal("1E+3"), "1,000", f"1{S}000"),
        (Decimal("0.005"), "0.01", "0,01"),  # half-up, not banker's rounding
        (-0.001, "0", "0"),  # never "-0"
        (float("nan"), "nan", "nan"),
        (True, "True", "True"),  # a bool is not a number: shown as it is
    ],
)
def test_format_number(value: Any, en: str, fr: str) -> None:
    assert format_number(value, "en") == en
    assert format_number(value, "fr") == fr


def test_money_is_written_one_way_everywhere() -> None:
    assert format_money(Decimal("-1502.25"), "en") == "-$1,502.25"
    assert format_money(Decimal("-1502.25"), "fr") == f"-1{S}502,25{B}$"
    assert format_money(2000, "en") == "$2,000.00"
    assert format_money(Decimal("-0.004"), "en") == "$0.00"  # never "-$0.00"
    assert format_money(Decimal("-12"), "en", signed=False) == "$12.00"
    assert format_money(float("inf"), "en") == "$inf"


def test_money_is_said_in_words() -> None:
    assert say_money(Decimal("-1502.25"), "fr") == "moins mille cinq cent deux dollars vingt-cinq"
    assert say_money(Decimal("-1502.25"), "en") == "minus one thousand five hundred two dollars and twenty-five cents"
    assert say_money(1, "en") == "one dollar" and say_money(Decimal("1.5"), "fr") == "un dollar cinquante"
    assert say_money(Decimal("0.01"), "en") == "zero dollars and one cent"


def test_percent_price_fraction() -> None:
    assert format_percent(Decimal("2.5"), "en") == "2.5%"
    assert format_percent(Decimal("2.5"), "fr") == f"2,5{S}%"
    assert format_price(5990.25, "fr") == f"5{S}990,25" and format_price(6000, "en") == "6,000.00"
    assert format_fraction(0.553, "en") == "55.3%"


@pytest.mark.parametrize(
    ("n", "en", "fr"),
    [
        (0, "zero", "zéro"), (21, "twenty-one", "vingt et un"), (71, "seventy-one", "soixante et onze"),
        (80, "eighty", "quatre-vingts"), (81, "eighty-one", "quatre-vingt-un"), (99, "ninety-nine", "quatre-vingt-dix-neuf"),
        (200, "two hundred", "deux cents"), (201, "two hundred one", "deux cent un"), (1000, "one thousand", "mille"),
        (80_000, "eighty thousand", "quatre-vingt mille"), (2_000_300, "two million three hundred", "deux millions trois cents"),
    ],
)
def test_spell_int(n: int, en: str, fr: str) -> None:
    assert spell_int(n, "en") == en and spell_int(n, "fr") == fr


def test_spell_decimals_and_feminine() -> None:
    assert spell_number(5990.25, "en") == "five thousand nine hundred ninety point two five"
    assert spell_number(5990.25, "fr") == "cinq mille neuf cent quatre-vingt-dix virgule vingt-cinq"
    assert spell_number(2.05, "fr") == "deux virgule zéro cinq"
    assert render(msg("{n}", n=Count(21, SECOND)), "fr", Surface.SPEECH) == "vingt et une secondes"
    assert render(msg("{n}", n=Count(1, CONTRACT)), "fr", Surface.SPEECH) == "un contrat"


def test_symbols_are_spelled_for_speech_only() -> None:
    m = msg("Close {s}.", "Fermer {s}.", s=Sym("MNQ"))
    assert render(m, "en") == "Close MNQ." and render(m, "en", Surface.SPEECH) == "Close M N Q."
    assert spell_symbol("es") == "E S"


def test_written_text_made_speakable() -> None:
    spoken = for_speech("P&L -$1,502.25 against a limit of -$1,000.00; order O-12ab3 at 17:00 on 2026-11-18, 2.5% risk", "en")
    assert spoken == ("P and L minus one thousand five hundred two dollars and twenty-five cents against a limit of "
                      "minus one thousand dollars; order O-12ab3 at 17:00 on 2026-11-18, two point five percent risk")
    assert for_speech(f"perte de 1{S}502,25{B}$ sur ES", "fr") == "perte de mille cinq cent deux dollars vingt-cinq sur E S"


def test_one_message_every_surface() -> None:
    m = msg("P&L {pnl}.", "P&L {pnl}.", pnl=Money(Decimal("-1502.25")))
    assert {s: render(m, "en", s) for s in Surface} == {
        Surface.CHAT: "P&L -$1,502.25.", Surface.CLI: "P&L -$1,502.25.", Surface.PAGE: "P&L -$1,502.25.",
        Surface.SPEECH: "P and L minus one thousand five hundred two dollars and twenty-five cents.",
    }
