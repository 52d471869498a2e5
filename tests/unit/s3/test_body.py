"""The request body outside aws-chunked: length, sha256, Content-MD5, size caps, encoding."""

from __future__ import annotations

import base64
import hashlib

import pytest

from gateway.s3 import errors
from gateway.s3.body import RequestBody, open_body, stored_content_encoding
from gateway.s3.checksums import ChecksumAlgorithm
from gateway.s3.messages import Headers
from gateway.s3.sigv4 import AuthContext, Payload
from tests.unit.s3.chunks import pieces_of
from tests.unit.s3.conftest import AKID, CREDENTIALS


def _body(
    data: bytes,
    *,
    length: int | None = -1,
    sha256: str | None = None,
    headers: dict[str, str] | None = None,
) -> RequestBody:
    payload = Payload.SHA256 if sha256 else Payload.UNSIGNED
    auth = AuthContext(AKID, CREDENTIALS.identities[AKID], payload, sha256)
    return open_body(
        auth,
        Headers((headers or {}).items()),
        pieces_of(data, [3, 5]),
        content_length=len(data) if length == -1 else length,  # None: HTTP chunked
    )


async def test_body_shorter_than_content_length_is_incomplete_body() -> None:
    body = _body(b"hello", length=6)
    with pytest.raises(errors.IncompleteBody) as caught:
        await body.drain()
    assert caught.value.values == {"NumberBytesExpected": "6", "NumberBytesProvided": "5"}


async def test_declared_sha256_mismatch_is_x_amz_content_sha256_mismatch() -> None:
    claimed = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(errors.XAmzContentSHA256Mismatch) as caught:
        await _body(b"hello", sha256=claimed).drain()
    assert caught.value.values["S3ComputedContentSHA256"] == hashlib.sha256(b"hello").hexdigest()


async def test_matching_digests_give_md5_and_checksum() -> None:
    md5 = base64.b64encode(hashlib.md5(b"hello").digest()).decode()
    body = _body(
        b"hello",
        sha256=hashlib.sha256(b"hello").hexdigest(),
        headers={
            "Content-MD5": md5,
            "x-amz-checksum-sha1": base64.b64encode(hashlib.sha1(b"hello").digest()).decode(),
        },
    )
    digest = await body.drain()
    assert digest.md5_hex == hashlib.md5(b"hello").hexdigest()
    assert (
        digest.checksums[ChecksumAlgorithm.SHA1]
        == base64.b64encode(hashlib.sha1(b"hello").digest()).decode()
    )
    assert body.verify() is digest


async def test_declined_md5_gives_no_md5_but_keeps_the_other_checks() -> None:
    body = _body(b"hello", sha256=hashlib.sha256(b"other").hexdigest())
    body.decline_md5()
    with pytest.raises(errors.XAmzContentSHA256Mismatch):
        await body.drain()
    body = _body(b"hello", sha256=hashlib.sha256(b"hello").hexdigest())
    body.decline_md5()
    assert (await body.drain()).md5_hex is None


async def test_declined_md5_is_still_checked_against_content_md5() -> None:
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    body = _body(b"hello", headers={"Content-MD5": wrong})
    body.decline_md5()
    with pytest.raises(errors.BadDigest):
        await body.drain()
    right = base64.b64encode(hashlib.md5(b"hello").digest()).decode()
    body = _body(b"hello", headers={"Content-MD5": right})
    body.decline_md5()
    assert (await body.drain()).md5_hex == hashlib.md5(b"hello").hexdigest()


async def test_md5_cannot_be_declined_once_the_body_is_being_read() -> None:
    body = _body(b"hello")
    await anext(body)
    with pytest.raises(RuntimeError):
        body.decline_md5()


async def test_two_checksum_headers_are_invalid_request() -> None:
    with pytest.raises(errors.InvalidRequest, match="single x-amz-checksum"):
        _body(
            b"x", headers={"x-amz-checksum-crc32": "AAAAAA==", "x-amz-checksum-crc32c": "AAAAAA=="}
        )


async def test_sdk_algorithm_naming_another_checksum_is_invalid_request() -> None:
    with pytest.raises(errors.InvalidRequest, match="x-amz-sdk-checksum-algorithm"):
        _body(
            b"x",
            headers={"x-amz-checksum-crc32": "AAAAAA==", "x-amz-sdk-checksum-algorithm": "SHA256"},
        )


async def test_read_all_refuses_more_than_its_limit() -> None:
    with pytest.raises(errors.MaxMessageLengthExceeded):
        await _body(b"x" * 100).read_all(limit=10)
    with pytest.raises(errors.MaxMessageLengthExceeded):
        await _body(b"x" * 100, length=None).read_all(limit=99)


def test_stored_content_encoding_drops_only_aws_chunked() -> None:
    assert stored_content_encoding(Headers([("Content-Encoding", "aws-chunked")])) is None
    assert stored_content_encoding(Headers([("Content-Encoding", "gzip,aws-chunked")])) == "gzip"
    assert stored_content_encoding(Headers([("Content-Encoding", "aws-chunked, br")])) == "br"
    assert stored_content_encoding(Headers()) is None
