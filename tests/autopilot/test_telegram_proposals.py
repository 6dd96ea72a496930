"""Autopilot proposals on Telegram (the real aiogram bot polling the fake Bot API; real bars through the
pipeline): a read-back with the signal's figures and Confirm / Cancel buttons in each allowed chat;
only the chat's owner may press; one press = exactly one bracket; the other chat's question is
withdrawn and says where it was confirmed."""
from __future__ import annotations

import asyncio

import pytest

from assistant.dialogue import shared_parser
from assistant.telegram_bot import TelegramChatBot
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram_bot.conftest import TOKEN, buttons, messages, wait_for
from trading_core.autopilot.types import AutopilotMode, SignalDecision

from .conftest import ACTIVE, config
from .test_autopilot_engine import drive, new_engine, pilot_on

OWNER, GROUP, MEMBER = 555, -1001, 999


@pytest.mark.slow
async def test_a_proposal_is_confirmed_by_its_owner_with_a_button(tmp_path, bundle, no_model, es_2025):
    parser = await asyncio.to_thread(shared_parser)
    async with FakeTelegramAPI(TOKEN) as tg:
        cfg = config(tmp_path, language="fr", autopilot=ACTIVE, dialogue={"confirm_timeout_s": 120},
                     telegram={"allowed_chat_ids": [OWNER, GROUP], "allowed_user_ids": [OWNER],
                               "confirm_timeout_s": 120, "api_base": tg.base_url})
        engine = await new_engine(cfg)
        pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.PROPOSE)
        bot = TelegramChatBot(engine, cfg, TOKEN, parser=parser, polling_timeout_s=5)
        stop = asyncio.Event()
        task = asyncio.create_task(bot.run(stop))
        try:
            await tg.wait_until(lambda: any(m == "getUpdates" for m, _ in tg.calls), timeout=20)
            await drive(engine, es_2025.iloc[:3000], until=lambda: bool(pilot.pending()))
            (prop,) = pilot.pending()
            private = (await wait_for(lambda: messages(tg, OWNER)))[-1]
            group = (await wait_for(lambda: messages(tg, GROUP)))[-1]
            for msg in (private, group):
                assert msg["text"].startswith("Signal du pilote automatique : ") and "Confirmez-vous ?" in msg["text"]
                assert "objectif" in msg["text"] and len(buttons(msg)) == 2
            assert engine.ledger.orders(limit=None) == []
            # another member of the group presses Confirm: refused, nothing sent
            (_, ok_group), _ = buttons(group)
            tg.push_callback_query(GROUP, group["message_id"], ok_group, user_id=MEMBER)
            await wait_for(lambda: tg.answers)
            await asyncio.sleep(0.2)
            assert engine.ledger.orders(limit=None) == [] and pilot.pending() == [prop]
            # the owner confirms in the private chat: exactly one bracket
            (_, ok_private), _ = buttons(private)
            tg.push_callback_query(OWNER, private["message_id"], ok_private)
            done = await wait_for(lambda: len(messages(tg, OWNER)) >= 2 and messages(tg, OWNER)[-1])
            assert done["text"].startswith("Signal confirmé.") and not buttons(done)
            parents = [o for o in engine.ledger.orders(limit=None) if o.parent_id is None]
            assert [o.client_order_id for o in parents] == [f"ap-{prop.signal_id}"]
            assert engine.ledger.autopilot_signal(prop.signal_id).decision is SignalDecision.EXECUTED
            # the group's question is withdrawn (its keyboard removed) and says it was confirmed elsewhere
            note = await wait_for(lambda: len(messages(tg, GROUP)) >= 2 and messages(tg, GROUP)[-1])
            assert "confirmé sur un autre canal" in note["text"]
            await wait_for(lambda: "reply_markup" not in tg.message(GROUP, group["message_id"]))
            # a second press of the used button sends nothing
            tg.push_callback_query(OWNER, private["message_id"], ok_private)
            await asyncio.sleep(0.3)
            assert len([o for o in engine.ledger.orders(limit=None) if o.parent_id is None]) == 1
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            await pilot.stop()
            await engine.stop()
            engine.close()
