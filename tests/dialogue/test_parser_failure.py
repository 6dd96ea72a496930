"""A parser that fails on a sentence (a bug, or a compiled module's run-time type check) never stops the
conversation nor acts: the sentence is "not understood", the failure logged with its trace, and the next sentence is
parsed as usual."""
from __future__ import annotations

import logging

import pytest


async def test_a_parser_failure_is_not_understood_and_logged(dialogue, engine, monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    real = dialogue.parser

    class Failing:
        """The real parser, failing on one word (a wrapper: a compiled parser's methods cannot be patched)."""

        def parse(self, text: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            if "boom" in text:
                raise TypeError("str object expected; got None")
            return real.parse(text, *args, **kwargs)

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    monkeypatch.setattr(dialogue, "parser", Failing())
    with caplog.at_level(logging.ERROR, logger="mia.dialogue"):
        reply = await dialogue.handle("buy 2 ES boom", 0.0)
    assert reply.kind == "not_understood" and reply.pending is None
    assert engine.ledger.orders(limit=None) == []
    assert any("parser failed" in r.getMessage() and r.exc_info for r in caplog.records)
    after = await dialogue.handle("buy 2 ES", 1.0)
    assert after.pending is not None  # the next sentence is parsed and read back as usual
