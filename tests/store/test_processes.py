"""Several OS processes, each with its own connection, writing to one room at the same moment."""

from __future__ import annotations

import asyncio
import json
import sys
from asyncio.subprocess import PIPE, Process
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from glimpse.store import Store
from tests.store.conftest import StoreFactory
from tests.store.test_contract import add_room, add_user

PROCESSES = 4
OWN_MESSAGES = 25
SHARED_MESSAGES = 10
REPOSITORY = Path(__file__).resolve().parents[2]
WRITERS_TIMEOUT = 120.0
"""A bound on a hung writer, not a timing assertion."""


@asynccontextmanager
async def writer_processes(url: str, room_id: str) -> AsyncIterator[list[Process]]:
    """Writer processes, each connected and waiting for "go"; killed if still running at the end."""
    processes: list[Process] = []
    try:
        for n in range(PROCESSES):
            arguments = [url, room_id, f"p{n}", str(OWN_MESSAGES), str(SHARED_MESSAGES)]
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tests.store.concurrent_writer",
                    *arguments,
                    cwd=REPOSITORY,
                    stdin=PIPE,
                    stdout=PIPE,
                )
            )
        async with asyncio.timeout(WRITERS_TIMEOUT):
            ready = await asyncio.gather(*(p.stdout.readline() for p in processes if p.stdout))
        assert ready == [b"ready\n"] * PROCESSES
        yield processes
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def test_writer_processes_share_one_gap_free_sequence(
    store_url: str, connect_store: StoreFactory
) -> None:
    store: Store = await connect_store()
    room = await add_room(store, await add_user(store))

    async with writer_processes(store_url, room.id) as writers:
        async with asyncio.timeout(WRITERS_TIMEOUT):
            outputs = await asyncio.gather(*(writer.communicate(b"go\n") for writer in writers))
    assert [writer.returncode for writer in writers] == [0] * PROCESSES
    outcomes = [json.loads(line) for output, _ in outputs for line in output.splitlines()]

    total = PROCESSES * OWN_MESSAGES + SHARED_MESSAGES
    stored = await store.messages_after(room.id, 0, total + 10)
    assert [record.seq for record in stored] == list(range(1, total + 1))
    assert Counter((r.sender_id, r.client_id) for r in stored).most_common(1)[0][1] == 1
    created = sorted((o["seq"], o["id"]) for o in outcomes if o["created"])
    assert created == [(record.seq, record.id) for record in stored]
    for i in range(SHARED_MESSAGES):
        answers = {(o["seq"], o["id"]) for o in outcomes if o["client_id"] == f"shared-{i}"}
        assert len(answers) == 1
