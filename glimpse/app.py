"""The application: HTTP API under /api and the web client at /.

Under `glimpse serve`, the WebSocket server at /ws is not an ASGI route: uvicorn hands upgrades to
glimpse/realtime/connection.py, which finds the services in the lifespan's state. Run as a plain
ASGI app (`uvicorn glimpse.app:create_app --factory`), /ws is the route of
glimpse/realtime/asgi_link.py, on the same Session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from glimpse.api.routes import auth, guests, health, ice, metrics, recordings, rooms, users
from glimpse.api.schemas import ErrorBody, ErrorDetail
from glimpse.auth.guests import GuestTokens
from glimpse.auth.passwords import PasswordHashing
from glimpse.auth.service import AuthService
from glimpse.auth.signup import SignupPolicy
from glimpse.auth.tokens import AccessTokens
from glimpse.bus import open_bus
from glimpse.edge.limits import ConnectionLimits
from glimpse.edge.security_headers import SecurityHeaders
from glimpse.errors import GlimpseError
from glimpse.heap import FrozenHeap
from glimpse.limits import open_limiter
from glimpse.meetings.state import Meetings
from glimpse.meetings.tickets import ResumeTokens, Tickets
from glimpse.observability.log_context import ClientAddressMiddleware
from glimpse.observability.metrics import Metrics
from glimpse.observability.timed_store import timed_store
from glimpse.realtime import connection
from glimpse.realtime.asgi_link import serve_websocket
from glimpse.realtime.chat import ChatHandler
from glimpse.realtime.heartbeat import Heartbeat
from glimpse.realtime.hub import Hub
from glimpse.realtime.meeting import MeetingHandler
from glimpse.realtime.registry import ConnectionRegistry
from glimpse.recordings.control import RecordingControl
from glimpse.recordings.library import RecordingLibrary
from glimpse.recordings.recorder import Recorder
from glimpse.recordings.retention import sweep_every_hour
from glimpse.rooms import RoomService
from glimpse.services import Services
from glimpse.settings import Settings
from glimpse.sfu.janus import Probing
from glimpse.sfu.media_path import MediaPaths
from glimpse.sfu.registry import JanusRegistry
from glimpse.sfu.service import Sfu
from glimpse.store import StoreUnavailable, open_store
from glimpse.web_client import serve_web_client

log = logging.getLogger(__name__)

DEFAULT_WEB_DIR = Path(__file__).resolve().parent.parent / "web" / "dist"
DATABASE_RETRY_AFTER = 5
"""Seconds a client is told to wait when the database is unreachable."""


def _error(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
) -> JSONResponse:
    detail = ErrorDetail(code=code, message=message, fields=fields)
    body = {"error": detail.model_dump(exclude_none=True)}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_problems(error: RequestValidationError) -> dict[str, str]:
    """The first problem with each field: a body field by its own name, others by where they are."""
    fields: dict[str, str] = {}
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        name = ".".join(location[1:] if location[:1] == ["body"] and location[1:] else location)
        message = str(problem["msg"]).removeprefix("Value error, ")
        fields.setdefault(name, message)
    return fields


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GlimpseError)
    async def glimpse_error(_: Request, error: GlimpseError) -> JSONResponse:
        retry = None if error.retry_after is None else {"Retry-After": str(error.retry_after)}
        return _error(error.status, error.code, error.message, retry)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        return _error(422, "validation_error", problems, fields=_field_problems(error))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        return _error(error.status_code, codes.get(error.status_code, "http_error"), error.detail)

    @app.exception_handler(StoreUnavailable)
    async def database_down(_: Request, error: StoreUnavailable) -> JSONResponse:
        log.warning("%s", error)  # one line: an outage, not a bug
        message = "the database cannot be reached right now; try again shortly"
        retry = {"Retry-After": str(DATABASE_RETRY_AFTER)}
        return _error(503, "database_unavailable", message, retry)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=error)
        return _error(500, "internal_error", "the server failed; the error is logged")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Services]]:
        """Open the store and the bus; the services are the state every request and socket sees."""
        connection_limits = ConnectionLimits.from_settings(settings)
        instance_metrics = Metrics()
        store = timed_store(
            open_store(settings.resolved_database_url, pool_size=settings.database_pool_size),
            instance_metrics.store_seconds,
        )
        await store.connect()
        bus = open_bus(
            settings.bus_url,
            presence_ttl=settings.bus_presence_ttl,
            heartbeat_interval=settings.bus_heartbeat_interval,
        )
        limiter = open_limiter(settings.bus_url, settings.signing_secret)
        connections = ConnectionRegistry(bus, settings)
        hub = Hub(bus, settings.max_room_participants)
        instance_metrics.watch(hub)
        loop_lag = asyncio.create_task(instance_metrics.watch_event_loop())
        instance_metrics.watch_garbage_collector()
        heap = FrozenHeap()
        tokens = AccessTokens(
            settings.signing_secret,
            settings.jwt_issuer,
            settings.jwt_audience,
            settings.access_token_ttl,
        )
        passwords = PasswordHashing(
            max_concurrent=settings.password_hash_concurrency,
            max_waiting=settings.password_hash_queue,
            wait=settings.password_hash_wait,
        )
        meetings = Meetings(bus)
        registry = (
            JanusRegistry(
                settings.janus_url_list,
                settings.janus_api_secret.get_secret_value(),
                bus,
                probing=Probing(
                    settings.janus_probe_interval,
                    settings.janus_probe_timeout,
                    settings.janus_probe_misses,
                ),
            )
            if settings.janus_url_list and settings.janus_api_secret
            else None
        )
        if registry is not None:
            await registry.start()
        media_paths = MediaPaths(bus, hub, registry, settings)
        await hub.start()  # once the media paths hear of rooms left by instances found dead
        sfu = Sfu(media_paths, registry, hub, settings)
        tickets = Tickets(settings.admission_ticket_key, settings.admission_ticket_ttl)
        recorder = Recorder(
            store, settings.resolved_recordings_dir, settings.resolved_recording_raw_dir, bus
        )
        recording = RecordingControl(
            recorder, media_paths, registry, hub, meetings, store, settings.bus_presence_ttl
        )
        signup = SignupPolicy(
            settings.signup, settings.signing_secret, settings.jwt_audience, settings.invite_ttl
        )
        rooms = RoomService(
            store,
            passwords,
            limiter,
            hub,
            meetings,
            tickets,
            ResumeTokens(settings.resume_token_key),
            media_paths,
            recording,
            sfu_max_participants=settings.sfu_max_participants,
            reconnect_grace=settings.reconnect_grace,
            join_history=settings.join_history,
            guesses_per_user=settings.room_password_limit_per_user,
            guesses_per_room=settings.room_password_limit_per_room,
            with_password_per_user=settings.room_with_password_limit_per_user,
            member_invites_per_user=settings.member_invite_limit_per_user,
        )
        services = Services(
            settings=settings,
            auth=AuthService(
                store,
                tokens,
                settings.refresh_token_ttl,
                connections.end_sessions,
                passwords=passwords,
                signup=signup,
                guests=GuestTokens(
                    settings.signing_secret,
                    settings.jwt_issuer,
                    settings.jwt_audience,
                    settings.guest_token_ttl,
                ),
            ),
            rooms=rooms,
            store=store,
            hub=hub,
            chat=ChatHandler(store, hub, settings.max_chat_chars),
            meeting=MeetingHandler(hub, meetings, tickets, store, rooms.end_meeting),
            limiter=limiter,
            metrics=instance_metrics,
            connections=connections,
            connection_limits=connection_limits,
            heartbeat=Heartbeat(settings.heartbeat_interval),
            sfu=sfu,
            recorder=recorder,
            recording=recording,
            recordings=RecordingLibrary(
                store, settings.resolved_recordings_dir, settings.download_link_key
            ),
        )
        heap.start()  # last: what start-up built is frozen with the rest
        heap_watch = asyncio.create_task(heap.watch())
        heartbeat = asyncio.create_task(services.heartbeat.run())
        retention = timedelta(days=settings.recording_retention_days)
        recordings_sweep = asyncio.create_task(sweep_every_hour(store, recorder, retention))
        recordings_watch = asyncio.create_task(recording.watch())
        try:
            yield {"services": services}
        finally:
            recordings_sweep.cancel()
            recordings_watch.cancel()
            await recorder.close()
            heartbeat.cancel()
            heap_watch.cancel()
            heap.stop()
            loop_lag.cancel()
            instance_metrics.unwatch_garbage_collector()
            await sfu.stop()
            await media_paths.stop()
            if registry is not None:
                await registry.stop()
            await hub.stop()
            await limiter.close()
            await store.close()

    app = FastAPI(
        title="Glimpse",
        summary="Self-hostable video meetings: accounts, rooms, chat history, WebRTC signaling.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        responses={"default": {"model": ErrorBody, "description": "A typed error"}},
    )
    app.add_middleware(SecurityHeaders)
    _install_error_handlers(app)
    app.add_middleware(ClientAddressMiddleware)
    for module in (auth, users, rooms, recordings, guests, ice):
        app.include_router(module.router, prefix="/api")
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.add_api_websocket_route(connection.PATH, serve_websocket)  # only without `glimpse serve`
    web_dir = settings.web_dir or DEFAULT_WEB_DIR
    if (web_dir / "index.html").is_file():
        serve_web_client(app, web_dir)
    return app
