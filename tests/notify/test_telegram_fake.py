"""The Telegram fake speaks enough of the Bot API for a polling aiogram bot (the chat bot comes next):
getMe, getUpdates with offsets and long polling, inline keyboards, callback answers and edits."""
from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from tests.fakes.telegram_api import FakeTelegramAPI, TelegramLimits
from tests.notify.helpers import TG_TOKEN


def _bot(fake: FakeTelegramAPI, token: str = TG_TOKEN) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url), timeout=5))


async def test_polling_bot_round_trip(tg_fake):
    bot = _bot(tg_fake)
    try:
        me = await bot.get_me()
        assert (me.id, me.is_bot, me.username) == (123456789, True, "mia_test_bot")

        tg_fake.push_message(555, "achète deux ES", user_id=555)
        tg_fake.push_message(666, "/status", user_id=666, language_code="en")
        updates = await bot.get_updates(offset=0, timeout=1)
        assert [u.message.text for u in updates] == ["achète deux ES", "/status"]
        assert updates[1].message.entities[0].type == "bot_command"
        assert updates[0].message.from_user.language_code == "fr"

        # Confirmed updates disappear; long polling returns as soon as one arrives.
        later = asyncio.get_running_loop().call_later(0.2, tg_fake.push_message, 555, "ferme tout")
        fresh = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=5)
        later.cancel()
        assert [u.message.text for u in fresh] == ["ferme tout"]

        keyboard = InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text="Confirmer", callback_data="confirm:1"),
            InlineKeyboardButton(text="Annuler", callback_data="cancel:1"),
        ]])
        sent = await bot.send_message(555, "Acheter 2 ES au marché ?", reply_markup=keyboard)
        assert tg_fake.message(555, sent.message_id)["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "confirm:1"

        tg_fake.push_callback_query(555, sent.message_id, "confirm:1", user_id=555)
        (press,) = await bot.get_updates(offset=fresh[-1].update_id + 1, timeout=1)
        assert press.callback_query.data == "confirm:1"
        assert press.callback_query.message.message_id == sent.message_id
        assert await bot.answer_callback_query(press.callback_query.id, text="Ordre envoyé")
        edited = await bot.edit_message_text("Acheter 2 ES : confirmé", chat_id=555, message_id=sent.message_id)
        assert edited.text == "Acheter 2 ES : confirmé" and edited.reply_markup is None
        assert tg_fake.answers[0]["text"] == "Ordre envoyé"
        assert [m for m, _ in tg_fake.calls][-2:] == ["answerCallbackQuery", "editMessageText"]
    finally:
        await bot.session.close()


async def test_wrong_token_and_server_rate_limit():
    async with FakeTelegramAPI(TG_TOKEN, limits=TelegramLimits(per_chat_rate=1, per_chat_burst=1)) as fake:
        intruder = _bot(fake, "987654321:WrongTokenWrongTokenWrongToken")
        bot = _bot(fake)
        try:
            with pytest.raises(TelegramUnauthorizedError):
                await intruder.get_me()
            await bot.send_message(1, "one")
            with pytest.raises(TelegramRetryAfter) as limited:  # a second message within the second
                await bot.send_message(1, "two")
            assert limited.value.retry_after == 1
        finally:
            await intruder.session.close()
            await bot.session.close()
        assert fake.rate_limited == 1 and fake.sent_texts() == ["one"]
