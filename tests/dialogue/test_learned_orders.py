"""An order worded freely and read by the parser's learned command reader (method "learned") goes
through the same read-back and confirmation as any order, said as the guess it is ("If I understood
you correctly: …"): nothing is sent before the trader's yes, and a no sends nothing."""
from __future__ import annotations

from assistant.dialogue import Dialogue
from assistant.nlu.parser import ParseResult
from trading_core.api import Engine

from tests.dialogue.conftest import orders_of


async def test_a_learned_order_is_read_back_as_a_guess_and_waits_for_yes(dialogue: Dialogue, engine: Engine) -> None:
    text = "sell two ES gov"
    parsed = dialogue.parse(text)
    assert parsed.matched and parsed.method == "learned" and parsed.slots == {"side": "SELL", "quantity": 2, "symbol": "ES"}
    reply = await dialogue.handle(text, 0.0)
    assert reply.kind == "readback" and reply.pending is not None
    assert reply.text.startswith("If I understood you correctly: Sell 2 ES at market")
    assert reply.text.endswith("Do you confirm?")
    assert orders_of(engine) == []
    done = await dialogue.handle("yes", 1.0)
    assert done.executed and done.text.startswith("Done: sold 2 ES at ")
    assert [(o.symbol, o.quantity) for o in orders_of(engine)] == [("ES", 2)]


async def test_a_learned_french_order_declined_sends_nothing(dialogue: Dialogue, engine: Engine) -> None:
    # (built here: which stage reads a given French sentence changes as the grammars grow)
    text = "vends 2 ES mon vieux"
    parsed = ParseResult(text, "vends 2 es mon vieux", True, "place_trade", {"side": "SELL", "quantity": 2, "symbol": "ES"},
                         {"side": "vends", "quantity": "2", "symbol": "es"}, "fr", True, 0.9, "learned")
    reply = await dialogue.handle(parsed, 0.0)
    assert reply.kind == "readback" and reply.text.startswith("Si je vous ai bien compris : Short 2 contrats ES au marché")
    cancelled = await dialogue.handle("non", 1.0)
    assert not cancelled.executed and orders_of(engine) == []
