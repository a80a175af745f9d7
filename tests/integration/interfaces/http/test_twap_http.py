"""The ``/twap`` HTTP routes on loopback (uvicorn, port 0) over a TWAP rig on the simulated clock, via aiohttp."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.support.http_api import TOKEN, api_access, auth_headers, call, post_raw
from tests.support.twap import MID, Rig, rig
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.application.commands import CommandService
from tradewind.application.marketdata.service import MarketDataService
from tradewind.interfaces.http import HttpServer, create_http_app

JOB = {"exchange": "sim", "category": "spot", "symbol": "BTCUSDT", "side": "Buy", "runtime_s": 3600, "slices": 12}


@dataclass
class Api:
    url: str
    rig: Rig

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return await call(method, self.url + path, body)


async def _serve(twap: Rig | None) -> tuple[HttpServer, MarketDataService, InMemoryBus]:
    bus = InMemoryBus()
    await bus.start()
    market_data = MarketDataService(bus, WallClock(), {})
    commands = CommandService(twap=twap.service if twap else None, market_data=market_data, default_exchange="sim")
    server = HttpServer(create_http_app(commands, api_access()), "127.0.0.1", 0)
    await server.start()
    return server, market_data, bus


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with rig(tmp_path) as r:
        server, market_data, bus = await _serve(r)
        try:
            yield Api(f"http://127.0.0.1:{server.port}", r)
        finally:
            await server.stop()
            await market_data.close()
            await bus.close()


async def test_a_job_created_over_http_runs_and_its_report_has_every_figure(api: Api) -> None:
    status, created = await api.call("POST", "/twap", {**JOB, "quantity": "0.12", "job_id": "web1"})
    assert status == 201
    assert (created["job_id"], created["status"], created["slices"]) == ("web1", "running", 12)
    assert Decimal(created["total"]) == Decimal("0.12")

    done = await api.rig.run_to_end("web1")
    status, report = await api.call("GET", "/twap/web1/report")
    assert status == 200
    assert Decimal(report["filled_qty"]) == Decimal("0.12") == done.filled_qty
    assert Decimal(report["arrival_price"]) == MID
    # The book rests 0.05 per level 10 apart above MID: the average is above the arrival and the market.
    avg, twap = Decimal(report["avg_price"]), Decimal(report["market_twap"])
    assert avg > MID
    assert Decimal(report["slippage_vs_arrival_bps"]) == ((avg - MID) / MID * 10_000).quantize(Decimal("0.01"))
    assert Decimal(report["slippage_vs_twap_bps"]) == ((avg - twap) / twap * 10_000).quantize(Decimal("0.01"))
    assert Decimal(report["fees"]) > 0
    rows = report["slices"]
    assert [r["index"] for r in rows] == list(range(12))
    assert sum(Decimal(r["filled_qty"]) for r in rows) == Decimal("0.12")
    assert sum(Decimal(r["fee"]) for r in rows) == Decimal(report["fees"])

    status, shown = await api.call("GET", "/twap/web1")
    assert status == 200 and shown["status"] == "completed" and Decimal(shown["filled"]) == Decimal("0.12")
    events = [e["event"] for e in shown["log"]]
    assert events[0] == "twap.created" and events[-1] == "twap.completed"
    assert events.count("twap.slice_sent") == 12


async def test_pause_resume_and_cancel_over_http_change_the_job_and_refuse_what_does_not_apply(api: Api) -> None:
    assert (await api.call("POST", "/twap", {**JOB, "quantity": "0.12", "job_id": "ctl"}))[0] == 201
    assert (await api.call("POST", "/twap/ctl/pause"))[1]["status"] == "paused"
    status, body = await api.call("POST", "/twap/ctl/pause")
    assert status == 409 and "only a running job can be paused" in body["detail"]
    assert (await api.call("GET", "/twap/ctl"))[1]["status"] == "paused"
    assert (await api.call("POST", "/twap/ctl/resume"))[1]["status"] == "running"
    status, body = await api.call("POST", "/twap/ctl/cancel")
    assert (status, body["status"], body["reason"]) == (200, "cancelled", "cancelled by the user")
    status, body = await api.call("POST", "/twap/ctl/cancel")
    assert status == 409 and "already cancelled" in body["detail"]
    status, body = await api.call("POST", "/twap/ctl/explode")
    assert status == 404 and "use pause, resume, cancel or archive" in body["detail"]
    assert (await api.call("POST", "/twap/ctl/archive"))[1]["archived"] is True
    assert [j["job_id"] for j in (await api.call("GET", "/twap"))[1]] == []  # hidden from the list, still shown:
    assert (await api.call("GET", "/twap/ctl"))[1]["status"] == "cancelled"
    for path in ("/twap/nojob", "/twap/nojob/report"):
        status, body = await api.call("GET", path)
        assert status == 404 and "no TWAP job 'nojob'" in body["detail"]
    assert (await api.call("POST", "/twap/nojob/pause"))[0] == 404
    events = [e["event"] for e in (await api.call("GET", "/twap/ctl"))[1]["log"]]
    control = ("twap.paused", "twap.resumed", "twap.cancelled")
    assert [e for e in events if e in control] == list(control)


async def test_list_over_http_shows_every_job(api: Api) -> None:
    for job_id in ("one", "two"):
        assert (await api.call("POST", "/twap", {**JOB, "quantity": "0.12", "job_id": job_id}))[0] == 201
    status, jobs = await api.call("GET", "/twap")
    assert status == 200
    assert sorted(j["job_id"] for j in jobs) == ["one", "two"]
    assert {j["symbol"] for j in jobs} == {"BTCUSDT"}


async def test_a_job_naming_no_exchange_goes_to_the_default_one(api: Api) -> None:
    body = {k: v for k, v in JOB.items() if k != "exchange"} | {"quantity": "0.12", "job_id": "dflt"}
    status, created = await api.call("POST", "/twap", body)
    assert status == 201 and created["exchange"] == "sim"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"quantity": "-1"}, "size must be positive"),
        ({"symbol": "DOGEUSDT"}, "unknown symbol 'DOGEUSDT'"),
        ({"slices": None, "interval_s": 600, "runtime_s": 300}, "shorter than one interval of 600 s"),
        ({"quantity": "0.00012"}, "below BTCUSDT's minimum order"),
        ({"exchange": "nope"}, "unknown exchange 'nope': use one of sim"),
        ({"quantity": "abc"}, "quantity must be a number"),
        ({"side": "Hold"}, "bad TWAP job field"),
        ({"runtime_s": None}, "runtime_s"),
        ({"job_id": "Bad Id!"}, "must be 1-16 lowercase letters or digits"),
        ({"qty": "0.12"}, "unknown field(s) ['qty']"),
    ],
)
async def test_bad_input_over_http_is_refused_with_what_to_change_and_nothing_is_stored(
    api: Api, change: dict[str, Any], says: str
) -> None:
    body = {k: v for k, v in {**JOB, "quantity": "0.12", **change}.items() if v is not None}
    status, answer = await api.call("POST", "/twap", body)
    assert status == 422
    assert says in answer["detail"]
    assert await api.call("GET", "/twap") == (200, [])


async def test_a_size_below_the_minimum_per_slice_names_how_many_slices_would_do(api: Api) -> None:
    status, answer = await api.call("POST", "/twap", {**JOB, "quantity": "0.00012"})
    assert status == 422 and "use at most" in answer["detail"]


async def test_interval_stands_in_for_the_slice_count(api: Api) -> None:
    body = {k: v for k, v in JOB.items() if k != "slices"}
    status, created = await api.call("POST", "/twap", {**body, "interval_s": 300, "quantity": "0.12"})
    assert status == 201 and created["slices"] == 12


async def test_without_a_twap_service_the_app_serves_market_data_only() -> None:
    server, market_data, bus = await _serve(None)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{server.port}/twap") as resp:
                assert resp.status == 404
            async with http.get(f"http://127.0.0.1:{server.port}/subscriptions") as resp:
                assert (resp.status, await resp.json()) == (200, [])
    finally:
        await server.stop()
        await market_data.close()
        await bus.close()


async def _post_raw(api: Api, text: str, token: str | None = TOKEN) -> tuple[int, Any]:
    return await post_raw(api.url + "/twap", text, token=token)


def _with(field: str, literal: str) -> str:
    """The valid job with ``field`` set to the raw JSON ``literal``."""
    body = {k: v for k, v in {**JOB, "quantity": "0.12"}.items() if k != field}
    return json.dumps(body)[:-1] + f', "{field}": {literal}}}'


@pytest.mark.parametrize(
    ("field", "literal"),
    [
        *[(f, v) for f in ("runtime_s", "slices", "seed", "interval_s") for v in ("Infinity", "1e400", "NaN")],
        *[(f, v) for f in ("quantity", "limit_price") for v in ("1e308", "1e400000000", '"1e400000000"', "NaN")],
        ("quantity", '"NaN"'),
        ("quantity", '"Infinity"'),
        ("quantity", '"1e30"'),
        ("quantity", '"\u0661"'),  # an Arabic-Indic one: Decimal() would read it as 1
        ("quantity", '"1_0"'),  # Decimal() would read it as 10
        ("quantity", "true"),
        ("slices", "2.7"),  # was truncated to 2
        ("runtime_s", "true"),  # was taken as 1 s
        ("runtime_s", "60.7"),  # was truncated to 60
        ("runtime_s", "1000000000000"),  # was stored, then killed the scheduler (issue 19)
        ("seed", "-1"),
    ],
)
async def test_a_bad_number_is_a_422_naming_the_field_and_nothing_is_stored(api: Api, field: str, literal: str) -> None:
    body = _with(field, literal)
    if field == "interval_s":
        body = body.replace('"slices": 12, ', "")
    status, answer = await _post_raw(api, body)
    assert status == 422, answer
    assert f"'{field}'" in answer["detail"] and "must be" in answer["detail"]
    assert await api.call("GET", "/twap") == (200, [])


async def test_the_same_job_id_twice_is_a_409_and_the_first_job_stays(api: Api) -> None:
    assert (await api.call("POST", "/twap", {**JOB, "quantity": "0.12", "job_id": "twice"}))[0] == 201
    status, answer = await api.call("POST", "/twap", {**JOB, "quantity": "0.24", "job_id": "twice"})
    assert status == 409 and "already exists" in answer["detail"]
    (job,) = (await api.call("GET", "/twap"))[1]
    assert Decimal(job["total"]) == Decimal("0.12")


async def test_bodies_that_were_500s_are_refused_on_one_kept_alive_connection(api: Api) -> None:
    """Issue 19: each of these was a 500, after which the server dropped the keep-alive connection."""
    opened = 0

    async def on_open(*_: object) -> None:
        nonlocal opened
        opened += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_open)
    bodies = [_with(f, v) for f in ("runtime_s", "slices", "seed") for v in ("Infinity", "1e400")]
    bodies += [_with("quantity", "1e308"), _with("limit_price", "1e400000000")]
    bodies += [json.dumps({**JOB, "quantity": "0.12", "job_id": "again"})] * 2  # the second is a 409
    answers = []
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1), trace_configs=[trace], headers=auth_headers()
    ) as http:
        for body in bodies:
            async with http.post(api.url + "/twap", data=body, headers={"Content-Type": "application/json"}) as resp:
                answers.append(resp.status)
                await resp.read()
    assert answers == [422] * 8 + [201, 409]
    assert opened == 1


async def test_the_twap_body_is_a_model_in_the_openapi_schema(api: Api) -> None:
    status, schema = await api.call("GET", "/openapi.json")
    assert status == 200
    operation = schema["paths"]["/twap"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert body["additionalProperties"] is False
    assert {"symbol", "side", "runtime_s"} <= set(body["required"])
    assert {"quantity", "interval_s", "job_id"} <= set(body["properties"])


JSON_VALUE = st.one_of(
    st.sampled_from(["null", "true", "false", "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e400000000",
                     "1e308", "-0", "0", "2.7", "60.7", "[]", "{}", '"buy"', '"Sell"', '"spot"', '"sim"', '"0.12"',
                     '"1e30"', '"\u0661"', '"1_0"', '"NaN"', '""']),
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: json.dumps(str(d))),
    st.text(max_size=20).map(json.dumps),
    st.integers(min_value=4000, max_value=5000).map(lambda n: "9" * n),  # past Python's int digit limit
)  # fmt: skip
FIELDS = st.sampled_from([*JOB, "quantity", "notional", "limit_price", "interval_s", "seed", "job_id",
                          "size_jitter", "time_jitter", "max_slippage_bps", "order_style", "qty"])  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(FIELDS, JSON_VALUE, max_size=4), drop=st.sets(st.sampled_from(list(JOB)), max_size=2))
async def test_no_body_makes_twap_answer_a_5xx(api: Api, changes: dict[str, str], drop: set[str]) -> None:
    base = {k: json.dumps(v) for k, v in {**JOB, "quantity": "0.12"}.items() if k not in drop}
    fields = {**base, **changes}
    status, answer = await _post_raw(api, "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}")
    assert status < 500, answer
    assert status in (201, 400, 409, 422), answer  # 400: a body JSON cannot read (an int past 4,300 digits)
    assert isinstance(answer["detail"] if status >= 400 else answer["job_id"], str)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.dictionaries(FIELDS, JSON_VALUE, max_size=4),
    token=st.one_of(st.none(), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)),
)
async def test_no_body_without_the_right_token_changes_anything_or_makes_a_5xx(
    api: Api, changes: dict[str, str], token: str | None
) -> None:
    assume(token is None or token.strip() != TOKEN)
    fields = {**{k: json.dumps(v) for k, v in {**JOB, "quantity": "0.12"}.items()}, **changes}
    status, answer = await _post_raw(api, "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}", token)
    assert status == 401, answer
    assert "bearer" in answer["detail"].lower() or "token" in answer["detail"]
    assert await api.call("GET", "/twap") == (200, [])
