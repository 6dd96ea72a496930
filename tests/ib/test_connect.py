"""Connection, start-up sync and contract qualification with the real ib_async client."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from trading_core import calendar as cme
from trading_core.broker.base import BrokerPosition, ConnectionUpdate, OrderUpdate
from trading_core.broker.ib import ContractNotFoundError, IBAccountError, IBConnectionError
from trading_core.clock import FixedClock
from trading_core.types import Order, OrderStatus, OrderType, Side
from tests.ib.conftest import ACCOUNT, T0, Collector, make_broker, make_config, wait_for


async def test_connect_syncs_accounts_positions_orders_and_summary(tmp_path, tws, clock):
    tws.set_position("ES", 2, 5990.0)  # held before MIA starts
    broker = make_broker(make_config(tmp_path, tws), clock)
    sink = Collector()
    broker.set_event_sink(sink)
    await broker.connect()
    try:
        assert broker.connected and broker.managed_accounts == [ACCOUNT] and broker.account_id == ACCOUNT
        # the start-up sync ib_async waits for: positions, open orders, completed orders, account
        # updates, executions; plus the account summary the broker asks for
        seen = {msg for _, msg in tws.requests}
        assert {61, 5, 99, 6, 76, 7, 62, 9} <= seen
        [update] = sink.of(ConnectionUpdate)
        assert update.connected and ACCOUNT in update.detail
        assert await broker.broker_positions() == [BrokerPosition("ES", 2, 5990.0)]
        account = await broker.broker_account()
        assert account.account_id == ACCOUNT and account.net_liquidation == Decimal("101000.00")
        assert account.unrealized_pnl == Decimal("1000.00")  # 2 x 10 points x $50 at 6000
        await broker.connect()  # already connected: no second announcement
        assert len(sink.of(ConnectionUpdate)) == 1
    finally:
        await broker.disconnect()
    assert not broker.connected
    assert [u.connected for u in sink.of(ConnectionUpdate)] == [True, False]


async def test_front_month_contracts_are_qualified_from_the_calendar(tmp_path, tws, clock):
    broker = make_broker(make_config(tmp_path, tws), clock)
    await broker.connect()
    try:
        for symbol, multiplier in (("ES", "50"), ("MNQ", "2")):
            c = broker.contracts.cached(symbol)
            front = cme.front_month(symbol, T0)
            assert c is not None and c.localSymbol == front.local_symbol == f"{symbol}Z6"
            assert (c.secType, c.exchange, c.currency, c.multiplier) == ("FUT", "CME", "USD", multiplier)
            assert c.conId == tws.contract(front.local_symbol).con_id
            assert c.lastTradeDateOrContractMonth == front.expiry.strftime("%Y%m%d")
    finally:
        await broker.disconnect()


async def test_roll_requalifies_the_next_contract(tmp_path, tws):
    clock = FixedClock(T0)
    broker = make_broker(make_config(tmp_path, tws), clock)
    await broker.connect()
    try:
        assert broker.contracts.cached("ES").localSymbol == "ESZ6"
        clock.ts = datetime(2026, 12, 11, 15, 0, tzinfo=timezone.utc)  # past the December roll date
        c = await broker.contracts.qualify("ES")
        assert c.localSymbol == "ESH7" and c.conId == tws.contract("ESH7").con_id
    finally:
        await broker.disconnect()


async def test_unknown_contract_is_ib_error_200_and_orders_on_it_are_rejected(tmp_path, tws):
    # The fake lists contracts around T0 only; ten years later IB would not know the front month.
    clock = FixedClock(datetime(2036, 11, 19, 15, 0, tzinfo=timezone.utc))
    broker = make_broker(make_config(tmp_path, tws), clock)
    sink = Collector()
    broker.set_event_sink(sink)
    await broker.connect()  # connects; the failure is kept per symbol
    try:
        assert broker.contracts.cached("ES") is None and broker.contracts.errors["ES"].code == "IB_200"
        with pytest.raises(ContractNotFoundError) as err:
            await broker.contracts.qualify("ES")
        assert err.value.code == "IB_200" and "No security definition" in err.value.message_en
        assert "ESZ6" in err.value.message_fr and "Interactive Brokers ne connaît pas" in err.value.message_fr
        order = Order("O-x", "c-x", "ES", Side.BUY, 1, OrderType.MARKET, OrderStatus.PENDING, clock.now())
        await broker.submit([order])
        [update] = sink.of(OrderUpdate)
        assert update.status is OrderStatus.REJECTED and update.rejection.code == "IB_CONTRACT_UNKNOWN"
        assert update.rejection.params["ib_code"] == 200 and update.rejection.params["contract"] == "ESZ6"
        assert not tws.placed
    finally:
        await broker.disconnect()


async def test_nothing_listening_is_a_clear_connection_error(tmp_path, tws, clock):
    port = tws.port
    await tws.stop_listening()
    broker = make_broker(make_config(tmp_path, None, port=port), clock)
    with pytest.raises(IBConnectionError) as err:
        await broker.connect()
    assert err.value.code == "IB_CONNECT_FAILED"
    assert f"127.0.0.1:{port}" in err.value.message_en and "Connexion impossible" in err.value.message_fr
    assert not broker.connected


async def test_a_silent_server_times_out(tmp_path, clock):
    async def silent(reader, writer):
        try:
            await reader.read()  # accepts the socket, never answers the handshake
        finally:
            writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        broker = make_broker(make_config(tmp_path, None, port=port, connect_timeout_s=0.3), clock)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(IBConnectionError) as err:
            await broker.connect()
        assert err.value.code == "IB_CONNECT_TIMEOUT" and loop.time() - started < 2.0
        assert "0.3 s" in err.value.message_en and "0.3 s" in err.value.message_fr
    finally:
        server.close()
        await server.wait_closed()


async def test_session_without_the_configured_account_is_refused(tmp_path, tws, clock):
    broker = make_broker(make_config(tmp_path, tws, account="DU7777777"), clock)
    with pytest.raises(IBAccountError) as err:
        await broker.connect()
    assert err.value.code == "IB_ACCOUNT_MISMATCH" and ACCOUNT in err.value.message_en
    assert not broker.connected
    await wait_for(lambda: tws.session_count == 0)


async def test_a_paper_broker_never_connects_to_a_live_port(tmp_path, clock):
    broker = make_broker(make_config(tmp_path, None, port=7496), clock, paper=True)
    with pytest.raises(IBConnectionError) as err:
        await broker.connect()
    assert err.value.code == "IB_LIVE_PORT_IN_PAPER" and "7496" in err.value.message_en


async def test_client_id_in_use_is_refused(tmp_path, tws, clock):
    first = make_broker(make_config(tmp_path, tws), clock)
    await first.connect()
    try:
        second = make_broker(make_config(tmp_path, tws, connect_timeout_s=1.0), clock)
        with pytest.raises(IBConnectionError):
            await second.connect()
        assert first.connected
    finally:
        await first.disconnect()


def test_bad_settings_are_refused_with_a_clear_message(tmp_path, clock):
    from trading_core.marketdata.ib_feed import IBFeed

    cfg = make_config(tmp_path)
    for bad, word in (({"commission_wait_s": 0}, "commission_wait_s"),
                      ({"reconnect_initial_backoff_s": -1}, "reconnect_initial_backoff_s"),
                      ({"fallback_commission_per_contract": Decimal("-1")}, "fallback_commission_per_contract")):
        with pytest.raises(ValueError, match=word):
            make_broker(cfg, clock, **bad)
    broker = make_broker(cfg, clock)
    with pytest.raises(ValueError, match="quotes"):
        IBFeed(broker.ib, broker.contracts, quotes="level2")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="warmup_bars"):
        IBFeed(broker.ib, broker.contracts, warmup_bars=5000)
    with pytest.raises(Exception, match="ZZ"):
        IBFeed(broker.ib, broker.contracts, ("ZZ",))
