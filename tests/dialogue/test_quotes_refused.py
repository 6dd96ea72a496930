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
