"""Large files: b2sdk's own multi-part uploads, and the raw rules of every large-file call."""

from __future__ import annotations

import io
from collections.abc import Callable
from types import ModuleType

import b2sdk.v2
import b2sdk.v3
import pytest

from gateway.emulator.server import RunningEmulator
from tests.emulator.large import MIN_PART, PART_SETTINGS, Large
from tests.emulator.raw import sha1_hex


@pytest.mark.parametrize("sdk", [b2sdk.v2, b2sdk.v3], ids=["b2sdk.v2", "b2sdk.v3"])
def test_b2sdk_large_upload_download_and_unfinished_cleanup(
    sdk: ModuleType, threaded_emulator_factory: Callable[..., RunningEmulator]
) -> None:
    emulator = threaded_emulator_factory(**PART_SETTINGS)
    api = sdk.B2Api(sdk.InMemoryAccountInfo())
    if sdk is b2sdk.v2:
        api.authorize_account(emulator.url, emulator.key_id, emulator.key)
    else:
        api.authorize_account(emulator.key_id, emulator.key, realm=emulator.url)
    bucket = api.create_bucket("large-bucket", "allPrivate")
    data = bytes(range(256)) * 400  # 102,400 bytes: five or six parts
    version = bucket.upload_bytes(data, "large.bin", file_info={"a": "b"})
    assert version.content_sha1 in (None, "none")
    assert version.file_info["large_file_sha1"] == sha1_hex(data)
    out = io.BytesIO()
    bucket.download_file_by_name("large.bin").save(out)
    assert out.getvalue() == data
    out = io.BytesIO()
    bucket.download_file_by_name("large.bin", range_=(19_990, 50_010)).save(out)
    assert out.getvalue() == data[19_990:50_011]
    assert emulator.state.faults.counters["b2_finish_large_file"] == 1
    started = api.session.start_large_file(
        bucket.id_, "abandoned.bin", "application/octet-stream", {}
    )
    assert [f.file_name for f in bucket.list_unfinished_large_files()] == ["abandoned.bin"]
    api.cancel_large_file(started["fileId"])
    assert list(bucket.list_unfinished_large_files()) == []


async def test_start_object_shape(large: Large) -> None:
    started = await large.start("noext", fileInfo={"Src_Last_Modified_Millis": "1"})
    assert started["action"] == "start"
    assert (started["contentLength"], started["contentSha1"], started["contentMd5"]) == (
        0,
        "none",
        None,
    )
    assert started["contentType"] == "application/octet-stream"
    assert started["fileInfo"] == {"src_last_modified_millis": "1"}
    assert "fileRetention" in started


async def test_full_large_file_cycle(large: Large) -> None:
    started = await large.start()
    target = await large.part_url(started["fileId"])
    parts = [b"a" * MIN_PART, b"b" * MIN_PART, b"c" * 3]
    for number, data in enumerate(parts, start=1):
        reply = await large.part(target, number, data)
        assert reply.status == 200, reply.body
        body = reply.json()
        assert set(body) == {"contentLength", "contentMd5", "contentSha1", "fileId",
                             "partNumber", "serverSideEncryption", "uploadTimestamp"}  # fmt: skip
    listed = await large.b2.ok("b2_list_parts", {"fileId": started["fileId"], "maxPartCount": 2})
    assert [p["partNumber"] for p in listed["parts"]] == [1, 2]
    assert listed["nextPartNumber"] == 3
    hidden = await large.b2.ok("b2_list_file_names", {"bucketId": large.bucket["bucketId"]})
    assert hidden["files"] == []
    finished = await large.finish(started["fileId"], parts)
    assert finished.status == 200, finished.body
    body = finished.json()
    assert (body["action"], body["contentLength"], body["contentSha1"]) == (
        "upload",
        2 * MIN_PART + 3,
        "none",
    )
    assert body["fileId"] == started["fileId"]
    assert body["uploadTimestamp"] == started["uploadTimestamp"]
    download = await large.b2.download_by_name(large.bucket["bucketName"], "big.bin")
    assert download.body == b"".join(parts)
    assert download.headers["X-Bz-Content-Sha1"] == "none"
    again = await large.finish(started["fileId"], parts)
    assert (again.status, again.code) == (400, "bad_request")


async def test_hex_digits_at_end_part_and_reupload_replaces(large: Large) -> None:
    started = await large.start()
    target = await large.part_url(started["fileId"])
    await large.part(target, 1, b"x" * MIN_PART)
    replacement = b"y" * MIN_PART
    url, token = target
    reply = await large.b2.request(
        "POST",
        url,
        headers={
            "Authorization": token,
            "X-Bz-Part-Number": "1",
            "X-Bz-Content-Sha1": "hex_digits_at_end",
        },
        data=io.BytesIO(replacement + sha1_hex(replacement).encode()),
    )
    assert reply.json()["contentSha1"] == sha1_hex(replacement)
    await large.part(target, 2, b"z")
    assert (await large.finish(started["fileId"], [replacement, b"z"])).status == 200


@pytest.mark.parametrize(
    ("uploaded", "listed", "code", "message"),
    [
        ([b"a" * MIN_PART], [b"a" * MIN_PART], "bad_request", "at least 2 parts"),
        ([b"a" * MIN_PART, b"b"], [b"a" * MIN_PART, b"c"], "part_sha1_mismatch", None),
        ([b"a" * MIN_PART], [b"a" * MIN_PART, b"b"], "missing_part", None),
        ([b"a", b"b"], [b"a", b"b"], "bad_request", "minimum part size"),
    ],
    ids=["one-part", "sha1", "missing", "small-part"],
)
async def test_finish_rules(
    large: Large, uploaded: list[bytes], listed: list[bytes], code: str, message: str | None
) -> None:
    started = await large.start()
    target = await large.part_url(started["fileId"])
    for number, data in enumerate(uploaded, start=1):
        await large.part(target, number, data)
    reply = await large.finish(started["fileId"], listed)
    assert (reply.status, reply.code) == (400, code)
    if message:
        assert message in reply.json()["message"]


async def test_part_number_and_sha1_rules(large: Large) -> None:
    started = await large.start()
    target = await large.part_url(started["fileId"])
    for number in ("0", "10001"):
        reply = await large.b2.request(
            "POST",
            target[0],
            headers={
                "Authorization": target[1],
                "X-Bz-Part-Number": number,
                "X-Bz-Content-Sha1": sha1_hex(b"x"),
            },
            data=b"x",
        )
        assert (reply.status, reply.code) == (400, "bad_request")
    bad = await large.part(target, 1, b"x", sha1=sha1_hex(b"y"))
    assert (bad.status, bad.code) == (400, "bad_request")


async def test_part_url_token_is_bound_to_its_file(large: Large) -> None:
    one = await large.start("one")
    two = await large.start("two")
    target_one = await large.part_url(one["fileId"])
    url_two, _ = await large.part_url(two["fileId"])
    reply = await large.part((url_two, target_one[1]), 1, b"x")
    assert (reply.status, reply.code) == (401, "bad_auth_token")


async def test_cancel_and_list_unfinished(large: Large) -> None:
    first = await large.start("a/one")
    second = await large.start("b/two")
    target = await large.part_url(first["fileId"])
    await large.part(target, 1, b"x")
    listed = await large.b2.ok(
        "b2_list_unfinished_large_files", {"bucketId": large.bucket["bucketId"], "maxFileCount": 1}
    )
    assert [f["fileId"] for f in listed["files"]] == [first["fileId"]]
    assert listed["nextFileId"] == second["fileId"]
    prefixed = await large.b2.ok(
        "b2_list_unfinished_large_files", {"bucketId": large.bucket["bucketId"], "namePrefix": "b/"}
    )
    assert [f["fileId"] for f in prefixed["files"]] == [second["fileId"]]
    versions = await large.b2.ok("b2_list_file_versions", {"bucketId": large.bucket["bucketId"]})
    assert [f["action"] for f in versions["files"]] == ["start", "start"]
    cancelled = await large.b2.ok("b2_cancel_large_file", {"fileId": first["fileId"]})
    assert cancelled == {
        "accountId": large.b2.account_id,
        "bucketId": large.bucket["bucketId"],
        "fileId": first["fileId"],
        "fileName": "a/one",
    }
    gone = await large.part(target, 2, b"y")
    assert (gone.status, gone.code) == (400, "bad_request")
    await large.b2.ok("b2_delete_file_version", {"fileId": second["fileId"], "fileName": "b/two"})
    empty = await large.b2.ok(
        "b2_list_unfinished_large_files", {"bucketId": large.bucket["bucketId"]}
    )
    assert empty["files"] == []


async def test_cancel_bad_id_like_recording(large: Large) -> None:
    reply = await large.b2.call("b2_cancel_large_file", {"fileId": "bad-id"})
    assert reply.status == 400
    assert reply.json() == {
        "status": 400,
        "code": "bad_request",
        "message": "Invalid fileId: bad-id",
    }


async def test_unfinished_start_does_not_mask_existing_upload(large: Large) -> None:
    await large.b2.uploaded(large.bucket["bucketId"], "big.bin", b"small")
    await large.start("big.bin")
    names = await large.b2.ok("b2_list_file_names", {"bucketId": large.bucket["bucketId"]})
    assert [f["action"] for f in names["files"]] == ["upload"]
    download = await large.b2.download_by_name(large.bucket["bucketName"], "big.bin")
    assert download.body == b"small"
