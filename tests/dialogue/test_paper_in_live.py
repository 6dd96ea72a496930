"""A paper (simulated) command said in a live session (session 13, money safety): the grammars read "placer un
trade papier long sur ES" as the order, which is right on the paper broker, but a live session sending it would
trade for real what the trader asked to simulate. Refused with the reason, nothing pending, nothing sent; the
same sentence in a paper session is read back as usual."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from assistant.dialogue import Dialogue
from assistant.nlu.parser import Parser
from trading_core.api import Engine
from trading_core.config import MiaConfig

from .conftest import orders_of, running_engine


@pytest.fixture
async def live_engine(config: MiaConfig) -> AsyncIterator[Engine]:
    # The engine in live mode; its broker is the paper one (no TWS here): what matters is what reaches it.
    async for eng in running_engine(config, mode="live"):
        yield eng


@pytest.mark.parametrize(("said", "words"), [
    ("Placer un trade papier long sur ES avec 1 contrat", "Je suis en réel"),
    ("achète 2 ES en simulation", "Je suis en réel"),
    ("paper buy 2 ES", "I am trading live"),
    ("sim sell 1 MNQ", "I am trading live"),
    ("buy paper ES", "I am trading live"),          # incomplete: no quantity asked, refused at once
])
async def test_a_paper_command_in_a_live_session_is_refused(live_engine: Engine, parser: Parser, config: MiaConfig,
                                                           said: str, words: str) -> None:
    dialogue = Dialogue(live_engine, parser, config=config, source="text", fill_wait_s=2.0)
    reply = await dialogue.handle(said, 0.0)
    assert reply.kind == "not_understood" and words in reply.text, reply.text
    assert dialogue.pending is None and dialogue.followup is None
    assert orders_of(live_engine) == []


async def test_a_plain_order_in_a_live_session_is_read_back(live_engine: Engine, parser: Parser,
                                                           config: MiaConfig) -> None:
    dialogue = Dialogue(live_engine, parser, config=config, source="text", fill_wait_s=2.0)
    reply = await dialogue.handle("buy 2 ES", 0.0)
    assert reply.kind == "readback" and dialogue.pending is not None, reply.text


async def test_a_paper_order_in_a_paper_session_is_read_back(typed: Dialogue, engine: Engine) -> None:
    reply = await typed.handle("Placer un trade papier long sur ES avec 1 contrat", 0.0)
    assert reply.kind == "readback" and typed.pending is not None
    assert orders_of(engine) == []  # nothing sent before the confirmation


@pytest.mark.parametrize(("text", "paper"), [
    ("placer un trade papier long sur ES", True), ("sim buy 2 ES", True), ("buy 2 ES on paper", True),
    ("achète 2 ES en simulation", True), ("buy 2 ES", False), ("achète deux ES", False),
    ("close my simple ES", False),
])
def test_the_parser_says_which_sentences_ask_for_paper(parser: Parser, text: str, paper: bool) -> None:
    assert parser.says_paper(text) is paper
