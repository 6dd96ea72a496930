"""A fake Telegram Bot API server for aiogram: `Bot(token, session=AiohttpSession(
api=TelegramAPIServer.from_base(fake.base_url)))`.

URLs are `{base}/bot{token}/{method}`; requests are form posts (urlencoded or multipart) with string
values, or JSON. Answers are `{"ok": true, "result": ...}` or `{"ok": false, "error_code": N,
"description": ...}`, 429s with `parameters.retry_after` (integer seconds).

Implemented: sendMessage (recorded in order, optional per-chat / global rate limits), getMe, getUpdates
(long polling with offset), answerCallbackQuery, editMessageText, editMessageReplyMarkup, deleteMessage,
deleteWebhook, setMyCommands, getMyCommands, deleteMyCommands, sendChatAction, close, logOut.
For a chat bot test: `push_message(chat_id, "achète deux ES", user_id=...)` queues an update the polling
bot receives; `push_callback_query(chat_id, message_id, "confirm:…")` presses an inline button of a
message the bot sent; `answers`, `edits` and `calls` record what the bot did.
Telegram takes no idempotency key, so `received` never marks duplicates: tests compare texts.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.http_fake import OK, TIMEOUT, FakeHTTPServer, FaultConfig

TEXT_LIMIT = 4096


@dataclass
class TelegramLimits:
    """Telegram's documented pace: about 1 message/s per chat (short bursts tolerated), 30/s overall."""

    per_chat_rate: float = 1.0
    per_chat_burst: float = 3.0
    global_rate: float = 30.0
    global_burst: float = 30.0


class _Bucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.monotonic()

    def wait_needed(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _too_many(retry_after: float) -> web.Response:
    n = max(1, math.ceil(retry_after))
    return _error(429, f"Too Many Requests: retry after {n}", retry_after=n)


class FakeTelegramAPI(FakeHTTPServer):
    name = "telegram"

    def __init__(
        self,
        token: str | None = None,
        *,
        faults: FaultConfig | None = None,
        limits: TelegramLimits | None = None,
        bot_username: str = "mia_test_bot",
        fault_methods: tuple[str, ...] = ("sendmessage",),
    ) -> None:
        super().__init__(faults)
        self.token = token  # None: any well-formed token is accepted
        self.limits = limits
        self.bot_username = bot_username
        self.fault_methods = {m.lower() for m in fault_methods}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every API call, in order
        self.answers: list[dict[str, Any]] = []  # answerCallbackQuery calls
        self.edits: list[dict[str, Any]] = []  # editMessageText / editMessageReplyMarkup calls
        self.rate_limited = 0  # 429s caused by the emulated limits (not injected faults)
        self.blocked_chats: set[int] = set()  # sendMessage to these answers 403 (bot blocked)
        self._updates: list[dict[str, Any]] = []
        self._update_id = 0
        self._message_ids: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._new_update = asyncio.Event()
        self._chat_buckets: dict[int, _Bucket] = {}
        self._global_bucket = _Bucket(limits.global_rate, limits.global_burst) if limits else None
        self._callback_id = 0

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)

    # -- what a test looks at ----------------------------------------------------------------------

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0]) if self.token else 123456789

    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "MIA", "username": self.bot_username,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        return [r.text for r in self.received if chat_id is None or r.recipient == str(chat_id)]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        return self._messages.get((int(chat_id), int(message_id)))

    # -- driving a polling bot ---------------------------------------------------------------------

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    @staticmethod
    def _chat(chat_id: int, chat_type: str, first_name: str) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
        else:
            chat["title"] = f"group {chat_id}"
        return chat

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        self._update_id += 1
        update = {"update_id": self._update_id, **update}
        self._updates.append(update)
        self._new_update.set()
        return update

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Trader",
        language_code: str = "fr",
        chat_type: str = "private",
        date: float | None = None,
        forwarded_from: int | None = None,
    ) -> dict[str, Any]:
        """Queue an incoming text message (as if a user typed it); returns the update. `date` (epoch
        seconds, default now) is when it was sent; `forwarded_from` makes it a forward of that user's
        message (Bot API 7 `forward_origin`, plus the older `forward_from` / `forward_date`)."""
        user_id = user_id if user_id is not None else chat_id
        sent = int(time.time() if date is None else date)
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": sent,
            "chat": self._chat(chat_id, chat_type, first_name),
            "from": {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code},
            "text": text,
        }
        if forwarded_from is not None:
            origin = {"id": forwarded_from, "is_bot": False, "first_name": "Someone"}
            msg["forward_origin"] = {"type": "user", "date": sent - 60, "sender_user": origin}
            msg["forward_from"] = origin
            msg["forward_date"] = sent - 60
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self._messages[(chat_id, msg["message_id"])] = msg
        return self._push({"message": msg})

    def push_callback_query(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        first_name: str = "Trader",
        language_code: str = "fr",
    ) -> dict[str, Any]:
        """Queue a press on an inline button of a message the bot sent; returns the update."""
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        self._callback_id += 1
        user_id = user_id if user_id is not None else chat_id
        return self._push({"callback_query": {
            "id": str(self._callback_id),
            "from": {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code},
            "chat_instance": f"ci-{chat_id}",
            "message": message,
            "data": data,
        }})

    # -- HTTP --------------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
        elif request.can_read_body:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await self._latency()
        token = request.match_info["token"]
        method = request.match_info["method"]
        if self.token is not None and token != self.token:
            return _error(401, "Unauthorized")
        params = await self._params(request)
        self.calls.append((method, params))
        name = method.lower()
        handler = getattr(self, f"_m_{name}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        if name in self.fault_methods:
            outcome = self._fault()
            if outcome == TIMEOUT and not self.faults.timeout_after_processing:
                await self._hang()
                return _error(502, "Bad Gateway")
            if outcome == "429":
                return _too_many(self.faults.retry_after)
            if outcome in ("500", "502", "503"):
                return _error(int(outcome), "Internal Server Error" if outcome == "500" else "Bad Gateway")
            if outcome == TIMEOUT:
                response = await handler(params)
                await self._hang()
                return response
            assert outcome == OK, outcome
        return await handler(params)

    @staticmethod
    def _chat_id(params: dict[str, Any]) -> int | None:
        try:
            return int(params.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
        raw = params.get("reply_markup")
        if raw in (None, ""):
            return None
        return raw if isinstance(raw, dict) else json.loads(raw)

    async def _m_getme(self, params: dict[str, Any]) -> web.Response:
        return _ok(self.bot_user())

    async def _m_sendmessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = self._chat_id(params)
        text = params.get("text") or ""
        if chat_id is None:
            return _error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > TEXT_LIMIT:
            return _error(400, "Bad Request: message is too long")
        if chat_id in self.blocked_chats:
            return _error(403, "Forbidden: bot was blocked by the user")
        if self.limits is not None:
            bucket = self._chat_buckets.setdefault(chat_id, _Bucket(self.limits.per_chat_rate, self.limits.per_chat_burst))
            assert self._global_bucket is not None
            wait = max(bucket.wait_needed(), self._global_bucket.wait_needed())
            if wait > 0:
                self.rate_limited += 1
                return _too_many(wait)
            bucket.take()
            self._global_bucket.take()
        hold = self._take_hold()
        if hold is not None and not hold.record:
            # The request is lost: parked, then answered with an error, nothing recorded.
            await self._park(hold)
            return _error(502, "Bad Gateway")
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id, "private" if chat_id > 0 else "group", "Trader"),
            "from": self.bot_user(),
            "text": text,
        }
        markup = self._markup(params)
        if markup:
            msg["reply_markup"] = markup
        self._messages[(chat_id, msg["message_id"])] = msg
        self._record(None, str(chat_id), text, msg)
        if hold is not None:
            await self._park(hold)
        return _ok(msg)

    async def _m_getupdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            # Telegram forgets updates below the offset: they are confirmed.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._new_update.clear()
            waiter = asyncio.ensure_future(self._new_update.wait())
            closer = asyncio.ensure_future(self._closing.wait())
            await asyncio.wait({waiter, closer}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            closer.cancel()
        return _ok(self._updates[:limit])

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> web.Response:
        if not params.get("callback_query_id"):
            return _error(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.answers.append(params)
        return _ok(True)

    async def _edit(self, params: dict[str, Any], *, text: bool) -> web.Response:
        chat_id = self._chat_id(params)
        try:
            message_id = int(params.get("message_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return _error(400, "Bad Request: message identifier is not specified")
        msg = self._messages.get((chat_id, message_id)) if chat_id is not None else None
        if msg is None:
            return _error(400, "Bad Request: message to edit not found")
        self.edits.append(params)
        msg = dict(msg)
        if text:
            msg["text"] = params.get("text") or msg.get("text", "")
        markup = self._markup(params)
        if markup:
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)
        msg["edit_date"] = int(time.time())
        self._messages[(chat_id, message_id)] = msg
        return _ok(msg)

    async def _m_editmessagetext(self, params: dict[str, Any]) -> web.Response:
        return await self._edit(params, text=True)

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> web.Response:
        return await self._edit(params, text=False)

    async def _m_deletemessage(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _m_deletewebhook(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _m_setmycommands(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _m_deletemycommands(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _m_getmycommands(self, params: dict[str, Any]) -> web.Response:
        return _ok([])

    async def _m_sendchataction(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _m_close(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _m_logout(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)
