"""A stand-in for the Telegram Bot API on loopback (aiohttp), speaking its JSON: getMe, deleteWebhook, getUpdates
(long polling with offsets), sendMessage, answerCallbackQuery. python-telegram-bot talks to it through its
``base_url``; tests push updates (texts, button presses, a redelivery), make sends to a chat fail, and read what the
bot sent."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.waiting import wait_for

BOT_TOKEN = "123456:stand-in-token-abcdefghijklmnop"  # the shape of a real token: <bot id>:<secret>
BOT = {"id": 123456, "is_bot": True, "first_name": "Tradewind", "username": "tradewind_test_bot"}
_LONGEST_POLL_S = 0.5  # the stand-in answers an empty getUpdates sooner than asked, so stopping is quick


@dataclass
class Sent:
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None


@dataclass
class BotApi:
    """What the bot asked of the API (``calls``), what it sent (``sent``), and the updates waiting for it."""

    url: str = ""
    calls: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    answered_callbacks: list[str] = field(default_factory=list)
    _pending: list[tuple[dict[str, Any], bool]] = field(default_factory=list)
    _failures: dict[int, list[tuple[int, str, dict[str, Any]]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        """What the library's ``base_url`` is set to (it appends ``<token>/<method>``)."""
        return f"{self.url}/bot"

    def send_text(self, chat_id: int, text: str) -> dict[str, Any]:
        """A user in ``chat_id`` sends ``text``; the update as queued (deliver it again with ``redeliver``)."""
        update_id = next(self._ids)
        chat = {"id": chat_id, "type": "private", "first_name": "trader"}
        message = {
            "message_id": update_id, "date": 1_765_000_000, "chat": chat, "text": text,
            "from": {"id": chat_id, "is_bot": False, "first_name": "trader"},
        }  # fmt: skip
        return self._queue({"update_id": update_id, "message": message})

    def press(self, chat_id: int, data: str) -> dict[str, Any]:
        """The user presses an inline button whose callback data is ``data``."""
        update_id = next(self._ids)
        user = {"id": chat_id, "is_bot": False, "first_name": "trader"}
        message = {"message_id": 1, "date": 1_765_000_000, "chat": {"id": chat_id, "type": "private"}, "text": "?"}
        query = {"id": f"cb{update_id}", "from": user, "chat_instance": "ci", "data": data, "message": message}
        return self._queue({"update_id": update_id, "callback_query": query})

    def redeliver(self, update: dict[str, Any]) -> None:
        """Deliver ``update`` again whatever offset the bot has confirmed (Telegram delivers at least once)."""
        self._pending.append((update, True))
        self._arrived.set()

    def _queue(self, update: dict[str, Any]) -> dict[str, Any]:
        self._pending.append((update, False))
        self._arrived.set()
        return update

    def fail_sends(self, chat_id: int, code: int, description: str, *, times: int = 1, **parameters: Any) -> None:
        """The next ``times`` sendMessage calls to ``chat_id`` get this error (``parameters``: e.g. retry_after)."""
        self._failures.setdefault(chat_id, []).extend([(code, description, parameters)] * times)

    def replies(self, chat_id: int) -> list[str]:
        return [s.text for s in self.sent if s.chat_id == chat_id]

    async def reply_count(self, chat_id: int, count: int) -> list[str]:
        """The first ``count`` replies to ``chat_id``, once there are that many."""
        await wait_for(lambda: len(self.replies(chat_id)) >= count)
        return self.replies(chat_id)[:count]

    # -- the Bot API --------------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        self.calls.append(method)
        if token != BOT_TOKEN:
            return _error(401, "Unauthorized")
        params = await _params(request)
        match method:
            case "getMe":
                return _ok(BOT)
            case "deleteWebhook" | "setMyCommands":
                return _ok(True)
            case "getUpdates":
                return _ok(await self._updates(int(params.get("offset") or 0), float(params.get("timeout") or 0)))
            case "sendMessage":
                markup = params.get("reply_markup")
                markup = json.loads(markup) if isinstance(markup, str) else markup
                chat_id = int(params["chat_id"])
                if self._failures.get(chat_id):
                    code, description, parameters = self._failures[chat_id].pop(0)
                    return _error(code, description, parameters)
                self.sent.append(Sent(chat_id, str(params["text"]), markup))
                return _ok({
                    "message_id": len(self.sent), "date": 1_765_000_000, "text": params["text"], "from": BOT,
                    "chat": {"id": chat_id, "type": "private"},
                })  # fmt: skip
            case "answerCallbackQuery":
                self.answered_callbacks.append(str(params["callback_query_id"]))
                return _ok(True)
        return _error(404, f"Not Found: method {method} is not in the stand-in")

    async def _updates(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        self._pending = [(u, forced) for u, forced in self._pending if forced or u["update_id"] >= offset]
        if not self._pending and timeout > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), min(timeout, _LONGEST_POLL_S))
            except TimeoutError:
                return []
        out = [u for u, _ in self._pending]
        self._pending = [(u, False) for u, forced in self._pending if not forced]  # a redelivery goes out once
        return out


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.json()
        return body if isinstance(body, dict) else {}
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


@asynccontextmanager
async def bot_api() -> AsyncIterator[BotApi]:
    """The stand-in on 127.0.0.1 and a free port."""
    api = BotApi()
    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api.url = f"http://127.0.0.1:{port}"
    try:
        yield api
    finally:
        await runner.cleanup()
