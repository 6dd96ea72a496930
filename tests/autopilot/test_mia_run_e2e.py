"""`mia run --autopilot propose` end to end, as a trader sees it: the real command on the synthetic feed,
typed French input through a pipe. Proposals are read back, nothing is sent before "oui", exactly one
bracket after it; `mia autopilot status` answers through the control socket; after kill -9 with a
proposal pending, the restart says the mode is restored and the proposal is expired (never executed);
a halt turns the autopilot off and says so."""
from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from trading_core.autopilot.models import bundle_dir
from trading_core.autopilot.types import ReasonCode, SignalDecision
from trading_core.ledger import Ledger

ROOT = Path(__file__).resolve().parents[2]
MIA = [sys.executable, "-m", "assistant.cli"]
# Thresholds that make the pipeline propose within seconds on the simulated market (the behaviour under
# test is the fronts, not the edge); market hours off so that the run trades whatever the clock says.
SETTINGS = {
    # 20 one-minute bars a second: the autopilot's first proposal waits for its features' 390-bar warm-up
    # on live bars (the replayed history does not count), 39 s of the test at 600, 20 s at 1200; the
    # next proposal a few seconds later. A "oui" overtaken by a newer proposal is retried
    # (`confirm_the_proposal`).
    "feed": {"speed": 1200},
    # one contract per signal and no loss limit in the way: a gap through a stop must not halt this run
    "risk": {"enforce_trading_hours": False, "max_order_size": 1, "daily_loss_limit": 1_000_000},
    "dialogue": {"confirm_timeout_s": 90},
    "autopilot": {"model_type": "none", "filter_threshold": 0.0, "reward_risk": 4.0, "long_threshold": 0.05,
                  "short_threshold": -0.05, "min_confidence": 0.5, "rearm_bars": 3, "min_history_bars": 60,
                  "history_bars": 800, "catastrophe": {"enabled": False}},
}


class Run:
    """One `mia run` child: typed lines in, printed lines out (read by a thread)."""

    def __init__(self, cfg: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [*MIA, "--config", str(cfg), "--lang", "fr", "run", "--input", "text", "--no-speech", "--duration", "400",
             *extra], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1"))
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_line(self, pattern: str, timeout: float = 150.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r}; output so far:\n" + "\n".join(self.seen[-40:]))

    def type(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def ledger_signals(data: Path) -> list:
    led = Ledger(data / "ledger_paper.sqlite3", checkpoint_interval_s=None)
    try:
        return led.autopilot_signals(limit=None)
    finally:
        led.close()


def parent_orders(data: Path) -> list:
    led = Ledger(data / "ledger_paper.sqlite3", checkpoint_interval_s=None)
    try:
        return [o for o in led.orders(limit=None) if o.parent_id is None]
    finally:
        led.close()


def mia(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MIA, "--config", str(cfg), "--lang", "fr", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def mia_started(cfg: Path, *args: str) -> subprocess.Popen[str]:
    """`mia(...)` started, not waited for: its answer is read later with `.communicate(timeout=60)`."""
    return subprocess.Popen([*MIA, "--config", str(cfg), "--lang", "fr", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))


PROPOSAL = r"Signal du pilote automatique : (long|short) \d+ ES .*Confirmez-vous \?"
TAKEN = r"Signal confirmé\. Pilote automatique : (achat|vente) de \d+ ES au marché"
TOO_LATE = r"Ce signal est .* ; rien n'a été envoyé"


def confirm_the_proposal(run: Run, data: Path) -> str:
    """Say "oui" to the proposal just read back; returns MIA's "Signal confirmé" line. The autopilot decides at
    once while the conversation answers in turn: a proposal replaced between its read-back and the "oui" (new
    proposals can come every few bars; under load the answer waits) is refused, nothing sent, and the next
    proposal is answered the same way. A yes never goes to another proposal than the one it answers."""
    for _ in range(5):
        run.type("oui")
        line = run.wait_line(f"{TAKEN}|{TOO_LATE}")
        if re.search(TAKEN, line):
            return line
        assert parent_orders(data) == []  # the refused "oui" sent nothing
        run.wait_line(PROPOSAL)
    raise AssertionError("five proposals in a row were replaced before their 'oui' was read:\n" + "\n".join(run.seen[-40:]))


@pytest.mark.slow
def test_propose_confirm_kill9_restart_halt_through_mia_run(tmp_path, bundle):
    data = tmp_path / "data"
    bundle.save(bundle_dir(data, "ES"))
    cfg = tmp_path / "mia.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(data), **SETTINGS}), encoding="utf-8")

    run = Run(cfg, "--autopilot", "propose")
    try:
        run.wait_line(r"^MIA: Pilote automatique en mode proposition\.")
        first = run.wait_line(PROPOSAL)
        assert "objectif" in first and "confiance" in first
        assert parent_orders(data) == []  # nothing before the trader's word
        # The status command starts a Python process (seconds under load): it runs beside the answer, which
        # is typed at once, while the proposal is fresh.
        status = mia_started(cfg, "autopilot", "status")
        confirm_the_proposal(run, data)
        status_out, _ = status.communicate(timeout=60)
        assert status.returncode == 0 and "Pilote automatique en mode proposition sur ES" in status_out
        (parent,) = parent_orders(data)
        assert parent.client_order_id.startswith("ap-") and parent.source == "autopilot"
        executed = [s for s in ledger_signals(data) if s.decision is SignalDecision.EXECUTED]
        assert [f"ap-{s.signal_id}" for s in executed] == [parent.client_order_id]
        # the next proposal is left waiting, and MIA is killed
        run.wait_line(r"Signal du pilote automatique : .*Confirmez-vous \?")
        run.proc.kill()
        run.proc.wait(10)
    finally:
        run.stop()
    # Read after the kill: the ledger as the restart finds it (read before, a newer proposal could replace the
    # one read between the read and the kill, and the restart would rightly not expire it).
    waiting = [s.signal_id for s in ledger_signals(data) if s.decision is SignalDecision.PROPOSED]
    assert len(waiting) == 1

    run = Run(cfg)  # no --autopilot: the last mode comes back
    try:
        run.wait_line(r"^MIA: Pilote automatique en mode proposition \(repris de la dernière session\)\.")
        stale = {s.signal_id: s for s in ledger_signals(data)}[waiting[0]]
        assert stale.decision is SignalDecision.EXPIRED and stale.reason_code == ReasonCode.EXPIRED_RESTART.value
        assert len(parent_orders(data)) <= 2  # the first bracket, and maybe its closing exit; nothing from `waiting`
        assert all(o.client_order_id != f"ap-{waiting[0]}" for o in parent_orders(data))
        run.type("arrête tout")
        # the halt's read-back, not a proposal's question (a proposal may come in first after the restart)
        run.wait_line(r"Arrêter le trading : .*Confirmez-vous \?")
        run.type("oui")
        run.wait_line(r"Pilote automatique désactivé : le trading a été arrêté")
        assert "désactivé" in mia(cfg, "autopilot", "status").stdout
    finally:
        run.stop()
    assert mia(cfg, "autopilot", "status").returncode == 3  # no mia run any more: said, exit 3
