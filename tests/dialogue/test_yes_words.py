"""Round 33a (helper nlu37): a yes-word of any region opening a whole command. Out of a read-back it is a filler (the
command is read as if it were not there, and an order is read back anyway); while a read-back waits, a switch done at
once ("aye, start trading again") is asked again, never done on the yes-word's doubt; a yes and a no before a command
contradict each other."""
from __future__ import annotations

import pytest

from tests.dialogue.conftest import orders_of


@pytest.mark.parametrize("said, action", [("aye, halt trading", "halt"), ("ja set reduce only", "reduce_only"),
                                          ("yah, buy 2 ES", "order"), ("ouais ouais, vends 1 ES", "order")])
async def test_a_yes_word_before_a_command_out_of_a_read_back_is_a_filler(typed, engine, said, action):
    reply = await typed.handle(said, 0.0)
    assert reply.kind == "readback" and not reply.executed and typed.pending is not None, reply.text
    assert typed.pending.action == action
    assert orders_of(engine) == []


@pytest.mark.parametrize("said", ["aye, start trading again", "ja, risk 1% per trade", "yebo resume trading"])
async def test_a_yes_word_before_a_switch_said_to_a_read_back_is_asked_again(typed, engine, said):
    await typed.handle("sell two e s", 0.0)
    pending = typed.pending
    reply = await typed.handle(said, 1.0)
    assert not reply.executed and typed.pending is not None and typed.pending.id == pending.id, reply.text
    assert orders_of(engine) == []
    assert (await typed.handle("yes", 2.0)).executed
    assert [f.side.value for f in engine.ledger.fills()] == ["SELL"]


@pytest.mark.parametrize("said", ["yes no, sell 2 ES", "oui non vends 2 ES", "yeah nah, buy 1 ES"])
async def test_a_yes_and_a_no_before_an_order_are_not_understood(typed, engine, said):
    reply = await typed.handle(said, 0.0)
    assert reply.kind != "readback" and typed.pending is None and not reply.executed, reply.text
    assert orders_of(engine) == []
