"""`mia run --live` money-safety gates: every refusal, and the engine they let through."""
from __future__ import annotations

import argparse
import io

from tests.rendering import en, fr
from trading_core.api import Engine
from trading_core.live import build_live_engine, open_live_session
from tests.fakes.tws import FakeTws
from tests.ib.conftest import ACCOUNT, make_config, wait_for

LIVE = argparse.Namespace(live=True, paper=False)
PAPER = argparse.Namespace(live=False, paper=True)
LIVE_ACCOUNT = "U7654321"


class Typist:
    """What the user types at the acknowledgement prompt (EOFError for a closed stdin)."""

    def __init__(self, answer: str | BaseException) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


async def refused(config, args, typist: Typist, **options) -> str:
    err = io.StringIO()
    engine = await build_live_engine(config, args, input_fn=typist, err=err, **options)
    assert engine is None
    return err.getvalue()


async def test_no_account_configured_is_refused_before_anything_else(tmp_path, tws):
    typist = Typist(ACCOUNT)
    out = await refused(make_config(tmp_path, tws, account=None), LIVE, typist)
    assert "[ACCOUNT_NOT_CONFIGURED]" in out and "ib.account" in out
    assert "aucun compte Interactive Brokers" in out  # French line too
    assert typist.prompts == [] and tws.connections == []


async def test_typed_account_id_must_match_the_config(tmp_path, clock):
    async with FakeTws((LIVE_ACCOUNT,), now=clock.now) as tws:
        typist = Typist("U7654320")
        out = await refused(make_config(tmp_path, tws, account=LIVE_ACCOUNT), LIVE, typist)
        assert "[ACCOUNT_ACK_MISMATCH]" in out and "U7654320" in out and "n'est pas le compte" in out
        [prompt] = typist.prompts
        assert LIVE_ACCOUNT in prompt and "LIVE TRADING" in prompt and "TRADING RÉEL" in prompt
        assert tws.connections == []  # refused before connecting


async def test_closed_stdin_or_empty_answer_is_refused(tmp_path, tws):
    cfg = make_config(tmp_path, tws, account=LIVE_ACCOUNT)
    assert "[ACCOUNT_NOT_ACKNOWLEDGED]" in await refused(cfg, LIVE, Typist(EOFError()))
    assert "[ACCOUNT_NOT_ACKNOWLEDGED]" in await refused(cfg, LIVE, Typist("  "))
    assert "[ACCOUNT_NOT_ACKNOWLEDGED]" in await refused(cfg, LIVE, Typist(KeyboardInterrupt()))  # Ctrl-C
    assert tws.connections == []


async def test_connected_session_must_manage_the_configured_account(tmp_path, tws, clock):
    # the fake TWS is logged in to ACCOUNT (a paper account), not to the live account of the config
    cfg = make_config(tmp_path, tws, account=LIVE_ACCOUNT)
    out = await refused(cfg, LIVE, Typist(LIVE_ACCOUNT), clock=clock)
    assert "[IB_ACCOUNT_MISMATCH]" in out and ACCOUNT in out and LIVE_ACCOUNT in out
    assert len(tws.connections) == 1
    await wait_for(lambda: tws.session_count == 0)  # it hung up


async def test_paper_run_never_routes_to_a_live_port(tmp_path):
    typist = Typist(ACCOUNT)
    for port in (7496, 4001):
        out = await refused(make_config(tmp_path, None, port=port), PAPER, typist)
        assert "[LIVE_PORT_IN_PAPER]" in out and str(port) in out and "port de trading RÉEL" in out
    assert typist.prompts == []


async def test_paper_run_refuses_a_live_account(tmp_path, clock):
    async with FakeTws((LIVE_ACCOUNT,), now=clock.now) as tws:
        out = await refused(make_config(tmp_path, tws, account=LIVE_ACCOUNT), PAPER, Typist(LIVE_ACCOUNT), clock=clock)
        assert "[LIVE_ACCOUNT_IN_PAPER]" in out
        await wait_for(lambda: tws.session_count == 0)


async def test_unreachable_tws_is_a_clear_refusal(tmp_path, tws):
    port = tws.port
    await tws.stop_listening()
    out = await refused(make_config(tmp_path, None, port=port, account=ACCOUNT), PAPER, Typist(ACCOUNT))
    assert "[IB_CONNECT_FAILED]" in out and "Connexion impossible" in out


async def test_gates_passed_give_a_live_engine_that_reconciles_at_start(tmp_path, clock):
    async with FakeTws((LIVE_ACCOUNT,), now=clock.now) as tws:
        tws.set_position("ES", 1)  # the ledger is empty: start-up must flag it
        typist = Typist(f" {LIVE_ACCOUNT.lower()} ")  # spaces and letter case do not matter
        session = await open_live_session(
            make_config(tmp_path, tws, account=LIVE_ACCOUNT), LIVE, input_fn=typist, clock=clock,
            broker_options={"reconnect_initial_backoff_s": 0.05}, feed_options={"warmup_bars": 0},
            reconcile_settle_s=0.05,
        )
        engine = session.engine
        assert isinstance(engine, Engine) and engine.mode == "live" and engine.broker is session.broker
        assert engine.ledger.path.name == "ledger_live.sqlite3" and engine.feed is session.feed
        await engine.start(run_feed=False)
        try:
            await wait_for(lambda: session.reconciler.runs == 1)
            assert [(m.symbol, m.ledger_quantity, m.broker_quantity) for m in session.reconciler.last] == [("ES", 0, 1)]
            alerts = [e for e in engine.events_since(0, limit=None) if e.kind.value == "RECONCILIATION_MISMATCH"]
            assert len(alerts) == 1 and "ES" in en(alerts[0])
        finally:
            await engine.stop()
            engine.close()


async def test_ib_paper_run_uses_its_own_ledger(tmp_path, tws, clock):
    engine = await build_live_engine(make_config(tmp_path, tws), PAPER, input_fn=Typist(ACCOUNT), clock=clock,
                                     feed_options={"warmup_bars": 0})
    assert engine is not None and engine.mode == "paper"
    assert engine.ledger.path.name == "ledger_ib_paper.sqlite3"
    await engine.broker.disconnect()
    engine.close()


async def test_mia_run_live_goes_through_the_gates(tmp_path, tws):
    from assistant.app.run import run_engine
    from assistant.app.services import RunOptions

    assert await run_engine(make_config(tmp_path, tws, account=None), RunOptions(live=True)) is None
    assert tws.connections == []
