"""The autopilot's events are data in the core and sentences here: a catastrophe level change and a mode
change go through the ledger typed and are spoken with their figures in words."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from trading_core.autopilot.types import AutopilotMode, CatastropheLevel, LevelChange, ModeChange
from trading_core.ledger import Ledger
from trading_core.types import EngineEvent, EventKind, Severity, StateChange, TradingState

from assistant.present.events import event_text
from assistant.present.text import Surface, render

TS = datetime(2025, 4, 22, 14, 30, tzinfo=timezone.utc)
LEVEL = LevelChange(CatastropheLevel.INFO, CatastropheLevel.CRITICAL, 1502.25, 3, 4.5, ("drawdown",), "reduce_only")


def test_autopilot_events_round_trip_the_ledger_typed(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as led:
        led.append_event(EngineEvent(EventKind.CATASTROPHE_LEVEL, Severity.CRITICAL, TS, LEVEL))
        led.append_event(EngineEvent(EventKind.AUTOPILOT_MODE, Severity.WARNING, TS,
                                     ModeChange(AutopilotMode.AUTO, AutopilotMode.OFF, "daily_loss")))
        level, mode = led.events()
    assert level.payload == LEVEL and level.level_change == LEVEL and level.signal is None
    assert mode.mode_change == ModeChange(AutopilotMode.AUTO, AutopilotMode.OFF, "daily_loss")


def test_a_level_change_is_written_and_spoken_with_its_figures() -> None:
    text = event_text(EngineEvent(EventKind.CATASTROPHE_LEVEL, Severity.CRITICAL, TS, LEVEL))
    assert text.body is not None
    written = render(text.body, "en")
    assert "CRITICAL" in written and "$1,502.25" in written and "reduce-only" in written
    spoken = render(text.body, "fr", Surface.SPEECH)
    assert "CRITIQUE" in spoken and "mille cinq cent deux dollars" in spoken and "$" not in spoken
    assert render(text.title, "fr") == "Niveau de risque"


def test_a_payload_that_does_not_fit_the_kind_is_refused() -> None:
    with pytest.raises(TypeError):
        EngineEvent(EventKind.AUTOPILOT_MODE, Severity.INFO, TS, LEVEL)
    with pytest.raises(TypeError):
        EngineEvent(EventKind.CATASTROPHE_LEVEL, Severity.INFO, TS,
                    StateChange(TradingState.ACTIVE, TradingState.HALTED, "x"))
