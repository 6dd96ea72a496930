"""Issue #15 item 10: a typed minus sign is never dropped into a different order ("buy -3 ES" used
to buy 3): it is not understood, and nothing reaches the engine."""
from __future__ import annotations

import pytest

from assistant.nlu.normalize import normalize


@pytest.mark.parametrize("text", ["buy -3 ES", "achète -2 contrats ES", "sell \u22123 MNQ", "buy - 3 ES", "vends \u20131 ES"])
async def test_a_negative_quantity_is_not_understood_and_sends_nothing(dialogue, engine, text):
    reply = await dialogue.handle(text, 0.0)
    assert reply.pending is None and reply.kind in ("not_understood", "refused"), (text, reply)
    assert engine.ledger.orders(limit=None) == []


def test_hyphens_inside_words_and_ranges_are_still_spaces():
    assert normalize("quatre-vingt-dix") == "quatre vingt dix"
    assert normalize("5990-6000") == "5990 6000"
    assert normalize("buy -3 ES") == "buy minus 3 es"
