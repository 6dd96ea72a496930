"""`mia autopilot status|off|propose|auto` against a running engine through the real control socket:
read-back and confirmation of the switches that can trade, refusals with their exit codes, the live
account's typed acknowledgement, and the message when no `mia run` is there."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import control
from assistant.autopilot import cli
from assistant.cli.ops import OPS
from tests.mentor.session import start_engine
from trading_core.autopilot.controller import Autopilot
from trading_core.autopilot.models import load_trade_model
from trading_core.autopilot.types import AutopilotMode
from trading_core.config import load_config


def cfg_for(tmp_path: Path, **over: Any) -> Any:
    return load_config(env={}, overrides={"data_dir": str(tmp_path), **over})


async def running(tmp_path: Path, mode: str = "paper", **over: Any) -> tuple[Any, Any, Any]:
    """An engine with its autopilot ("ready": no bar is fed here) behind the control socket, as in `mia run`."""
    engine = await start_engine(cfg_for(tmp_path, **over))
    engine.mode = mode
    pilot = Autopilot(engine, bundles={"ES": None}, trade_models={"ES": load_trade_model(engine.config, "ES", "none")})
    await pilot.start(prepare=False)
    server = control.ControlServer(engine, OPS, control.socket_path(engine.config.data_path))
    await server.start()
    return engine, pilot, server


async def shutdown(engine: Any, pilot: Any, server: Any) -> None:
    await server.stop()
    await pilot.stop()
    await engine.stop()
    engine.close()


async def test_without_mia_run_a_clear_message_and_exit_3(tmp_path, capsys):
    assert await cli.run("status", False, cfg_for(tmp_path), "fr") == cli.EXIT_NOT_RUNNING
    assert "MIA ne tourne pas" in capsys.readouterr().err


async def test_status_and_switches_with_read_back_and_confirmation(tmp_path, capsys):
    engine, pilot, server = await running(tmp_path)
    config = engine.config
    try:
        assert await cli.run("status", False, config, "en") == 0
        assert "Autopilot off on ES, catastrophe level INFO. No signal yet." in capsys.readouterr().out
        # no terminal and no --yes: read back, not confirmed, nothing changes
        assert await cli.run("propose", False, config, "en", tty=False) == 1
        out = capsys.readouterr().out
        assert "Switch the autopilot to proposal mode" in out and "add --yes" in out
        assert pilot.mode is AutopilotMode.OFF
        # answered "non" at the terminal: cancelled
        assert await cli.run("propose", False, config, "fr", ask=lambda p, t: "non", tty=True) == 1
        assert "Annulé" in capsys.readouterr().out and pilot.mode is AutopilotMode.OFF
        asked: list[str] = []
        assert await cli.run("propose", False, config, "fr", ask=lambda p, t: asked.append(p) or "o", tty=True) == 0
        out = capsys.readouterr().out
        assert "chaque signal vous sera lu" in out and "Pilote automatique en mode proposition." in out
        assert asked and asked[0].startswith("Confirmez-vous ? [o/N]") and pilot.mode is AutopilotMode.PROPOSE
        assert await cli.run("propose", True, config, "en") == 0
        assert "already in propose: nothing to do" in capsys.readouterr().out
        # auto: the read-back says there is no replay verdict (never evaluated)
        assert await cli.run("auto", True, config, "en") == 0
        out = capsys.readouterr().out
        assert "No replay verdict yet" in out and "Autopilot in automatic mode." in out
        assert pilot.mode is AutopilotMode.AUTO
        assert await cli.run("off", False, config, "en") == 0  # no confirmation to switch off
        assert pilot.mode is AutopilotMode.OFF
        # halted: switching on is refused with its reason
        await engine.halt("test")
        assert await cli.run("propose", True, config, "en") == 1
        assert "Trading is halted" in capsys.readouterr().out and pilot.mode is AutopilotMode.OFF
        bad = await control.call(control.socket_path(config.data_path), "autopilot_mode", {"mode": "turbo"}, "en")
        assert bad is not None and not bad.ok and bad.exit == 2 and "off, propose or auto" in bad.text
    finally:
        await shutdown(engine, pilot, server)


async def test_a_replay_verdict_that_lost_money_is_said_when_auto_starts(tmp_path, capsys):
    from trading_core.autopilot.evaluate import ReplayVerdict, verdict_path

    engine, pilot, server = await running(tmp_path)
    try:
        path = verdict_path(engine.config.data_path, "ES")
        path.parent.mkdir(parents=True, exist_ok=True)
        import json
        from dataclasses import asdict

        path.write_text(json.dumps(asdict(ReplayVerdict("ES", "es_1m_2025.csv.gz", "none", "2026-12-01T10:00:00Z",
                                                        62000, 41, "-1234.50", True))))
        assert await cli.run("auto", True, engine.config, "fr") == 0
        out = capsys.readouterr().out
        assert out.count("le pilote automatique a perdu de l'argent") == 2  # the read-back, then the switch
    finally:
        await shutdown(engine, pilot, server)


async def test_auto_on_a_live_account_needs_the_typed_account_id(tmp_path, capsys):
    engine, pilot, server = await running(tmp_path, mode="live", ib={"account": "U1234567"})
    try:
        assert await cli.run("auto", True, engine.config, "en", ask=lambda p, t: "U7654321") == 1
        out = capsys.readouterr().out
        assert "on the LIVE account" in out and "needs the account id typed" in out
        assert pilot.mode is AutopilotMode.OFF
        prompts: list[str] = []
        assert await cli.run("auto", True, engine.config, "en", ask=lambda p, t: prompts.append(p) or "u1234567") == 0
        assert "LIVE account U1234567. Type the account id" in prompts[0] and pilot.mode is AutopilotMode.AUTO
        # voice and chat never switch a live account to auto without it: the engine refuses
        res = await engine.set_autopilot_mode("propose")
        assert res.ok
        res = await engine.set_autopilot_mode("auto")
        assert not res.ok and res.code == "LIVE_ACK_REQUIRED"
    finally:
        await shutdown(engine, pilot, server)


@pytest.mark.parametrize("typed,ok", [("U1234567", True), ("u1234567 ", True), ("", False), ("U1", False)])
def test_acknowledge_auto_at_start(typed, ok):
    from assistant.autopilot.options import acknowledge_auto

    assert acknowledge_auto("U1234567", lambda prompt: typed) is ok


def test_acknowledge_auto_end_of_input_refuses():
    from assistant.autopilot.options import acknowledge_auto

    def eof(prompt: str) -> str:
        raise EOFError

    assert acknowledge_auto("U1234567", eof) is False


async def test_mia_run_attaches_the_autopilot_restores_its_mode_and_says_the_verdict(tmp_path, bundle):
    from assistant.autopilot.front import attach_for_run
    from assistant.autopilot.options import AutopilotRunOptions
    from trading_core.autopilot.models import bundle_dir

    bundle.save(bundle_dir(tmp_path, "ES"))
    engine = await start_engine(cfg_for(tmp_path, autopilot={"model_type": "none"}))
    pilot, lines = await attach_for_run(engine, AutopilotRunOptions(), "en")
    assert pilot.mode is AutopilotMode.OFF and lines == [] and not pilot.ready  # off: no model loaded
    await pilot.stop()
    pilot, lines = await attach_for_run(engine, AutopilotRunOptions("auto"), "fr")
    assert pilot.mode is AutopilotMode.AUTO
    assert lines[0].startswith("Pilote automatique en mode automatique") and "Pas encore de verdict de rejeu" in lines[1]
    await pilot.stop()
    # the next run, without --autopilot: the mode comes back, and is said
    pilot, lines = await attach_for_run(engine, AutopilotRunOptions(), "en")
    assert pilot.mode is AutopilotMode.AUTO and "restored from the last run" in lines[0] and "No replay verdict" in lines[1]
    for _ in range(200):  # its models load in the background
        if pilot.ready:
            break
        await asyncio.sleep(0.05)
    assert pilot.ready
    await pilot.stop()
    await engine.stop()
    engine.close()
