"""A deadline for request bodies, which neither granian nor uvicorn puts on them.

Both servers bound the time to receive a request's headers, none the time to receive its body:
a client that sends the headers of an upload and then stalls, or trickles a byte now and then,
holds a connection and a request forever. :class:`BodyDeadline` gives every body
``PACKHOUSE_BODY_TIMEOUT`` seconds, plus one second per ``PACKHOUSE_BODY_MIN_RATE`` bytes
received (so a large upload on a slow but steady link finishes); past that, reading the body
raises :class:`~packhouse.errors.TimedOut`, answered 408 with ``Connection: close``.

The clock starts when the application first asks for the body, not when the request arrives:
the time spent before (checking a password, waiting for a worker thread) is the server's, not
the client's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from packhouse.errors import TimedOut


class BodyDeadline:
    """Wraps ``receive`` of HTTP requests so that their bodies arrive in time."""

    def __init__(self, app: ASGIApp, *, timeout: float, min_rate: int) -> None:
        self.app = app
        self.timeout = timeout
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _Body(self.timeout, self.min_rate)

        async def receive_in_time() -> Message:
            return await body.receive(receive, self._message)

        async def send_closing(message: Message) -> None:
            if body.timed_out and message["type"] == "http.response.start":
                # Whoever answered (a route, FastAPI's "error parsing the body"), the rest of
                # the body will never be read: the connection cannot be used again.
                headers = [(k, v) for k, v in message.get("headers", ()) if k != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive_in_time, send_closing)

    def _message(self, received: int) -> str:
        return (
            f"the request body arrived too slowly ({received} bytes in time): send it within "
            f"{self.timeout:g} seconds, plus one second per {self.min_rate} bytes"
        )


class _Body:
    """One request's body on its way in: the deadline, set at the first ``receive``, moves later
    with every byte received."""

    def __init__(self, timeout: float, min_rate: int) -> None:
        self.timeout = timeout
        self.deadline: float | None = None
        self.min_rate = min_rate
        self.complete = False
        self.timed_out = False
        self.received = 0

    async def receive(self, receive: Receive, message_for: Callable[[int], str]) -> Message:
        if self.complete:  # after the body only a disconnect comes, whenever it comes
            return await receive()
        if self.deadline is None:
            self.deadline = time.monotonic() + self.timeout
        try:
            async with asyncio.timeout(max(self.deadline - time.monotonic(), 0)):
                message = await receive()
        except TimeoutError:
            self.timed_out = True
            raise TimedOut(message_for(self.received)) from None
        size = len(message.get("body", b""))
        self.received += size
        self.deadline += size / self.min_rate
        self.complete = message["type"] != "http.request" or not message.get("more_body", False)
        return message
