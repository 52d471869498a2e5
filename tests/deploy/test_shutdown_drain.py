"""gateway.shutdown in process: a request in flight finishes and is told to close its connection;
one still running after the grace period is cancelled; the port stops accepting at once."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from gateway.shutdown import InFlight, stop_serving


class Slow:
    """A handler that answers only when the test says so, and notes if it was cancelled."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = False

    async def handle(self, _: web.Request) -> web.Response:
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return web.Response(text="done")


async def _serve(slow: Slow) -> tuple[web.AppRunner, InFlight, str]:
    app = web.Application()
    app.router.add_get("/", slow.handle)
    in_flight = InFlight()
    in_flight.attach(app)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, in_flight, f"http://127.0.0.1:{port}/"


async def test_drain_lets_request_finish_with_connection_close() -> None:
    slow = Slow()
    runner, in_flight, url = await _serve(slow)
    async with aiohttp.ClientSession() as session:
        request = asyncio.ensure_future(session.get(url))
        await slow.started.wait()
        stopping = asyncio.ensure_future(stop_serving(runner, in_flight, grace=60))
        await asyncio.sleep(0)  # one step of stop_serving: the listening socket closes first
        assert not runner.sites
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(url)
        assert len(in_flight) == 1
        slow.release.set()
        async with await request as response:
            assert (response.status, await response.text()) == (200, "done")
            assert response.headers["Connection"] == "close"
        await stopping
    assert not slow.cancelled


async def test_drain_cancels_request_still_running_after_grace() -> None:
    slow = Slow()
    runner, in_flight, url = await _serve(slow)
    async with aiohttp.ClientSession() as session:
        request = asyncio.ensure_future(session.get(url))
        await slow.started.wait()
        await stop_serving(runner, in_flight, grace=0)
        assert slow.cancelled
        assert len(in_flight) == 0
        with pytest.raises(aiohttp.ClientError):
            await request
