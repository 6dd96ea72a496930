"""The real aiogram bot polling the fake Bot API: allow-list, text -> dialogue -> keyboard -> confirm -> order."""
from __future__ import annotations

import asyncio
import logging

from tests.telegram_bot.conftest import ALLOWED, STRANGER, buttons, messages, wait_for


def orders(engine):
    return engine.ledger.orders(limit=None)


async def readback(tg, chat_id: int, text: str, n_before: int, **kw):
    tg.push_message(chat_id, text, **kw)
    sent = await wait_for(lambda: len(messages(tg, chat_id)) > n_before and messages(tg, chat_id))
    return sent[-1]


async def test_allowed_french_order_is_read_back_then_confirmed(tg, engine, start_bot):
    await start_bot()
    msg = await readback(tg, ALLOWED, "achète deux ES", 0)
    assert "2 contrats ES" in msg["text"] and "Confirmez" in msg["text"]
    (ok_label, ok_data), (no_label, no_data) = buttons(msg)
    assert "Confirmer" in ok_label and "Annuler" in no_label
    assert orders(engine) == []  # nothing before the confirmation

    tg.push_callback_query(ALLOWED, msg["message_id"], ok_data)
    answer = await wait_for(lambda: len(messages(tg, ALLOWED)) >= 2 and messages(tg, ALLOWED)[1])
    placed = orders(engine)
    assert len(placed) == 1
    order = placed[0]
    assert (order.symbol, order.side.value, order.quantity, order.source) == ("ES", "BUY", 2, "telegram")
    positions = await engine.positions()
    assert [(p.symbol, p.quantity) for p in positions] == [("ES", 2)]
    assert "Exécuté" in answer["text"] and "2 contrats ES" in answer["text"]
    assert not buttons(answer)
    # The pressed button was answered and its keyboard removed.
    assert tg.answers and tg.answers[-1]["text"] == "Confirmé"
    await wait_for(lambda: "reply_markup" not in tg.message(ALLOWED, msg["message_id"]))

    # A second press on the same (now removed) button sends nothing more.
    tg.push_callback_query(ALLOWED, msg["message_id"], ok_data)
    await wait_for(lambda: len(tg.answers) == 2)
    await wait_for(lambda: len(messages(tg, ALLOWED)) == 3)
    assert len(orders(engine)) == 1


async def test_cancel_places_nothing(tg, engine, start_bot):
    await start_bot()
    msg = await readback(tg, ALLOWED, "achète deux ES", 0)
    _, (_, no_data) = buttons(msg)
    tg.push_callback_query(ALLOWED, msg["message_id"], no_data)
    answer = await wait_for(lambda: len(messages(tg, ALLOWED)) >= 2 and messages(tg, ALLOWED)[1])
    assert "annul" in answer["text"].lower()
    assert tg.answers[-1]["text"] == "Annulé"
    await asyncio.sleep(0.2)
    assert orders(engine) == []


async def test_keyboard_expires_and_a_late_press_is_refused(tg, engine, start_bot):
    await start_bot(confirm_timeout_s=0.6)
    msg = await readback(tg, ALLOWED, "achète deux ES", 0)
    (_, ok_data), _ = buttons(msg)
    # The timer says the question expired and takes the keyboard away.
    expired = await wait_for(lambda: len(messages(tg, ALLOWED)) >= 2 and messages(tg, ALLOWED)[1], timeout=5)
    assert "Pas de confirmation" in expired["text"] and "n'a pas été envoyé" in expired["text"]
    await wait_for(lambda: "reply_markup" not in tg.message(ALLOWED, msg["message_id"]))
    # A press that arrives anyway (a client that still shows the buttons) is refused and does nothing.
    tg.push_callback_query(ALLOWED, msg["message_id"], ok_data)
    late = await wait_for(lambda: len(messages(tg, ALLOWED)) >= 3 and messages(tg, ALLOWED)[2])
    assert "tard" in late["text"].lower()
    assert tg.answers[-1]["text"].startswith("Expiré")
    await asyncio.sleep(0.2)
    assert orders(engine) == []


async def test_stranger_is_refused_and_triggers_nothing(tg, engine, start_bot, caplog):
    await start_bot()
    with caplog.at_level(logging.WARNING, logger="mia.telegram"):
        tg.push_message(STRANGER, "achète deux ES", first_name="Mallory")
        refusal = await wait_for(lambda: messages(tg, STRANGER))
    text = refusal[0]["text"]
    assert "Accès refusé" in text and "Access denied" in text and str(STRANGER) in text
    assert not buttons(refusal[0])
    assert any("outside the allow-list" in r.getMessage() and str(STRANGER) in r.getMessage() for r in caplog.records)
    await asyncio.sleep(0.3)
    assert orders(engine) == []
    assert messages(tg, ALLOWED) == []


async def test_stranger_button_press_is_refused(tg, engine, start_bot):
    bot = await start_bot()
    msg = await readback(tg, ALLOWED, "achète deux ES", 0)
    (_, ok_data), _ = buttons(msg)
    # Someone forwards the button into another chat and presses it there.
    tg._messages[(STRANGER, msg["message_id"])] = {**msg, "chat": {"id": STRANGER, "type": "private", "first_name": "M"}}
    tg.push_callback_query(STRANGER, msg["message_id"], ok_data)
    await wait_for(lambda: tg.answers)
    assert "Access denied" in tg.answers[-1]["text"] and tg.answers[-1].get("show_alert") in ("true", True)
    await asyncio.sleep(0.3)
    assert orders(engine) == []
    assert bot.session(ALLOWED).dialogue.pending is not None  # the trader's question still stands


async def test_stranger_queries_follow_the_setting(tg, engine, start_bot):
    await start_bot(queries_from_strangers=False)
    tg.push_message(STRANGER, "/status", language_code="en")
    refusal = await wait_for(lambda: messages(tg, STRANGER))
    assert "Access denied" in refusal[0]["text"]


async def test_stranger_may_query_when_allowed_but_never_act(tg, engine, start_bot):
    await start_bot(queries_from_strangers=True)
    tg.push_message(STRANGER, "/positions", language_code="en")
    first = await wait_for(lambda: messages(tg, STRANGER))
    assert "Access denied" not in first[0]["text"]
    tg.push_message(STRANGER + 1, "buy two ES", language_code="en")
    refusal = await wait_for(lambda: messages(tg, STRANGER + 1))
    assert "Access denied" in refusal[0]["text"] and not buttons(refusal[0])
    await asyncio.sleep(0.2)
    assert orders(engine) == []


async def test_english_order_is_answered_in_english(tg, engine, start_bot):
    await start_bot()
    msg = await readback(tg, ALLOWED, "buy two ES", 0, language_code="en")
    assert msg["text"].startswith("Buy 2 ES at market") and "Do you confirm?" in msg["text"], msg["text"]
    (ok_label, ok_data), (no_label, _) = buttons(msg)
    assert "Confirm" in ok_label and "Cancel" in no_label
    tg.push_callback_query(ALLOWED, msg["message_id"], ok_data, language_code="en")
    answer = await wait_for(lambda: len(messages(tg, ALLOWED)) >= 2 and messages(tg, ALLOWED)[1])
    assert "Bought" in answer["text"] or "bought" in answer["text"], answer["text"]
    assert len(orders(engine)) == 1


async def test_a_429_on_the_reply_is_retried(tg, engine, start_bot):
    await start_bot()
    tg.script("429")  # the first sendMessage answers 429 retry_after=1
    tg.faults.retry_after = 1
    tg.push_message(ALLOWED, "achète deux ES")
    msg = await wait_for(lambda: messages(tg, ALLOWED), timeout=8)
    assert tg.outcomes["429"] == 1
    assert buttons(msg[0])
    send_calls = [m for m, _ in tg.calls if m == "sendMessage"]
    assert len(send_calls) == 2


async def test_follow_up_question_in_the_chat_then_keyboard_then_order(tg, engine, start_bot):
    await start_bot()
    question = await readback(tg, ALLOWED, "achète des ES", 0)
    assert question["text"] == "Achat ES : combien de contrats ?" and not buttons(question)
    msg = await readback(tg, ALLOWED, "deux", 1)
    assert "Long 2 contrats ES" in msg["text"] and "Confirmez" in msg["text"]
    (_, ok_data), _ = buttons(msg)
    assert orders(engine) == []
    tg.push_callback_query(ALLOWED, msg["message_id"], ok_data)
    await wait_for(lambda: len(orders(engine)) == 1)
    order = orders(engine)[0]
    assert (order.symbol, order.side.value, order.quantity, order.source) == ("ES", "BUY", 2, "telegram")


async def test_follow_up_question_expires_in_the_chat(tg, engine, start_bot):
    await start_bot(confirm_timeout_s=0.6)
    question = await readback(tg, ALLOWED, "close", 0)
    assert question["text"] == "Close: which market, ES, MNQ or everything?"
    expired = await wait_for(lambda: len(messages(tg, ALLOWED)) >= 2 and messages(tg, ALLOWED)[1], timeout=5)
    assert expired["text"].startswith("No answer within") and "nothing was closed" in expired["text"]
    late = await readback(tg, ALLOWED, "everything", 2)
    assert "No question is pending" in late["text"] and not buttons(late)
    await asyncio.sleep(0.2)
    assert orders(engine) == []


async def test_an_unclear_answer_in_the_chat_asks_again_with_the_buttons(tg, engine, start_bot):
    """"oui plus tard" typed to a read-back: asked again with the read-back and its buttons (the old
    message loses its keyboard); nothing is placed until a button is pressed."""
    await start_bot()
    msg = await readback(tg, ALLOWED, "achète deux ES", 0)
    again = await readback(tg, ALLOWED, "oui plus tard", 1)
    assert "rien n'est fait" in again["text"] and "2 contrats ES" in again["text"]
    (_, ok_data), _ = buttons(again)
    await wait_for(lambda: "reply_markup" not in tg.message(ALLOWED, msg["message_id"]))
    assert orders(engine) == []
    tg.push_callback_query(ALLOWED, again["message_id"], ok_data)
    await wait_for(lambda: len(orders(engine)) == 1)
    assert orders(engine)[0].quantity == 2
