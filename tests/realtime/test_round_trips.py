"""Database round trips on the WebSocket's busiest path, counted on PostgreSQL by the store's own
timing (`glimpse_store_call_seconds`, one call each): every meeting's joins and reconnects pay
them. Each of these calls is one statement on PostgreSQL and SQLite."""

from __future__ import annotations

from collections import Counter

from tests.conftest import ServerFactory
from tests.observability.scrape import Samples, scrape

CALLS = "glimpse_store_call_seconds_count"


def store_calls(samples: Samples) -> Counter[str]:
    return Counter(
        {
            dict(labels)["method"]: int(count)
            for (name, labels), count in samples.items()
            if name == CALLS
        }
    )


async def test_authenticating_and_joining_take_six_round_trips(
    start_server: ServerFactory, postgres_database: str
) -> None:
    server = await start_server(database_url=postgres_database)
    ann, bob = await server.register("Ann"), await server.register("Bob")
    room = await server.create_room(ann)
    host = await server.connect(ann)
    await host.join(room["code"])
    await host.chat("before Bob")

    before = store_calls(await scrape(server))
    bob_socket = await server.connect(bob)
    authenticated = store_calls(await scrape(server))
    joined = await bob_socket.join(room["code"])
    after = store_calls(await scrape(server))

    assert authenticated - before == Counter({"session_user": 1})
    assert after - authenticated == Counter(
        {
            "session_revoked": 1,  # again: it may have ended since `auth`
            "get_room_by_code": 1,  # a code is looked up as one only
            "member_role": 1,
            "record_join": 1,
            "list_messages": 1,
        }
    )
    assert [message["text"] for message in joined["messages"]] == ["before Bob"]
    assert (await host.expect("participant-joined"))["participant"]["display_name"] == "Bob"
