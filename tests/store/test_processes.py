"""Several OS processes, each with its own connection, writing to one room at the same moment."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from glimpse.store import Store
from tests.store.conftest import StoreFactory
from tests.store.test_contract import add_room, add_user

PROCESSES = 4
OWN_MESSAGES = 25
SHARED_MESSAGES = 10
REPOSITORY = Path(__file__).resolve().parents[2]


async def start_writer(url: str, room_id: str, name: str) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.store.concurrent_writer",
        url, room_id, name, str(OWN_MESSAGES), str(SHARED_MESSAGES),
        cwd=REPOSITORY, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert await process.stdout.readline() == b"ready\n"
    return process


async def finish(process: asyncio.subprocess.Process) -> list[dict[str, Any]]:
    output, _ = await process.communicate()
    assert process.returncode == 0
    return [json.loads(line) for line in output.decode().splitlines()]


async def test_writer_processes_share_one_gap_free_sequence(
    store_url: str, connect_store: StoreFactory
) -> None:
    store: Store = await connect_store()
    room = await add_room(store, await add_user(store))
    writers = await asyncio.gather(
        *(start_writer(store_url, room.id, f"p{n}") for n in range(PROCESSES))
    )

    for writer in writers:  # every process is connected and waiting: let them all go
        assert writer.stdin is not None
        writer.stdin.write(b"go\n")
    outcomes = [o for result in await asyncio.gather(*map(finish, writers)) for o in result]

    total = PROCESSES * OWN_MESSAGES + SHARED_MESSAGES
    stored = await store.messages_after(room.id, 0, total + 10)
    assert [record.seq for record in stored] == list(range(1, total + 1))
    assert Counter((r.sender_id, r.client_id) for r in stored).most_common(1)[0][1] == 1
    created = sorted((o["seq"], o["id"]) for o in outcomes if o["created"])
    assert created == [(record.seq, record.id) for record in stored]
    for i in range(SHARED_MESSAGES):
        answers = {(o["seq"], o["id"]) for o in outcomes if o["client_id"] == f"shared-{i}"}
        assert len(answers) == 1
