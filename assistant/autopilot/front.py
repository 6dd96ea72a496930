"""`mia run`'s autopilot: attached to the engine of every run (so a restart restores the mode it had, as
documented in docs/autopilot.md), switched by `--autopilot off|propose|auto`, its trade-probability
model chosen by `--model-type` (a config override made before the engine is built).

At start-up the mode in force is printed and spoken; in `auto`, so is the last replay verdict of each
symbol - that the autopilot lost money in replay, or that it was never evaluated. `--autopilot auto`
with `--live` needs the typed acknowledgement (`options.acknowledge_auto`) before the engine starts."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from assistant.autopilot.ops import verdict_sentences
from assistant.autopilot.options import AutopilotRunOptions
from assistant.autopilot.text import mode_done, mode_name, t
from trading_core.autopilot.types import AutopilotMode

if TYPE_CHECKING:
    from assistant.app.services import Services

log = logging.getLogger("mia.autopilot")

async def attach_for_run(engine: Any, options: AutopilotRunOptions, lang: str) -> tuple[Any, list[str]]:
    """Attach the autopilot to a started engine and apply `--autopilot`; returns it with the lines to
    print and say (the mode in force, why, and in `auto` the replay verdicts)."""
    from trading_core.autopilot.controller import Autopilot

    pilot = Autopilot(engine)
    await pilot.start(live_ack=options.live_ack, prepare=False)
    lines: list[str] = []
    restored = pilot.mode
    if options.mode is not None and options.mode != restored.value:
        res = await pilot.set_mode(options.mode, live_ack=options.live_ack)
        lines.append(mode_done(res, lang))
    elif restored is not AutopilotMode.OFF:
        await pilot.set_mode(restored, live_ack=options.live_ack)  # the same mode: loads its models
        lines.append(t(lang, f"Autopilot in {mode_name(restored, 'en')} (restored from the last run).",
                       f"Pilote automatique en {mode_name(restored, 'fr')} (repris de la dernière session)."))
    elif options.mode == "off":
        lines.append(t(lang, "Autopilot off.", "Pilote automatique désactivé."))
    if pilot.mode is AutopilotMode.AUTO:
        lines.append(verdict_sentences(engine, lang))
    return pilot, lines


async def run_front_end(services: Services) -> None:
    """The autopilot of `mia run`: attached until the run stops."""
    options = services.options.autopilot or AutopilotRunOptions()
    lang = services.lang if services.lang in ("en", "fr") else "en"
    pilot, lines = await attach_for_run(services.engine, options, lang)
    if services.startup is not None and lines:  # said after the start-up line, first words of the conversation
        await services.startup.wait(30.0)
        await asyncio.sleep(0.05)
    for line in lines:
        print(f"MIA: {line}", flush=True)
        try:
            services.speaker.say(line, lang, "urgent" if pilot.mode is AutopilotMode.AUTO else "calm")
        except Exception as exc:  # the line was printed: a voice problem must not stop the autopilot
            log.warning("speech failed: %s", exc)
    try:
        await services.stop.wait()
    finally:
        await pilot.stop()
