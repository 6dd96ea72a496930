"""Orders carrying what MIA cannot honour (issue #13, round 11; assistant/nlu/order_extras.py): every
stage refuses them — executing without the part would be another order — and the refusal names the
part, so MIA can say why. Politeness is no condition, and a sentence without an order word keeps its
plain refusal."""
from __future__ import annotations

import pytest

from assistant.nlu.parser import Parser


@pytest.mark.parametrize(("text", "kind"), [
    ("achète 2 ES avec un stop à 5950", "stop"), ("vends 3 MNQ stop loss à 21100", "stop"),
    ("buy 2 ES at 5950 with a stop at 5940", "stop"), ("buy 2 ES with a bracket", "stop"),
    ("achète 1 ES avec un objectif à 6000", "target"), ("buy 2 ES take profit 6010", "target"),
    ("achète 2 ES à l'ouverture", "time"), ("vends 2 MNQ à la clôture", "time"), ("buy 2 ES tomorrow morning", "time"),
    ("ferme tout à 16h", "time"), ("close everything at 4pm", "time"), ("achète des ES à l'ouverture", "time"),
    ("achète 2 ES si ça casse 5900", "condition"), ("sell 3 MNQ when it hits 21000", "condition"),
    ("vends des ES si ça casse 5900", "condition"),
    ("ferme l'ES et achète 2 MNQ", "two_orders"), ("buy 2 ES and sell 2 MNQ", "two_orders"),
    ("ferme tout puis achète 1 ES", "two_orders"), ("close everything and stop trading", "two_orders"),
    # session 13: talked about, not given (main read each one as the command)
    ("avoid buying 2 ES", "indirect"), ("schedule buy 2 ES", "indirect"), ("remind me to close ES", "indirect"),
    ("évite d'acheter 2 ES", "indirect"), ("programme un achat de 2 ES", "indirect"),
    ("rappelle-moi de reprendre le trading", "indirect"), ("prépare un achat de 2 ES", "indirect"),
    # session 15: an order type MIA does not have is said as such (it was "a conditional order")
    ("buy 2 ES post only", "order_type"), ("sell 3 MNQ fill or kill", "order_type"), ("buy 4 ES iceberg", "order_type"),
    ("achète 4 ES en deux fois", "order_type"), ("vends 2 ES tout ou rien", "order_type"),
    # session 15: a window named as the object (main closed the ES position)
    ("close the ES chart", "object"), ("ferme le graphique ES", "object"), ("dump my ES chart", "object"),
    ("ferme l'onglet MNQ", "object"),
])
def test_the_part_mia_cannot_honour_is_named(parser: Parser, text: str, kind: str) -> None:
    result = parser.parse(text)
    assert not result.matched and result.reason == f"unsupported_{kind}"
    assert result.score == 1.0 and result.detail


@pytest.mark.parametrize(("text", "intent"), [
    ("achète 2 ES si possible", "place_trade"), ("buy 2 ES if you can", "place_trade"),
    ("j'aimerais, si c'est possible, acheter 2 ES", "place_trade"), ("achète 2 ES à 5950", "place_trade"),
    ("close ES", "close_positions"),
])
def test_politeness_and_a_limit_price_are_no_extra(parser: Parser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent


@pytest.mark.parametrize("text", ["si ça casse 5900", "what if it breaks 5900", "stop", "demain", "et puis"])
def test_without_an_order_word_the_refusal_stays_plain(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not (result.reason or "").startswith("unsupported_")


def test_an_incomplete_order_with_an_extra_does_not_ask_the_missing_slot(parser: Parser) -> None:
    result = parser.parse("achète des ES à l'ouverture")
    assert result.reason == "unsupported_time" and not result.missing


@pytest.mark.parametrize(("text", "reason"), [
    # a market order with a price or a limit, read by the templates, the frames, the fuzzy matcher
    ("buy 2 ES limit at market", "ambiguous_order_type"), ("buy 2 ES at 5990 at market", "ambiguous_order_type"),
    ("achète 2 ES à 6000 au marché", "ambiguous_order_type"), ("vends 1 MNQ au mieux à 21000", "ambiguous_order_type"),
    ("buy 2 ES limit 6000 market", "ambiguous_order_type"),
    # a ticket's side letter and another side word (the frames read the word, the letter is a side too)
    ("b 2 es short", "ambiguous_side"), ("ach 2 es vente", "ambiguous_side"), ("vd 2 es achat", "ambiguous_side"),
])
def test_an_order_that_states_two_incompatible_things_is_refused(parser: Parser, text: str, reason: str) -> None:
    result = parser.parse(text)
    assert not result.matched and result.reason == reason and result.detail


@pytest.mark.parametrize(("text", "slots"), [
    ("buy 2 ES at the market price", {"side": "BUY", "quantity": 2, "symbol": "ES"}),
    ("sell 8 micros mkt", {"side": "SELL", "quantity": 8, "symbol": "MNQ"}),
    ("side: sell / qty: 3 / mkt: ES", {"side": "SELL", "quantity": 3, "symbol": "ES"}),  # "mkt": a label
    ("vends 2 ES, non, achète 2 ES", {"side": "BUY", "quantity": 2, "symbol": "ES"}),   # a correction
    ("b 2 es buy", {"side": "BUY", "quantity": 2, "symbol": "ES"}),                      # one side, twice
])
def test_one_order_type_and_one_side_stay_accepted(parser: Parser, text: str, slots: dict[str, object]) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == "place_trade" and result.slots == slots


@pytest.mark.parametrize("text", [
    # round 22c: whatever stage read the rest (a frame, an aside, an approximate match), never sent now
    "buy 2 ES market open", "buy 2 ES premarket", "close ES in the morning", "sell 1 ES into the bell",
    "buy 2 ES overnight session", "achète 2 ES au open", "coupe le ES en séance US", "vends 3 MNQ la nuit",
    "achète 2 ES ce matin",
])
def test_an_order_or_a_close_for_later_is_refused_whatever_stage_read_it(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not result.matched and result.reason == "unsupported_time", result


@pytest.mark.parametrize(("text", "intent"), [
    # a time of the command only (`command_times`): a comment said before it describes, it does not date
    ("le marché est lourd ce matin, vends 2 ES", "place_trade"), ("what's my P&L this morning", "pnl_today"),
    ("good morning, buy 2 ES", "place_trade"), ("buy 2 ES today", "place_trade"),
])
def test_a_morning_described_or_asked_about_dates_no_order(parser: Parser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert result.matched and result.intent == intent


@pytest.mark.parametrize("text", ["buy two ES and", "achète deux ES et", "ferme tout et", "buy 2 ES and then",
                                  "close everything and then"])
def test_a_command_cut_off_after_a_join_is_refused(parser: Parser, text: str) -> None:
    result = parser.parse(text)
    assert not result.matched


@pytest.mark.parametrize("text", ["buy two ES and that's it", "achète deux ES et c'est tout"])
def test_a_join_before_a_trailer_cuts_nothing(parser: Parser, text: str) -> None:
    assert parser.parse(text).matched


@pytest.mark.parametrize(("text", "matched"), [
    # a level said of the command (`command_levels`) is a limit or a wait, never a market order now; said in a
    # comment or an aside, it describes
    ("sell 2 ES at the vwap", False), ("achète 2 ES au support", False), ("resume trading at the open", False),
    ("bon ben le support a tenu deux fois, achete 2 es a 5985", True),
    ("achète un ES à six mille cinq, c'est le support d'hier", True), ("achète 3 MNQ car le support a tenu", True),
])
def test_a_level_counts_when_said_of_the_command(parser: Parser, text: str, matched: bool) -> None:
    assert parser.parse(text).matched is matched
