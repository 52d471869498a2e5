"""Object Lock: legal holds and retention, on lock-enabled buckets only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.raw import B2Raw

FAR_FUTURE_MS = 32_503_680_000_000  # year 3000


@pytest.fixture
async def locked(b2: B2Raw) -> Any:
    return await b2.ok(
        "b2_create_bucket",
        {"accountId": b2.account_id, "bucketName": "locked-bucket", "bucketType": "allPrivate",
         "fileLockEnabled": True},
    )  # fmt: skip


async def test_lock_calls_need_a_lock_enabled_bucket(b2: B2Raw, bucket: Any) -> None:
    file = await b2.uploaded(bucket["bucketId"], "f")
    for name, extra in [
        ("b2_update_file_legal_hold", {"legalHold": "on"}),
        ("b2_update_file_retention", {"fileRetention": {"mode": "governance",
                                                        "retainUntilTimestamp": FAR_FUTURE_MS}}),
    ]:  # fmt: skip
        reply = await b2.call(name, {"fileId": file["fileId"], "fileName": "f", **extra})
        assert reply.json() == {
            "status": 400,
            "code": "bucket_missing_file_lock",
            "message": "The bucket is not file lock enabled",
        }
    on_upload = await b2.upload(bucket["bucketId"], "g", headers={"X-Bz-File-Legal-Hold": "on"})
    assert (on_upload.status, on_upload.code) == (400, "bucket_missing_file_lock")


async def test_legal_hold_blocks_deletion_until_released(b2: B2Raw, locked: Any) -> None:
    file = await b2.uploaded(locked["bucketId"], "held", headers={"X-Bz-File-Legal-Hold": "on"})
    assert file["legalHold"] == {"isClientAuthorizedToRead": True, "value": "on"}
    download = await b2.download_by_name("locked-bucket", "held")
    assert download.headers["X-Bz-File-Legal-Hold"] == "on"
    args = {"fileId": file["fileId"], "fileName": "held"}
    refused = await b2.call("b2_delete_file_version", args)
    assert (refused.status, refused.code) == (401, "unauthorized")
    released = await b2.ok("b2_update_file_legal_hold", {**args, "legalHold": "off"})
    assert released == {**args, "legalHold": "off"}
    await b2.ok("b2_delete_file_version", args)


async def test_governance_retention_needs_bypass(b2: B2Raw, locked: Any) -> None:
    file = await b2.uploaded(locked["bucketId"], "gov")
    args = {"fileId": file["fileId"], "fileName": "gov"}
    retention = {"mode": "governance", "retainUntilTimestamp": FAR_FUTURE_MS}
    answer = await b2.ok("b2_update_file_retention", {**args, "fileRetention": retention})
    assert answer == {**args, "fileRetention": retention}
    info = await b2.ok("b2_get_file_info", {"fileId": file["fileId"]})
    assert info["fileRetention"]["value"] == retention
    refused = await b2.call("b2_delete_file_version", args)
    assert (refused.status, refused.code) == (401, "unauthorized")
    shorten = await b2.call(
        "b2_update_file_retention",
        {
            **args,
            "fileRetention": {"mode": "governance", "retainUntilTimestamp": FAR_FUTURE_MS - 1},
        },
    )
    assert (shorten.status, shorten.code) == (403, "access_denied")
    await b2.ok("b2_delete_file_version", {**args, "bypassGovernance": True})


async def test_compliance_retention_cannot_be_removed(b2: B2Raw, locked: Any) -> None:
    file = await b2.uploaded(
        locked["bucketId"],
        "comp",
        headers={
            "X-Bz-File-Retention-Mode": "compliance",
            "X-Bz-File-Retention-Retain-Until-Timestamp": str(FAR_FUTURE_MS),
        },
    )
    args = {"fileId": file["fileId"], "fileName": "comp"}
    removed = await b2.call(
        "b2_update_file_retention",
        {**args, "fileRetention": {"mode": None, "retainUntilTimestamp": None},
         "bypassGovernance": True},
    )  # fmt: skip
    assert (removed.status, removed.code) == (403, "access_denied")
    refused = await b2.call("b2_delete_file_version", {**args, "bypassGovernance": True})
    assert (refused.status, refused.code) == (401, "unauthorized")


async def test_bucket_default_retention_applies_to_new_files(b2: B2Raw, locked: Any) -> None:
    await b2.ok(
        "b2_update_bucket",
        {"bucketId": locked["bucketId"],
         "defaultRetention": {"mode": "governance", "period": {"duration": 1, "unit": "days"}}},
    )  # fmt: skip
    file = await b2.uploaded(locked["bucketId"], "defaulted")
    value = file["fileRetention"]["value"]
    assert value["mode"] == "governance"
    assert value["retainUntilTimestamp"] == file["uploadTimestamp"] + 86_400_000


async def test_retention_in_the_past_is_refused(b2: B2Raw, locked: Any) -> None:
    file = await b2.uploaded(locked["bucketId"], "p")
    reply = await b2.call(
        "b2_update_file_retention",
        {"fileId": file["fileId"], "fileName": "p",
         "fileRetention": {"mode": "governance", "retainUntilTimestamp": 1000}},
    )  # fmt: skip
    assert (reply.status, reply.code) == (400, "bad_request")


async def test_download_names_lock_headers_the_reader_may_not_see(b2: B2Raw, locked: Any) -> None:
    await b2.uploaded(locked["bucketId"], "held", headers={"X-Bz-File-Legal-Hold": "on"})
    token = (
        await b2.ok(
            "b2_get_download_authorization",
            {"bucketId": locked["bucketId"], "fileNamePrefix": "", "validDurationInSeconds": 60},
        )
    )["authorizationToken"]
    shared = await b2.download_by_name(
        "locked-bucket", "held", auth=False, params={"Authorization": token}
    )
    assert "X-Bz-File-Legal-Hold" not in shared.headers
    assert "X-Bz-File-Legal-Hold" in shared.headers["X-Bz-Client-Unauthorized-To-Read"].split(",")
    owner = await b2.download_by_name("locked-bucket", "held")
    assert owner.headers["X-Bz-File-Legal-Hold"] == "on"
    assert "X-Bz-Client-Unauthorized-To-Read" not in owner.headers
