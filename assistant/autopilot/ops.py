"""Control-socket ops of the autopilot, so `mia autopilot status|off|propose|auto` drives a running
`mia run`: `autopilot_status`, `autopilot_preview` (the read-back of a switch) and `autopilot_mode`.

A switch to `auto` on a live engine carries the account id the trader typed at the terminal (the
same acknowledgement as `mia run --live`); it is checked here, against the configured account."""
from __future__ import annotations

from typing import Any

from assistant.autopilot.text import MODES, mode_done, mode_readback, status_text, t, verdict_text

EXIT_REFUSED = 1


def _result(ok: bool, text: str, exit_code: int = 0, data: dict[str, Any] | None = None) -> Any:
    from assistant.cli.control import OpResult

    return OpResult(ok, text, exit_code, data)


def _bad_mode(mode: Any, lang: str) -> Any:
    return _result(False, t(lang, f"Unknown autopilot mode {mode!r}: use off, propose or auto.",
                            f"Mode de pilote automatique inconnu {mode!r} : utilisez off, propose ou auto."), 2)


def verdicts(engine: Any) -> list[Any]:
    """The last replay verdict of each autopilot symbol (None where there is none)."""
    from trading_core.autopilot.evaluate import last_verdict

    status = engine.autopilot_status()
    symbols = status.symbols if status is not None else (engine.config.market,)
    return [last_verdict(engine.config.data_path, s) for s in symbols]


def verdict_sentences(engine: Any, lang: str) -> str:
    return " ".join(dict.fromkeys(verdict_text(v, lang) for v in verdicts(engine)))


def live_ack_ok(engine: Any, typed: Any) -> bool:
    """The account id typed for `auto` on a live engine (letter case ignored, as at `mia run --live`)."""
    account = str(getattr(engine.config.ib, "account", "") or "")
    return bool(account) and isinstance(typed, str) and typed.strip().upper() == account.upper()


async def op_autopilot_status(engine: Any, args: dict[str, Any], lang: str) -> Any:
    status = engine.autopilot_status()
    return _result(True, status_text(status, lang), data={"mode": status.mode.value if status else None})


async def op_autopilot_preview(engine: Any, args: dict[str, Any], lang: str) -> Any:
    mode = args.get("mode")
    if mode not in MODES:
        return _bad_mode(mode, lang)
    status = engine.autopilot_status()
    if status is None:
        return _result(False, status_text(None, lang), EXIT_REFUSED)
    if status.mode.value == mode:
        return _result(True, t(lang, f"The autopilot is already in {mode}: nothing to do.",
                               f"Le pilote automatique est déjà en {mode} : rien à faire."), data={"nothing": True})
    verdicts = verdict_sentences(engine, lang) if mode == "auto" else ""
    text = mode_readback(mode, lang, verdicts, live=engine.mode == "live")
    return _result(True, text, data={"live_ack_needed": mode == "auto" and engine.mode == "live",
                                     "account": str(getattr(engine.config.ib, "account", "") or "")
                                     if engine.mode == "live" else ""})


async def op_autopilot_mode(engine: Any, args: dict[str, Any], lang: str) -> Any:
    mode = args.get("mode")
    if mode not in MODES:
        return _bad_mode(mode, lang)
    live_ack = False
    if mode == "auto" and engine.mode == "live":
        if not live_ack_ok(engine, args.get("live_ack")):
            return _result(False, t(lang, "Refused: automatic mode on the live account needs the account id typed "
                                          "at the terminal. Nothing was changed.",
                                    "Refusé : le mode automatique sur le compte réel exige de saisir l'identifiant du "
                                    "compte au terminal. Rien n'a été changé."), EXIT_REFUSED)
        live_ack = True
    res = await engine.set_autopilot_mode(mode, live_ack=live_ack)
    text = mode_done(res, lang)
    if res.ok and mode == "auto":
        text += " " + verdict_sentences(engine, lang)
    return _result(res.ok, text, 0 if res.ok else EXIT_REFUSED, data={"mode": res.mode.value, "code": res.code})


def _on_engine(op: Any) -> Any:
    """The control socket hands ops an `OpContext`; these work on its engine."""
    async def run(ctx: Any, args: dict[str, Any], lang: str) -> Any:
        return await op(ctx.engine, args, lang)

    return run


OPS = {
    "autopilot_status": _on_engine(op_autopilot_status),
    "autopilot_preview": _on_engine(op_autopilot_preview),
    "autopilot_mode": _on_engine(op_autopilot_mode),
}
