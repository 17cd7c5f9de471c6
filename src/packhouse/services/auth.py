"""Authentication: HTTP Basic with a password or ``__token__``; token issuing; password hashing."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from packhouse.db import write_transaction
from packhouse.db.accounts import AccountRepo
from packhouse.db.audit import AuditRepo
from packhouse.db.tables import UserRow
from packhouse.domain.roles import Principal, Role, TokenScope
from packhouse.errors import Forbidden, Invalid, Throttled, Unauthorized

#: Tokens start with this, so secret scanners can recognise leaked ones.
TOKEN_PREFIX = "pkh_"  # noqa: S105 - a public prefix, not a secret
TOKEN_USER = "__token__"  # noqa: S105 - the user name twine and uv send with tokens
#: last_used_at is written at most this often per token.
_TOUCH_EVERY = timedelta(minutes=1)


def token_hash(secret: str) -> str:
    """Tokens are high-entropy, so a plain SHA-256 is a safe lookup key (no argon2 needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str

    @classmethod
    def from_header(cls, header: str | None) -> Credentials | None:
        """Parse an ``Authorization`` header, Basic or ``Bearer <API token>``; None without one.

        >>> Credentials.from_header("Basic " + base64.b64encode(b"a:b:c").decode())
        Credentials(username='a', password='b:c')
        >>> Credentials.from_header("Bearer pkh_x")
        Credentials(username='__token__', password='pkh_x')
        """
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return cls(TOKEN_USER, value.strip())
        if scheme.lower() != "basic":
            raise Unauthorized(
                "use HTTP Basic (a user name and password, or __token__ and an API token) "
                "or Bearer with an API token"
            )
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("malformed Basic authorization header") from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise Unauthorized("malformed Basic authorization header")
        return cls(username, password)


def _safe_name(username: str) -> str:
    """The user name tried, for the audit log, unless it looks like a pasted secret.

    >>> _safe_name("alice"), _safe_name("pkh_abc")
    ('alice', '(a token given as the user name)')
    """
    if username.startswith(TOKEN_PREFIX) or len(username) > 64:
        return "(a token given as the user name)"
    return username


class PasswordCache:
    """Verified passwords, briefly: keyed by an HMAC of the pair; valid while the hash stands."""

    def __init__(self, *, ttl: float) -> None:
        self._ttl = ttl
        self._key = secrets.token_bytes(32)
        self._entries: dict[bytes, tuple[int, str, float]] = {}
        self._lock = threading.Lock()

    def _fingerprint(self, username: str, password: str) -> bytes:
        message = username.encode() + b"\0" + password.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def hit(self, username: str, password: str, user: UserRow) -> bool:
        key = self._fingerprint(username, password)
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return False
        user_id, password_hash, expires = entry
        return (
            user_id == user.id
            and user.password_hash is not None
            and hmac.compare_digest(password_hash, user.password_hash)
            and time.monotonic() < expires
        )

    def remember(self, username: str, password: str, user: UserRow) -> None:
        if self._ttl <= 0 or user.password_hash is None:
            return
        key = self._fingerprint(username, password)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (user.id, user.password_hash, time.monotonic() + self._ttl)


@dataclass(frozen=True, slots=True)
class _CachedPrincipal:
    principal: Principal
    generation: int
    #: time.monotonic() after which the entry is void (its TTL, or the token's expiry).
    deadline: float


class PrincipalCache:
    """Principals of recently verified Authorization headers, for the hot path and every route.

    Keyed by an HMAC of the header under a per-process random key, so no secret is held in
    clear. An entry is valid only while the accounts' generation it was verified under stands
    (any revocation, password change or grant change bumps it), for at most ``ttl`` seconds,
    and never past its token's expiry.
    """

    def __init__(self, *, ttl: float, entries: int = 10_000) -> None:
        self._ttl = ttl
        self._limit = entries
        self._key = secrets.token_bytes(32)
        self._entries: dict[bytes, _CachedPrincipal] = {}
        self._lock = threading.Lock()

    def _fingerprint(self, header: str) -> bytes:
        return hmac.new(self._key, header.encode(), hashlib.sha256).digest()

    def get(self, header: str, *, generation: int) -> Principal | None:
        entry = self._entries.get(self._fingerprint(header))
        if entry is None or entry.generation != generation or time.monotonic() >= entry.deadline:
            return None
        return entry.principal

    def put(
        self, header: str, principal: Principal, *, generation: int, expires_at: datetime | None
    ) -> None:
        if self._ttl <= 0:
            return
        lifetime = self._ttl
        if expires_at is not None:
            lifetime = min(lifetime, (expires_at - datetime.now(UTC)).total_seconds())
        entry = _CachedPrincipal(
            replace(principal, remote_addr=None), generation, time.monotonic() + lifetime
        )
        with self._lock:
            if len(self._entries) >= self._limit:
                self._entries.clear()
            self._entries[self._fingerprint(header)] = entry


class LoginThrottle:
    """Counts failed logins per client in a sliding window; refuses the client past a limit."""

    def __init__(self, *, limit: int, window: float) -> None:
        self._limit = limit
        self._window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str | None) -> None:
        if client is None or self._limit <= 0:
            return
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get(client)
            if failures is None:
                return
            while failures and failures[0] <= now - self._window:
                failures.popleft()
            if len(failures) >= self._limit:
                retry_after = int(failures[0] + self._window - now) + 1
                raise Throttled(
                    f"too many failed logins from this client; try again in {retry_after} s",
                    retry_after=retry_after,
                )

    def limited(self, client: str | None) -> bool:
        """Whether a client has failed logins on record (the hot path then defers to ``check``)."""
        return client is not None and client in self._failures

    def failed(self, client: str | None) -> None:
        if client is None:
            return
        with self._lock:
            if len(self._failures) > 100_000:
                self._failures.clear()
            self._failures.setdefault(client, deque()).append(time.monotonic())


class AuthService:
    """Turns Basic credentials into a Principal, and issues API tokens."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        cache_seconds: float,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self._sessions = sessions
        self._hasher = PasswordHasher()
        self._cache = PasswordCache(ttl=cache_seconds)
        # A token's last use is stamped at most every _TOUCH_EVERY: no cached entry outlives it.
        self._principals = PrincipalCache(ttl=min(cache_seconds, _TOUCH_EVERY.total_seconds()))
        self._throttle = throttle or LoginThrottle(limit=10, window=300)
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    def confirm_password(self, user: UserRow, password: str | None) -> None:
        """Raise unless ``password`` is the user's current one (to change it, say)."""
        if not password:
            raise Invalid(
                "changing your own password needs the current one: send it as current_password"
            )
        if user.password_hash is None or not self._verify(user.password_hash, password):
            raise Forbidden("the current password is wrong; the password was not changed")

    def authenticate(self, header: str | None, *, remote_addr: str | None) -> Principal | None:
        """The principal for an Authorization header; None without one; Unauthorized if wrong."""
        credentials = Credentials.from_header(header)
        if credentials is None or header is None:
            return None
        self._throttle.check(remote_addr)
        try:
            with self._sessions() as session:
                accounts = AccountRepo(session)
                # Read first: a change committed after this read voids what we cache below.
                generation = accounts.generation()
                principal = self._principals.get(header, generation=generation)
                if principal is None:
                    principal, expires_at = self._verify_credentials(accounts, credentials)
                    self._principals.put(
                        header, principal, generation=generation, expires_at=expires_at
                    )
        except Unauthorized as failure:
            self._record_failure(credentials.username, remote_addr, failure)
            raise
        return replace(principal, remote_addr=remote_addr)

    def cached(self, header: str, *, generation: int, remote_addr: str | None) -> Principal | None:
        """The principal of a recently verified header, if still valid; no database access.

        None means "ask ``authenticate``": the header is new, changed, expired, or its client
        has failed logins on record.
        """
        if self._throttle.limited(remote_addr):
            return None
        return self._principals.get(header, generation=generation)

    def _verify_credentials(
        self, accounts: AccountRepo, credentials: Credentials
    ) -> tuple[Principal, datetime | None]:
        if credentials.username == TOKEN_USER:
            return self._by_token(accounts, credentials.password)
        return self._by_password(accounts, credentials), None

    def _record_failure(
        self, username: str, remote_addr: str | None, failure: Unauthorized
    ) -> None:
        """Count and audit a failed login; the password or token itself is never recorded."""
        self._throttle.failed(remote_addr)
        with write_transaction(self._sessions) as session:
            AuditRepo(session).add(
                "login.failed",
                actor=None,
                target=_safe_name(username),
                detail=failure.message,
                remote_addr=remote_addr,
            )

    def _by_password(self, accounts: AccountRepo, credentials: Credentials) -> Principal:
        user = accounts.find_user(credentials.username)
        if user is None or user.password_hash is None:
            self._verify(self._dummy_hash, credentials.password)  # same time as a real check
            raise Unauthorized("wrong user name or password")
        if not self._cache.hit(credentials.username, credentials.password, user):
            if not self._verify(user.password_hash, credentials.password):
                raise Unauthorized("wrong user name or password")
            self._cache.remember(credentials.username, credentials.password, user)
        return Principal(
            user.id, user.name, is_admin=user.is_admin, roles=accounts.roles_of(user.id)
        )

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _touch(self, token_id: int, now: datetime) -> None:
        """Record a token's use in its own short transaction; advisory, so never fatal."""
        try:
            with write_transaction(self._sessions) as session:
                AccountRepo(session).touch_token(token_id, now, older_than=now - _TOUCH_EVERY)
        except OperationalError:  # pragma: no cover - a busy database only delays the stamp
            pass

    def _by_token(self, accounts: AccountRepo, secret: str) -> tuple[Principal, datetime | None]:
        token = accounts.token_by_hash(token_hash(secret))
        now = datetime.now(UTC)
        if token is None or token.revoked_at is not None:
            raise Unauthorized("invalid or revoked API token; create a new one")
        if token.expires_at is not None and token.expires_at <= now:
            raise Unauthorized("the API token has expired; create a new one")
        user = accounts.user_by_id(token.user_id)
        if user is None:  # pragma: no cover - tokens are deleted with their user
            raise Unauthorized("invalid or revoked API token; create a new one")
        if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
            self._touch(token.id, now)
        principal = Principal(
            user.id,
            user.name,
            is_admin=user.is_admin,
            roles=accounts.roles_of(user.id),
            token=TokenScope(
                token.index_id, Role(token.role), expires_at=token.expires_at, id=token.id
            ),
        )
        return principal, token.expires_at
