"""Integers from a client are bounded on HTTP: out of range is a 422, not a 500, on every store."""

from __future__ import annotations

import pytest

from tests.conftest import ServerFactory

OUT_OF_RANGE = [str(2**63), str(-(2**63) - 1), "-1", "0", str(10**400)]


@pytest.mark.parametrize("before", OUT_OF_RANGE)
async def test_history_cursor_out_of_range_is_a_422(
    start_server: ServerFactory, store_url: str, before: str
) -> None:
    server = await start_server(database_url=store_url)
    owner = await server.register()
    room = await server.create_room(owner)
    url = f"/api/rooms/{room['id']}/messages"

    response = await server.http.get(url, params={"before": before}, headers=owner.headers)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    largest = await server.http.get(url, params={"before": 2**63 - 1}, headers=owner.headers)
    assert largest.status_code == 200, largest.text
    assert largest.json() == {"messages": [], "next_before": None}


@pytest.mark.parametrize("limit", [str(2**63), "-1"])
async def test_history_limit_out_of_range_is_a_422(start_server: ServerFactory, limit: str) -> None:
    server = await start_server()
    owner = await server.register()
    room = await server.create_room(owner)
    url = f"/api/rooms/{room['id']}/messages"

    response = await server.http.get(url, params={"limit": limit}, headers=owner.headers)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
