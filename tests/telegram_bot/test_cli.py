"""`mia bot` and the `mia run` front end: token only from the environment, clear errors, a real run."""
from __future__ import annotations

import argparse
import asyncio
import logging

import pytest

from assistant.telegram_bot import cli as bot_cli
from assistant.telegram_bot.bot import TelegramChatBot
from tests.telegram_bot.conftest import ALLOWED, TOKEN, make_config, messages, wait_for
from trading_core.config import ConfigError, load_config


def test_mia_bot_without_token_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MIA_TELEGRAM_TOKEN", raising=False)
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    bot_cli.register(sub)
    args = parser.parse_args(["bot", "--duration", "1"])
    assert args.func(args, make_config(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "MIA_TELEGRAM_TOKEN" in err and "pas de jeton" in err


def test_mia_bot_with_a_malformed_token_exits_2_without_echoing_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MIA_TELEGRAM_TOKEN", "not-a-token-secret-value")
    parser = argparse.ArgumentParser()
    bot_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["bot"])
    assert args.func(args, make_config(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "not a valid bot token" in err and "secret-value" not in err


def test_a_token_in_the_config_file_is_refused(tmp_path):
    cfg = tmp_path / "user.yaml"
    cfg.write_text(f"telegram:\n  token: '{TOKEN}'\n")
    with pytest.raises(ConfigError) as err:
        load_config(str(cfg), env={})
    assert "MIA_TELEGRAM_TOKEN" in str(err.value) and TOKEN not in str(err.value)


async def test_front_end_without_token_returns_quietly(tmp_path, monkeypatch, caplog):
    from assistant.runner import RunContext

    monkeypatch.delenv("MIA_TELEGRAM_TOKEN", raising=False)
    ctx = RunContext(engine=object(), config=make_config(tmp_path), args=argparse.Namespace(), stop=asyncio.Event(), lang="en")
    with caplog.at_level(logging.INFO, logger="mia.telegram"):
        await asyncio.wait_for(bot_cli.run_front_end(ctx), 2)
    lines = [r.getMessage() for r in caplog.records if r.name == "mia.telegram"]
    assert lines == ["telegram bot off: MIA_TELEGRAM_TOKEN is not set"]


async def test_front_end_runs_the_bot_on_the_running_engine(tg, engine, tmp_path, monkeypatch):
    from assistant.runner import RunContext

    monkeypatch.setenv("MIA_TELEGRAM_TOKEN", TOKEN)
    ctx = RunContext(engine=engine, config=make_config(tmp_path, api_base=tg.base_url), args=argparse.Namespace(),
                     stop=asyncio.Event(), lang="en")
    task = asyncio.create_task(bot_cli.run_front_end(ctx))
    await tg.wait_until(lambda: any(m == "getUpdates" for m, _ in tg.calls), timeout=30)
    assert isinstance(ctx.extras["telegram_bot"], TelegramChatBot)
    tg.push_message(ALLOWED, "/pnl", language_code="en")
    answer = await wait_for(lambda: messages(tg, ALLOWED))
    assert answer[0]["text"].startswith("Today's P&L") or "P&L" in answer[0]["text"], answer[0]["text"]
    ctx.stop.set()
    await asyncio.wait_for(task, 10)
    assert "telegram_bot" not in ctx.extras


async def test_run_bot_owns_a_paper_engine_with_its_feed(tg, tmp_path):
    cfg = make_config(tmp_path / "own", api_base=tg.base_url)
    stop = asyncio.Event()
    task = asyncio.create_task(bot_cli.run_bot(cfg, TOKEN, stop=stop))
    await tg.wait_until(lambda: any(m == "getUpdates" for m, _ in tg.calls), timeout=30)
    tg.push_message(ALLOWED, "/status", language_code="en")
    answer = await wait_for(lambda: messages(tg, ALLOWED))
    assert "paper" in answer[0]["text"], answer[0]["text"]
    stop.set()
    assert await asyncio.wait_for(task, 15) == 0
    assert (tmp_path / "own" / "ledger_paper.sqlite3").exists()
