"""My profile."""

from __future__ import annotations

from fastapi import APIRouter

from glimpse.api.deps import AuthDep, CurrentClaims, CurrentUser
from glimpse.api.schemas import ProfileUpdate, UserPublic

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def read_me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)


@router.patch("/me")
async def update_me(
    body: ProfileUpdate, user: CurrentUser, claims: CurrentClaims, auth: AuthDep
) -> UserPublic:
    """A new password signs out every other session of the user (their sockets close too)."""
    updated = await auth.update_profile(
        user,
        display_name=body.display_name,
        new_password=body.password,
        current_password=body.current_password,
        session_id=claims.session_id,
    )
    return UserPublic.model_validate(updated)
