"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from glimpse.api.deps import HubDep, StoreDep
from glimpse.api.schemas import Health
from glimpse.bus import BusUnavailable
from glimpse.errors import Unavailable

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", responses={503: {"description": "database or bus unreachable"}})
async def readyz(store: StoreDep, hub: HubDep) -> Health:
    """The database and the bus can be reached."""
    try:
        await store.ping()
    except Exception:
        log.exception("readiness: database unreachable")
        raise Unavailable("database unreachable", code="database_unavailable") from None
    try:
        await hub.bus.ping()
    except BusUnavailable:
        log.warning("readiness: bus unreachable", exc_info=True)
        raise Unavailable("bus unreachable", code="bus_unavailable") from None
    return Health(status="ok")
