"""Documents MongoDB stored before room settings, member roles and guest senders read with the
defaults: no migration rewrites them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from glimpse.store import Store, open_store
from tests.store.earlier_data import T0, check_read_with_defaults

T0_MICROS = int(T0.timestamp()) * 1_000_000 + T0.microsecond
EARLIER_DOCUMENTS: dict[str, list[dict[str, Any]]] = {
    "users": [
        {"_id": user_id, "email": f"{name.lower()}@example.org", "email_key":
         f"{name.lower()}@example.org", "display_name": name, "password_hash": "hash",
         "created_at": T0_MICROS}
        for user_id, name in (("u1", "Ann"), ("u2", "Bob"))
    ],
    "rooms": [{"_id": "r1", "code": "code1", "name": "Standup", "owner_id": "u1",
               "password_hash": None, "created_at": T0_MICROS}],
    "memberships": [{"room_id": "r1", "user_id": "u2", "last_joined_at": T0_MICROS}],
    "messages": [{"_id": "m1", "room_id": "r1", "seq": 1, "sender_id": "u2", "sender_name": "Bob",
                  "client_id": "c1", "text": "hi", "created_at": T0_MICROS}],
}  # fmt: skip
"""The same data as earlier_data.SQL_ROWS, as the MongoDB store wrote it then."""


@pytest.fixture
async def mongo_store(mongodb_url: str) -> AsyncIterator[Store]:
    """A store on a database of this test's own, holding the earlier documents."""
    url = mongodb_url.rsplit("/", 1)[0] + "/glimpse_earlier"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        await client.drop_database("glimpse_earlier")
        for collection, documents in EARLIER_DOCUMENTS.items():
            await client.get_default_database()[collection].insert_many(documents)
        store = open_store(url)
        await store.connect()
        yield store
        await store.close()
    finally:
        await client.drop_database("glimpse_earlier")
        await client.close()


async def test_earlier_documents_read_with_the_defaults(mongo_store: Store) -> None:
    await check_read_with_defaults(mongo_store)
