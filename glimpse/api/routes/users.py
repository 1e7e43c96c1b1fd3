"""My profile."""

from __future__ import annotations

from fastapi import APIRouter

from glimpse.api.deps import AuthDep, CurrentUser
from glimpse.api.schemas import ProfileUpdate, UserPublic

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def read_me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)


@router.patch("/me")
async def update_me(body: ProfileUpdate, user: CurrentUser, auth: AuthDep) -> UserPublic:
    updated = await auth.update_profile(
        user,
        display_name=body.display_name,
        new_password=body.password,
        current_password=body.current_password,
    )
    return UserPublic.model_validate(updated)
