"""Slash commands through the real aiogram dispatcher: queries, /risk and its usage, /halt confirmed, /resume,
orders as commands (/buy 2 MNQ, /flat) read back and confirmed, their usage."""
from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.telegram_bot.conftest import ALLOWED, STRANGER, buttons, messages, wait_for
from trading_core.types import TradingState

EN_CHAT = ALLOWED + 1


async def ask(tg, chat_id: int, text: str, language_code: str = "fr") -> dict:
    before = len(messages(tg, chat_id))
    tg.push_message(chat_id, text, language_code=language_code)
    return (await wait_for(lambda: len(messages(tg, chat_id)) > before and messages(tg, chat_id), timeout=15))[-1]


async def test_queries_answer_in_the_users_language(tg, engine, start_bot):
    await start_bot(allowed_chat_ids=[ALLOWED, EN_CHAT])
    for command in ("/status", "/positions", "/pnl", "/metrics"):
        fr = await ask(tg, ALLOWED, command)
        en = await ask(tg, EN_CHAT, command, language_code="en")
        assert fr["text"].strip() and en["text"].strip() and fr["text"] != en["text"], command
        assert not buttons(fr) and not buttons(en)
    help_fr = await ask(tg, ALLOWED, "/help")
    assert "/risk 1 ES" in help_fr["text"] and "Commandes" in help_fr["text"]
    help_en = await ask(tg, EN_CHAT, "/help", language_code="en")
    assert "Commands:" in help_en["text"]
    unknown = await ask(tg, EN_CHAT, "/frobnicate", language_code="en")
    assert "Unknown command /frobnicate" in unknown["text"]


async def test_risk_command_and_its_usage(tg, engine, start_bot):
    await start_bot(allowed_chat_ids=[ALLOWED, EN_CHAT])
    ok = await ask(tg, ALLOWED, "/risk 1 ES")
    assert "Risque par trade fixé à 1" in ok["text"] and "ES" in ok["text"], ok["text"]
    assert engine.risk_percent_for("ES") == Decimal("1")
    half = await ask(tg, EN_CHAT, "/risk 0,5 MNQ", language_code="en")
    assert "Risk per trade set to 0.5" in half["text"], half["text"]
    assert engine.risk_percent_for("MNQ") == Decimal("0.5")

    bad = await ask(tg, ALLOWED, "/risk abc")
    assert "« abc » n'est pas un pourcentage" in bad["text"] and "Usage : /risk POURCENT" in bad["text"]
    empty = await ask(tg, EN_CHAT, "/risk", language_code="en")
    assert empty["text"].startswith("Usage: /risk PERCENT")
    symbol = await ask(tg, EN_CHAT, "/risk 1 XYZ", language_code="en")
    assert "'XYZ' is not a known market" in symbol["text"]
    too_many = await ask(tg, EN_CHAT, "/risk 1 ES now", language_code="en")
    assert too_many["text"].startswith("Usage:")
    # Nothing was changed by the bad ones.
    assert engine.risk_percent_for("ES") == Decimal("1")


async def test_risk_refused_by_the_engine_says_why(tg, engine, start_bot):
    await start_bot(allowed_chat_ids=[EN_CHAT])
    refused = await ask(tg, EN_CHAT, "/risk 90 ES", language_code="en")
    assert refused["text"] and "set to 90" not in refused["text"]
    assert engine.risk_percent_for("ES") != Decimal("90")


async def test_halt_is_confirmed_with_the_keyboard_then_resume(tg, engine, start_bot):
    await start_bot(allowed_chat_ids=[EN_CHAT])
    question = await ask(tg, EN_CHAT, "/halt", language_code="en")
    (ok_label, ok_data), (no_label, _) = buttons(question)
    assert "Confirm" in ok_label and "Cancel" in no_label
    assert engine.state is TradingState.ACTIVE  # not before the confirmation
    before = len(messages(tg, EN_CHAT))
    tg.push_callback_query(EN_CHAT, question["message_id"], ok_data, language_code="en")
    done = (await wait_for(lambda: len(messages(tg, EN_CHAT)) > before and messages(tg, EN_CHAT)))[-1]
    assert engine.state is TradingState.HALTED, done["text"]
    resumed = await ask(tg, EN_CHAT, "/resume", language_code="en")
    assert resumed["text"] == "Trading resumed."
    assert engine.state is TradingState.ACTIVE


async def test_a_new_message_discards_the_pending_keyboard(tg, engine, start_bot):
    await start_bot()
    question = await ask(tg, ALLOWED, "achète deux ES")
    assert buttons(question)
    answer = await ask(tg, ALLOWED, "/positions")
    assert "n'a pas été envoyé" in answer["text"] or "annul" in answer["text"].lower(), answer["text"]
    await wait_for(lambda: "reply_markup" not in tg.message(ALLOWED, question["message_id"]))
    assert engine.ledger.orders(limit=None) == []


async def test_an_order_command_is_read_back_and_placed_only_once_confirmed(tg, engine, start_bot):
    """"/buy 2 MNQ" is the typed sentence: the same read-back, keyboard and confirmation."""
    await start_bot(allowed_chat_ids=[ALLOWED, EN_CHAT])
    question = await ask(tg, EN_CHAT, "/buy 2 MNQ", language_code="en")
    (ok_label, ok_data), (no_label, _) = buttons(question)
    assert "Confirm" in ok_label and "Cancel" in no_label and "MNQ" in question["text"]
    assert engine.ledger.orders(limit=None) == []  # nothing before the confirmation
    tg.push_callback_query(EN_CHAT, question["message_id"], ok_data, language_code="en")
    placed = await wait_for(lambda: engine.ledger.orders(limit=None))
    assert [(o.symbol, o.side.value, o.quantity) for o in placed] == [("MNQ", "BUY", 2)]
    close = await ask(tg, ALLOWED, "/flat")
    assert buttons(close) and "Confirmez" in close["text"], close["text"]


async def test_an_order_command_with_other_arguments_gets_the_usage_and_does_nothing(tg, engine, start_bot):
    await start_bot(allowed_chat_ids=[ALLOWED, EN_CHAT])
    for text in ("/buy two MNQ", "/sell ES 1", "/close"):
        refused = await ask(tg, EN_CHAT, text, language_code="en")
        assert not buttons(refused) and "/buy QTY SYMBOL [PRICE]" in refused["text"], (text, refused["text"])
    french = await ask(tg, ALLOWED, "/achat 2")
    assert not buttons(french) and "/achat QTÉ MARCHÉ [PRIX]" in french["text"], french["text"]
    help_en = await ask(tg, EN_CHAT, "/help", language_code="en")
    assert "/buy 2 MNQ" in help_en["text"] and "/flat" in help_en["text"]
    await asyncio.sleep(0.2)
    assert engine.ledger.orders(limit=None) == []


async def test_a_stranger_never_orders_by_command(tg, engine, start_bot):
    await start_bot(queries_from_strangers=True)
    tg.push_message(STRANGER, "/buy 2 MNQ", language_code="en")
    await wait_for(lambda: messages(tg, STRANGER))
    await asyncio.sleep(0.2)
    assert not buttons(messages(tg, STRANGER)[-1]) and engine.ledger.orders(limit=None) == []
