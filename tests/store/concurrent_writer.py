"""Writer process: `python -m tests.store.concurrent_writer URL ROOM NAME N K`.

Connects its own Store, prints "ready", waits for a line on stdin, then sends at once N messages
of its own (sender NAME) and K messages from the shared sender "alice" (client ids shared-0…K-1,
which every writer process sends: a retry racing across processes). Prints one JSON line per
outcome: the stored record's seq, id, sender, client id, and whether this call created it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from glimpse.store import NewMessage, Store, open_store

SHARED_SENDER = "alice"


async def send(store: Store, room_id: str, sender: str, client_id: str) -> str:
    record, created = await store.append_message(
        NewMessage(room_id, sender, sender.title(), client_id, f"{sender}: {client_id}",
                   datetime.now(UTC))
    )  # fmt: skip
    return json.dumps(
        {"seq": record.seq, "id": record.id, "sender": record.sender_id,
         "client_id": record.client_id, "created": created}
    )  # fmt: skip


async def main(url: str, room_id: str, name: str, own: int, shared: int) -> None:
    store = open_store(url, pool_size=4)
    await store.connect()
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        outcomes = await asyncio.gather(
            *(send(store, room_id, name, f"{name}-{i}") for i in range(own)),
            *(send(store, room_id, SHARED_SENDER, f"shared-{i}") for i in range(shared)),
        )
        print("\n".join(outcomes), flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    url, room_id, name, own, shared = sys.argv[1:]
    asyncio.run(main(url, room_id, name, int(own), int(shared)))
