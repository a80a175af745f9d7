"""``POST /commands`` on loopback (uvicorn, port 0) over a TWAP rig and a market-data service: the command language
runs what the system can, refuses what it cannot with a 4xx, and no text makes it answer a 5xx."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.command_journal import InMemoryCommandJournal
from tests.support.cli import QUIET, environment, tradewind
from tests.support.http_api import TOKEN, api_access, call, command_gate
from tests.support.twap import Rig, rig
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.application.commands import CommandService
from tradewind.application.marketdata.service import MarketDataService
from tradewind.domain.command_access import Role, User
from tradewind.domain.command_language import COMMANDS, DEFAULT_ALIASES, LanguageContext
from tradewind.domain.command_language.grammar import FLAGS, TWAP_KEYWORDS, TWAP_VERBS, UNITS
from tradewind.interfaces.http import HttpServer, create_http_app

VIEW_TOKEN = "view-token-0123456789abcdef"
TRADE_TOKEN = "trade-token-0123456789abcdef"
USERS = {VIEW_TOKEN: User("vic", Role.VIEW), TRADE_TOKEN: User("tina", Role.TRADE)}


@dataclass
class Api:
    url: str
    rig: Rig
    journal: InMemoryCommandJournal

    async def post(self, body: Any, token: str | None = TOKEN) -> tuple[int, Any]:
        return await call("POST", self.url + "/commands", body, token=token)

    async def run(self, text: str) -> tuple[int, Any]:
        return await self.post({"text": text})


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with rig(tmp_path) as r:
        bus = InMemoryBus()
        await bus.start()
        market_data = MarketDataService(bus, WallClock(), {})
        language = LanguageContext(DEFAULT_ALIASES, "sim", ("sim",))
        commands = CommandService(twap=r.service, market_data=market_data, default_exchange="sim", language=language)
        journal = InMemoryCommandJournal()
        app = create_http_app(commands, api_access(users=USERS), command_gate(commands, journal))
        server = HttpServer(app, "127.0.0.1", 0)
        await server.start()
        try:
            yield Api(f"http://127.0.0.1:{server.port}", r, journal)
        finally:
            await server.stop()
            await market_data.close()
            await bus.close()


async def test_a_twap_job_is_created_controlled_and_reported_through_the_language(api: Api) -> None:
    status, answer = await api.run("twap buy btc 0.12 over 1h slices 12 --id web1")
    assert status == 200, answer
    assert answer["command"] == {
        "type": "create_twap", "side": "Buy", "symbol": "BTCUSDT", "runtime_s": 3600, "quantity": "0.12",
        "notional": None, "slices": 12, "interval_s": None, "limit_price": None, "limit_policy": "stop",
        "catch_up": "catch_up", "order_style": "market", "max_slippage_bps": "50", "size_jitter": "0",
        "time_jitter": "0", "seed": 0, "exchange": "sim", "category": "spot", "job_id": "web1",
        "allow_insufficient": False,
    }  # fmt: skip
    assert (answer["outcome"]["job_id"], answer["outcome"]["status"], answer["outcome"]["slices"]) == (
        "web1",
        "running",
        12,
    )
    assert (await api.run("twap pause web1"))[1]["outcome"]["status"] == "paused"
    status, answer = await api.run("twap pause web1")
    assert status == 409 and "only a running job can be paused" in answer["detail"]
    assert (await api.run("twap resume web1"))[1]["outcome"]["status"] == "running"
    status, answer = await api.run("twap list")
    assert status == 200 and [j["job_id"] for j in answer["outcome"]] == ["web1"]
    await api.rig.run_to_end("web1")
    status, answer = await api.run("twap report web1")
    assert status == 200 and Decimal(answer["outcome"]["filled_qty"]) == Decimal("0.12")
    status, answer = await api.run("twap show web1")
    assert status == 200 and answer["outcome"]["status"] == "completed" and answer["outcome"]["log"]
    status, answer = await api.run("twap cancel nojob")  # destructive: it waits for its code
    assert status == 202 and answer["command"] == {"type": "cancel_twap", "job_id": "nojob"}, answer
    status, answer = await api.run(f"confirm {answer['confirm']}")
    assert status == 404 and "no TWAP job 'nojob'" in answer["detail"]


async def test_a_repeated_idempotency_key_answers_the_first_outcome_and_creates_one_job(api: Api) -> None:
    body = {"text": "twap buy btc 0.12 over 1h slices 12"}  # no --id: a second run would create a second job
    first = await call("POST", api.url + "/commands", body, headers={"Idempotency-Key": "order-1"})
    second = await call("POST", api.url + "/commands", body, headers={"Idempotency-Key": "order-1"})
    assert first[0] == second[0] == 200 and first[1] == second[1]
    assert len((await api.run("twap list"))[1]["outcome"]) == 1
    third = await call("POST", api.url + "/commands", body, headers={"Idempotency-Key": "order-2"})
    assert third[0] == 200 and len((await api.run("twap list"))[1]["outcome"]) == 2
    audit = [(e.key, e.result.startswith("repeat")) for e in api.journal.entries if e.key]
    assert audit == [("order-1", False), ("order-1", True), ("order-2", False)]


async def test_a_view_users_token_reads_but_its_changes_are_refused_and_change_nothing(api: Api) -> None:
    status, answer = await api.post({"text": "twap buy btc 0.12 over 1h slices 12"}, token=VIEW_TOKEN)
    assert (status, answer["detail"]) == (403, "vic has role view; this command needs trade")
    status, answer = await call("POST", api.url + "/twap", {"symbol": "BTCUSDT"}, token=VIEW_TOKEN)
    assert (status, answer["detail"]) == (403, "vic has role view: it may not change anything")
    assert (await api.post({"text": "twap list"}, token=VIEW_TOKEN))[0] == 200
    status, answer = await api.post({"text": "twap buy btc 0.12 over 1h slices 12 --id t1"}, token=TRADE_TOKEN)
    assert status == 200 and answer["outcome"]["job_id"] == "t1"
    assert [e.user for e in api.journal.entries] == ["vic", "vic", "tina"]


async def test_a_command_without_the_token_is_refused_and_creates_nothing(api: Api) -> None:
    missing, _ = await api.post({"text": "twap buy btc 1 over 1h every 1m"}, token=None)
    wrong, _ = await api.post({"text": "twap buy btc 1 over 1h every 1m"}, token="not-the-token-0123456789")
    assert (missing, wrong) == (401, 401)
    assert (await api.run("twap list"))[1]["outcome"] == []


async def test_a_dry_twap_answers_the_job_it_would_create_and_stores_nothing(api: Api) -> None:
    status, answer = await api.run("twap buy btc 0.12 over 1h every 5m --dry")
    assert status == 200, answer
    assert answer["command"]["type"] == "dry_run" and answer["command"]["command"]["type"] == "create_twap"
    outcome = answer["outcome"]
    assert (
        outcome["dry"] is True
        and outcome["job"]["slices"] == 12
        and Decimal(outcome["job"]["total"]) == Decimal("0.12")
    )
    assert len(outcome["slice_sizes"]) == 12 and sum(map(Decimal, outcome["slice_sizes"])) == Decimal("0.12")
    assert (await api.run("twap list"))[1]["outcome"] == []
    status, answer = await api.run("twap buy doge 1 over 1h every 5m --dry")  # checked against the exchange
    assert status == 422 and "unknown symbol 'DOGEUSDT'" in answer["detail"]


async def test_a_dry_trade_answers_the_bus_event_it_would_send(api: Api) -> None:
    status, answer = await api.run("buy btc 80 -tsl 2.8 --dry")
    assert status == 200, answer
    assert answer["outcome"] == {
        "dry": True,
        "topic": "cmd.trade.sim",
        "event": {
            "action": "open", "ticker": "BTCUSDT", "qty": "80", "unit": "quote", "side": "BUY", "exchange": "sim",
            "category": "spot", "trailing_stop_pct": "2.8", "stop_loss_pct": None, "take_profit_pct": None,
            "limit_price": None, "dry": True, "key": "",
        },
    }  # fmt: skip
    status, answer = await api.run("close all --dry")
    assert (status, answer["outcome"]["topic"], answer["outcome"]["event"]["action"]) == (200, "cmd.trade", "close_all")


@pytest.mark.parametrize(
    "text", ["buy btc 80", "sell eth 0.5 base -e sim", "close btc", "close all", "positions", "trades", "deals",
             "balance"],
)  # fmt: skip
async def test_what_needs_the_trader_is_a_4xx_that_says_so(api: Api, text: str) -> None:
    status, answer = await api.run(text)
    if status == 202:  # close all is destructive: it runs once confirmed
        status, answer = await api.run(f"confirm {answer['confirm']}")
    assert 400 <= status < 500
    assert "needs the trader service" in answer["detail"] and answer["detail"].startswith(text.split(maxsplit=1)[0])


async def test_quit_is_refused_over_http(api: Api) -> None:
    status, answer = await api.run("quit")
    assert 400 <= status < 500 and "terminal" in answer["detail"]


async def test_help_and_status_answer_from_any_system(api: Api) -> None:
    status, answer = await api.run("help")
    assert status == 200 and all(word in answer["outcome"]["text"] for word in COMMANDS)
    status, answer = await api.run("help twap")
    assert status == 200 and "example: twap buy btc 1.5 over 2h every 1m limit 65000" in answer["outcome"]["text"]
    status, answer = await api.run("status")
    assert (status, answer["outcome"]) == (
        200,
        {"twap": True, "market_data": True, "trader": False, "default_exchange": "sim"},
    )


async def test_subscribe_reaches_the_market_data_service(api: Api) -> None:
    status, answer = await api.run("subscribe eth")
    assert status == 400 and "no market-data stream for exchange 'sim'" in answer["detail"]
    status, answer = await api.run("unsubscribe eth")
    assert status == 404 and "not subscribed" in answer["detail"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("buyy btc 80", (1, "a command", "buyy", "buy")),
        ("buy btc eighty", (9, "an amount (a positive number)", "eighty", None)),
        ("buy btc 80 -e bybit", (15, "an exchange (sim)", "bybit", None)),
        ("twap buy btc 1 over 2h evrey 1m", (24, "over, every, slices, limit or a flag", "evrey", "every")),
        ("", (1, "a command", None, None)),
    ],
)
async def test_a_syntax_error_is_a_422_with_the_column_what_was_expected_and_a_suggestion(
    api: Api, text: str, error: tuple[int, str, str | None, str | None]
) -> None:
    status, answer = await api.run(text)
    assert status == 422
    assert (answer["column"], answer["expected"], answer["got"], answer["suggestion"]) == error
    assert answer["detail"].startswith(f"column {error[0]}: ")
    assert (await api.run("twap list"))[1]["outcome"] == []


@pytest.mark.parametrize("body", [{}, {"text": 5}, {"text": None}, {"text": "help", "extra": 1}, ["help"]])
async def test_a_body_without_a_text_is_a_422(api: Api, body: Any) -> None:
    status, answer = await api.post(body)
    assert status == 422 and isinstance(answer["detail"], str)


VOCABULARY = [
    *COMMANDS, *TWAP_VERBS, *TWAP_KEYWORDS, *UNITS, *(name for flag in FLAGS for name in flag.names),
    "all", "btc", "eth", "doge", "sim", "bybit", "spot", "linear", "ab12", "web1", "80", "0.12", "-1", "0", "1e400",
    "2.8%", "NaN", "2h", "1m", "1h", "5m", "90s", "12", "65000", "100001",
]  # fmt: skip
TEXTS = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(VOCABULARY), max_size=10).map(" ".join),
    st.lists(st.sampled_from(VOCABULARY), max_size=6).map(lambda w: " ".join(["twap", "buy", "btc", "0.12", *w])),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
async def test_no_text_makes_commands_answer_a_5xx(api: Api, text: str) -> None:
    status, answer = await api.run(text)
    assert status < 500, answer
    assert isinstance(answer["detail"], str) if status >= 400 else {"command", "outcome"} == set(answer)


async def test_the_cmd_verb_runs_a_text_on_the_running_system(api: Api, tmp_path: Path) -> None:
    def cmd(text: str) -> subprocess.CompletedProcess[str]:
        return tradewind("cmd", text, "--api", api.url, "--token", TOKEN, env=environment(**QUIET), cwd=tmp_path)

    shown = await asyncio.to_thread(cmd, "help twap")
    assert shown.returncode == 0 and "example: twap buy btc 1.5 over 2h every 1m" in shown.stdout
    listed = await asyncio.to_thread(cmd, "twap list")
    assert listed.returncode == 0 and json.loads(listed.stdout) == {
        "command": {"type": "list_twaps", "archived": False}, "outcome": []
    }  # fmt: skip
    wrong = await asyncio.to_thread(cmd, "buy btc eighty")
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr.splitlines() == [
        "buy btc eighty", "        ^", 'error 422: column 9: expected an amount (a positive number), got "eighty"'
    ]  # fmt: skip
    refused = await asyncio.to_thread(cmd, "buy btc 80")
    assert refused.returncode == 2 and "needs the trader service" in refused.stderr
