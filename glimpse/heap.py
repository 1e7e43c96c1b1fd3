"""How the server uses Python's cyclic garbage collector: no long pauses of the event loop.

Left alone, the collector walks every object it tracks now and then, and with thousands of
connections (about 80 objects each) a full collection held the loop for 100-300 ms at 5,000
connections. Worse, its young collections grew long too: it counts allocations minus
deallocations, and each message a connection handles replaces a dozen objects (the futures and
coroutines its loop waits on) by as many new ones, so the count hardly moves while tens of
thousands of new objects pile up between collections.

So here every object is walked once, young: a young collection runs every YOUNG_INTERVAL,
and what survives any collection is frozen (`gc.freeze`, constant time), out of the collector's
sight. Its pauses then stay near a millisecond whatever the number of connections.

Frozen objects are still freed by reference counting, but a reference cycle among them would
not be: the objects of a connection are built to leave none when it closes (see
`WebSocketConnection._break_cycles`). Should cycles build up anyway, memory grows, and when the
process's peak memory has doubled since the last full collection, one runs: a long pause, but at
most once per doubling, so what such garbage holds stays bounded.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import resource
import time
from typing import Final

log = logging.getLogger(__name__)

YOUNG_INTERVAL: Final = 0.05
"""Seconds between young collections (at 5,000 connections under load, ~2,500 new objects)."""
GROWTH_CHECK_INTERVAL: Final = 5.0
GROWTH_BEFORE_FULL_COLLECTION: Final = 2.0


def _peak_memory_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


class FrozenHeap:
    """The collector as described above, for the life of one server (`start`, `watch`, `stop`)."""

    def __init__(self, growth: float = GROWTH_BEFORE_FULL_COLLECTION) -> None:
        self._growth = growth
        """How many times the peak memory of the last full collection triggers the next."""
        self._peak_at_full_collection = 0

    def start(self) -> None:
        """Collect and freeze what start-up built (modules, the app), then every survivor."""
        gc.collect()
        gc.freeze()
        self._peak_at_full_collection = _peak_memory_kib()
        gc.callbacks.append(self._after_collection)

    def stop(self) -> None:
        gc.callbacks.remove(self._after_collection)
        gc.unfreeze()

    def _after_collection(self, phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            gc.freeze()

    def collect_if_grown(self) -> bool:
        """A full collection if peak memory has doubled since the last; whether one ran."""
        peak = _peak_memory_kib()
        if peak <= self._growth * self._peak_at_full_collection:
            return False
        started = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        self._peak_at_full_collection = peak
        log.info(
            "full garbage collection (peak memory %d MiB): %d unreachable objects, %.0f ms",
            peak // 1024, found, (time.perf_counter() - started) * 1000,
        )  # fmt: skip
        return True

    async def watch(self) -> None:
        """Forever: a young collection every YOUNG_INTERVAL, `collect_if_grown` now and then."""
        loop = asyncio.get_running_loop()
        next_check = loop.time() + GROWTH_CHECK_INTERVAL
        while True:
            await asyncio.sleep(YOUNG_INTERVAL)
            gc.collect(0)
            if loop.time() >= next_check:
                next_check = loop.time() + GROWTH_CHECK_INTERVAL
                self.collect_if_grown()
