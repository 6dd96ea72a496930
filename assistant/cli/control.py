"""Local control socket so `mia order`, `mia close`, `mia status`... reach a running `mia run`.

`mia run` listens on a Unix socket in the data directory (owner-only permissions); each request is
one JSON line `{"op": NAME, "args": {...}, "lang": "en"}` and each answer one JSON line
`{"ok": bool, "text": str, "exit": int}`. Only text crosses the socket: the same `ops` functions
render results in-process (one-shot mode) and behind the socket, so both paths read the same.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from trading_core.private import private_dir
from trading_core.protocols import EngineAPI

if TYPE_CHECKING:
    from assistant.monitor.monitor import Monitor

log = logging.getLogger("mia.control")



@dataclass
class OpContext:
    """What an op works on: the engine, and the running monitor when there is one (`mia status`)."""

    engine: EngineAPI
    monitor: Monitor | None = None


OpFunc = Callable[[OpContext, dict[str, Any], str], Awaitable["OpResult"]]


class OpResult:
    """An op's answer: success, the text to print, the exit code, and `data`: what a read-back pins
    (the resolved quantity, the client order id, the positions it read) for the confirmed call."""

    __slots__ = ("ok", "text", "exit", "data")

    def __init__(self, ok: bool, text: str, exit: int = 0, data: dict[str, Any] | None = None) -> None:
        self.ok, self.text, self.exit = ok, text, (exit if not ok else 0) or (0 if ok else 1)
        self.data: dict[str, Any] = data or {}

    def to_json(self) -> str:
        return json.dumps({"ok": self.ok, "text": self.text, "exit": self.exit, "data": self.data}, ensure_ascii=False)


def socket_path(data_dir: Path) -> Path:
    return Path(data_dir) / "run" / "mia.sock"


class ControlServer:
    def __init__(self, engine: EngineAPI, ops: dict[str, OpFunc], path: Path) -> None:
        self.context, self.ops, self.path = OpContext(engine), ops, path
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        private_dir(self.path.parent, tighten=True)
        if self.path.exists():
            if await _alive(self.path):
                raise RuntimeError(
                    f"another MIA is already running (control socket {self.path}); stop it first / "
                    f"une autre instance de MIA tourne déjà"
                )
            self.path.unlink()
        self._server = await asyncio.start_unix_server(self._handle, path=str(self.path))
        os.chmod(self.path, 0o600)  # only this user may drive the engine

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 10)
            try:
                req = json.loads(line)
                op = self.ops[req["op"]]
            except (ValueError, KeyError, TypeError):
                res = OpResult(False, "bad control request / requête de contrôle invalide", 2)
            else:
                try:
                    res = await op(self.context, req.get("args") or {}, req.get("lang", "en"))
                except Exception as exc:  # report, never kill the running engine
                    log.exception("control op %s failed", req.get("op"))
                    res = OpResult(False, f"error: {exc}", 1)
            writer.write(res.to_json().encode() + b"\n")
            await writer.drain()
        finally:
            writer.close()


async def _alive(path: Path) -> bool:
    try:
        _, w = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), 1)
    except (OSError, asyncio.TimeoutError):
        return False
    w.close()
    return True


class ControlLost(Exception):
    """The running MIA accepted the request but never answered (it stopped, crashed or hung): the
    request may or may not have been carried out, and the caller must find out which."""


async def call(path: Path, op: str, args: dict[str, Any], lang: str, timeout: float = 30.0) -> OpResult | None:
    """Send one op to a running MIA; None when no MIA is listening. Raises ControlLost when the
    connection was made but no answer came back."""
    if not path.exists():
        return None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), 2)
    except (OSError, asyncio.TimeoutError):
        return None
    try:
        writer.write(json.dumps({"op": op, "args": args, "lang": lang}).encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
    except (OSError, asyncio.TimeoutError) as exc:
        raise ControlLost(f"no answer from the running MIA ({type(exc).__name__})") from None
    finally:
        writer.close()
    if not line:
        raise ControlLost("the running MIA closed the connection without answering")
    try:
        data = json.loads(line)
        return OpResult(bool(data["ok"]), str(data["text"]), int(data.get("exit", 0)), data.get("data") or {})
    except (ValueError, KeyError, TypeError):
        raise ControlLost("the running MIA sent an answer that cannot be read") from None
