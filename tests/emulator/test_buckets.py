"""Bucket calls: shapes, name rules, uniqueness, limits, filters, revisions, deletion."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.raw import B2Raw

BUCKET_FIELDS = {
    "accountId", "bucketId", "bucketInfo", "bucketName", "bucketType", "corsRules",
    "defaultServerSideEncryption", "fileLockConfiguration", "lifecycleRules", "options",
    "replicationConfiguration", "revision",
}  # fmt: skip


async def test_create_bucket_returns_full_bucket_object(b2: B2Raw) -> None:
    body = await b2.create_bucket("my-first-bucket")
    assert set(body) == BUCKET_FIELDS
    assert len(body["bucketId"]) == 24
    assert int(body["bucketId"], 16) >= 0
    assert body["revision"] == 2
    assert body["defaultServerSideEncryption"] == {
        "isClientAuthorizedToRead": True,
        "value": {"algorithm": None, "mode": None},
    }
    assert body["fileLockConfiguration"]["value"]["isFileLockEnabled"] is False


@pytest.mark.parametrize(
    "name",
    ["short", "x" * 64, "has_underscore", "has.dot", "b2-reserved", "B2-reserved", "spa ce-bucket"],
)
async def test_create_bucket_rejects_invalid_names(b2: B2Raw, name: str) -> None:
    reply = await b2.call(
        "b2_create_bucket",
        {"accountId": b2.account_id, "bucketName": name, "bucketType": "allPrivate"},
    )
    assert (reply.status, reply.code) == (400, "bad_request")


@pytest.mark.parametrize("name", ["sixsix", "x" * 63, "UPPER-and-lower-123"])
async def test_create_bucket_accepts_valid_names(b2: B2Raw, name: str) -> None:
    assert (await b2.create_bucket(name))["bucketName"] == name


async def test_duplicate_bucket_name_is_case_insensitive(b2: B2Raw) -> None:
    await b2.create_bucket("Same-Name")
    reply = await b2.call(
        "b2_create_bucket",
        {"accountId": b2.account_id, "bucketName": "same-name", "bucketType": "allPrivate"},
    )
    assert reply.status == 400
    assert reply.json() == {
        "status": 400,
        "code": "duplicate_bucket_name",
        "message": "Bucket name is already in use.",
    }


async def test_bucket_limit(emulator_factory: Any, http: Any) -> None:
    b2 = B2Raw(http, await emulator_factory(max_buckets=2))
    await b2.authorize()
    await b2.create_bucket()
    await b2.create_bucket()
    reply = await b2.call(
        "b2_create_bucket",
        {"accountId": b2.account_id, "bucketName": "one-too-many", "bucketType": "allPrivate"},
    )
    assert (reply.status, reply.code) == (400, "too_many_buckets")


async def test_create_bucket_rejects_bad_type(b2: B2Raw) -> None:
    reply = await b2.call(
        "b2_create_bucket",
        {"accountId": b2.account_id, "bucketName": "typed-bucket", "bucketType": "snapshot"},
    )
    assert (reply.status, reply.code) == (400, "bad_request")


async def test_list_buckets_sorted_and_filtered(b2: B2Raw) -> None:
    await b2.create_bucket("zzz-public", "allPublic")
    await b2.create_bucket("aaa-private")
    everything = await b2.ok(
        "b2_list_buckets", {"accountId": b2.account_id, "bucketTypes": ["all"]}
    )
    assert [b["bucketName"] for b in everything["buckets"]] == ["aaa-private", "zzz-public"]
    public = await b2.ok(
        "b2_list_buckets", {"accountId": b2.account_id, "bucketTypes": ["allPublic"]}
    )
    assert [b["bucketName"] for b in public["buckets"]] == ["zzz-public"]
    by_name = await b2.ok(
        "b2_list_buckets", {"accountId": b2.account_id, "bucketName": "aaa-private"}
    )
    assert [b["bucketName"] for b in by_name["buckets"]] == ["aaa-private"]
    unknown = await b2.ok("b2_list_buckets", {"accountId": b2.account_id, "bucketId": "0" * 24})
    assert unknown == {"buckets": []}


@pytest.mark.parametrize("types", [[], ["all", "allPublic"], ["bogus"]])
async def test_list_buckets_rejects_bad_type_filters(b2: B2Raw, types: list[str]) -> None:
    reply = await b2.call("b2_list_buckets", {"accountId": b2.account_id, "bucketTypes": types})
    assert (reply.status, reply.code) == (400, "bad_request")


async def test_list_buckets_by_get_with_query_params(b2: B2Raw) -> None:
    await b2.create_bucket("get-listed")
    body = await b2.ok(
        "b2_list_buckets",
        {"accountId": b2.account_id, "bucketName": "get-listed", "bucketTypes": ["all"]},
        method="GET",
    )
    assert [b["bucketName"] for b in body["buckets"]] == ["get-listed"]


async def test_list_buckets_accepts_nulls_and_unknown_keys(b2: B2Raw) -> None:
    await b2.create_bucket()
    body = await b2.ok(
        "b2_list_buckets",
        {"accountId": b2.account_id, "bucketId": None, "bucketName": None, "surprise": 1},
    )
    assert len(body["buckets"]) == 1


async def test_update_bucket_bumps_revision_and_checks_if_revision(b2: B2Raw, bucket: Any) -> None:
    updated = await b2.ok(
        "b2_update_bucket",
        {
            "accountId": b2.account_id,
            "bucketId": bucket["bucketId"],
            "bucketType": "allPublic",
            "bucketInfo": {"k": "v"},
            "ifRevisionIs": bucket["revision"],
        },
    )
    assert updated["revision"] == bucket["revision"] + 1
    assert (updated["bucketType"], updated["bucketInfo"]) == ("allPublic", {"k": "v"})
    stale = await b2.call(
        "b2_update_bucket",
        {"accountId": b2.account_id, "bucketId": bucket["bucketId"], "ifRevisionIs": 1},
    )
    assert stale.status == 409
    assert stale.json() == {
        "status": 409,
        "code": "conflict",
        "message": "simultaneous updates to bucket",
    }


async def test_update_bucket_sets_default_encryption(b2: B2Raw, bucket: Any) -> None:
    updated = await b2.ok(
        "b2_update_bucket",
        {
            "bucketId": bucket["bucketId"],
            "defaultServerSideEncryption": {"mode": "SSE-B2", "algorithm": "AES256"},
        },
    )
    assert updated["defaultServerSideEncryption"]["value"] == {
        "algorithm": "AES256",
        "mode": "SSE-B2",
    }
    file = await b2.uploaded(bucket["bucketId"], "enc.txt")
    assert file["serverSideEncryption"] == {"algorithm": "AES256", "mode": "SSE-B2"}


async def test_delete_bucket_unknown_id(b2: B2Raw) -> None:
    reply = await b2.call("b2_delete_bucket", {"accountId": b2.account_id, "bucketId": "1234567"})
    assert reply.status == 400
    assert reply.json() == {
        "status": 400,
        "code": "bad_bucket_id",
        "message": "Bucket 1234567 does not exist",
    }


async def test_delete_bucket_refuses_non_empty_then_succeeds(b2: B2Raw, bucket: Any) -> None:
    file = await b2.uploaded(bucket["bucketId"], "x.txt")
    await b2.ok("b2_hide_file", {"bucketId": bucket["bucketId"], "fileName": "x.txt"})
    args = {"accountId": b2.account_id, "bucketId": bucket["bucketId"]}
    reply = await b2.call("b2_delete_bucket", args)
    assert (reply.status, reply.code) == (400, "cannot_delete_non_empty_bucket")
    versions = await b2.ok("b2_list_file_versions", {"bucketId": bucket["bucketId"]})
    for version in versions["files"]:
        await b2.ok(
            "b2_delete_file_version", {"fileId": version["fileId"], "fileName": version["fileName"]}
        )
    assert file["fileId"] in [v["fileId"] for v in versions["files"]]
    deleted = await b2.ok("b2_delete_bucket", args)
    assert deleted["bucketId"] == bucket["bucketId"]
    assert (await b2.ok("b2_list_buckets", {"accountId": b2.account_id}))["buckets"] == []


async def test_account_id_is_required_and_checked(b2: B2Raw) -> None:
    missing = await b2.call("b2_list_buckets", {})
    assert (missing.status, missing.code) == (400, "bad_request")
    wrong = await b2.call("b2_list_buckets", {"accountId": "someone-else"})
    assert (wrong.status, wrong.code) == (401, "unauthorized")


async def test_malformed_json_is_bad_json(b2: B2Raw) -> None:
    reply = await b2.request(
        "POST",
        f"{b2.url}/b2api/v4/b2_list_buckets",
        headers={"Authorization": b2.token, "Content-Type": "application/json"},
        data=b"{not json",
    )
    assert (reply.status, reply.code) == (400, "bad_json")
