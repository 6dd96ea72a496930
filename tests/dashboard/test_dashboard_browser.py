"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright): the page
loads, shows the current equity and a position after a paper order placed through the engine, and
updates without a reload (price move, second order, a rejection, a voice command, the intelligence
panels). A screenshot is saved to artifacts/dashboard.png; the PNG figures are written too."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from assistant.dashboard.server import DashboardServer
from assistant.monitor import Monitor, timed_signal_quality
from assistant.present.reasons import reason_text
from assistant.present.text import Surface
from tests.dashboard.support import CHROMIUM, CHROMIUM_ARGS, engine_with_bars, money_en
from trading_core.types import OrderRequest, Side

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (apt-get install chromium)")]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


async def test_dashboard_live_in_headless_chromium(tmp_path):
    from playwright.async_api import async_playwright

    engine, t_last = await engine_with_bars(tmp_path)
    monitor = Monitor(engine.config, engine=engine)
    server = DashboardServer(engine, engine.config, port=0, refresh_rate=0.5, monitor=monitor, run_monitor=True,
                             intelligence=True, figures=False, figure_process=False)
    await server.start()
    minute = [0]

    def tick(price: float) -> None:
        minute[0] += 1
        engine.on_price("ES", price, t_last + timedelta(minutes=minute[0]))

    try:
        last = engine.last_prices()["ES"]
        res = await engine.place_order(OrderRequest("ES", Side.BUY, 1, source="test"))
        assert res.accepted
        tick(last)  # fills at last + 1 tick
        assert [(p.symbol, p.quantity) for p in await engine.positions()] == [("ES", 1)]
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1700})
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
                await page.goto(server.url)
                equity = money_en((await engine.account()).equity)
                await page.wait_for_function("([id, text]) => document.getElementById(id).textContent === text",
                                             arg=["equity", equity], timeout=15_000)
                row = page.locator("#positions tbody tr[data-symbol='ES']")
                await row.wait_for(timeout=10_000)
                assert (await row.locator("td").nth(1).inner_text()) == "+1"
                assert await page.locator("#conn").inner_text() == "live"
                await page.evaluate("window.__noReload = 42")

                # the price moves: equity and the position's unrealized P&L update over SSE, no reload
                tick(last + 5.0)
                equity2 = money_en((await engine.account()).equity)
                assert equity2 != equity
                await page.wait_for_function("([id, text]) => document.getElementById(id).textContent === text",
                                             arg=["equity", equity2], timeout=10_000)
                # a second order: the position grows to 2 contracts
                res = await engine.place_order(OrderRequest("ES", Side.BUY, 1, source="test"))
                assert res.accepted
                tick(last + 5.0)
                await page.wait_for_function(
                    "() => { const r = document.querySelector(\"#positions tbody tr[data-symbol='ES']\");"
                    " return r && r.children[1].textContent === '+2'; }", timeout=10_000)
                # a rejection shows with its reason
                bad = await engine.place_order(OrderRequest("ES", Side.BUY, 10_000, source="test"))
                assert not bad.accepted
                rejected = page.locator("#orders tbody tr.rejected").first
                await rejected.wait_for(timeout=10_000)
                assert reason_text(bad.rejection, "en", Surface.PAGE) in await rejected.inner_text()
                # a voice command pushed by the voice loop appears with its transcript
                monitor.commands.record("buy one e s", "place_trade", "Buy 1 ES at market: confirm?", "en")
                monitor.latency.record("transcript", 0.42)
                await page.locator("#commands tbody", has_text="buy one e s").wait_for(timeout=10_000)
                await page.locator("#latency tbody", has_text="transcript").wait_for(timeout=10_000)
                # the intelligence panels fill in once the models are loaded (trained here on a small history)
                await page.wait_for_function("() => document.getElementById('regime-now').textContent.startsWith('ES:')",
                                             timeout=40_000)
                await page.locator("#shap .bar-row").first.wait_for(timeout=5_000)
                # a live signal scored through the monitor's timed call shows in the ML metrics
                sq = await timed_signal_quality(engine, monitor.ml)
                assert 0.0 <= sq.probability <= 1.0 and monitor.ml.snapshot().predictions == 1
                await monitor.sample()
                await page.locator("#ml", has_text="1 prediction ·").wait_for(timeout=10_000)
                assert "Not trained yet" in await page.locator("#cvar").inner_text()
                assert await page.evaluate("window.__noReload") == 42  # the same page all along
                ARTIFACTS.mkdir(exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
                # French, without reloading
                await page.click("#lang-toggle")
                assert await page.locator("[data-i18n='pnl_today']").text_content() == "P&L du jour"
                assert "Pas encore entraîné" in await page.locator("#cvar").inner_text()
                await page.screenshot(path=str(ARTIFACTS / "dashboard_fr.png"), full_page=False)
                assert errors == []
            finally:
                await browser.close()
        # the same figures as PNG files
        paths = await server.write_figures(force=True)
        names = {p.name for p in paths}
        assert {"dashboard_equity.png", "dashboard_system.png", "shap_ES.png", "advanced_ES.png"} <= names
        assert all(p.stat().st_size > 10_000 for p in paths)
        assert (tmp_path / "figures" / "ES" / "dashboard_equity.png").exists()
        # the regime the dashboard saw was recorded for the mentor
        assert (tmp_path / "mentor" / "regimes_ES.jsonl").exists()
    finally:
        await server.stop()
        await engine.stop()
        engine.close()
