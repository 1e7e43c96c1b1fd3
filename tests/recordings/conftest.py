"""A real Janus (tests/janus.py) and Glimpse servers on it (tests/sfu/conftest.py) for the
recording tests, and a store to record into."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from glimpse.store import Store, open_store
from tests.sfu.conftest import janus, start_sfu_server  # noqa: F401 (fixtures)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'glimpse.db'}")
    await store.connect()
    yield store
    await store.close()
