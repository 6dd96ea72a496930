"""The autopilot in the conversation (voice, typed, Telegram): its commands and its proposals.

Commands (grammars: autopilot_mode, autopilot_status, volatility_forecast):
- switching to `propose` or `auto` can trade: it is read back and done only on an explicit "yes", like
  a halt; switching `off` is done at once. "Active le pilote automatique" / "autopilot on" means
  `propose` (every trade still needs the trader's word): `auto` is only ever chosen by saying it. On a
  live account, `auto` is refused here: it needs the account id typed at the terminal
  (`mia autopilot auto`).
- "what is the autopilot doing" and "what is the volatility forecast" are answered at once.

Proposals: a front hands each new signal to `propose()` (`AutopilotFeed` does it from the engine's
events, and announces the trades of `auto`). The most recent question wins, and the read-back names
what is being confirmed: the proposal becomes the pending confirmation (an order or mode read-back
still pending is set aside, and the answer says so: nothing of it was sent), and "oui" / "confirm" /
the button then executes exactly that signal (`Engine.confirm_signal`), "non" declines it
(`Engine.decline_signal`). One exception, for safety: a pending halt, close or reduce-only read-back
is never replaced (a "yes" meant to stop or to close must never open a trade); the proposal is only
mentioned, and stays confirmable on the other fronts until it expires. A command of the trader's own,
given while a proposal waits, sets the proposal aside the same way. When the signal ends elsewhere (its own timer, a newer signal, the mode
switched off, a Telegram button), `signal_ended()` withdraws it and says why.
"""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from assistant.autopilot.text import (
    forecast_text,
    mode_done,
    mode_name,
    mode_readback,
    reason_text,
    signal_text,
    status_text,
    t,
)
from assistant.present.autopilot import confirm_msg
from assistant.present.text import render
from assistant.dialogue import answers as A
from assistant.dialogue.reply import PendingConfirmation, Reply
from assistant.nlu.result import ParseResult

if TYPE_CHECKING:
    from assistant.dialogue.manager import Dialogue

INTENTS = frozenset({"autopilot_mode", "autopilot_status", "volatility_forecast"})
ACTIONS = frozenset({"autopilot_mode", "autopilot_signal"})
# Read-backs a proposal never replaces: they reduce risk (see `propose`).
PROTECTED = frozenset({"halt", "close", "reduce_only"})


def _signal_of(event_or_signal: Any) -> Any:
    return getattr(event_or_signal, "signal", event_or_signal)


async def answer(d: Dialogue, intent: str, parsed: ParseResult, lang: str, now: float, src: str) -> Reply:
    """The reply to one of the autopilot's intents."""
    engine = d.engine
    if intent == "autopilot_status":
        status = engine.autopilot_status()
        return d._reply(status_text(status, lang), lang, "answer", parsed, src, result=status)
    if intent == "volatility_forecast":
        forecast = await engine.volatility_forecast()
        said = forecast_text(forecast, lang)
        symbol = parsed.slots.get("symbol")
        if symbol:
            # The VIX is the S&P 500's volatility: one forecast for every market, and the answer says so.
            said = t(lang, f"For {symbol}, the forecast is the VIX's (S&P 500 volatility), the same for every market. ",
                     f"Pour {symbol}, la prévision est celle du VIX (volatilité du S&P 500), la même pour chaque "
                     f"marché. ") + said
        return d._reply(said, lang, "answer", parsed, src, result=forecast)
    mode = str(parsed.slots.get("mode", "propose"))
    status = engine.autopilot_status()
    if status is None:
        return d._reply(status_text(None, lang), lang, "info", parsed, src)
    if status.mode.value == mode:
        return d._reply(t(lang, f"The autopilot is already in {mode_name(mode, 'en')}.",
                          f"Le pilote automatique est déjà en {mode_name(mode, 'fr')}."), lang, "info", parsed, src)
    if mode == "off":  # stops trading: no confirmation needed
        res = await engine.set_autopilot_mode("off")
        return d._reply(mode_done(res, lang), lang, "executed" if res.ok else "refused", parsed, src, result=res,
                        executed=res.ok)
    if mode == "auto" and engine.mode == "live":
        return d._reply(t(lang, "Automatic mode on the live account is switched on only at the terminal, with the "
                                "account id typed: mia autopilot auto.",
                          "Le mode automatique sur le compte réel ne s'active qu'au terminal, en tapant l'identifiant "
                          "du compte : mia autopilot auto."), lang, "refused", parsed, src)
    verdicts = ""
    if mode == "auto":
        from assistant.autopilot.ops import verdict_sentences

        verdicts = verdict_sentences(engine, lang)
    pending = d._arm("autopilot_mode", mode_readback(mode, lang, verdicts), lang, now, parsed, mode=mode)
    return d._readback_reply(pending, parsed, src)


async def execute(d: Dialogue, pending: PendingConfirmation, lang: str, parsed: ParseResult, src: str) -> Reply:
    """A confirmed autopilot action: a mode switch, or a proposal taken."""
    engine = d.engine
    if pending.action == "autopilot_mode":
        res = await engine.set_autopilot_mode(pending.mode or "off")
        text = mode_done(res, lang)
        if res.ok and pending.mode == "auto":
            from assistant.autopilot.ops import verdict_sentences

            text += " " + verdict_sentences(engine, lang)
        return d._reply(text, lang, "executed" if res.ok else "refused", parsed, src, result=res, executed=res.ok)
    taken = await engine.confirm_signal(pending.signal_id or "")
    said = render(confirm_msg(taken, pending.signal_id or ""), lang)
    if taken.ok and not taken.duplicate and taken.signal is not None:
        said = _taken_text(taken.signal, lang)
    return d._reply(said, lang, "executed" if taken.ok else "refused", parsed, src, result=taken,
                    executed=taken.ok and not taken.duplicate)


def _taken_text(signal: Any, lang: str) -> str:
    return t(lang, "Signal confirmed. ", "Signal confirmé. ") + signal_text(signal, lang)


async def decline(d: Dialogue, pending: PendingConfirmation) -> None:
    """The trader said no to a proposal: the autopilot records it as declined (nothing is sent)."""
    if pending.action == "autopilot_signal" and pending.signal_id:
        await d.engine.decline_signal(pending.signal_id)


def proposal_summary(signal: Any, lang: str) -> str:
    """The core's proposal sentence without its question, naming the autopilot: "Autopilot signal: long 1
    ES at 5,970.00, stop 5,960.00, target 5,990.00, confidence 0.72." """
    text = signal_text(signal, lang)
    if lang == "fr":
        return text.replace("Signal :", "Signal du pilote automatique :", 1).removesuffix(" Confirmez-vous ?")
    return text.replace("Signal:", "Autopilot signal:", 1).removesuffix(" Confirm?")


def _remaining_s(signal: Any, timeout_s: float) -> float:
    if signal.expires_ts is None:
        return timeout_s
    return max(0.5, min(timeout_s, (signal.expires_ts - datetime.now(timezone.utc)).total_seconds()))


async def propose(d: Dialogue, signal: Any, now: float | None = None) -> Reply:
    """Read a new proposal to the trader: it becomes the pending confirmation (the most recent question
    wins; what was pending before is set aside, and the answer says so)."""
    async with d._lock:
        now = d._now(now)
        lang = d._lang
        prefix: list[str] = []
        old = d._pending
        if old is not None and old.action in PROTECTED and not old.is_due(now):
            # The trader is stopping or closing: a "yes" meant for that must never open a trade. The
            # proposal is only mentioned; it stays confirmable elsewhere until it expires.
            note = t(lang, f"(An autopilot signal came in on {signal.symbol}; it is not offered while your request "
                           "waits for its answer.)",
                     f"(Un signal du pilote automatique est arrivé sur {signal.symbol} ; il n'est pas proposé tant que "
                     "votre demande attend sa réponse.)")
            return await d._finish(Reply(note, lang, "info", source="autopilot"))
        if d._followup is not None:
            prefix.append(A.text("discarded", lang, not_done=d._followup_not_done(d._followup)))
            d._followup = None
        if old is not None:
            d._end_pending(expired=False)
            if not old.is_due(now):
                prefix.append(A.text("discarded", lang, not_done=A.text(f"not_done.{old.action}", lang)))
        summary = proposal_summary(signal, lang)
        timeout = _remaining_s(signal, d.confirm_timeout_s)
        pending = PendingConfirmation(
            id=uuid.uuid4().hex[:12], action="autopilot_signal", summary=summary, lang=lang, created_at=now,
            expires_at=now + timeout, timeout_s=timeout, transcript="", symbol=signal.symbol,
            signal_id=signal.signal_id,
        )
        d._pending = pending
        question = A.text("confirm_question", lang)
        reply = Reply(" ".join([*prefix, f"{summary} {question}"]), lang, "readback", profile="urgent",
                      intent="autopilot_proposal", source="autopilot", pending=pending, discarded=old)
        return await d._finish(reply)


async def signal_ended(d: Dialogue, signal: Any, now: float | None = None) -> Reply | None:
    """The signal this dialogue was asking about ended elsewhere (expired, replaced, executed by another
    front, mode switched off): withdraw the question and say why. None when it was not pending here."""
    async with d._lock:
        pending = d._pending
        if pending is None or pending.action != "autopilot_signal" or pending.signal_id != signal.signal_id:
            return None
        d._end_pending(expired=True)
        lang = pending.lang
        if signal.decision.value == "executed":
            text = t(lang, "The signal was confirmed on another channel. ", "Le signal a été confirmé sur un autre "
                     "canal. ") + _taken_text(signal, lang)
            kind = "info"
        else:
            why = reason_text(signal, lang).rstrip(".")
            text = t(lang, f"The autopilot's proposal ended: {why}. Nothing was sent.",
                     f"La proposition du pilote automatique est terminée : {why}. Rien n'a été envoyé.")
            kind = "expired"
        return await d._finish(Reply(text, lang, kind, source="autopilot", discarded=pending))  # type: ignore[arg-type]


async def announce(d: Dialogue, signal: Any, *, urgent: bool = False) -> Reply:
    """A trade the autopilot made on its own (auto mode), for the trader to hear."""
    async with d._lock:
        lang = d._lang
        return await d._finish(Reply(signal_text(signal, lang), lang, "info", profile="urgent" if urgent else "calm",
                                     source="autopilot"))


class AutopilotFeed:
    """The autopilot's events turned into what a conversation says: attached by a front to its loop
    (`attach(put)`: `put` queues a coroutine function of the dialogue, run in the loop's order)."""

    def __init__(self, engine: Any, *, announce_trades: bool = True) -> None:
        self.engine = engine
        self.announce_trades = announce_trades  # a chat gets the trades as channel messages instead
        self._put: Any = None

    def attach(self, put: Any) -> "AutopilotFeed":
        self._put = put
        self.engine.add_listener(self._on_event)
        return self

    def detach(self) -> None:
        self.engine.remove_listener(self._on_event)
        self._put = None

    def _on_event(self, event: Any) -> None:
        from trading_core.types import EventKind

        put = self._put
        if put is None:
            return
        kind = event.kind
        sig = getattr(event, "signal", None)
        if kind is EventKind.AUTOPILOT_PROPOSAL and sig is not None:
            put(lambda d, s=sig: propose(d, s))
        elif kind in (EventKind.AUTOPILOT_EXPIRED, EventKind.AUTOPILOT_EXECUTED) and sig is not None:
            put(lambda d, s=sig: signal_ended(d, s))
            if kind is EventKind.AUTOPILOT_EXECUTED and sig.mode == "auto" and self.announce_trades:
                put(lambda d, s=sig: announce(d, s))
        # The autopilot switched off by a halt or the kill switch is an alert (priority 4: spoken and sent).


async def run_call(d: Dialogue, call: Any) -> Reply | None:
    """Run one queued feed call (a front's loop does it between the trader's utterances)."""
    result = call(d)
    return await result if asyncio.iscoroutine(result) else result
