"""Who a socket speaks for: a user with an account, or a guest of one room."""

from __future__ import annotations

from dataclasses import dataclass

from glimpse.store import UserRecord


@dataclass(frozen=True, slots=True)
class Identity:
    id: str
    """The user's id, or the guest's id (from the guest's credential)."""
    display_name: str
    guest_room: str | None = None
    """For a guest: the one room (id) its credential admits to."""

    @property
    def is_guest(self) -> bool:
        return self.guest_room is not None

    @classmethod
    def of_user(cls, user: UserRecord) -> Identity:
        return cls(user.id, user.display_name)
