"""Downloads by name and by id: headers, ranges, auth, hidden files, HEAD."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.raw import B2Raw, sha1_hex

DATA = b"Some text\n"


@pytest.fixture
async def stored(b2: B2Raw, bucket: Any) -> Any:
    return await b2.uploaded(
        bucket["bucketId"],
        "dir/test file+ü.txt",
        DATA,
        headers={
            "X-Bz-Info-src_last_modified_millis": "1637248673875",
            "X-Bz-Info-note": "a%20b",
            "X-Bz-Info-b2-cache-control": "max-age=60",
            "X-Bz-Info-b2-content-disposition": "attachment",
        },
    )


async def test_download_by_name_headers(b2: B2Raw, bucket: Any, stored: Any) -> None:
    reply = await b2.download_by_name(bucket["bucketName"], stored["fileName"])
    assert reply.status == 200
    assert reply.body == DATA
    headers = reply.headers
    assert headers["X-Bz-File-Id"] == stored["fileId"]
    assert headers["X-Bz-File-Name"] == "dir/test%20file%2B%C3%BC.txt"
    assert headers["X-Bz-Content-Sha1"] == sha1_hex(DATA)
    assert headers["X-Bz-Upload-Timestamp"] == str(stored["uploadTimestamp"])
    assert headers["X-Bz-Info-src_last_modified_millis"] == "1637248673875"
    assert headers["X-Bz-Info-note"] == "a%20b"
    assert headers["Content-Type"] == "text/plain"
    assert headers["Content-Length"] == str(len(DATA))
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Cache-Control"] == "max-age=60"
    assert headers["Content-Disposition"] == "attachment"
    assert "X-Bz-Info-b2-cache-control" not in headers
    assert "Date" in headers


async def test_download_by_name_on_api_url_and_download_url(b2: B2Raw, stored: Any) -> None:
    body = await b2.authorize()
    assert body["apiInfo"]["storageApi"]["downloadUrl"] == body["apiInfo"]["storageApi"]["apiUrl"]


async def test_download_by_name_query_overrides(b2: B2Raw, bucket: Any, stored: Any) -> None:
    reply = await b2.download_by_name(
        bucket["bucketName"],
        stored["fileName"],
        params={"b2ContentType": "application/x-test", "b2CacheControl": "no-cache"},
    )
    assert reply.headers["Content-Type"] == "application/x-test"
    assert reply.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    ("range_header", "status", "body", "content_range"),
    [
        ("bytes=5-8", 206, b"text", "bytes 5-8/10"),
        ("bytes=5-100", 206, b"text\n", "bytes 5-9/10"),
        ("bytes=7-", 206, b"xt\n", "bytes 7-9/10"),
        ("bytes=-3", 206, b"xt\n", "bytes 7-9/10"),
        ("bytes=0-9", 200, DATA, None),
    ],
)
async def test_download_ranges(
    b2: B2Raw,
    bucket: Any,
    stored: Any,
    range_header: str,
    status: int,
    body: bytes,
    content_range: str | None,
) -> None:
    reply = await b2.download_by_name(
        bucket["bucketName"], stored["fileName"], headers={"Range": range_header}
    )
    assert (reply.status, reply.body) == (status, body)
    assert reply.headers.get("Content-Range") == content_range
    assert reply.headers["X-Bz-Content-Sha1"] == sha1_hex(DATA)


async def test_download_range_past_end_is_416(b2: B2Raw, bucket: Any, stored: Any) -> None:
    reply = await b2.download_by_name(
        bucket["bucketName"], stored["fileName"], headers={"Range": "bytes=10-20"}
    )
    assert (reply.status, reply.code) == (416, "range_not_satisfiable")


async def test_head_has_headers_and_no_body(b2: B2Raw, bucket: Any, stored: Any) -> None:
    reply = await b2.download_by_name(bucket["bucketName"], stored["fileName"], method="HEAD")
    assert reply.status == 200
    assert reply.body == b""
    assert reply.headers["Content-Length"] == str(len(DATA))
    assert reply.headers["X-Bz-File-Id"] == stored["fileId"]


async def test_head_missing_is_404_without_body(b2: B2Raw, bucket: Any) -> None:
    reply = await b2.download_by_name(bucket["bucketName"], "missing", method="HEAD")
    assert (reply.status, reply.body) == (404, b"")


async def test_download_missing_file_and_bucket(b2: B2Raw, bucket: Any) -> None:
    missing = await b2.download_by_name(bucket["bucketName"], "missing")
    assert (missing.status, missing.code) == (404, "not_found")
    no_bucket = await b2.download_by_name("no-such-bucket", "x")
    assert (no_bucket.status, no_bucket.code) == (404, "not_found")


async def test_download_hidden_file_is_404_but_by_id_works(
    b2: B2Raw, bucket: Any, stored: Any
) -> None:
    await b2.ok("b2_hide_file", {"bucketId": bucket["bucketId"], "fileName": stored["fileName"]})
    reply = await b2.download_by_name(bucket["bucketName"], stored["fileName"])
    assert (reply.status, reply.code) == (404, "not_found")
    by_id = await b2.request(
        "GET",
        f"{b2.url}/b2api/v4/b2_download_file_by_id",
        params={"fileId": stored["fileId"]},
        headers={"Authorization": b2.token},
    )
    assert (by_id.status, by_id.body) == (200, DATA)


async def test_private_download_needs_auth(b2: B2Raw, bucket: Any, stored: Any) -> None:
    anonymous = await b2.download_by_name(bucket["bucketName"], stored["fileName"], auth=False)
    assert (anonymous.status, anonymous.code) == (401, "missing_auth_token")
    bad = await b2.download_by_name(
        bucket["bucketName"], stored["fileName"], auth=False, headers={"Authorization": "nope"}
    )
    assert (bad.status, bad.code) == (401, "bad_auth_token")
    by_query = await b2.download_by_name(
        bucket["bucketName"], stored["fileName"], auth=False, params={"Authorization": b2.token}
    )
    assert (by_query.status, by_query.body) == (200, DATA)


async def test_public_download_needs_no_auth(b2: B2Raw) -> None:
    public = await b2.create_bucket(bucket_type="allPublic")
    await b2.uploaded(public["bucketId"], "open.txt", DATA)
    reply = await b2.download_by_name(public["bucketName"], "open.txt", auth=False)
    assert (reply.status, reply.body) == (200, DATA)


@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
async def test_download_by_id_forms(b2: B2Raw, stored: Any, method: str) -> None:
    url = f"{b2.url}/b2api/v2/b2_download_file_by_id"
    headers = {"Authorization": b2.token}
    if method == "POST":
        reply = await b2.request(method, url, headers=headers, json={"fileId": stored["fileId"]})
    else:
        reply = await b2.request(method, url, headers=headers, params={"fileId": stored["fileId"]})
    assert reply.status == 200
    assert reply.body == (b"" if method == "HEAD" else DATA)
    assert reply.headers["X-Bz-File-Id"] == stored["fileId"]


async def test_download_by_id_missing_is_404(b2: B2Raw) -> None:
    reply = await b2.request(
        "GET",
        f"{b2.url}/b2api/v4/b2_download_file_by_id",
        params={"fileId": "4_zdeadbeef"},
        headers={"Authorization": b2.token},
    )
    assert (reply.status, reply.code) == (404, "not_found")


async def test_download_large_file_streams_across_chunks(b2: B2Raw, bucket: Any) -> None:
    data = bytes(range(256)) * 8192  # 2 MiB: several read and write buffers
    await b2.uploaded(bucket["bucketId"], "big.bin", data)
    whole = await b2.download_by_name(bucket["bucketName"], "big.bin")
    assert whole.body == data
    part = await b2.download_by_name(
        bucket["bucketName"], "big.bin", headers={"Range": "bytes=300000-1300000"}
    )
    assert part.body == data[300000:1300001]
