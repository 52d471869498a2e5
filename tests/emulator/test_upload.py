"""b2_get_upload_url + b2_upload_file: names, checksums, file info, headers, token rules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.emulator.raw import B2Raw, eventually, sha1_hex

FILE_FIELDS = {
    "accountId", "action", "bucketId", "contentLength", "contentMd5", "contentSha1",
    "contentType", "fileId", "fileInfo", "fileName", "fileRetention", "legalHold",
    "serverSideEncryption", "uploadTimestamp",
}  # fmt: skip


async def test_upload_returns_standard_file_object(b2: B2Raw, bucket: Any) -> None:
    body = await b2.uploaded(bucket["bucketId"], "test-file-upload.txt", b"abcd")
    assert set(body) == FILE_FIELDS
    assert body["action"] == "upload"
    assert body["contentLength"] == 4
    assert body["contentSha1"] == "81fe8bfe87576c3ecb22426f8e57847382917acf"
    assert body["contentMd5"] == "e2fc714c4727ee9395f324cd2e7f331f"
    assert body["fileId"].startswith(f"4_z{bucket['bucketId']}_f")
    assert len(body["fileId"]) <= 200
    assert body["fileRetention"] == {
        "isClientAuthorizedToRead": True,
        "value": {"mode": None, "retainUntilTimestamp": None},
    }
    assert body["legalHold"] == {"isClientAuthorizedToRead": True, "value": None}
    assert body["serverSideEncryption"] == {"algorithm": None, "mode": None}


async def test_upload_url_has_requested_version_and_v1_says_both_lengths(
    b2: B2Raw, bucket: Any
) -> None:
    await b2.authorize(1)
    url, token = await b2.upload_url(bucket["bucketId"], version=1)
    assert "/b2api/v1/b2_upload_file/" in url
    body = (await b2.upload(bucket["bucketId"], "v1.txt", b"abc", target=(url, token))).json()
    assert (body["size"], body["contentLength"]) == (3, 3)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("a%20b", "a b"),
        ("a+b", "a b"),
        ("a%2Bb", "a+b"),
        ("%C3%BC%E2%82%AC/x", "ü€/x"),
        ("dir/sub/file.txt", "dir/sub/file.txt"),
    ],
)
async def test_upload_decodes_file_name(b2: B2Raw, bucket: Any, header: str, name: str) -> None:
    body = await b2.uploaded(bucket["bucketId"], "ignored", headers={"X-Bz-File-Name": header})
    assert body["fileName"] == name


@pytest.mark.parametrize(
    "name",
    [
        "/leading",
        "trailing/",
        "double//slash",
        "back\\slash",
        "ctl\x01char",
        "del\x7fchar",
        "x" * 1025,
        "seg/" + "y" * 251,
    ],
    ids=["leading", "trailing", "double", "backslash", "control", "del", "too-long", "segment"],
)
async def test_upload_rejects_bad_names(b2: B2Raw, bucket: Any, name: str) -> None:
    reply = await b2.upload(bucket["bucketId"], name)
    assert (reply.status, reply.code) == (400, "bad_request")


async def test_upload_accepts_longest_names(b2: B2Raw, bucket: Any) -> None:
    name = "/".join(["s" * 250] * 4) + "/" + "t" * 19  # 1023 bytes
    assert (await b2.uploaded(bucket["bucketId"], name))["fileName"] == name


async def test_upload_file_info_is_lowercased_and_decoded(b2: B2Raw, bucket: Any) -> None:
    body = await b2.uploaded(
        bucket["bucketId"],
        "info.txt",
        headers={"X-Bz-Info-Color": "dark%20blue", "X-Bz-Info-src_last_modified_millis": "1234"},
    )
    assert body["fileInfo"] == {"color": "dark blue", "src_last_modified_millis": "1234"}


@pytest.mark.parametrize(
    "headers",
    [
        {f"X-Bz-Info-k{i}": "v" for i in range(11)},
        {"X-Bz-Info-" + "k" * 51: "v"},
        {"X-Bz-Info-b2-unknown": "v"},
        {"X-Bz-Info-b2-expires": "not a date"},
        {"X-Bz-Info-b2-content-encoding": "gzip;bad"},
        {"X-Bz-Info-big": "v" * 7000},
    ],
    ids=["eleven", "long-key", "unknown-b2", "bad-expires", "bad-encoding", "budget"],
)
async def test_upload_rejects_bad_file_info(
    b2: B2Raw, bucket: Any, headers: dict[str, str]
) -> None:
    reply = await b2.upload(bucket["bucketId"], "info.txt", headers=headers)
    assert (reply.status, reply.code) == (400, "bad_request")


async def test_upload_accepts_ten_infos_and_b2_infos(b2: B2Raw, bucket: Any) -> None:
    headers = {f"X-Bz-Info-k{i}": "v" for i in range(5)}
    headers |= {
        "X-Bz-Info-b2-content-disposition": "attachment; filename=%22a.txt%22",
        "X-Bz-Info-b2-content-language": "en",
        "X-Bz-Info-b2-expires": "Fri, 21 Jan 2022 14:10:49 GMT",
        "X-Bz-Info-b2-cache-control": "max-age=3600",
        "X-Bz-Info-b2-content-encoding": "gzip",
    }
    body = await b2.uploaded(bucket["bucketId"], "infos.txt", headers=headers)
    assert len(body["fileInfo"]) == 10
    assert body["fileInfo"]["b2-content-disposition"] == 'attachment; filename="a.txt"'


@pytest.mark.parametrize(
    "header", ["Content-Disposition", "Content-Encoding", "Content-Language", "Expires"]
)
async def test_upload_refuses_standard_headers_meant_as_b2_infos(
    b2: B2Raw, bucket: Any, header: str
) -> None:
    reply = await b2.upload(bucket["bucketId"], "h.txt", headers={header: "x"})
    assert (reply.status, reply.code) == (400, "bad_request")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", "text/plain"),
        ("a.json", "application/json"),
        ("noext", "application/octet-stream"),
    ],
)
async def test_upload_auto_content_type(b2: B2Raw, bucket: Any, name: str, expected: str) -> None:
    body = await b2.uploaded(bucket["bucketId"], name, headers={"Content-Type": "b2/x-auto"})
    assert body["contentType"] == expected


async def test_upload_sha1_mismatch_is_bad_request(b2: B2Raw, bucket: Any) -> None:
    reply = await b2.upload(
        bucket["bucketId"], "s.txt", b"data", headers={"X-Bz-Content-Sha1": sha1_hex(b"other")}
    )
    assert (reply.status, reply.code) == (400, "bad_request")
    assert (await b2.ok("b2_list_file_versions", {"bucketId": bucket["bucketId"]}))["files"] == []


async def test_upload_hex_digits_at_end(b2: B2Raw, bucket: Any) -> None:
    data = b"payload with trailing digest"
    url, token = await b2.upload_url(bucket["bucketId"])
    reply = await b2.request(
        "POST",
        url,
        headers={
            "Authorization": token,
            "X-Bz-File-Name": "trail.txt",
            "Content-Type": "text/plain",
            "X-Bz-Content-Sha1": "hex_digits_at_end",
        },
        data=data + sha1_hex(data).encode(),
    )
    assert reply.status == 200, reply.body
    assert (reply.json()["contentLength"], reply.json()["contentSha1"]) == (
        len(data),
        sha1_hex(data),
    )
    bad = await b2.request(
        "POST",
        url,
        headers={
            "Authorization": token,
            "X-Bz-File-Name": "trail.txt",
            "Content-Type": "text/plain",
            "X-Bz-Content-Sha1": "hex_digits_at_end",
        },
        data=data + sha1_hex(b"nope").encode(),
    )
    assert (bad.status, bad.code) == (400, "bad_request")


async def test_upload_do_not_verify_stores_unverified(b2: B2Raw, bucket: Any) -> None:
    body = await b2.uploaded(
        bucket["bucketId"], "u.txt", b"xyz", headers={"X-Bz-Content-Sha1": "do_not_verify"}
    )
    assert body["contentSha1"] == f"unverified:{sha1_hex(b'xyz')}"
    reply = await b2.download_by_name(bucket["bucketName"], "u.txt")
    assert reply.headers["X-Bz-Content-Sha1"] == f"unverified:{sha1_hex(b'xyz')}"


@pytest.mark.parametrize("value", [None, "zz", "A" * 39])
async def test_upload_bad_or_missing_sha1_header(b2: B2Raw, bucket: Any, value: str | None) -> None:
    url, token = await b2.upload_url(bucket["bucketId"])
    headers = {"Authorization": token, "X-Bz-File-Name": "a", "Content-Type": "text/plain"}
    if value is not None:
        headers["X-Bz-Content-Sha1"] = value
    reply = await b2.request("POST", url, headers=headers, data=b"a")
    assert (reply.status, reply.code) == (400, "bad_request")


async def test_upload_chunked_body_is_refused(b2: B2Raw, bucket: Any) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"abc"

    url, token = await b2.upload_url(bucket["bucketId"])
    reply = await b2.request(
        "POST",
        url,
        headers={
            "Authorization": token,
            "X-Bz-File-Name": "chunked",
            "Content-Type": "text/plain",
            "X-Bz-Content-Sha1": sha1_hex(b"abc"),
        },
        data=body(),
    )
    assert (reply.status, reply.code) == (400, "bad_request")


async def test_upload_url_serves_one_upload_at_a_time(b2: B2Raw, bucket: Any) -> None:
    target = await b2.upload_url(bucket["bucketId"])
    release = asyncio.Event()
    first = b2.start_stalled_upload(target, "first", b"first" * 1000, release, sent=10)

    async def first_is_in_flight() -> bool:
        return b2.emulator.state.faults.counters["b2_upload_file"] >= 1

    await eventually(first_is_in_flight)
    second = await b2.upload(bucket["bucketId"], "second", target=target)
    assert second.status == 400
    assert second.code == "auth_token_limit"
    release.set()
    assert (await first).status == 200
    third = await b2.upload(bucket["bucketId"], "third", target=target)
    assert third.status == 200


async def test_upload_to_deleted_bucket(b2: B2Raw, bucket: Any) -> None:
    target = await b2.upload_url(bucket["bucketId"])
    await b2.ok("b2_delete_bucket", {"accountId": b2.account_id, "bucketId": bucket["bucketId"]})
    reply = await b2.upload(bucket["bucketId"], "late", target=target)
    assert (reply.status, reply.code) == (400, "bad_bucket_id")


async def test_get_upload_url_unknown_bucket(b2: B2Raw) -> None:
    reply = await b2.call("b2_get_upload_url", {"bucketId": "f" * 24})
    assert (reply.status, reply.code) == (400, "bad_bucket_id")


async def test_upload_to_get_is_method_not_allowed(b2: B2Raw, bucket: Any) -> None:
    url, token = await b2.upload_url(bucket["bucketId"])
    reply = await b2.request("GET", url, headers={"Authorization": token})
    assert (reply.status, reply.code) == (405, "method_not_allowed")


async def test_upload_hex_digits_at_end_with_garbage_trailer_stores_nothing(
    b2: B2Raw, bucket: Any
) -> None:
    url, token = await b2.upload_url(bucket["bucketId"])
    reply = await b2.request(
        "POST",
        url,
        headers={
            "Authorization": token,
            "X-Bz-File-Name": "garbage",
            "Content-Type": "text/plain",
            "X-Bz-Content-Sha1": "hex_digits_at_end",
        },
        data=b"data" + b"z" * 40,
    )
    assert (reply.status, reply.code) == (400, "bad_request")
    assert (await b2.ok("b2_list_file_versions", {"bucketId": bucket["bucketId"]}))["files"] == []


async def test_upload_aborted_by_the_client_stores_nothing(b2: B2Raw, bucket: Any) -> None:
    """The gateway aborts an upload whose client body failed its checks: B2 must keep nothing."""
    target = await b2.upload_url(bucket["bucketId"])
    never = asyncio.Event()
    upload = b2.start_stalled_upload(target, "aborted", b"q" * 100_000, never, sent=50_000)

    async def in_flight() -> bool:
        return await b2.upload_count() == 1

    await eventually(in_flight)
    upload.cancel()
    with pytest.raises(asyncio.CancelledError):
        await upload

    async def released() -> bool:  # the server noticed the abort and freed the upload token
        return (await b2.upload(bucket["bucketId"], "after", target=target)).status == 200

    await eventually(released)
    names = await b2.ok("b2_list_file_versions", {"bucketId": bucket["bucketId"]})
    assert [f["fileName"] for f in names["files"]] == ["after"]


async def test_encrypted_files_get_the_small_info_budget(b2: B2Raw, bucket: Any) -> None:
    info = {"X-Bz-Info-big": "v" * 2100}
    assert (await b2.upload(bucket["bucketId"], "plain", headers=info)).status == 200
    encrypted = await b2.upload(
        bucket["bucketId"], "sse", headers={**info, "X-Bz-Server-Side-Encryption": "AES256"}
    )
    assert (encrypted.status, encrypted.code) == (400, "bad_request")
    assert "2048" in encrypted.json()["message"]


async def test_encrypt_by_default_buckets(emulator_factory: Any, http: Any) -> None:
    b2 = B2Raw(http, await emulator_factory(encrypt_by_default=True))
    await b2.authorize()
    bucket = await b2.create_bucket()
    assert bucket["defaultServerSideEncryption"]["value"]["mode"] == "SSE-B2"
    file = await b2.uploaded(bucket["bucketId"], "f")
    assert file["serverSideEncryption"] == {"algorithm": "AES256", "mode": "SSE-B2"}
    download = await b2.download_by_name(bucket["bucketName"], "f")
    assert download.headers["X-Bz-Server-Side-Encryption"] == "AES256"
    opted_out = await b2.ok(
        "b2_create_bucket",
        {"accountId": b2.account_id, "bucketName": "plain-bucket", "bucketType": "allPrivate",
         "defaultServerSideEncryption": {"mode": "none"}},
    )  # fmt: skip
    assert opted_out["defaultServerSideEncryption"]["value"]["mode"] is None
