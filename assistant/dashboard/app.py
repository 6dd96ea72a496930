"""The Starlette application: one static page, its script and style, a JSON snapshot and an SSE stream.

Routes:
  GET /                  the page (static HTML + vanilla JS + inline SVG charts; nothing from the internet)
  GET /static/...        app.js, style.css
  GET /api/snapshot      the current snapshot (JSON)
  GET /api/events        server-sent events: `event: snapshot` with the same JSON, on every change and at
                         least every push interval
  GET /api/figures       the PNG figures written so far
  GET /figures/{name}    one of those PNG files
  GET /health            "ok"
One broadcaster computes each snapshot once, whatever the number of open pages.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from assistant.dashboard.state import DashboardState, clean

log = logging.getLogger("mia.dashboard")

STATIC_DIR = Path(__file__).resolve().parent / "static"
_FIGURE_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.png$")


class Broadcaster:
    """Computes the snapshot when the state changed (or every `push_interval` s) and wakes the streams."""

    def __init__(self, state: DashboardState, push_interval: float = 1.0, min_gap: float = 0.1) -> None:
        self.state = state
        self.push_interval = push_interval
        self.min_gap = min_gap
        self.seq = 0
        self.latest: str | None = None
        self.closed = False
        self._cond = asyncio.Condition()

    async def close(self) -> None:
        """End the open event streams (so the server can stop without waiting for the pages)."""
        async with self._cond:
            self.closed = True
            self._cond.notify_all()

    async def publish(self) -> str:
        self.state.sample_prices()
        snap = clean(await self.state.snapshot())
        text = json.dumps(snap, ensure_ascii=False, separators=(",", ":"))
        async with self._cond:
            self.latest = text
            self.seq += 1
            self._cond.notify_all()
        return text

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.publish()
            except Exception:  # a failed snapshot is logged; the next one may work (ledger busy, ...)
                log.exception("dashboard snapshot failed")
            waiter = asyncio.ensure_future(self.state.changed.wait())
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({waiter, stopper}, timeout=self.push_interval, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                stopper.cancel()
            self.state.changed.clear()
            await asyncio.sleep(self.min_gap)  # a burst of fills is one update, not fifty

    async def next_after(self, seq: int, timeout: float) -> tuple[int, str | None]:
        async with self._cond:
            if self.seq <= seq:
                try:
                    await asyncio.wait_for(self._cond.wait_for(lambda: self.seq > seq or self.closed), timeout)
                except asyncio.TimeoutError:
                    return seq, None
            return self.seq, self.latest


def allowed_hosts(listen_host: str) -> list[str]:
    """Host headers the page answers to. A web page elsewhere could otherwise point a DNS name of its own
    at 127.0.0.1 (DNS rebinding) and read the account through the visitor's browser."""
    if listen_host in ("0.0.0.0", "::", ""):
        return ["*"]  # the user chose to listen everywhere: any name may be used to reach it
    return sorted({"127.0.0.1", "localhost", "::1", "[::1]", listen_host})


def build_app(
    state: DashboardState, broadcaster: Broadcaster, figures_dir: Path | None = None, listen_host: str = "127.0.0.1"
) -> Starlette:
    index_html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")

    async def index(request: Request) -> Response:
        return HTMLResponse(index_html, headers={"Cache-Control": "no-store"})

    async def snapshot(request: Request) -> Response:
        text = broadcaster.latest or await broadcaster.publish()
        return Response(text, media_type="application/json", headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            yield "retry: 2000\n\n"  # the browser reconnects by itself after this many ms
            seq = 0
            if broadcaster.latest is None:
                await broadcaster.publish()
            while True:
                new_seq, text = await broadcaster.next_after(seq, timeout=15.0)
                if broadcaster.closed or await request.is_disconnected():
                    break
                if text is None:
                    yield ": keep-alive\n\n"
                    continue
                seq = new_seq
                yield f"event: snapshot\nid: {seq}\ndata: {text}\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def figures(request: Request) -> Response:
        if figures_dir is None or not figures_dir.exists():
            return JSONResponse([])
        return JSONResponse(sorted(p.name for p in figures_dir.glob("*.png")))

    async def figure(request: Request) -> Response:
        name = request.path_params["name"]
        if figures_dir is None or not _FIGURE_NAME.match(name) or not (figures_dir / name).is_file():
            return PlainTextResponse(f"no figure named {name!r} / aucune figure de ce nom", status_code=404)
        return FileResponse(figures_dir / name, media_type="image/png", headers={"Cache-Control": "no-store"})

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes: list[Any] = [
        Route("/", index),
        Route("/api/snapshot", snapshot),
        Route("/api/events", events),
        Route("/api/figures", figures),
        Route("/figures/{name}", figure),
        Route("/health", health),
        Mount("/static", app=StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(listen_host))])
