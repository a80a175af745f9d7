"""Who may use the HTTP API, on loopback (uvicorn, port 0): the bearer token, the Host allowlist, JSON-only bodies,
closed CORS, and the OpenAPI document that declares the scheme. A refused request changes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.http_api import TOKEN, api_access, auth_headers, call, command_gate
from tests.support.twap import rig
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.application.commands import CommandService
from tradewind.application.marketdata.service import MarketDataService
from tradewind.interfaces.http import ApiAccess, HttpServer, create_http_app

JOB = {"exchange": "sim", "symbol": "BTCUSDT", "side": "Buy", "runtime_s": 3600, "slices": 12, "quantity": "0.12"}
MARKET = {"exchange": "bybit", "category": "spot", "symbol": "BTCUSDT"}
Serve = Callable[..., AbstractAsyncContextManager[str]]


@pytest.fixture
def serve(tmp_path: Path) -> Serve:
    """``async with serve(token=..., **http_settings) as url``: the TWAP and market-data routes under those rules."""

    @asynccontextmanager
    async def serving(token: str | None = TOKEN, **http: Any) -> AsyncIterator[str]:
        async with rig(tmp_path) as r:
            bus = InMemoryBus()
            await bus.start()
            market_data = MarketDataService(bus, WallClock(), {})
            commands = CommandService(twap=r.service, market_data=market_data, default_exchange="sim")
            server = HttpServer(
                create_http_app(commands, api_access(token, **http), command_gate(commands)), "127.0.0.1", 0
            )
            try:
                yield f"http://127.0.0.1:{await server.start()}"
            finally:
                await server.stop()
                await market_data.close()
                await bus.close()

    return serving


async def _raw(method: str, url: str, headers: dict[str, str], data: Any = None) -> tuple[int, Any, Any]:
    """Status, JSON answer and headers of one request sending exactly ``headers`` (no session defaults)."""
    async with aiohttp.ClientSession() as http, http.request(method, url, headers=headers, data=data) as resp:
        text = await resp.text()
        is_json = resp.content_type == "application/json"
        return resp.status, json.loads(text) if is_json else text, resp.headers


async def _jobs(url: str) -> list[str]:
    status, jobs = await call("GET", f"{url}/twap")
    assert status == 200, jobs
    return [job["job_id"] for job in jobs]


async def test_without_the_token_every_changing_route_is_401_and_nothing_changes(serve: Serve) -> None:
    async with serve() as url:
        status, body, headers = await _raw("POST", f"{url}/twap", {}, data=b'{"symbol": "BTCUSDT"}')
        assert (status, headers["WWW-Authenticate"]) == (401, "Bearer")
        assert "Authorization: Bearer" in body["detail"]
        assert (await call("POST", f"{url}/twap", {**JOB, "job_id": "nope"}, token=None))[0] == 401
        assert await _jobs(url) == []
        assert (await call("POST", f"{url}/subscribe", MARKET, token=None))[0] == 401
        assert (await call("POST", f"{url}/unsubscribe", MARKET, token=None))[0] == 401
        assert (await call("GET", f"{url}/subscriptions", token=None)) == (200, [])

        assert (await call("POST", f"{url}/twap", {**JOB, "job_id": "mine"}))[0] == 201
        for action in ("pause", "resume", "cancel", "archive"):
            status, body = await call("POST", f"{url}/twap/mine/{action}", token=None)
            assert status == 401, (action, body)
        status, job = await call("GET", f"{url}/twap/mine", token=None)
        assert (status, job["status"], job["archived"]) == (200, "running", False)
        assert (await call("DELETE", f"{url}/twap/mine", token=None))[0] == 401  # any changing method, any route


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong-token-0123456789", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer"],
)
async def test_a_wrong_or_malformed_token_is_401_and_nothing_is_created(serve: Serve, authorization: str) -> None:
    async with serve() as url:
        headers = {"Authorization": authorization, "Content-Type": "application/json"}
        status, body, answer = await _raw("POST", f"{url}/twap", headers, data=json.dumps(JOB))
        assert status == 401 and answer["WWW-Authenticate"].startswith("Bearer"), body
        assert isinstance(body["detail"], str) and TOKEN not in body["detail"]
        assert await _jobs(url) == []


async def test_the_right_token_passes_whatever_the_scheme_case(serve: Serve) -> None:
    async with serve() as url:
        headers = {"Authorization": f"bearer {TOKEN}", "Content-Type": "application/json"}
        status, created, _ = await _raw("POST", f"{url}/twap", headers, data=json.dumps({**JOB, "job_id": "ok"}))
        assert (status, created["job_id"]) == (201, "ok")
        assert (await call("POST", f"{url}/twap/ok/pause"))[1]["status"] == "paused"
        assert await _jobs(url) == ["ok"]


async def test_with_no_token_configured_changes_are_refused_with_403_and_reads_stay_open_on_loopback(
    serve: Serve,
) -> None:
    async with serve(token=None) as url:  # what a distributed gateway without http.token builds
        for token in (None, TOKEN, ""):
            status, body = await call("POST", f"{url}/twap", JOB, token=token)
            assert status == 403 and "no http.token configured" in body["detail"], body
        assert await _jobs(url) == []
        assert (await call("GET", f"{url}/subscriptions", token=None)) == (200, [])


async def test_reads_need_the_token_beyond_loopback_unless_open_reads(serve: Serve) -> None:
    async with serve(host="0.0.0.0") as url:  # the rules of that bind; served on loopback
        status, body = await call("GET", f"{url}/twap", token=None)
        assert status == 401 and "reading beyond loopback" in body["detail"]
        assert (await call("GET", f"{url}/openapi.json", token=None))[0] == 401
        assert (await call("GET", f"{url}/twap")) == (200, [])
        assert (await call("GET", f"{url}/healthz", token=None)) == (200, {"status": "ok"})
    async with serve(host="0.0.0.0", open_reads=True) as url:
        assert (await call("GET", f"{url}/twap", token=None)) == (200, [])
        assert (await call("POST", f"{url}/twap", JOB, token=None))[0] == 401
    async with serve(token=None, host="0.0.0.0") as url:
        status, body = await call("GET", f"{url}/twap", token=None)
        assert status == 403 and "no http.token configured" in body["detail"]
    async with serve() as url:
        assert (await call("GET", f"{url}/twap", token=None)) == (200, [])


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("evil.example", False),
        ("evil.example:{port}", False),
        ("127.0.0.1.evil.example", False),
        ("localhost.", True),
        ("LOCALHOST:{port}", True),
        ("127.0.0.1:{port}", True),
        ("[::1]:{port}", True),
        ("api.example.org", True),
        ("example.org", False),
        ("tradewind.internal:8000", True),
    ],
)
async def test_a_host_header_not_allowed_is_400_and_changes_nothing(serve: Serve, host: str, allowed: bool) -> None:
    async with serve(allowed_hosts=["*.example.org", "Tradewind.Internal"]) as url:
        port = url.rsplit(":", 1)[1]
        headers = {"Host": host.format(port=port)} | auth_headers()
        status, body, _ = await _raw("POST", f"{url}/twap", headers | {"Content-Type": "application/json"},
                                     data=json.dumps({**JOB, "job_id": "h"}))  # fmt: skip
        if allowed:
            assert status == 201, body
        else:
            assert status == 400 and "not allowed" in body["detail"] and "http.allowed_hosts" in body["detail"], body
            assert await _jobs(url) == []
            assert (await _raw("GET", f"{url}/twap", headers))[0] == 400
        assert (await _raw("GET", f"{url}/healthz", headers))[:2] == (200, {"status": "ok"})  # probes by any name


async def test_the_bind_host_is_an_allowed_host(serve: Serve) -> None:
    async with serve(host="10.1.2.3") as url:  # the rules of that bind; served on loopback
        assert (await _raw("GET", f"{url}/twap", {"Host": "10.1.2.3:8000"} | auth_headers()))[:2] == (200, [])
        assert (await _raw("GET", f"{url}/twap", {"Host": "10.1.2.4:8000"} | auth_headers()))[0] == 400


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/x-www-form-urlencoded", b"symbol=BTCUSDT&side=Buy"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--\r\n"),
        ("text/plain", b'{"symbol": "BTCUSDT"}'),
        ("application/xml", b"<job/>"),
    ],
)
async def test_a_body_that_is_not_json_is_415_and_changes_nothing(serve: Serve, content_type: str, data: bytes) -> None:
    async with serve() as url:
        assert (await call("POST", f"{url}/twap", {**JOB, "job_id": "form"}))[0] == 201
        headers = auth_headers() | {"Content-Type": content_type}
        status, body, _ = await _raw("POST", f"{url}/twap", headers, data=data)
        assert status == 415 and "application/json" in body["detail"], body
        status, body, _ = await _raw("POST", f"{url}/twap/form/cancel", headers, data=data)
        assert status == 415, body
        if content_type != "application/xml":  # an empty form POST is still a form: what a CSRF page sends
            assert (await _raw("POST", f"{url}/twap/form/cancel", headers))[0] == 415
        status, job = await call("GET", f"{url}/twap/form")
        assert (status, job["status"], await _jobs(url)) == (200, "running", ["form"])


async def test_cors_is_closed_by_default(serve: Serve) -> None:
    async with serve() as url:
        origin = {"Origin": "https://ops.example.org"}
        status, _, headers = await _raw("GET", f"{url}/twap", origin)
        assert status == 200 and "Access-Control-Allow-Origin" not in headers
        preflight = origin | {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        }
        status, _, headers = await _raw("OPTIONS", f"{url}/twap", preflight)
        assert status == 405 and not [h for h in headers if h.lower().startswith("access-control-")]


async def test_cors_opens_for_the_named_origins_only(serve: Serve) -> None:
    async with serve(cors_origins=["https://ops.example.org"]) as url:
        preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
        status, _, headers = await _raw("OPTIONS", f"{url}/twap", preflight | {"Origin": "https://ops.example.org"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://ops.example.org"
        assert "authorization" in headers["Access-Control-Allow-Headers"].lower()
        assert "Access-Control-Allow-Credentials" not in headers
        status, _, headers = await _raw("OPTIONS", f"{url}/twap", preflight | {"Origin": "https://evil.example"})
        assert status == 400 and "Access-Control-Allow-Origin" not in headers
        for origin, shown in (("https://ops.example.org", True), ("https://evil.example", False)):
            status, _, headers = await _raw("GET", f"{url}/twap", {"Origin": origin})
            assert status == 200 and ("Access-Control-Allow-Origin" in headers) is shown
        status, _, headers = await _raw("POST", f"{url}/twap", {"Origin": "https://ops.example.org"})
        assert status == 401 and headers["Access-Control-Allow-Origin"] == "https://ops.example.org"


async def test_the_openapi_document_declares_the_bearer_scheme_where_it_is_needed(serve: Serve) -> None:
    async with serve() as url:
        status, schema = await call("GET", f"{url}/openapi.json", token=None)
    assert status == 200
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "http.token (docs/deploy.md)"
    }  # fmt: skip
    paths = schema["paths"]
    for path, method in (("/twap", "post"), ("/twap/{job_id}/{action}", "post"), ("/subscribe", "post")):
        operation = paths[path][method]
        assert operation["security"] == [{"bearer": []}]
        assert {"401", "403", "415"} <= set(operation["responses"])
    for path in ("/twap", "/healthz", "/subscriptions"):
        assert "security" not in paths[path]["get"]


async def test_beyond_loopback_the_reads_are_declared_too_but_not_the_health_check(serve: Serve) -> None:
    async with serve(host="0.0.0.0") as url:
        schema = (await call("GET", f"{url}/openapi.json"))[1]
    assert schema["paths"]["/twap"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_every_app_is_built_with_its_access_rules() -> None:
    with pytest.raises(TypeError):
        create_http_app(CommandService())  # type: ignore[call-arg]
    assert isinstance(api_access(), ApiAccess)


@pytest.mark.parametrize("http", [{}, {"host": "0.0.0.0"}], ids=["loopback", "beyond"])
async def test_every_operation_of_the_openapi_document_is_guarded_as_it_declares(
    serve: Serve, http: dict[str, Any]
) -> None:
    """Each documented operation, called without the token: 401 exactly where the document says, never a 5xx."""
    async with serve(**http) as url:
        schema = (await call("GET", f"{url}/openapi.json"))[1]
        assert len(schema["paths"]) >= 8
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                concrete = path.replace("{job_id}", "nojob").replace("{action}", "pause")
                status, body = await call(method.upper(), url + concrete, token=None)
                assert status < 500, (method, path, body)
                assert (status == 401) is ("security" in operation), (method, path, status, body)
        assert await _jobs(url) == []
