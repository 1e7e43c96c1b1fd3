"""The registry of Janus instances: health from the session to each (reported on the bus), and
a lost Janus used again once it is back."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from glimpse.bus.memory import MemoryBus
from glimpse.sfu.health import UNREACHABLE
from glimpse.sfu.janus import Probing
from glimpse.sfu.registry import JanusRegistry, MediaServerUnavailable
from tests.conftest import wait_until
from tests.janus import Janus, running_janus

pytestmark = pytest.mark.timeout(60)


async def test_a_lost_janus_is_reported_and_used_again_once_back(
    janus: Janus, tmp_path: Path
) -> None:
    lost: list[str] = []
    bus = MemoryBus()
    probing = Probing(interval=0.5, timeout=0.25, misses=2)
    registry = JanusRegistry([janus.url], janus.api_secret, bus, probing=probing)
    registry.on_loss(lost.append)
    await registry.start()
    try:
        assert registry.reachable() == [janus.url]
        assert await registry.place() == janus.url
        assert await bus.counters(UNREACHABLE) == {}

        janus.kill()
        await wait_until(lambda: asyncio.sleep(0, bool(lost)), 5, "the loss was not reported")
        assert lost == [janus.url] and registry.reachable() == []
        assert await bus.counters(UNREACHABLE) == {janus.url: 1}  # this instance's report
        with pytest.raises(MediaServerUnavailable):
            await registry.place()

        port = urlsplit(janus.url).port
        with running_janus(tmp_path, secrets_of=janus, port=port):  # restarted
            await wait_until(
                lambda: asyncio.sleep(0, registry.reachable() == [janus.url]), 15, "not back"
            )
            assert await registry.place() == janus.url
            assert await bus.counters(UNREACHABLE) == {}
    finally:
        await registry.stop()
