"""The client's address and scheme from a trusted proxy's ``X-Forwarded-*`` headers.

Only the proxies named in ``PACKHOUSE_FORWARDED_ALLOW_IPS`` are believed (none by default: any
local process could otherwise pose as any address to the login throttle and the audit log).
Behind the nginx front, set it to nginx's address, or every client would be 127.0.0.1 and one
client's failed logins would lock out all of them. The same wrapper serves under granian and
uvicorn (whose own proxy-header handling ``serve`` turns off), so both read one setting.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable

from starlette.types import ASGIApp, Receive, Scope, Send

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """Addresses and networks (``10.0.0.0/8``) whose forwarding headers are believed; ``*`` all."""

    def __init__(self, spec: str) -> None:
        items = [item.strip() for item in spec.split(",") if item.strip()]
        self.everyone = "*" in items
        self.literals = frozenset(item for item in items if "/" not in item)
        self.networks: tuple[_Network, ...] = tuple(
            ipaddress.ip_network(item, strict=False) for item in items if "/" in item
        )

    def __bool__(self) -> bool:
        return self.everyone or bool(self.literals) or bool(self.networks)

    def __contains__(self, host: str) -> bool:
        if self.everyone or host in self.literals:
            return True
        if not self.networks:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def client(self, forwarded_for: str) -> str | None:
        """The nearest address in an ``X-Forwarded-For`` chain that is not a trusted proxy.

        None (the header is ignored) when a hop is not an IP address: a proxy writes addresses,
        so such a chain was not written by one, and a name must not reach the audit log.
        """
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        try:
            hops = [str(ipaddress.ip_address(hop)) for hop in hops]
        except ValueError:
            return None
        for hop in reversed(hops):
            if hop not in self:
                return hop
        return hops[0] if hops else None


class ForwardedHeaders:
    """Rewrites ``client`` and ``scheme`` of requests that come from a trusted proxy.

    It sits in front of the hot path, so the common case (a trusted literal address, or none)
    costs a set lookup and no coroutine of its own.
    """

    def __init__(self, app: ASGIApp, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted
        self._literals = trusted.literals
        self._check_all = trusted.everyone or bool(trusted.networks)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        client = scope.get("client")
        if (
            client is not None
            and (client[0] in self._literals or (self._check_all and client[0] in self.trusted))
            and scope["type"] == "http"
        ):
            for key, value in scope["headers"]:
                if key == b"x-forwarded-for":
                    host = self.trusted.client(value.decode("latin-1"))
                    if host is not None:
                        scope["client"] = (host, 0)
                elif key == b"x-forwarded-proto":
                    proto = value.decode("latin-1").strip().lower()
                    if proto in ("http", "https"):
                        scope["scheme"] = proto
        return self.app(scope, receive, send)
