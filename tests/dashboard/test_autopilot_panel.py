"""The dashboard's autopilot panel in headless Chromium: mode, catastrophe level, the last signals with
their scores and decisions, the session figures (autopilot vs manual P&L), the VIX forecast and its
record against the naive forecast; English and French."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assistant.dashboard.server import DashboardServer
from tests.autopilot.test_stats import signal
from tests.dashboard.support import CHROMIUM, CHROMIUM_ARGS
from tests.mentor.session import T0, session_config, start_engine
from trading_core.autopilot.controller import Autopilot
from trading_core.autopilot.models import load_trade_model
from trading_core.autopilot.types import AutopilotMode, SignalDecision

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (apt-get install chromium)")]

TRAINED_FORECAST = {"trained": True, "message_en": "", "message_fr": "", "as_of": "2025-05-02", "for_date": "2025-05-05",
                    "last_vix": 22.7, "predicted_vix": 21.93, "naive_vix": 22.7, "rmse_model": 1.91, "rmse_naive": 1.88,
                    "mae_model": 1.2, "mae_naive": 1.18, "beats_baseline": False, "used_for_sizing": False}


async def test_autopilot_panel_in_headless_chromium(tmp_path):
    from playwright.async_api import async_playwright

    engine = await start_engine(session_config(tmp_path))
    pilot = Autopilot(engine, bundles={"ES": None},  # "ready" without models: no bar is fed here
                      trade_models={"ES": load_trade_model(engine.config, "ES", "none")})
    await pilot.start(prepare=False)
    assert (await pilot.set_mode(AutopilotMode.PROPOSE)).ok
    for s in (signal("AP-ES-1", 0, SignalDecision.REFUSED, "FILTER_REJECTED"),
              signal("AP-ES-2", 1, SignalDecision.EXPIRED, "DECLINED")):
        engine.ledger.record_signal(replace(s, ts=T0))
    server = DashboardServer(engine, engine.config, port=0, refresh_rate=0.3, intelligence=False, figures=False)
    await server.start()
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1200})
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                await page.goto(server.url)
                await page.wait_for_function("() => document.getElementById('ap-mode').dataset.mode === 'propose'",
                                             timeout=15_000)
                assert await page.locator("#ap-mode").inner_text() == "PROPOSE"
                assert "INFO" in await page.locator("#ap-level").inner_text()
                rows = page.locator("#ap-signals tbody tr")
                assert await rows.count() == 2
                newest = await rows.first.inner_text()
                assert "long 1 ES @ 5,000.00" in newest and "expired" in newest and "Declined by the trader." in newest
                assert "0.40 / 0.80" in newest and "0.64 / –" in newest  # score / confidence, filter / no model
                await page.locator("#ap-stats", has_text="1 refused · 1 expired / declined").wait_for(timeout=10_000)
                assert "Autopilot P&L $0.00 (0 trades)" in await page.locator("#ap-stats").inner_text()
                # no VIX model here: the panel says how to train it
                await page.locator("#ap-vol", has_text="mia train --model-type lstm_vix").wait_for(timeout=20_000)
                # a trained forecast (as the engine's VolatilityForecast serialises) with its honest verdict
                server.state.autopilot.forecast = TRAINED_FORECAST  # refreshed every 10 minutes: it stays
                server.state.touch()
                await page.locator("#ap-vix").wait_for(timeout=10_000)
                vol = await page.locator("#ap-vol").inner_text()
                assert "21.93" in vol and "1.91 / 1.88" in vol and "does not beat the naive forecast" in vol
                await page.click("#lang-toggle")
                assert await page.locator("#ap-mode").inner_text() == "PROPOSITION"
                assert "ne bat pas la prévision naïve" in await page.locator("#ap-vol").inner_text()
                assert "Refusée par le trader." in await rows.first.inner_text()
                # switched off from elsewhere: the page follows
                await pilot.set_mode(AutopilotMode.OFF)
                await page.wait_for_function("() => document.getElementById('ap-mode').dataset.mode === 'off'",
                                             timeout=10_000)
                assert errors == []
            finally:
                await browser.close()
    finally:
        await server.stop()
        await pilot.stop()
        await engine.stop()
        engine.close()
