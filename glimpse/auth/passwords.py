"""Password hashing with argon2id, off the event loop (a hash takes tens of milliseconds)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


_UNKNOWN_ACCOUNT_HASH = _hasher.hash("no account has this password")


async def verify_password(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


async def spend_verification_time(password: str) -> None:
    """Take as long as a real check, so that a failed log-in does not tell whether the account
    exists."""
    await verify_password(_UNKNOWN_ACCOUNT_HASH, password)
