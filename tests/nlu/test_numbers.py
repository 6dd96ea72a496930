"""Numbers said or written in French and English, and text normalisation."""
from __future__ import annotations

import pytest

from assistant.nlu.normalize import normalize
from assistant.nlu.numbers import number_language, number_to_words, parse_number

FRENCH = {
    "un": 1, "une": 1, "deux": 2, "dix": 10, "onze": 11, "douze": 12, "seize": 16,
    "dix-sept": 17, "dix sept": 17, "vingt": 20, "vingt et un": 21, "vingt-et-un": 21,
    "vingt et une": 21, "vingt-deux": 22, "trente et un": 31, "soixante": 60,
    "soixante-dix": 70, "soixante dix": 70, "soixante et onze": 71, "soixante-douze": 72,
    "soixante-dix-neuf": 79, "quatre-vingts": 80, "quatre vingts": 80, "quatre-vingt": 80,
    "quatre-vingt-un": 81, "quatre-vingt-dix": 90, "quatre-vingt-onze": 91,
    "quatre-vingt-dix-neuf": 99, "quatre vingt dix neuf": 99, "cent": 100, "cent un": 101,
    "deux cents": 200, "deux cent trois": 203, "mille": 1000, "cinq mille douze": 5012,
    "dix mille": 10000, "zéro": 0, "zero": 0,
    "septante": 70, "septante-cinq": 75, "huitante": 80, "octante": 80, "nonante-neuf": 99,
    "un demi": 0.5, "une demie": 0.5, "demi": 0.5, "un et demi": 1.5, "deux et demie": 2.5,
    "deux virgule cinq": 2.5, "zéro virgule cinq": 0.5, "virgule cinq": 0.5,
    "zéro virgule zéro cinq": 0.05, "cinq mille douze virgule vingt-cinq": 5012.25,
    "cinq mille douze virgule deux cinq": 5012.25, "un quart": 0.25, "trois quarts": 0.75,
    "0,5": 0.5, "2": 2, "5012,25": 5012.25, "5 012,25": 5012.25, "10 000": 10000,
    # prices as traders say them (round 18b)
    "vingt-deux mille zéro cinquante": 22050, "vingt et un mille zéro vingt-cinq": 21025,
    "vingt et un mille neuf cent quatre-vingt-dix-neuf et trois quarts": 21999.75, "six mille cinq": 6005,
}
ENGLISH = {
    "one": 1, "two": 2, "ten": 10, "twelve": 12, "twenty": 20, "twenty-one": 21,
    "twenty one": 21, "ninety-nine": 99, "a hundred": 100, "one hundred": 100,
    "one hundred and five": 105, "two hundred": 200, "a thousand": 1000,
    "five thousand twelve": 5012, "ten thousand": 10000, "zero": 0,
    "half": 0.5, "a half": 0.5, "half a": 0.5, "one half": 0.5, "a quarter": 0.25,
    "three quarters": 0.75, "three quarters of a": 0.75,
    "one and a half": 1.5, "two and a half": 2.5, "zero point five": 0.5, "point five": 0.5,
    "point two five": 0.25, "point twenty five": 0.25, "two point five": 2.5,
    "five thousand twelve point two five": 5012.25, "0.5": 0.5, "5012.25": 5012.25,
    "5,012.25": 5012.25, "10,000": 10000, "2": 2,
    # prices as traders say them (round 18b): the hundreds as a pair or a zero after "thousand", hundreds
    # counted past ten, three quarters; "six thousand five" is 6 005 as said
    "twenty one thousand three fifty": 21350, "twenty two thousand oh fifty": 22050,
    "six thousand two twelve": 6212, "sixty one hundred": 6100, "fifteen hundred": 1500,
    "twenty one hundred fifty": 2150, "twenty one thousand nine hundred ninety nine and three quarters": 21999.75,
    "6000 and three quarters": 6000.75, "six thousand five": 6005,
}


@pytest.mark.parametrize("text, value", sorted(FRENCH.items()))
def test_french_numbers(text: str, value: float) -> None:
    got = parse_number(text, "fr")
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("text, value", sorted(ENGLISH.items()))
def test_english_numbers(text: str, value: float) -> None:
    got = parse_number(text, "en")
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_number_up_to_ten_thousand_round_trips_through_words(lang: str) -> None:
    numbers = number_language(lang)
    for n in range(0, 10001):
        assert numbers.parse(number_to_words(n, lang)) == n, (n, number_to_words(n, lang))
    for price in (5012.25, 18250.75, 0.5, 99999.5):
        assert numbers.parse(number_to_words(price, lang)) == price


@pytest.mark.parametrize("text, lang", [
    ("deux douze", "fr"), ("two ten", "en"), ("vingt vingt", "fr"), ("one one", "en"),
    ("douze deux", "fr"), ("cent cent", "fr"), ("", "en"), ("ES", "en"), ("point", "en"),
    ("et demi", "fr"), ("and a half", "en"), ("un deux", "fr"),
    ("six two twelve", "en"), ("six thousand twelve fifty", "en"), ("six mille deux douze", "fr"),
    ("six mille zéro", "fr"), ("mille zéro cinq", "fr"), ("sixty hundred", "en"), ("thousand three", "en"),
])
def test_two_numbers_or_non_numbers_are_not_one_number(text: str, lang: str) -> None:
    assert parse_number(text, lang) is None


def test_french_spelling() -> None:
    assert number_to_words(21, "fr") == "vingt et un"
    assert number_to_words(71, "fr") == "soixante et onze"
    assert number_to_words(80, "fr") == "quatre vingts"
    assert number_to_words(99, "fr") == "quatre vingt dix neuf"
    assert number_to_words(200, "fr") == "deux cents"
    assert number_to_words(5012.25, "fr") == "cinq mille douze virgule deux cinq"
    assert number_to_words(5012.25, "en") == "five thousand twelve point two five"
    with pytest.raises(ValueError):
        number_to_words(-1, "en")


def test_unknown_language_reads_digits_only() -> None:
    assert parse_number("42", "de") == 42
    assert parse_number("zwei", "de") is None
    assert number_to_words(42, "de") == "42"


@pytest.mark.parametrize("text, expected", [
    ("Achète DEUX contrats E.S. !", "achete deux contrats e s"),
    ("définir la taille de position à 1 % de risque", "definir la taille de position a 1 percent de risque"),
    ("un demi pour cent", "un demi percent"),
    ("0,5 %", "0.5 percent"),
    ("5 012,25", "5012.25"),
    ("5,012.25", "5012.25"),
    ("S&P 500", "s and p 500"),
    ("e-mini", "e mini"),
    ("quatre-vingt-dix-neuf", "quatre vingt dix neuf"),
    ("qu'est-ce que tu sais faire ?", "qu est ce que tu sais faire"),
    ("what’s my P&L", "what s my p and l"),
    ("buy 2 ES @ 5000", "buy 2 es at 5000"),
    ("  lots   of\tspace ", "lots of space"),
    ("œuvre Ça Noël", "oeuvre ca noel"),
    ("", ""),
    # Plain words and spaces only (the fast path): the percent phrase is still rewritten.
    ("Un Pour Cent   de risque", "un percent de risque"),
    ("risk one per cent", "risk one percent"),
    ("two pct", "two percent"),
    ("ferme tout", "ferme tout"),
    ("   ", ""),
])
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


# Percentages said the way traders say them: the fraction before "pour cent" ("un quart de pour
# cent"), the half after it ("un pour cent et demi", "one percent and a half").
@pytest.mark.parametrize("text, value", [
    ("risque un pour cent et demi", 1.5), ("risque deux pour cent et demie", 2.5),
    ("risque un quart de pour cent", 0.25), ("risque trois quarts de pour cent", 0.75),
    ("risque trois quarts pour cent", 0.75), ("fixe le risque par trade à un pour cent et demi", 1.5),
    ("risk three quarters of a percent", 0.75), ("risk one percent and a half", 1.5),
    ("risk a quarter of a percent", 0.25), ("risk one and a half percent", 1.5),
])
def test_spoken_fractions_of_a_percent(parser, text: str, value: float) -> None:
    result = parser.parse(text, "auto")
    assert result.matched and result.intent == "set_risk" and result.slots["risk_percent"] == value


@pytest.mark.parametrize("text", [
    "risque deux virgule cinq pour cent et demi",   # two fractions: not one percentage
    "risque deux de pour cent",                     # "de" only after "quart(s)"
    "achète trois quarts ES",                        # a quantity is a whole number of contracts
    "buy three quarters of a ES",
])
def test_odd_fractions_are_never_a_value(parser, text: str) -> None:
    assert not parser.parse(text, "auto").matched


@pytest.mark.parametrize(("text", "value"), [("cinq mille douze virgule deux cinq", 5012.25),
                                             ("vingt et un mille virgule cinq zero", 21000.5),
                                             ("cinq mille douze virgule vingt cinq", 5012.25),
                                             ("cinq mille douze virgule cinq", 5012.5)])
def test_a_scan_reads_decimals_said_digit_by_digit_as_one_number(text: str, value: float) -> None:
    # The scanner stops at its first match: ",2" then a stray "cinq" would become a quantity.
    from assistant.nlu.compiled import NUMBER_KIND
    from assistant.nlu.parser import default_parser

    comp = default_parser()._compiled["fr"]
    items = [i for i in comp.scan_items(f"achete es a {text} ") if not isinstance(i, str) and i.kind == NUMBER_KIND]
    assert [i.text for i in items] == [text]
    assert parse_number(text, "fr") == value


@pytest.mark.parametrize("text", ["6.000", "21.500", "1.000.000", "2.000"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_figures_grouped_by_dots_are_no_number(text: str, lang: str) -> None:
    # six thousand (French, German grouping) or six with three decimals? The trader's to say (round 24a)
    assert parse_number(text, lang) is None


@pytest.mark.parametrize("text,lang,value", [("0.500", "en", 0.5), ("5962.500", "en", 5962.5), ("6,000", "en", 6000),
                                             ("6 000,50", "fr", 6000.5)])
def test_other_three_decimal_figures_stay_numbers(text: str, lang: str, value: float) -> None:
    assert parse_number(text, lang) == value


def test_multipliers_are_the_words_that_need_a_number_before_them() -> None:
    # "hundred", "thousand" said alone are what is left of a number misheard ("at for thousand")
    assert number_language("en").multipliers() == {"hundred", "thousand", "quarters"}
    assert number_language("fr").multipliers() == {"vingts", "quarts"}
