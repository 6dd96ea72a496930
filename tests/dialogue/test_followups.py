"""Follow-up questions for a missing or unclear part of a command (issue #13), typed-only words,
reduce-only mode, the default market for "set risk", and examples in refusals.

Every completed command takes the normal road: read-back, explicit confirmation, risk gate,
paper broker. A follow-up answer alone never executes anything.
"""
from __future__ import annotations

import pytest

from assistant.dialogue import Dialogue
from assistant.dialogue.answers import INTENT_EXAMPLES
from trading_core.types import OrderRequest, Side, TradingState

from .conftest import make_config, make_engine, orders_of


# ---------------------------------------------------------------------------- orders
@pytest.mark.parametrize(
    "first,question,answer,readback",
    [
        ("buy ES", "Buy ES: how many contracts?", "two",
         "Buy 2 ES at market, estimated risk $500.00. Do you confirm?"),
        ("achète des ES", "Achat ES : combien de contrats ?", "deux",
         "Long 2 contrats ES au marché, risque estimé 500,00\u00a0$. Confirmez-vous ?"),
        ("achète des ES", "Achat ES : combien de contrats ?", "2",
         "Long 2 contrats ES au marché, risque estimé 500,00\u00a0$. Confirmez-vous ?"),
        ("vends deux", "Vente 2 contrats : sur quel marché, ES ou MNQ ?", "MNQ",
         "Short 2 contrats MNQ au marché, risque estimé 80,00\u00a0$. Confirmez-vous ?"),
        ("sell two", "Sell 2: which market, ES or MNQ?", "the micro",
         "Sell 2 MNQ at market, estimated risk $80.00. Do you confirm?"),
        ("quatre MNQ", "4 contrats MNQ : achat ou vente ?", "achat",
         "Long 4 contrats MNQ au marché, risque estimé 160,00\u00a0$. Confirmez-vous ?"),
    ],
)
async def test_an_incomplete_order_is_asked_for_then_read_back(typed, engine, first, question, answer, readback):
    asked = await typed.handle(first, 0.0)
    assert (asked.kind, asked.text) == ("question", question)
    assert asked.followup is not None and asked.pending is None
    assert typed.next_deadline() == asked.followup.expires_at
    done = await typed.handle(answer, 1.0)
    assert (done.kind, done.text) == ("readback", readback)
    assert done.pending is not None and typed.followup is None
    assert orders_of(engine) == []  # nothing sent before the explicit confirmation


async def test_two_questions_in_turn_then_confirm_sends_exactly_what_was_read_back(typed, engine):
    assert (await typed.handle("achète", 0.0)).text == "Achat : sur quel marché, ES ou MNQ ?"
    assert (await typed.handle("ES", 1.0)).text == "Achat ES : combien de contrats ?"
    readback = await typed.handle("trois contrats", 2.0)
    assert readback.kind == "readback" and readback.pending.request.quantity == 3
    assert readback.pending.request.symbol == "ES" and readback.pending.request.side is Side.BUY
    done = await typed.handle("oui", 3.0)
    assert done.kind == "executed"
    [order] = orders_of(engine)
    assert (order.symbol, order.side, order.quantity, order.source) == ("ES", Side.BUY, 3, "text")


async def test_close_asks_which_market_and_everything_closes_all(typed, engine):
    await engine.place_order(OrderRequest("ES", Side.BUY, 1), wait_fill=2.0)
    await engine.place_order(OrderRequest("MNQ", Side.SELL, 2), wait_fill=2.0)
    asked = await typed.handle("close", 0.0)
    assert asked.text == "Close: which market, ES, MNQ or everything?"
    readback = await typed.handle("everything", 1.0)
    assert readback.kind == "readback" and readback.pending.symbol is None
    assert readback.text.startswith("Close all positions: long 1 ES, short 2 MNQ.")
    await typed.handle("ferme", 2.0)  # a new command: the pending read-back is dropped
    assert (await typed.handle("MNQ", 3.0)).pending.symbol == "MNQ"


async def test_set_risk_without_a_percentage_asks_for_it(typed, engine):
    assert (await typed.handle("set the risk on MNQ", 0.0)).text == \
        "Risk per trade on MNQ: what percentage of risk per trade?"
    done = await typed.handle("half a percent", 1.0)
    assert done.kind == "executed" and done.text == "Risk per trade set to 0.5% on MNQ."


async def test_set_risk_without_a_market_applies_to_the_default_market_and_says_so(typed, engine, config):
    assert config.market == "ES"
    en = await typed.handle("set risk to one percent", 0.0)
    assert en.kind == "executed" and en.text == "Risk per trade set to 1% on ES (the default market)."
    fr = await typed.handle("mets le risque à 0,5 %", 1.0)
    assert fr.text == "Risque par trade fixé à 0,5\u202f% sur ES (marché par défaut)."
    assert engine.risk_percent_for("ES") == pytest.approx(0.5) or str(engine.risk_percent_for("ES")) == "0.5"


# ---------------------------------------------------------------------------- what the answer may be
async def test_an_answer_without_a_question_is_never_acted_on(typed, engine):
    for word in ("deux", "two", "ES", "tout", "2", "everything"):
        reply = await typed.handle(word, 0.0)
        assert reply.kind == "info", word
        assert "question" in reply.text.lower(), reply.text
    assert orders_of(engine) == [] and typed.pending is None and typed.followup is None


async def test_an_unrelated_command_drops_the_question_and_says_so(typed, engine):
    await typed.handle("buy ES", 0.0)
    reply = await typed.handle("show my positions", 1.0)
    assert reply.kind == "answer" and reply.text.startswith("Question dropped. ")
    assert typed.followup is None
    # The answer that comes after is not taken for the dropped question.
    assert (await typed.handle("two", 2.0)).kind == "info"


async def test_a_restated_whole_command_replaces_the_question_silently(typed):
    await typed.handle("buy ES", 0.0)
    reply = await typed.handle("buy 3 ES", 1.0)
    assert reply.kind == "readback" and not reply.text.startswith("Question")
    assert reply.pending.request.quantity == 3


async def test_a_contradicting_answer_is_refused_and_nothing_is_done(typed, engine):
    await typed.handle("achète des ES", 0.0)
    reply = await typed.handle("deux MNQ", 1.0)  # the order was about ES: never guess
    assert reply.kind == "not_understood" and typed.followup is None and typed.pending is None
    assert "aucun ordre" in reply.text


async def test_a_wrong_kind_of_answer_asks_again(typed):
    await typed.handle("close", 0.0)
    again = await typed.handle("deux", 1.0)  # a quantity for "which market?"
    assert again.kind == "question" and again.text.startswith("I did not understand.") or \
        again.text.startswith("Je n'ai pas compris.")
    assert typed.followup is not None
    nonsense = await typed.handle("blue banana", 2.0)
    assert nonsense.kind == "question" and typed.followup is not None


async def test_cancel_repeat_and_yes_during_a_question(typed):
    await typed.handle("buy ES", 0.0)
    assert (await typed.handle("repeat", 1.0)).text == "Buy ES: how many contracts?"
    yes = await typed.handle("yes", 2.0)
    assert yes.kind == "question" and yes.text.startswith("Nothing to confirm yet.")
    cancelled = await typed.handle("cancel", 3.0)
    assert (cancelled.kind, cancelled.text) == ("cancelled", "Cancelled: no order was prepared.")
    assert typed.followup is None


async def test_the_question_expires_with_the_confirmation_timeout(typed, engine):
    asked = await typed.handle("buy ES", 0.0)
    assert asked.followup.timeout_s == typed.confirm_timeout_s
    assert await typed.expire(asked.followup.expires_at - 0.1) is None
    expired = await typed.expire(asked.followup.expires_at)
    assert expired.kind == "expired" and expired.text.startswith("No answer within")
    assert "no order was prepared" in expired.text and typed.followup is None
    assert (await typed.handle("two", asked.followup.expires_at + 1)).kind == "info"
    assert orders_of(engine) == []


async def test_a_late_answer_is_told_the_question_expired(typed):
    asked = await typed.handle("achète des ES", 0.0)
    reply = await typed.handle("deux", asked.followup.expires_at + 1.0)
    assert reply.kind == "info" and reply.text.startswith("Pas de réponse en")
    assert reply.pending is None


async def test_the_timer_restarts_when_the_question_was_delivered(typed):
    asked = await typed.handle("buy ES", 0.0)
    assert await typed.restart_timer(asked.followup.id, 2.0)
    assert typed.next_deadline() == pytest.approx(2.0 + typed.confirm_timeout_s)
    assert not await typed.restart_timer("another-id", 3.0)


async def test_input_closed_while_a_question_waits(typed):
    await typed.handle("close", 0.0)
    reply = await typed.close_input(1.0)
    assert reply is not None and reply.kind == "cancelled" and "nothing was closed" in reply.text


async def test_low_recogniser_confidence_never_starts_a_question(dialogue):
    reply = await dialogue.handle("buy e s", 0.0, confidence=0.2)
    assert reply.kind == "not_understood" and dialogue.followup is None


# ---------------------------------------------------------------------------- typed-only words
async def test_ok_confirms_when_typed(typed, engine):
    await typed.handle("buy 1 ES", 0.0)
    done = await typed.handle("ok", 1.0)
    assert done.kind == "executed" and len(orders_of(engine)) == 1


async def test_ok_from_speech_never_confirms_and_asks_for_a_clear_word(dialogue, engine):
    await dialogue.handle("buy 1 ES", 0.0)
    for word in ("ok", "go", "sure", "do it", "exactement"):
        reply = await dialogue.handle(word, 1.0, confidence=0.95)
        assert reply.kind == "info" and "yes" in reply.text.lower() or "oui" in reply.text.lower()
    assert dialogue.pending is not None and orders_of(dialogue.engine) == []
    assert (await dialogue.handle("yes", 2.0, confidence=0.95)).kind == "executed"


# ---------------------------------------------------------------------------- reduce-only
@pytest.mark.parametrize("utterance,lang", [("reduce only", "en"), ("réduis seulement", "fr"),
                                            ("mode réduction", "fr"), ("only reduce positions", "en")])
async def test_reduce_only_is_read_back_confirmed_then_applied(typed, engine, utterance, lang):
    readback = await typed.handle(utterance, 0.0)
    assert readback.kind == "readback" and readback.pending.action == "reduce_only"
    assert engine.state is TradingState.ACTIVE
    done = await typed.handle("oui" if lang == "fr" else "yes", 1.0)
    assert done.kind == "executed" and engine.state is TradingState.REDUCING
    again = await typed.handle(utterance, 2.0)
    assert again.kind == "info"
    resumed = await typed.handle("resume trading", 3.0)
    assert resumed.kind == "executed" and engine.state is TradingState.ACTIVE


async def test_reduce_only_refuses_new_exposure_and_allows_reducing(typed, engine):
    await engine.place_order(OrderRequest("ES", Side.BUY, 2), wait_fill=2.0)
    await typed.handle("reduce only", 0.0)
    await typed.handle("yes", 1.0)
    more = await typed.handle("buy 1 ES", 2.0)
    assert more.kind == "refused"
    less = await typed.handle("sell 1 ES", 3.0)
    assert less.kind == "readback"
    assert (await typed.handle("yes", 4.0)).kind == "executed"


async def test_reduce_only_cancelled_changes_nothing(typed, engine):
    await typed.handle("mode réduction seule", 0.0)
    reply = await typed.handle("non", 1.0)
    assert reply.kind == "cancelled" and "réduction" in reply.text and engine.state is TradingState.ACTIVE


# ---------------------------------------------------------------------------- honest refusals
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_refusal_example_parses_to_its_intent(parser, lang):
    for intent, per_lang in INTENT_EXAMPLES.items():
        _, first, second = per_lang[lang]
        for example in (first, second):
            result = parser.parse(example, lang)
            assert result.matched and result.intent == intent, (example, result)


@pytest.mark.parametrize(
    "utterance,expected",
    [
        ("show my positions in the garden", "I did not understand. For positions, you can say:"),
        ("how much money did my cat lose today", "I did not understand. For today's result, you can say:"),
        ("clôturer les positions de mon voisin sur la lune", "Je n'ai pas compris. Pour fermer, vous pouvez dire :"),
    ],
)
async def test_a_sentence_near_a_command_gets_examples(typed, utterance, expected):
    reply = await typed.handle(utterance, 0.0)
    assert reply.kind == "not_understood" and reply.text.startswith(expected), reply.text


async def test_a_sentence_near_nothing_is_plainly_not_understood(typed):
    reply = await typed.handle("quel est le régime de ma grand-mère", 0.0)
    assert (reply.kind, reply.text) == ("not_understood", "Je n'ai pas compris, pouvez-vous répéter ?")


async def test_missing_risk_percent_only_for_a_real_set_risk_command(parser):
    for text in ("what positions do I have", "Clôturer toutes les positions sur MNQ", "arrête de trader"):
        result = parser.parse(text)
        assert result.reason != "missing_risk_percent" and result.reason != "ambiguous_risk_percent", (text, result)
    assert parser.parse("set the risk on ES").reason == "missing_risk_percent"


async def test_telegram_like_source_answers_follow_ups_too(engine, parser, config):
    chat = Dialogue(engine, parser, config=config, source="telegram")
    assert (await chat.handle("buy ES", 0.0)).kind == "question"
    assert (await chat.handle("2", 1.0)).kind == "readback"


def test_default_market_comes_from_the_config(tmp_path, parser):
    config = make_config(tmp_path, market="MNQ")
    assert Dialogue(make_engine(config), parser, config=config).default_market == "MNQ"


# ---------------------------------------------------------------------------- answers only in context
@pytest.mark.parametrize(("answer", "kind"), [("y", "executed"), ("c'est bon", "executed"), ("n", "cancelled")])
async def test_short_typed_answers_count_only_while_a_readback_waits(typed, engine, answer, kind):
    alone = await typed.handle(answer, 0.0)
    assert alone.kind not in ("executed", "cancelled") and orders_of(engine) == []  # nothing to answer
    await typed.handle("buy 1 ES", 1.0)
    reply = await typed.handle(answer, 2.0)
    assert reply.kind == kind
    assert len(orders_of(engine)) == (1 if kind == "executed" else 0)


async def test_short_answers_from_speech_or_after_the_timeout_confirm_nothing(typed, dialogue, engine):
    await dialogue.handle("buy 1 ES", 0.0)
    reply = await dialogue.handle("c'est bon", 1.0, confidence=0.95)
    assert reply.kind != "executed" and orders_of(engine) == []
    await typed.handle("buy 1 ES", 10.0)
    late = await typed.handle("y", 10.0 + typed.pending.timeout_s + 1.0)
    assert late.kind != "executed" and orders_of(engine) == []
