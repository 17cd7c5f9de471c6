"""Which address a request comes from, when a proxy forwards it."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Receive, Scope, Send

from packhouse.web.forwarded import ForwardedHeaders, TrustedProxies


def test_trusted_addresses_networks_and_everyone() -> None:
    trusted = TrustedProxies("127.0.0.1, 10.0.0.0/8,::1")
    assert "127.0.0.1" in trusted
    assert "10.20.30.40" in trusted
    assert "::1" in trusted
    assert "11.0.0.1" not in trusted
    assert "not-an-address" not in trusted
    assert "anything" in TrustedProxies("*")
    assert not TrustedProxies("")


@pytest.mark.parametrize(
    ("chain", "client"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("198.51.100.4, 203.0.113.7, 10.1.1.1", "203.0.113.7"),
        ("10.1.1.1, 127.0.0.1", "10.1.1.1"),  # every hop trusted: the first one
        (" , ", None),
        ("203.0.113.7, ", "203.0.113.7"),
        ("2001:DB8::1", "2001:db8::1"),
        # Review 15: a hop that is not an IP address makes the whole header ignored.
        ("evil.example.com", None),
        ("203.0.113.7, <script>", None),
        ("unknown, 10.1.1.1", None),
        ("203.0.113.7:4321", None),
    ],
)
def test_the_client_is_the_nearest_untrusted_hop(chain: str, client: str | None) -> None:
    assert TrustedProxies("127.0.0.1,10.0.0.0/8").client(chain) == client


def seen(trusted: str, client: str, headers: list[tuple[bytes, bytes]]) -> tuple[object, str]:
    scopes: list[Scope] = []

    async def app(scope: Scope, _receive: Receive, _send: Send) -> None:
        scopes.append(scope)

    async def nothing() -> dict[str, object]:
        return {}

    async def ignore(_message: object) -> None:
        pass

    scope = {"type": "http", "client": (client, 5000), "scheme": "http", "headers": headers}

    async def call() -> None:
        await ForwardedHeaders(app, TrustedProxies(trusted))(scope, nothing, ignore)

    asyncio.run(call())
    return scopes[0]["client"], scopes[0]["scheme"]


def test_a_trusted_proxy_sets_client_and_scheme() -> None:
    headers = [(b"x-forwarded-for", b"203.0.113.7"), (b"x-forwarded-proto", b"https")]
    assert seen("127.0.0.1", "127.0.0.1", headers) == (("203.0.113.7", 0), "https")


def test_anyone_else_is_taken_at_its_word_only_for_its_own_address() -> None:
    headers = [(b"x-forwarded-for", b"203.0.113.7"), (b"x-forwarded-proto", b"https")]
    assert seen("127.0.0.1", "198.51.100.4", headers) == (("198.51.100.4", 5000), "http")


def test_a_chain_with_a_name_in_it_leaves_the_connections_address() -> None:
    headers = [(b"x-forwarded-for", b"203.0.113.7, forged name")]
    assert seen("127.0.0.1", "127.0.0.1", headers) == (("127.0.0.1", 5000), "http")


def test_a_strange_scheme_is_ignored() -> None:
    headers = [(b"x-forwarded-proto", b"javascript")]
    assert seen("127.0.0.1", "127.0.0.1", headers) == (("127.0.0.1", 5000), "http")


def test_nobody_is_trusted_by_default() -> None:
    from packhouse.config import Settings

    default = Settings().forwarded_allow_ips
    assert not TrustedProxies(default)
    headers = [(b"x-forwarded-for", b"203.0.113.7"), (b"x-forwarded-proto", b"https")]
    assert seen(default, "127.0.0.1", headers) == (("127.0.0.1", 5000), "http")
