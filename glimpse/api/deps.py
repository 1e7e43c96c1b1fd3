"""Dependencies of the routes, as Annotated aliases (the FastAPI full-stack template's way)."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from glimpse.api.schemas import ErrorBody
from glimpse.auth.guests import GuestClaims
from glimpse.auth.identity import Identity
from glimpse.auth.service import AuthService
from glimpse.auth.tokens import AccessClaims
from glimpse.edge.client_address import address_group
from glimpse.errors import Unauthorized
from glimpse.limits import Limiter
from glimpse.realtime.hub import Hub, Rooms
from glimpse.recordings.library import RecordingLibrary
from glimpse.services import Services
from glimpse.settings import Settings
from glimpse.store import Store, UserRecord

_bearer = HTTPBearer(auto_error=False, description="The access token from log-in or refresh")


def _services(request: Request) -> Services:
    services: Services = request.state.services  # the lifespan's state (glimpse/app.py)
    return services


ServicesDep = Annotated[Services, Depends(_services)]


def _settings(services: ServicesDep) -> Settings:
    return services.settings


def _store(services: ServicesDep) -> Store:
    return services.store


def _auth(services: ServicesDep) -> AuthService:
    return services.auth


def _rooms(services: ServicesDep) -> Rooms:
    return services.rooms


def _hub(services: ServicesDep) -> Hub:
    return services.hub


def _limiter(services: ServicesDep) -> Limiter:
    return services.limiter


def _recordings(services: ServicesDep) -> RecordingLibrary:
    return services.recordings


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[Store, Depends(_store)]
AuthDep = Annotated[AuthService, Depends(_auth)]
RoomsDep = Annotated[Rooms, Depends(_rooms)]
HubDep = Annotated[Hub, Depends(_hub)]
LimiterDep = Annotated[Limiter, Depends(_limiter)]
RecordingsDep = Annotated[RecordingLibrary, Depends(_recordings)]


def _client_address(request: Request) -> str:
    """Whom per-address limits count: the peer, or what the trusted proxies say it is (uvicorn
    resolves X-Forwarded-For only from them), by `address_group`."""
    return address_group(request.client.host if request.client else "")


ClientAddress = Annotated[str, Depends(_client_address)]

RATE_LIMITED: Final[dict[int | str, dict[str, Any]]] = {
    429: {
        "model": ErrorBody,
        "description": "Too many attempts (`rate_limited`); retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    }
}
"""The OpenAPI response of a rate-limited route."""


def _bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise Unauthorized("sign in first: no access token", code="not_authenticated")
    return credentials.credentials


BearerToken = Annotated[str, Depends(_bearer_token)]
MaybeBearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
"""The Authorization header's credentials, when the request has one (routes that also accept
another proof, such as a download link)."""


async def _current_claims(auth: AuthDep, token: BearerToken) -> AccessClaims:
    """A user's access token; a guest's is refused (another audience): 401 `invalid_token`."""
    return auth.tokens.verify(token)  # async: no thread-pool hop for a signature check


CurrentClaims = Annotated[AccessClaims, Depends(_current_claims)]
"""The request's verified access token: its user and login session."""


async def _current_user(auth: AuthDep, claims: CurrentClaims) -> UserRecord:
    return await auth.user_for_claims(claims)


CurrentUser = Annotated[UserRecord, Depends(_current_user)]


async def _current_guest(auth: AuthDep, token: BearerToken) -> GuestClaims:
    return auth.guests.verify(token)


CurrentGuest = Annotated[GuestClaims, Depends(_current_guest)]
"""The request's verified guest token (a user's access token is refused)."""


async def _caller(auth: AuthDep, token: BearerToken) -> Identity:
    return await auth.identity(auth.verify(token))


Caller = Annotated[Identity, Depends(_caller)]
"""Whom the request speaks for: a signed-in user, or a guest (only the routes a call needs
accept guests)."""
