"""Graceful shutdown of the S3 listener, which aiohttp's own runner shutdown cannot give us.

aiohttp's shutdown stops reading request bodies at once (bytes arriving after it starts are
dropped), so an upload in flight would stall instead of finishing. Instead, on SIGTERM/SIGINT:
readiness fails first (the caller's ``draining`` flag), the listening sockets close, requests in
flight run to completion within the grace period (their responses say ``Connection: close``), and
whatever still runs then is cancelled. A cancelled upload never commits: B2 stores a file only
once its last byte and SHA-1 have arrived, and the gateway sends those only after verifying the
whole S3 body.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger(__name__)

# After the drain: time for bodies of responses already returned to be written and for
# cancelled handlers to unwind before aiohttp closes what is left.
CUT_OFF_SECONDS = 5.0


class InFlight:
    """The S3 requests being handled now, so shutdown can wait for them and then cut them off."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False

    def __len__(self) -> int:
        return len(self._tasks)

    def attach(self, app: web.Application) -> None:
        """Track every request of ``app``; call before the app's runner is set up."""

        @web.middleware
        async def track(request: web.Request, handler: Handler) -> web.StreamResponse:
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            self._idle.clear()
            try:
                return await handler(request)
            finally:
                self._tasks.discard(task)
                if not self._tasks:
                    self._idle.set()

        async def say_close(_: web.Request, response: web.StreamResponse) -> None:
            if self._closing:  # the client must not send another request on this connection
                response.force_close()
                response.headers["Connection"] = "close"

        app.middlewares.append(track)
        app.on_response_prepare.append(say_close)

    async def drain(self, grace: float) -> int:
        """Wait up to ``grace`` seconds for requests in flight, then cancel the rest.
        Returns how many were cut off."""
        self._closing = True
        if self._tasks:
            log.info("draining %d request(s) in flight, for up to %ss", len(self._tasks), grace)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self._idle.wait()
        late = list(self._tasks)
        if late:
            log.warning("grace period over: cutting off %d request(s)", len(late))
            for task in late:
                task.cancel()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CUT_OFF_SECONDS):
                    await self._idle.wait()
        return len(late)


async def stop_serving(runner: web.AppRunner, in_flight: InFlight, grace: float) -> None:
    """Close ``runner``'s listening sockets, drain ``in_flight``, then close its connections."""
    for site in list(runner.sites):
        await site.stop()
    await in_flight.drain(grace)
    await runner.cleanup()
