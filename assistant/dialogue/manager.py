"""The dialogue: parsed utterance -> read-back / confirmation / engine call -> answer.

One `Dialogue` per user or session (a voice loop, a typed loop, one Telegram chat). It is
transport-agnostic: front ends hand it text or a `ParseResult` and get a `Reply` back; a chat front
end drives confirmations with `confirm()` / `cancel()` (buttons) instead of a spoken "yes".

Rules (issue "Dialogue and confirmation"):
- orders, closing positions and halting are read back with their figures and executed only after an
  explicit confirm within `dialogue.confirm_timeout_s`; cancel, timeout or any other utterance
  discards them, and the answer says so. What is executed is exactly what was read back: the
  quantity resolved at read-back time is fixed and the client order id is chosen then, so a double
  confirmation (two taps on a button) can never send two orders;
- no match, or a confidence below `dialogue.min_confidence` -> "I did not understand, can you
  repeat?"; a command refused by the parser as ambiguous is answered with why (two symbols...);
- queries are answered at once; risk refusals are spoken with their reason;
- "repeat" says the last answer again (and re-arms a pending confirmation); "help" lists examples;
- each answer is in the language of the utterance unless a language is forced;
- every answer is offered to `copy_sink(transcript, answer_text, lang, source)` when one is given.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from typing import Any

from assistant.dialogue import answers as A
from assistant.dialogue import autopilot as AP
from assistant.dialogue.reply import ActionKind, PendingConfirmation, PendingFollowUp, Reply
from assistant.nlu.parser import UNCLEAR_ANSWER, Parser
from assistant.nlu.result import ParseResult
from assistant.present import readback as R
from assistant.present.numbers import format_percent
from assistant.present.reasons import reason_text
from assistant.present.text import render
from trading_core.config import DialogueConfig, MiaConfig
from trading_core.protocols import EngineAPI
from trading_core.types import (
    ClosePreview,
    CloseResult,
    HaltPreview,
    OrderRequest,
    OrderResult,
    OrderType,
    SetRiskResult,
    Side,
    TradingState,
)

log = logging.getLogger("mia.dialogue")

CopySink = Callable[[str, str, str, str], Awaitable[Any] | Any]
LANGS = ("en", "fr")


def is_understood(parsed: ParseResult, confidence: float | None, min_confidence: float) -> bool:
    """Whether a parse is acted on: matched, and neither the recogniser's confidence (None for typed
    text) nor the parse score below `min_confidence`. A module function so that the audio test
    harness (assistant/harness) applies exactly the rule the dialogue applies."""
    if not parsed.matched or parsed.intent is None:
        return False
    if confidence is not None and confidence < min_confidence:
        return False
    return parsed.score >= min_confidence


@lru_cache(maxsize=1)
def shared_parser() -> Parser:
    """The project grammars compiled once per process (compiling takes about two seconds) and shared
    by every dialogue: `Parser.parse` does not mutate the parser."""
    from assistant.nlu import native

    log.info(native.state().line())  # compiled with mypyc or pure Python (assistant/nlu/native.py)
    return Parser.from_paths(None)



def _error_text(exc: Exception, lang: str) -> str:
    """An error in the user's language: the intelligence and engine errors carry one sentence per
    language (`message(lang)`); anything else says what it is."""
    message = getattr(exc, "message", None)
    return str(message(lang)) if callable(message) else (str(exc) or type(exc).__name__)

def _opens_with(text: str, what: str) -> bool:
    """Whether `text` starts by naming `what` ("le résultat du jour" / "Résultat du jour : …",
    "today's P&L" / "Today's P&L: …"), its article aside."""
    words = what.casefold().split()
    if words and words[0] in ("le", "la", "les", "the"):
        words = words[1:]
    elif words and words[0].startswith("l'"):
        words[0] = words[0][2:]
    return bool(words) and text.casefold().startswith(" ".join(words))


#: Commands a live session refuses when said as paper ones (`Parser.says_paper`): they would trade for real.
_PAPER_CHECKED = frozenset({"place_trade", "close_positions", "resume", "autopilot_mode", "set_risk"})



#: Commands done at once, without a read-back of their own (a risk, a resume, the autopilot switched off): opened by a
#: yes-word while a read-back waits, they are asked again (`Parser.opens_with_yes`).
_SWITCHED_AT_ONCE = frozenset({"set_risk", "resume", "autopilot_mode"})


def _heard(confidence: float | None, src: str) -> bool:
    """The input came from speech (a recogniser's confidence, or the voice front), not typed."""
    return confidence is not None or src == "voice"

class Dialogue:
    """Dialogue state machine for one user. Safe to call from several tasks: calls are serialised."""

    def __init__(
        self,
        engine: EngineAPI,
        parser: Parser | None = None,
        *,
        config: MiaConfig | DialogueConfig | None = None,
        lang: str = "auto",
        default_lang: str | None = None,
        copy_sink: CopySink | None = None,
        source: str = "voice",
        clock: Callable[[], float] = time.monotonic,
        fill_wait_s: float = 2.0,
        top_features_n: int = 3,
        offload_intelligence: bool = True,
        default_market: str | None = None,
    ) -> None:
        if lang not in ("auto", *LANGS):
            raise ValueError(f"lang must be auto, en or fr, not {lang!r}")
        if isinstance(config, MiaConfig):
            settings = config.dialogue
            config_lang = config.language
            default_market = default_market or config.market
        else:
            settings = config or DialogueConfig()
            config_lang = "auto"
        if default_lang is None:
            default_lang = config_lang if config_lang in LANGS else "en"
        if default_lang not in LANGS:
            raise ValueError(f"default_lang must be en or fr, not {default_lang!r}")
        self.engine = engine
        self.parser = parser or shared_parser()
        self.confirm_timeout_s = float(settings.confirm_timeout_s)
        self.min_confidence = float(settings.min_confidence)
        self.forced_lang: str | None = None if lang == "auto" else lang
        self.source = source
        self.copy_sink = copy_sink
        self.clock = clock
        self.fill_wait_s = fill_wait_s
        self.top_features_n = top_features_n
        self.offload_intelligence = offload_intelligence
        self._lang = self.forced_lang or default_lang  # language of the conversation so far
        #: "set risk to 1 %" without a symbol applies to this market (and says so); None: to all.
        self.default_market = default_market
        self._pending: PendingConfirmation | None = None
        self._followup: PendingFollowUp | None = None
        self._last_ended: PendingConfirmation | None = None  # last pending that expired (for late buttons)
        self._last: Reply | None = None
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ state
    @property
    def pending(self) -> PendingConfirmation | None:
        return self._pending

    @property
    def last_reply(self) -> Reply | None:
        return self._last

    @property
    def language(self) -> str:
        """The language answers are in when an utterance does not decide it."""
        return self._lang

    @property
    def followup(self) -> PendingFollowUp | None:
        """The follow-up question waiting for an answer, if any."""
        return self._followup

    def next_deadline(self) -> float | None:
        """When the pending confirmation or follow-up question expires (dialogue clock), for a
        front end's timer."""
        if self._pending is not None:
            return self._pending.expires_at
        return self._followup.expires_at if self._followup is not None else None

    # ------------------------------------------------------------------ entry points
    async def handle(
        self,
        utterance: str | ParseResult,
        now: float | None = None,
        *,
        confidence: float | None = None,
        source: str | None = None,
    ) -> Reply:
        """Answer one utterance (text, or a ParseResult from the caller's own parse).

        `confidence` is the recogniser's (None for typed text); below `min_confidence` the utterance
        is "not understood", whatever it parsed to."""
        if not isinstance(utterance, (str, ParseResult)):
            raise TypeError(f"handle() takes text or a ParseResult, not {type(utterance).__name__}")
        async with self._lock:
            now = self._now(now)
            src = source or self.source
            parsed = utterance if isinstance(utterance, ParseResult) else self.parse(utterance)
            reply = await self._handle(parsed, now, confidence, src)
            return await self._finish(reply)

    def parse(self, text: str) -> ParseResult:
        """Parse with both languages active, ties broken towards the conversation's language. A parser that fails
        on a sentence (a bug; compiled code checks its types at run time) makes it "not understood", logged with its
        trace: the conversation goes on and nothing is acted on."""
        try:
            return self.parser.parse(text, "auto", prefer=self.forced_lang or self._lang)
        except Exception:  # noqa: BLE001 - any failure of the parser is a sentence not understood, never a crash
            log.exception("the parser failed on %r: answered as not understood", text)
            return ParseResult(text, "", False, None, reason="no_match", detail="the parser failed on this sentence")

    async def not_understood(self, now: float | None = None, *, transcript: str = "", source: str | None = None) -> Reply:
        """For a front end that heard something it could not turn into text (out of grammar, too long,
        noise): the same answer and the same effect as an unparseable utterance."""
        empty = ParseResult(transcript, "", False, None, reason="no_match", detail="nothing usable was heard")
        return await self.handle(empty, now, source=source)

    async def confirm(self, now: float | None = None, *, pending_id: str | None = None, source: str | None = None) -> Reply:
        """Confirm the pending action (a chat's Confirm button). With `pending_id`, only that read-back
        can be confirmed: a stale button never confirms a newer action."""
        async with self._lock:
            now = self._now(now)
            src = source or self.source
            lang = self._pending.lang if self._pending else self._lang
            reply = await self._button(True, now, pending_id, src, lang)
            return await self._finish(reply)

    async def cancel(self, now: float | None = None, *, pending_id: str | None = None, source: str | None = None) -> Reply:
        """Cancel the pending action (a chat's Cancel button)."""
        async with self._lock:
            now = self._now(now)
            src = source or self.source
            lang = self._pending.lang if self._pending else self._lang
            reply = await self._button(False, now, pending_id, src, lang)
            return await self._finish(reply)

    async def expire(self, now: float | None = None) -> Reply | None:
        """Discard the pending action if its time is up, and say so; None when nothing expired.
        Front ends call this from a timer so the trader hears the timeout when it happens."""
        async with self._lock:
            now = self._now(now)
            followup = self._followup
            if followup is not None and followup.is_due(now):
                self._followup = None
                reply = Reply(self._followup_expired_text(followup), followup.lang, "expired",
                              intent=None, source=self.source)
                return await self._finish(reply)
            pending = self._pending
            if pending is None or not pending.is_due(now):
                return None
            self._end_pending(expired=True)
            reply = Reply(
                self._expired_text(pending, pending.lang), pending.lang, "expired", intent=None,
                source=self.source, discarded=pending,
            )
            return await self._finish(reply)

    async def restart_timer(self, pending_id: str, now: float | None = None) -> bool:
        """Give the trader the full confirmation delay again from `now`, if `pending_id` is still the
        pending action. A voice front end calls it when the read-back has finished playing (a long
        read-back must not eat the time to answer); a chat when the question was delivered."""
        async with self._lock:
            now = self._now(now)
            followup = self._followup
            if followup is not None and followup.id == pending_id:
                if followup.is_due(now):
                    return False
                self._followup = replace(followup, expires_at=max(followup.expires_at, now + followup.timeout_s))
                return True
            pending = self._pending
            if pending is None or pending.id != pending_id:
                return False
            if pending.is_due(now):
                return False
            self._pending = replace(pending, expires_at=max(pending.expires_at, now + pending.timeout_s))
            return True

    async def propose(self, signal: Any, now: float | None = None) -> Reply:
        """An autopilot proposal to read back (`assistant.dialogue.autopilot.propose`)."""
        return await AP.propose(self, signal, now)

    async def signal_ended(self, signal: Any, now: float | None = None) -> Reply | None:
        """An autopilot signal ended elsewhere: withdraw it if it is the pending question."""
        return await AP.signal_ended(self, signal, now)

    async def close_input(self, now: float | None = None, *, source: str | None = None) -> Reply | None:
        """The input ended (end of a pipe, a file, a closed chat) with an action still pending:
        discard it and say so. None when nothing was pending."""
        async with self._lock:
            followup = self._followup
            if followup is not None:
                self._followup = None
                reply = Reply(A.text("input_closed", followup.lang, not_done=self._followup_not_done(followup)),
                              followup.lang, "cancelled", source=source or self.source)
                return await self._finish(reply)
            pending = self._pending
            if pending is None:
                return None
            self._end_pending(expired=False)
            reply = Reply(
                A.text("input_closed", pending.lang, not_done=A.text(f"not_done.{pending.action}", pending.lang)),
                pending.lang, "cancelled", source=source or self.source, discarded=pending,
            )
            return await self._finish(reply)

    # ------------------------------------------------------------------ core
    def _now(self, now: float | None) -> float:
        return self.clock() if now is None else float(now)

    def _answer_lang(self, parsed: ParseResult) -> str:
        if self.forced_lang:
            return self.forced_lang
        if parsed.language in LANGS and parsed.language_certain:
            return parsed.language
        return self._lang  # "ok", "stop trading": valid in both languages, the conversation decides

    def _understood(self, parsed: ParseResult, confidence: float | None) -> bool:
        return is_understood(parsed, confidence, self.min_confidence)

    async def _handle(self, parsed: ParseResult, now: float, confidence: float | None, src: str) -> Reply:
        lang = self._answer_lang(parsed)
        understood = self._understood(parsed, confidence)
        # Words such as "ok" or "go" are understood when typed, never acted on from speech (a
        # recogniser makes them out of "no" or of noise).
        spoken = _heard(confidence, src)
        typed_only_spoken = understood and parsed.typed_only and spoken
        if typed_only_spoken:
            understood = False
        intent = parsed.intent if understood else None
        if understood and parsed.language in LANGS and not self.forced_lang and parsed.language_certain:
            self._lang = parsed.language
        prefix: list[str] = []
        discarded: PendingConfirmation | None = None

        followup = self._followup
        if followup is not None and followup.is_due(now):
            self._followup = None
            prefix.append(self._followup_expired_text(followup))
            followup = None
        if followup is not None:
            answered = await self._continue_followup(followup, parsed, understood, intent, lang, now, src,
                                                     confidence)
            if answered is not None:
                return answered
            # Anything else drops the question (a restated command of the same intent needs no word).
            self._followup = None
            if not (understood and intent == followup.intent):
                prefix.append(A.text("followup.dropped", lang))

        pending = self._pending
        if intent is None and not spoken and pending is not None and not pending.is_due(now) and not parsed.matched:
            # "y", "n", "c'est bon": typed answers only while a read-back waits (refused elsewhere).
            answer = self.parser.context_answer(parsed.text)
            if answer is not None:
                intent = answer
        if typed_only_spoken and pending is not None and not pending.is_due(now):
            # "ok" said to a read-back: never a confirmation from speech; ask for a clear word.
            return self._reply(A.text("say_yes", pending.lang), pending.lang, "info", parsed, src)
        if pending is not None and pending.is_due(now):
            self._end_pending(expired=True)
            discarded = pending
            if intent == "confirm":
                return self._reply(A.text("too_late", lang, seconds=A.seconds(pending.timeout_s, lang),
                                          not_done=A.text(f"not_done.{pending.action}", lang)),
                                   lang, "expired", parsed, src, discarded=pending)
            if intent == "cancel":
                return self._reply(self._expired_text(pending, lang), lang, "expired", parsed, src, discarded=pending)
            prefix.append(self._expired_text(pending, lang))
        elif pending is not None:
            if intent == "confirm" and not self._answer_fits(pending, parsed):
                return self._ask_again(pending, parsed, src, now)  # "yes, buy them" to a sell read back
            if intent == "confirm":
                return await self._execute(pending, lang, parsed, src)
            if intent in (None, "followup_answer") and (
                    parsed.reason == UNCLEAR_ANSWER or self.parser.opens_with_answer(parsed.text)):
                # "ok mets le en route", "oui plus tard": a yes or a no with more in it is doubt. The
                # read-back stays as it is and the question is asked again (`_ask_again`: its delay).
                return self._ask_again(pending, parsed, src, now)
            if intent == "cancel":
                self._end_pending(expired=False)
                await AP.decline(self, pending)
                return self._reply(A.text("cancelled", lang, not_done=A.text(f"not_done.{pending.action}", lang)),
                                   lang, "cancelled", parsed, src, discarded=pending)
            if intent in _SWITCHED_AT_ONCE and self.parser.opens_with_yes(parsed.text):
                # "aye, start trading again", "ja, risk 1%" said to a read-back: a yes to it, or a switch? Nothing
                # said without a read-back of its own is done on a yes-word's doubt (round 33a): asked again.
                return self._ask_again(pending, parsed, src, now)
            if intent == "repeat":
                # Hearing the question again takes time: the trader gets the full delay again.
                rearmed = replace(pending, expires_at=now + pending.timeout_s)
                self._pending = rearmed
                question = A.text("confirm_question", rearmed.lang)
                return self._reply(f"{rearmed.summary} {question}", rearmed.lang, "readback", parsed, src,
                                   pending=rearmed, profile=self._profile_for(rearmed.action))
            # Anything else discards the pending action, then is answered normally.
            self._end_pending(expired=False)
            discarded = pending
            prefix.append(A.text("discarded", lang, not_done=A.text(f"not_done.{pending.action}", lang)))

        reply = await self._dispatch(parsed, intent, lang, now, src, confidence)
        if prefix:
            reply = replace(reply, text=" ".join([*prefix, reply.text]), discarded=discarded)
        return reply

    async def _dispatch(self, parsed: ParseResult, intent: str | None, lang: str, now: float, src: str,
                        confidence: float | None = None) -> Reply:
        asked = intent or (parsed.intent if parsed.missing else None)
        if asked in _PAPER_CHECKED and self.engine.mode == "live" \
                and self.parser.says_paper(parsed.text):
            # "placer un trade papier long sur ES" in a live session: a simulated trade was asked; sending it
            # for real would be another order than the one said.
            return self._reply(A.text("paper_in_live", lang), lang, "not_understood", parsed, src)
        if intent is None:
            if parsed.matched:  # matched, but the confidence (or a typed-only word from speech) says no
                return self._reply(A.text("not_understood", lang), lang, "not_understood", parsed, src)
            heard_clearly = confidence is None or confidence >= self.min_confidence
            if parsed.missing and parsed.intent is not None and parsed.score >= self.parser.accept and heard_clearly:
                # An incomplete command ("buy ES", "close"): ask for what is missing.
                return self._start_followup(parsed, lang, now, src)
            reason = parsed.reason
            if reason and reason != "no_match" and parsed.score < self.parser.accept:
                # A refusal's explanation ("I heard two symbols") is only worth saying when the
                # sentence really looked like a command; a weak fuzzy guess is just "not understood".
                reason = "no_match"
            kind, sentence = A.reason_text(reason, lang, parsed.nearest if heard_clearly else None)
            return self._reply(sentence, lang, kind, parsed, src)
        slots = parsed.slots
        try:
            if intent == "place_trade":
                return await self._readback_order(parsed, lang, now, src)
            if intent == "close_positions":
                symbol = None if slots.get("scope") == "all" else slots.get("symbol")
                return await self._readback_close(parsed, symbol, lang, now, src)
            if intent == "halt":
                return await self._readback_halt(parsed, lang, now, src)
            if intent == "reduce_only":
                return await self._readback_reduce_only(parsed, lang, now, src)
            if intent in AP.INTENTS:
                return self._understood_as(await AP.answer(self, intent, parsed, lang, now, src), parsed)
            if intent == "followup_answer":
                # "deux", "ES", "tout": an answer, but no question was asked. Never acted on.
                return self._reply(A.text("no_question", lang), lang, "info", parsed, src)
            if intent == "set_risk":
                return await self._set_risk(parsed, lang, now, src, spoken=_heard(confidence, src))
            if intent == "resume":
                return await self._resume(parsed, lang, now, src, spoken=_heard(confidence, src))
            if intent == "confirm":
                late = self._last_ended
                if late is not None and self._last is not None and self._last.discarded is late:
                    # "yes" right after the timeout was announced: say it was too late, not "nothing to confirm".
                    return self._reply(A.text("too_late", lang, seconds=A.seconds(late.timeout_s, lang),
                                              not_done=A.text(f"not_done.{late.action}", lang)),
                                       lang, "expired", parsed, src)
                return self._reply(A.text("nothing_to_confirm", lang), lang, "info", parsed, src)
            if intent == "cancel":
                return self._reply(A.text("nothing_to_cancel", lang), lang, "info", parsed, src)
            if intent == "repeat":
                return self._repeat(parsed, lang, src)
            if intent == "help":
                examples = (" ; " if lang == "fr" else "; ").join(e for e, _ in A.HELP_EXAMPLES[lang])
                return self._understood_as(
                    self._reply(A.text("help", lang, examples=examples), lang, "help", parsed, src), parsed)
            return self._understood_as(await self._query(intent, parsed, lang, src), parsed)
        except Exception as exc:  # an engine failure must be said, never crash the front end
            log.exception("dialogue: %s failed", intent)
            return self._error(exc, intent, lang, parsed, src)

    # ------------------------------------------------------------------ read-backs
    def _arm(self, action: ActionKind, summary: str, lang: str, now: float, parsed: ParseResult, **extra: Any) -> PendingConfirmation:
        pending = PendingConfirmation(
            id=uuid.uuid4().hex[:12], action=action, summary=summary, lang=lang, created_at=now,
            expires_at=now + self.confirm_timeout_s, timeout_s=self.confirm_timeout_s, transcript=parsed.text, **extra,
        )
        self._pending = pending
        return pending

    @staticmethod
    def _profile_for(action: str) -> str:
        return "urgent" if action in ("halt", "autopilot_signal") else "calm"

    def _readback_reply(self, pending: PendingConfirmation, parsed: ParseResult, src: str) -> Reply:
        question = A.text("confirm_question", pending.lang)
        text = f"{pending.summary} {question}"
        if parsed.method == "learned":
            # worded freely and read by the parser's learned stage: said as the guess it is
            text = A.text("learned_readback", pending.lang, readback=text)
        return self._reply(text, pending.lang, "readback", parsed, src,
                           pending=pending, profile=self._profile_for(pending.action))

    async def _readback_order(self, parsed: ParseResult, lang: str, now: float, src: str) -> Reply:
        s = parsed.slots
        price = s.get("price")
        risk = s.get("risk_percent")
        req = OrderRequest(
            symbol=str(s["symbol"]),
            side=Side(s["side"]),
            quantity=int(s["quantity"]),
            risk_percent=Decimal(str(risk)) if risk is not None else None,
            order_type=OrderType.LIMIT if price is not None else OrderType.MARKET,
            limit_price=float(price) if price is not None else None,
            client_order_id=f"mia-{src}-{uuid.uuid4().hex[:16]}",
            source=src,
        )
        preview = await self.engine.preview_order(req)
        if preview.rejection is not None:
            return self._reply(reason_text(preview.rejection, lang), lang, "refused", parsed, src, result=preview)
        equity = None
        if req.risk_percent is not None:
            equity = (await self.engine.account()).equity
        summary = render(R.order_readback(preview, equity), lang)
        # Exactly what was read back is what a confirmation sends.
        fixed = replace(preview.request, quantity=preview.quantity)
        pending = self._arm("order", summary, lang, now, parsed, request=fixed, estimated_risk=preview.estimated_risk)
        return self._readback_reply(pending, parsed, src)

    async def _readback_close(self, parsed: ParseResult, symbol: str | None, lang: str, now: float, src: str) -> Reply:
        # The engine says what closing would do (positions, cancels, closing orders with their ids);
        # that preview is read back and, once confirmed, executed as it is - never re-derived here.
        preview = await self.engine.preview_close(symbol)
        if preview.rejection is not None:
            return self._reply(reason_text(preview.rejection, lang), lang, "refused", parsed, src, result=preview)
        summary = R.close_readback(preview)
        if summary is None:
            return self._reply(render(R.nothing_to_close(preview.symbol), lang), lang, "info", parsed, src)
        pending = self._arm("close", render(summary, lang), lang, now, parsed, symbol=preview.symbol, preview=preview)
        return self._readback_reply(pending, parsed, src)

    async def _readback_reduce_only(self, parsed: ParseResult, lang: str, now: float, src: str) -> Reply:
        if self.engine.state is TradingState.REDUCING:
            return self._reply(render(R.already_reducing(), lang), lang, "info", parsed, src)
        pending = self._arm("reduce_only", render(R.reduce_readback(), lang), lang, now, parsed)
        return self._readback_reply(pending, parsed, src)

    async def _readback_halt(self, parsed: ParseResult, lang: str, now: float, src: str) -> Reply:
        # What halting would cancel is the engine's to say (its entry orders that could add exposure).
        preview = await self.engine.preview_halt()
        if preview.already_halted:
            return self._reply(render(R.already_halted(), lang), lang, "info", parsed, src)
        pending = self._arm("halt", render(R.halt_readback(preview), lang), lang, now, parsed, preview=preview)
        return self._readback_reply(pending, parsed, src)

    # ------------------------------------------------------------------ follow-up questions
    #: Order in which missing parts are asked for: direction, market, size, then risk.
    _ASK_ORDER = ("side", "symbol", "quantity", "risk_percent")
    #: A slot that answers a question for another: "everything" answers "which market?" (close).
    _STANDS_FOR = {"scope": "symbol"}

    def _order_missing(self, missing: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        rank = {slot: k for k, slot in enumerate(self._ASK_ORDER)}
        return tuple(sorted(dict.fromkeys(missing), key=lambda slot: rank.get(slot, len(rank))))

    def _start_followup(self, parsed: ParseResult, lang: str, now: float, src: str) -> Reply:
        assert parsed.intent is not None
        followup = PendingFollowUp(
            id=uuid.uuid4().hex[:12], intent=parsed.intent, slots=dict(parsed.slots),
            missing=self._order_missing(parsed.missing), lang=lang, created_at=now,
            expires_at=now + self.confirm_timeout_s, timeout_s=self.confirm_timeout_s, transcript=parsed.text,
        )
        self._followup = followup
        return self._ask(followup, parsed, src)

    def _question(self, followup: PendingFollowUp) -> str:
        """"Buy ES: how many contracts?" / "Achat ES : combien de contrats ?"."""
        lang = followup.lang
        slot = followup.asking
        key = f"ask.{slot}.{followup.intent}"
        question = A.text(key if key in A.TEXTS else f"ask.{slot}" if f"ask.{slot}" in A.TEXTS else "ask.quantity", lang)
        s = followup.slots
        if followup.intent == "place_trade":
            parts = []
            if "side" in s:
                parts.append(A.text("ask.buy" if s["side"] == "BUY" else "ask.sell", lang))
            if "quantity" in s:
                parts.append(A.contracts(int(s["quantity"]), lang))
            if "symbol" in s:
                parts.append(str(s["symbol"]))
            context = " ".join(parts) or A.text("ask.order", lang)
        elif followup.intent == "close_positions":
            context = A.text("ask.close", lang)
        elif followup.intent == "set_risk":
            where = (f" sur {s['symbol']}" if lang == "fr" else f" on {s['symbol']}") if "symbol" in s else ""
            context = A.text("ask.set_risk", lang, where=where)
        else:
            return question
        return A.text("ask.context", lang, context=context, question=question[:1].lower() + question[1:])

    def _ask(self, followup: PendingFollowUp, parsed: ParseResult | None, src: str, lead: str | None = None) -> Reply:
        question = self._question(followup)
        text = A.text(lead, followup.lang, question=question) if lead else question
        return self._reply(text, followup.lang, "question", parsed, src, followup=followup)

    def _followup_not_done(self, followup: PendingFollowUp) -> str:
        key = f"not_done.ask.{followup.intent}"
        return A.text(key if key in A.TEXTS else "not_done.ask", followup.lang)

    def _followup_expired_text(self, followup: PendingFollowUp) -> str:
        return A.text("followup.expired", followup.lang, seconds=A.seconds(followup.timeout_s, followup.lang),
                      not_done=self._followup_not_done(followup))

    async def _continue_followup(self, followup: PendingFollowUp, parsed: ParseResult, understood: bool,
                                 intent: str | None, lang: str, now: float, src: str,
                                 confidence: float | None) -> Reply | None:
        """Answer an utterance heard while a question waits; None when the utterance is not
        about the question (the caller drops it and answers the utterance normally)."""
        rearmed = replace(followup, expires_at=now + followup.timeout_s)
        if understood and intent == "repeat":
            self._followup = rearmed
            return self._ask(rearmed, parsed, src)
        if understood and intent == "cancel":
            self._followup = None
            return self._reply(A.text("cancelled", followup.lang, not_done=self._followup_not_done(followup)),
                               followup.lang, "cancelled", parsed, src)
        if understood and intent == "confirm":
            self._followup = rearmed
            return self._ask(rearmed, parsed, src, lead="followup.no_confirm_yet")
        answer: dict[str, Any] | None = None
        if understood and intent == "followup_answer":
            answer = dict(parsed.slots)
        elif (not parsed.matched and parsed.intent == followup.intent and parsed.missing
              and parsed.score >= self.parser.accept and (confidence is None or confidence >= self.min_confidence)):
            answer = dict(parsed.slots)  # the same command, still incomplete: "deux ES" for "buy"
        if answer is None:
            if understood or (parsed.missing and parsed.intent is not None and parsed.score >= self.parser.accept):
                return None  # another command: the question is dropped
            self._followup = rearmed  # not understood: ask again
            return self._ask(rearmed, parsed, src, lead="followup.again")
        return await self._merge_answer(followup, rearmed, answer, parsed, lang, now, src)

    async def _merge_answer(self, followup: PendingFollowUp, rearmed: PendingFollowUp, answer: dict[str, Any],
                            parsed: ParseResult, lang: str, now: float, src: str) -> Reply:
        allowed = set(self.parser.slot_names(followup.intent))
        missing = list(followup.missing)
        merged = dict(followup.slots)
        useful = False
        for slot, value in answer.items():
            if slot not in allowed:
                continue  # "tout" said to "how many contracts?": not an answer to it
            if slot in merged:
                if merged[slot] != value:
                    # "deux MNQ" for an order about ES: never guess which one was meant.
                    self._followup = None
                    return self._reply(A.text("followup.conflict", followup.lang,
                                              not_done=self._followup_not_done(followup)),
                                       followup.lang, "not_understood", parsed, src)
                continue
            merged[slot] = value
            target = self._STANDS_FOR.get(slot, slot)
            if target in missing:
                missing.remove(target)
                useful = True
        if not useful:
            self._followup = rearmed
            return self._ask(rearmed, parsed, src, lead="followup.again")
        if missing:
            self._followup = replace(rearmed, slots=merged, missing=self._order_missing(missing))
            return self._ask(self._followup, parsed, src)
        # Complete: the command now takes the normal road (read-back and confirmation).
        self._followup = None
        transcript = f"{followup.transcript} / {parsed.text}".strip(" /")
        # "3 MNQ" says no language, "achète" does: the read-back follows the answer's language then.
        done_lang = followup.lang
        if not self.forced_lang and parsed.language in LANGS and parsed.language_certain:
            done_lang = self._lang = parsed.language
        complete = ParseResult(transcript, transcript, True, followup.intent, merged, {}, done_lang,
                               True, 1.0, "exact")
        return await self._dispatch(complete, followup.intent, done_lang, now, src)

    # ------------------------------------------------------------------ confirmations
    def _end_pending(self, *, expired: bool) -> None:
        if expired:
            self._last_ended = self._pending
        self._pending = None

    def _expired_text(self, pending: PendingConfirmation, lang: str) -> str:
        return A.text("expired", lang, seconds=A.seconds(pending.timeout_s, lang),
                      not_done=A.text(f"not_done.{pending.action}", lang))

    async def _button(self, confirm: bool, now: float, pending_id: str | None, src: str, lang: str) -> Reply:
        intent = "confirm" if confirm else "cancel"
        pending = self._pending
        if pending is None or (pending_id is not None and pending_id != pending.id):
            late = self._last_ended
            if late is not None and pending_id == late.id:
                key = "too_late" if confirm else "expired"
                sentence = A.text(key, late.lang, seconds=A.seconds(late.timeout_s, late.lang),
                                  not_done=A.text(f"not_done.{late.action}", late.lang))
                return Reply(sentence, late.lang, "expired", intent=intent, source=src)
            if pending_id is not None:
                return Reply(A.text("stale_confirmation", lang), lang, "info", intent=intent, source=src)
            key = "nothing_to_confirm" if confirm else "nothing_to_cancel"
            return Reply(A.text(key, lang), lang, "info", intent=intent, source=src)
        plang = pending.lang
        if pending.is_due(now):
            self._end_pending(expired=True)
            if confirm:
                sentence = A.text("too_late", plang, seconds=A.seconds(pending.timeout_s, plang),
                                  not_done=A.text(f"not_done.{pending.action}", plang))
            else:
                sentence = self._expired_text(pending, plang)
            return Reply(sentence, plang, "expired", intent=intent, source=src, discarded=pending)
        if not confirm:
            self._end_pending(expired=False)
            await AP.decline(self, pending)
            return Reply(A.text("cancelled", plang, not_done=A.text(f"not_done.{pending.action}", plang)),
                         plang, "cancelled", intent=intent, source=src, discarded=pending)
        synthetic = ParseResult(intent, intent, True, intent, language=plang, score=1.0, method="exact")
        return await self._execute(pending, plang, synthetic, src)

    @staticmethod
    def _answer_fits(pending: PendingConfirmation, parsed: ParseResult) -> bool:
        """What a yes names ("oui, confirme *l'achat*", "yes, *close* it": the parser's `side` and
        `readback` slots of a confirm) is what was read back; a yes that names nothing fits."""
        named = parsed.slots.get("readback")
        action = "order" if pending.action == "autopilot_signal" else pending.action
        if named is not None and named != action:
            return False
        side = parsed.slots.get("side")
        if side is not None:
            return pending.request is not None and pending.request.side.value == side
        return True

    def _ask_again(self, pending: PendingConfirmation, parsed: ParseResult, src: str, now: float) -> Reply:
        """The read-back said again, nothing done. The first time, the trader gets the full delay again to
        answer the question asked again (the reply carries the read-back: a voice front restarts it once
        heard, a chat sends its buttons again); later, the deadline stays, so that background speech heard
        as doubt cannot keep an order waiting for a yes."""
        text = A.text("answer_unclear", pending.lang, summary=pending.summary)
        if pending.asked_again:
            return self._reply(text, pending.lang, "info", parsed, src)
        rearmed = replace(pending, expires_at=max(pending.expires_at, now + pending.timeout_s), asked_again=True)
        self._pending = rearmed
        return self._reply(text, pending.lang, "info", parsed, src, pending=rearmed,
                           profile=self._profile_for(rearmed.action))

    async def _execute(self, pending: PendingConfirmation, lang: str, parsed: ParseResult, src: str) -> Reply:
        # The pending action is consumed before the engine call: whatever happens, it runs once.
        self._end_pending(expired=False)
        try:
            if pending.action == "order":
                assert pending.request is not None
                return await self._execute_order(pending, lang, parsed, src)
            if pending.action == "close":
                return await self._execute_close(pending, lang, parsed, src)
            if pending.action in AP.ACTIONS:
                return await AP.execute(self, pending, lang, parsed, src)
            if pending.action == "set_risk":
                res = await self.engine.set_risk(pending.risk_percent, pending.symbol)
                return self._risk_reply(res, self._risk_where(res.symbol, lang), lang, parsed, src)
            if pending.action == "resume":
                if self.engine.state is TradingState.ACTIVE:
                    return self._reply(A.text("already_active", lang), lang, "info", parsed, src)
                resumed = await self.engine.resume(f"{src}: {pending.transcript}".strip())
                return self._reply(A.text("resumed", lang), lang, "executed", parsed, src, result=resumed,
                                   executed=True)
            if pending.action == "reduce_only":
                change = await self.engine.reduce_only(f"{src}: {pending.transcript}".strip())
                return self._reply(A.text("reduce_only_on", lang), lang, "executed", parsed, src, result=change,
                                   executed=True)
            halt = pending.preview if isinstance(pending.preview, HaltPreview) else None
            halted = await self.engine.halt(f"{src}: {pending.transcript}".strip(), preview=halt)
            return self._reply(A.text("halted", lang), lang, "executed", parsed, src, result=halted,
                               executed=True, profile="urgent")
        except Exception as exc:
            log.exception("dialogue: executing %s failed", pending.action)
            return self._error(exc, pending.action, lang, parsed, src)

    async def _execute_order(self, pending: PendingConfirmation, lang: str, parsed: ParseResult, src: str) -> Reply:
        req = pending.request
        assert req is not None
        res: OrderResult = await self.engine.place_order(req, wait_fill=self.fill_wait_s)
        if not res.accepted:
            sentence = reason_text(res.rejection, lang) if res.rejection else A.text("order_refused", lang)
            return self._reply(sentence, lang, "refused", parsed, src, result=res)
        if res.duplicate:
            return self._reply(A.text("order_duplicate", lang), lang, "info", parsed, src, result=res)
        order = res.order
        qty = order.quantity if order else (req.quantity or 0)
        common = {"qty": A.contracts(qty, lang), "symbol": req.symbol}
        if res.fills:
            filled = sum(f.quantity for f in res.fills)
            avg = sum(f.price * f.quantity for f in res.fills) / filled
            if filled >= qty:
                sentence = A.text("filled", lang, past=A.side_word(req.side, lang, past=True),
                                  side=A.side_word(req.side, lang), price=A.price(avg, lang), **common)
            else:
                sentence = A.text("filled_partly", lang, past=A.side_word(req.side, lang, past=True),
                                  side=A.side_word(req.side, lang), filled=A.contracts(filled, lang, with_noun=False),
                                  price=A.price(avg, lang), **common)
        else:
            how = A.order_phrase(req.order_type, req.limit_price, req.stop_price, lang)
            key = "order_sent" if req.order_type is OrderType.MARKET else "order_working"
            sentence = A.text(key, lang, side=A.side_word(req.side, lang), how=how, **common)
        return self._reply(sentence, lang, "executed", parsed, src, result=res, executed=True)

    async def _execute_close(self, pending: PendingConfirmation, lang: str, parsed: ParseResult, src: str) -> Reply:
        pinned = pending.preview if isinstance(pending.preview, ClosePreview) else None
        res: CloseResult = await self.engine.close_positions(pending.symbol, source=src, preview=pinned)
        if res.rejection is not None and pinned is not None and res.current is not None:
            # The book moved since the read-back: nothing was done; the trader hears the difference.
            return self._reply(render(R.preview_changed(pinned, res.current), lang), lang, "refused", parsed, src,
                               result=res)
        refused = [r for r in res.orders if not r.accepted]
        if refused:
            sentence = " ".join(reason_text(r.rejection, lang) for r in refused if r.rejection) or A.text("order_refused", lang)
            return self._reply(sentence, lang, "refused", parsed, src, result=res, executed=bool(res.cancelled_orders))
        cancelled = A.text("cancelled_working", lang, orders=A.working_orders(res.cancelled_orders, lang)) if res.cancelled_orders else ""
        if not res.orders:
            if res.in_progress:
                return self._reply(A.text("close_in_progress", lang, symbols=", ".join(res.in_progress)),
                                   lang, "info", parsed, src, result=res)
            if res.cancelled_orders:
                return self._reply(A.text("close_cancel_only", lang, orders=A.working_orders(res.cancelled_orders, lang)),
                                   lang, "executed", parsed, src, result=res, executed=True)
            return self._reply(render(R.nothing_to_close(pending.symbol), lang), lang, "info", parsed, src, result=res)
        flat = res.flat or await self._wait_flat(res.symbols)
        if flat:
            sentence = A.text("closed_symbol", lang, symbol=pending.symbol) if pending.symbol else A.text("closed_all", lang)
        else:
            sentence = A.text("closing_sent", lang, symbols=", ".join(res.symbols), cancelled=f", {cancelled}" if cancelled else "")
        return self._reply(sentence, lang, "executed", parsed, src, result=res, executed=True)

    async def _wait_flat(self, symbols: tuple[str, ...]) -> bool:
        """Closing orders go out at market; give them the fill wait to complete, as an order does."""
        deadline = asyncio.get_running_loop().time() + self.fill_wait_s
        while True:
            held = [p for p in await self.engine.positions() if p.symbol in symbols and p.quantity]
            if not held:
                return True
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.05)

    # ------------------------------------------------------------------ immediate actions
    async def _set_risk(self, parsed: ParseResult, lang: str, now: float, src: str, *, spoken: bool) -> Reply:
        pct = parsed.slots["risk_percent"]
        symbol = parsed.slots.get("symbol")
        by_default = symbol is None and self.default_market is not None
        if by_default:
            symbol = self.default_market  # no market said: the default one, and the answer says so
        if spoken:
            # Heard, not typed: a percentage misheard within the allowed range would change every order's size,
            # so it is read back and applied on a yes (checked first: an out-of-range value is refused now).
            res = await self.engine.preview_set_risk(Decimal(str(pct)), symbol)
        else:
            res = await self.engine.set_risk(Decimal(str(pct)), symbol)
        where = self._risk_where(res.symbol, lang)
        if by_default and res.symbol:
            where = A.text("default_market", lang, symbol=res.symbol)
        if spoken and res.ok and res.risk_percent is not None:
            summary = A.text("risk_readback", lang, pct=format_percent(res.risk_percent, lang), where=where)
            pending = self._arm("set_risk", summary, lang, now, parsed, symbol=res.symbol, risk_percent=res.risk_percent)
            return self._readback_reply(pending, parsed, src)
        return self._risk_reply(res, where, lang, parsed, src)

    def _risk_reply(self, res: SetRiskResult, where: str, lang: str, parsed: ParseResult, src: str) -> Reply:
        """A risk setting applied ("Risque par trade fixé à 2,5 % sur ES."), or refused with its reason."""
        if not res.ok or res.risk_percent is None:
            sentence = reason_text(res.rejection, lang) if res.rejection else A.text("not_understood", lang)
            return self._reply(sentence, lang, "refused", parsed, src, result=res)
        sentence = A.text("risk_set", lang, pct=format_percent(res.risk_percent, lang), where=where)
        return self._reply(sentence, lang, "executed", parsed, src, result=res, executed=True)

    @staticmethod
    def _risk_where(symbol: str | None, lang: str) -> str:
        return (f" sur {symbol}" if lang == "fr" else f" on {symbol}") if symbol else ""

    async def _resume(self, parsed: ParseResult, lang: str, now: float, src: str, *, spoken: bool) -> Reply:
        if self.engine.state is TradingState.ACTIVE:
            return self._reply(A.text("already_active", lang), lang, "info", parsed, src)
        if spoken:
            # Heard, not typed: "start trading" is one sound from "stop trading" (seen in babble at 15 dB), so a
            # resume heard is read back and waits for a yes; typed, it is done at once.
            pending = self._arm("resume", render(R.resume_readback(), lang), lang, now, parsed)
            return self._readback_reply(pending, parsed, src)
        change = await self.engine.resume(src)
        return self._reply(A.text("resumed", lang), lang, "executed", parsed, src, result=change, executed=True)

    def _repeat(self, parsed: ParseResult, lang: str, src: str) -> Reply:
        last = self._last
        if last is None:
            return self._reply(A.text("nothing_to_repeat", lang), lang, "info", parsed, src)
        return Reply(last.text, last.lang, "repeat", profile=last.profile, intent="repeat", transcript=parsed.text,
                     source=src, result=last.result, parse=parsed)

    # ------------------------------------------------------------------ queries
    _WHAT = {
        "market_regime": ("the market regime", "le régime de marché"),
        "performance_metrics": ("the performance metrics", "les statistiques de performance"),
        "shap_features": ("the top features", "les principales variables"),
        "cvar_loss": ("the CVaR", "la CVaR"),
        "qr_quantiles": ("the QR-DQN quantiles", "les quantiles QR-DQN"),
        "ensemble_weights": ("the ensemble weights", "les poids de l'ensemble"),
        "positions": ("the positions", "les positions"),
        "pnl_today": ("today's P&L", "le résultat du jour"),
        "status": ("the status", "le statut"),
        "help": ("what I can do", "ce que je sais faire"),
        "autopilot_status": ("the autopilot", "le pilote automatique"),
        "volatility_forecast": ("the volatility forecast", "la prévision de volatilité"),
        "order": ("sending the order", "l'envoi de l'ordre"),
        "close": ("closing the positions", "la fermeture des positions"),
        "halt": ("halting trading", "l'arrêt du trading"),
        "place_trade": ("preparing the order", "la préparation de l'ordre"),
        "close_positions": ("preparing the closing", "la préparation de la fermeture"),
        "set_risk": ("setting the risk", "le réglage du risque"),
        "resume": ("resuming trading", "la reprise du trading"),
        "reduce_only": ("switching to reduce-only mode", "le passage en mode réduction seule"),
    }

    async def _intelligence(self, factory: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        """The intelligence queries are CPU-bound synchronous work behind async methods (the first
        regime query trains its models for several seconds). Running them on a worker thread, in
        that thread's own event loop, keeps the engine's feed and the voice loop responsive."""
        if not self.offload_intelligence:
            return await factory()
        return await asyncio.to_thread(lambda: asyncio.run(factory()))

    async def _query(self, intent: str, parsed: ParseResult, lang: str, src: str) -> Reply:
        symbol = parsed.slots.get("symbol")
        try:
            if intent == "positions":
                result: Any = await self.engine.positions()
                sentence = A.render_positions(result, lang, symbol)
            elif intent == "pnl_today":
                result = await self.engine.pnl_today()
                sentence = A.render_pnl(result, lang)
            elif intent == "status":
                result = await self.engine.status()
                market = self.default_market
                sentence = A.render_status(result, lang, (market, self.engine.risk_percent_for(market)) if market else None)
            elif intent == "performance_metrics":
                result = await self.engine.performance_metrics()
                sentence = A.render_metrics(result, lang)
            elif intent == "market_regime":
                result = await self._intelligence(lambda: self.engine.regime(symbol))
                sentence = A.render_regime(result, lang)
            elif intent == "shap_features":
                result = await self._intelligence(lambda: self.engine.top_features(self.top_features_n))
                sentence = A.render_top_features(result, lang)
            elif intent == "cvar_loss":
                result = await self._intelligence(self.engine.cvar_loss)
                sentence = A.render_cvar(result, lang)
            elif intent == "qr_quantiles":
                result = await self._intelligence(self.engine.qr_quantiles)
                sentence = A.render_quantiles(result, lang)
            elif intent == "ensemble_weights":
                result = await self._intelligence(self.engine.ensemble_weights)
                sentence = A.render_ensemble(result, lang)
            else:
                return self._reply(A.text("not_understood", lang), lang, "not_understood", parsed, src)
        except Exception as exc:
            # The intelligence layers raise errors that carry a sentence per language.
            message = _error_text(exc, lang)
            what_en, what_fr = self._WHAT.get(intent, (intent, intent))
            log.warning("dialogue: query %s failed: %s", intent, exc)
            return self._reply(A.text("query_failed", lang, what=what_en, what_fr=what_fr, error=message),
                               lang, "error", parsed, src)
        return self._reply(sentence, lang, "answer", parsed, src, result=result)

    def _understood_as(self, reply: Reply, parsed: ParseResult) -> Reply:
        """A question understood by the parser's learned last stage (method "classifier") was
        worded freely: the answer starts with what was understood ("Voici le régime de marché :
        …"), so a trader who meant something else hears it at once. Nothing moves on a question,
        so no read-back is needed."""
        if parsed.method != "classifier" or reply.kind not in ("answer", "help", "info") \
                or parsed.intent not in self._WHAT:
            return reply
        what_en, what_fr = self._WHAT[parsed.intent]
        if _opens_with(reply.text, what_fr if reply.lang == "fr" else what_en):
            return reply  # "Résultat du jour : …" already says what was understood: said once, not twice
        return replace(reply, text=A.text("understood_as", reply.lang, what=what_en, what_fr=what_fr,
                                          answer=reply.text))

    # ------------------------------------------------------------------ replies
    def _reply(self, sentence: str, lang: str, kind: str, parsed: ParseResult | None, src: str, **extra: Any) -> Reply:
        return Reply(
            sentence, lang, kind,  # type: ignore[arg-type]
            intent=parsed.intent if parsed is not None else None,
            transcript=parsed.text if parsed is not None else "",
            source=src, parse=parsed, **extra,
        )

    def _error(self, exc: Exception, doing: str, lang: str, parsed: ParseResult, src: str) -> Reply:
        what_en, what_fr = self._WHAT.get(doing, (doing.replace("_", " "), doing.replace("_", " ")))
        error = _error_text(exc, lang)
        return self._reply(A.text("engine_error", lang, doing=what_en, doing_fr=what_fr, error=error),
                           lang, "error", parsed, src)

    async def _finish(self, reply: Reply) -> Reply:
        if reply.kind != "repeat":
            self._last = reply
        if self.copy_sink is not None:
            try:
                out = self.copy_sink(reply.transcript, reply.text, reply.lang, reply.source)
                if inspect.isawaitable(out):
                    await out
            except Exception:  # a copy channel problem must never change what the trader hears
                log.exception("dialogue: copy sink failed")
        return reply


__all__ = ["Dialogue", "CopySink", "is_understood", "shared_parser"]
