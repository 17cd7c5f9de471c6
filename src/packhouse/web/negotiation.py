"""Content negotiation for the Simple API: ``Accept`` (PEP 691) and ``?format=``."""

from __future__ import annotations

from packhouse.domain.pages import PageFormat
from packhouse.errors import PackhouseError


class NotAcceptable(PackhouseError):
    """The client accepts none of the Simple API's formats (406)."""


_MEDIA_TYPES: dict[str, PageFormat] = {
    "application/vnd.pypi.simple.v1+json": PageFormat.JSON,
    "application/vnd.pypi.simple.latest+json": PageFormat.JSON,
    "application/vnd.pypi.simple.v1+html": PageFormat.HTML,
    "application/vnd.pypi.simple.latest+html": PageFormat.HTML,
    "text/html": PageFormat.LEGACY_HTML,
    "text/*": PageFormat.LEGACY_HTML,
    "*/*": PageFormat.LEGACY_HTML,
}
#: On equal quality we prefer JSON, the primary format (PEP 833).
_PREFERENCE = {PageFormat.JSON: 0, PageFormat.HTML: 1, PageFormat.LEGACY_HTML: 2}


def negotiate(accept: str | None, format_param: str | None = None) -> PageFormat:
    """Pick a page format; HTML when the client says nothing.

    >>> negotiate(None)
    <PageFormat.LEGACY_HTML: 'text/html'>
    >>> negotiate("application/vnd.pypi.simple.v1+json, "
    ...           "application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01")
    <PageFormat.JSON: 'application/vnd.pypi.simple.v1+json'>
    >>> negotiate("text/html", "application/vnd.pypi.simple.v1+json")
    <PageFormat.JSON: 'application/vnd.pypi.simple.v1+json'>
    """
    if format_param:
        fmt = _MEDIA_TYPES.get(format_param.strip().lower())
        if fmt is None:
            raise NotAcceptable(f"unsupported format {format_param!r}; use one of {_offer()}")
        return fmt
    if not accept or not accept.strip():
        return PageFormat.LEGACY_HTML
    best: tuple[float, int, PageFormat] | None = None
    for media_type, quality in _parse_accept(accept):
        fmt = _MEDIA_TYPES.get(media_type)
        if fmt is None or quality <= 0:
            continue
        candidate = (-quality, _PREFERENCE[fmt], fmt)
        if best is None or candidate < best:
            best = candidate
    if best is None:
        raise NotAcceptable(f"none of the accepted types is served here; accept one of {_offer()}")
    return best[2]


def _parse_accept(accept: str) -> list[tuple[str, float]]:
    items = []
    for part in accept.split(","):
        media_type, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        items.append((media_type.lower(), quality))
    return items


def _offer() -> str:
    return ", ".join(t for t in _MEDIA_TYPES if "*" not in t)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (explicitly or by ``*``) with a quality above 0.

    >>> accepts_gzip("gzip, deflate, br"), accepts_gzip("gzip;q=0"), accepts_gzip("*")
    (True, False, True)
    >>> accepts_gzip(None), accepts_gzip("identity"), accepts_gzip("*, gzip;q=0")
    (False, False, False)
    """
    if not accept_encoding:
        return False
    qualities = dict(_parse_accept(accept_encoding))
    if "gzip" in qualities:
        return qualities["gzip"] > 0
    return qualities.get("*", 0.0) > 0


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value matches a strong ETag.

    >>> etag_matches('"a", W/"b"', '"b"'), etag_matches("*", '"x"'), etag_matches(None, '"x"')
    (True, True, False)
    """
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag in (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
