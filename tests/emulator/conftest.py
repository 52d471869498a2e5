"""Fixtures for raw-HTTP emulator tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from gateway.emulator.server import RunningEmulator
from tests.emulator.large import PART_SETTINGS, Large
from tests.emulator.raw import B2Raw


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        yield session


@pytest.fixture
async def b2(http: aiohttp.ClientSession, emulator: RunningEmulator) -> B2Raw:
    client = B2Raw(http, emulator)
    await client.authorize()
    return client


@pytest.fixture
async def bucket(b2: B2Raw) -> Any:
    return await b2.create_bucket()


@pytest.fixture
async def large(emulator_factory: Any, http: aiohttp.ClientSession) -> Large:
    b2 = B2Raw(http, await emulator_factory(**PART_SETTINGS))
    await b2.authorize()
    return Large(b2, await b2.create_bucket())
