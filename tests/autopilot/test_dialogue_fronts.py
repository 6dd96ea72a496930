"""The autopilot in the conversation (typed text through the same parser and dialogue as voice): mode
switches read back and confirmed (off at once), status and volatility answers, and real proposals from
the pipeline on real bars: nothing sent without a "oui", exactly one bracket after it, "non" declines,
the most recent question wins (a read-back set aside says so), a proposal that ends elsewhere is
withdrawn."""
from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from assistant.dialogue import Dialogue, shared_parser
from assistant.dialogue.autopilot import AutopilotFeed, run_call
from assistant.autopilot.text import forecast_text
from trading_core.autopilot.types import AutopilotMode, ReasonCode, SignalDecision
from trading_core.autopilot.volatility import VolatilityForecast

from .conftest import ACTIVE, config
from .test_autopilot_engine import drive, new_engine, pilot_on


class Conversation:
    """A dialogue with the autopilot's feed attached, as the typed front runs it."""

    def __init__(self, engine: Any, lang: str = "fr") -> None:
        self.dialogue = Dialogue(engine, shared_parser(), config=engine.config, lang="auto", default_lang=lang,
                                 source="text")
        self.calls: list[Any] = []
        self.feed = AutopilotFeed(engine).attach(self.calls.append)

    async def say(self, text: str) -> Any:
        return await self.dialogue.handle(text, source="text")

    async def pending_calls(self) -> list[Any]:
        replies = []
        while self.calls:
            reply = await run_call(self.dialogue, self.calls.pop(0))
            if reply is not None:
                replies.append(reply)
        return replies


def orders(engine: Any) -> list[Any]:
    return engine.ledger.orders(limit=None)


async def test_mode_switches_status_and_the_forecast_by_voice_or_chat(tmp_path, bundle, no_model):
    cfg = config(tmp_path, autopilot={"model_type": "none"})
    engine = await new_engine(cfg)
    pilot = await pilot_on(engine, bundle, no_model)
    talk = Conversation(engine)
    r = await talk.say("active le pilote automatique")
    assert r.kind == "readback" and r.pending.action == "autopilot_mode" and r.pending.mode == "propose"
    assert "mode proposition" in r.text and r.text.endswith("Confirmez-vous ?") and pilot.mode is AutopilotMode.OFF
    r = await talk.say("oui")
    assert r.kind == "executed" and pilot.mode is AutopilotMode.PROPOSE
    r = await talk.say("qu'est-ce que fait le pilote automatique")
    assert r.kind == "answer" and r.text.startswith("Pilote automatique en mode proposition sur ES")
    r = await talk.say("switch the autopilot to propose mode")
    assert r.kind == "info" and "already in proposal mode" in r.text
    r = await talk.say("mets le pilote automatique en mode auto")
    assert r.kind == "readback" and "Pas encore de verdict de rejeu" in r.text  # said before the "oui"
    r = await talk.say("non")
    assert r.kind == "cancelled" and pilot.mode is AutopilotMode.PROPOSE
    r = await talk.say("autopilot off")  # no confirmation to stop
    assert r.kind == "executed" and pilot.mode is AutopilotMode.OFF and r.lang == "en"
    r = await talk.say("quelle est la prévision de volatilité ?")
    assert r.kind == "answer" and "mia train --model-type lstm_vix" in r.text
    # A market named: the forecast is the VIX's, and the answer says it is the same for every market.
    r = await talk.say("vol attendue sur MNQ ?")
    assert r.kind == "answer" and r.text.startswith("Pour MNQ, la prévision est celle du VIX")
    r = await talk.say("expected vol on ES?")
    assert r.kind == "answer" and r.text.startswith("For ES, the forecast is the VIX's") and r.lang == "en"
    # A switch asked about is answered with the state, never flipped.
    r = await talk.say("l'autopilote est coupé ?")
    assert r.kind == "answer" and pilot.mode is AutopilotMode.OFF and r.pending is None
    await engine.halt("test")
    assert (await talk.say("autopilot on")).kind == "readback"
    r = await talk.say("yes")
    assert r.kind == "refused" and "halted" in r.text and pilot.mode is AutopilotMode.OFF
    assert orders(engine) == []
    talk.feed.detach()
    await pilot.stop()
    await engine.stop()
    engine.close()


def test_the_forecast_answer_is_honest_about_the_naive_baseline():
    common = dict(trained=True, message_en="", message_fr="", as_of=date(2025, 5, 2), for_date=date(2025, 5, 5),
                  last_vix=22.7, predicted_vix=21.93, naive_vix=22.7, rmse_model=1.91, rmse_naive=1.88,
                  mae_model=1.2, mae_naive=1.18)
    worse = VolatilityForecast(**common, beats_baseline=False, used_for_sizing=False)
    assert forecast_text(worse, "fr") == (
        "VIX prévu pour le 05/05/2025 : 21,93, contre 22,70 le dernier jour de données. Hors échantillon, son erreur "
        "est de 1,91 contre 1,88 pour la prévision naïve « demain = aujourd'hui » : elle ne la bat pas, le pilote "
        "automatique l'ignore donc.")
    better = VolatilityForecast(**{**common, "rmse_model": 1.5}, beats_baseline=True, used_for_sizing=True)
    assert forecast_text(better, "en").endswith("1.50 against 1.88 for the naive forecast 'tomorrow = today': it beats "
                                                "it, so the autopilot's sizing uses it.")


async def test_proposals_are_read_back_and_traded_only_on_an_explicit_yes(tmp_path, bundle, no_model, es_2025):
    cfg = config(tmp_path, autopilot=ACTIVE, dialogue={"confirm_timeout_s": 120})
    engine = await new_engine(cfg)
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.PROPOSE)
    talk = Conversation(engine)
    done = await drive(engine, es_2025.iloc[:3000], until=lambda: bool(pilot.pending()))
    (prop,) = pilot.pending()
    (r,) = await talk.pending_calls()
    assert r.kind == "readback" and r.profile == "urgent" and r.pending.signal_id == prop.signal_id
    assert r.text.startswith("Signal du pilote automatique : long " if prop.side.value == "BUY"
                             else "Signal du pilote automatique : short ")
    assert "objectif" in r.text and "confiance" in r.text and r.text.endswith("Confirmez-vous ?")
    assert orders(engine) == []  # nothing without the trader's word
    r = await talk.say("oui")
    assert r.kind == "executed" and r.text.startswith("Signal confirmé. Pilote automatique :")
    ours = orders(engine)
    assert len(ours) == 3 and {o.client_order_id for o in ours if o.parent_id is None} == {f"ap-{prop.signal_id}"}
    assert (await talk.say("oui")).kind == "info" and len(orders(engine)) == 3  # nothing more to confirm
    await talk.pending_calls()  # the engine's EXECUTED event: nothing to withdraw, nothing said twice
    # flat again, then the next proposal: "non" declines it
    await engine.close_positions("ES")
    await drive(engine, es_2025.iloc[done:done + 3000], until=lambda: bool(pilot.pending()))
    (second,) = pilot.pending()
    (r,) = await talk.pending_calls()
    assert r.pending.signal_id == second.signal_id
    r = await talk.say("non")
    assert r.kind == "cancelled" and "le signal du pilote automatique n'a pas été tradé" in r.text
    assert engine.ledger.autopilot_signal(second.signal_id).reason_code == ReasonCode.DECLINED.value
    assert pilot.pending() == [] and len([o for o in orders(engine) if o.client_order_id.startswith("ap-")]) == 3
    talk.feed.detach()
    await pilot.stop()
    await engine.stop()
    engine.close()


async def test_the_most_recent_question_wins_and_an_ended_proposal_is_withdrawn(tmp_path, bundle, no_model, es_2025):
    cfg = config(tmp_path, autopilot=ACTIVE, dialogue={"confirm_timeout_s": 120})
    engine = await new_engine(cfg)
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.PROPOSE)
    talk = Conversation(engine, lang="en")
    await drive(engine, es_2025.iloc[:200])
    r = await talk.say("buy 1 ES")  # the trader's own read-back is pending...
    assert r.kind == "readback" and r.pending.action == "order"
    await drive(engine, es_2025.iloc[200:3000], until=lambda: bool(pilot.pending()))
    (prop,) = pilot.pending()
    (r,) = await talk.pending_calls()  # ...when a proposal comes: it is now the question, and says so
    assert r.pending.signal_id == prop.signal_id and r.text.endswith("Do you confirm?")
    assert r.text.startswith("Previous request cancelled: the order was not sent. Autopilot signal: ")
    r = await talk.say("yes")  # means the signal, which the read-back named
    assert r.kind == "executed" and "Signal confirmed" in r.text
    assert [o.client_order_id for o in orders(engine) if o.parent_id is None] == [f"ap-{prop.signal_id}"]
    # a proposal withdrawn elsewhere (here: the mode switched off) is said, and a late "yes" sends nothing
    await engine.close_positions("ES")
    await drive(engine, es_2025.iloc[3000:6000], until=lambda: bool(pilot.pending()))
    await talk.pending_calls()
    assert talk.dialogue.pending is not None and talk.dialogue.pending.action == "autopilot_signal"
    await pilot.set_mode(AutopilotMode.OFF)
    replies = await talk.pending_calls()
    assert [x.kind for x in replies] == ["expired"] and "left proposal mode" in replies[0].text
    assert talk.dialogue.pending is None
    parents = len([o for o in orders(engine) if o.parent_id is None])
    r = await talk.say("yes")
    assert r.kind in ("info", "expired") and len([o for o in orders(engine) if o.parent_id is None]) == parents
    talk.feed.detach()
    await pilot.stop()
    await engine.stop()
    engine.close()


async def test_a_proposal_never_replaces_a_pending_halt(tmp_path, bundle, no_model, es_2025):
    cfg = config(tmp_path, autopilot=ACTIVE, dialogue={"confirm_timeout_s": 120})
    engine = await new_engine(cfg)
    pilot = await pilot_on(engine, bundle, no_model, AutopilotMode.PROPOSE)
    talk = Conversation(engine, lang="fr")
    await drive(engine, es_2025.iloc[:200])
    assert (await talk.say("arrête tout")).pending.action == "halt"
    await drive(engine, es_2025.iloc[200:3000], until=lambda: bool(pilot.pending()))
    (note,) = await talk.pending_calls()
    assert note.kind == "info" and note.pending is None and "n'est pas proposé" in note.text
    r = await talk.say("oui")  # still the halt
    assert r.kind == "executed" and "arrêté" in r.text.lower() and engine.ledger.orders(limit=None) == []
    assert pilot.mode is AutopilotMode.OFF  # the halt switched it off (and expired the proposal)
    talk.feed.detach()
    await pilot.stop()
    await engine.stop()
    engine.close()


async def test_auto_by_voice_goes_through_the_risk_gate_and_its_trades_are_announced(tmp_path, bundle, no_model, es_2025):
    cfg = config(tmp_path, autopilot=ACTIVE, dialogue={"confirm_timeout_s": 120})
    engine = await new_engine(cfg)
    pilot = await pilot_on(engine, bundle, no_model)
    talk = Conversation(engine, lang="fr")
    assert (await talk.say("mets le pilote automatique en mode auto")).kind == "readback"
    assert (await talk.say("oui")).kind == "executed" and pilot.mode is AutopilotMode.AUTO
    await engine.reduce_only("test")  # the risk gate refuses new exposure
    sigs = lambda: engine.ledger.autopilot_signals(limit=None)  # noqa: E731
    done = await drive(engine, es_2025.iloc[:3000], until=lambda: any(s.reason_code == "REDUCING_ONLY" for s in sigs()))
    assert {o.status.value for o in engine.ledger.orders(limit=None)} == {"REJECTED"}  # refused by the gate, logged
    r = await talk.say("qu'est-ce que fait le pilote automatique")
    assert "Pilote automatique en mode automatique" in r.text and "refusé —" in r.text  # with the gate's reason
    await engine.resume("test")
    await talk.pending_calls()
    await drive(engine, es_2025.iloc[done:done + 3000],
                until=lambda: any(s.decision is SignalDecision.EXECUTED for s in sigs()))
    said = [x for x in await talk.pending_calls() if x.kind == "info"]
    assert said and said[-1].text.startswith("Pilote automatique : ") and " au marché, stop " in said[-1].text
    talk.feed.detach()
    await pilot.stop()
    await engine.stop()
    engine.close()
