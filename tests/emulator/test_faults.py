"""The /_emulator fault-control surface and the real service's X-Bz-Test-Mode header."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from tests.emulator.raw import B2Raw, eventually


async def _fault(b2: B2Raw, **body: Any) -> None:
    reply = await b2.request("POST", f"{b2.url}/_emulator/faults", json=body)
    assert reply.status == 200, reply.body


async def test_queued_status_fault_hits_next_calls_then_clears(b2: B2Raw, bucket: Any) -> None:
    await _fault(b2, endpoint="b2_upload_file", count=2, status=503, retry_after=3)
    for _ in range(2):
        reply = await b2.upload(bucket["bucketId"], "f")
        assert reply.status == 503
        assert reply.json() == {
            "status": 503,
            "code": "service_unavailable",
            "message": "injected fault",
        }
        assert reply.headers["Retry-After"] == "3"
    assert (await b2.upload(bucket["bucketId"], "f")).status == 200


async def test_fault_with_custom_code_on_json_call(b2: B2Raw) -> None:
    await _fault(
        b2, endpoint="b2_list_buckets", status=429, code="too_many_requests", message="slow down"
    )
    reply = await b2.call("b2_list_buckets", {"accountId": b2.account_id})
    assert reply.json() == {"status": 429, "code": "too_many_requests", "message": "slow down"}


async def test_clear_faults(b2: B2Raw) -> None:
    await _fault(b2, endpoint="b2_list_buckets", status=500, code="internal_error")
    await b2.request("DELETE", f"{b2.url}/_emulator/faults")
    assert (await b2.call("b2_list_buckets", {"accountId": b2.account_id})).status == 200


async def test_counters_count_every_call_including_failures(b2: B2Raw, bucket: Any) -> None:
    await b2.request("DELETE", f"{b2.url}/_emulator/counters")
    await _fault(b2, endpoint="b2_list_file_names", status=503)
    await b2.call("b2_list_file_names", {"bucketId": bucket["bucketId"]})
    await b2.call("b2_list_file_names", {"bucketId": bucket["bucketId"]})
    await b2.upload(bucket["bucketId"], "x")
    counters = (await b2.request("GET", f"{b2.url}/_emulator/counters")).json()
    assert counters == {"b2_list_file_names": 2, "b2_get_upload_url": 1, "b2_upload_file": 1}


async def test_drop_before_response_on_upload_still_stores(b2: B2Raw, bucket: Any) -> None:
    await _fault(b2, endpoint="b2_upload_file", drop="before_response")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await b2.upload(bucket["bucketId"], "ghost")
    names = await b2.ok("b2_list_file_names", {"bucketId": bucket["bucketId"]})
    assert [f["fileName"] for f in names["files"]] == ["ghost"]


async def test_drop_mid_body_on_upload_stores_nothing(b2: B2Raw, bucket: Any) -> None:
    await _fault(b2, endpoint="b2_upload_file", drop="mid_body")
    data = b"x" * 300_000
    with pytest.raises(aiohttp.ClientError):
        await b2.upload(bucket["bucketId"], "partial", data)
    versions = await b2.ok("b2_list_file_versions", {"bucketId": bucket["bucketId"]})
    assert versions["files"] == []


async def test_drop_mid_body_on_download(b2: B2Raw, bucket: Any) -> None:
    await b2.uploaded(bucket["bucketId"], "d", b"y" * 100_000)
    await _fault(b2, endpoint="b2_download_file_by_name", drop="mid_body")
    with pytest.raises(aiohttp.ClientPayloadError):
        await b2.download_by_name(bucket["bucketName"], "d")
    assert (await b2.download_by_name(bucket["bucketName"], "d")).status == 200


async def test_drop_before_response_on_download(b2: B2Raw, bucket: Any) -> None:
    await b2.uploaded(bucket["bucketId"], "d")
    # aiohttp retries an idempotent GET once when a reused connection drops: fault both.
    await _fault(b2, endpoint="b2_download_file_by_name", drop="before_response", count=2)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await b2.download_by_name(bucket["bucketName"], "d")


async def test_delay_fault_then_success(b2: B2Raw) -> None:
    await _fault(b2, endpoint="b2_list_buckets", delay=0.01)
    assert (await b2.call("b2_list_buckets", {"accountId": b2.account_id})).status == 200


async def test_fault_on_authorize(b2: B2Raw) -> None:
    await _fault(b2, endpoint="b2_authorize_account", status=503)
    reply = await b2.call("b2_authorize_account", {})
    assert reply.status == 503


@pytest.mark.parametrize(
    "body",
    [{"endpoint": "nope", "status": 503}, {"endpoint": "b2_x"}, {"endpoint": "b2_x", "drop": "x"}],
)
async def test_bad_fault_requests_are_refused(b2: B2Raw, body: dict[str, Any]) -> None:
    reply = await b2.request("POST", f"{b2.url}/_emulator/faults", json=body)
    assert reply.status == 400


async def test_control_surface_is_404_when_faults_disabled(
    emulator_factory: Any, http: aiohttp.ClientSession
) -> None:
    emulator = await emulator_factory(faults=False)
    for method, path in [("POST", "faults"), ("GET", "counters"), ("POST", "expire_tokens")]:
        async with http.request(method, f"{emulator.url}/_emulator/{path}", json={}) as reply:
            assert reply.status == 404


async def test_test_mode_fail_some_uploads_is_seeded(
    emulator_factory: Any, http: aiohttp.ClientSession
) -> None:
    async def statuses() -> list[int]:
        b2 = B2Raw(http, await emulator_factory(seed=7))
        await b2.authorize()
        bucket = await b2.create_bucket("seeded-bucket")
        target = await b2.upload_url(bucket["bucketId"])
        headers = {"X-Bz-Test-Mode": "fail_some_uploads"}
        return [
            (await b2.upload(bucket["bucketId"], "f", headers=headers, target=target)).status
            for _ in range(20)
        ]

    first = await statuses()
    assert set(first) == {200, 503}
    assert await statuses() == first


async def test_test_mode_expire_tokens(emulator_factory: Any, http: aiohttp.ClientSession) -> None:
    b2 = B2Raw(http, await emulator_factory(seed=3))
    await b2.authorize()
    headers = {
        "Authorization": b2.token,
        "X-Bz-Test-Mode": "expire_some_account_authorization_tokens",
    }
    url = f"{b2.url}/b2api/v4/b2_list_buckets"
    codes = set()
    for _ in range(40):
        reply = await b2.request("POST", url, headers=headers, json={"accountId": b2.account_id})
        codes.add(reply.status)
        if reply.status == 401:
            assert reply.code == "expired_auth_token"
            break
    assert 401 in codes


async def test_test_mode_force_cap_exceeded(b2: B2Raw) -> None:
    reply = await b2.request(
        "POST",
        f"{b2.url}/b2api/v4/b2_list_buckets",
        headers={"Authorization": b2.token, "X-Bz-Test-Mode": "force_cap_exceeded"},
        json={"accountId": b2.account_id},
    )
    assert (reply.status, reply.code) == (403, "cap_exceeded")


async def test_slow_upload_counter_visible_while_in_flight(b2: B2Raw, bucket: Any) -> None:
    release = asyncio.Event()
    data = b"z" * 1000
    target = await b2.upload_url(bucket["bucketId"])
    task = b2.start_stalled_upload(target, "slow", data, release, sent=1)

    async def counted() -> bool:
        return await b2.upload_count() == 1

    await eventually(counted)
    release.set()
    assert (await task).status == 200
    assert (await b2.download_by_name(bucket["bucketName"], "slow")).body == data


async def test_internal_failure_is_a_json_500_or_a_cut_stream(b2: B2Raw, bucket: Any) -> None:
    """A lost blob (disk trouble): JSON calls answer 500 internal_error, downloads are cut."""
    source = await b2.uploaded(bucket["bucketId"], "lost", b"x" * 100_000)
    state = b2.emulator.state
    segments = await state.store.meta(lambda db: db.segments(source["fileId"]))
    state.store.blobs.path(segments[0].blob).unlink()
    reply = await b2.call(
        "b2_copy_file", {"sourceFileId": source["fileId"], "fileName": "c", "range": "bytes=0-9"}
    )
    assert reply.status == 500
    assert reply.json() == {"status": 500, "code": "internal_error", "message": "internal error"}
    with pytest.raises(aiohttp.ClientPayloadError):
        await b2.download_by_name(bucket["bucketName"], "lost")
