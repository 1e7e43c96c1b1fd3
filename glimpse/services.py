"""The server's services, built once at start-up and shared by the HTTP API and the sessions."""

from __future__ import annotations

from dataclasses import dataclass

from glimpse.auth.service import AuthService
from glimpse.edge.limits import ConnectionLimits
from glimpse.limits import Limiter
from glimpse.observability.metrics import Metrics
from glimpse.realtime.chat import ChatHandler
from glimpse.realtime.heartbeat import Heartbeat
from glimpse.realtime.hub import Hub, Rooms
from glimpse.realtime.meeting import MeetingHandler
from glimpse.realtime.registry import ConnectionRegistry
from glimpse.settings import Settings
from glimpse.sfu.service import Sfu
from glimpse.store import Store


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    auth: AuthService
    rooms: Rooms
    store: Store
    hub: Hub
    chat: ChatHandler
    meeting: MeetingHandler
    limiter: Limiter
    metrics: Metrics
    connections: ConnectionRegistry
    connection_limits: ConnectionLimits
    heartbeat: Heartbeat
    sfu: Sfu
