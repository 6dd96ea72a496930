"""The intelligence service in its own process, behind the same methods (`on_bar`, `regime`,
`top_features`, `signal_quality`).

Why a process: the first regime or SHAP query imports scikit-learn, XGBoost and hmmlearn and trains
models for seconds, and even afterwards each query computes features in pandas. Much of that is C code
that holds the GIL, so in a thread of `mia run` it still froze the event loop (prices, fills, the daily
loss check, voice, Telegram) for hundreds of milliseconds at a time. In a child process it cannot:
the engine's process never imports those libraries, and `on_bar` only appends to a list.

Protocol: the child (`python -m trading_core.intelligence.worker`) reads frames from stdin and answers
on its original stdout (4-byte big-endian length + pickle; its fd 1 is pointed at stderr so that a
library printing cannot corrupt the stream). A request is `(method, args, kwargs, new_bars)`: the bars
that arrived since the previous request come with it, so the child's buffer follows the engine's. An
answer is `("ok", value)` or `("error", message_en, message_fr)`. If the child dies, the next query
starts a new one and sends it the whole buffer again.
"""
from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any

from trading_core.config import MiaConfig
from trading_core.intelligence.types import IntelligenceInputError
from trading_core.types import Bar

log = logging.getLogger("mia.intelligence")

_HEADER = struct.Struct(">I")


def _write(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("intelligence process closed its output")
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("intelligence process closed its output mid-answer")
    return pickle.loads(data)  # only ever our own child's answers


class IntelligenceWorker:
    """Client side, held by the Engine. Thread-safe: queries (from worker threads) are serialised;
    `on_bar` (the event loop) takes a lock around one list append only."""

    def __init__(self, config: MiaConfig, data_dir: Path, buffer_bars: int = 6_000,
                 request_timeout_s: float = 900.0) -> None:
        self.config = config
        self.data_dir = Path(data_dir)
        self.request_timeout_s = request_timeout_s
        self._buffer: deque[Bar] = deque(maxlen=buffer_bars)  # what a new child is given
        self._pending: list[Bar] = []  # bars the current child has not seen yet
        self._bars_lock = threading.Lock()
        self._call_lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ engine side
    def on_bar(self, bar: Bar) -> None:
        with self._bars_lock:
            self._buffer.append(bar)
            self._pending.append(bar)

    def regime(self, symbol: str | None = None) -> Any:
        return self._call("regime", symbol)

    def top_features(self, n: int = 10, symbol: str | None = None) -> Any:
        return self._call("top_features", n, symbol)

    def signal_quality(self, features: Any = None, *, symbol: str | None = None, side: Any = None) -> Any:
        return self._call("signal_quality", features, symbol=symbol, side=side)

    def close(self) -> None:
        with self._call_lock:
            self._stop_child()

    # ------------------------------------------------------------------ plumbing
    def _start_child(self) -> subprocess.Popen[bytes]:
        root = Path(__file__).resolve().parents[2]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
        proc = subprocess.Popen([sys.executable, "-m", "trading_core.intelligence.worker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=None, env=env)
        assert proc.stdin is not None
        _write(proc.stdin, {"config": self.config.model_dump(mode="json"), "data_dir": str(self.data_dir)})
        with self._bars_lock:
            self._pending = list(self._buffer)  # a new child starts from the whole buffer
        log.info("intelligence process %d started", proc.pid)
        return proc

    def _stop_child(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with self._call_lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start_child()
            proc = self._proc
            with self._bars_lock:
                bars, self._pending = self._pending, []
            try:
                assert proc.stdin is not None and proc.stdout is not None
                _write(proc.stdin, (method, args, kwargs, bars))
                answer = _read(proc.stdout)
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                log.error("intelligence process failed during %s: %s", method, exc)
                self._stop_child()
                raise IntelligenceInputError(
                    "the intelligence process stopped; it starts again at the next question",
                    "le processus d'intelligence s'est arrêté ; il redémarre à la prochaine question",
                ) from None
        if answer[0] == "ok":
            return answer[1]
        raise IntelligenceInputError(answer[1], answer[2])


def _serve() -> int:
    """The child: one IntelligenceService, answering requests until stdin closes."""
    proto_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the answers
    proto_in = sys.stdin.buffer
    from trading_core.intelligence.service import IntelligenceService

    setup = _read(proto_in)
    service = IntelligenceService(MiaConfig.model_validate(setup["config"]), data_dir=setup["data_dir"])
    while True:
        try:
            method, args, kwargs, bars = _read(proto_in)
        except EOFError:
            return 0
        for bar in bars:
            try:
                service.on_bar(bar)
            except IntelligenceInputError as exc:  # out of order or invalid: skipped, as in-process
                log.debug("bar skipped: %s", exc)
        try:
            value = getattr(service, method)(*args, **kwargs)
            answer: tuple[Any, ...] = ("ok", value)
        except IntelligenceInputError as exc:
            answer = ("error", exc.message_en, exc.message_fr)
        except Exception as exc:  # reported to the caller, the process keeps serving
            logging.getLogger("mia.intelligence").exception("%s failed", method)
            answer = ("error", f"{method} failed: {type(exc).__name__}: {exc}",
                      f"{method} a échoué : {type(exc).__name__} : {exc}")
        _write(proto_out, answer)


if __name__ == "__main__":
    sys.exit(_serve())
