"""Helpers of the distributed-mode tests: service subprocesses, their log events, their metrics pages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.processes import free_port
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.ccxt import open_gateway
from tradewind.adapters.exchanges.settings import load_credentials
from tradewind.domain.orders import ExecutionFill
from tradewind.domain.twap.slicer import parse_client_order_id
from tradewind.domain.values import Category
from tradewind.settings import load_settings

WAIT = 60.0  # an upper bound for a condition, not a timing expectation
CREDENTIALS = {"TRADEWIND_SIMSRV_API_KEY": "tradewind-demo-key", "TRADEWIND_SIMSRV_API_SECRET": "tradewind-demo-secret"}


@contextlib.asynccontextmanager
async def sim_exchange(cwd: str | os.PathLike[str]) -> AsyncIterator[int]:
    """A ``tradewind sim-exchange`` process; yields its port once it accepts connections."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_")} | CREDENTIALS
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tradewind", "sim-exchange", "--port", str(port), cwd=cwd, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip

    async def listening() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
        return True

    try:
        await until(listening, bool, "the sim-exchange listening")
        yield port
    finally:
        process.terminate()
        await process.wait()


def simsrv_config(path: str | os.PathLike[str], port: int) -> None:
    """The services' YAML naming the sim-exchange on ``port`` as the ``simsrv`` Bybit entry."""
    with open(path, "w") as f:
        f.write(
            "clock: wall\nexchanges:\n  default: simsrv\n  entries:\n"
            f'    simsrv: {{type: bybit, env: sim-server, url: "http://127.0.0.1:{port}"}}\n'
        )


@dataclass
class ServiceProcess:
    """A ``tradewind service NAME`` subprocess and the JSON log events it wrote."""

    name: str
    process: asyncio.subprocess.Process
    events: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    _reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict):
                    self.events.append(event)

    def event(self, name: str) -> dict[str, Any] | None:
        return next((e for e in self.events if e.get("event") == name), None)

    async def wait_event(self, name: str) -> dict[str, Any]:
        async with asyncio.timeout(WAIT):
            while (found := self.event(name)) is None:
                if self.process.returncode is not None:
                    pytest.fail(f"{self.name} exited {self.process.returncode} before {name}:\n" + self.output())
                await asyncio.sleep(0.02)
        return found

    async def terminate(self) -> int:
        """SIGTERM, then the exit code once it has stopped (its buffers flushed)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(WAIT):
            code = await self.process.wait()
            if self._reader is not None:
                await self._reader
        return code

    def output(self) -> str:
        return "\n".join(self.lines[-40:])


StartService = Callable[..., Any]


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def counts(health_url: str, metric: str) -> dict[str, int]:
    """The per-kind values of a counter on a service's /metrics page."""
    status, body = await get(health_url + "/metrics")
    assert status == 200
    found: dict[str, int] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == metric:
                found[sample.labels["kind"]] = int(sample.value)
    return found


async def until(probe: Callable[[], Any], accept: Callable[[Any], bool], what: str, wait: float = WAIT) -> Any:
    """Poll ``probe`` until its result is accepted; fail naming ``what`` after ``wait`` seconds."""
    try:
        async with asyncio.timeout(wait):
            while not accept(result := await probe()):  # noqa: ASYNC110 - polling other processes
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out after {wait} s waiting for {what}")
    return result


async def twap_cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    """``tradewind twap ARGS`` as a subprocess; its output (the command must succeed)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tradewind", "twap", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def job_fills(config: Path, job: str) -> list[ExecutionFill]:
    """The exchange's own fills of TWAP job ``job`` on the ``simsrv`` entry of ``config`` (BTCUSDT spot)."""
    settings = load_settings(config)
    entry = settings.exchanges.entries["simsrv"]
    gateway = open_gateway("simsrv", entry, load_credentials("simsrv", entry, CREDENTIALS), WallClock())
    try:
        await gateway.load_instruments()
        fills = await gateway.fetch_fills(Category.SPOT, "BTCUSDT")
    finally:
        await gateway.close()
    return [f for f in fills if (parsed := parse_client_order_id(f.client_order_id)) and parsed[0] == job]
