"""A command said first, then a reason or an aside (issue #13, round 15): the command is read when
the aside commits to nothing (parser `_aside`, `Restater.aside_splits`, `FrameMatcher.plain_aside`);
an aside holding a condition, a time, doubt, a correction, a second value or someone else keeps the
sentence refused, and an action is never read so from a question."""
from __future__ import annotations

import pytest

from assistant.nlu.parser import Parser


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("vends 2 ES parce que le CPI sort bientôt", "place_trade", {"side": "SELL", "quantity": 2, "symbol": "ES"}),
    ("coupe tout, je pars déjeuner", "close_positions", {"scope": "all"}),
    ("arrête le trading, je dois partir en réunion", "halt", {}),
    ("achète 3 MNQ car le support a tenu", "place_trade", {"side": "BUY", "quantity": 3, "symbol": "MNQ"}),
    ("mets le risque à 1 %, je veux être prudent", "set_risk", {"risk_percent": 1.0}),
    # a question's reason may hold a negation; the same topic said again changes nothing
    ("tu pourrais me rappeler combien de contrats j'ai sur l'ES, parce que je ne m'en souviens plus",
     "positions", {"symbol": "ES"}),
])
def test_a_command_then_a_plain_aside_is_the_command(parser: Parser, text: str, intent: str,
                                                      slots: dict[str, object]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent and result.slots == slots


@pytest.mark.parametrize("text", [
    "ferme l'ES, sauf si ça remonte",                  # a condition
    "coupe le trading, on verra demain",               # another day
    "coupe tout, ou pas, je sais pas",                 # doubt
    "achète 2 ES, pas le MNQ",                         # a negation and another market
    "ferme l'ES, le MNQ aussi",                        # a second market
    "achète 2 ES, 3 MNQ",                              # a second order
    "vends 2 ES, t'en penses quoi ?",                  # an order asked about
    "achète 2 ES parce que mon collègue me l'a dit",   # someone else's words
    "ferme mon micro, il dit que ça va baisser",       # idem
    "buy two ES, sorry, just kidding",                 # a correction said after
    "what is volatility, in general",                  # a definition, not the figure
])
def test_an_aside_that_commits_keeps_the_sentence_refused(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


def test_someone_elses_market_is_no_close(parser: Parser) -> None:
    """"son MNQ", "leurs ES": someone else's position (frames `others_possessives`), never
    approximated to "ferme le MNQ" / "coupe les ES"."""
    for text in ("ferme son MNQ", "coupe leurs ES", "coupe leurs positions"):
        assert not parser.parse(text).matched, text
    assert parser.parse("coupe les ES").intent == "close_positions"


# Round 18a: the command somewhere in a longer utterance, marks or none (speech has none).
@pytest.mark.parametrize(("text", "intent", "slots"), [
    # an aside with no mark: every word boundary after the command's last side or market
    ("flatten everything I'm off to lunch", "close_positions", {"scope": "all"}),
    ("ferme tout je vais manger", "close_positions", {"scope": "all"}),
    ("achète trois micro j'ai un bon feeling", "place_trade", {"side": "BUY", "quantity": 3, "symbol": "MNQ"}),
    ("vends un ES le graphique est moche", "place_trade", {"side": "SELL", "quantity": 1, "symbol": "ES"}),
    ("today's P&L quick I need to shut the laptop", "pnl_today", {}),
    # a time or a day the aside says of something else than the order
    ("sell two ES, Powell speaks at 2pm", "place_trade", {"side": "SELL", "quantity": 2, "symbol": "ES"}),
    ("vends deux ES, la Fed parle à 20 h", "place_trade", {"side": "SELL", "quantity": 2, "symbol": "ES"}),
    ("achète un ES à six mille cinq, c'est le support d'hier", "place_trade",
     {"side": "BUY", "quantity": 1, "symbol": "ES", "price": 6005.0}),
    # a feeling negated after a way out
    ("ferme les ES parce que ça sent pas bon", "close_positions", {"symbol": "ES"}),
    ("close the ES, this doesn't feel right", "close_positions", {"symbol": "ES"}),
    # a long story, then the command (and an aside)
    ("listen I know the day isn't over yet but I've had enough of this chop and I'm tired so close all my "
     "positions right now please", "close_positions", {"scope": "all"}),
    ("écoute mon vieux je ne vais pas y passer la journée on a un joli repli sur le support que je surveille "
     "depuis lundi donc place-moi un achat d'un ES à six mille quinze", "place_trade",
     {"side": "BUY", "quantity": 1, "symbol": "ES", "price": 6015.0}),
    ("okay so I've been staring at the charts all morning and honestly it's been grinding higher since the open "
     "so just go ahead and buy me two ES at market please and we'll see", "place_trade",
     {"side": "BUY", "quantity": 2, "symbol": "ES"}),
])
def test_a_command_in_a_longer_utterance_is_the_command(parser: Parser, text: str, intent: str,
                                                       slots: dict[str, object]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent and result.slots == slots


@pytest.mark.parametrize("text", [
    "sell two ES at 2pm",                                  # the time is the order's
    "sell two ES, at 2pm",
    "sell two ES when Powell speaks",                      # a condition
    "vends deux ES, à 20 h la Fed parle",                  # the time said first
    "achète un ES, c'est pour vendredi",                   # a day of the order
    "buy two ES at yesterday's low",                       # a level of the order
    "flatten everything I'm off to lunch and buy two ES when I'm back",   # a second command
    "achète deux ES je vais manger ferme le MNQ",
    "n'achète pas deux ES je vais manger",                 # the command negated
    "close the ES, don't",
    "close the ES, I don't want to",
    "buy two ES, this doesn't feel right",                 # a negation after an order
    "achète deux ES non trois je le sens bien",            # a correction
    "on arrête les frais pour aujourd'hui",                # the command's own object
    "le reduce only ça marche comment",                    # a question
    "what is a futures contract",
    "don't get me wrong I know the market has been strong all day but close all my positions",  # story opens negated
    "put the autopilot on proposals I want to see what it does first",  # a switch, then a question
])
def test_a_longer_utterance_that_changes_the_command_is_refused(parser: Parser, text: str) -> None:
    assert not parser.parse(text).matched


@pytest.mark.parametrize(("text", "price"), [
    # an unmarked split never cuts a price said in words: "six | thousand blah" was read as a limit at 6
    ("buy one ES at six thousand even", 6000.0),
    ("buy one ES at 6000 even", 6000.0),
    ("achète 1 ES à six mille pile", 6000.0),
    ("achète 2 ES à six mille deux cents pile je vais manger", 6200.0),
    ("sell two ES at 6000 and I'm off to lunch", 6000.0),
])
def test_a_price_said_whole_before_an_aside(parser: Parser, text: str, price: float) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "place_trade" and result.slots["price"] == price


@pytest.mark.parametrize("text", [
    "buy one ES at six thousand blah",
    "buy one es at six thousand nice",
    "vends 1 ES à six mille truc",
])
def test_a_price_is_never_cut_at_an_unmarked_split(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not (result.matched and result.slots.get("price") in (6.0, 6))
