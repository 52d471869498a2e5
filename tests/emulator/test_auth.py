"""b2_authorize_account shapes per version, and token errors on every kind of call."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.emulator.server import RunningEmulator
from tests.emulator.raw import B2Raw, basic


async def test_authorize_v1_and_v2_are_flat_with_allowed(b2: B2Raw) -> None:
    for version in (1, 2):
        body = await b2.authorize(version)
        assert set(body) >= {
            "accountId", "authorizationToken", "apiUrl", "downloadUrl",
            "recommendedPartSize", "absoluteMinimumPartSize", "allowed",
        }  # fmt: skip
        assert set(body["allowed"]) == {"bucketId", "bucketName", "capabilities", "namePrefix"}
        assert "listBuckets" in body["allowed"]["capabilities"]
        assert body["apiUrl"] == b2.url


async def test_authorize_v3_has_flat_storage_api(b2: B2Raw) -> None:
    storage = (await b2.authorize(3))["apiInfo"]["storageApi"]
    assert set(storage) >= {
        "bucketId", "bucketName", "capabilities", "namePrefix", "infoType", "apiUrl",
        "downloadUrl", "s3ApiUrl", "recommendedPartSize", "absoluteMinimumPartSize",
    }  # fmt: skip
    assert storage["infoType"] == "storageApi"


async def test_authorize_v4_has_allowed_buckets(b2: B2Raw) -> None:
    storage = (await b2.authorize(4))["apiInfo"]["storageApi"]
    assert storage["allowed"] == {
        "buckets": None,
        "capabilities": storage["capabilities"],
        "namePrefix": None,
    }
    assert storage["absoluteMinimumPartSize"] == 5_000_000


async def test_authorize_by_get_works(b2: B2Raw) -> None:
    reply = await b2.request(
        "GET",
        f"{b2.url}/b2api/v1/b2_authorize_account",
        headers={"Authorization": basic(b2.emulator.key_id, b2.emulator.key)},
    )
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert reply.headers["Cache-Control"] == "max-age=0, no-cache, no-store"
    assert "Date" in reply.headers


@pytest.mark.parametrize(
    "authorization", [basic("nope", "nope"), "Basic !!!", "Bearer x", None], ids=str
)
async def test_authorize_bad_credentials_is_401_like_the_recording(
    b2: B2Raw, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    reply = await b2.request("GET", f"{b2.url}/b2api/v2/b2_authorize_account", headers=headers)
    assert reply.status == 401
    assert reply.json() == {"code": "bad_auth_token", "message": "", "status": 401}
    assert reply.headers["WWW-Authenticate"] == 'BASIC realm="authorize_account"'
    assert reply.headers["Content-Type"] == "application/json;charset=utf-8"


async def test_wrong_secret_is_refused(b2: B2Raw) -> None:
    reply = await b2.request(
        "GET",
        f"{b2.url}/b2api/v4/b2_authorize_account",
        headers={"Authorization": basic(b2.emulator.key_id, b2.emulator.key + "x")},
    )
    assert reply.status == 401


@pytest.mark.parametrize(
    ("token", "code"),
    [("", "missing_auth_token"), ("not-a-token", "bad_auth_token")],
)
async def test_list_buckets_with_bad_token(b2: B2Raw, token: str, code: str) -> None:
    reply = await b2.call("b2_list_buckets", {"accountId": b2.account_id}, token=token)
    assert reply.status == 401
    assert reply.json() == {"status": 401, "code": code, "message": reply.json()["message"]}


async def test_expired_token_after_control_expiry(b2: B2Raw) -> None:
    await b2.request("POST", f"{b2.url}/_emulator/expire_tokens")
    reply = await b2.call("b2_list_buckets", {"accountId": b2.account_id})
    assert (reply.status, reply.code) == (401, "expired_auth_token")
    await b2.authorize()
    assert (await b2.call("b2_list_buckets", {"accountId": b2.account_id})).status == 200


async def test_token_expires_with_injected_clock(emulator_factory: Any, http: Any) -> None:
    now = [1_700_000_000.0]
    emulator: RunningEmulator = await emulator_factory(clock=lambda: now[0], token_ttl_seconds=60)
    b2 = B2Raw(http, emulator)
    await b2.authorize()
    assert (await b2.call("b2_list_buckets", {"accountId": b2.account_id})).status == 200
    now[0] += 61
    reply = await b2.call("b2_list_buckets", {"accountId": b2.account_id})
    assert (reply.status, reply.code) == (401, "expired_auth_token")


async def test_upload_token_expires_with_injected_clock(emulator_factory: Any, http: Any) -> None:
    now = [1_700_000_000.0]
    emulator = await emulator_factory(clock=lambda: now[0], upload_token_ttl_seconds=10)
    b2 = B2Raw(http, emulator)
    await b2.authorize()
    bucket = await b2.create_bucket()
    target = await b2.upload_url(bucket["bucketId"])
    assert (await b2.upload(bucket["bucketId"], "a", target=target)).status == 200
    now[0] += 11
    reply = await b2.upload(bucket["bucketId"], "a", target=target)
    assert (reply.status, reply.code) == (401, "expired_auth_token")


async def test_upload_with_account_token_is_bad_auth_token(b2: B2Raw, bucket: Any) -> None:
    url, _ = await b2.upload_url(bucket["bucketId"])
    reply = await b2.upload(bucket["bucketId"], "a", target=(url, b2.token))
    assert (reply.status, reply.code) == (401, "bad_auth_token")


async def test_upload_without_token_is_missing_auth_token(b2: B2Raw, bucket: Any) -> None:
    url, _ = await b2.upload_url(bucket["bucketId"])
    reply = await b2.upload(bucket["bucketId"], "a", target=(url, ""))
    assert (reply.status, reply.code) == (401, "missing_auth_token")


async def test_unknown_call_is_404(b2: B2Raw) -> None:
    reply = await b2.call("b2_no_such_call", {})
    assert (reply.status, reply.code) == (404, "not_found")


async def test_unsupported_method_is_405(b2: B2Raw) -> None:
    reply = await b2.request("PUT", f"{b2.url}/b2api/v4/b2_list_buckets")
    assert (reply.status, reply.code) == (405, "method_not_allowed")
