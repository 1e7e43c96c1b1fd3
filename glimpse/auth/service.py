"""The Auth service: accounts, log-in sessions with rotating refresh tokens, token checks."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from glimpse.auth.guests import Credential, GuestClaims, GuestTokens
from glimpse.auth.identity import Identity
from glimpse.auth.password_policy import check_new_password
from glimpse.auth.passwords import PasswordHashing
from glimpse.auth.revocation import Revocation, SessionsEnded
from glimpse.auth.signup import SignupPolicy
from glimpse.auth.tokens import AccessClaims, AccessTokens, new_refresh_token, refresh_token_hash
from glimpse.errors import Conflict, NotFound, ServerBusy, Unauthorized
from glimpse.observability import audit
from glimpse.store import DuplicateError, RefreshTokenRecord, Store, UserRecord


@dataclass(frozen=True, slots=True)
class LoginSession:
    """What a successful register, log-in or refresh hands back to the client."""

    user: UserRecord
    access_token: str
    refresh_token: str
    session_id: str


def _now() -> datetime:
    return datetime.now(UTC)


class AuthService:
    def __init__(
        self,
        store: Store,
        tokens: AccessTokens,
        refresh_ttl_seconds: int,
        sessions_ended: SessionsEnded,
        *,
        passwords: PasswordHashing,
        signup: SignupPolicy,
        guests: GuestTokens,
    ) -> None:
        self._store = store
        self.tokens = tokens
        self._refresh_ttl = timedelta(seconds=refresh_ttl_seconds)
        self._sessions_ended = sessions_ended
        """Closes the ended sessions' WebSockets, on every instance."""
        self._passwords = passwords
        self.signup = signup
        self.guests = guests
        """Guest credentials (one room, no account)."""

    async def register(
        self, email: str, display_name: str, password: str, invite: str | None = None
    ) -> LoginSession:
        email = email.strip().lower()
        self.signup.admit(email, invite)
        check_new_password(password, email)
        user = UserRecord(
            id=uuid.uuid4().hex,
            email=email,
            display_name=display_name.strip(),
            password_hash=await self._passwords.hash(password),
            created_at=_now(),
        )
        try:
            await self._store.create_user(user)
        except DuplicateError:
            raise Conflict("an account with this e-mail exists", code="email_taken") from None
        return await self._start_session(user, uuid.uuid4().hex)

    async def log_in(self, email: str, password: str) -> LoginSession:
        user = await self._store.get_user_by_email(email.strip().lower())
        if user is None:
            await self._passwords.spend_verification_time(password)
        if user is None or not await self._passwords.verify(user.password_hash, password):
            audit.failed_login(email)
            raise Unauthorized("wrong e-mail or password", code="invalid_credentials")
        if self._passwords.needs_rehash(user.password_hash):
            user = await self._rehash(user, password)
        return await self._start_session(user, uuid.uuid4().hex)

    async def _rehash(self, user: UserRecord, password: str) -> UserRecord:
        """Store the password hashed with today's parameters (or leave it until the next log-in
        when hashing is busy)."""
        with contextlib.suppress(ServerBusy):
            password_hash = await self._passwords.hash(password)
            return await self._store.update_user(user.id, password_hash=password_hash) or user
        return user

    async def refresh(self, refresh_token: str) -> LoginSession:
        """Rotate a refresh token; presenting one that was already rotated revokes its session."""
        now = _now()
        record = await self._store.use_refresh_token(refresh_token_hash(refresh_token), now)
        if record is None:
            raise Unauthorized("unknown refresh token", code="invalid_refresh_token")
        if record.revoked_at is not None:
            raise Unauthorized("this session has ended; log in again", code="session_revoked")
        if record.used_at is not None:
            await self._end_session(record, now)
            audit.refresh_token_reused(record.user_id, record.session_id)
            raise Unauthorized(
                "refresh token reused; the session is revoked", code="refresh_token_reused"
            )
        if record.expires_at <= now:
            raise Unauthorized("refresh token expired", code="refresh_token_expired")
        user = await self._store.get_user(record.user_id)
        if user is None:
            raise Unauthorized("account no longer exists", code="invalid_refresh_token")
        return await self._start_session(user, record.session_id)

    async def log_out(self, refresh_token: str) -> None:
        record = await self._store.use_refresh_token(refresh_token_hash(refresh_token), _now())
        if record is not None:
            await self._end_session(record, _now())
            audit.session_revoked(record.user_id, record.session_id, "log-out")

    async def _end_session(self, record: RefreshTokenRecord, at: datetime) -> None:
        await self._store.revoke_session(record.session_id, at)
        await self._sessions_ended(Revocation(record.user_id, session_id=record.session_id))

    def verify(self, token: str) -> Credential:
        """A user's access token or a guest's token (told apart by audience), verified."""
        return self.guests.verify(token) if self.guests.holds(token) else self.tokens.verify(token)

    async def identity(self, credential: Credential) -> Identity:
        """Whom a verified token speaks for: a guest, or a user whose login session is valid."""
        if isinstance(credential, GuestClaims):
            return credential.identity
        return Identity.of_user(await self.user_for_claims(credential))

    async def user_for_token(self, access_token: str) -> UserRecord:
        """The user of a valid access token whose login session has not been revoked."""
        return await self.user_for_claims(self.tokens.verify(access_token))

    async def user_for_claims(self, claims: AccessClaims) -> UserRecord:
        """The user of a verified access token, if its login session has not been revoked."""
        found = await self._store.session_user(claims.session_id, claims.user_id)
        if found.revoked:
            raise _session_ended()
        if found.user is None:
            raise Unauthorized("account no longer exists", code="invalid_token")
        return found.user

    async def check_session(self, session_id: str) -> None:
        """Raise session_revoked when the login session has ended."""
        if await self._store.session_revoked(session_id):
            raise _session_ended()

    async def update_profile(
        self,
        user: UserRecord,
        *,
        display_name: str | None,
        new_password: str | None,
        current_password: str | None,
        session_id: str,
    ) -> UserRecord:
        """A new password ends every other login session of the user (`session_id` is this one)."""
        check_new_password(new_password, user.email)
        password_hash = None
        if new_password is not None:
            if current_password is None or not await self._passwords.verify(
                user.password_hash, current_password
            ):
                raise Unauthorized("current password is wrong", code="invalid_credentials")
            password_hash = await self._passwords.hash(new_password)
        updated = await self._store.update_user(
            user.id,
            display_name=display_name.strip() if display_name is not None else None,
            password_hash=password_hash,
        )
        if updated is None:
            raise NotFound("account no longer exists")
        if password_hash is not None:
            await self._store.revoke_user_sessions(user.id, session_id, _now())
            await self._sessions_ended(Revocation(user.id, keep=session_id))
            audit.session_revoked(user.id, f"all but {session_id}", "password change")
        return updated

    async def _start_session(self, user: UserRecord, session_id: str) -> LoginSession:
        refresh_token = new_refresh_token()
        await self._store.add_refresh_token(
            RefreshTokenRecord(
                token_hash=refresh_token_hash(refresh_token),
                session_id=session_id,
                user_id=user.id,
                expires_at=_now() + self._refresh_ttl,
            )
        )
        return LoginSession(
            user=user,
            access_token=self.tokens.issue(user.id, session_id),
            refresh_token=refresh_token,
            session_id=session_id,
        )


def _session_ended() -> Unauthorized:
    return Unauthorized("this session has ended; sign in again", code="session_revoked")
