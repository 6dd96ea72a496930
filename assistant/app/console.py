"""What the terminal of `mia run` / `mia listen` shows besides the conversation: one start-up line
that says what is running (market, mode, input and recognisers, spoken answers, alert channels,
where the logs go).

Front ends report their part (`report(services, "input", ...)`) instead of printing it; the lifecycle
(`assistant.app.lifecycle`) prints the line once the parts are in. Log records never reach the terminal (they go to
`data/logs/<market>/*.log`, see `trading_core.logs`) unless `-v` is given.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.app.services import Services

__all__ = ["SUMMARY_WAIT_S", "StartupSummary", "report", "short_reason", "summary_line", "alert_line"]

#: Parts the lifecycle waits for before printing the start-up line.
PARTS = ("input", "alerts")
#: How long the start-up line waits at most for the front ends to report (grammar compilation included). The line
#: comes as soon as every part is in (about 8 s of CPU with a warm ~/.cache/mia); the first start trains and caches
#: the parser's models (about 35 s of CPU), and a loaded machine takes longer: a shorter bound printed the line
#: without its input part.
SUMMARY_WAIT_S = 90.0


class StartupSummary:
    """The parts of the start-up line, filled in by the front ends as they come up."""

    def __init__(self, expected: Iterable[str] = PARTS) -> None:
        self.expected = tuple(expected)
        self.parts: dict[str, str] = {}
        self._complete = asyncio.Event()
        self._shown = asyncio.Event()

    def report(self, part: str, text: str) -> None:
        self.parts[part] = text
        if all(p in self.parts for p in self.expected):
            self._complete.set()

    async def wait(self, timeout: float) -> bool:
        """True when every expected part came in within `timeout` seconds."""
        try:
            await asyncio.wait_for(self._complete.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def shown(self) -> None:
        """The lifecycle printed the line (or gave up on it)."""
        self._shown.set()

    async def until_shown(self, timeout: float) -> None:
        """Wait until the line is on the terminal, so that no answer is printed above it (typed input
        piped in is read at once)."""
        try:
            await asyncio.wait_for(self._shown.wait(), timeout)
        except asyncio.TimeoutError:
            pass


def report(services: Services, part: str, text: str) -> None:
    """A front end's part of the start-up line; printed as is when nobody collects the line (a preset
    without the line, or a front end run on its own, as the tests do)."""
    if services.startup is not None:
        services.startup.report(part, text)
    else:
        print(text)


def short_reason(message: str) -> str:
    """The first sentence of an explanation, without its final period ("No microphone (audio input
    device) is available on this machine. Plug one in…" -> "No microphone … on this machine")."""
    first = message.strip().split(". ")[0].strip()
    return first[:-1] if first.endswith(".") else first


def summary_line(lang: str, *, mode: str, market: str, state: str, parts: dict[str, str],
                 log_dir: Any = None, log_level: str | None = None, quit_hint: bool = True) -> str:
    """"MIA paper · ES · active · typed input · spoken answers off · alerts: no channel · logs:
    data/logs/ES (INFO) · Ctrl-C to stop"."""
    fr = lang == "fr"
    states = {"ACTIVE": ("active", "actif"), "HALTED": ("halted", "arrêté"),
              "REDUCING": ("reduce-only", "réduction seule")}
    en_state, fr_state = states.get(state.upper(), (state.lower(), state.lower()))
    items = [f"MIA {'papier' if fr and mode == 'paper' else 'réel' if fr and mode == 'live' else mode}",
             market, fr_state if fr else en_state]
    for part in ("input", "answers", "alerts"):
        if parts.get(part):
            items.append(parts[part])
    if log_dir is not None:
        level = f" ({log_level})" if log_level else ""
        items.append(("journaux : " if fr else "logs: ") + f"{log_dir}{level}")
    if quit_hint:
        items.append("Ctrl-C pour arrêter" if fr else "Ctrl-C to stop")
    return " · ".join(items)


def alert_line(text: str, lang: str) -> str:
    """A spoken alert as the terminal shows it."""
    return ("MIA (alerte) : " if lang == "fr" else "MIA (alert): ") + text
