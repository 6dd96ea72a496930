"""Base of the loopback HTTP fakes (Telegram Bot API, Discord webhook, Twilio): an aiohttp server on
127.0.0.1 with a random port, fault injection, and a record of every accepted message in order.

Fault injection, per fault-eligible request (the send endpoints):
- `FaultConfig(rate=0.3, kinds=("500", "429", "timeout"))`: that fraction of requests fails, the kind
  drawn uniformly from `kinds` with a seeded RNG (reproducible runs).
- "timeout" hangs for `hang_s` (longer than the client's timeout). `timeout_after_processing=False`:
  the request is lost (nothing recorded); True: it is processed and recorded, only the answer is lost —
  the case where a resend duplicates unless the service deduplicates.
- `script("429", "ok", "500")` forces the outcomes of the next requests, before the random draw.
- `hold_next(record=True)` parks the next successful request (after recording it, when `record`) until
  `release()`: a test can kill the client while its request is in flight.
Every message accepted is appended to `received` with its idempotency key; a repeated key is marked
`duplicate=True` and answered with the original response, so `delivered` holds each message once.
"""
from __future__ import annotations

import abc
import asyncio
import contextlib
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

OK = "ok"
TIMEOUT = "timeout"


@dataclass
class FaultConfig:
    rate: float = 0.0
    kinds: tuple[str, ...] = ("500", "429", TIMEOUT)
    retry_after: float = 1.0  # seconds announced in injected 429s
    hang_s: float = 30.0
    timeout_after_processing: bool = False
    latency_s: float = 0.0  # added to every request (fault-eligible or not)
    seed: int | None = 0


@dataclass(frozen=True)
class Received:
    index: int  # position among all accepted requests (duplicates included)
    key: str | None  # idempotency key sent by the client, if any
    recipient: str
    text: str
    ts: float  # time.perf_counter() when accepted
    duplicate: bool
    payload: dict[str, Any] = field(default_factory=dict)


class Hold:
    """One parked request. `arrived` is set when it is parked; `release()` lets it answer."""

    def __init__(self, record: bool, after: int = 0) -> None:
        self.record = record
        self.after = after  # park the first request arriving once this many messages were accepted
        self.arrived = asyncio.Event()
        self._released = asyncio.Event()

    def release(self) -> None:
        self._released.set()

    async def wait_arrived(self, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            await self.arrived.wait()


class FakeHTTPServer(abc.ABC):
    """Subclasses implement `_routes(app)` and use `_fault()`, `_record()`, `_take_hold()`."""

    name = "fake"

    def __init__(self, faults: FaultConfig | None = None) -> None:
        self.faults = faults or FaultConfig()
        self._rng = random.Random(self.faults.seed)
        self._script: deque[str] = deque()
        self._holds: deque[Hold] = deque()
        self.outcomes: Counter[str] = Counter()
        self.attempt_log: list[tuple[float, str]] = []  # (perf_counter, outcome) of fault-eligible requests
        self.received: list[Received] = []
        self._by_key: dict[str, Any] = {}
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._changed = asyncio.Event()
        self.port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        self._routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.base_url

    async def stop(self) -> None:
        self._closing.set()
        for h in self._holds:
            h.release()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self.port}"

    @abc.abstractmethod
    def _routes(self, app: web.Application) -> None:
        """Register the fake's endpoints."""

    # -- fault control -----------------------------------------------------------------------------

    def script(self, *outcomes: str) -> None:
        """Force the outcomes of the next fault-eligible requests ("ok", "500", "429", "timeout", ...)."""
        self._script.extend(outcomes)

    def hold_next(self, record: bool = True, after: int = 0) -> Hold:
        """Park the next successful send (once `after` messages have been accepted) until released."""
        hold = Hold(record, after)
        self._holds.append(hold)
        return hold

    def _fault(self) -> str:
        if self._script:
            outcome = self._script.popleft()
        elif self.faults.rate > 0 and self._rng.random() < self.faults.rate:
            outcome = self._rng.choice(self.faults.kinds)
        else:
            outcome = OK
        self.outcomes[outcome] += 1
        self.attempt_log.append((time.perf_counter(), outcome))
        return outcome

    def _take_hold(self) -> Hold | None:
        if self._holds and len(self.received) >= self._holds[0].after:
            return self._holds.popleft()
        return None

    async def _latency(self) -> None:
        if self.faults.latency_s > 0:
            await asyncio.sleep(self.faults.latency_s)

    async def _hang(self, seconds: float | None = None) -> None:
        """Sleep like a stuck server, but return at once when the fake is stopped."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds if seconds is not None else self.faults.hang_s):
                await self._closing.wait()

    async def _park(self, hold: Hold) -> None:
        hold.arrived.set()
        waiter = asyncio.ensure_future(hold._released.wait())
        closer = asyncio.ensure_future(self._closing.wait())
        await asyncio.wait({waiter, closer}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        closer.cancel()

    # -- recording ---------------------------------------------------------------------------------

    def _known(self, key: str | None) -> Any:
        return self._by_key.get(key) if key else None

    def _record(self, key: str | None, recipient: str, text: str, payload: dict[str, Any], response: Any = None) -> Received:
        dup = bool(key) and key in self._by_key
        rec = Received(len(self.received), key, recipient, text, time.perf_counter(), dup, payload)
        self.received.append(rec)
        if key and not dup:
            self._by_key[key] = response
        self._changed.set()
        return rec

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.received if not r.duplicate]

    @property
    def duplicates(self) -> list[Received]:
        return [r for r in self.received if r.duplicate]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{type(self).__name__}: condition not met within {timeout} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 0.2)):
                    await self._changed.wait()

    async def wait_delivered(self, n: int, timeout: float = 10.0) -> list[Received]:
        await self.wait_until(lambda: len(self.delivered) >= n, timeout)
        return self.delivered
