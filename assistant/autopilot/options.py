"""`mia run`'s autopilot options (`--autopilot`, `--model-type`) and the typed acknowledgement of `auto`
on a live account. Light on purpose: `mia --help` imports it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MODE_CHOICES = ("off", "propose", "auto")
MODEL_CHOICES = ("ppo_cvar", "qr_dqn", "ensemble", "none")
RUN_HELP = {
    "autopilot": "autopilot mode for this run: off, propose (each signal is read to you and traded only if you "
                 "confirm it), auto (traded at once, through the risk gate). Without it the last run's mode is "
                 "restored (off the first time)",
    "model_type": "the autopilot's trade-probability model: ppo_cvar (default), qr_dqn, ensemble, none (ML filter "
                  "alone); untrained: the filter decides alone, and MIA says so",
}
RUN_EXAMPLES = ("  mia run --autopilot propose --model-type ppo_cvar   (signals read back, traded on your \"yes\")\n"
                "  mia autopilot status | off | propose | auto      (the running MIA's autopilot)")


@dataclass(frozen=True, slots=True)
class AutopilotRunOptions:
    mode: str | None = None  # None: the persisted mode (or the config's) is restored
    live_ack: bool = False  # the trader typed the account id for `auto` on a live account


def config_overrides(model_type: str | None) -> dict[str, Any]:
    """The config overrides `--model-type` makes (the engine's config is built with them)."""
    return {"autopilot": {"model_type": model_type}} if model_type else {}


def acknowledge_auto(account: str, input_fn: Callable[[str], str]) -> bool:
    """`--autopilot auto --live`: the trader types the account id again, for automatic trading. False
    (and nothing switched on) for anything else."""
    prompt = (f"AUTOMATIC TRADING (autopilot) on the LIVE account {account}. Type the account id to confirm / "
              f"TRADING AUTOMATIQUE (pilote automatique) sur le compte RÉEL {account}. Tapez l'identifiant du compte "
              f"pour confirmer : ")
    try:
        typed = input_fn(prompt)
    except (EOFError, KeyboardInterrupt):
        return False
    return bool(account) and typed is not None and typed.strip().upper() == account.upper()
