"""Helpers of the distributed-mode tests: service subprocesses, their log events, their metrics pages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

WAIT = 60.0  # an upper bound for a condition, not a timing expectation


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


async def until(probe: Callable[[], Any], accept: Callable[[Any], bool], what: str) -> Any:
    """Poll ``probe`` until its result is accepted; fail naming ``what`` after WAIT seconds."""
    try:
        async with asyncio.timeout(WAIT):
            while not accept(result := await probe()):  # noqa: ASYNC110 - polling other processes
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out after {WAIT} s waiting for {what}")
    return result
