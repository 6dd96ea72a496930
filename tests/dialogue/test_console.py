"""The terminal of `mia run` shows the conversation only (issue #13, item 5): one start-up line, what
MIA answers, spoken-alert lines, the closing line. Log records go to data/logs/<market>/*.log
(unless -v); `--log-level` sets their level."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from assistant.app.console import StartupSummary, alert_line, short_reason, summary_line
from trading_core.logs import parse_level, setup_logging

REPO = Path(__file__).resolve().parents[2]


def run_mia(args: list[str], stdin: str = "", timeout: float = 150) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIA_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=timeout, cwd=REPO, env=env)


def run_mia_until(args: list[str], stdin: str, last: str, timeout: float = 150) -> tuple[int, str, str]:
    """`mia run` typed a conversation, stopped with Ctrl-C once the line starting with `last` is printed
    (a fixed --duration waited 25 s whatever the machine's speed)."""
    import signal
    import threading

    env = {k: v for k, v in os.environ.items() if not k.startswith("MIA_")}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    timer = threading.Timer(timeout, proc.kill)  # a hung run fails the test instead of the suite
    timer.start()
    out: list[str] = []
    try:
        for line in proc.stdout:
            out.append(line)
            if line.startswith(last):
                proc.send_signal(signal.SIGINT)
        err = proc.stderr.read()
        code = proc.wait()
    finally:
        timer.cancel()
    return code, "".join(out), err


def test_mia_run_terminal_shows_only_the_conversation(tmp_path):
    code, stdout, stderr = run_mia_until(
        ["--data-dir", str(tmp_path), "run", "--input", "text", "--no-speech", "--duration", "120"],
        "buy ES\ntwo\nyes\nshow my positions\n", last="MIA: You have one position")
    assert code == 0, stderr
    assert stderr == ""  # no log record, no library warning
    lines = stdout.splitlines()
    startup = [l for l in lines if l.startswith("MIA paper · ES · active")]
    assert len(startup) == 1, lines
    assert "typed input" in startup[0] and "alerts: no channel configured" in startup[0]
    assert f"logs: {tmp_path / 'logs' / 'ES'} (INFO)" in startup[0]
    others = [l for l in lines if l not in startup]
    assert others[-1].startswith("Stopped. Snapshot: ")
    # piped input is read at once, yet no answer comes above the start-up line
    assert all(l.startswith("MIA (alert)") for l in lines[:lines.index(startup[0])]), lines
    # Everything else is the conversation or a spoken-alert line ("MIA (alert): CPU usage…" under load).
    assert all(l.startswith(("MIA: ", "MIA (alert): ")) for l in others[:-1]), others
    answers = [l for l in others if l.startswith("MIA: ")]
    assert answers[0] == "MIA: Buy ES: how many contracts?"
    assert answers[1].startswith("MIA: Buy 2 ES at market") and answers[2].startswith("MIA: Done: bought 2 ES")
    assert answers[3].startswith("MIA: You have one position: long 2 ES")
    log_dir = tmp_path / "logs" / "ES"
    assert (log_dir / "engine.log").read_text().count("FILL") >= 1


def test_mia_run_log_level_is_validated_and_documented(tmp_path):
    bad = run_mia(["--data-dir", str(tmp_path), "run", "--log-level", "chatty"])
    assert bad.returncode == 2 and "DEBUG, INFO, WARNING, ERROR" in bad.stderr
    assert "niveau de journalisation" in bad.stderr
    helptext = run_mia(["run", "--help"]).stdout
    assert "--log-level LEVEL" in helptext and "data/logs/<market>/" in helptext
    assert not (tmp_path / "ledger_paper.sqlite3").exists()  # refused before anything opened


def test_market_and_level_choose_the_log_folder_and_level(tmp_path):
    code, stdout, stderr = run_mia_until(["--data-dir", str(tmp_path), "run", "--market", "MNQ", "--log-level",
                                          "warning", "--input", "none", "--no-speech", "--duration", "60"],
                                         "", last="MIA paper · MNQ")
    assert code == 0, stderr
    assert "MIA paper · MNQ" in stdout and "(WARNING)" in stdout
    assert (tmp_path / "logs" / "MNQ").is_dir() and not (tmp_path / "logs" / "ES").exists()
    engine_log = tmp_path / "logs" / "MNQ" / "engine.log"
    assert not engine_log.exists() or " INFO " not in engine_log.read_text()


@pytest.fixture
def clean_logging():
    yield
    for name in ("mia", ""):
        logger = logging.getLogger(name)
        for h in list(logger.handlers):
            if type(h).__name__ == "ModuleFileHandler" or getattr(h, "_mia_console", False):
                logger.removeHandler(h)
                h.close()
    logging.captureWarnings(False)
    logging.getLogger("mia").setLevel(logging.NOTSET)


def test_library_records_and_python_warnings_go_to_other_log(tmp_path, capsys, clean_logging):
    log_dir = setup_logging(tmp_path, "ES", level=logging.DEBUG)
    logging.getLogger("aiogram.dispatcher").warning("a library warning")
    logging.getLogger("aiogram.dispatcher").info("library chatter below warning")
    logging.getLogger("mia.voice").debug("our debug line")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("JSGF 'en': 3 word(s) not in the dictionary", UserWarning)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    other = (log_dir / "other.log").read_text()
    assert "a library warning" in other and "not in the dictionary" in other
    assert "library chatter" not in other
    assert "our debug line" in (log_dir / "voice.log").read_text() and "our debug line" not in other


def test_verbose_shows_records_in_the_terminal(tmp_path, capsys, clean_logging):
    setup_logging(tmp_path, "ES", level=logging.INFO, console=True)
    logging.getLogger("mia.engine").info("visible with -v")
    assert "visible with -v" in capsys.readouterr().err


def test_parse_level():
    assert parse_level("debug") == logging.DEBUG and parse_level(" WARNING ") == logging.WARNING
    with pytest.raises(ValueError, match="DEBUG, INFO, WARNING, ERROR"):
        parse_level("loud")


async def test_startup_summary_collects_parts():
    summary = StartupSummary()
    summary.report("input", "typed input")
    assert not await summary.wait(0.01)
    summary.report("alerts", "alerts: telegram")
    assert await summary.wait(0.01)
    line = summary_line("fr", mode="paper", market="ES", state="HALTED", parts=summary.parts,
                        log_dir="data/logs/ES", log_level="INFO")
    assert line == ("MIA papier · ES · arrêté · typed input · alerts: telegram · journaux : data/logs/ES (INFO)"
                    " · Ctrl-C pour arrêter")
    assert short_reason("No microphone is available. Plug one in.") == "No microphone is available"
    assert alert_line("Trading halted.", "en") == "MIA (alert): Trading halted."
    assert alert_line("Trading arrêté.", "fr") == "MIA (alerte) : Trading arrêté."


async def test_typed_input_waits_for_the_startup_line():
    import asyncio

    summary = StartupSummary()
    waiter = asyncio.create_task(summary.until_shown(5.0))
    await asyncio.sleep(0.01)
    assert not waiter.done()  # the conversation waits for the line
    summary.shown()
    await asyncio.wait_for(waiter, 1.0)
    await asyncio.wait_for(StartupSummary().until_shown(0.01), 1.0)  # a line that never comes does not block


class _Terminal:
    """A text stream that says it is a terminal (or not), recording what is written."""

    def __init__(self, tty: bool) -> None:
        self.tty, self.written = tty, ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        self.written += text
        return len(text)

    def flush(self) -> None:
        pass


def test_an_alert_printed_while_the_prompt_waits_goes_above_it():
    from assistant.voice.loop import WaitingPrompt

    prompt, term = WaitingPrompt(), _Terminal(tty=True)
    prompt.print_line("MIA (alert): CPU usage critical.", term)  # no prompt waiting: a plain line
    prompt.text = "> "
    prompt.print_line("MIA (alerte) : Utilisation du processeur critique.", term)
    # the waiting "> " erased (carriage return, erase line), the alert, the prompt again below it
    assert term.written == ("MIA (alert): CPU usage critical.\n"
                            "\r\x1b[KMIA (alerte) : Utilisation du processeur critique.\n> ")
    assert prompt.clear(term) and term.written.endswith("> \r\x1b[K")
    prompt.redraw(term)
    assert term.written.endswith("\r\x1b[K> ")
    # piped output (a log, a test) gets plain lines and no escape codes
    piped = _Terminal(tty=False)
    prompt.print_line("MIA (alert): CPU usage critical.", piped)
    assert not prompt.clear(piped) and piped.written == "MIA (alert): CPU usage critical.\n"
