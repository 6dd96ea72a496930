"""The Telegram chat front end: an aiogram 3 `Dispatcher` + `Router`, long polling.

- Only chats in `telegram.allowed_chat_ids` may act, and when `telegram.allowed_user_ids` is set, only
  those users (in an allowed chat, or in their own private chat with the bot). Anyone else gets a refusal
  (French and English), a logged warning, and triggers nothing; with `telegram.queries_from_strangers:
  true` a stranger may still ask read-only questions (status, positions, P&L, regime, metrics, help).
- Stale and second-hand text never acts: a message sent before this bot started (typed while MIA was
  down, delivered as a pending update) or older than `telegram.confirm_timeout_s` is answered "too old,
  nothing was done"; a forwarded message is answered "not a command". None of them reaches the dialogue.
- Free text in French or English goes through the same parser and `Dialogue` as voice, one dialogue per
  user in each chat: in a group, only the person who gave an order can confirm it (by button or by
  typing "oui"). Orders, close (one symbol or all) and halt are read back with an inline keyboard
  Confirm / Cancel ("Confirmer / Annuler" in French) carrying the read-back's id, so a stale button never
  confirms a newer action. The keyboard expires after `telegram.confirm_timeout_s`: a timer removes it
  and says so, and a press that arrives late is refused by the dialogue ("too late, nothing was done").
- Slash commands map onto the same dialogue intents: /status /positions /pnl /regime /metrics /halt
  (confirmed) /resume /help /risk PERCENT [SYMBOL] (bad arguments get the usage). Orders, closes and
  switches typed as commands (/buy QTY SYMBOL [PRICE], /sell, /achat, /vente, /flat, /close ES|MNQ|all,
  /reduceonly, /autopilot auto|propose|off: `ACTION_COMMANDS`) are text for the dialogue like a typed
  sentence: parsed under their strict grammar (assistant/nlu/slash.py), read back with the Confirm /
  Cancel keyboard, acted on only once confirmed, then checked by the risk gate; bad arguments get the
  usage, nothing is guessed.
- Replies honour Telegram's 429 `retry_after` and retry network / 5xx failures with backoff.

The token comes from the caller (the CLI reads `MIA_TELEGRAM_TOKEN` through `Secrets`) and is never logged.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from aiogram import BaseMiddleware, Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    User,
)
from aiogram.utils.token import TokenValidationError, validate_token

from assistant.dialogue import Dialogue, PendingConfirmation, Reply, confirm_labels, shared_parser
from assistant.dialogue.manager import CopySink
from assistant.nlu.parser import Parser
from assistant.nlu.result import ParseResult
from assistant.nlu.slash import ACTION_COMMANDS, COMMAND_INTENTS, SYMBOL_ARG
from assistant.telegram_bot import texts as T
from trading_core.config import MiaConfig
from trading_core.instruments import get_instrument
from trading_core.protocols import EngineAPI

log = logging.getLogger("mia.telegram")

LANGS = ("en", "fr")
TEXT_LIMIT = 4096
SOURCE = "telegram"

# Intents that only read: the only ones a stranger may trigger when `queries_from_strangers` is on.
QUERY_INTENTS = frozenset({
    "status", "positions", "pnl_today", "market_regime", "performance_metrics", "shap_features",
    "cvar_loss", "qr_quantiles", "ensemble_weights", "help",
})

# Slash commands -> dialogue intents: COMMAND_INTENTS, SYMBOL_ARG (assistant/nlu/slash.py, one table
# with the parser, which reads the same commands typed elsewhere); /risk is parsed apart (it takes arguments).

_T = TypeVar("_T")


class ConfirmButton(CallbackData, prefix="mia"):
    """Callback data of the Confirm / Cancel buttons: `act` is "ok" or "no", `pid` the read-back id."""

    act: str
    pid: str


@dataclass
class ChatSession:
    """One allowed user in one chat: their dialogue, the message that carries their live keyboard, its
    expiry timer. In a private chat `user_id` is the chat id."""

    chat_id: int
    dialogue: Dialogue
    user_id: int | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one update of a chat at a time, in order
    keyboard_message_id: int | None = None
    keyboard_pending_id: str | None = None
    timer: asyncio.Task[None] | None = None


class RiskUsageError(ValueError):
    """Bad /risk arguments; `key` and `value` pick the sentence."""

    def __init__(self, key: str, value: str = "") -> None:
        super().__init__(f"{key}: {value!r}")
        self.key, self.value = key, value


def parse_risk_args(args: str | None) -> tuple[float, str | None]:
    """`"1 ES"`, `"0,5"`, `"1% MNQ"` -> (percent, symbol or None). Raises RiskUsageError."""
    words = (args or "").replace("%", " ").split()
    if not words or len(words) > 2:
        raise RiskUsageError("risk_usage")
    raw = words[0]
    try:
        percent = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise RiskUsageError("risk_bad_percent", raw) from None
    if not percent.is_finite() or percent <= 0:
        raise RiskUsageError("risk_bad_percent", raw)
    symbol: str | None = None
    if len(words) == 2:
        try:
            symbol = get_instrument(words[1]).symbol
        except Exception:
            raise RiskUsageError("risk_bad_symbol", words[1]) from None
    return float(percent), symbol


def _synthetic(intent: str, text: str, lang: str, slots: dict[str, Any] | None = None) -> ParseResult:
    """A slash command as the parser would have returned it. `language_certain=False`: a command word
    says nothing about the language, so the conversation's language answers."""
    return ParseResult(text, text, True, intent, slots=slots or {}, language=lang, language_certain=False,
                       score=1.0, method="exact")


def _split(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Telegram refuses texts over 4096 characters: cut at line ends where possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    chunks.append(rest)
    return [c for c in chunks if c.strip()] or ["…"]


def _user_lang(user: User | None) -> str | None:
    code = (user.language_code or "")[:2].lower() if user is not None else ""
    return code if code in LANGS else None


class _AllowList(BaseMiddleware):
    """Outer middleware: updates from chats and users outside the allow-list never reach a handler, nor
    do stale or forwarded messages."""

    def __init__(self, owner: "TelegramChatBot") -> None:
        self.owner = owner

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Message):
            user_id = event.from_user.id if event.from_user is not None else None
            if not self.owner.is_allowed(event.chat.id, user_id):
                return await self.owner._stranger_message(event)
            if await self.owner._refuse_second_hand(event):
                return None
            return await handler(event, data)
        if isinstance(event, CallbackQuery):
            chat_id = event.message.chat.id if event.message is not None else event.from_user.id
            if self.owner.is_allowed(chat_id, event.from_user.id):
                return await handler(event, data)
            return await self.owner._stranger_button(event, chat_id)
        return await handler(event, data)


class TelegramChatBot:
    """The chat bot. `await bot.run(stop)` polls until `stop` is set (or the task is cancelled).

    `engine` is the `trading_core.api.Engine`; `config` the whole MiaConfig (its `telegram` section:
    allow-list, strangers' queries, keyboard timeout, API base). `clock` is the dialogue clock
    (monotonic seconds). `limiter` (an `assistant.notify.ratelimit.TelegramRateLimiter`) is shared with
    the alert outbox when both use the same token."""

    def __init__(
        self,
        engine: EngineAPI,
        config: MiaConfig,
        token: str,
        *,
        parser: Parser | None = None,
        api_base: str | None = None,
        copy_sink: CopySink | None = None,
        limiter: Any = None,
        clock: Callable[[], float] = time.monotonic,
        request_timeout_s: float = 10.0,
        polling_timeout_s: int = 10,
        send_attempts: int = 5,
        refusal_interval_s: float = 30.0,
        fill_wait_s: float = 2.0,
    ) -> None:
        try:
            validate_token(token)
        except TokenValidationError:
            # Never echo the token: only say what shape is expected.
            raise ValueError("MIA_TELEGRAM_TOKEN is not a valid bot token (expected '<digits>:<secret>')") from None
        self.engine = engine
        self.config = config
        self.settings = config.telegram
        self.allowed: frozenset[int] = frozenset(int(c) for c in self.settings.allowed_chat_ids)
        self.allowed_users: frozenset[int] = frozenset(int(u) for u in self.settings.allowed_user_ids)
        self.wall_clock = time.time  # message dates are wall-clock seconds
        self.started_at: float | None = None  # when this bot started polling (wall clock)
        self.api_base = api_base if api_base is not None else self.settings.api_base
        self.copy_sink = copy_sink
        self.limiter = limiter
        self.clock = clock
        self.request_timeout_s = request_timeout_s
        self.polling_timeout_s = polling_timeout_s
        self.send_attempts = max(1, send_attempts)
        self.refusal_interval_s = refusal_interval_s
        self.fill_wait_s = fill_wait_s
        # The keyboard's lifetime is the chat's own setting, not the voice dialogue's.
        self._dialogue_config = config.dialogue.model_copy(update={"confirm_timeout_s": self.settings.confirm_timeout_s})
        self._parser = parser
        self._sessions: dict[tuple[int, int], ChatSession] = {}
        self._autopilot_calls: asyncio.Queue[Any] = asyncio.Queue()
        self._guest: Dialogue | None = None
        self._last_refusal: dict[tuple[int, int | None], float] = {}
        session = (
            AiohttpSession(api=TelegramAPIServer.from_base(self.api_base), timeout=request_timeout_s)
            if self.api_base else AiohttpSession(timeout=request_timeout_s)
        )
        self.bot = Bot(token=token, session=session)
        self.router = Router(name="mia")
        self.dispatcher = Dispatcher()
        self._install()
        self._closed = False

    def __repr__(self) -> str:
        return f"TelegramChatBot(api_base={self.api_base!r}, allowed={sorted(self.allowed)}, token=***)"

    # ------------------------------------------------------------------ setup
    def _install(self) -> None:
        guard = _AllowList(self)
        self.dispatcher.message.outer_middleware(guard)
        self.dispatcher.callback_query.outer_middleware(guard)
        r = self.router
        r.message.register(self._on_risk, Command("risk"))
        r.message.register(self._on_command, Command(*COMMAND_INTENTS))
        # "/buy 2 MNQ", "/flat": the same path as the typed sentence (parse, read-back, confirmation).
        r.message.register(self._on_text, Command(*ACTION_COMMANDS))
        r.message.register(self._on_unknown_command, F.text.startswith("/"))
        r.message.register(self._on_text, F.text)
        r.message.register(self._on_other)
        r.callback_query.register(self._on_button, ConfirmButton.filter())
        r.callback_query.register(self._on_unknown_button)
        self.dispatcher.include_router(r)

    @property
    def parser(self) -> Parser:
        if self._parser is None:
            self._parser = shared_parser()
        return self._parser

    async def prepare(self) -> None:
        """Compile the grammars off the event loop (seconds) before the first message needs them."""
        if self._parser is None:
            self._parser = await asyncio.to_thread(shared_parser)

    def is_allowed(self, chat_id: int, user_id: int | None = None) -> bool:
        """An allowed chat; and when `allowed_user_ids` is set, an allowed user, who may also use their
        own private chat with the bot (its id is their user id)."""
        chat_id = int(chat_id)
        if self.allowed_users:
            if user_id is None or int(user_id) not in self.allowed_users:
                return False
            return chat_id in self.allowed or chat_id == int(user_id)
        return chat_id in self.allowed

    def session(self, chat_id: int, user: User | None = None) -> ChatSession:
        """The session of this user in this chat (created on their first message, in their Telegram
        language): each person confirms only their own read-backs."""
        # no sender: the private chat's owner
        return self._session_for(chat_id, user.id if user is not None else chat_id, _user_lang(user))

    def _session_for(self, chat_id: int, user_id: int, lang: str | None = None) -> ChatSession:
        key = (chat_id, user_id)
        s = self._sessions.get(key)
        if s is None:
            s = ChatSession(chat_id, self._new_dialogue(lang), user_id=user_id)
            self._sessions[key] = s
        return s

    # ------------------------------------------------------------------ autopilot proposals
    def proposal_sessions(self) -> list[ChatSession]:
        """Where the autopilot's proposals go, each with the one user who may confirm them: a private
        chat's owner (its id is the user's); in a group, the allowed user when exactly one is configured.
        A group with no single owner gets the signal as a channel message only (no buttons)."""
        out = []
        for chat in sorted(self.allowed):
            if chat > 0:
                owner: int | None = chat
            else:
                owner = next(iter(self.allowed_users)) if len(self.allowed_users) == 1 else None
            if owner is not None and self.is_allowed(chat, owner):
                out.append(self._session_for(chat, owner))
        return out

    def _queue_autopilot(self, call: Any) -> None:
        """An autopilot feed call (engine listener, on the loop): run in order by `_autopilot_worker`."""
        self._autopilot_calls.put_nowait(call)

    async def _autopilot_worker(self) -> None:
        from assistant.dialogue.autopilot import run_call

        while True:
            call = await self._autopilot_calls.get()
            for session in self.proposal_sessions():
                try:
                    async with session.lock:
                        reply = await run_call(session.dialogue, call)
                        if reply is not None:
                            await self._deliver(session, reply)
                except Exception:  # one chat's problem must not stop the proposals to the others
                    log.exception("telegram: autopilot proposal to chat %s failed", session.chat_id)

    def _owner_of(self, chat_id: int, pending_id: str) -> ChatSession | None:
        """The session in `chat_id` whose read-back carries `pending_id` (live, or recently ended)."""
        for (chat, _), s in self._sessions.items():
            if chat != chat_id:
                continue
            d = s.dialogue
            ended = getattr(d, "_last_ended", None)
            if s.keyboard_pending_id == pending_id or (d.pending is not None and d.pending.id == pending_id) or (
                ended is not None and ended.id == pending_id
            ):
                return s
        return None

    async def _refuse_second_hand(self, message: Message) -> bool:
        """Answer (and drop) a message that must not act: sent before this bot started (a pending
        update from while MIA was down), older than the confirmation timeout, or forwarded.
        True when it was refused."""
        lang = _user_lang(message.from_user) or (self.config.language if self.config.language in LANGS else "en")
        if message.forward_origin is not None or message.forward_date is not None:
            log.warning("telegram: forwarded message from user %s in chat %s not executed: %.80r",
                        message.from_user.id if message.from_user else None, message.chat.id, message.text)
            await self._send(message.chat.id, T.text("forwarded", lang))
            return True
        sent = message.date.timestamp()  # whole seconds: the message left at most 1 s after this
        now = self.wall_clock()
        age = max(0.0, now - sent)
        limit = self.settings.confirm_timeout_s
        if now - (sent + 1.0) > limit:
            key = "too_old"
        elif self.started_at is not None and sent < int(self.started_at):
            key = "before_start"
        else:
            return False
        log.warning("telegram: %s message from user %s in chat %s (%.0f s old) not executed: %.80r", key,
                    message.from_user.id if message.from_user else None, message.chat.id, age, message.text)
        await self._send(message.chat.id, T.text(key, lang, age=T.duration(age, lang), limit=T.duration(limit, lang)))
        return True

    def _new_dialogue(self, user_lang: str | None) -> Dialogue:
        config_lang = self.config.language if self.config.language in LANGS else None
        return Dialogue(
            self.engine, self.parser, config=self._dialogue_config, lang="auto",
            default_lang=user_lang or config_lang or "en", copy_sink=self.copy_sink, source=SOURCE,
            clock=self.clock, fill_wait_s=self.fill_wait_s,
        )

    # ------------------------------------------------------------------ lifecycle
    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Long-poll until `stop` is set or this task is cancelled; then close the HTTP session."""
        await self.prepare()
        # Messages dated before this moment were typed while this bot was not running: never executed.
        self.started_at = self.wall_clock()
        me = await self._call("getMe", self.bot.get_me)
        if me is None:
            raise RuntimeError("the Telegram Bot API did not answer getMe (check MIA_TELEGRAM_TOKEN and telegram.api_base)")
        log.info("telegram bot @%s polling; %d allowed chat(s)", me.username, len(self.allowed))
        polling = asyncio.create_task(self.dispatcher.start_polling(
            self.bot, handle_signals=False, close_bot_session=False, polling_timeout=self.polling_timeout_s,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        ), name="mia-telegram-polling")
        waiters: set[asyncio.Task[Any]] = {polling}
        from assistant.dialogue.autopilot import AutopilotFeed

        # the autopilot's proposals, read back here with Confirm / Cancel buttons (trades: channel messages)
        feed = AutopilotFeed(self.engine, announce_trades=False).attach(self._queue_autopilot)
        proposals = asyncio.create_task(self._autopilot_worker(), name="mia-telegram-autopilot")
        stopper = asyncio.create_task(stop.wait()) if stop is not None else None
        if stopper is not None:
            waiters.add(stopper)
        try:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if polling in done:
                polling.result()  # polling ended by itself: surface its error
        finally:
            feed.detach()
            proposals.cancel()
            if stopper is not None:
                stopper.cancel()
            if not polling.done():
                try:
                    await asyncio.wait_for(self.dispatcher.stop_polling(), timeout=5)
                except (RuntimeError, asyncio.TimeoutError):
                    polling.cancel()
                await asyncio.gather(polling, return_exceptions=True)
            await self.close()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        timers = [s.timer for s in self._sessions.values() if s.timer is not None and not s.timer.done()]
        for t in timers:
            t.cancel()
        await asyncio.gather(*timers, return_exceptions=True)
        await self.bot.session.close()

    # ------------------------------------------------------------------ allowed chats
    async def _on_text(self, message: Message) -> None:
        session = self.session(message.chat.id, message.from_user)
        async with session.lock:
            reply = await session.dialogue.handle(message.text or "", source=SOURCE)
            await self._deliver(session, reply)

    async def _on_command(self, message: Message, command: CommandObject) -> None:
        session = self.session(message.chat.id, message.from_user)
        name = command.command.lower()
        if name == "regime":
            # The first regime query trains models for seconds: show that an answer is coming.
            await self._call("sendChatAction", lambda: self.bot.send_chat_action(message.chat.id, "typing"))
        async with session.lock:
            parsed = self._command_parse(name, command.args, session.dialogue.language, message.text or "")
            reply = await session.dialogue.handle(parsed, source=SOURCE)
            if name in ("help", "start"):
                reply = _with_text(reply, f"{reply.text}\n\n{T.text('commands', reply.lang)}")
            await self._deliver(session, reply)

    def _command_parse(self, name: str, args: str | None, lang: str, text: str) -> ParseResult:
        slots: dict[str, Any] = {}
        if name in SYMBOL_ARG and args and args.strip():
            with contextlib.suppress(Exception):
                slots["symbol"] = get_instrument(args.split()[0]).symbol
        return _synthetic(COMMAND_INTENTS[name], text, lang, slots)

    async def _on_risk(self, message: Message, command: CommandObject) -> None:
        session = self.session(message.chat.id, message.from_user)
        async with session.lock:
            lang = session.dialogue.language
            try:
                percent, symbol = parse_risk_args(command.args)
            except RiskUsageError as exc:
                sentence = T.text(exc.key, lang, value=exc.value)
                if exc.key != "risk_usage":
                    sentence = f"{sentence} {T.text('risk_usage', lang)}"
                await self._send(message.chat.id, sentence)
                return
            slots: dict[str, Any] = {"risk_percent": percent}
            if symbol:
                slots["symbol"] = symbol
            reply = await session.dialogue.handle(_synthetic("set_risk", message.text or "", lang, slots), source=SOURCE)
            await self._deliver(session, reply)

    async def _on_unknown_command(self, message: Message) -> None:
        session = self.session(message.chat.id, message.from_user)
        word = (message.text or "").split()[0]
        await self._send(message.chat.id, T.text("unknown_command", session.dialogue.language, command=word))

    async def _on_other(self, message: Message) -> None:
        session = self.session(message.chat.id, message.from_user)
        await self._send(message.chat.id, T.text("not_text", session.dialogue.language))

    async def _on_button(self, query: CallbackQuery, callback_data: ConfirmButton) -> None:
        msg = query.message
        chat_id = msg.chat.id if msg is not None else query.from_user.id
        owner = self._owner_of(chat_id, callback_data.pid)
        if owner is not None and owner.user_id is not None and owner.user_id != query.from_user.id:
            # In a group, another member's press must never confirm (or cancel) someone's order.
            lang = _user_lang(query.from_user) or owner.dialogue.language
            log.warning("telegram: user %s pressed a button of user %s's read-back in chat %s; refused",
                        query.from_user.id, owner.user_id, chat_id)
            await self._call("answerCallbackQuery", lambda: self.bot.answer_callback_query(
                query.id, text=T.text("not_your_button", lang)[:200], show_alert=True))
            return
        session = owner or self.session(chat_id, query.from_user)
        async with session.lock:
            dialogue = session.dialogue
            if callback_data.act == "ok":
                reply = await dialogue.confirm(pending_id=callback_data.pid, source=SOURCE)
            else:
                reply = await dialogue.cancel(pending_id=callback_data.pid, source=SOURCE)
            if reply.kind == "expired":
                toast = "button_expired"
            elif reply.kind == "info" and reply.intent in ("confirm", "cancel") and reply.discarded is None:
                toast = "button_stale"
            else:
                toast = "button_confirmed" if callback_data.act == "ok" else "button_cancelled"
            await self._call("answerCallbackQuery", lambda: self.bot.answer_callback_query(query.id, text=T.text(toast, reply.lang)))
            # A button is used once: whatever the outcome, the pressed keyboard goes away.
            if msg is not None:
                await self._remove_keyboard(chat_id, msg.message_id)
                if session.keyboard_message_id == msg.message_id:
                    session.keyboard_message_id = session.keyboard_pending_id = None
            await self._deliver(session, reply)

    async def _on_unknown_button(self, query: CallbackQuery) -> None:
        lang = _user_lang(query.from_user) or "en"
        await self._call("answerCallbackQuery", lambda: self.bot.answer_callback_query(query.id, text=T.text("button_stale", lang)))

    # ------------------------------------------------------------------ strangers
    async def _stranger_message(self, message: Message) -> None:
        chat_id = message.chat.id
        user = message.from_user
        text = message.text or ""
        if self.settings.queries_from_strangers:
            parsed = self._stranger_query(text, _user_lang(user))
            if parsed is not None:
                log.info("telegram: answering query %s from chat %s outside the allow-list", parsed.intent, chat_id)
                guest = self._guest_dialogue()
                reply = await guest.handle(parsed, source=f"{SOURCE}-guest")
                await self._send(chat_id, reply.text)
                return
        log.warning("telegram: refused message from chat %s (user %s @%s) outside the allow-list: %.80r",
                    chat_id, user.id if user else None, user.username if user else None, text)
        await self._refuse(chat_id, user.id if user is not None and chat_id in self.allowed else None)

    def _stranger_query(self, text: str, lang: str | None) -> ParseResult | None:
        """The read-only request a stranger's message makes, or None (anything that could act)."""
        guest = self._guest_dialogue()
        lang = lang or guest.language
        if text.startswith("/"):
            word = text.split()[0][1:].split("@")[0].lower()
            intent = COMMAND_INTENTS.get(word)
            if intent in QUERY_INTENTS:
                args = text.split(maxsplit=1)[1] if " " in text else None
                return self._command_parse(word, args, lang, text)
            return None
        parsed = guest.parse(text)
        if parsed.matched and parsed.intent in QUERY_INTENTS:
            return parsed
        return None

    def _guest_dialogue(self) -> Dialogue:
        # One shared dialogue for strangers: it only ever receives queries, so it never holds a pending action.
        if self._guest is None:
            self._guest = self._new_dialogue(None)
        return self._guest

    async def _stranger_button(self, query: CallbackQuery, chat_id: int) -> None:
        user = query.from_user
        log.warning("telegram: refused button press from chat %s (user %s @%s) outside the allow-list",
                    chat_id, user.id, user.username)
        await self._call("answerCallbackQuery", lambda: self.bot.answer_callback_query(
            query.id, text=T.both("refused_chat", chat_id=chat_id)[:200], show_alert=True))

    async def _refuse(self, chat_id: int, user_id: int | None = None) -> None:
        """Refuse a stranger: a chat outside the allow-list, or (`user_id`) a member of an allowed
        chat who is not an allowed user."""
        # One refusal per interval and chat (and user): a stranger cannot turn the bot into a message pump.
        now = time.monotonic()
        key = (chat_id, user_id)
        last = self._last_refusal.get(key)
        if last is not None and now - last < self.refusal_interval_s:
            return
        self._last_refusal[key] = now
        if user_id is not None:
            await self._send(chat_id, T.both("refused_user", user_id=user_id))
        else:
            await self._send(chat_id, T.both("refused_chat", chat_id=chat_id))

    # ------------------------------------------------------------------ replies and keyboards
    def keyboard(self, pending: PendingConfirmation, lang: str) -> InlineKeyboardMarkup:
        ok, no = confirm_labels(lang)
        return InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text=f"✅ {ok}", callback_data=ConfirmButton(act="ok", pid=pending.id).pack()),
            InlineKeyboardButton(text=f"❌ {no}", callback_data=ConfirmButton(act="no", pid=pending.id).pack()),
        ]])

    async def _deliver(self, session: ChatSession, reply: Reply) -> None:
        """Send a dialogue reply; a read-back gets the keyboard and an expiry timer. Called under the
        session lock."""
        if reply.discarded is not None and reply.discarded.id == session.keyboard_pending_id:
            await self._drop_keyboard(session)
        if reply.pending is None:
            sent = await self._send(session.chat_id, reply.text)
            if reply.followup is not None and sent is not None:
                # A follow-up question ("How many contracts?"): its delay counts from delivery too.
                await session.dialogue.restart_timer(reply.followup.id)
                self._arm_timer(session)
            return
        pending = reply.pending
        await self._drop_keyboard(session)
        sent = await self._send(session.chat_id, reply.text, self.keyboard(pending, reply.lang))
        if sent is None:
            # The question never reached the trader: nothing may stay waiting for a confirm.
            await session.dialogue.cancel(pending_id=pending.id, source=SOURCE)
            return
        session.keyboard_message_id, session.keyboard_pending_id = sent.message_id, pending.id
        # The full delay counts from delivery, not from parsing (retries may have taken seconds).
        await session.dialogue.restart_timer(pending.id)
        self._arm_timer(session)

    def _arm_timer(self, session: ChatSession) -> None:
        if session.timer is not None and not session.timer.done():
            session.timer.cancel()
        session.timer = asyncio.create_task(self._expiry_watch(session), name=f"mia-telegram-expiry-{session.chat_id}")

    async def _expiry_watch(self, session: ChatSession) -> None:
        dialogue = session.dialogue
        while True:
            deadline = dialogue.next_deadline()
            if deadline is None:
                return
            await asyncio.sleep(max(0.02, deadline - self.clock()))
            async with session.lock:
                reply = await dialogue.expire()
                if reply is not None:
                    log.info("telegram: confirmation %s in chat %s expired", reply.discarded.id if reply.discarded else "?", session.chat_id)
                    await self._deliver(session, reply)
                    return

    async def _drop_keyboard(self, session: ChatSession) -> None:
        if session.keyboard_message_id is not None:
            await self._remove_keyboard(session.chat_id, session.keyboard_message_id)
        session.keyboard_message_id = session.keyboard_pending_id = None

    async def _remove_keyboard(self, chat_id: int, message_id: int) -> None:
        await self._call("editMessageReplyMarkup", lambda: self.bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None), chat_id=None)

    async def _send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
        chunks = _split(text)
        sent: Message | None = None
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            sent = await self._call("sendMessage", functools.partial(
                self.bot.send_message, chat_id, chunk, reply_markup=markup if last else None), chat_id=chat_id)
            if sent is None:
                return None
        return sent

    async def _call(self, what: str, factory: Callable[[], Awaitable[_T]], chat_id: int | None = None) -> _T | None:
        """One Bot API call with Telegram's `retry_after` honoured and network / 5xx errors retried with
        backoff. A permanent error (400, 403...) is logged and gives None: a chat reply that cannot be
        delivered must never take the bot down."""
        backoff = 0.5
        for attempt in range(1, self.send_attempts + 1):
            if self.limiter is not None and chat_id is not None:
                await self.limiter.acquire(chat_id)
            try:
                return await factory()
            except TelegramRetryAfter as exc:
                wait = float(exc.retry_after)
                problem = f"429 retry after {exc.retry_after}s"
            except (TelegramNetworkError, TelegramServerError) as exc:
                wait, backoff = backoff, min(backoff * 2, 10.0)
                problem = f"{type(exc).__name__}: {exc.message}"
            except TelegramBadRequest as exc:
                if "not modified" in exc.message:
                    return None  # the keyboard was already gone: nothing to do
                log.warning("telegram: %s refused: %s", what, exc.message)
                return None
            except TelegramAPIError as exc:
                log.warning("telegram: %s failed: %s", what, exc.message)
                return None
            if attempt == self.send_attempts:
                log.error("telegram: %s gave up after %d attempts (%s)", what, attempt, problem)
                return None
            log.info("telegram: %s attempt %d: %s; retrying in %.1fs", what, attempt, problem, wait)
            await asyncio.sleep(wait)
        return None


def _with_text(reply: Reply, text: str) -> Reply:
    return replace(reply, text=text)


__all__ = [
    "COMMAND_INTENTS", "QUERY_INTENTS", "ChatSession", "ConfirmButton", "RiskUsageError", "TelegramChatBot",
    "parse_risk_args",
]
