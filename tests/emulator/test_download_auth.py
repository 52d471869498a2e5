"""b2_get_download_authorization and ``?Authorization=`` downloads."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from typing import Any

import aiohttp
import b2sdk.v2
import pytest

from gateway.emulator.server import RunningEmulator
from tests.emulator.raw import B2Raw


def test_b2sdk_download_authorization_url(threaded_emulator: RunningEmulator) -> None:
    api = b2sdk.v2.B2Api(b2sdk.v2.InMemoryAccountInfo())
    api.authorize_account(threaded_emulator.url, threaded_emulator.key_id, threaded_emulator.key)
    bucket = api.create_bucket("shared-bucket", "allPrivate")
    bucket.upload_bytes(b"shared", "files/a.txt")
    bucket.upload_bytes(b"private", "other/b.txt")
    token = bucket.get_download_authorization("files/", 300)
    url = bucket.get_download_url("files/a.txt")
    with urllib.request.urlopen(f"{url}?Authorization={token}") as response:
        assert response.read() == b"shared"
    other = bucket.get_download_url("other/b.txt")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{other}?Authorization={token}")
    assert caught.value.code == 401
    caught.value.close()
    out = io.BytesIO()
    bucket.download_file_by_name("other/b.txt").save(out)
    assert out.getvalue() == b"private"


async def _authorization(b2: B2Raw, bucket: Any, **extra: Any) -> str:
    body = await b2.ok(
        "b2_get_download_authorization",
        {
            "bucketId": bucket["bucketId"],
            "fileNamePrefix": "test",
            "validDurationInSeconds": 30000,
            **extra,
        },
    )
    assert set(body) == {"authorizationToken", "bucketId", "fileNamePrefix"}
    return str(body["authorizationToken"])


async def test_download_authorization_by_header_and_query(b2: B2Raw, bucket: Any) -> None:
    await b2.uploaded(bucket["bucketId"], "test-file.txt", b"Some text\n")
    token = await _authorization(b2, bucket)
    by_query = await b2.download_by_name(
        bucket["bucketName"], "test-file.txt", auth=False, params={"Authorization": token}
    )
    assert by_query.body == b"Some text\n"
    by_header = await b2.download_by_name(
        bucket["bucketName"], "test-file.txt", auth=False, headers={"Authorization": token}
    )
    assert by_header.status == 200


async def test_download_authorization_is_not_an_account_token(b2: B2Raw, bucket: Any) -> None:
    token = await _authorization(b2, bucket)
    reply = await b2.call("b2_list_buckets", {"accountId": b2.account_id}, token=token)
    assert (reply.status, reply.code) == (401, "bad_auth_token")


async def test_download_authorization_overrides_must_repeat(b2: B2Raw, bucket: Any) -> None:
    await b2.uploaded(bucket["bucketId"], "test-file.txt")
    token = await _authorization(b2, bucket, b2CacheControl="must-revalidate")
    without = await b2.download_by_name(
        bucket["bucketName"], "test-file.txt", auth=False, params={"Authorization": token}
    )
    assert (without.status, without.code) == (401, "unauthorized")
    repeated = await b2.download_by_name(
        bucket["bucketName"],
        "test-file.txt",
        auth=False,
        params={"Authorization": token, "b2CacheControl": "must-revalidate"},
    )
    assert repeated.headers["Cache-Control"] == "must-revalidate"


async def test_download_authorization_expires(
    emulator_factory: Any, http: aiohttp.ClientSession
) -> None:
    now = [1_700_000_000.0]
    b2 = B2Raw(http, await emulator_factory(clock=lambda: now[0]))
    await b2.authorize()
    bucket = await b2.create_bucket()
    await b2.uploaded(bucket["bucketId"], "test-file.txt")
    body = await b2.ok(
        "b2_get_download_authorization",
        {"bucketId": bucket["bucketId"], "fileNamePrefix": "", "validDurationInSeconds": 10},
    )
    now[0] += 11
    reply = await b2.download_by_name(
        bucket["bucketName"], "test-file.txt", auth=False,
        params={"Authorization": body["authorizationToken"]},
    )  # fmt: skip
    assert (reply.status, reply.code) == (401, "expired_auth_token")


@pytest.mark.parametrize("seconds", [0, 604_801])
async def test_download_authorization_duration_limits(b2: B2Raw, bucket: Any, seconds: int) -> None:
    reply = await b2.call(
        "b2_get_download_authorization",
        {"bucketId": bucket["bucketId"], "fileNamePrefix": "", "validDurationInSeconds": seconds},
    )
    assert (reply.status, reply.code) == (400, "bad_request")
