"""Fixtures for the notify tests: the three HTTP fakes and an aiosmtpd server, started on 127.0.0.1."""
from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from tests.fakes.discord_webhook import FakeDiscordWebhook
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.notify.helpers import TG_TOKEN, TW_SID, TW_TOKEN, SmtpSink


@pytest.fixture
async def tg_fake():
    async with FakeTelegramAPI(TG_TOKEN) as fake:
        yield fake


@pytest.fixture
async def dc_fake():
    async with FakeDiscordWebhook(bucket_limit=None) as fake:
        yield fake


@pytest.fixture
async def tw_fake():
    async with FakeTwilioAPI(TW_SID, TW_TOKEN) as fake:
        yield fake


@pytest.fixture
def smtp_server():
    """(sink, host, port) of an aiosmtpd server running in its own thread."""
    sink = SmtpSink()
    # aiosmtpd's start() connects to its own port to check it is up, so port 0 cannot be used.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, "127.0.0.1", port
    finally:
        controller.stop()
