"""A private PulseAudio daemon with a fake microphone and a fake speaker, for audio tests.

- `mic`: a pipe source. A feeder thread writes 20 ms of silence into its FIFO in real time (a
  pipe source only delivers while something writes; with nothing flowing PortAudio's `stop()`
  hangs), and `PrivatePulse.say(pcm)` splices an utterance into that stream.
- `spk`: a null sink; `record_speaker()` captures what programs play through `spk.monitor`.

The daemon runs with its own XDG_RUNTIME_DIR and HOME in a short temporary folder (unix socket
paths are limited to 108 bytes), is started with `pulseaudio -D` and stopped by the pid it wrote.
PortAudio is re-initialised after the environment changes, because it enumerates devices once.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

RATE = 16_000
CHUNK = RATE // 50  # 20 ms


def pulse_available() -> str | None:
    """None if a private PulseAudio can be started here, else the reason it cannot."""
    for tool in ("pulseaudio", "pactl", "parec"):
        if shutil.which(tool) is None:
            return f"{tool} not installed (apt-get install pulseaudio pulseaudio-utils)"
    try:
        import sounddevice  # noqa: F401
    except OSError as exc:
        return f"PortAudio missing: {exc}"
    return None


def _alive(pid: int) -> bool:
    """A daemonised process is re-parented to init; once it exits it may stay a zombie for a
    while, which `kill(pid, 0)` still reports as alive."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class _Feeder(threading.Thread):
    """Writes real-time 20 ms chunks into the FIFO: silence, or queued utterance audio."""

    def __init__(self, fifo: Path) -> None:
        super().__init__(name="pulse-mic-feeder", daemon=True)
        self.fifo = fifo
        self._lock = threading.Lock()
        self._pending = np.zeros(0, dtype=np.int16)
        self._halt = threading.Event()
        self.error: BaseException | None = None
        self.chunks_written = 0

    def splice(self, pcm: np.ndarray) -> float:
        """Queue audio; returns its duration. It replaces silence chunk by chunk, in real time."""
        with self._lock:
            self._pending = np.concatenate([self._pending, pcm.astype(np.int16)])
        return len(pcm) / RATE

    @property
    def idle(self) -> bool:
        with self._lock:
            return self._pending.size == 0

    def run(self) -> None:
        try:
            fd = os.open(self.fifo, os.O_WRONLY)
        except OSError as exc:
            self.error = exc
            return
        # Non-blocking: while nobody records, PulseAudio suspends the source and stops reading
        # the FIFO; like a real microphone, audio nobody listens to is simply lost.
        os.set_blocking(fd, False)
        start = time.monotonic()
        try:
            while not self._halt.is_set():
                with self._lock:
                    chunk = self._pending[:CHUNK]
                    self._pending = self._pending[CHUNK:]
                if chunk.size < CHUNK:
                    chunk = np.concatenate([chunk, np.zeros(CHUNK - chunk.size, np.int16)])
                try:
                    os.write(fd, chunk.tobytes())
                except BlockingIOError:
                    pass
                self.chunks_written += 1
                delay = start + self.chunks_written * CHUNK / RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        except OSError as exc:  # the daemon went away
            if not self._halt.is_set():
                self.error = exc
        finally:
            os.close(fd)

    def stop(self) -> None:
        self._halt.set()


class PrivatePulse:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mia-pa-"))
        self.runtime = self.root / "run"
        self.home = self.root / "home"
        self.fifo = self.root / "mic.fifo"
        self.env = dict(os.environ)
        self._saved_env: dict[str, str | None] = {}
        self.pid: int | None = None
        self._feeder: _Feeder | None = None

    # -------------------------------------------------------------- lifecycle
    def start(self) -> "PrivatePulse":
        self.runtime.mkdir(mode=0o700)
        self.home.mkdir()
        self.env.update(XDG_RUNTIME_DIR=str(self.runtime), HOME=str(self.home),
                        PULSE_SERVER=f"unix:{self.runtime}/pulse/native")
        self.env.pop("PULSE_SINK", None)
        self.env.pop("PULSE_SOURCE", None)
        cmd = [
            "pulseaudio", "-D", "-n", "--exit-idle-time=-1", "--daemonize=yes", "--disallow-exit",
            "--log-target=file:" + str(self.root / "pulse.log"),
            "--load=module-native-protocol-unix",
            "--load=module-null-sink sink_name=spk",
            f"--load=module-pipe-source source_name=mic file={self.fifo} format=s16le rate={RATE} channels=1",
        ]
        res = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=20)
        if res.returncode != 0:
            raise RuntimeError(f"pulseaudio failed to start: {res.stderr.strip() or res.stdout.strip()}")
        pid_file = self.runtime / "pulse" / "pid"
        deadline = time.monotonic() + 10
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.pid = int(pid_file.read_text().strip())
        self.pactl("set-default-source", "mic")
        self.pactl("set-default-sink", "spk")
        self._feeder = _Feeder(self.fifo)
        self._feeder.start()
        self._use_env()
        return self

    def stop(self) -> None:
        if self._feeder is not None:
            self._feeder.stop()
            self._feeder.join(timeout=5)
        self._restore_env()
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                for _ in range(100):
                    if not _alive(self.pid):
                        break
                    time.sleep(0.05)
                else:
                    os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.pid = None
        shutil.rmtree(self.root, ignore_errors=True)

    def _use_env(self) -> None:
        for key in ("XDG_RUNTIME_DIR", "PULSE_SERVER", "HOME"):
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = self.env[key]
        from assistant.audio.mic_source import refresh_devices

        refresh_devices()

    def _restore_env(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        try:
            from assistant.audio.mic_source import refresh_devices

            refresh_devices()
        except Exception:  # noqa: BLE001 - best effort during teardown
            pass

    # -------------------------------------------------------------- helpers
    def pactl(self, *args: str) -> str:
        res = subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True, timeout=10)
        if res.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {res.stderr.strip()}")
        return res.stdout

    def say(self, pcm: np.ndarray) -> float:
        """Splice 16 kHz mono int16 audio into the microphone stream; returns its duration."""
        assert self._feeder is not None
        if self._feeder.error:
            raise RuntimeError(f"mic feeder failed: {self._feeder.error}")
        return self._feeder.splice(pcm)

    @property
    def mic_idle(self) -> bool:
        return self._feeder is None or self._feeder.idle

    def record_speaker(self, seconds: float) -> np.ndarray:
        """Capture `seconds` of what is played to the `spk` sink (16 kHz mono int16)."""
        proc = subprocess.Popen(
            ["parec", "--device=spk.monitor", "--format=s16le", f"--rate={RATE}", "--channels=1", "--raw"],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        want = int(seconds * RATE) * 2
        data = b""
        deadline = time.monotonic() + seconds + 5
        assert proc.stdout is not None
        try:
            while len(data) < want and time.monotonic() < deadline:
                block = proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(4096)
                if not block:
                    break
                data += block
        finally:
            proc.terminate()
            proc.wait(timeout=5)
        return np.frombuffer(data[: len(data) // 2 * 2], dtype=np.int16)


def private_pulse() -> Iterator[PrivatePulse]:
    """Generator for a pytest fixture: `yield from private_pulse()`."""
    pulse = PrivatePulse().start()
    try:
        yield pulse
    finally:
        pulse.stop()
