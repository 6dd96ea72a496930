"""Issue #15 through the `mia` command, as a new user (and a careless one) runs it: a restart never
trades on history (1), one-shot close / kill switch wait for their fills (3), close and halt are read
back and confirmed, the confirmation pins what it read and expires (4), bad input is refused (10),
failures are messages, not tracebacks (11), money files are owner-only (13)."""
from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import pty
import select
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from trading_core.ledger import Ledger

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
MARKET = ROOT.parent / "shared" / "data" / "market" / "intraday" / "es_1m_2023-09-24_2023-10-09_firstrate-sample.csv.gz"


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("MIA_")}
    e.update(extra or {})
    return e


def mia(data: Path, *args: str, env: dict[str, str] | None = None, input: str | None = "",
        timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "assistant.cli", "--data-dir", str(data), *args], cwd=ROOT, env=_env(env),
                          capture_output=True, text=True, timeout=timeout, input=input)


def ledger_of(data: Path) -> Ledger:
    return Ledger(data / "ledger_paper.sqlite3", checkpoint_interval_s=None)


# ------------------------------------------------------------------ item 1: restart and warm-up
def test_issue_repro_a_restart_keeps_the_position_and_never_marks_history(tmp_path):
    # A wide loss limit so that a real market move in the ten live minutes cannot halt the run: what
    # is checked is that nothing is marked, filled or checked at hours-old prices.
    env = {"MIA_RISK__DAILY_LOSS_LIMIT": "100000"}
    buy = mia(tmp_path, "order", "--yes", "buy", "2", "ES", env=env)
    assert buy.returncode == 0 and "Filled 2" in buy.stdout, buy.stdout + buy.stderr
    with ledger_of(tmp_path) as ledger:
        [entry] = ledger.fills()
    run = mia(tmp_path, "run", "--input", "none", "--no-speech", "--duration", "8", env=env)
    assert run.returncode == 0, run.stderr
    status = mia(tmp_path, "status", env=env)
    assert "Trading state: ACTIVE" in status.stdout and "Open positions: 1; working orders: 0" in status.stdout
    with ledger_of(tmp_path) as ledger:
        assert ledger.net_positions() == {"ES": 2} and len(ledger.fills()) == 1
        kinds = {e.kind.value for e in ledger.events(limit=None)}
        assert "RISK_BREACH" not in kinds and "ORDER_CANCELLED" not in kinds
        # the run marked live prices only: no equity point before the position was bought
        assert min(p.ts for p in ledger.equity_curve()) >= entry.ts - timedelta(minutes=1)


# ------------------------------------------------------------------ items 3 and 4: close and halt
def test_close_and_kill_switch_are_confirmed_and_wait_for_their_fills(tmp_path):
    assert mia(tmp_path, "order", "--yes", "buy", "2", "ES").returncode == 0
    refused = mia(tmp_path, "close")  # stdin is not a terminal and there is no --yes
    assert refused.returncode == 1
    assert "Close all positions: long 2 ES" in refused.stdout and "--yes" in refused.stdout
    assert "Nothing was done" in refused.stdout
    with ledger_of(tmp_path) as ledger:
        assert ledger.net_positions() == {"ES": 2} and len(ledger.orders(limit=None)) == 1

    closed = mia(tmp_path, "close", "--yes")
    assert closed.returncode == 0, closed.stdout + closed.stderr
    assert "sell 2 ES filled at" in closed.stdout and "Flat." in closed.stdout
    with ledger_of(tmp_path) as ledger:
        assert ledger.net_positions() == {} and ledger.open_orders() == []  # nothing left working

    assert mia(tmp_path, "order", "--yes", "buy", "1", "MNQ").returncode == 0
    halt = mia(tmp_path, "--lang", "fr", "halt", "--flatten")
    assert halt.returncode == 1 and "Arrêt d'urgence" in halt.stdout and "Rien n'a été fait" in halt.stdout
    kill = mia(tmp_path, "halt", "--flatten", "--yes")
    assert kill.returncode == 0, kill.stdout + kill.stderr
    assert "Kill switch" in kill.stdout and "sell 1 MNQ filled at" in kill.stdout and "Flat." in kill.stdout
    status = mia(tmp_path, "status")
    assert "HALTED" in status.stdout and "Open positions: 0; working orders: 0" in status.stdout
    again = mia(tmp_path, "halt")
    assert again.returncode == 0 and "already halted" in again.stdout


def _pty_mia(data: Path, args: list[str], env: dict[str, str], answer: bytes | None, answer_after: float = 0.0,
             timeout: float = 60.0) -> tuple[int, str]:
    """Run `mia` on a pseudo-terminal (a person at a keyboard); type `answer` once asked."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([PY, "-m", "assistant.cli", "--data-dir", str(data), *args], cwd=ROOT, env=_env(env),
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    asked = False
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                out += chunk
            if not asked and (b"Confirm?" in out or b"Confirmez-vous" in out):
                asked = True
                if answer is not None:
                    time.sleep(answer_after)
                    os.write(master, answer)
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        while True:
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return proc.returncode, out.decode(errors="replace")


def test_a_typed_confirmation_expires_like_a_spoken_one(tmp_path):
    env = {"MIA_DIALOGUE__CONFIRM_TIMEOUT_S": "1"}
    code, out = _pty_mia(tmp_path, ["order", "buy", "1", "ES"], env, answer=None)
    assert code == 1 and "Too late: no confirmation within 1 s. Nothing was done." in out, out
    code, out = _pty_mia(tmp_path, ["order", "buy", "1", "ES"], env, answer=b"n\n")
    assert code == 1 and "Cancelled. Nothing was done." in out, out
    with ledger_of(tmp_path) as ledger:
        assert ledger.orders(limit=None) == []
    code, out = _pty_mia(tmp_path, ["--lang", "fr", "close", "all"], {}, answer=None, timeout=20)
    assert code == 0 and "Rien à fermer." in out  # nothing to close: nothing asked
    code, out = _pty_mia(tmp_path, ["order", "buy", "1", "ES"], {}, answer=b"y\n")
    assert code == 0 and "Filled 1" in out, out


async def test_the_confirmation_sends_what_was_read_back(tmp_path):
    """`--risk` is sized once, at the read-back: a market that moves before "yes" (here: a much
    wider ATR) changes nothing, and the client order id is the one chosen at the read-back."""
    from assistant.cli import _drive
    from assistant.cli.control import OpContext
    from assistant.cli.ops import OPS
    from trading_core.api import Engine
    from trading_core.broker.paper import PaperBroker
    from trading_core.clock import MarketClock
    from trading_core.config import load_config
    from trading_core.instruments import get_instrument
    from trading_core.types import Bar

    cfg = load_config(env={}, overrides={"data_dir": str(tmp_path)})
    engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
    await engine.start(run_feed=False)
    t0 = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)

    def bars(width: float, start: datetime) -> None:
        for i in range(40):
            ts = start + timedelta(minutes=i)
            engine.on_bar(Bar("ES", ts, 6000.0, 6000.0 + width, 6000.0 - width, 6000.0, 100))

    bars(1.0, t0)
    seen: dict[str, object] = {}

    async def do(name: str, a: dict) -> object:
        res = await OPS[name](OpContext(engine), a, "en")
        if name == "preview":
            seen["preview"] = res.data
            bars(10.0, t0 + timedelta(minutes=40))  # the market turns ten times wilder before "yes"
        else:
            seen["sent"] = a
        return res

    ticker = asyncio.create_task(_tick(engine))
    try:
        args = argparse.Namespace(yes=True)
        op_args = {"side": "buy", "quantity": None, "symbol": "ES", "risk_percent": 1.0, "source": "cli"}
        assert await _drive("order", op_args, args, cfg, "en", True, do) == 0
        preview = seen["preview"]
        assert seen["sent"]["quantity"] == preview["quantity"] and seen["sent"]["risk_percent"] is None
        [order] = engine.ledger.orders(limit=None)
        assert order.quantity == preview["quantity"] and order.client_order_id == preview["client_order_id"]
        # the same request sized now (after the move) would have been another quantity
        later = await engine.preview_order(__import__("assistant.cli.ops", fromlist=["x"]).order_request_from_args(op_args))
        assert later.quantity != preview["quantity"]
    finally:
        ticker.cancel()
        await engine.stop()
        engine.close()


async def test_close_and_halt_execute_the_engine_preview_they_read_back(tmp_path):
    """`mia close` / `mia halt` read back the engine's own preview and the confirmation executes that
    preview (by its token), never a new selection: when the book moved in between, nothing is done."""
    from assistant.cli import _drive
    from assistant.cli.control import OpContext
    from assistant.cli.ops import OPS
    from trading_core.api import Engine
    from trading_core.broker.paper import PaperBroker
    from trading_core.clock import MarketClock
    from trading_core.config import load_config
    from trading_core.instruments import get_instrument
    from trading_core.types import OrderRequest, OrderType, Side, TradingState

    cfg = load_config(env={}, overrides={"data_dir": str(tmp_path)})
    engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
    await engine.start(run_feed=False)
    engine.on_price("ES", 6000.0, datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc))
    ticker = asyncio.create_task(_tick(engine))
    printed: list[str] = []
    try:
        assert (await engine.place_order(OrderRequest("ES", Side.BUY, 1), wait_fill=2.0)).fills
        moved = {"done": False}

        async def do(name: str, a: dict) -> object:
            res = await OPS[name](OpContext(engine), a, "en")
            printed.append(res.text)
            if name == "preview_close" and not moved["done"]:
                moved["done"] = True  # another fill lands between the read-back and the "yes"
                assert (await engine.place_order(OrderRequest("ES", Side.BUY, 1), wait_fill=2.0)).fills
            return res

        args = argparse.Namespace(yes=True)
        assert await _drive("close", {"symbol": "ES"}, args, cfg, "en", True, do) == 3
        assert printed[0] == "Close the ES position: long 1 ES."
        assert printed[1].startswith("The positions changed since the read-back (long 1 ES then, long 2 ES now). "
                                     "Nothing was done")
        assert [(p.symbol, p.quantity) for p in await engine.positions()] == [("ES", 2)]
        # asked again: the new read-back, confirmed, is executed with the client id it pinned
        printed.clear()
        assert await _drive("close", {"symbol": "ES"}, args, cfg, "en", True, do) == 0
        assert printed[0] == "Close the ES position: long 2 ES." and "Flat." in printed[1]
        # a halt names the entry orders it cancels, and cancels them
        entry = await engine.place_order(OrderRequest("ES", Side.BUY, 1, order_type=OrderType.LIMIT, limit_price=5990.0))
        printed.clear()
        assert await _drive("halt", {"flatten": False}, args, cfg, "en", True, do) == 0
        assert printed[0] == ("Halt trading: no new order will be accepted, 1 working order will be cancelled; "
                              "you have no open position.")
        assert engine.state is TradingState.HALTED and engine.order(entry.order.order_id).status.is_final
        # a read-back token is used once
        assert (await OPS["close"](OpContext(engine), {"symbol": "ES", "readback": "not-a-token"}, "en")).exit == 3
    finally:
        ticker.cancel()
        await engine.stop()
        engine.close()


def test_reduce_only_from_the_command_line(tmp_path):
    assert mia(tmp_path, "order", "--yes", "buy", "2", "ES").returncode == 0
    asked = mia(tmp_path, "reduce")  # no terminal, no --yes: read back, nothing done
    assert asked.returncode == 1 and "Reduce-only mode: only orders that shrink positions" in asked.stdout
    assert "Nothing was done" in asked.stdout
    done = mia(tmp_path, "--lang", "fr", "reduce", "--yes")
    assert done.returncode == 0 and "Mode réduction seule (état précédent ACTIVE)" in done.stdout, done.stdout
    assert "REDUCING" in mia(tmp_path, "status").stdout
    more = mia(tmp_path, "order", "--yes", "buy", "1", "ES")
    assert more.returncode == 3 and "reduce-only mode" in more.stdout
    less = mia(tmp_path, "order", "--yes", "sell", "1", "ES")
    assert less.returncode == 0, less.stdout
    again = mia(tmp_path, "reduce")
    assert again.returncode == 0 and "already on" in again.stdout
    assert "Trading resumed (was REDUCING)" in mia(tmp_path, "resume").stdout


async def _tick(engine) -> None:
    ts = engine.clock.now()
    while True:
        await asyncio.sleep(0.01)
        ts += timedelta(seconds=1)
        engine.on_price("ES", 6000.0, ts)


# ------------------------------------------------------------------ item 10: input validation
async def test_control_socket_refuses_what_is_not_an_order(tmp_path):
    from assistant.cli import control
    from assistant.cli.control import OpContext
    from assistant.cli.ops import OPS
    from trading_core.api import Engine
    from trading_core.broker.paper import PaperBroker
    from trading_core.clock import MarketClock
    from trading_core.config import load_config
    from trading_core.instruments import get_instrument

    cfg = load_config(env={}, overrides={"data_dir": str(tmp_path)})
    engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
    await engine.start(run_feed=False)
    engine.on_price("ES", 6000.0, datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc))
    server = control.ControlServer(engine, OPS, control.socket_path(tmp_path))
    await server.start()
    sock = control.socket_path(tmp_path)
    try:
        base = {"side": "buy", "quantity": 1, "symbol": "ES"}
        for bad, needle, code in [
            ({"side": "hold"}, "'hold' is not a side", 2),
            ({"side": None}, "is not a side", 2),
            ({"quantity": 1.5}, "whole number of contracts, not 1.5", 2),
            ({"quantity": "two"}, "whole number of contracts", 2),
            ({"quantity": True}, "whole number of contracts", 2),
            ({"quantity": -3}, "at least 1 contract, not -3", 3),
            ({"limit": 1e308}, "far too large to be a price", 3),
            ({"limit": float("nan")}, "is not a price above zero", 2),
            ({"limit": "inf"}, "is not a price above zero", 2),
            ({"stop": -1}, "is not a price above zero", 2),
        ]:
            res = await control.call(sock, "order", base | bad, "en")
            assert not res.ok and res.exit == code and needle in res.text, (bad, res.text)
        fr = await control.call(sock, "order", base | {"side": "hold"}, "fr")
        assert "n'est pas un sens" in fr.text
        assert engine.ledger.orders(limit=None) == [] or all(o.status.value == "REJECTED" for o in engine.ledger.orders(limit=None))
        assert engine.portfolio.net_quantity("ES") == 0  # nothing was ever sold or bought
        first = await control.call(sock, "order", base | {"client_order_id": "k-1"}, "en")
        same = await control.call(sock, "order", base | {"client_order_id": "k-1"}, "en")
        other = await control.call(sock, "order", base | {"quantity": 3, "client_order_id": "k-1"}, "en")
        assert first.ok and same.ok and "already received" in same.text
        assert not other.ok and other.exit == 3 and "already used for a different order" in other.text
    finally:
        await server.stop()
        await engine.stop()
        engine.close()


def test_cli_refuses_absurd_prices_and_a_reused_client_id(tmp_path):
    huge = mia(tmp_path, "order", "--yes", "buy", "1", "ES", "--limit", "1e308")
    assert huge.returncode == 3 and "far too large to be a price" in huge.stdout and "Traceback" not in huge.stderr
    for text in ("nan", "inf", "-5"):
        bad = mia(tmp_path, "order", "--yes", "buy", "1", "ES", "--limit", text)
        assert bad.returncode == 2 and "a price must be a number above zero" in bad.stderr, bad.stderr
    assert mia(tmp_path, "order", "--yes", "buy", "1", "ES", "--client-id", "abc").returncode == 0
    other = mia(tmp_path, "order", "--yes", "buy", "3", "ES", "--client-id", "abc")
    assert other.returncode == 3 and "already used for a different order" in other.stdout
    with ledger_of(tmp_path) as ledger:
        assert ledger.net_positions() == {"ES": 1}


# ------------------------------------------------------------------ item 11: messages, not tracebacks
def test_bad_files_and_folders_are_messages_not_tracebacks(tmp_path):
    data = tmp_path / "data"
    rand = tmp_path / "random.csv"
    rand.write_bytes(os.urandom(4000).replace(b"\n", b"\r"))
    out = mia(data, "replay", str(rand))
    assert out.returncode == 2 and "is not a CSV bar file" in out.stderr and "Traceback" not in out.stderr

    afile = tmp_path / "a-file"
    afile.write_text("x")
    out = mia(afile, "status")
    assert out.returncode == 2 and "is a file, not a folder" in out.stderr and "Traceback" not in out.stderr

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "ledger_paper.sqlite3").write_bytes(b"this is not a database" * 100)
    out = mia(broken, "status")
    assert out.returncode == 2 and "damaged or not a MIA ledger" in out.stderr and "Traceback" not in out.stderr
    assert "le registre ne peut pas être utilisé" in out.stderr


@pytest.mark.skipif(not MARKET.exists(), reason="shared market data not beside the checkout")
def test_replay_refuses_a_truncated_gzip_and_skips_a_stray_quote(tmp_path):
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(MARKET.read_bytes()[:20_000])
    out = mia(tmp_path, "replay", str(cut), "--no-progress")
    assert out.returncode == 2 and "truncated compressed file" in out.stderr and "nothing was replayed" in out.stderr
    lines = gzip.decompress(MARKET.read_bytes()).decode().splitlines()[:1500]
    lines.insert(700, '2023-09-25T09:00:00Z,"2023-09-25T05:00:00-04:00,4400,4401,4399,4400,10')
    quoted = tmp_path / "quote.csv"
    quoted.write_text("\n".join(lines) + "\n")
    out = mia(tmp_path, "replay", str(quoted), "--no-progress")
    assert out.returncode == 0, out.stderr
    assert "corrupt rows skipped 1 {'malformed_row': 1}" in out.stdout


def test_status_into_a_closed_pipe_is_quiet(tmp_path):
    mia(tmp_path, "status")  # create the ledger first
    proc = subprocess.Popen(f"{PY} -m assistant.cli --data-dir {tmp_path} status | head -1", shell=True, cwd=ROOT,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=60)
    assert out.startswith("Mode:") and "Traceback" not in err and "BrokenPipe" not in err, err


DYING_RUN = textwrap.dedent(
    """
    import asyncio, os, sys
    from assistant.cli import control
    from assistant.cli.control import OpContext
    from assistant.cli.ops import OPS
    from trading_core.api import Engine
    from trading_core.config import load_config

    async def main(data_dir, when):
        cfg = load_config(env={}, overrides={"data_dir": data_dir})
        engine = Engine.from_config(cfg, realtime=False)
        await engine.start(run_feed=False)
        await engine.prime_market()
        asyncio.create_task(engine.pump_last_prices())
        ops = dict(OPS)

        async def dying(engine, args, lang):
            if when == "before":
                os._exit(9)  # killed before the order reached the engine
            await OPS["order"](engine, args, lang)
            os._exit(9)  # killed after the order went in, before answering

        ops["order"] = dying
        server = control.ControlServer(engine, ops, control.socket_path(cfg.data_path))
        await server.start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


@pytest.mark.parametrize("when", ["before", "after"])
def test_cli_says_whether_the_order_went_in_when_mia_run_dies_mid_request(tmp_path, when):
    script = tmp_path / "dying_run.py"
    script.write_text(DYING_RUN)
    data = tmp_path / "data"
    proc = subprocess.Popen([PY, str(script), str(data), when], cwd=ROOT, env=_env({"PYTHONPATH": str(ROOT)}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        out = mia(data, "order", "--yes", "buy", "1", "ES")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert "MIA stopped while handling the request" in out.stdout and "Traceback" not in out.stderr, out.stdout + out.stderr
    if when == "before":
        assert "the order was NOT sent" in out.stdout and out.returncode == 1
    else:
        assert "The order WENT IN" in out.stdout and "FILLED" in out.stdout and out.returncode == 0


def _start_run(data: Path) -> subprocess.Popen:
    """`mia run` at speed 600 (ten simulated minutes a second), once its control socket is there."""
    proc = subprocess.Popen([PY, "-m", "assistant.cli", "--data-dir", str(data), "run", "--input", "none",
                             "--no-speech", "--speed", "600"], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (data / "run" / "mia.sock").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    return proc


# ------------------------------------------------------------------ item 13: owner-only files
def test_money_state_and_secrets_are_owner_only(tmp_path):
    data = tmp_path / "data"
    old = os.umask(0o022)  # a usual umask: files would be 0644 and folders 0755 by default
    try:
        assert mia(data, "order", "--yes", "buy", "1", "ES").returncode == 0
        proc = _start_run(data)
        try:
            time.sleep(1.0)
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    finally:
        os.umask(old)
    files = [p for p in data.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"ledger_paper.sqlite3", "outbox.sqlite3", "engine.log"} <= names, names
    assert any(p.name.endswith(".json.gz") for p in files)  # the snapshot
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, (p, oct(p.stat().st_mode))
    for d in [data, *[p for p in data.rglob("*") if p.is_dir()]]:
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, (d, oct(d.stat().st_mode))


# ------------------------------------------------------------------ item 7: last prices survive kill -9
def test_after_kill_9_the_next_command_marks_at_the_last_price_seen(tmp_path):
    data = tmp_path / "data"
    proc = _start_run(data)
    try:
        deadline = time.time() + 60
        order = None
        while time.time() < deadline:  # the first live prices come right after the warm-up
            order = mia(data, "order", "--yes", "buy", "1", "ES")
            if order.returncode == 0 or "no current price" not in order.stdout:
                break
            time.sleep(0.5)
        assert order is not None and order.returncode == 0, order.stdout + order.stderr
        time.sleep(2.0)  # twenty simulated minutes at speed 600: the price moves on
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with ledger_of(data) as ledger:
        prices = ledger.get_state("last_prices")
        market_ts = datetime.fromisoformat(ledger.get_state("last_market_ts"))
        [fill] = ledger.fills()
    assert prices and set(prices) == {"ES", "MNQ"}
    assert market_ts > fill.ts + timedelta(minutes=5)  # persisted as prices changed, not only at stop
    shown = mia(data, "positions")
    row = next(line for line in shown.stdout.splitlines() if line.startswith("ES"))
    assert f"{prices['ES']:,.2f}" in row, (row, prices)


# ------------------------------------------------------------------ item 12: configuration from the environment
def test_documented_environment_variables_work_and_stray_ones_only_warn(tmp_path):
    env = {"MIA_MODELS_DIR": str(tmp_path / "models"), "MIA_MODELS_BASE_URL": "http://127.0.0.1:9/m",
           "MIA_GRAMMAR_DIR": str(ROOT / "grammars"), "MIA_UNRELATED": "1",
           "MIA_ALERT_MANAGER__SMS_TO": "+15551234567"}
    models = mia(tmp_path, "models", "list", env=env)
    assert models.returncode == 0 and str(tmp_path / "models") in models.stdout, models.stderr
    shown = mia(tmp_path, "config", env=env)
    assert shown.returncode == 0 and "sms_to: '+15551234567'" in shown.stdout
    assert "MIA_UNRELATED is not a MIA setting; ignored" in shown.stderr
