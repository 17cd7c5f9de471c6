"""The cache of verified credentials: generation, TTL and token expiry each void an entry."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from packhouse.domain.roles import Principal, Role, TokenScope
from packhouse.services.auth import PrincipalCache

ALICE = Principal(1, "alice", roles={7: Role.READER}, remote_addr="10.0.0.1")
HEADER = "Basic YWxpY2U6c2VjcmV0"


def test_a_hit_needs_the_same_header_and_generation() -> None:
    cache = PrincipalCache(ttl=60)
    cache.put(HEADER, ALICE, generation=3, expires_at=None)
    hit = cache.get(HEADER, generation=3)
    assert hit is not None
    assert hit.name == "alice"
    assert hit.remote_addr is None  # the address belongs to one request, not to the entry
    assert cache.get(HEADER, generation=4) is None
    assert cache.get(HEADER + "x", generation=3) is None


def test_no_secret_is_kept_in_clear() -> None:
    cache = PrincipalCache(ttl=60)
    cache.put(HEADER, ALICE, generation=1, expires_at=None)
    assert all(HEADER.encode() not in key for key in cache._entries)


def test_entries_expire_with_the_ttl_and_with_the_token() -> None:
    cache = PrincipalCache(ttl=0.2)
    cache.put(HEADER, ALICE, generation=1, expires_at=None)
    token = "Basic X190b2tlbl9fOnBraF94"
    expiring = Principal(1, "alice", token=TokenScope(7, Role.READER))
    soon = datetime.now(UTC) + timedelta(seconds=0.1)
    cache.put(token, expiring, generation=1, expires_at=soon)
    assert cache.get(HEADER, generation=1) is not None
    assert cache.get(token, generation=1) is not None
    time.sleep(0.12)
    assert cache.get(token, generation=1) is None  # the token expired before the TTL
    assert cache.get(HEADER, generation=1) is not None
    time.sleep(0.1)
    assert cache.get(HEADER, generation=1) is None


def test_an_expired_token_is_never_cached_and_a_zero_ttl_caches_nothing() -> None:
    cache = PrincipalCache(ttl=60)
    past = datetime.now(UTC) - timedelta(seconds=1)
    cache.put(HEADER, ALICE, generation=1, expires_at=past)
    assert cache.get(HEADER, generation=1) is None
    off = PrincipalCache(ttl=0)
    off.put(HEADER, ALICE, generation=1, expires_at=None)
    assert off.get(HEADER, generation=1) is None
