"""TWAP end to end through the sim-exchange's faults: a job on a simulated clock, its orders over loopback REST (and,
through ``BybitV5Gateway``, the private stream) to a venue answering late, losing answers, throttling, skewing its
clock, failing with 5xx, going into maintenance mid-job, cutting fills into odd pieces and reporting them late.

Whatever the faults, asserted from the venue's own records: no client order id is two orders and every order is one
of the job's slices; no fill is lost or counted twice: the venue's executions, the job's stored fills, its filled
quantity, its report and the fills pushed on the bus are one exact Decimal total, the job's total.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator, MutableMapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.bybit_server import Served, serve
from tests.support.faults import put_faults
from tests.support.logs import captured_logs
from tests.support.order_stream import OrderEvents, following
from tests.support.twap import D, rig, sim_exchange_gateway
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import WallClock
from tradewind.adapters.exchanges.publishing import PublishingGateway
from tradewind.application.ports.exchange import ExchangeGateway
from tradewind.domain.order_events import OrderEventKind
from tradewind.domain.twap.job import JobStatus
from tradewind.domain.twap.spec import TwapSpec
from tradewind.domain.values import Category, Side

pytestmark = pytest.mark.integration
KEY = "trader-1"
TOTAL = D("0.2")
SLICES = 10
CREATE = {"bybit": "/v5/order/create", "binance": "/api/v3/order"}
PREFIX = {"bybit": "/v5/*", "binance": "/api/v3/*"}


def _mix(face: str, *, maintenance_s: float | None = None) -> list[dict[str, Any]]:
    """The seeded mix of faults on ``trader-1``; ``maintenance_s`` adds a maintenance window opening now."""
    rules: list[dict[str, Any]] = [
        {"kind": "latency", "params": {"dist": "pareto", "ms": 2, "alpha": 1.2, "cap_ms": 60}},
        {"kind": "timeout_after", "route": CREATE[face], "count": 1},  # placed, answer lost: at least once
        {"kind": "timeout_after", "route": CREATE[face], "probability": 0.3},
        {"kind": "timeout_before", "route": PREFIX[face], "probability": 0.05},
        {"kind": "rate_limit", "count": 3},  # a burst of three at once
        {"kind": "rate_limit", "probability": 0.05, "count": 6},
        {"kind": "clock_skew", "probability": 0.05, "count": 4, "params": {"skew_ms": 30_000}},
        {"kind": "server_error", "route": PREFIX[face], "probability": 0.05, "params": {"status": 503}},
        {"kind": "odd_partial_fills", "route": "spot.BTCUSDT", "params": {"max_pieces": 5}},
    ]
    if face == "bybit":
        rules += [
            {"kind": "late_report", "route": "execution", "params": {"delay_ms": 300}},
            {"kind": "late_report", "route": "order", "params": {"delay_ms": 150}},
        ]
    if maintenance_s is not None:
        rules.append({"kind": "maintenance", "for_s": maintenance_s})
    return [{**rule, "account": KEY} for rule in rules]


@contextlib.asynccontextmanager
async def _publishing(kind: str, served: Served) -> AsyncIterator[tuple[PublishingGateway, OrderEvents]]:
    """The gateway as TWAP runs it: publishing ``order.event``; following the private stream where there is one."""
    inner = sim_exchange_gateway(kind, served.url)
    if kind == "bybit-v5":
        async with following(inner, served, KEY) as (gateway, events):
            yield gateway, events
        return
    bus = InMemoryBus()
    await bus.start()
    gateway = PublishingGateway(inner, bus, WallClock())
    await gateway.load_instruments()
    events = await OrderEvents().attach(bus)
    try:
        yield gateway, events
    finally:
        await gateway.close()
        await bus.close()


@contextlib.asynccontextmanager
async def _logged() -> AsyncIterator[list[MutableMapping[str, Any]]]:
    with captured_logs() as logs:
        yield logs


async def _fired(http: aiohttp.ClientSession, served: Served) -> Counter[str]:
    async with http.get(f"{served.url}/admin/faults") as resp:
        plan = await resp.json()
    fired: Counter[str] = Counter()
    for rule in plan["rules"]:
        fired[rule["kind"]] += rule["fired"]
    return fired


@pytest.mark.parametrize("kind", ["bybit-v5", "binance"])
async def test_a_twap_job_through_the_faults_sends_each_slice_once_and_counts_every_fill(
    kind: str, tmp_path: Path
) -> None:
    face = "binance" if kind == "binance" else "bybit"
    served = await serve(WallClock())
    fired: Counter[str] = Counter()
    try:
        async with (
            _publishing(kind, served) as (gateway, events),
            aiohttp.ClientSession() as http,
            _logged() as logs,
        ):
            gateways: dict[str, ExchangeGateway] = {"x": gateway}
            async with rig(tmp_path, gateways=gateways, venue=served.venue) as r:
                spec = TwapSpec("x", Category.SPOT, "BTCUSDT", Side.BUY, 60 * SLICES, SLICES, quantity=TOTAL)
                job = await r.service.create(spec, job_id="faults")
                await put_faults(http, served, _mix(face), seed=19)
                await r.run_until(job.job_id, lambda j: j.next_index >= 4, timeout=30)
                fired += await _fired(http, served)
                # Maintenance from now for a second of wall time, while slices fall due; the mix goes on.
                await put_faults(http, served, _mix(face, maintenance_s=1.0), seed=20)
                done = await r.run_to_end(job.job_id, timeout=40)
                fired += await _fired(http, served)
                view = await r.service.show(job.job_id)
                report = await r.service.report(job.job_id)
                async with http.delete(f"{served.url}/admin/faults") as resp:
                    assert resp.status == 200
    finally:
        await served.runner.cleanup()

    account = served.venue.account(KEY)
    assert account is not None
    orders = Counter(o.order_link_id for o in account.orders_newest_first(open_only=False))
    sent = {s.client_order_id for s in view.slices if s.client_order_id is not None}
    executions = [e for e in account.executions if e.side is Side.BUY]
    venue_filled = sum((e.exec_qty for e in executions), Decimal(0))
    stored = sum((f.qty for f in view.fills), Decimal(0))
    pushed = {u.trade_id: u.qty for u in events.seen if u.kind is OrderEventKind.FILL}

    assert max(orders.values()) == 1, f"a client order id placed twice: {orders.most_common(3)}"
    assert set(orders) <= sent  # every order at the venue is one of the job's slice attempts
    assert done.status is JobStatus.COMPLETED, done.reason
    assert done.filled_qty == venue_filled == stored == report.filled_qty == TOTAL
    assert all(isinstance(x, Decimal) for x in (done.filled_qty, stored, report.filled_qty))
    assert len(view.fills) == len(executions) == len({f.trade_id for f in view.fills})  # each execution stored once
    assert len(executions) > len(orders)  # fills were cut into pieces: the split was counted, not collapsed
    assert len(pushed) == len(executions) and sum(pushed.values(), Decimal(0)) == TOTAL  # each fill published once
    events_logged = Counter(e.event for e in view.log)
    gateway_logged = Counter(str(entry["event"]) for entry in logs)
    assert events_logged["twap.fills_disagree"] == 0
    assert fired["maintenance"] > 0 and fired["timeout_after"] > 0, fired  # the faults did happen
    print(  # figures for docs/reliability.md (pytest -s)
        f"\n{kind}: orders={len(orders)} attempts={len(sent)} executions={len(executions)} "
        f"waits={events_logged['twap.exchange_waiting']} reconciled={events_logged['twap.reconciled']} "
        f"sent={events_logged['twap.slice_sent']} lost_or_busy_sends={gateway_logged['exchange.order_unknown']} "
        f"rate_limited_retries={gateway_logged['exchange.rate_limited']} faults={dict(sorted(fired.items()))}"
    )
