"""Prometheus metrics (prometheus-client): one Metrics object per process, on its own registry,
with the client's process, platform and garbage-collector collectors beside trendbot's own."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)


class Metrics:
    """Counters and histograms the core updates; `/metrics` serves `render()`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # memory, CPU, open files, start time (from /proc), the Python version, GC passes
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.refreshes = Counter(
            "trendbot_refreshes",
            "Chart source refreshes by outcome (changed, unchanged, rejected, unavailable).",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.alerts_queued = Counter(
            "trendbot_alerts_queued", "Alerts written to the outbox.", ["platform"],
            registry=self.registry,
        )  # fmt: skip
        self.alerts_sent = Counter(
            "trendbot_alerts_sent", "Alerts delivered.", ["platform"], registry=self.registry
        )
        self.messages_sent = Counter(
            "trendbot_alert_messages_sent",
            "Messages posted for alerts (a week's alerts to one channel share one where possible).",
            ["platform"],
            registry=self.registry,
        )
        self.alerts_failed = Counter(
            "trendbot_alerts_failed", "Alerts given up on.", ["platform"], registry=self.registry
        )
        self.send_errors = Counter(
            "trendbot_send_errors",
            "Failed send attempts by platform and kind (rate_limited, transient, channel).",
            ["platform", "kind"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "trendbot_command_seconds",
            "Time to answer a chat command.",
            ["command"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10),
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "trendbot_outbox_pending", "Alerts waiting for delivery.", registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def value(self, name: str, **labels: str) -> float:
        """A current sample value (tests and /healthz read it); 0 when never set."""
        found = self.registry.get_sample_value(name, labels)
        return found or 0.0
