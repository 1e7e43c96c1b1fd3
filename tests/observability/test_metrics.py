"""/metrics: refused to anyone but the configured scrapers; values that move with real traffic."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest

from glimpse.bus import BusUnavailable
from glimpse.bus.memory import MemoryBus
from glimpse.observability.metrics import Metrics
from glimpse.realtime import protocol
from glimpse.realtime.hub import Hub
from tests.conftest import RedisServer, RunningServer, ServerFactory
from tests.observability.scrape import parse, scrape, scrape_until, value

TOKEN = "t" * 40


@pytest.mark.parametrize("allow", ["10.0.0.0/8, 192.168.1.7", ""])
async def test_metrics_are_refused_to_addresses_not_allowed(
    start_server: ServerFactory, allow: str
) -> None:
    server = await start_server(metrics_allow=allow)
    response = await server.http.get("/metrics")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "metrics_forbidden"


async def test_metrics_need_the_bearer_token_when_one_is_set(start_server: ServerFactory) -> None:
    server = await start_server(metrics_token=TOKEN)
    for headers in ({}, {"Authorization": "Bearer " + "x" * 40}, {"Authorization": TOKEN}):
        response = await server.http.get("/metrics", headers=headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "metrics_forbidden"
    samples = await scrape(server, {"Authorization": f"Bearer {TOKEN}"})
    assert value(samples, "glimpse_websocket_connections") == 0


async def test_metrics_move_with_real_traffic(server: RunningServer) -> None:
    before = await scrape(server)
    assert value(before, "glimpse_websocket_connections") == 0
    assert value(before, "glimpse_rooms") == 0

    a, b, room = await server.ann_and_bob_in_a_room()
    await a.chat("hello")
    await b.expect("chat")
    await a.send_raw("{not json")
    assert (await a.expect("error"))["code"] == "bad_json"
    await a.send({"type": "signal", "to": "nobody", "kind": "candidate"})
    assert (await a.expect("error"))["code"] == "unknown_participant"

    samples = await scrape(server)
    assert value(samples, "glimpse_websocket_connections") == 2
    assert value(samples, "glimpse_websocket_connections_authenticated") == 2
    assert value(samples, "glimpse_websocket_connections_opened_total") == 2
    assert value(samples, "glimpse_rooms") == 1
    assert value(samples, "glimpse_participants") == 2
    assert value(samples, "glimpse_messages_in_total", type="auth") == 2
    assert value(samples, "glimpse_messages_in_total", type="join") == 2
    assert value(samples, "glimpse_messages_in_total", type="chat") == 1
    assert value(samples, "glimpse_messages_out_total", type="chat") == 1  # once, to Bob
    assert value(samples, "glimpse_messages_out_total", type="joined") == 2
    assert value(samples, "glimpse_messages_out_total", type="participant-joined") == 1
    assert value(samples, "glimpse_messages_out_total", type="ack") == 1
    assert value(samples, "glimpse_messages_out_total", type="error") == 2
    assert value(samples, "glimpse_refusals_total", code="bad_json") == 1
    assert value(samples, "glimpse_refusals_total", code="unknown_participant") == 1
    stored = value(samples, "glimpse_store_call_seconds_count", method="append_message")
    assert stored == 1
    assert value(samples, "glimpse_bus_publish_failures_total") == 0
    info = [key for key in samples if key[0] == "glimpse_instance_info"]
    assert len(info) == 1 and dict(info[0][1])["bus_instance"]
    assert value(samples, "process_open_fds")

    await a.close()
    await b.expect("participant-left")
    samples = await scrape_until(
        server, lambda samples: value(samples, "glimpse_websocket_connections") == 1
    )
    assert value(samples, "glimpse_websocket_connections_authenticated") == 1
    assert value(samples, "glimpse_participants") == 1
    assert value(samples, "glimpse_messages_out_total", type="participant-left") == 1
    del room


async def test_event_loop_lag_is_sampled(server: RunningServer) -> None:
    samples = await scrape_until(
        server, lambda samples: bool(value(samples, "glimpse_event_loop_lag_seconds_count"))
    )
    assert value(samples, "glimpse_event_loop_lag_seconds_sum") is not None


async def test_bus_lag_is_measured_through_redis(
    start_server: ServerFactory, redis_server: RedisServer
) -> None:
    server = await start_server(
        bus_url=redis_server.url, bus_heartbeat_interval=0.2, bus_presence_ttl=2
    )
    samples = await scrape_until(
        server, lambda samples: value(samples, "glimpse_bus_lag_seconds") is not None
    )
    lag = value(samples, "glimpse_bus_lag_seconds")
    assert lag is not None and lag > 0


async def test_events_the_bus_could_not_carry_are_counted() -> None:
    class DownBus(MemoryBus):
        async def publish(self, room_id: str, payload: bytes) -> None:
            raise BusUnavailable("down")

    hub = Hub(DownBus(), max_participants=10)
    metrics = Metrics()
    metrics.watch(hub)
    await hub.start()
    participant = protocol.Participant(
        id="p", user_id="u", display_name="U", media=protocol.MediaState()
    )
    with pytest.raises(BusUnavailable):
        await hub.join("room", participant, member=_Silent())
    await hub.stop()
    samples = parse(generate_latest(metrics.registry).decode())
    assert value(samples, "glimpse_bus_publish_failures_total") == 2  # joined, then left
    assert value(samples, "glimpse_participants") == 0


class _Silent:
    def deliver(self, frame: bytes) -> None:
        pass

    def close(self, code: int, reason: str) -> None:
        pass
