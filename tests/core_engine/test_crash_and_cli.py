"""Process-level behaviour: kill -9 mid-burst, the CLI's exit codes and messages, SIGINT snapshots."""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import datetime, timedelta, timezone
    from trading_core.api import Engine
    from trading_core.broker.paper import PaperBroker
    from trading_core.clock import MarketClock
    from trading_core.config import load_config
    from trading_core.instruments import get_instrument
    from trading_core.types import OrderRequest, Side

    async def main(data_dir):
        cfg = load_config(env={}, overrides={"data_dir": data_dir, "risk": {"max_orders_per_minute": 10000, "max_consecutive_losses": 100,
                          "max_position_per_symbol": 10000, "max_total_position": 10000}})
        broker = PaperBroker(get_instrument, slippage_ticks=1, commission_per_contract=cfg.paper.commission_per_contract)
        engine = Engine(cfg, broker, clock=MarketClock(), mode="paper")
        await engine.start(run_feed=False)
        t = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)
        engine.on_price("ES", 6000.0, t)
        i = 0
        while True:
            side = Side.BUY if i % 3 else Side.SELL
            res = await engine.place_order(OrderRequest("ES", side, 1 + i % 2, client_order_id=f"burst-{i}"))
            t += timedelta(seconds=1)
            engine.on_price("ES", 6000.0 + (i % 7) * 0.25, t)
            print(i, res.order.order_id, flush=True)
            i += 1

    asyncio.run(main(sys.argv[1]))
    """
)


def test_kill_9_mid_burst_then_restart_keeps_exactly_what_was_committed(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([PY, str(script), str(tmp_path)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    seen: list[str] = []
    deadline = time.time() + 60
    while len(seen) < 150 and time.time() < deadline:
        line = proc.stdout.readline()
        if line:
            seen.append(line.split()[1])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(seen) >= 150

    import asyncio

    from trading_core.api import Engine
    from trading_core.broker.paper import PaperBroker
    from trading_core.clock import MarketClock
    from trading_core.config import load_config
    from trading_core.instruments import get_instrument
    from trading_core.types import OrderRequest, Side

    async def check():
        cfg = load_config(env={}, overrides={"data_dir": str(tmp_path)})
        engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
        await engine.start(run_feed=False)
        orders = {o.order_id: o for o in engine.ledger.orders(limit=None)}
        # every order the child reported as placed was committed
        assert set(seen) <= set(orders)
        fills = engine.ledger.fills()
        # every fill belongs to a recorded order, and the order's filled quantity matches its fills
        for f in fills:
            assert f.order_id in orders
        for oid, o in orders.items():
            assert o.filled_quantity == sum(f.quantity for f in fills if f.order_id == oid)
        # the position is exactly the sum of the committed fills
        expected = sum(f.quantity * f.side.sign for f in fills)
        pos = {p.symbol: p.quantity for p in await engine.positions()}
        assert pos.get("ES", 0) == expected
        # replaying the same client ids never makes a second order
        n_before = engine.ledger.order_count()
        res = await engine.place_order(OrderRequest("ES", Side.BUY, 1, client_order_id="burst-3"))
        assert res.duplicate and engine.ledger.order_count() == n_before
        await engine.stop()
        engine.close()

    asyncio.run(check())


def mia(*args: str, env: dict[str, str] | None = None, timeout: float = 120, input: str | None = None) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith("MIA_")}
    e.update(env or {})
    return subprocess.run([PY, "-m", "assistant.cli", *args], cwd=ROOT, env=e, capture_output=True, text=True, timeout=timeout, input=input)


def test_cli_help_lists_every_command():
    out = mia("--help")
    assert out.returncode == 0
    for cmd in ("run", "order", "close", "positions", "status", "halt", "resume", "replay", "risk", "pnl", "metrics"):
        assert cmd in out.stdout


def test_cli_bad_config_value_exits_2_naming_key_value_and_allowed(tmp_path):
    out = mia("--data-dir", str(tmp_path), "status", env={"MIA_RISK__MAX_ORDER_SIZE": "0"})
    assert out.returncode == 2
    assert "risk.max_order_size" in out.stderr and "0" in out.stderr and "greater than or equal to 1" in out.stderr


def test_cli_unknown_config_key_and_bad_yaml_exit_2(tmp_path):
    bad = tmp_path / "user.yaml"
    bad.write_text("risk:\n  max_ordr_size: 3\n")
    out = mia("--config", str(bad), "--data-dir", str(tmp_path), "status")
    assert out.returncode == 2 and "risk.max_ordr_size" in out.stderr
    bad.write_text("risk: [unclosed\n")
    out = mia("--config", str(bad), "--data-dir", str(tmp_path), "status")
    assert out.returncode == 2 and "YAML" in out.stderr


def test_cli_order_one_shot_then_positions(tmp_path):
    out = mia("--data-dir", str(tmp_path), "order", "buy", "2", "ES", "--yes")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "estimated risk" in out.stdout and "accepted" in out.stdout
    pos = mia("--data-dir", str(tmp_path), "positions")
    assert pos.returncode == 0 and "ES" in pos.stdout and " 2 " in pos.stdout


@pytest.mark.parametrize(
    "args,needle",
    [
        (("order", "buy", "0", "ES", "--yes"), "0"),
        (("order", "buy", "10000", "ES", "--yes"), "10"),
        (("order", "buy", "1", "ZZ", "--yes"), "ZZ"),
    ],
)
def test_cli_refusals_are_explained_and_exit_non_zero(tmp_path, args, needle):
    out = mia("--data-dir", str(tmp_path), *args)
    assert out.returncode == 3, out.stdout + out.stderr
    assert "refused" in out.stdout.lower() or "unknown" in out.stdout.lower()
    assert needle in out.stdout


def test_cli_order_needs_confirmation_without_a_terminal(tmp_path):
    out = mia("--data-dir", str(tmp_path), "order", "buy", "1", "ES", input="")
    assert out.returncode == 1 and "--yes" in out.stdout


def test_cli_french_answers(tmp_path):
    out = mia("--lang", "fr", "--data-dir", str(tmp_path), "order", "buy", "10000", "ES", "--yes")
    assert out.returncode == 3 and "refusé" in out.stdout.lower()


def test_run_answers_control_socket_and_writes_snapshot_on_sigint(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MIA_")}
    proc = subprocess.Popen(
        [PY, "-m", "assistant.cli", "--data-dir", str(tmp_path), "run", "--paper", "--input", "none", "--no-speech", "--speed", "600"],
        cwd=ROOT, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.time() + 60
        sock = tmp_path / "run" / "mia.sock"
        while not sock.exists() and time.time() < deadline:
            time.sleep(0.1)
        assert sock.exists(), proc.stderr.read() if proc.poll() is not None else "no socket"
        time.sleep(1.0)
        status = mia("--data-dir", str(tmp_path), "status")
        assert status.returncode == 0 and "ACTIVE" in status.stdout and "synthetic" in status.stdout
        while True:  # orders wait for the first live price after the warm-up (a few seconds on a busy machine)
            order = mia("--data-dir", str(tmp_path), "order", "buy", "1", "ES", "--yes")
            if "no current price" not in order.stdout or time.time() > deadline:
                break
            time.sleep(0.5)
        assert order.returncode == 0, order.stdout + order.stderr
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    snaps = list((tmp_path / "cache" / "engine" / "ES").glob("sigint_*.json.gz"))
    assert len(snaps) == 1
    data = json.loads(gzip.decompress(snaps[0].read_bytes()))
    assert data["state"] == "ACTIVE" and data["mode"] == "paper"
    assert (tmp_path / "logs" / "ES" / "engine.log").exists()


def test_cli_replay_prints_metrics_in_both_languages_and_refuses_a_missing_file(tmp_path):
    data = ROOT.parent / "shared" / "data" / "market" / "intraday" / "es_1m_2023-09-24_2023-10-09_firstrate-sample.csv.gz"
    if not data.exists():
        pytest.skip("shared market data not beside the checkout")
    en = mia("--data-dir", str(tmp_path), "replay", str(data), "--strategy", "breakout", "--no-progress")
    assert en.returncode == 0, en.stderr
    assert "kernel" in en.stdout and "net P&L " in en.stdout and "refused by the risk gate" in en.stdout
    fr = mia("--lang", "fr", "--data-dir", str(tmp_path), "replay", str(data), "--strategy", "breakout", "--no-progress")
    assert fr.returncode == 0 and "P&L net" in fr.stdout and "capital final" in fr.stdout
    # the same net P&L whatever the language
    # one money formatter: "-$2,262.25" / "-2 262,25 $"
    net_en = en.stdout.split("net P&L ")[1].split()[0].replace("$", "").replace(",", "")
    net_fr = fr.stdout.split("P&L net ")[1].split("\u00a0$")[0].replace("\u202f", "").replace(",", ".")
    assert float(net_en) == float(net_fr)
    missing = mia("--data-dir", str(tmp_path), "replay", str(tmp_path / "nope.csv.gz"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
