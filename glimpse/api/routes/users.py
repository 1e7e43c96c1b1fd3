"""My profile."""

from __future__ import annotations

from fastapi import APIRouter

from glimpse.api.deps import (
    RATE_LIMITED,
    AuthDep,
    CurrentClaims,
    CurrentUser,
    LimiterDep,
    SettingsDep,
)
from glimpse.api.schemas import ProfileUpdate, UserPublic
from glimpse.limits import Limit

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def read_me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)


@router.patch("/me", responses=RATE_LIMITED)
async def update_me(
    body: ProfileUpdate,
    user: CurrentUser,
    claims: CurrentClaims,
    auth: AuthDep,
    settings: SettingsDep,
    limiter: LimiterDep,
) -> UserPublic:
    """A new password signs out every other session of the user (their sockets close too).

    Password changes are limited per user, whether the current password is right or wrong."""
    if body.password is not None:
        await limiter.enforce(
            Limit("password-change:user", user.id, settings.password_change_limit_per_user)
        )
    updated = await auth.update_profile(
        user,
        display_name=body.display_name,
        new_password=body.password,
        current_password=body.current_password,
        session_id=claims.session_id,
    )
    return UserPublic.model_validate(updated)
