"""The Prometheus metrics of one server instance, served at /metrics (api/routes/metrics.py).

Each app has a registry of its own, so several servers in one process never share a series; the
instance is the scrape target. Counts taken on the hot path (messages in and out, refusals) are
plain `collections.Counter` tallies, and what the hub and the bus know (rooms, participants, bus
failures and lag) is read from them, both at scrape time by `_LiveCollector`.

Two measures say how long the event loop stood still, which every client waits on top: the
lateness of a timer due every LOOP_LAG_INTERVAL (any cause, a lower bound of a stall's length),
and the exact length of each pause of Python's cyclic garbage collector (`gc.callbacks`).
"""

from __future__ import annotations

import asyncio
import collections
import gc
import time
from collections.abc import Iterable
from typing import Final, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from glimpse.bus import Bus

LOOP_LAG_INTERVAL: Final = 0.1
"""How often (s) the event-loop lag is sampled."""
STALL_BUCKETS: Final = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip
"""Seconds; 0.01 is the goal for the longest stall (README, "Performance")."""


class Metrics:
    """Every metric object of one instance; the sessions, connections and lifespan update them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # memory, CPU, open file descriptors
        GCCollector(registry=self.registry)
        registry = self.registry
        self.messages_in: collections.Counter[str] = collections.Counter()
        """Client messages by type."""
        self.messages_out: collections.Counter[str] = collections.Counter()
        """Messages a session sends its own client, by type (room events are the hub's `sent`)."""
        self.refusals: collections.Counter[str] = collections.Counter()
        """`error` messages sent to clients, by code."""
        self.connections = Gauge(
            "glimpse_websocket_connections", "WebSocket connections open", registry=registry
        )
        self.authenticated = Gauge(
            "glimpse_websocket_connections_authenticated",
            "WebSocket connections open and authenticated",
            registry=registry,
        )
        self.connections_opened = Counter(
            "glimpse_websocket_connections_opened",
            "WebSocket handshakes accepted",
            registry=registry,
        )
        self.stalled_dropped = Counter(
            "glimpse_stalled_clients_dropped",
            "Clients disconnected because they stopped reading (GLIMPSE_SEND_BUFFER_BYTES)",
            registry=registry,
        )
        self.loop_lag = Histogram(
            "glimpse_event_loop_lag_seconds",
            f"How late the event loop ran a timer due every {LOOP_LAG_INTERVAL} s",
            buckets=STALL_BUCKETS,
            registry=registry,
        )
        self.gc_pauses = Histogram(
            "glimpse_gc_pause_seconds",
            "How long each collection of Python's cyclic garbage collector held the process",
            ["generation"],
            buckets=STALL_BUCKETS,
            registry=registry,
        )
        self._gc_started = 0.0
        self.store_seconds = Histogram(
            "glimpse_store_call_seconds",
            "Database calls by store method",
            ["method"],
            registry=registry,
        )
        self._instance = Info("glimpse_instance", "This server instance", registry=registry)

    def watch(self, hub: WatchedHub) -> None:
        """Report the hub's rooms, participants and deliveries, and its bus, at each scrape."""
        self._instance.info({"bus_instance": hub.bus.instance_id})
        self.registry.register(_LiveCollector(self, hub))

    async def watch_event_loop(self) -> None:
        """Forever: sleep, and record how much later than asked the loop woke this task.

        The lateness is the time other work held the loop: what every client waits on top.
        """
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(LOOP_LAG_INTERVAL)
            self.loop_lag.observe(max(0.0, loop.time() - start - LOOP_LAG_INTERVAL))

    def watch_garbage_collector(self) -> None:
        """Time every collection from now on, until `unwatch_garbage_collector`."""
        gc.callbacks.append(self._on_collection)

    def unwatch_garbage_collector(self) -> None:
        gc.callbacks.remove(self._on_collection)

    def _on_collection(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            pause = time.perf_counter() - self._gc_started
            self.gc_pauses.labels(str(info["generation"])).observe(pause)


class WatchedHub(Protocol):
    """What the metrics read of the hub (glimpse/realtime/hub.py) at each scrape."""

    @property
    def bus(self) -> Bus: ...

    @property
    def sent(self) -> collections.Counter[str]:
        """Room events sent, by type, each counted once."""

    @property
    def publish_failures(self) -> int: ...

    def census(self) -> tuple[int, int]:
        """Rooms and participants on this instance."""


class _LiveCollector(Collector):
    """The tallies, and the state of the hub and the bus, as they are at scrape time."""

    def __init__(self, metrics: Metrics, hub: WatchedHub) -> None:
        self._metrics = metrics
        self._hub = hub

    def collect(self) -> Iterable[Metric]:
        metrics, hub = self._metrics, self._hub
        yield _tally(
            "glimpse_messages_in", "Client messages received, by type", "type", metrics.messages_in
        )
        yield _tally(
            "glimpse_messages_out",
            "Messages sent to clients, by type; a room event counts once, however many receive it",
            "type",
            metrics.messages_out + hub.sent,
        )
        yield _tally(
            "glimpse_refusals", "Errors sent to clients, by code", "code", metrics.refusals
        )
        rooms, participants = hub.census()
        yield GaugeMetricFamily("glimpse_rooms", "Rooms with participants here", value=rooms)
        yield GaugeMetricFamily(
            "glimpse_participants", "Participants connected here", value=participants
        )
        yield CounterMetricFamily(
            "glimpse_bus_publish_failures",
            "Room events the bus could not carry to the other instances",
            value=hub.publish_failures,
        )
        if hub.bus.echo_lag is not None:
            yield GaugeMetricFamily(
                "glimpse_bus_lag_seconds",
                "Time the last heartbeat took through the bus and back to this instance",
                value=hub.bus.echo_lag,
            )


def _tally(
    name: str, documentation: str, label: str, tally: collections.Counter[str]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=[label])
    for value, count in sorted(tally.items()):
        family.add_metric([value], count)
    return family
