"""Round 16: chat slash commands typed as sentences, numbers offered as alternatives, contracted words,
and the Belgian/Swiss tens in the recognisers' number rules."""
from __future__ import annotations

import pytest

from assistant.nlu.numbers import number_language
from assistant.nlu.parser import Parser
from assistant.nlu.slash import COMMAND_INTENTS, slash_command


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("/positions", "positions", {}),
    ("/pnl", "pnl_today", {}),
    ("  /status ", "status", {}),
    ("/regime MNQ", "market_regime", {"symbol": "MNQ"}),
    ("/positions@mia_bot", "positions", {}),
    ("/positions micro nasdaq", "positions", {"symbol": "MNQ"}),
    ("/halt", "halt", {}),
    ("/start", "help", {}),
    ("/risk 1 ES", "set_risk", {"risk_percent": 1.0, "symbol": "ES"}),
    ("/risk 0,5", "set_risk", {"risk_percent": 0.5}),
    ("/risk 1% MNQ", "set_risk", {"risk_percent": 1.0, "symbol": "MNQ"}),
])
def test_a_slash_command_is_exactly_the_intent_it_names(parser: Parser, text: str, intent: str,
                                                        slots: dict[str, object]) -> None:
    result = parser.parse(text, prefer="fr")
    assert result.matched and result.intent == intent and result.slots == slots
    assert result.language == "fr" and not result.language_certain  # a command word names no language


@pytest.mark.parametrize("text", [
    "/halt ES", "/pnl today", "/risk", "/risk ES", "/risk 1 ES MNQ", "/regime ES MNQ", "/positions SPY", "/buyy 2 ES",
    "/long 2 ES",
])
def test_any_other_slash_command_is_refused_never_read_as_its_words(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not result.matched and result.reason == "unknown_command"


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("/buy 2 MNQ", "place_trade", {"side": "BUY", "quantity": 2, "symbol": "MNQ"}),
    ("/achat 2 mnq", "place_trade", {"side": "BUY", "quantity": 2, "symbol": "MNQ"}),
    ("/sell 1 ES 6050.5", "place_trade", {"side": "SELL", "quantity": 1, "symbol": "ES", "price": 6050.5}),
    ("/vente 1 ES 6050,5", "place_trade", {"side": "SELL", "quantity": 1, "symbol": "ES", "price": 6050.5}),
    ("/buy@mia_bot 12 ES", "place_trade", {"side": "BUY", "quantity": 12, "symbol": "ES"}),  # the risk gate's to refuse
    ("/flat", "close_positions", {"scope": "all"}),
    ("/flat MNQ", "close_positions", {"symbol": "MNQ"}),
    ("/close ES", "close_positions", {"symbol": "ES"}),
    ("/close all", "close_positions", {"scope": "all"}),
    ("/reduceonly", "reduce_only", {}),
    ("/autopilot propose", "autopilot_mode", {"mode": "propose"}),
    ("/autopilot off", "autopilot_mode", {"mode": "off"}),
])
def test_an_action_command_is_the_action_it_names_for_the_read_back(parser: Parser, text: str, intent: str,
                                                                     slots: dict[str, object]) -> None:
    """Orders, closes and switches as commands: as safe as the typed sentence (read back, confirmed,
    then the risk gate), so read; the conversation's language answers."""
    result = parser.parse(text, prefer="en")
    assert result.matched and result.intent == intent and result.slots == slots
    assert result.language == "en" and not result.language_certain


@pytest.mark.parametrize("text", [
    "/buy", "/buy 2", "/buy 2 ES MNQ", "/sell ES 2", "/buy two ES", "/buy 2.5 ES", "/buy -1 ES", "/buy 2 nasdaq",
    "/buy 2 NQ", "/sell 1 ES at 6050", "/sell 1 ES 6050 now", "/close", "/close ES MNQ", "/flat ES MNQ",
    "/reduceonly off", "/autopilot on", "/autopilot auto now", "/achat 2 ES 6 050,5 x",
])
def test_an_action_command_with_other_arguments_is_refused_with_its_usage(parser: Parser, text: str) -> None:
    """A strict grammar: a quantity in digits, a market, a price in digits, in that order; nothing guessed."""
    result = parser.parse(text)
    assert not result.matched and result.reason == "command_usage" and result.detail.startswith("usage: /")


def test_the_bot_and_the_parser_share_one_command_table() -> None:
    from assistant.telegram_bot import bot

    assert bot.COMMAND_INTENTS is COMMAND_INTENTS
    assert slash_command("1/2 ES") is None and slash_command("buy 2 ES") is None
    command = slash_command("/Risk@mia_bot 1 ES")
    assert command is not None and (command.name, command.intent, command.args) == ("risk", "set_risk", "1 ES")


@pytest.mark.parametrize("text", [
    "mets le risque à un ou deux pour cent", "risque à un ou deux %", "risque un voire deux pour cent",
    "set risk to one or two percent", "achète trois ou quatre ES", "buy three or four ES",
])
def test_numbers_offered_as_alternatives_are_refused(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("chu long combien d'ES", "positions", {"symbol": "ES"}),
    ("chui dans le vert aujourd'hui ?", "pnl_today", {}),
])
def test_contracted_words_are_read_in_full(parser: Parser, text: str, intent: str, slots: dict[str, object]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent and result.slots == slots
    assert result.text == text


@pytest.mark.parametrize("text", ["chais pas, achète 2 ES", "jsais pas vends 1 MNQ", "chui pas sûr, vends 1 MNQ"])
def test_contracted_doubt_still_refuses_the_order(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


def test_french_recogniser_numbers_say_the_belgian_and_swiss_tens() -> None:
    tens = {w.strip() for w in number_language("fr").jsgf["tens"].split("|")}
    assert {"septante", "huitante", "octante", "nonante"} <= tens
    for word in ("septante", "huitante", "octante", "nonante"):
        assert number_language("fr").parse(word) is not None


@pytest.mark.parametrize(("text", "expected"), [
    ("risk 1/2 %", "risk 0.5 percent"), ("risk ½%", "risk 0.5 percent"), ("risque 1½ %", "risque 1.5 percent"),
    ("mets 1 1/2 %", "mets 1.5 percent"), ("buy 3/4 ES", "buy 0.75 es"),
    ("le 12/15", "le 12 15"), ("risk 3/2", "risk 3 2"),  # not a fraction said as such: left alone
])
def test_written_fractions_are_read_as_decimals(text: str, expected: str) -> None:
    from assistant.nlu.normalize import normalize

    assert normalize(text) == expected


@pytest.mark.parametrize(("text", "lang", "value"), [
    ("6000 and a quarter", "en", 6000.25), ("1 and a half", "en", 1.5),
    ("6000 et quart", "fr", 6000.25), ("1 et demi", "fr", 1.5), ("2 and", "en", None), ("6000.5 and a half", "en", None),
])
def test_a_figure_then_a_half_or_a_quarter_in_words(text: str, lang: str, value: float | None) -> None:
    from assistant.nlu.numbers import parse_number

    assert parse_number(text, lang) == value


@pytest.mark.parametrize(("text", "slots"), [
    ("achète 2 ES euh 2 ES", {"side": "BUY", "quantity": 2, "symbol": "ES"}),
    ("buy two uh buy two ES", {"side": "BUY", "quantity": 2, "symbol": "ES"}),
    ("vends un micro vends un micro", {"side": "SELL", "quantity": 1, "symbol": "MNQ"}),
])
def test_the_same_words_said_twice_are_said_once(parser: Parser, text: str, slots: dict[str, object]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "place_trade" and result.slots == slots


@pytest.mark.parametrize("text", [
    "buy two uh buy three ES", "achète deux ES deux MNQ", "sell two two ES", "achète deux deux ES",
    "buy 2 ES at fifty nine fifty nine fifty nine", "achète deux ES à six mille euh six mille dix",
])
def test_repetitions_that_change_or_may_change_a_value_stay_refused(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


def test_a_run_of_number_words_alone_is_never_collapsed() -> None:
    from assistant.nlu.restate import Restater

    numbers = frozenset({"fifty", "nine", "two"})
    assert Restater.without_repeated_run("buy fifty nine fifty nine".split(), numbers) is None
    again = Restater.without_repeated_run("buy two es two es".split(), numbers)
    assert again is not None and again.text == "buy two es"


@pytest.mark.parametrize(("text", "intent"), [
    ("/cvar", "cvar_loss"), ("/perf", "performance_metrics"), ("/aide", "help"), ("/shap", "shap_features"),
    ("/quantiles", "qr_quantiles"),
])
def test_an_unknown_slash_command_asking_a_question_is_that_question(parser: Parser, text: str, intent: str) -> None:
    """Not a bot command, but its words ask a read-only question: answered (an action never is)."""
    result = parser.parse(text)
    assert result.matched and result.intent == intent and result.text == text


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("j'ai-tu fait de l'argent aujourd'hui", "pnl_today", {}),
    ("c'est-tu arrêté le trading", "status", {}),  # was read as a halt by the fuzzy stage
    ("chu-tu long sur le micro", "positions", {"symbol": "MNQ"}),
    ("peux-tu acheter deux ES", "place_trade", {"side": "BUY", "quantity": 2, "symbol": "ES"}),  # "tu": the subject
    ("bon là on arrête, tu ne trades plus", "halt", {}),  # no hyphen: no particle
])
def test_the_quebec_tu_particle_asks_a_question(parser: Parser, text: str, intent: str, slots: dict[str, object]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent and result.slots == slots


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("j'ai tu fait de l'argent aujourd'hui", "pnl_today", {}),  # typed without its hyphen: the same question
    ("c'est tu arrêté le trading", "status", {}),  # (was read as a halt by the fuzzy stage)
    ("chu tu long sur le micro", "positions", {"symbol": "MNQ"}),
    ("mes positions sont-tu ouvertes", "positions", {}),  # the verb alone, any subject
    ("l'autopilote va-tu trader tout seul", "autopilot_status", {}),  # (was read as the auto mode)
])
def test_the_tu_particle_is_one_mechanism_hyphen_or_not(parser: Parser, text: str, intent: str,
                                                        slots: dict[str, object]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent and result.slots == slots


@pytest.mark.parametrize("text", [
    "j'achète-tu deux ES", "on ferme-tu tout", "je vends-tu mes micros",
    "j'achète tu deux ES", "on ferme tu tout",  # without the hyphen (were an order and a close)
    "c'est-tu possible de fermer l'ES",  # a possibility asked with the particle: still asked
    # ("tu peux-tu fermer l'ES" is Québec's plain request, "peux-tu fermer l'ES": understood and read back since
    # session 22, tests/nlu/test_session22_fits.py)
])
def test_an_order_asked_with_the_tu_particle_is_never_placed(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


@pytest.mark.parametrize(("text", "intent"), [("👍", "confirm"), ("👍🏽 !", "confirm"), ("👎👎", "cancel"), ("✅", "confirm")])
def test_an_answer_emoji_alone_is_a_yes_or_a_no_of_the_conversations_language(parser: Parser, text: str,
                                                                               intent: str) -> None:
    result = parser.parse(text, prefer="fr")
    assert result.matched and result.intent == intent and result.language == "fr" and not result.language_certain


@pytest.mark.parametrize("text", ["👍👎", "👍?", "👍 🚀", "🚀", "🚀 2 ES"])
def test_other_emoji_or_both_answers_are_refused(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not result.matched or result.intent not in ("confirm", "cancel", "place_trade")
