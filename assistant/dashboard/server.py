"""Serving the dashboard: in-process next to a running engine (a `mia run` front end), or standalone
(`mia dashboard`), with uvicorn on 127.0.0.1 by default.

Background tasks while it runs: the snapshot broadcaster (SSE), the intelligence refresher (worker
thread), the PNG writer (every `refresh_rate` seconds) and, when nobody else runs it, the monitor.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import multiprocessing
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from assistant.dashboard.app import Broadcaster, build_app
from assistant.dashboard.figures import render_figures
from assistant.dashboard.state import DashboardState
from trading_core.protocols import EngineAPI

log = logging.getLogger("mia.dashboard")

INTEL_MIN_INTERVAL_S = 5.0  # regime / SHAP / RL panels are re-read at most this often
INTEL_FIGURES_MIN_INTERVAL_S = 60.0  # regime / SHAP PNGs are drawn in this process: not more often


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the process that embeds it (mia run, mia dashboard)
    owns SIGINT / SIGTERM and stops the dashboard through `DashboardServer.stop()`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class DashboardServer:
    def __init__(
        self,
        engine: EngineAPI,
        config: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 8050,
        refresh_rate: float = 5.0,
        monitor: Any | None = None,
        commands: Any | None = None,
        intelligence: bool = True,
        figures: bool = True,
        run_monitor: bool = False,
        figure_process: bool = True,
    ) -> None:
        """`figure_process`: draw the PNGs in a child process (default) rather than on a thread."""
        if not refresh_rate > 0:
            raise ValueError(f"refresh rate must be > 0 seconds (got {refresh_rate!r})")
        self.engine, self.config = engine, config
        self.host, self.port = host, port
        self.refresh_rate = float(refresh_rate)
        self.monitor = monitor
        self.state = DashboardState(engine, config, monitor=monitor, commands=commands, intelligence=intelligence)
        self.broadcaster = Broadcaster(self.state, push_interval=min(1.0, self.refresh_rate))
        self.figures_enabled = figures
        self.figures_dir = config.data_path / "figures" / config.market.upper()
        self.figures_written: list[Path] = []
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self.figure_process = figure_process
        self._intel_figures_at = 0.0
        self.run_monitor = run_monitor and monitor is not None
        self.app = build_app(self.state, self.broadcaster, self.figures_dir, listen_host=host)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._server: _EmbeddedServer | None = None
        self._serve_task: asyncio.Task[Any] | None = None
        self._listener = lambda event: self.state.touch()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Bind the port (port 0: a free one, read back into `self.port`) and start the tasks.
        A port already in use raises OSError with a clear message and starts nothing."""
        self._loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise OSError(exc.errno, f"dashboard: cannot listen on {self.host}:{self.port} ({exc.strerror}); "
                                     f"choose another --port / le port est déjà pris, choisissez-en un autre") from None
        self.port = sock.getsockname()[1]
        cfg = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                             timeout_graceful_shutdown=2)
        self._server = _EmbeddedServer(cfg)
        self._serve_task = asyncio.create_task(self._server.serve(sockets=[sock]), name="dashboard-http")
        while not self._server.started:
            if self._serve_task.done():
                self._serve_task.result()  # raises the startup error
            await asyncio.sleep(0.01)
        self.engine.add_listener(self._listener)
        if self.state.commands is not None:
            self.state.commands.add_listener(self._command_recorded)
        self._tasks.append(asyncio.create_task(self.broadcaster.run(self._stop), name="dashboard-push"))
        self._tasks.append(asyncio.create_task(self.state.autopilot.run(self._stop, self.state.touch),
                                               name="dashboard-autopilot"))
        if self.state.intelligence_enabled:
            self._tasks.append(asyncio.create_task(self._intel_loop(), name="dashboard-intel"))
        if self.figures_enabled:
            self._tasks.append(asyncio.create_task(self._figures_loop(), name="dashboard-figures"))
        if self.run_monitor and self.monitor is not None:
            self._tasks.append(asyncio.create_task(self.monitor.run(self._stop), name="dashboard-monitor"))
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("dashboard listening on %s: anyone who can reach this address sees the account", self.host)
        log.info("dashboard on %s", self.url)

    def _command_recorded(self, record: Any) -> None:
        # The voice loop may record from its audio thread: hop onto the dashboard's loop.
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.state.touch)

    async def stop(self) -> None:
        self._stop.set()
        self.engine.remove_listener(self._listener)
        if self.state.commands is not None:
            self.state.commands.remove_listener(self._command_recorded)
        await self.broadcaster.close()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        if self._server is not None:
            self._server.should_exit = True
        if self._serve_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._serve_task, 5)
        self._server = None
        self._shutdown_pool()

    async def serve_until(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    # -- background work --------------------------------------------------------------------------
    async def refresh_intelligence(self) -> None:
        try:
            intel = await asyncio.to_thread(self.state.refresh_intelligence)
        except Exception as exc:  # e.g. no bootstrap data: the panels say so, the page keeps working
            log.warning("dashboard intelligence refresh failed: %s", exc)
            intel = {"status": "error", "message_en": str(exc), "message_fr": str(exc)}
        self.state.apply_intelligence(intel)
        self._record_regime(intel)

    def _record_regime(self, intel: dict[str, Any]) -> None:
        """Feed the mentor's regime record, so daily reports can group trades by regime."""
        regime = intel.get("regime")
        if not regime or regime.get("regime") in (None, "unknown"):
            return
        from assistant.mentor.regimes import RegimeTape, trend_direction

        tape = getattr(self, "_tape", None) or RegimeTape(self.config.data_path)
        self._tape = tape
        sym = regime["symbol"]
        closes = [b.close for b in self.engine.bars(sym)]
        try:
            tape.record(sym, self.engine.now(), regime["regime"], trend_direction(closes))
        except (OSError, ValueError) as exc:
            log.warning("regime record not written: %s", exc)

    async def _intel_loop(self) -> None:
        interval = max(self.refresh_rate, INTEL_MIN_INTERVAL_S)
        while not self._stop.is_set():
            await self.refresh_intelligence()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)

    async def write_figures(self, *, force: bool = False) -> list[Path]:
        """Write the PNG figures now. The dashboard's own figures are drawn in a child process (matplotlib
        holds the GIL for a second or more per refresh on a busy machine, which would stall the engine);
        the regime / SHAP figures need the loaded models, so they are drawn here, on a worker thread, at
        most every INTEL_FIGURES_MIN_INTERVAL_S seconds unless `force`."""
        from assistant.dashboard.state import clean

        snap = clean(await self.state.snapshot())
        out, market = str(self.figures_dir), self.config.market
        paths: list[Path] = []
        try:
            if not self.figure_process:
                raise OSError("figures drawn on a thread by request")
            if self._pool is None:
                # spawn, not fork: this process has threads (uvicorn, the ledger's checkpointer)
                self._pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            loop = asyncio.get_running_loop()
            paths += [Path(p) for p in await loop.run_in_executor(self._pool, render_figures, snap, out, market)]
        except (OSError, RuntimeError, concurrent.futures.process.BrokenProcessPool) as exc:
            # BrokenProcessPool is a RuntimeError; so is a __main__ that starts work without a guard
            if self.figure_process:
                log.warning("figure process unavailable (%s); drawing on a thread", exc)
            self._shutdown_pool()
            paths += [Path(p) for p in await asyncio.to_thread(render_figures, snap, out, market)]
        intel_due = time.monotonic() - self._intel_figures_at >= max(self.refresh_rate, INTEL_FIGURES_MIN_INTERVAL_S)
        if (self.state.intel.get("status") == "ready") and (force or intel_due):
            self._intel_figures_at = time.monotonic()
            try:
                paths += await self.engine.write_intelligence_figures(market)
            except Exception as exc:  # a figure is a nicety: the dashboard keeps going
                log.warning("intelligence figures failed: %s: %s", type(exc).__name__, exc)
        self.figures_written = paths
        return paths

    def _shutdown_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def _figures_loop(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.refresh_rate)
            if self._stop.is_set():
                break
            try:
                await self.write_figures()
            except Exception:
                log.exception("dashboard figures failed")
