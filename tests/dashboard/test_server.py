"""Dashboard server without a browser: HTTP routes, the SSE stream, bad requests, a busy port, the
`mia run` front end and the standalone command."""
from __future__ import annotations

import argparse
import asyncio
import json
import socket

import aiohttp
import pytest

from assistant.dashboard.cli import dashboard_command, run_dashboard
from assistant.dashboard.server import DashboardServer
from assistant.app.services import RunOptions, build_services
from tests.mentor.session import play, session_config, start_engine
from trading_core.config import load_config
from trading_core.types import OrderRequest, Side


@pytest.fixture
async def engine(tmp_path):
    eng = await start_engine(session_config(tmp_path))
    yield eng
    await eng.stop()
    eng.close()


async def read_event(resp: aiohttp.ClientResponse) -> dict:
    """The next `event: snapshot` of an SSE response."""
    event, data = None, []
    while True:
        line = (await resp.content.readline()).decode().rstrip("\n")
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
        elif line == "" and event == "snapshot" and data:
            return json.loads("\n".join(data))


async def test_routes_snapshot_and_event_stream(engine, tmp_path):
    server = DashboardServer(engine, engine.config, port=0, refresh_rate=0.3, intelligence=False, figures=False)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(server.url) as r:
                assert r.status == 200 and "EventSource" not in await r.text()  # the script is separate
            async with http.get(server.url + "static/app.js") as r:
                assert r.status == 200 and "new EventSource(\"/api/events\")" in await r.text()
            async with http.get(server.url + "api/snapshot") as r:
                snap = await r.json()
            assert snap["market"] == "ES" and snap["account"]["equity"] == 100000.0 and snap["positions"] == []
            assert snap["intel"] == {"status": "off"}
            async with http.get(server.url + "api/events") as events:
                assert events.headers["content-type"].startswith("text/event-stream")
                first = await read_event(events)
                assert first["positions"] == []
                await engine.place_order(OrderRequest("ES", Side.BUY, 3, source="test"))
                await play(engine, [(None, 0, 6002.0)], start_minute=2)
                for _ in range(20):  # the fill arrives as an update on the open stream
                    snap = await read_event(events)
                    if snap["positions"]:
                        break
                assert snap["positions"][0]["qty"] == 3 and snap["positions"][0]["avg"] == 6002.25
                assert snap["orders"][0]["status"] == "FILLED"
            for bad in ("figures/..%2Fledger_paper.sqlite3", "figures/nothing.png"):
                async with http.get(server.url + bad) as r:
                    assert r.status == 404
            async with http.get(server.url + "health") as r:
                assert await r.text() == "ok"
            # another host name pointed at this address (DNS rebinding) is refused
            async with http.get(server.url + "api/snapshot", headers={"Host": "evil.example:8050"}) as r:
                assert r.status == 400
    finally:
        await server.stop()


async def test_busy_port_is_a_clear_error(engine):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        server = DashboardServer(engine, engine.config, port=port, intelligence=False, figures=False)
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            await server.start()
    with pytest.raises(ValueError, match="refresh rate must be > 0"):
        DashboardServer(engine, engine.config, refresh_rate=0)


async def test_run_front_end_serves_when_enabled_and_shares_the_monitor(tmp_path):
    cfg = load_config(env={}, overrides={"data_dir": str(tmp_path),
                                         "dashboard": {"enabled": True, "port": 0, "intelligence": False,
                                                       "figures": False}})
    eng = await start_engine(cfg)
    try:
        services = build_services(eng, cfg, RunOptions(speech=False))
        stop = services.stop
        task = asyncio.create_task(run_dashboard(services))
        for _ in range(200):
            if "dashboard" in services.urls:
                break
            await asyncio.sleep(0.02)
        url = services.urls["dashboard"]
        # the voice loop's command log is the one the page shows
        services.commands.record("positions", "positions", "No open position.", "en")
        async with aiohttp.ClientSession() as http:
            for _ in range(50):
                async with http.get(url + "api/snapshot") as r:
                    snap = await r.json()
                if snap["commands"]:
                    break
                await asyncio.sleep(0.1)
        assert snap["commands"][0]["transcript"] == "positions"
        stop.set()
        await asyncio.wait_for(task, 10)
        # disabled: the front end returns at once
        off = build_services(eng, session_config(tmp_path), RunOptions(speech=False))
        await asyncio.wait_for(run_dashboard(off), 1)
    finally:
        await eng.stop()
        eng.close()


async def test_standalone_command_serves(tmp_path, capsys):
    cfg = session_config(tmp_path)
    eng = await start_engine(cfg)  # leaves last prices in the ledger, as any earlier session would
    await eng.stop()
    eng.close()
    args = argparse.Namespace(port=0, host=None, refresh_rate=5.0, no_intelligence=True, no_figures=True,
                              feed=False, duration=1.0, lang="fr")
    code = await asyncio.to_thread(dashboard_command, args, cfg)
    assert code == 0
    assert "Tableau de bord : http://127.0.0.1:" in capsys.readouterr().out


async def test_figures_are_drawn_in_a_child_process(engine, tmp_path):
    await play(engine, [(None, 0, 6001.0), (None, 0, 6002.5)])
    server = DashboardServer(engine, engine.config, port=0, intelligence=False, figures=False)
    try:
        paths = await server.write_figures()  # no server start needed to draw
        assert server._pool is not None  # it went through the process pool
        assert sorted(p.name for p in paths) == ["dashboard_equity.png", "dashboard_system.png"]
        assert all(p.parent == tmp_path / "figures" / "ES" and p.stat().st_size > 10_000 for p in paths)
    finally:
        await server.stop()
