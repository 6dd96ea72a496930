"""Orders as traders say them (issue #13, round 11), through the typed dialogue: a reference to the
position without a side asks "Buy or sell?" (never the position's side), a mood clause before a close
is read back as the close, and an order carrying what MIA cannot honour (a stop, a target, a time, a
condition, two orders) is refused with the reason — nothing pending, nothing sent.
"""
from __future__ import annotations

import pytest

from trading_core.types import OrderRequest, Side

from .conftest import orders_of


@pytest.mark.parametrize(("first", "question"), [
    ("prends 5 ES", "5 contrats ES : achat ou vente ?"),
    ("add 3 sur mon ES", "3 contrats ES : achat ou vente ?"),
    ("add 3 on my ES", "3 ES: buy or sell?"),
])
async def test_a_reference_to_the_position_asks_the_side(typed, engine, first, question):
    await engine.place_order(OrderRequest("ES", Side.BUY, 1), wait_fill=2.0)
    asked = await typed.handle(first, 0.0)
    assert (asked.kind, asked.text) == ("question", question)
    assert typed.pending is None and len(orders_of(engine)) == 1  # never the position's side


async def test_doubling_a_position_asks_the_side_then_the_quantity(typed, engine):
    asked = await typed.handle("double my MNQ position", 0.0)
    assert asked.kind == "question" and asked.text.endswith("buy or sell?")
    again = await typed.handle("buy", 1.0)
    assert again.kind == "question" and "how many" in again.text.lower()
    done = await typed.handle("2", 2.0)
    assert done.kind == "readback" and done.pending is not None
    assert (done.pending.request.side, done.pending.request.quantity, done.pending.request.symbol) == (Side.BUY, 2, "MNQ")
    assert orders_of(engine) == []


@pytest.mark.parametrize("said", ["i don't want anything on, close it all", "je veux plus rien en portefeuille, ferme tout"])
async def test_a_mood_clause_before_a_close_is_read_back_as_the_close(typed, engine, said):
    await engine.place_order(OrderRequest("ES", Side.BUY, 1), wait_fill=2.0)
    done = await typed.handle(said, 0.0)
    assert done.kind == "readback" and typed.pending is not None and typed.pending.action == "close"
    assert len(orders_of(engine)) == 1  # nothing sent before the explicit confirmation


@pytest.mark.parametrize(("said", "words"), [
    ("achète 2 ES avec un stop à 5950", "stop"),
    ("buy 2 ES take profit 6010", "take-profit"),
    ("achète 2 ES à l'ouverture", "plus tard"),
    ("buy 2 ES if it breaks 5900", "conditional"),
    ("ferme l'ES et achète 2 MNQ", "deux commandes"),
    ("close ES and buy 2 MNQ", "two commands"),
    ("avoid buying 2 ES", "an order talked about"),      # session 13: talked about, not given
    ("rappelle-moi de fermer le ES", "un ordre dont on parle"),
    ("the signal says sell 2 MNQ", "someone else's"),
    ("le bot dit achète 2 ES", "celui d'un autre"),
])
async def test_an_order_mia_cannot_honour_is_refused_with_the_reason(typed, engine, said, words):
    reply = await typed.handle(said, 0.0)
    assert reply.kind == "not_understood" and words in reply.text
    assert typed.pending is None and typed.followup is None and orders_of(engine) == []
