"""Prometheus metrics of one service process, on a registry of its own."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest


class ServiceMetrics:
    """The metrics of one service process, on a registry of its own (no global default registry)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        labels = {"service": service}
        self.messages_in = Counter(
            "tradewind_messages_in", "Messages handled, by topic kind", ["kind"], registry=self.registry
        )
        self.messages_out = Counter(
            "tradewind_messages_out",
            "Messages published and confirmed, by topic kind",
            ["kind"],
            registry=self.registry,
        )
        self.errors = Counter("tradewind_errors", "Failures, by where they happened", ["where"], registry=self.registry)
        self.orders = Counter(
            "tradewind_orders", "Order operations handled, by resulting status", ["status"], registry=self.registry
        )
        self.queue_lag = Gauge(
            "tradewind_queue_lag_messages", "Messages ready in the service's queue", ["queue"], registry=self.registry
        )
        self.md_resyncs = Counter(
            "tradewind_md_resyncs",
            "Market-data books dropped and resynchronised from a fresh snapshot (gap, disconnect, stream error)",
            ["exchange", "category", "symbol"],
            registry=self.registry,
        )
        self.stale_books = Counter(
            "tradewind_spread_stale_books",
            "Spread evaluations skipped because a leg's book was older than spread.max_book_age_ms",
            ["exchange", "category", "symbol"],
            registry=self.registry,
        )
        self.up = Gauge("tradewind_service_up", "1 while the service runs", list(labels), registry=self.registry)
        self.up.labels(**labels).set(0)

    def count_error(self, where: str, times: int = 1) -> None:
        self.errors.labels(where).inc(times)

    def count_resync(self, exchange: str, category: str, symbol: str) -> None:
        self.md_resyncs.labels(exchange, category, symbol).inc()

    def count_stale_book(self, exchange: str, category: str, symbol: str) -> None:
        self.stale_books.labels(exchange, category, symbol).inc()

    def set_queue_lag(self, queue: str, depth: int) -> None:
        self.queue_lag.labels(queue).set(depth)

    def set_up(self, up: bool) -> None:
        self.up.labels(self.service).set(1 if up else 0)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def sent(self) -> dict[str, int]:
        """Messages published so far, by topic kind (the figure a test or a shutdown log reads)."""
        return _by_label(self.messages_out, "kind")

    def received(self) -> dict[str, int]:
        return _by_label(self.messages_in, "kind")


def _by_label(counter: Counter, label: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for metric in counter.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                counts[sample.labels[label]] = int(sample.value)
    return counts
