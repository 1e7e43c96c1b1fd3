"""The Janus instances rooms are placed on: one session to each (kept open, reopened with backoff
when it dies), and the placement of a new room by their health and their load.

This instance reaches a Janus while its session to it is open and answers its probes
(`Probing`); what it reaches and what it does not goes to the deployment's view of health
(`health.py`). Load is shared by every Glimpse instance through the bus (Redis when there are
several): the participants each Janus carries, counted by each instance for its own
participants, so the share of an instance that dies (even `kill -9`) stops counting once the bus
takes it for dead. A room goes to the Janus with the least load among those this instance reaches
and no living instance reports unreachable; listeners hear when this instance loses a Janus, so
the rooms it serves there move.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from typing import Final

from glimpse.bus import Bus
from glimpse.errors import Unavailable
from glimpse.sfu.health import JanusHealth
from glimpse.sfu.janus import REQUEST_TIMEOUT, JanusError, JanusHandle, JanusSession, Probing

log = logging.getLogger(__name__)

VIDEOROOM: Final = "janus.plugin.videoroom"
LOAD: Final = "janus-load"
"""The bus's counters of participants placed on each Janus (by URL): the sum of the living
instances' shares (`Bus.add_to_counter`)."""
RECONNECT_DELAYS: Final = (0.2, 5.0)
"""First and longest wait before reconnecting to a Janus; doubled after each failure (jitter)."""


class MediaServerUnavailable(Unavailable):
    code = "media_server_unavailable"


JanusListener = Callable[[str], None]
"""Called with the URL of a Janus: one whose session died, or one reached (again)."""


class JanusRegistry:
    def __init__(
        self,
        urls: list[str],
        api_secret: str,
        bus: Bus,
        *,
        probing: Probing,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.urls = urls
        self._api_secret = api_secret
        self._bus = bus
        self._health = JanusHealth(bus)
        self._probing = probing
        self._request_timeout = request_timeout
        self._sessions: dict[str, JanusSession] = {}
        self._control: dict[str, JanusHandle] = {}
        self._loss_listeners: list[JanusListener] = []
        self._reach_listeners: list[JanusListener] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._first_try: dict[str, asyncio.Event] = {url: asyncio.Event() for url in urls}

    def on_loss(self, listener: JanusListener) -> None:
        self._loss_listeners.append(listener)

    def on_reach(self, listener: JanusListener) -> None:
        """`listener` hears each time a session to a Janus opens (first, or after a loss)."""
        self._reach_listeners.append(listener)

    async def start(self) -> None:
        """Connect to every Janus (in the background from now on); returns once each has been
        tried once."""
        for url in self.urls:
            self._tasks.append(asyncio.create_task(self._maintain(url), name=f"janus {url}"))
        await asyncio.gather(*(event.wait() for event in self._first_try.values()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for session in list(self._sessions.values()):
            await session.close()
        self._sessions.clear()
        self._control.clear()

    def reachable(self) -> list[str]:
        """The Janus this instance has a live session to."""
        return [url for url, session in self._sessions.items() if session.alive]

    def session(self, url: str) -> JanusSession:
        session = self._sessions.get(url)
        if session is None or not session.alive:
            raise MediaServerUnavailable("the room's media server cannot be reached")
        return session

    def control(self, url: str) -> JanusHandle:
        """This instance's videoroom handle on that Janus, for creating and destroying rooms."""
        self.session(url)
        return self._control[url]

    async def place(self) -> str:
        """The Janus with the least load (ties broken at random) of those this instance reaches
        and no living instance reports unreachable."""
        unreachable = await self._health.unreachable()
        usable = [url for url in self.reachable() if url not in unreachable]
        if not usable:
            raise MediaServerUnavailable("no media server can be reached by every instance")
        loads = await self._bus.counters(LOAD)
        random.shuffle(usable)
        return min(usable, key=lambda url: loads.get(url, 0))

    async def add_load(self, url: str, delta: int) -> None:
        await self._bus.add_to_counter(LOAD, url, delta)

    async def _maintain(self, url: str) -> None:
        delay = RECONNECT_DELAYS[0]
        while True:
            try:
                session = await JanusSession.connect(
                    url,
                    self._api_secret,
                    probing=self._probing,
                    request_timeout=self._request_timeout,
                )
                try:
                    self._control[url] = await session.attach(VIDEOROOM)
                except BaseException:
                    await session.close()
                    raise
            except JanusError as error:
                log.warning("cannot open a session to Janus at %s: %s", url, error)
                await self._health.report(url, reachable=False)
                self._first_try[url].set()
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 (jitter)
                delay = min(delay * 2, RECONNECT_DELAYS[1])
                continue
            delay = RECONNECT_DELAYS[0]
            self._sessions[url] = session
            await self._health.report(url, reachable=True)
            self._first_try[url].set()
            log.info("connected to Janus at %s", url)
            self._tell(self._reach_listeners, url)
            try:
                await session.closed.wait()
            finally:
                self._sessions.pop(url, None)
                self._control.pop(url, None)
                with contextlib.suppress(Exception):
                    await session.close()
            log.warning("lost Janus at %s: %s", url, session.close_reason)
            await self._health.report(url, reachable=False)
            self._tell(self._loss_listeners, url)

    @staticmethod
    def _tell(listeners: list[JanusListener], url: str) -> None:
        for listener in listeners:
            try:
                listener(url)
            except Exception:
                log.exception("a listener of Janus %s failed", url)
