"""The typed-text loop (through a real pipe), `run_front_end` for `mia run`, and `mia listen --input text`."""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.dialogue import Dialogue
from assistant.voice.listen import ListenUsageError, parse_input
from assistant.app.services import RunOptions, Services, build_services
from assistant.voice.front import run_front_end
from assistant.voice.loop import AnswerOutput, run_text_loop
from trading_core.ledger import Ledger
from trading_core.types import Side

from .conftest import make_config, make_engine

REPO = Path(__file__).resolve().parents[2]


def pipe_with(text: str | None):
    """A real OS pipe: returns (reader stream, writer fd or None when already closed)."""
    r, w = os.pipe()
    if text is not None:
        os.write(w, text.encode())
        os.close(w)
        return os.fdopen(r, "r", encoding="utf-8"), None
    return os.fdopen(r, "r", encoding="utf-8"), w


async def test_typed_commands_through_a_pipe(dialogue, engine):
    stream, _ = pipe_with("buy 2 ES\nyes\n\nmes positions\n")
    lines: list[str] = []
    replies = await run_text_loop(dialogue, AnswerOutput(None, echo=lines.append), stream=stream)
    assert [r.kind for r in replies] == ["readback", "executed", "answer"]
    assert lines[0] == "MIA: Buy 2 ES at market, estimated risk $500.00. Do you confirm?"
    assert lines[2].startswith("MIA: Vous avez une position : long 2 contrats ES")
    assert [(f.symbol, f.side, f.quantity) for f in engine.ledger.fills()] == [("ES", Side.BUY, 2)]
    assert all(o.source == "text" for o in engine.ledger.orders(limit=None))


async def test_end_of_input_discards_what_is_pending(dialogue, engine):
    stream, _ = pipe_with("achète deux contrats ES\n")
    replies = await run_text_loop(dialogue, AnswerOutput(None, echo=None), stream=stream)
    assert [r.kind for r in replies] == ["readback", "cancelled"]
    assert replies[-1].text == "Entrée fermée avant une confirmation : l'ordre n'a pas été envoyé."
    assert engine.ledger.orders(limit=None) == []


async def test_wall_clock_timeout_is_announced_when_it_expires(tmp_path, parser):
    config = make_config(tmp_path, dialogue={"confirm_timeout_s": 0.3})
    engine = make_engine(config)
    await engine.start(run_feed=False)
    from .conftest import T0

    engine.on_price("ES", 6000.0, T0)
    engine.on_price("MNQ", 21000.0, T0)
    dialogue = Dialogue(engine, parser, config=config)
    stream, w = pipe_with(None)
    os.write(w, b"buy 1 ES\n")
    seen: list[str] = []

    async def answer_late() -> None:
        while not any("No confirmation" in s for s in seen):
            await asyncio.sleep(0.02)
        os.write(w, b"yes\n")
        os.close(w)

    writer = asyncio.create_task(answer_late())
    replies = await asyncio.wait_for(run_text_loop(dialogue, AnswerOutput(None, echo=seen.append), stream=stream), 20)
    await writer
    assert [r.kind for r in replies] == ["readback", "expired", "expired"]
    assert replies[1].text == "No confirmation within 0.3 seconds: the order was not sent."
    assert replies[2].text.startswith("Too late")
    assert engine.ledger.orders(limit=None) == []
    await engine.stop()
    engine.close()


async def test_stop_event_ends_the_typed_loop(dialogue):
    stream, w = pipe_with(None)
    stop = asyncio.Event()
    task = asyncio.create_task(run_text_loop(dialogue, AnswerOutput(None, echo=None), stream=stream, stop=stop))
    await asyncio.sleep(0.05)
    stop.set()
    assert await asyncio.wait_for(task, 5) == []
    os.close(w)


def _services(engine, config, input: str = "text") -> Services:
    return build_services(engine, config, RunOptions(lang_setting=config.language, input=input, speech=False))


async def test_run_front_end_typed_mode(engine, config, monkeypatch, capsys):
    stream, _ = pipe_with("status\n")
    monkeypatch.setattr(sys, "stdin", stream)
    services = _services(engine, config)
    await asyncio.wait_for(run_front_end(services), 30)
    out = capsys.readouterr().out
    assert 'Typed input: type a command, for example "buy 2 ES" or "help"' in out
    assert "MIA: Trading is active, paper mode" in out
    # the answer reached the run's command log (the dashboard shows it; copies go out through it)
    [record] = services.commands.recent()
    assert (record.transcript, record.source) == ("status", "text") and record.answer.startswith("Trading is active")
    await services.close()


async def test_run_front_end_without_microphone(engine, config, monkeypatch, capsys):
    # This machine has no sound device: "mic" is an error, "auto" falls back to typed input.
    await asyncio.wait_for(run_front_end(_services(engine, config, "mic")), 60)
    err = capsys.readouterr().err
    assert "Voice input unavailable" in err and "microphone" in err.lower()
    stream, _ = pipe_with("")
    monkeypatch.setattr(sys, "stdin", stream)
    await asyncio.wait_for(run_front_end(_services(engine, config, "auto")), 60)
    out = capsys.readouterr().out
    assert "No voice input" in out and "Typed input" in out
    await asyncio.wait_for(run_front_end(_services(engine, config, "none")), 5)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "tokens,expected",
    [(["text"], ("text", None)), (["mic"], ("mic", None)), (["wav", "a.wav"], ("wav", Path("a.wav")))],
)
def test_listen_input_option(tokens, expected):
    assert parse_input(tokens) == expected


@pytest.mark.parametrize("tokens,fragment", [(["wav"], "exactly one file"), (["mic", "x"], "takes no file"), (["radio"], "unknown input")])
def test_listen_input_option_errors(tokens, fragment):
    with pytest.raises(ListenUsageError) as err:
        parse_input(tokens)
    assert fragment in err.value.en and err.value.fr


def run_mia(args: list[str], stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`mia ...` in a subprocess."""
    code = "import sys, assistant.cli as cli\nsys.exit(cli.main(sys.argv[1:]))\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIA_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env=env)


def test_mia_listen_typed_through_a_pipe(tmp_path):
    proc = run_mia(["--data-dir", str(tmp_path), "listen", "--input", "text", "--no-speech"],
                   stdin="achète deux contrats ES\noui\nrésultat du jour\n")
    assert proc.returncode == 0, proc.stderr
    lines = [l for l in proc.stdout.splitlines() if l.startswith("MIA: ")]
    # The estimated risk comes from the ATR of the simulated market's recent bars, so its amount varies.
    assert re.fullmatch(r"MIA: Long 2 contrats ES au marché, risque estimé [\d\u202f,]+\u00a0\$\. Confirmez-vous \?", lines[0]), lines[0]
    assert lines[1].startswith("MIA: Exécuté : long 2 contrats ES à ")
    assert lines[2].startswith("MIA: Résultat du jour : ")
    ledger = Ledger(tmp_path / "ledger_paper.sqlite3")
    try:
        assert [(f.symbol, f.quantity) for f in ledger.fills()] == [("ES", 2)]
    finally:
        ledger.close()


def test_mia_listen_refuses_bad_inputs(tmp_path, capsys):
    from assistant.voice.listen import listen_command

    config = make_config(tmp_path)
    args = argparse.Namespace(lang="fr", input=["wav"], backend=None, device=None, no_speech=True, speak_to=None)
    assert listen_command(args, config) == 2
    assert "--input wav attend un seul fichier" in capsys.readouterr().err
    args = argparse.Namespace(lang="en", input=["wav", str(tmp_path / "nope.wav")], backend=None, device=None,
                              no_speech=True, speak_to=None)
    assert listen_command(args, config) == 2
    assert "Audio file not found" in capsys.readouterr().err
    assert not (tmp_path / "ledger_paper.sqlite3").exists()  # refused before any engine was opened


async def test_quit_word_ends_the_session_and_discards_what_is_pending(dialogue, engine):
    # A new user types "quit" rather than Ctrl-D; the pending read-back is dropped, never executed,
    # and the lines after it are not read.
    stream, _ = pipe_with("achète deux contrats ES\nQuitter\nmes positions\n")
    replies = await run_text_loop(dialogue, AnswerOutput(None, echo=None), stream=stream)
    assert [r.kind for r in replies] == ["readback", "cancelled"]
    assert engine.ledger.orders(limit=None) == []


def test_quit_words_are_whole_lines_only():
    from assistant.voice.loop import is_quit_line
    assert all(is_quit_line(t) for t in ("quit", "EXIT", "quitter.", " au revoir ! "))
    assert not any(is_quit_line(t) for t in ("quit trading", "exit ES", "arrête de trader", "stop"))


async def test_the_front_end_learns_how_the_input_ended(dialogue, engine):
    # mia run stops on a quit word (and on Ctrl-D at a terminal), not when a script's input runs out.
    ends: list[str] = []
    stream, _ = pipe_with("mes positions\nexit\n")
    await run_text_loop(dialogue, AnswerOutput(None, echo=None), stream=stream, on_end=ends.append)
    stream, _ = pipe_with("mes positions\n")
    await run_text_loop(dialogue, AnswerOutput(None, echo=None), stream=stream, on_end=ends.append)
    assert ends == ["quit", "eof"]
