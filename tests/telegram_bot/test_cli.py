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


async def test_front_end_without_token_returns_quietly(engine, tmp_path, monkeypatch, caplog):
    from assistant.app.services import RunOptions, build_services

    monkeypatch.delenv("MIA_TELEGRAM_TOKEN", raising=False)
    services = build_services(engine, make_config(tmp_path), RunOptions(speech=False))
    with caplog.at_level(logging.INFO, logger="mia.telegram"):
        await asyncio.wait_for(bot_cli.run_front_end(services), 2)
    lines = [r.getMessage() for r in caplog.records if r.name == "mia.telegram"]
    assert lines == ["telegram bot off: MIA_TELEGRAM_TOKEN is not set"]


async def test_front_end_runs_the_bot_on_the_running_engine(tg, engine, tmp_path, monkeypatch):
    from assistant.app.services import RunOptions, build_services

    monkeypatch.setenv("MIA_TELEGRAM_TOKEN", TOKEN)
    services = build_services(engine, make_config(tmp_path, api_base=tg.base_url), RunOptions(speech=False))
    task = asyncio.create_task(bot_cli.run_front_end(services))
    await tg.wait_until(lambda: any(m == "getUpdates" for m, _ in tg.calls), timeout=30)
    tg.push_message(ALLOWED, "/pnl", language_code="en")
    answer = await wait_for(lambda: messages(tg, ALLOWED))
    assert answer[0]["text"].startswith("Today's P&L") or "P&L" in answer[0]["text"], answer[0]["text"]
    # the chat command and its answer are in the run's command log, as voice and typed ones are
    await wait_for(lambda: services.commands.recent())
    assert services.commands.recent()[0].source == "telegram"
    services.stop.set()
    await asyncio.wait_for(task, 10)


async def test_run_bot_owns_a_paper_engine_with_its_feed(tg, tmp_path, monkeypatch):
    cfg = make_config(tmp_path / "own", api_base=tg.base_url)
    stop = asyncio.Event()
    monkeypatch.setenv("MIA_TELEGRAM_TOKEN", TOKEN)
    task = asyncio.create_task(bot_cli.run_bot(cfg, stop=stop))
    await tg.wait_until(lambda: any(m == "getUpdates" for m, _ in tg.calls), timeout=30)
    tg.push_message(ALLOWED, "/status", language_code="en")
    answer = await wait_for(lambda: messages(tg, ALLOWED))
    assert "paper" in answer[0]["text"], answer[0]["text"]
    stop.set()
    assert await asyncio.wait_for(task, 15) == 0
    assert (tmp_path / "own" / "ledger_paper.sqlite3").exists()
    # the same lifecycle as `mia run`: the stop snapshot is written the same way
    assert list((tmp_path / "own" / "cache" / "engine").rglob("stop_*.json.gz"))
