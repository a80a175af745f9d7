"""One lifecycle for every running part: components started in order, run in the background, stopped in reverse.

A component with a ``RestartPolicy`` is supervised: when its background task dies it is logged with its traceback,
reported as a problem (so ``/healthz`` is red) and started again after an exponential, jittered backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

from tradewind.application.ports.clock import Clock

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
class RestartPolicy:
    """How a supervised task is started again: ``initial_s`` doubling up to ``max_s``, each delay jittered.

    ``healthy_after_s``: running that long without dying clears the reported crash and resets the backoff.
    """

    initial_s: float = 0.5
    max_s: float = 30.0
    jitter: float = 0.2  # each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]
    healthy_after_s: float = 10.0

    def __post_init__(self) -> None:
        if not 0 < self.initial_s <= self.max_s:
            raise ValueError(f"restart backoff needs 0 < initial_s <= max_s, got {self.initial_s}, {self.max_s}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"restart jitter must be in [0, 1), got {self.jitter}")

    def delay(self, failures: int, rng: random.Random) -> float:
        """The pause before restart number ``failures`` (1 for the first) of a run of consecutive crashes."""
        base = min(self.initial_s * 2.0 ** min(max(failures - 1, 0), 64), self.max_s)
        return base * rng.uniform(1 - self.jitter, 1 + self.jitter)


@dataclass(frozen=True, slots=True)
class Component:
    """A running part: ``start`` in order, ``run`` as a background task, ``stop`` in reverse order, ``health``.

    ``restart``: when ``run`` dies, start it again with this backoff instead of stopping the process.
    """

    name: str
    start: Callable[[], Awaitable[object]] | None = None
    run: Callable[[], Coroutine[Any, Any, None]] | None = None
    stop: Callable[[], Awaitable[object]] | None = None
    health: HealthCheck | None = None
    restart: RestartPolicy | None = None


@dataclass(slots=True)
class _Supervision:
    """A supervised task's crash record: what killed it last, when the current attempt began, how many in a row."""

    crashes: int = 0  # in total
    failures: int = 0  # in a row, since the task last ran for healthy_after_s
    last_error: str | None = None
    started_at: float = 0.0
    running: bool = False
    restarts: list[float] = field(default_factory=list)  # the delays waited, newest last


class Runner:
    """Starts components in order and stops the started ones in reverse; a failed start undoes itself.

    ``now`` (seconds, monotonic) and ``rng`` are injectable so tests of the supervision need no real waiting.
    """

    def __init__(
        self,
        name: str,
        components: Iterable[Component],
        *,
        stop_timeout_s: float = 10.0,
        now: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_crash: Callable[[str], None] | None = None,
    ) -> None:
        self.name = name
        self.components = list(components)
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):  # health and crash reports are keyed by name
            raise ValueError(f"{name}: component names repeat: {names}")
        self._stop_timeout_s = stop_timeout_s
        self._now = now
        self._rng = rng or random.Random()
        self._on_crash = on_crash
        self._started: list[Component] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._supervised: dict[str, _Supervision] = {}
        self._stopping = asyncio.Event()
        self.stop_failures = 0

    async def start(self) -> None:
        self._stopping.clear()
        try:
            for component in self.components:
                if component.start is not None:
                    await component.start()
                self._started.append(component)
                if component.run is not None:
                    work = component.run() if component.restart is None else self._supervise(component)
                    self._tasks[component.name] = asyncio.create_task(work, name=component.name)
        except BaseException:
            await self.stop()
            raise

    def supervision(self, name: str) -> tuple[int, str | None]:
        """A supervised component's crashes so far and the last one's error (tests and reports read it)."""
        state = self._supervised.get(name)
        return (0, None) if state is None else (state.crashes, state.last_error)

    async def _supervise(self, component: Component) -> None:
        """Run ``component.run`` until the runner stops; each death is logged, reported and followed by a restart."""
        policy, run = component.restart, component.run
        assert policy is not None and run is not None  # only supervised components come here
        state = self._supervised.setdefault(component.name, _Supervision())
        while not self._stopping.is_set():
            state.started_at, state.running = self._now(), True
            try:
                await run()
                error: BaseException | None = None
            except Exception as exc:
                error = exc
            finally:
                state.running = False
            if self._stopping.is_set():
                return
            if self._now() - state.started_at >= policy.healthy_after_s:
                state.failures = 0  # it had recovered: this is a new run of crashes, the backoff starts over
            state.crashes += 1
            state.failures += 1
            state.last_error = "ended on its own" if error is None else f"{type(error).__name__}: {error}"
            delay = policy.delay(state.failures, self._rng)
            state.restarts.append(delay)
            _log().error(
                "component.crashed", system=self.name, component=component.name, error=state.last_error,
                crashes=state.crashes, restart_in_s=round(delay, 3), exc_info=error,
            )  # fmt: skip
            if self._on_crash is not None:
                self._on_crash(component.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            if not self._stopping.is_set():
                _log().info("component.restarting", system=self.name, component=component.name, attempt=state.failures)

    def problems(self) -> dict[str, str]:
        """What is wrong now, by component: its own health check, its task having ended, or a recent crash."""
        found: dict[str, str] = {}
        for component in self.components:
            problem = component.health() if component.health is not None else None
            if problem is None and component.run is not None:
                task = self._tasks.get(component.name)
                if task is None:
                    problem = "not started"
                elif task.done():
                    problem = f"{component.name} has stopped"
                else:
                    problem = self._crash_problem(component)
            if problem is not None:
                found[component.name] = problem
        return found

    def _crash_problem(self, component: Component) -> str | None:
        """A supervised task that crashed is a problem until it has run ``healthy_after_s`` since its restart."""
        state = self._supervised.get(component.name)
        if state is None or state.last_error is None or component.restart is None:
            return None
        if state.running and self._now() - state.started_at >= component.restart.healthy_after_s:
            return None
        doing = "restarted" if state.running else "restarting"
        return f"crashed {state.crashes} time(s), {doing}; last: {state.last_error}"

    def states(self) -> dict[str, str | None]:
        """Every component, in order: None when started and well, else what is wrong ("not started" before start)."""
        started = {c.name for c in self._started}
        problems = self.problems()
        return {
            c.name: problems.get(c.name) if c.name in started else "not started" for c in self.components
        }  # fmt: skip

    def checks(self) -> dict[str, HealthCheck]:
        """One liveness check per component that can tell its health."""
        return {c.name: self._check(c.name) for c in self.components if c.health is not None or c.run is not None}

    def _check(self, name: str) -> HealthCheck:
        return lambda: self.problems().get(name)

    async def run_until(self, stop: asyncio.Event) -> None:
        """Return when ``stop`` is set; raise ComponentCrashed if an unsupervised background task ends first."""
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
        """Stop every started component in reverse order, waiting for its task; a failure does not stop the rest.

        An error that is not an ``Exception`` (a cancellation, an exit) is raised again once every component has
        had its stop, so the components started before it still flush.
        """
        self._stopping.set()
        interrupted: BaseException | None = None
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
                _log().error(
                    "component.stop_failed", system=self.name, component=component.name, error=repr(exc), exc_info=exc
                )
            except BaseException as exc:
                self.stop_failures += 1
                interrupted = interrupted or exc
                _log().error("component.stop_interrupted", system=self.name, component=component.name, error=repr(exc))
        self._started.clear()
        if interrupted is not None:
            raise interrupted


async def sleep_unless_stopped(clock: Clock, seconds: float, stopped: asyncio.Event) -> bool:
    """Sleep ``seconds`` on ``clock``; return False at once when ``stopped`` is set (a simulated clock may stand
    still while the system stops, so a loop must not wait for it)."""
    if stopped.is_set():
        return False
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    stopping = asyncio.ensure_future(stopped.wait())
    try:
        await asyncio.wait({sleeper, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, stopping):
            if not task.done():
                task.cancel()
    return not stopped.is_set()


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (None: nothing) and wait until it has ended; its cancellation is not raised here."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _log() -> Any:
    """structlog's logger, imported when a runner first logs: the reading ``twap`` verbs import only StartupError."""
    import structlog

    return structlog.get_logger(__name__)
