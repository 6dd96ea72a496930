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
