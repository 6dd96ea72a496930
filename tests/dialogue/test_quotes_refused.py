"""A market's price asked is refused with its reason (MIA reports no quotes), and an order on the Nasdaq
asks which contract (NQ or MNQ), in the language it was
asked in; nothing is read back or executed (issue #13, round 14)."""
from __future__ import annotations

import pytest

from tests.dialogue.conftest import orders_of


@pytest.mark.parametrize(("said", "words"), [("c'est quoi le cours du micro", "ne donne pas les cours"),
                                             ("le VIX est à combien ?", "ne donne pas les cours"),
                                             ("what's ES trading at", "don't give market prices")])
async def test_a_price_asked_says_mia_gives_no_quotes(typed, engine, said, words):
    reply = await typed.handle(said, 0.0)
    assert reply.kind == "not_understood" and not reply.executed and typed.pending is None
    assert words in reply.text, reply.text
    assert orders_of(engine) == []


async def test_the_regime_asked_on_the_nasdaq_is_the_micro_s(typed, engine):
    reply = await typed.handle("tendance ou range sur le nasdaq ?", 0.0)
    assert "MNQ" in reply.text and not reply.executed, reply.text


@pytest.mark.parametrize(("said", "words"), [("achète 2 nasdaq", "ou le micro (MNQ)"),
                                             ("buy 2 nasdaq", "or the micro (MNQ)")])
async def test_an_order_on_the_nasdaq_asks_which_contract_and_does_nothing(typed, engine, said, words):
    reply = await typed.handle(said, 0.0)
    assert words in reply.text and not reply.executed and typed.pending is None, reply.text
    assert orders_of(engine) == []


@pytest.mark.parametrize(("said", "words"), [("buy 2 CL", "only trade two markets"),
                                             ("sell 3 NQ", "only trade two markets"),
                                             ("close my gold position", "only trade two markets"),
                                             ("achète 2 GC", "ne traite que deux marchés"),
                                             ("ferme mon bitcoin", "ne traite que deux marchés")])
async def test_an_order_on_a_market_mia_does_not_trade_is_refused_not_asked(typed, engine, said, words):
    # Asking "which market, ES or MNQ?" would turn an order for crude oil into one of ours.
    reply = await typed.handle(said, 0.0)
    assert words in reply.text and ("Nothing was done" in reply.text or "Rien n'a été fait" in reply.text), reply.text
    assert not reply.executed and typed.pending is None and typed.followup is None, reply.text
    assert orders_of(engine) == []


async def test_a_market_of_ours_next_to_an_other_asset_word_is_not_refused_as_unknown(typed, engine):
    # "micro nq" is MNQ: the "nq" in it is no other market.
    reply = await typed.handle("buy 2 micro nq", 0.0)
    assert "MNQ" in reply.text and typed.pending is not None, reply.text
