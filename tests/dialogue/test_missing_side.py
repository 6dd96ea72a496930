"""An order that says its quantity and market but no side (issue #13, round 7): MIA asks "Buy or
sell?" / "Achat ou vente ?" like the other follow-ups (same expiry, an unrelated command drops
it), never guesses the side from the position, and the answer takes the usual read-back road.
"""
from __future__ import annotations

import pytest

from assistant.dialogue import Dialogue
from trading_core.types import OrderRequest, Side

from .conftest import orders_of


@pytest.mark.parametrize(
    "first,question,answer,side",
    [
        ("qté 10 MNQ", "10 contrats MNQ : achat ou vente ?", "achat", Side.BUY),
        ("rajoute deux ES à ma position", "2 contrats ES : achat ou vente ?", "vends", Side.SELL),
        ("qty 3 ES", "3 ES: buy or sell?", "short", Side.SELL),
        ("add 3 to my ES", "3 ES: buy or sell?", "long", Side.BUY),
        ("2x MNQ", "2 MNQ: buy or sell?", "buy", Side.BUY),
    ],
)
async def test_an_order_without_a_side_asks_buy_or_sell_then_reads_back(typed, engine, first, question, answer, side):
    asked = await typed.handle(first, 0.0)
    assert (asked.kind, asked.text) == ("question", question)
    assert asked.followup is not None and asked.followup.missing == ("side",)
    assert typed.next_deadline() == asked.followup.expires_at
    done = await typed.handle(answer, 1.0)
    assert done.kind == "readback" and done.pending is not None
    assert done.pending.request.side is side
    assert orders_of(engine) == []  # nothing sent before the explicit confirmation
    assert (await typed.handle("oui", 2.0)).kind == "executed"
    [order] = orders_of(engine)
    assert order.side is side


async def test_the_side_is_never_taken_from_the_position(typed, engine):
    await engine.place_order(OrderRequest("ES", Side.BUY, 1), wait_fill=2.0)
    asked = await typed.handle("add 2 to my ES", 0.0)
    assert asked.kind == "question" and asked.text.endswith("buy or sell?")
    assert len(orders_of(engine)) == 1 and typed.pending is None


async def test_the_side_question_expires_and_an_unrelated_command_drops_it(typed, engine):
    asked = await typed.handle("qty 10 MNQ", 0.0)
    expired = await typed.expire(asked.followup.expires_at)
    assert expired is not None and expired.kind == "expired" and typed.followup is None
    assert (await typed.handle("buy", asked.followup.expires_at + 1)).kind != "readback"
    await typed.handle("qty 10 MNQ", 100.0)
    reply = await typed.handle("show my positions", 101.0)
    assert reply.text.startswith("Question dropped. ") and typed.followup is None
    assert orders_of(engine) == []


async def test_a_vague_quantity_asks_how_many(typed):
    asked = await typed.handle("buy a few ES", 0.0)
    assert (asked.kind, asked.text) == ("question", "Buy ES: how many contracts?")
    assert (await typed.handle("quelques MNQ", 1.0)).kind != "readback"


async def test_telegram_asks_for_the_side_too(engine, parser, config):
    chat = Dialogue(engine, parser, config=config, source="telegram")
    assert (await chat.handle("qte 2 ES", 0.0)).kind == "question"
    assert (await chat.handle("vente", 1.0)).kind == "readback"


@pytest.mark.parametrize("answer,readback_starts", [("achète", "Long 3 contrats MNQ"), ("sell", "Sell 3 MNQ")])
async def test_the_read_back_follows_the_language_of_the_answer(typed, engine, answer, readback_starts):
    # "3 MNQ" says no language; the answer does, and the read-back is said in it.
    asked = await typed.handle("3 MNQ", 0.0)
    assert asked.kind == "question"
    done = await typed.handle(answer, 1.0)
    assert done.kind == "readback" and done.text.startswith(readback_starts), done.text
    assert orders_of(engine) == []
