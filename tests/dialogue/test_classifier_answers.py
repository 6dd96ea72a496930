"""Questions understood by the parser's learned last stage (method "classifier"): answered at
once like any question (nothing moves, no read-back), starting with what was understood so a
trader who meant something else hears it ("Voici les positions : …", "About the status: …")."""
from __future__ import annotations

import pytest

from assistant.dialogue import Dialogue
from assistant.nlu.parser import ParseResult
from trading_core.api import Engine


def _as_classifier(text: str, intent: str, lang: str, **slots: str) -> ParseResult:
    return ParseResult(text, text.lower(), True, intent, dict(slots), {}, lang, True, 0.9, "classifier")


@pytest.mark.parametrize("text, intent, lang, start", [
    ("j'ai encore quelque chose ?", "positions", "fr", "Voici les positions : "),
    ("anything left on the book?", "positions", "en", "About the positions: "),
    ("petit check de l'état du moteur", "status", "fr", "Voici le statut : "),
    ("is the trading engine up", "status", "en", "About the status: "),
    ("ça donne quoi ma journée niveau gains ?", "pnl_today", "fr", ""),  # "Résultat du jour : …" names it already
    ("how's my day money wise", "pnl_today", "en", ""),  # "Today's P&L: …" names it already
    ("what kind of stuff can I ask you", "help", "en", "About what I can do: "),
])
async def test_a_classified_question_says_what_was_understood(dialogue: Dialogue, engine: Engine, text: str,
                                                              intent: str, lang: str, start: str) -> None:
    plain = await dialogue.handle(ParseResult(text, text, True, intent, {}, {}, lang, True, 1.0, "exact"), 0.0)
    reply = await dialogue.handle(_as_classifier(text, intent, lang), 1.0)
    assert reply.kind == plain.kind and reply.kind in ("answer", "help")
    assert reply.text == start + plain.text and reply.lang == lang
    assert reply.pending is None and not reply.executed and dialogue.pending is None
    assert engine.ledger.order_count() == 0


async def test_a_classified_question_from_the_parser_end_to_end(dialogue: Dialogue, engine: Engine) -> None:
    parsed = dialogue.parse("j'ai encore quelque chose sur ES ?")
    assert parsed.matched and parsed.intent == "positions" and parsed.slots == {"symbol": "ES"}
    reply = await dialogue.handle("j'ai encore quelque chose sur ES ?", 0.0)
    assert reply.kind == "answer" and reply.pending is None and not reply.executed
    if parsed.method == "classifier":  # another stage may learn this phrasing later: then no preamble
        assert reply.text.startswith("Voici les positions : ")
    assert engine.ledger.order_count() == 0


async def test_a_failed_query_is_not_dressed_as_understood(dialogue: Dialogue) -> None:
    # Only answers get the preamble: a refusal or an error keeps its own wording.
    reply = await dialogue.handle(_as_classifier("zzz", "no_such_intent", "en"), 0.0)
    assert not reply.text.startswith("About")
