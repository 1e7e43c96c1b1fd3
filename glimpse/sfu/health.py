"""Which Janus the deployment may place rooms on: each instance reports on the bus the Janus it
cannot reach, and a Janus that any living instance reports is left out.

Any room may get participants on any instance, and each participant's connections to Janus go
through its own instance's session, so a room belongs on a Janus that every instance reaches: one
instance that cannot is enough to leave it out (a majority would place rooms that some
participants could not use). A report is this instance's share of the bus's counters
`janus-unreachable` (`Bus.add_to_counter`), so it lasts as long as the instance: the report of an
instance that died stops counting once the bus takes it for dead (`GLIMPSE_BUS_PRESENCE_TTL`). On
the memory bus (one instance) this is the instance's own view.
"""

from __future__ import annotations

from typing import Final

from glimpse.bus import Bus

UNREACHABLE: Final = "janus-unreachable"
"""The bus's counters of instances that cannot reach each Janus (by URL)."""


class JanusHealth:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._unreachable: set[str] = set()
        """The Janus this instance reports."""

    async def report(self, url: str, *, reachable: bool) -> None:
        """This instance's view of that Janus now; a change goes to the bus."""
        if reachable != (url in self._unreachable):
            return
        if reachable:
            self._unreachable.discard(url)
        else:
            self._unreachable.add(url)
        await self._bus.add_to_counter(UNREACHABLE, url, -1 if reachable else 1)

    async def unreachable(self) -> set[str]:
        """The Janus that some living instance (this one included) cannot reach."""
        return set(await self._bus.counters(UNREACHABLE))
