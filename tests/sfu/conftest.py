"""Real Janus processes for the SFU tests (tests/janus.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.janus import Janus, running_janus


@pytest.fixture
def janus(tmp_path: Path) -> Iterator[Janus]:
    with running_janus(tmp_path) as server:
        yield server
