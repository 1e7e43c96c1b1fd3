"""Accounts and log-in sessions: register, log in, refresh, log out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Response, status

from glimpse.api.deps import (
    RATE_LIMITED,
    AuthDep,
    ClientAddress,
    CurrentUser,
    LimiterDep,
    SettingsDep,
)
from glimpse.api.schemas import (
    AuthPolicy,
    InviteCreate,
    InvitePublic,
    LoginRequest,
    RegisterRequest,
    TokenResponse,
    UserPublic,
)
from glimpse.auth.service import LoginSession
from glimpse.auth.signup import invite_path
from glimpse.errors import ServerBusy, Unauthorized
from glimpse.limits import Limit
from glimpse.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])

REFRESH_COOKIE = "glimpse_refresh"
REFRESH_COOKIE_PATH = "/api/auth"
SESSION_MARKER_COOKIE = "glimpse_session"
"""Readable by the page, holding no secret: it says a refresh cookie was set, so a signed-out
visitor's page does not ask for a refresh only to be answered 401."""

RefreshCookie = Annotated[str | None, Cookie(alias=REFRESH_COOKIE)]


def _signed_in(session: LoginSession, response: Response, settings: Settings) -> TokenResponse:
    """Set the refresh token as an httpOnly cookie, and the page's session marker; the access
    token goes in the body."""
    for name, value, path, httponly in (
        (REFRESH_COOKIE, session.refresh_token, REFRESH_COOKIE_PATH, True),
        (SESSION_MARKER_COOKIE, "1", "/", False),
    ):
        response.set_cookie(
            name,
            value,
            max_age=settings.refresh_token_ttl,
            path=path,
            httponly=httponly,
            secure=settings.cookie_secure,
            samesite="strict",
        )
    return TokenResponse(
        access_token=session.access_token,
        expires_in=settings.access_token_ttl,
        user=UserPublic.model_validate(session.user),
    )


@router.post("/register", status_code=status.HTTP_201_CREATED, responses=RATE_LIMITED)
async def register(
    body: RegisterRequest,
    response: Response,
    auth: AuthDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    address: ClientAddress,
) -> TokenResponse:
    await limiter.enforce(Limit("register:address", address, settings.register_limit_per_address))
    session = await auth.register(body.email, body.display_name, body.password, body.invite)
    return _signed_in(session, response, settings)


@router.get("/policy")
async def policy(auth: AuthDep) -> AuthPolicy:
    """Who may sign up on this server (GLIMPSE_SIGNUP)."""
    return AuthPolicy(signup=auth.signup.mode)


@router.post("/invites", status_code=status.HTTP_201_CREATED, responses=RATE_LIMITED)
async def create_invite(
    body: InviteCreate,
    user: CurrentUser,
    auth: AuthDep,
    settings: SettingsDep,
    limiter: LimiterDep,
) -> InvitePublic:
    """Invite someone to sign up (needed when sign-up is invite-only): a link for their e-mail."""
    await limiter.enforce(Limit("invite:user", user.id, settings.invite_limit_per_user))
    invite = auth.signup.invite(body.email)
    return InvitePublic(
        invite=invite, invite_path=invite_path(invite), expires_in=auth.signup.invite_ttl
    )


@router.post("/login", responses=RATE_LIMITED)
async def log_in(
    body: LoginRequest,
    response: Response,
    auth: AuthDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    address: ClientAddress,
) -> TokenResponse:
    """Every attempt counts against the address; only failed ones against the account (a
    right password, or one left unchecked for a busy server, gives its attempt back)."""
    account = Limit("login:account", body.email.strip().lower(), settings.login_limit_per_account)
    await limiter.enforce(
        Limit("login:address", address, settings.login_limit_per_address), account
    )
    try:
        session = await auth.log_in(body.email, body.password)
    except ServerBusy:
        await limiter.refund(account)
        raise
    await limiter.refund(account)
    return _signed_in(session, response, settings)


@router.post("/refresh", responses=RATE_LIMITED)
async def refresh(
    response: Response,
    auth: AuthDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    address: ClientAddress,
    token: RefreshCookie = None,
) -> TokenResponse:
    """Exchange the refresh cookie for a new access token and a new refresh cookie."""
    await limiter.enforce(Limit("refresh:address", address, settings.refresh_limit_per_address))
    if not token:
        raise Unauthorized("no refresh token; sign in", code="invalid_refresh_token")
    return _signed_in(await auth.refresh(token), response, settings)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def log_out(response: Response, auth: AuthDep, token: RefreshCookie = None) -> None:
    if token:
        await auth.log_out(token)
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
    response.delete_cookie(SESSION_MARKER_COOKIE, path="/")
