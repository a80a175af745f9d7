"""The dashboard's live stream: bus messages per second published in the embedded process while 20 pages follow
``/events``, and the updates per second each page receives, with the event loop's lag (a 10 ms sleeper's overshoot).

The server (in-memory bus, the HTTP app, uvicorn) runs in this process's loop, as ``tradewind run`` does; the 20
clients read the streams in a child process, so their parsing does not count as the server's lag. The rate rises
step by step; the figure is the highest step whose p99 lag stays at or under 50 ms.

``python -m bench.bench_dashboard`` (figures in docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import time

import aiohttp
from tests.support.http_api import api_access

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.application.commands import CommandService
from tradewind.interfaces.http import HttpServer, create_http_app

CLIENTS = 20
STEP_S = 8.0
RATES = (0, 200, 500, 1000, 2000, 4000, 8000)  # bus messages per second over TOPICS topics; 0: the baseline
TOPICS = 120  # 40 markets x book, trade, mid
LAG_LIMIT_MS = 50.0
PROBE_S = 0.01


def _payload(kind: str, market: int, seq: int) -> dict[str, object]:
    ref = {"exchange": "sim", "category": "spot", "symbol": f"M{market:03d}USDT", "matching_key": ""}
    if kind == "book":
        levels = [[str(100 + i), "1.5"] for i in range(20)]
        return {**ref, "seq": seq, "bids": levels, "asks": levels, "ts_ns": time.time_ns()}
    if kind == "trade":
        return {**ref, "trade_id": str(seq), "price": "100.5", "qty": "0.1", "taker_side": "Buy", "ts_ns": 1}
    return {**ref, "mid": "100.5", "best_bid": "100", "best_ask": "101", "ts_ns": time.time_ns()}


TOPIC_LIST = [(f"md.{k}.sim.spot.M{m:03d}USDT", k, m) for m in range(TOPICS // 3) for k in ("book", "trade", "mid")]


async def _publish(bus: InMemoryBus, rate: int, seconds: float) -> int:
    """Publishes ``rate`` messages a second in bursts every 10 ms; the count sent."""
    sent, started = 0, time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * rate)
        while sent < due:
            topic, kind, market = TOPIC_LIST[sent % len(TOPIC_LIST)]
            await bus.publish(topic, _payload(kind, market, sent))
            sent += 1
        await asyncio.sleep(0.01)
    return sent


async def _probe(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(PROBE_S)
        lags.append((time.perf_counter() - before - PROBE_S) * 1000)


async def _clients(url: str, seconds: float) -> list[int]:
    """Child process: ``CLIENTS`` streams read for ``seconds``; bus updates each received."""

    async def one(http: aiohttp.ClientSession) -> int:
        count = 0
        try:
            async with asyncio.timeout(seconds), http.get(url) as resp:
                async for line in resp.content:
                    if line.startswith(b"data: ") and b'"events"' in line:
                        count += len(json.loads(line[6:])["events"])
        except TimeoutError:
            pass
        return count

    async with aiohttp.ClientSession() as http:
        return list(await asyncio.gather(*(one(http) for _ in range(CLIENTS))))


async def _step(bus: InMemoryBus, url: str, rate: int) -> tuple[float, float, float, float]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bench_dashboard", "--clients", url, str(STEP_S + 1),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    await asyncio.sleep(1.0)  # let the pages connect
    lags: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(_probe(lags, stop))
    sent = await _publish(bus, rate, STEP_S - 0.5)
    stop.set()
    await probe
    out, _ = await child.communicate()
    received = json.loads(out)
    p99 = statistics.quantiles(lags, n=100)[98]
    return sent / (STEP_S - 0.5), statistics.mean(received) / STEP_S, p99, max(lags)


async def main() -> None:
    bus = InMemoryBus()
    await bus.start()
    server = HttpServer(create_http_app(CommandService(), api_access(), None, bus), "127.0.0.1", 0)
    await server.start()
    url = f"http://127.0.0.1:{server.port}/events"
    print(f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · {CLIENTS} clients")
    print(f"{'published/s':>12} {'per client/s':>13} {'lag p99 ms':>11} {'lag max ms':>11}")
    best = None
    try:
        for rate in RATES:
            published, delivered, p99, worst = await _step(bus, url, rate)
            ok = p99 <= LAG_LIMIT_MS
            print(f"{published:12.0f} {delivered:13.1f} {p99:11.1f} {worst:11.1f}  {'ok' if ok else 'over 50 ms'}")
            if not ok and rate:
                break
            if rate:
                best = (published, delivered)
    finally:
        await server.stop()
        await bus.close()
    if best:
        print(f"sustained: {best[0]:.0f} bus messages/s in, {best[1]:.0f} updates/s to each of {CLIENTS} pages")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--clients"]:
        print(json.dumps(asyncio.run(_clients(sys.argv[2], float(sys.argv[3])))))
    else:
        asyncio.run(main())
