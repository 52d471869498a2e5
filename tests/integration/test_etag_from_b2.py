"""Streamed PutObject bodies and UploadParts stored as B2 simple files: the gateway hashes no MD5
unless Content-MD5 must be checked, and the ETag is B2's contentMd5. Checked on every answer
that carries it, and for the (never seen) B2 answer that lacks it."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import aiohttp
import pytest

from gateway.b2 import FileQuery, FileVersion
from gateway.emulator import api_upload
from gateway.emulator.views import JsonDict, file_json
from gateway.s3 import errors
from gateway.translate.mapping import from_file_info
from gateway.translate.names import RESERVED_ROOT
from tests.integration.conftest import B2_SIMPLE_LIMIT, PUT_BUFFER, S3Factory, Stack
from tests.integration.helpers import refused_storing_nothing

STREAMED = 2 * PUT_BUFFER + 3  # above the put buffer, below B2's simple-upload limit
MIB = 1024 * 1024
FULL_PART = 5 * MIB  # S3's minimum for a part that is not the last
assert PUT_BUFFER < STREAMED < B2_SIMPLE_LIMIT < FULL_PART


def _etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def _multipart_etag(*parts: bytes) -> str:
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(parts)}"'


def _files(stack: Stack, bucket: str, prefix: str = "") -> list[FileVersion]:
    found = stack.call(stack.b2.get_bucket(bucket))
    page = stack.call(
        stack.b2.list_file_versions(found.bucket_id, FileQuery(prefix=prefix, max_file_count=1000))
    )
    return list(page.files)


def _calls(stack: Stack, endpoint: str) -> int:
    async def read() -> int:
        url = f"{stack.emulator.url}/_emulator/counters"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            counters: dict[str, int] = await response.json()
            return counters.get(endpoint, 0)

    result: int = stack.call(read())
    return result


def _recorded_etag(file: FileVersion) -> str | None:
    return from_file_info(file.file_info).gateway.etag


@pytest.fixture
def b2_omits_md5(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator's b2_upload_file answers carry ``contentMd5: null``."""

    def without_md5(*args: Any, **kwargs: Any) -> JsonDict:
        return {**file_json(*args, **kwargs), "contentMd5": None}

    monkeypatch.setattr(api_upload, "file_json", without_md5)


def _check_object_etag(s3: Any, bucket: str, key: str, data: bytes, etag: str) -> None:
    assert s3.head_object(Bucket=bucket, Key=key)["ETag"] == etag
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["ETag"] == etag
    assert got["Body"].read() == data
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)["Contents"]
    assert [(o["Key"], o["ETag"]) for o in listed] == [(key, etag)]


def test_streamed_put_answers_b2s_md5_on_put_head_get_and_listing(
    any_s3: Any, stack: Stack, bucket: str
) -> None:
    data = os.urandom(STREAMED)
    put = any_s3.put_object(Bucket=bucket, Key="k", Body=data)
    assert put["ETag"] == _etag(data)
    _check_object_etag(any_s3, bucket, "k", data, _etag(data))
    [stored] = _files(stack, bucket)
    assert stored.content_md5 == hashlib.md5(data).hexdigest()


def test_get_and_head_after_a_streamed_put_need_not_ask_b2_for_the_etag(
    s3: Any, stack: Stack, bucket: str
) -> None:
    data = os.urandom(STREAMED)
    s3.put_object(Bucket=bucket, Key="k", Body=data)
    before = _calls(stack, "b2_get_file_info")
    assert s3.get_object(Bucket=bucket, Key="k")["ETag"] == _etag(data)
    assert s3.head_object(Bucket=bucket, Key="k")["ETag"] == _etag(data)
    assert _calls(stack, "b2_get_file_info") == before


def test_streamed_put_when_b2_gives_no_md5_reads_it_back_and_records_it(
    s3: Any, stack: Stack, bucket: str, b2_omits_md5: None
) -> None:
    data = os.urandom(STREAMED)
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, Metadata={"colour": "blue"})
    assert put["ETag"] == _etag(data)
    _check_object_etag(s3, bucket, "k", data, _etag(data))
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["Metadata"] == {"colour": "blue"}
    assert head["VersionId"] == put["VersionId"]
    [stored] = _files(stack, bucket)  # the first upload was replaced by the recording copy
    assert _recorded_etag(stored) == hashlib.md5(data).hexdigest()


def _multipart(s3: Any, bucket: str, key: str, parts: list[bytes]) -> tuple[str, list[str]]:
    upload_id: str = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=p)["ETag"]
        for n, p in enumerate(parts, start=1)
    ]
    return upload_id, etags


def _check_multipart(s3: Any, bucket: str, key: str, parts: list[bytes]) -> None:
    upload_id, etags = _multipart(s3, bucket, key, parts)
    assert etags == [_etag(p) for p in parts]
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == [
        (n, _etag(p), len(p)) for n, p in enumerate(parts, start=1)
    ]
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
    )
    assert done["ETag"] == _multipart_etag(*parts)
    _check_object_etag(s3, bucket, key, b"".join(parts), _multipart_etag(*parts))


@pytest.mark.timeout(300)
def test_streamed_parts_answer_b2s_md5_in_upload_part_list_parts_and_complete(
    any_s3: Any, bucket: str
) -> None:
    # Part 1 becomes a B2 large file (the gateway's MD5), part 2 a streamed simple file (B2's).
    parts = [os.urandom(FULL_PART), os.urandom(STREAMED)]
    _check_multipart(any_s3, bucket, "mpu", parts)


def test_streamed_part_when_b2_gives_no_md5_reads_it_back_and_records_it(
    s3_factory: S3Factory, stack: Stack, bucket: str, b2_omits_md5: None
) -> None:
    # No client checksum: recording the MD5 is then the only reason to rewrite the part.
    s3 = s3_factory(checksums="when_required")
    part = os.urandom(STREAMED)
    upload_id, [etag] = _multipart(s3, bucket, "mpu", [part])
    assert etag == _etag(part)
    staged = _files(stack, bucket, RESERVED_ROOT)
    [stored] = [f for f in staged if f.file_name.endswith("/00001")]
    assert _recorded_etag(stored) == hashlib.md5(part).hexdigest()
    s3.abort_multipart_upload(Bucket=bucket, Key="mpu", UploadId=upload_id)
    _check_multipart(s3, bucket, "mpu2", [part])


def test_streamed_part_with_wrong_content_md5_is_refused_storing_nothing(
    s3: Any, stack: Stack, bucket: str
) -> None:
    # (A streamed PutObject's wrong Content-MD5: test_refusals.)
    upload_id: str = s3.create_multipart_upload(Bucket=bucket, Key="mpu")["UploadId"]
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    data = os.urandom(STREAMED)
    refused_storing_nothing(
        stack,
        bucket,
        errors.BadDigest,
        lambda: s3.upload_part(
            Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, Body=data, ContentMD5=wrong
        ),
    )
