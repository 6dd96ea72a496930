"""Issue #15 items 5 and 6, with the real aiogram bot polling the fake Bot API: stale, pending and
forwarded messages never act; in a group only the person who gave an order confirms it; users can be
allow-listed by id."""
from __future__ import annotations

import asyncio
import time

import pytest

from tests.telegram_bot.conftest import ALLOWED, buttons, messages, wait_for
from trading_core.config import ConfigError, load_config

GROUP = -1001234567
ALICE, BOB, CAROL = 11, 12, 13


def orders(engine):
    return engine.ledger.orders(limit=None)


async def test_messages_typed_while_the_bot_was_down_are_answered_never_executed(tg, engine, start_bot):
    # The repro: "achète deux ES" then "oui" typed while MIA was down. Both wait in getUpdates.
    sent = time.time() - 20
    tg.push_message(ALLOWED, "achète deux ES", date=sent)
    tg.push_message(ALLOWED, "oui", date=sent + 5)
    await start_bot()
    answers = await wait_for(lambda: len(messages(tg, ALLOWED)) >= 2 and messages(tg, ALLOWED))
    await asyncio.sleep(0.5)
    assert len(messages(tg, ALLOWED)) == 2
    for msg in answers:
        assert "pendant que MIA ne tournait pas" in msg["text"] and "rien n'a été fait" in msg["text"]
        assert not buttons(msg)  # no read-back, nothing to confirm
    assert orders(engine) == []
    # typed now, the same order is read back as usual
    tg.push_message(ALLOWED, "achète deux ES")
    readback = await wait_for(lambda: len(messages(tg, ALLOWED)) >= 3 and messages(tg, ALLOWED)[2])
    assert "Confirmez" in readback["text"] and buttons(readback)


async def test_a_message_older_than_the_confirmation_timeout_is_too_old(tg, engine, start_bot):
    await start_bot(confirm_timeout_s=30)
    tg.push_message(ALLOWED, "achète deux ES", date=time.time() - 95, language_code="en")
    msg = await wait_for(lambda: messages(tg, ALLOWED) and messages(tg, ALLOWED)[0])
    assert msg["text"].startswith("Message too old") and "more than 30 s" in msg["text"] and not buttons(msg)
    tg.push_message(ALLOWED, "ferme tout", date=time.time() - 3600)
    fr = await wait_for(lambda: len(messages(tg, ALLOWED)) >= 2 and messages(tg, ALLOWED)[1])
    assert fr["text"].startswith("Message trop ancien (il y a 1 h")
    await asyncio.sleep(0.3)
    assert orders(engine) == []


async def test_a_forwarded_message_never_commands(tg, engine, start_bot):
    await start_bot()
    tg.push_message(ALLOWED, "achète deux ES", forwarded_from=ALICE)
    msg = await wait_for(lambda: messages(tg, ALLOWED) and messages(tg, ALLOWED)[0])
    assert "transféré n'est jamais une commande" in msg["text"] and not buttons(msg)
    await asyncio.sleep(0.3)
    assert orders(engine) == []


async def test_in_a_group_only_the_person_who_ordered_can_confirm(tg, engine, start_bot):
    await start_bot(allowed_chat_ids=[GROUP])
    tg.push_message(GROUP, "achète deux ES", user_id=ALICE, chat_type="group", first_name="Alice")
    readback = await wait_for(lambda: messages(tg, GROUP) and messages(tg, GROUP)[0])
    (_, ok_data), _ = buttons(readback)
    # Bob presses Alice's Confirm button: refused with an alert, nothing sent, the keyboard stays
    tg.push_callback_query(GROUP, readback["message_id"], ok_data, user_id=BOB, first_name="Bob")
    await wait_for(lambda: tg.answers)
    assert "Seule la personne qui a donné cet ordre" in tg.answers[-1]["text"]
    # Bob types "oui": it is his own conversation, with nothing to confirm
    tg.push_message(GROUP, "oui", user_id=BOB, chat_type="group", first_name="Bob")
    bob = await wait_for(lambda: len(messages(tg, GROUP)) >= 2 and messages(tg, GROUP)[1])
    assert "rien à confirmer" in bob["text"].lower()
    await asyncio.sleep(0.3)
    assert orders(engine) == []
    # Alice's question still stands: her press places the order
    tg.push_callback_query(GROUP, readback["message_id"], ok_data, user_id=ALICE, first_name="Alice")
    await wait_for(lambda: len(orders(engine)) == 1)
    [order] = orders(engine)
    assert (order.symbol, order.quantity, order.source) == ("ES", 2, "telegram")


async def test_allow_list_by_user_id(tg, engine, start_bot):
    await start_bot(allowed_chat_ids=[GROUP], allowed_user_ids=[ALICE])
    tg.push_message(GROUP, "achète deux ES", user_id=CAROL, chat_type="group", first_name="Carol")
    refused = await wait_for(lambda: messages(tg, GROUP) and messages(tg, GROUP)[0])
    assert f"l'utilisateur {CAROL} n'est pas autorisé" in refused["text"] and not buttons(refused)
    # Alice may also use her private chat with the bot, which is not in allowed_chat_ids
    tg.push_message(ALICE, "achète un ES", user_id=ALICE)
    readback = await wait_for(lambda: messages(tg, ALICE) and messages(tg, ALICE)[0])
    assert "Confirmez" in readback["text"] and buttons(readback)
    # the old private chat is no longer enough without the user id
    tg.push_message(ALLOWED, "achète un ES")
    stranger = await wait_for(lambda: messages(tg, ALLOWED) and messages(tg, ALLOWED)[0])
    assert "Accès refusé" in stranger["text"]
    await asyncio.sleep(0.3)
    assert orders(engine) == []


def test_allowed_user_ids_are_validated(tmp_path):
    cfg = load_config(env={"MIA_TELEGRAM__ALLOWED_USER_IDS": "[11, 12]"}, overrides={"data_dir": str(tmp_path)})
    assert cfg.telegram.allowed_user_ids == [11, 12]
    with pytest.raises(ConfigError) as exc:
        load_config(env={"MIA_TELEGRAM__ALLOWED_USER_IDS": "[-1001234567]"}, overrides={"data_dir": str(tmp_path)})
    assert exc.value.key == "telegram.allowed_user_ids" and "allowed_chat_ids" in exc.value.allowed
