"""``python -m bench [NAME ...]``: run every benchmark (or the named ones), each in its own process."""

from __future__ import annotations

import subprocess
import sys
import time

BENCHES = (
    "bench_matching",
    "bench_stylised_facts",
    "bench_store",
    "bench_sim_rest",
    "bench_gateways",
    "bench_sim_ws",
    "bench_bus",
    "bench_twap",
    "bench_marketdata",
    "bench_signals",
    "bench_spread",
    "bench_lake",
    "bench_trader",
    "bench_embedded",
    "bench_dashboard",
)


def main(argv: list[str]) -> int:
    chosen = [b for b in BENCHES if not argv or b in argv or b.removeprefix("bench_") in argv]
    unknown = [a for a in argv if a not in BENCHES and f"bench_{a}" not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {list(BENCHES)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"])
        print(f"--- {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
