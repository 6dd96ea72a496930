"""A yes (or a no) with more in it is doubt: said to a read-back, MIA asks again and nothing is
done; a plain yes afterwards still executes. A yes that names something else than what was read
back ("yes, buy them" to a sell) is asked again too (issue #13, round 10)."""
from __future__ import annotations

import pytest

from tests.dialogue.conftest import orders_of


@pytest.mark.parametrize("doubt", ["ok mets le en route", "oui plus tard", "oui mais plutôt le MNQ", "ok rather the other",
                                   "yes go back", "yes, but later", "yes 3 MNQ", "d'accord, remets-le à demain"])
async def test_a_yes_with_other_words_is_asked_again_then_a_plain_yes_executes(typed, engine, doubt):
    first = await typed.handle("achète deux contrats ES", 0.0)
    assert first.kind == "readback" and typed.pending is not None
    pending = typed.pending
    again = await typed.handle(doubt, 1.0)
    assert again.kind == "info" and not again.executed, again.text
    assert typed.pending is not None and typed.pending.id == pending.id  # the same read-back
    assert orders_of(engine) == []
    assert "rien n'est fait" in again.text or "nothing is done" in again.text
    assert pending.summary in again.text  # the read-back said again
    done = await typed.handle("oui", 2.0)
    assert done.kind == "executed" and done.executed
    assert len(engine.ledger.fills()) == 1


async def test_ok_mets_le_en_route_said_to_a_read_back_by_voice(dialogue, engine):
    await dialogue.handle("achète deux contrats ES", 0.0)
    again = await dialogue.handle("ok mets le en route", 1.0)
    assert not again.executed and dialogue.pending is not None and orders_of(engine) == []
    assert (await dialogue.handle("oui", 2.0)).executed


@pytest.mark.parametrize("answer", ["yes, buy them", "oui, confirme l'achat", "oui vas-y", "yes please do it",
                                    "ok go", "oui oui c'est bon", "confirmed thanks", "yes, send the order"])
async def test_a_yes_with_fillers_or_the_read_back_named_executes(typed, engine, answer):
    await typed.handle("buy two e s", 0.0)
    reply = await typed.handle(answer, 1.0)
    assert reply.kind == "executed" and reply.executed, reply.text
    assert len(engine.ledger.fills()) == 1


@pytest.mark.parametrize("answer", ["yes, buy them", "oui, confirme l'achat", "yes, close it", "oui, confirme l'arrêt",
                                    "oui, la clôture"])
async def test_a_yes_naming_another_thing_than_the_read_back_is_asked_again(typed, engine, answer):
    await typed.handle("sell two e s", 0.0)
    pending = typed.pending
    reply = await typed.handle(answer, 1.0)
    assert not reply.executed and typed.pending.id == pending.id and orders_of(engine) == [], reply.text
    assert (await typed.handle("yes", 2.0)).executed
    assert [f.side.value for f in engine.ledger.fills()] == ["SELL"]


async def test_yes_sell_them_to_a_sell_executes(typed, engine):
    await typed.handle("sell two e s", 0.0)
    assert (await typed.handle("yes, sell them", 1.0)).executed


async def test_an_unclear_answer_without_a_read_back_is_not_understood(typed, engine):
    reply = await typed.handle("oui plus tard", 0.0)
    assert reply.kind == "not_understood" and not reply.executed
    assert orders_of(engine) == []


@pytest.mark.parametrize("answer", ["no thanks", "non merci", "non, annule l'ordre", "no, cancel it please"])
async def test_a_no_with_fillers_cancels(typed, engine, answer):
    await typed.handle("buy two e s", 0.0)
    reply = await typed.handle(answer, 1.0)
    assert reply.kind == "cancelled" and typed.pending is None and orders_of(engine) == []


async def test_a_yes_then_another_complete_command_reads_that_one_back(typed, engine):
    """"yes, the halt" is understood as a whole command: the order read back is dropped (said so)
    and the halt is read back in turn; nothing is executed without its own yes."""
    await typed.handle("sell two e s", 0.0)
    reply = await typed.handle("yes, the halt", 1.0)
    assert reply.kind == "readback" and not reply.executed and typed.pending is not None
    assert typed.pending.action == "halt" and orders_of(engine) == []
    assert "not sent" in reply.text


@pytest.mark.parametrize("said", ["ok buy 2 ES là", "let's go achète 2 ES !!!", "ouais alors là on va acheter 2 ES voilà"])
async def test_a_yes_said_before_a_whole_order_without_a_read_back_is_that_order_read_back(typed, engine, said):
    """Out of a read-back, "ok" / "let's go" / "ouais" before a whole order opens it (round 14): the
    order is read back, and executed only on its own yes."""
    reply = await typed.handle(said, 0.0)
    assert reply.kind == "readback" and not reply.executed and typed.pending is not None, reply.text
    assert orders_of(engine) == []
    assert (await typed.handle("oui", 1.0)).executed
    fills = engine.ledger.fills()
    assert [(f.side.value, f.quantity) for f in fills] == [("BUY", 2)]


@pytest.mark.parametrize("said", ["oui achète 3 MNQ", "non et achète 3 MNQ", "no, and buy 3 MNQ", "ouais et achète 3 MNQ"])
async def test_a_yes_then_a_whole_other_order_to_a_read_back_reads_the_new_one_back(typed, engine, said):
    """Also a no joined to it (round 27c: "non et ferme tout", "no and close everything"): the order read back is
    dropped and the new one read back in turn, executed only on its own yes."""
    await typed.handle("vends deux contrats ES", 0.0)
    reply = await typed.handle(said, 1.0)
    assert reply.kind == "readback" and not reply.executed and orders_of(engine) == [], reply.text
    assert typed.pending is not None and "3" in typed.pending.summary
    assert (await typed.handle("oui", 2.0)).executed
    assert [(f.side.value, f.quantity) for f in engine.ledger.fills()] == [("BUY", 3)]


@pytest.mark.parametrize("doubt", ["yes and buy 2 micros too", "oui et achète aussi 2 micros", "oui et mets un stop"])
async def test_a_yes_joined_to_a_second_order_or_a_stop_is_asked_again(typed, engine, doubt):
    """Round 27c: a yes and another order on top ("too", "aussi"), or a stop-loss for the read-back: never one of
    them, never a halt; the read-back is asked again and nothing is done."""
    await typed.handle("vends deux contrats ES", 0.0)
    pending = typed.pending
    reply = await typed.handle(doubt, 1.0)
    assert not reply.executed and orders_of(engine) == [], reply.text
    assert typed.pending is not None and typed.pending.id == pending.id  # the same read-back


@pytest.mark.parametrize("answer", ["stop, non", "stop stop no, don't send it", "je préfère annuler",
                                    "no that's a mistake", "naw leave it", "kill it"])
async def test_a_stop_with_a_no_or_a_mind_changed_cancels_the_read_back(typed, engine, answer):
    """Round 27c: "stop, non" said to a read-back stops MIA, not trading: the read-back is cancelled."""
    await typed.handle("buy two e s", 0.0)
    reply = await typed.handle(answer, 1.0)
    assert reply.kind == "cancelled" and typed.pending is None and orders_of(engine) == [], reply.text


async def test_the_question_asked_again_gets_the_full_delay_once(typed, engine):
    """Asked again after an unclear answer, the trader has the whole delay to answer it (a yes 12 s after
    the first read-back, 8 s after the question asked again, executes); asked again a second time, the
    deadline stays, so speech heard as doubt cannot keep an order waiting."""
    first = await typed.handle("achète deux contrats ES", 0.0)
    timeout = first.pending.timeout_s
    again = await typed.handle("oui plus tard", 4.0)
    assert again.pending is not None and again.pending.id == first.pending.id  # (fronts restart it once heard)
    assert typed.pending.expires_at == 4.0 + timeout
    third = await typed.handle("ok mets le en route", 5.0)
    assert third.pending is None and typed.pending.expires_at == 4.0 + timeout
    done = await typed.handle("oui", 4.0 + timeout - 0.5)
    assert done.executed and len(engine.ledger.fills()) == 1


async def test_asked_again_twice_the_deadline_of_the_first_extension_holds(typed, engine):
    first = await typed.handle("sell two e s", 0.0)
    timeout = first.pending.timeout_s
    await typed.handle("yes, but later", 1.0)
    await typed.handle("yes go back", timeout)  # asked again: no new delay
    late = await typed.handle("yes", 1.0 + timeout + 0.1)
    assert not late.executed and typed.pending is None and orders_of(engine) == []
