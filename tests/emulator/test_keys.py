"""Application keys, and the capability / bucket / name-prefix refusals they cause."""

from __future__ import annotations

from typing import Any

import b2sdk.v2
import pytest

from gateway.emulator.server import RunningEmulator
from tests.emulator.raw import B2Raw, basic


async def _key(b2: B2Raw, version: int = 4, **body: Any) -> Any:
    return await b2.ok(
        "b2_create_key",
        {"accountId": b2.account_id, "keyName": "test-key", **body},
        version=version,
    )


async def _as_key(b2: B2Raw, key: Any, version: int = 4) -> B2Raw:
    restricted = B2Raw(b2.session, b2.emulator)
    await restricted.authorize(version, key["applicationKeyId"], key["applicationKey"])
    return restricted


async def test_create_key_shape_v2_like_recording(b2: B2Raw) -> None:
    await b2.authorize(2)
    key = await _key(b2, version=2, capabilities=["listFiles"])
    assert set(key) == {
        "accountId", "applicationKey", "applicationKeyId", "authorizationToken", "bucketId",
        "capabilities",
        "expirationTimestamp", "keyName", "namePrefix", "options",
    }  # fmt: skip
    assert key["options"] == ["s3"]


async def test_create_key_v4_has_bucket_ids(b2: B2Raw, bucket: Any) -> None:
    key = await _key(b2, capabilities=["listFiles"], bucketIds=[bucket["bucketId"]])
    assert key["bucketIds"] == [bucket["bucketId"]]
    storage = (await (await _as_key(b2, key)).authorize())["apiInfo"]["storageApi"]
    assert storage["allowed"]["buckets"] == [
        {"id": bucket["bucketId"], "name": bucket["bucketName"]}
    ]


async def test_list_and_delete_keys(b2: B2Raw) -> None:
    made = [await _key(b2, capabilities=["listFiles"]) for _ in range(3)]
    listed = await b2.ok("b2_list_keys", {"accountId": b2.account_id, "maxKeyCount": 2})
    assert len(listed["keys"]) == 2
    assert "applicationKey" not in listed["keys"][0]
    rest = await b2.ok(
        "b2_list_keys",
        {"accountId": b2.account_id, "startApplicationKeyId": listed["nextApplicationKeyId"]},
    )
    assert len(rest["keys"]) == 1
    assert rest["nextApplicationKeyId"] is None
    restricted = await _as_key(b2, made[0])
    deleted = await b2.ok("b2_delete_key", {"applicationKeyId": made[0]["applicationKeyId"]})
    assert deleted["applicationKeyId"] == made[0]["applicationKeyId"]
    reply = await restricted.call("b2_list_file_names", {"bucketId": "x"})
    assert (reply.status, reply.code) == (401, "bad_auth_token")


@pytest.mark.parametrize(
    "body",
    [
        {"capabilities": []},
        {"capabilities": ["noSuchCapability"]},
        {"capabilities": ["listFiles"], "keyName": "bad name"},
        {"capabilities": ["listFiles"], "validDurationInSeconds": 0},
    ],
)
async def test_create_key_rejects_bad_input(b2: B2Raw, body: dict[str, Any]) -> None:
    reply = await b2.call("b2_create_key", {"accountId": b2.account_id, "keyName": "k", **body})
    assert (reply.status, reply.code) == (400, "bad_request")


async def test_missing_capability_is_unauthorized(b2: B2Raw, bucket: Any) -> None:
    reader = await _as_key(b2, await _key(b2, capabilities=["listBuckets", "listFiles"]))
    new_bucket = {"accountId": b2.account_id, "bucketName": "nope-nope", "bucketType": "allPrivate"}
    for name, body in [
        ("b2_get_upload_url", {"bucketId": bucket["bucketId"]}),
        ("b2_create_bucket", new_bucket),
        ("b2_hide_file", {"bucketId": bucket["bucketId"], "fileName": "x"}),
        ("b2_list_keys", {"accountId": b2.account_id}),
    ]:
        reply = await reader.call(name, body)
        assert (reply.status, reply.code) == (401, "unauthorized"), name
    assert (await reader.call("b2_list_file_names", {"bucketId": bucket["bucketId"]})).status == 200


async def test_download_needs_read_files(b2: B2Raw, bucket: Any) -> None:
    await b2.uploaded(bucket["bucketId"], "f.txt")
    lister = await _as_key(b2, await _key(b2, capabilities=["listFiles"]))
    reply = await lister.download_by_name(bucket["bucketName"], "f.txt")
    assert (reply.status, reply.code) == (401, "unauthorized")


async def test_bucket_restricted_key(b2: B2Raw, bucket: Any) -> None:
    other = await b2.create_bucket()
    key = await _key(
        b2, capabilities=["listBuckets", "listFiles", "writeFiles"], bucketIds=[bucket["bucketId"]]
    )
    restricted = await _as_key(b2, key)
    unnamed = await restricted.call("b2_list_buckets", {"accountId": b2.account_id})
    assert (unnamed.status, unnamed.code) == (401, "unauthorized")
    named = await restricted.ok(
        "b2_list_buckets", {"accountId": b2.account_id, "bucketId": bucket["bucketId"]}
    )
    assert [b["bucketId"] for b in named["buckets"]] == [bucket["bucketId"]]
    elsewhere = await restricted.call("b2_get_upload_url", {"bucketId": other["bucketId"]})
    assert (elsewhere.status, elsewhere.code) == (401, "unauthorized")
    assert (
        await restricted.call("b2_get_upload_url", {"bucketId": bucket["bucketId"]})
    ).status == 200


async def test_bucket_restricted_key_v2_allowed(b2: B2Raw, bucket: Any) -> None:
    key = await _key(b2, capabilities=["listFiles"], bucketIds=[bucket["bucketId"]])
    allowed = (await (await _as_key(b2, key)).authorize(2))["allowed"]
    assert (allowed["bucketId"], allowed["bucketName"]) == (
        bucket["bucketId"],
        bucket["bucketName"],
    )


async def test_name_prefix_key(b2: B2Raw, bucket: Any) -> None:
    await b2.uploaded(bucket["bucketId"], "secret/x")
    key = await _key(
        b2,
        capabilities=["listFiles", "readFiles", "writeFiles"],
        bucketIds=[bucket["bucketId"]],
        namePrefix="public/",
    )
    restricted = await _as_key(b2, key)
    ok = await restricted.uploaded(bucket["bucketId"], "public/y")
    assert ok["fileName"] == "public/y"
    outside = await restricted.upload(bucket["bucketId"], "secret/z")
    assert (outside.status, outside.code) == (401, "unauthorized")
    listing = await restricted.call("b2_list_file_names", {"bucketId": bucket["bucketId"]})
    assert (listing.status, listing.code) == (401, "unauthorized")
    inside = await restricted.ok(
        "b2_list_file_names", {"bucketId": bucket["bucketId"], "prefix": "public/"}
    )
    assert [f["fileName"] for f in inside["files"]] == ["public/y"]
    download = await restricted.download_by_name(bucket["bucketName"], "secret/x")
    assert (download.status, download.code) == (401, "unauthorized")


async def test_multi_bucket_key_only_on_v4(b2: B2Raw, bucket: Any) -> None:
    other = await b2.create_bucket()
    key = await _key(
        b2, capabilities=["listFiles"], bucketIds=[bucket["bucketId"], other["bucketId"]]
    )
    reply = await b2.request(
        "GET",
        f"{b2.url}/b2api/v3/b2_authorize_account",
        headers={"Authorization": basic(key["applicationKeyId"], key["applicationKey"])},
    )
    assert (reply.status, reply.code) == (401, "unsupported")
    listed = await b2.ok("b2_list_keys", {"accountId": b2.account_id}, version=3)
    assert listed["keys"] == []


def test_b2sdk_keys_restrict_what_a_key_can_do(threaded_emulator: RunningEmulator) -> None:
    master = b2sdk.v2.B2Api(b2sdk.v2.InMemoryAccountInfo())
    master.authorize_account(threaded_emulator.url, threaded_emulator.key_id, threaded_emulator.key)
    bucket = master.create_bucket("keyed-bucket", "allPrivate")
    master.create_bucket("other-bucket", "allPrivate")
    created = master.create_key(
        ["listBuckets", "listFiles", "readFiles", "writeFiles"],
        "limited-key",
        bucket_id=bucket.id_,
        name_prefix="ok/",
    )
    assert [k.id_ for k in master.list_keys()] == [created.id_]
    limited = b2sdk.v2.B2Api(b2sdk.v2.InMemoryAccountInfo())
    limited.authorize_account(threaded_emulator.url, created.id_, created.application_key)
    own = limited.get_bucket_by_name("keyed-bucket")
    own.upload_bytes(b"fine", "ok/file.txt")
    # b2sdk retries an upload refusal with fresh upload URLs, as it would against B2.
    with pytest.raises(b2sdk.v2.exception.MaxRetriesExceeded, match="unauthorized"):
        own.upload_bytes(b"nope", "elsewhere.txt")
    with pytest.raises(b2sdk.v2.exception.B2Error):
        limited.create_bucket("forbidden-bucket", "allPrivate")
    master.delete_key(created)
    assert list(master.list_keys()) == []


async def test_unreadable_settings_are_hidden_from_a_restricted_key(b2: B2Raw, bucket: Any) -> None:
    await b2.uploaded(bucket["bucketId"], "f")
    restricted = await _as_key(b2, await _key(b2, capabilities=["listBuckets", "listFiles"]))
    listed = await restricted.ok("b2_list_buckets", {"accountId": b2.account_id})
    for field in (
        "defaultServerSideEncryption",
        "fileLockConfiguration",
        "replicationConfiguration",
    ):
        assert listed["buckets"][0][field] == {"isClientAuthorizedToRead": False, "value": None}
    files = await restricted.ok("b2_list_file_names", {"bucketId": bucket["bucketId"]})
    assert files["files"][0]["fileRetention"] == {"isClientAuthorizedToRead": False, "value": None}
    assert files["files"][0]["legalHold"] == {"isClientAuthorizedToRead": False, "value": None}
