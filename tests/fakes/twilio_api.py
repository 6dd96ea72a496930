"""A fake Twilio REST API (Messages resource) for the twilio client pointed at it with
`client.api.base_url = fake.base_url`.

- `POST /2010-04-01/Accounts/{Sid}/Messages.json` (form: To, From, Body; HTTP Basic auth Sid:Token)
  answers 201 with a Message JSON (sid "SM…", status "queued").
- `GET /2010-04-01/Accounts/{Sid}/Messages.json?To=&From=&PageSize=` lists messages, newest first, in
  Twilio's page format; `GET …/Messages/{SM…}.json` fetches one.
- Errors use Twilio's JSON `{"code", "message", "more_info", "status"}`: 401/20003 bad credentials,
  400/21602 no body, 21603 no From, 21604 no To, 21211 invalid To; injected 429/20429, 500/20500,
  503/20503.
Twilio takes no idempotency key; this fake honours an `Idempotency-Key` header (a repeat is answered
with the original message and recorded with `duplicate=True`) so tests can count repeats.
"""
from __future__ import annotations

import base64
import re
import secrets
from email.utils import formatdate
from typing import Any

from aiohttp import web

from tests.fakes.http_fake import TIMEOUT, FakeHTTPServer, FaultConfig

API = "/2010-04-01"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_ERRORS = {
    "429": (429, 20429, "Too Many Requests"),
    "500": (500, 20500, "Internal Server Error"),
    "503": (503, 20503, "Service Unavailable"),
}


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status},
        status=status,
    )


class FakeTwilioAPI(FakeHTTPServer):
    name = "twilio"

    def __init__(
        self,
        account_sid: str = "AC" + "f" * 32,
        auth_token: str = "fake-twilio-auth-token-0123456789",
        *,
        faults: FaultConfig | None = None,
        fault_list: bool = False,
    ) -> None:
        super().__init__(faults or FaultConfig(kinds=("500", "429", "503", TIMEOUT)))
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.fault_list = fault_list  # also inject faults into GET (listing) requests
        self.messages: list[dict[str, Any]] = []  # every message created, oldest first
        self.list_calls = 0

    def _routes(self, app: web.Application) -> None:
        app.router.add_post(API + "/Accounts/{sid}/Messages.json", self._create)
        app.router.add_get(API + "/Accounts/{sid}/Messages.json", self._list)
        app.router.add_get(API + "/Accounts/{sid}/Messages/{msid}.json", self._fetch)

    def _authorised(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if header != expected:
            return _error(401, 20003, "Authenticate")
        if request.match_info["sid"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        return None

    async def _injected(self) -> tuple[web.Response | None, str]:
        """(error response or None to go on, the outcome drawn)."""
        outcome = self._fault()
        if outcome == TIMEOUT and not self.faults.timeout_after_processing:
            await self._hang()
            return _error(503, 20503, "Service Unavailable"), outcome
        if outcome in _ERRORS:
            return _error(*_ERRORS[outcome]), outcome
        return None, outcome

    def _message_json(self, to: str, from_: str, body: str) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True).replace("GMT", "+0000")
        return {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": body,
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": from_, "messaging_service_sid": None,
            "num_media": "0", "num_segments": str(max(1, -(-len(body) // 153))), "price": None, "price_unit": "USD",
            "sid": sid, "status": "queued", "to": to,
            "subresource_uris": {"media": f"{API}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "uri": f"{API}/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    async def _create(self, request: web.Request) -> web.StreamResponse:
        await self._latency()
        if (denied := self._authorised(request)) is not None:
            return denied
        failed, outcome = await self._injected()
        if failed is not None:
            return failed
        form = await request.post()
        to, from_, body = (str(form.get(k) or "") for k in ("To", "From", "Body"))
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not from_ and not form.get("MessagingServiceSid"):
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return _error(400, 21602, "Message body is required.")
        if not _E164.match(to):
            return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        key = request.headers.get(IDEMPOTENCY_HEADER)
        hold = self._take_hold()
        if hold is not None and not hold.record:
            await self._park(hold)
            return _error(503, 20503, "Service Unavailable")
        known = self._known(key)
        if known is not None:
            message = known
        else:
            message = self._message_json(to, from_, body)
            self.messages.append(message)
        self._record(key, to, body, dict(form), message)
        if hold is not None:
            await self._park(hold)
        if outcome == TIMEOUT:  # processed, but the answer never comes in time
            await self._hang()
        return web.json_response(message, status=201)

    async def _list(self, request: web.Request) -> web.StreamResponse:
        await self._latency()
        if (denied := self._authorised(request)) is not None:
            return denied
        self.list_calls += 1
        if self.fault_list:
            failed, _ = await self._injected()
            if failed is not None:
                return failed
        q = request.query
        rows = [m for m in reversed(self.messages)
                if (not q.get("To") or m["to"] == q["To"]) and (not q.get("From") or m["from"] == q["From"])]
        size = int(q.get("PageSize", 50))
        page = rows[:size]
        uri = f"{API}/Accounts/{self.account_sid}/Messages.json?PageSize={size}&Page=0"
        return web.json_response({
            "messages": page, "end": max(0, len(page) - 1), "first_page_uri": uri, "next_page_uri": None,
            "page": 0, "page_size": size, "previous_page_uri": None, "start": 0, "uri": uri,
        })

    async def _fetch(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._authorised(request)) is not None:
            return denied
        for m in self.messages:
            if m["sid"] == request.match_info["msid"]:
                return web.json_response(m)
        return _error(404, 20404, "The requested resource was not found")
