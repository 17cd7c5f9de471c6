"""The one error tree of Packhouse; each surface maps it to its own format.

PackhouseError
├── NotFound              no such index, project, file or user
├── Conflict              the change clashes with what is there (name taken, filename reused)
├── Invalid               bad input: names, versions, forms, archives, metadata
│   └── InvalidUpload     an upload the legacy API refuses
│       └── TooLarge      an upload over the configured size limit
├── Unauthorized          no or wrong credentials
├── Forbidden             known principal, not allowed
├── Throttled             too many failed logins from one client
├── TimedOut              a request body that did not arrive in time
└── UpstreamUnavailable   an upstream index did not answer
"""

from __future__ import annotations


class PackhouseError(Exception):
    """Base of every error Packhouse raises on purpose; the message is one line for users."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(PackhouseError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class Conflict(PackhouseError):
    """The change clashes with existing state."""


class Invalid(PackhouseError):
    """The input is malformed or breaks a rule."""


class InvalidUpload(Invalid):
    """An upload the legacy upload API refuses."""


class TooLarge(InvalidUpload):
    """An upload over the configured size limit."""


class Unauthorized(PackhouseError):
    """Credentials are missing or wrong."""


class Forbidden(PackhouseError):
    """The caller is known but lacks the permission."""


class Throttled(PackhouseError):
    """Too many failed logins from one client; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TimedOut(PackhouseError):
    """A request body arrived too slowly (``PACKHOUSE_BODY_TIMEOUT``, ``_BODY_MIN_RATE``)."""


class UpstreamUnavailable(PackhouseError):
    """An upstream index could not be reached."""
