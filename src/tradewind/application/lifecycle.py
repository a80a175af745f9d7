"""One lifecycle for every running part: components started in order, run in the background, stopped in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

import structlog

log = structlog.get_logger(__name__)

HealthCheck = Callable[[], str | None]  # a problem, or None when fine


class StartupError(RuntimeError):
    """A component cannot start for a reason the operator must fix first; the message says which and how."""

    @classmethod
    def cannot_listen(cls, what: str, host: str, port: int, exc: OSError) -> StartupError:
        """``what`` (naming its settings) cannot listen on ``host:port``, with the system's reason (port in use...)."""
        reason = os.strerror(exc.errno) if exc.errno is not None and exc.errno > 0 else exc.strerror or str(exc)
        return cls(f"cannot listen on {host}:{port} for {what}: {reason}")


class ComponentCrashed(RuntimeError):
    """A component's background task ended on its own; the process should stop (and be restarted)."""


@dataclass(frozen=True, slots=True)
class Component:
    """A running part: ``start`` in order, ``run`` as a background task, ``stop`` in reverse order, ``health``."""

    name: str
    start: Callable[[], Awaitable[object]] | None = None
    run: Callable[[], Coroutine[Any, Any, None]] | None = None
    stop: Callable[[], Awaitable[object]] | None = None
    health: HealthCheck | None = None


class Runner:
    """Starts components in order and stops the started ones in reverse; a failed start undoes itself."""

    def __init__(self, name: str, components: Iterable[Component], *, stop_timeout_s: float = 10.0) -> None:
        self.name = name
        self.components = list(components)
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):  # health and crash reports are keyed by name
            raise ValueError(f"{name}: component names repeat: {names}")
        self._stop_timeout_s = stop_timeout_s
        self._started: list[Component] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.stop_failures = 0

    async def start(self) -> None:
        try:
            for component in self.components:
                if component.start is not None:
                    await component.start()
                self._started.append(component)
                if component.run is not None:
                    self._tasks[component.name] = asyncio.create_task(component.run(), name=component.name)
        except BaseException:
            await self.stop()
            raise

    def problems(self) -> dict[str, str]:
        """What is wrong now, by component: its own health check, or its background task having ended."""
        found: dict[str, str] = {}
        for component in self.components:
            problem = component.health() if component.health is not None else None
            if problem is None and component.run is not None:
                task = self._tasks.get(component.name)
                if task is None:
                    problem = "not started"
                elif task.done():
                    problem = f"{component.name} has stopped"
            if problem is not None:
                found[component.name] = problem
        return found

    def checks(self) -> dict[str, HealthCheck]:
        """One liveness check per component that can tell its health."""
        return {c.name: self._check(c.name) for c in self.components if c.health is not None or c.run is not None}

    def _check(self, name: str) -> HealthCheck:
        return lambda: self.problems().get(name)

    async def run_until(self, stop: asyncio.Event) -> None:
        """Return when ``stop`` is set; raise ComponentCrashed if a background task ends first."""
        waiter = asyncio.create_task(stop.wait(), name="stop-signal")
        try:
            done, _ = await asyncio.wait([waiter, *self._tasks.values()], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        for name, task in self._tasks.items():
            if task in done:
                error = None if task.cancelled() else task.exception()
                raise ComponentCrashed(f"{self.name}: {name} ended on its own: {error!r}") from error

    async def stop(self) -> None:
        """Stop every started component in reverse order, waiting for its task; a failure does not stop the rest."""
        for component in reversed(self._started):
            try:
                if component.stop is not None:
                    await component.stop()
                task = self._tasks.pop(component.name, None)
                if task is not None:
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.wait_for(task, self._stop_timeout_s)
            except Exception as exc:  # keep stopping the rest: their buffers matter too
                self.stop_failures += 1
                log.error("component.stop_failed", system=self.name, component=component.name, error=repr(exc))
        self._started.clear()
