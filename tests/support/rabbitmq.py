"""RabbitMQ control for the bus fixtures: fresh vhosts made in batches, stopping and starting the broker."""

from __future__ import annotations

import asyncio
import re
import subprocess
import uuid


def _erlang_list(names: list[str]) -> str:
    return "[" + ", ".join(f'<<"{n}">>' for n in names) + "]"


class VhostPool:
    """Fresh vhosts for the tests, one per test, never reused; dropped together at the end of the session.

    rabbitmqctl spends seconds starting up for each call, so vhosts are made in batches with one
    ``rabbitmqctl eval``; if the broker's internal API differs, the plain subcommands are used instead.
    """

    BATCH = 8

    def __init__(self, rabbitmqctl: str, user: str) -> None:
        self._ctl, self._user = rabbitmqctl, user
        self._free: list[str] = []
        self._made: list[str] = []

    def take(self) -> str:
        if not self._free:
            self._make([f"tw_test_{uuid.uuid4().hex[:12]}" for _ in range(self.BATCH)])
        return self._free.pop()

    def _ctl_run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self._ctl, *args], capture_output=True, text=True, timeout=120, check=False)

    def _make(self, names: list[str]) -> None:
        self._made.extend(names)
        if re.fullmatch(r"[A-Za-z0-9_.\-]+", self._user):
            who = '<<"tradewind-tests">>'
            script = (
                f"lists:foreach(fun(V) -> ok = rabbit_vhost:add(V, {who}), "
                f'ok = rabbit_auth_backend_internal:set_permissions(<<"{self._user}">>, V, '
                f'<<".*">>, <<".*">>, <<".*">>, {who}) end, {_erlang_list(names)}).'
            )
            done = self._ctl_run("eval", script)
            if done.returncode == 0 and done.stdout.strip().endswith("ok"):
                self._free.extend(names)
                return
        for name in names:
            for args in (("add_vhost", name), ("set_permissions", "-p", name, self._user, ".*", ".*", ".*")):
                done = self._ctl_run(*args)
                if done.returncode != 0:
                    raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr or done.stdout}")
        self._free.extend(names)

    def drop_all(self) -> None:
        if not self._made:
            return
        names = _erlang_list(self._made)
        script = f'lists:foreach(fun(V) -> rabbit_vhost:delete(V, <<"tradewind-tests">>) end, {names}).'
        if self._ctl_run("eval", script).returncode != 0:
            for name in self._made:
                self._ctl_run("delete_vhost", name)
        self._made.clear()
        self._free.clear()


class Broker:
    """Stops and starts the machine's RabbitMQ application (the Erlang node keeps running)."""

    def __init__(self, rabbitmqctl: str) -> None:
        self._ctl = rabbitmqctl

    async def _run(self, *args: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            self._ctl, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {(err or out).decode(errors='replace')}")

    async def stop_app(self) -> None:
        await self._run("stop_app")

    async def start_app(self) -> None:
        await self._run("start_app")
        await self._run("await_startup")

    def ensure_running(self) -> None:
        """Synchronous start, for finalisers: start_app on a running broker is a no-op."""
        subprocess.run([self._ctl, "start_app"], capture_output=True, timeout=300, check=False)


async def close_connections(rabbitmqctl: str, vhost: str, name: str) -> int:
    """Close, from the broker's side, the connections of ``vhost`` whose client properties mention ``name``.

    What a broker restart does to one client, without disturbing the other tests' connections.
    """
    listing = await asyncio.create_subprocess_exec(
        rabbitmqctl, "-q", "list_connections", "pid", "vhost", "client_properties", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await listing.communicate()
    pids = [line.split("\t")[0] for line in out.decode().splitlines() if f"\t{vhost}\t" in line and name in line]
    for pid in pids:
        closing = await asyncio.create_subprocess_exec(
            rabbitmqctl, "-q", "close_connection", pid, "closed by a test", stdout=asyncio.subprocess.DEVNULL
        )
        await closing.wait()
    return len(pids)
