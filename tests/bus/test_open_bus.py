"""The bus URL picks the backend; a missing driver says which extra installs it."""

from __future__ import annotations

import sys

import pytest

from glimpse.bus import open_bus
from glimpse.bus.memory import MemoryBus
from glimpse.bus.redis import RedisBus

TIMING = {"presence_ttl": 10.0, "heartbeat_interval": 3.0}


def test_the_url_scheme_picks_the_bus() -> None:
    assert isinstance(open_bus("memory://", **TIMING), MemoryBus)
    for url in ("redis://127.0.0.1:6379/0", "rediss://cache.example.org:6380/1"):
        assert isinstance(open_bus(url, **TIMING), RedisBus)


def test_unknown_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported bus URL scheme 'kafka'"):
        open_bus("kafka://broker:9092", **TIMING)


def test_a_missing_redis_driver_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # makes `import redis` fail
    monkeypatch.delitem(sys.modules, "glimpse.bus.redis")

    with pytest.raises(ModuleNotFoundError, match=r"pip install 'glimpse\[redis\]'"):
        open_bus("redis://127.0.0.1:6379/0", **TIMING)
