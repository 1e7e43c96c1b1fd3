"""ICE servers for the clients' peer connections, with time-limited TURN credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from fastapi import APIRouter

from glimpse.api.deps import RATE_LIMITED, Caller, LimiterDep, SettingsDep
from glimpse.api.schemas import IceServer, IceServers
from glimpse.limits import Limit

router = APIRouter(tags=["ice"])


def turn_credentials(secret: str, user_id: str, ttl: int) -> tuple[str, str]:
    """The TURN REST API scheme coturn's `use-auth-secret` checks: expiry:user, HMAC-SHA1."""
    username = f"{int(time.time()) + ttl}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


@router.get("/ice-servers", responses=RATE_LIMITED)
async def ice_servers(caller: Caller, settings: SettingsDep, limiter: LimiterDep) -> IceServers:
    """For a signed-in user or a guest (each limited on their own)."""
    await limiter.enforce(Limit("ice-servers:user", caller.id, settings.ice_servers_limit_per_user))
    servers = []
    for url in settings.ice_server_urls:
        if url.startswith(("turn:", "turns:")) and settings.turn_secret is not None:
            username, credential = turn_credentials(
                settings.turn_secret.get_secret_value(), caller.id, settings.turn_ttl
            )
            servers.append(IceServer(urls=[url], username=username, credential=credential))
        else:
            servers.append(IceServer(urls=[url]))
    return IceServers(
        ice_servers=servers,
        ice_transport_policy=settings.ice_transport_policy,
        ttl=settings.turn_ttl,
    )
