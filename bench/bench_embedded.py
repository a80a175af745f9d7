"""The embedded system under load: the swarm at 10x its default rate, the recorder on, from the bus to the database.

Run: ``.venv/bin/python -m bench.bench_embedded [--seconds 20] [--speedups 10,50]``. ``build_embedded`` as
``tradewind run`` builds it (no HTTP API, no exchange server, no live view), the simulator stepping every 10 ms
instead of 100 ms on the default two markets (and every 2 ms: 50x). After a warm-up, samples every 100 ms give:
market-data events stored per second (rows the recorder wrote: trades, mids, books), the recorder's lag (how long
after an event reached the recorder its row was stored, from the counts), and this process's CPU per 1,000 stored
events (the database server's CPU is not in it).
Each configuration runs in its own process; ``TRADEWIND_PURE_PYTHON=1`` rows run the matching core uncompiled.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tradewind`` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

DEFAULT_STEP_MS = 100  # SimulatorSettings().step_interval_ms


async def measure(url: str, schema: str | None, seconds: float, warmup: float, step_ms: int) -> dict[str, float]:
    """Run the embedded system for ``warmup + seconds``; the figures of the measured part."""
    from tradewind.adapters.store.sqlalchemy.database import Database, StoreSettings
    from tradewind.application.simulator.settings import SimulatorSettings
    from tradewind.bootstrap.embedded import build_embedded
    from tradewind.domain import matching
    from tradewind.interfaces.http.settings import HttpSettings
    from tradewind.settings import Settings

    settings = Settings(
        storage=StoreSettings(url=url, pg_schema=schema),
        simulator=SimulatorSettings(step_interval_ms=step_ms),
        http=HttpSettings(enabled=False),
    )
    system = build_embedded(settings, console_logging=False, serve_exchange=False)
    await system.start()
    recorder, simulator = system.recorder, system.simulator
    samples: list[tuple[float, int, int, float, int]] = []  # (wall, received, written, cpu, steps)
    try:
        await asyncio.sleep(warmup)
        end = time.perf_counter() + seconds
        while (now := time.perf_counter()) < end:
            stats = recorder.stats
            samples.append((now, stats.received, stats.written, time.process_time(), simulator.steps))
            await asyncio.sleep(0.1)
    finally:
        stopping = time.perf_counter()
        await system.stop()
        drained = time.perf_counter() - stopping
        if schema is not None:
            Database(url, schema=schema).drop_schema()
    (t0, _r0, w0, c0, s0), (t1, _r1, w1, c1, s1) = samples[0], samples[-1]
    received_at = [s[1] for s in samples]
    lags = []
    for t, _, written, _, _ in samples:  # when did the recorder receive the event whose row was just stored?
        i = bisect.bisect_left(received_at, written)
        if i < len(samples):
            lags.append(t - samples[i][0])
    return {
        "kernel": matching.KERNEL,  # type: ignore[dict-item]
        "steps_per_s": (s1 - s0) / (t1 - t0),
        "stored_per_s": (w1 - w0) / (t1 - t0),
        "lag_median_s": statistics.median(lags),
        "lag_max_s": max(lags),
        "cpu_ms_per_1000": (c1 - c0) / max(w1 - w0, 1) * 1e6,
        "cpu_share": (c1 - c0) / (t1 - t0),
        "stop_drain_s": drained,
    }


def child(args: argparse.Namespace) -> None:
    result = asyncio.run(measure(args.url, args.schema, args.seconds, args.warmup, args.step_ms))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--speedups", default="10,50", help="times the simulator's default step rate, one row each")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--step-ms", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(
        f"two markets (the default), recorder on, {args.seconds:.0f} s measured after {args.warmup:.0f} s; "
        f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n"
    )
    print("| swarm step | database | matching core | steps/s | events stored/s | recorder lag p50 / max "
          "| CPU per 1,000 events | CPU used | drain at stop |")  # fmt: skip
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    speedups = [int(x) for x in args.speedups.split(",")]
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        runs = [
            ("PostgreSQL", args.postgres_url, f"tw_bench_e2e_{uuid.uuid4().hex[:8]}", {}),
            ("PostgreSQL", args.postgres_url, f"tw_bench_e2e_{uuid.uuid4().hex[:8]}", {"TRADEWIND_PURE_PYTHON": "1"}),
            ("SQLite", f"sqlite:///{tmp}/e2e.db", None, {}),
        ]
        for speedup, (name, url, schema, extra_env) in itertools.product(speedups, runs):
            step_ms = max(DEFAULT_STEP_MS // speedup, 1)
            command = [sys.executable, "-m", "bench.bench_embedded", "--child", "--url", url]
            command += ["--seconds", str(args.seconds), "--warmup", str(args.warmup), "--step-ms", str(step_ms)]
            command += [] if schema is None else ["--schema", schema]
            env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_")} | extra_env
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            step = f"{step_ms} ms ({speedup}x)"
            if done.returncode != 0:
                print(f"| {step} | {name} | failed: {done.stderr.strip().splitlines()[-1:]} |")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"| {step} | {name} | {r['kernel']} | {r['steps_per_s']:.0f} | {r['stored_per_s']:,.0f} "
                f"| {r['lag_median_s']:.2f} / {r['lag_max_s']:.2f} s | {r['cpu_ms_per_1000']:.0f} ms "
                f"| {r['cpu_share']:.0%} of a core | {r['stop_drain_s']:.2f} s |"
            )


if __name__ == "__main__":
    main()
