"""The B2 contract under scripted faults: re-auth, upload URLs, Retry-After, drops, aborts."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import aiohttp
import pytest

from gateway.b2.body import UploadBody
from gateway.b2.client import B2Client
from gateway.b2.errors import (
    B2ConnectionError,
    BucketIdNotFoundError,
    ServiceUnavailableError,
    UnauthorizedError,
    UploadNotReplayableError,
    UploadTokenUsedConcurrentlyError,
)
from gateway.b2.models import Bucket, ByteRange
from gateway.emulator.server import RunningEmulator
from tests.b2.conftest import EmulatorControl, FakeSleep, skip_unless_emulated


async def _chunks(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


async def _versions(b2: B2Client, bucket: Bucket) -> list[tuple[str, str]]:
    listing = await b2.list_file_versions(bucket.bucket_id)
    return [(f.file_name, f.action) for f in listing.files]


async def test_burst_of_50_calls_with_expired_token_reauthorises_once(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    await control.expire_tokens()
    await control.reset_counters()
    listings = await asyncio.gather(*(b2.list_file_names(bucket.bucket_id) for _ in range(50)))
    assert all(listing.files == () for listing in listings)
    counters = await control.counters()
    assert counters["b2_authorize_account"] == 1
    assert counters["b2_list_file_names"] == 100  # each call: refused once, then served
    assert b2.stats().authorizations == 2  # the first one at open, plus the single re-auth
    assert b2.stats().retries_by_cause == {"expired_auth_token": 50}


async def test_upload_after_503_succeeds_on_a_new_upload_url(
    b2: B2Client, bucket: Bucket, control: EmulatorControl, fake_sleep: FakeSleep
) -> None:
    await b2.upload_file(bucket.bucket_id, "warm", b"x")  # the pool now holds one proven URL
    await control.reset_counters()
    await control.fault("b2_upload_file", status=503, code="service_unavailable", message="busy")
    version = await b2.upload_file(bucket.bucket_id, "after-503", b"payload")
    assert version.content_sha1 == hashlib.sha1(b"payload").hexdigest()
    counters = await control.counters()
    assert counters["b2_upload_file"] == 2
    assert counters["b2_get_upload_url"] == 1  # the failed URL was dropped, not retried
    stats = b2.stats()
    assert (stats.upload_url_hits, stats.upload_url_discards) == (1, 1)
    assert stats.retries_by_cause == {"service_unavailable": 1}
    assert fake_sleep.waits == [1.0]


async def test_retry_after_is_honoured_for_api_calls(
    b2: B2Client, bucket: Bucket, control: EmulatorControl, fake_sleep: FakeSleep
) -> None:
    await control.fault(
        "b2_list_file_names", status=429, code="too_many_requests", message="x", retry_after=7
    )
    await control.fault(
        "b2_list_file_names", status=503, code="service_unavailable", message="x", retry_after=3
    )
    await b2.list_file_names(bucket.bucket_id)
    assert fake_sleep.waits == [7.0, 3.0]


async def test_retry_after_is_honoured_for_uploads(
    b2: B2Client, bucket: Bucket, control: EmulatorControl, fake_sleep: FakeSleep
) -> None:
    await control.fault(
        "b2_upload_file", status=503, code="service_unavailable", message="x", retry_after=11
    )
    await b2.upload_file(bucket.bucket_id, "f", b"data")
    assert fake_sleep.waits == [11.0]


async def test_retries_stop_at_the_policy_limit(
    b2: B2Client, bucket: Bucket, control: EmulatorControl, fake_sleep: FakeSleep
) -> None:
    await control.fault(
        "b2_list_file_names", count=10, status=503, code="service_unavailable", message="x"
    )
    with pytest.raises(ServiceUnavailableError):
        await b2.list_file_names(bucket.bucket_id)
    assert (await control.counters())["b2_list_file_names"] == 5
    assert fake_sleep.waits == [1.0, 1.5, 2.25, 3.375]


async def test_non_idempotent_call_is_not_repeated_after_503(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    await b2.upload_file(bucket.bucket_id, "f", b"data")
    await control.reset_counters()
    await control.fault("b2_hide_file", status=503, code="service_unavailable", message="x")
    with pytest.raises(ServiceUnavailableError):
        await b2.hide_file(bucket.bucket_id, "f")
    assert (await control.counters())["b2_hide_file"] == 1


async def test_non_idempotent_call_is_repeated_after_429(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    await b2.upload_file(bucket.bucket_id, "f", b"data")
    await control.fault("b2_hide_file", status=429, code="too_many_requests", message="x")
    hidden = await b2.hide_file(bucket.bucket_id, "f")
    assert hidden.action == "hide"


async def test_upload_dropped_mid_body_is_retried_when_replayable(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    data = b"r" * 200_000
    await control.fault("b2_upload_file", drop="mid_body")
    body = UploadBody.reopenable(len(data), lambda: _chunks(data))
    version = await b2.upload_file(bucket.bucket_id, "replayed", body)
    assert version.content_length == len(data)
    assert b2.stats().retries_by_cause == {"connection": 1}
    assert await _versions(b2, bucket) == [("replayed", "upload")]


async def test_upload_dropped_mid_body_is_reported_retryable_when_one_shot(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    data = b"o" * 200_000
    await control.fault("b2_upload_file", drop="mid_body")
    body = UploadBody.one_shot(len(data), _chunks(data))
    with pytest.raises(UploadNotReplayableError) as raised:
        await b2.upload_file(bucket.bucket_id, "one-shot", body)
    assert raised.value.retryable
    assert isinstance(raised.value.__cause__, B2ConnectionError)
    assert await _versions(b2, bucket) == []
    assert (await control.counters())["b2_upload_file"] == 1


async def test_one_shot_upload_is_retried_when_failure_came_before_the_body(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    await control.fault("b2_get_upload_url", status=503, code="service_unavailable", message="x")
    body = UploadBody.one_shot(5, _chunks(b"first"))
    version = await b2.upload_file(bucket.bucket_id, "one-shot", body)
    assert version.content_length == 5


async def test_finalize_raising_leaves_no_file_version(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    class ClientChecksumMismatchError(Exception):
        pass

    async def finalize() -> None:
        raise ClientChecksumMismatchError

    data = b"c" * 300_000
    with pytest.raises(ClientChecksumMismatchError):
        await b2.upload_file(
            bucket.bucket_id,
            "rejected",
            UploadBody.reopenable(len(data), lambda: _chunks(data)),
            finalize=finalize,
        )
    assert await _versions(b2, bucket) == []
    assert (await control.counters())["b2_upload_file"] == 1  # never retried
    # The connection was aborted and its URL dropped; the next upload still works.
    await b2.upload_file(bucket.bucket_id, "accepted", data, finalize=lambda: asyncio.sleep(0))
    assert await _versions(b2, bucket) == [("accepted", "upload")]
    assert b2.stats().upload_url_discards == 1


async def test_emulator_refuses_two_uploads_on_one_url(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    # Proves the next test's guarantee is observable: sharing a URL does fail.
    account = await b2.account()
    url = await b2.raw.get_upload_url(account, bucket_id=bucket.bucket_id)
    release = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"a"
        await release.wait()
        yield b"b" + hashlib.sha1(b"ab").hexdigest().encode()

    async def fast() -> AsyncIterator[bytes]:
        yield b"c" + hashlib.sha1(b"c").hexdigest().encode()

    first = asyncio.create_task(
        b2.raw.upload_file(
            url,
            file_name="slow",
            content_type="b2/x-auto",
            body=slow(),
            wire_length=42,
            content_sha1="hex_digits_at_end",
            file_info={},
        )
    )
    await control.wait_for_calls("b2_upload_file", 1)  # the slow upload holds the URL
    with pytest.raises(UploadTokenUsedConcurrentlyError):
        await b2.raw.upload_file(
            url,
            file_name="fast",
            content_type="b2/x-auto",
            body=fast(),
            wire_length=41,
            content_sha1="hex_digits_at_end",
            file_info={},
        )
    release.set()
    assert (await first).file_name == "slow"


async def test_concurrent_uploads_never_share_an_upload_url(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    async def upload(n: int) -> None:
        data = str(n).encode() * 5000
        await b2.upload_file(
            bucket.bucket_id,
            f"f{n:03d}",
            UploadBody.reopenable(len(data), lambda: _chunks(data, 1000)),
        )

    for round_ in range(3):
        await asyncio.gather(*(upload(round_ * 100 + n) for n in range(20)))
    stats = b2.stats()
    assert stats.retries_by_cause == {}  # no auth_token_limit was ever answered
    # Round 1 fetched 20 URLs; the pool keeps 16 idle, so later rounds fetch only 4 each.
    assert stats.upload_url_misses == 20 + 4 + 4
    assert stats.upload_url_hits == 16 + 16
    assert len((await b2.list_file_names(bucket.bucket_id)).files) == 60


async def test_expired_upload_token_gets_a_new_url(
    emulator_factory: object, fake_sleep: FakeSleep
) -> None:
    now = [1_700_000_000.0]
    assert callable(emulator_factory)
    emulator: RunningEmulator = await emulator_factory(
        clock=lambda: now[0], upload_token_ttl_seconds=60
    )
    async with B2Client(
        emulator.url, emulator.key_id, emulator.key, sleep=fake_sleep, clock=fake_sleep.clock
    ) as b2:
        bucket = await b2.create_bucket("upload-ttl")
        await b2.upload_file(bucket.bucket_id, "a", b"a")
        now[0] += 61
        await b2.upload_file(bucket.bucket_id, "b", b"b")
        stats = b2.stats()
        assert stats.retries_by_cause == {"expired_auth_token": 1}
        assert stats.upload_url_discards == 1
        assert stats.authorizations == 1


async def test_token_is_refreshed_before_it_expires(
    emulator: RunningEmulator, control: EmulatorControl, fake_sleep: FakeSleep
) -> None:
    async with B2Client(
        emulator.url,
        emulator.key_id,
        emulator.key,
        clock=fake_sleep.clock,
        sleep=fake_sleep,
        token_refresh_after=3600,
    ) as b2:
        await b2.list_buckets()
        fake_sleep.now += 3600
        await control.reset_counters()
        await b2.list_buckets()
        assert await control.counters() == {"b2_authorize_account": 1, "b2_list_buckets": 1}
        assert b2.stats().retries_by_cause == {}


async def test_bad_bucket_id_drops_the_cached_name(b2: B2Client, emulator: RunningEmulator) -> None:
    bucket = await b2.create_bucket("soon-gone")
    assert await b2.get_bucket("soon-gone") == bucket
    async with B2Client(emulator.url, emulator.key_id, emulator.key) as other:
        await other.delete_bucket(bucket.bucket_id)
        recreated = await other.create_bucket("soon-gone")
    assert await b2.get_bucket("soon-gone") == bucket  # still cached: nobody told us
    with pytest.raises(BucketIdNotFoundError):
        await b2.upload_file(bucket.bucket_id, "f", b"x")
    assert await b2.get_bucket("soon-gone") == recreated


async def test_download_is_retried_until_headers_and_resumed_after_a_mid_body_drop(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    data = b"d" * 500_000
    await b2.upload_file(bucket.bucket_id, "f", data)
    await control.fault(
        "b2_download_file_by_name", status=503, code="service_unavailable", message="x"
    )
    await control.fault("b2_download_file_by_name", drop="before_response")
    await control.reset_counters()
    async with b2.download_by_name(bucket.bucket_name, "f") as download:
        assert await download.read() == data
    # aiohttp itself repeats a GET once when a reused connection drops; we count the rest.
    assert (await control.counters())["b2_download_file_by_name"] == 3
    assert b2.stats().retries_by_cause["service_unavailable"] == 1

    await control.fault("b2_download_file_by_name", drop="mid_body")
    await control.reset_counters()
    async with b2.download_by_name(bucket.bucket_name, "f") as download:
        assert await download.read() == data  # resumed by id from where it broke
    assert (await control.counters()) == {
        "b2_download_file_by_name": 1,
        "b2_download_file_by_id": 1,
    }
    assert b2.stats().retries_by_cause["connection"] == 1


async def test_ranged_download_resumes_within_its_range(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    data = bytes(range(256)) * 4000
    version = await b2.upload_file(bucket.bucket_id, "f", data)
    await control.fault("b2_download_file_by_id", drop="mid_body")
    async with b2.download_by_id(version.require_id(), byte_range=ByteRange(1000, 800_999)) as d:
        assert await d.read() == data[1000:801_000]


async def test_download_broken_more_often_than_the_policy_allows_raises(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    data = b"d" * 500_000
    await b2.upload_file(bucket.bucket_id, "f", data)
    await control.fault("b2_download_file_by_name", drop="mid_body")
    await control.fault("b2_download_file_by_id", count=10, drop="mid_body")
    received = 0

    async def read_all() -> None:
        nonlocal received
        async with b2.download_by_name(bucket.bucket_name, "f") as download:
            async for chunk in download.iter_chunks():
                received += len(chunk)

    with pytest.raises(B2ConnectionError):
        await read_all()
    assert 0 < received < len(data)
    assert (await control.counters())["b2_download_file_by_id"] == 4  # max_attempts - 1 resumes


async def test_head_after_token_expiry_reauthorises_from_a_bodiless_401(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    await b2.upload_file(bucket.bucket_id, "f", b"head me")
    await control.expire_tokens()
    info = await b2.head_by_name(bucket.bucket_name, "f")
    assert info.content_length == len(b"head me")
    assert b2.stats().authorizations == 2


async def test_bad_keys_are_tried_once_per_open_never_looped(
    emulator: RunningEmulator, control: EmulatorControl
) -> None:
    await control.reset_counters()
    client = B2Client(emulator.url, emulator.key_id, "not-the-key")
    with pytest.raises(UnauthorizedError):
        await client.open()
    assert await control.counters() == {"b2_authorize_account": 1}


async def test_source_failing_mid_body_propagates_and_leaves_no_file(
    b2: B2Client, bucket: Bucket, control: EmulatorControl
) -> None:
    class ClientWentAwayError(Exception):
        pass

    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * 100_000
        raise ClientWentAwayError

    body = UploadBody.reopenable(200_000, broken)
    with pytest.raises(ClientWentAwayError):
        await b2.upload_file(bucket.bucket_id, "partial", body)
    assert await _versions(b2, bucket) == []
    assert (await control.counters())["b2_upload_file"] == 1


async def test_parts_upload_concurrently_on_pooled_urls_and_survive_drops(
    emulator_factory: object, fake_sleep: FakeSleep
) -> None:
    assert callable(emulator_factory)
    emulator: RunningEmulator = await emulator_factory(absolute_minimum_part_size=100_000)
    await skip_unless_emulated(
        emulator, "b2_start_large_file", "b2_get_upload_part_url", "b2_finish_large_file"
    )
    async with B2Client(
        emulator.url, emulator.key_id, emulator.key, sleep=fake_sleep, clock=fake_sleep.clock
    ) as b2:
        bucket = await b2.create_bucket("parts-bucket")
        started = await b2.start_large_file(bucket.bucket_id, "large")
        file_id = started.require_id()
        parts_data = [bytes([n]) * 150_000 for n in range(1, 9)]
        async with aiohttp.ClientSession() as http:
            control = EmulatorControl(emulator.url, http)
            await control.fault("b2_upload_part", drop="mid_body")
            await control.fault(
                "b2_upload_part", status=503, code="service_unavailable", message="x"
            )

            async def upload(number: int, data: bytes) -> str:
                body = UploadBody.reopenable(len(data), lambda: _chunks(data, 10_000))
                return (await b2.upload_part(file_id, number, body)).content_sha1

            sha1s = await asyncio.gather(*(upload(n, d) for n, d in enumerate(parts_data, start=1)))
            finished = await b2.finish_large_file(file_id, tuple(sha1s))
            assert finished.content_length == sum(map(len, parts_data))
            stats = b2.stats()
            assert "auth_token_limit" not in stats.retries_by_cause
            assert stats.upload_url_discards == 2
        async with b2.download_by_id(file_id) as download:
            assert await download.read() == b"".join(parts_data)
