"""One way for tests to call Tradewind's HTTP API: the test token, its header, and the access rules an app is built
with (``create_http_app(commands, api_access())``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from tests.fakes.command_journal import InMemoryCommandJournal
from tradewind.adapters.clock import WallClock
from tradewind.application.commands import CommandService
from tradewind.application.commands.gate import CommandGate
from tradewind.domain.command_access import User
from tradewind.interfaces.http import ApiAccess, HttpSettings
from tradewind.interfaces.render.commands import JsonRenderer

TOKEN = "test-token-0123456789abcdef"  # distinctive, so a test can grep output for it


def command_gate(commands: CommandService, journal: InMemoryCommandJournal | None = None) -> CommandGate:
    """The gate of ``POST /commands`` over ``commands``, its journal in memory (``journal``, to look at)."""
    return CommandGate(commands, journal or InMemoryCommandJournal(), WallClock(), JsonRenderer(commands))


def auth_headers(token: str = TOKEN) -> dict[str, str]:
    """The header every changing request sends."""
    return {"Authorization": f"Bearer {token}"}


def api_access(token: str | None = TOKEN, users: Mapping[str, User] | None = None, **http: Any) -> ApiAccess:
    """The rules of an app served with ``http`` settings (loopback by default), ``token`` (None: no token set) and
    ``users``' tokens (token -> user, as ``commands.users`` configures them)."""
    return ApiAccess.from_settings(HttpSettings(**http), token, users)


def authorized_session(token: str | None = TOKEN) -> aiohttp.ClientSession:
    """An aiohttp session sending the bearer header on every request (none when ``token`` is None)."""
    return aiohttp.ClientSession(headers=None if token is None else auth_headers(token))


async def call(
    method: str, url: str, body: Any = None, *, token: str | None = TOKEN, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One request with a JSON ``body`` (None: no body), authorized with ``token``; the status and the JSON answer."""
    async with authorized_session(token) as http, http.request(method, url, json=body, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def post_raw(url: str, text: str, *, token: str | None = TOKEN) -> tuple[int, Any]:
    """POST ``text`` as a JSON body as is: ``NaN``, ``Infinity`` and ``1e400`` cannot be written with ``json=``."""
    headers = {"Content-Type": "application/json"}
    async with authorized_session(token) as http, http.post(url, data=text, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)
