"""The body deadline's clock: it starts when the application first reads the body.

What comes before (a password hash, the wait for a worker thread) is the server's time, not
the client's; the end-to-end stories of stalled and trickling bodies are in
``tests/e2e/test_body_deadline.py``.
"""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Message, Receive, Scope, Send

from packhouse.errors import TimedOut
from packhouse.web.deadline import BodyDeadline

TIMEOUT = 0.2
SCOPE: Scope = {"type": "http", "headers": []}


def body_read_after(pause: float, *, chunk_delay: float = 0.01) -> bytes:
    """What an application that works ``pause`` seconds before it reads the body receives;
    each of the two body chunks takes ``chunk_delay`` seconds to arrive."""
    chunks = [
        {"type": "http.request", "body": b"half ", "more_body": True},
        {"type": "http.request", "body": b"body", "more_body": False},
    ]
    received: list[bytes] = []

    async def client() -> Message:
        await asyncio.sleep(chunk_delay)
        return chunks.pop(0)

    async def app(_scope: Scope, receive: Receive, _send: Send) -> None:
        await asyncio.sleep(pause)  # authentication, a worker thread's turn
        while True:
            message = await receive()
            received.append(message["body"])
            if not message["more_body"]:
                return

    async def ignore(_message: Message) -> None:
        pass

    middleware = BodyDeadline(app, timeout=TIMEOUT, min_rate=1 << 20)
    asyncio.run(middleware(SCOPE, client, ignore))
    return b"".join(received)


def test_time_before_the_first_read_does_not_count() -> None:
    """Review 15: the clock started with the request, so a slow password check used it up."""
    assert body_read_after(TIMEOUT * 2) == b"half body"


def test_a_body_slower_than_the_timeout_still_times_out() -> None:
    with pytest.raises(TimedOut, match="arrived too slowly"):
        body_read_after(0, chunk_delay=TIMEOUT * 1.5)
