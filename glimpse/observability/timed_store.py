"""A Store that times every call into a histogram by method name, whatever the backend."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

from prometheus_client import Histogram

from glimpse.store import Store

StoreCall = Callable[..., Awaitable[Any]]


def timed_store(store: Store, seconds: Histogram) -> Store:
    """`store`, with the duration of each call of the Store interface observed in `seconds`."""
    return cast(Store, _TimedStore(store, seconds))


class _TimedStore:
    """Wraps each method of the Store interface; anything else is the backend's own."""

    def __init__(self, store: Store, seconds: Histogram) -> None:
        self._store = store
        for name in Store.__abstractmethods__:
            setattr(self, name, _timed(getattr(store, name), seconds.labels(name)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _timed(call: StoreCall, seconds: Histogram) -> StoreCall:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await call(*args, **kwargs)
        finally:
            seconds.observe(time.perf_counter() - start)

    return timed
