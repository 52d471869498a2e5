"""The bucket name cache: concurrent first lookups share one `b2_list_buckets`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.b2.client import B2Client
from gateway.b2.errors import BadRequestError
from gateway.b2.models import Bucket
from gateway.emulator.server import RunningEmulator
from tests.b2.conftest import EmulatorControl


@pytest.fixture
async def cold(emulator: RunningEmulator) -> AsyncIterator[B2Client]:
    """A second client: nothing cached about buckets the `b2` fixture creates."""
    async with B2Client(emulator.url, emulator.key_id, emulator.key) as client:
        yield client


async def _list_buckets_calls(control: EmulatorControl) -> int:
    return (await control.counters()).get("b2_list_buckets", 0)


async def test_get_bucket_concurrent_misses_share_one_lookup(
    cold: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    await control.reset_counters()
    found = await asyncio.gather(*(cold.get_bucket(bucket.bucket_name) for _ in range(16)))
    assert found == [bucket] * 16
    assert await _list_buckets_calls(control) == 1
    assert await cold.get_bucket(bucket.bucket_name) == bucket  # now cached
    assert await _list_buckets_calls(control) == 1


async def test_get_bucket_absent_is_shared_but_not_remembered(
    cold: B2Client, control: EmulatorControl
) -> None:
    await control.reset_counters()
    found = await asyncio.gather(*(cold.get_bucket("no-such-bucket") for _ in range(8)))
    assert found == [None] * 8
    assert await _list_buckets_calls(control) == 1
    assert await cold.get_bucket("no-such-bucket") is None  # asked again: it may exist now
    assert await _list_buckets_calls(control) == 2


async def test_get_bucket_failure_reaches_every_waiter_and_is_not_cached(
    cold: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    await control.reset_counters()
    await control.fault("b2_list_buckets", status=400, code="bad_request", message="refused")
    outcomes = await asyncio.gather(
        *(cold.get_bucket(bucket.bucket_name) for _ in range(4)), return_exceptions=True
    )
    assert all(isinstance(outcome, BadRequestError) for outcome in outcomes)
    assert await _list_buckets_calls(control) == 1
    assert await cold.get_bucket(bucket.bucket_name) == bucket
    assert await _list_buckets_calls(control) == 2


async def test_get_bucket_waiter_cancelled_leaves_the_lookup_to_the_others(
    cold: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    await control.reset_counters()
    first = asyncio.ensure_future(cold.get_bucket(bucket.bucket_name))
    second = asyncio.ensure_future(cold.get_bucket(bucket.bucket_name))
    await asyncio.sleep(0)  # both are now waiting on the one lookup
    first.cancel()
    assert await second == bucket
    assert first.cancelled()
    assert await _list_buckets_calls(control) == 1
