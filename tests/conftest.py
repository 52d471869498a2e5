"""Shared fixtures: a fresh in-memory B2 emulator (fault control on) per test.

``emulator`` runs on the test's own event loop, for async tests that talk to it with aiohttp.
``threaded_emulator`` runs it on a background loop, for blocking clients (b2sdk, the b2 CLI)
that would otherwise deadlock the loop serving them. ``emulator_factory`` makes more, with
settings overrides (clock, token TTLs, part sizes ...).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

import pytest

from gateway.emulator.server import EmulatorSettings, RunningEmulator, start_emulator

TEST_SETTINGS = EmulatorSettings(faults=True, seed=None)

EmulatorFactory = Callable[..., Awaitable[RunningEmulator]]


@pytest.fixture
async def emulator_factory() -> AsyncIterator[EmulatorFactory]:
    started: list[RunningEmulator] = []

    async def start(**overrides: Any) -> RunningEmulator:
        running = await start_emulator(replace(TEST_SETTINGS, **overrides))
        started.append(running)
        return running

    yield start
    for running in started:
        await running.close()


@pytest.fixture
async def emulator(emulator_factory: EmulatorFactory) -> RunningEmulator:
    return await emulator_factory()


class EmulatorThread:
    """An emulator on its own event loop in a daemon thread."""

    def __init__(self, settings: EmulatorSettings) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.running = self.call(start_emulator(settings))

    def call(self, coroutine: Awaitable[Any]) -> Any:
        async def wrapped() -> Any:
            return await coroutine

        future: Future[Any] = asyncio.run_coroutine_threadsafe(wrapped(), self._loop)
        return future.result(timeout=60)

    def stop(self) -> None:
        self.call(self.running.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


@pytest.fixture
def threaded_emulator_factory() -> Iterator[Callable[..., RunningEmulator]]:
    threads: list[EmulatorThread] = []

    def start(**overrides: Any) -> RunningEmulator:
        threads.append(EmulatorThread(replace(TEST_SETTINGS, **overrides)))
        return threads[-1].running

    yield start
    for thread in threads:
        thread.stop()


@pytest.fixture
def threaded_emulator(
    threaded_emulator_factory: Callable[..., RunningEmulator],
) -> RunningEmulator:
    return threaded_emulator_factory()
