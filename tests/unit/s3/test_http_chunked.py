"""Signed aws-chunked uploads over plain HTTP (what botocore never sends, but the JS SDK and
others do), built per the spec, with Content-Length or HTTP/1.1 chunking around them."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import zlib

import pytest
from botocore.parsers import RestXMLParser

from gateway.s3 import canonical, errors
from gateway.s3.canonical import Scope
from gateway.s3.messages import S3Request, S3Response
from gateway.s3.operations import Op
from gateway.s3.sigv4 import ChunkSigning
from tests.unit.s3.chunks import signed_body, split
from tests.unit.s3.conftest import AKID, REGION, SECRET, RawResponse, StartServer, send_raw

DATA = bytes(range(256)) * 100  # 25600 bytes: chunks of 8192, 8192, 8192, 1024


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _signing_and_headers(
    host: str, key: str, *, trailer: str | None, decoded_length: int
) -> tuple[ChunkSigning, list[tuple[str, bytes]]]:
    amz_date = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    headers = [
        ("content-encoding", b"aws-chunked"),
        ("host", host.encode()),
        ("x-amz-content-sha256", mode.encode()),
        ("x-amz-date", amz_date.encode()),
        ("x-amz-decoded-content-length", str(decoded_length).encode()),
    ]
    if trailer:
        headers.append(("x-amz-trailer", trailer.encode()))
    names = [name for name, _ in headers]
    scope = Scope(amz_date[:8], REGION, "s3")
    key_bytes = canonical.signing_key(SECRET, scope)
    creq = canonical.canonical_request(
        "PUT", f"/bkt/{key}", "", headers, signed=names, payload_hash=mode
    )
    seed = canonical.signature(key_bytes, canonical.string_to_sign(amz_date, scope, creq))
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={AKID}/{scope}, SignedHeaders={';'.join(names)}, "
        f"Signature={seed}"
    )
    headers.append(("authorization", authorization.encode()))
    return ChunkSigning(key_bytes, amz_date, scope, seed), headers


def _request(
    headers: list[tuple[str, bytes]],
    key: str,
    body: bytes,
    *,
    http_chunked: bool,
    expect: bool = True,
) -> bytes:
    lines = [f"PUT /bkt/{key} HTTP/1.1".encode()]
    if expect:
        lines.append(b"Expect: 100-continue")
    lines += [name.encode() + b": " + value for name, value in headers]
    if http_chunked:
        lines.append(b"Transfer-Encoding: chunked")
        framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in split(body, [5000] * 100))
        body = framed + b"0\r\n\r\n"
    else:
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _code(response: RawResponse) -> str:
    parsed = RestXMLParser().parse(
        {"body": response.body, "headers": response.headers, "status_code": response.status}, None
    )
    return str(parsed["Error"]["Code"])


async def _put(
    url: str,
    *,
    trailer_value: str | None = None,
    http_chunked: bool = False,
    mutate: bytes | None = None,
    replacement: bytes = b"",
    decoded_length: int = len(DATA),
    chunk_sizes: tuple[int, ...] = (8192, 8192, 8192),
) -> RawResponse:
    host = url.split("//")[1]
    trailer = "x-amz-checksum-crc32" if trailer_value is not None else None
    signing, headers = _signing_and_headers(
        host, "a%20b", trailer=trailer, decoded_length=decoded_length
    )
    trailers = [(trailer, trailer_value)] if trailer and trailer_value is not None else None
    body = signed_body(split(DATA, chunk_sizes), signing, trailers)
    if mutate is not None:
        assert mutate in body
        body = body.replace(mutate, replacement, 1)
    return await send_raw(url, _request(headers, "a%20b", body, http_chunked=http_chunked))


@pytest.mark.parametrize("http_chunked", [False, True], ids=["content-length", "http-chunked"])
@pytest.mark.parametrize("with_trailer", [False, True], ids=["payload", "payload-trailer"])
async def test_signed_aws_chunked_put_over_http_verifies(
    start_server: StartServer, http_chunked: bool, with_trailer: bool
) -> None:
    url = await start_server()
    response = await _put(
        url, trailer_value=_crc32(DATA) if with_trailer else None, http_chunked=http_chunked
    )
    assert response.status == 200, response.body
    assert response.headers["x-echo-md5"] == hashlib.md5(DATA).hexdigest()
    assert response.headers["x-echo-key"] == "a%20b"
    if with_trailer:
        assert response.headers["x-echo-checksums"] == f"crc32={_crc32(DATA)}"


async def test_signed_chunk_data_changed_is_signature_mismatch(start_server: StartServer) -> None:
    url = await start_server()
    response = await _put(url, mutate=bytes(range(10)), replacement=bytes(range(1, 11)))
    assert _code(response) == errors.SignatureDoesNotMatch.code


async def test_signed_trailer_changed_is_signature_mismatch(start_server: StartServer) -> None:
    url = await start_server()
    good = _crc32(DATA).encode()
    response = await _put(url, trailer_value=_crc32(DATA), mutate=good, replacement=b"AAAAAA==")
    assert _code(response) == errors.SignatureDoesNotMatch.code


async def test_correctly_signed_wrong_crc32_trailer_is_bad_digest(
    start_server: StartServer,
) -> None:
    url = await start_server()
    response = await _put(url, trailer_value=_crc32(DATA + b"x"))
    assert response.status == 400
    assert _code(response) == errors.BadDigest.code


async def test_short_signed_chunk_before_the_last_is_invalid_chunk_size(
    start_server: StartServer,
) -> None:
    url = await start_server()
    response = await _put(url, chunk_sizes=(100, 8192, 8192))
    assert response.status == 403
    assert _code(response) == errors.InvalidChunkSizeError.code


async def test_declared_length_not_matching_the_chunks_is_incomplete_body(
    start_server: StartServer,
) -> None:
    url = await start_server()
    response = await _put(url, decoded_length=len(DATA) + 1)
    assert _code(response) == errors.IncompleteBody.code


async def test_body_cut_short_of_content_length_is_incomplete_body(
    start_server: StartServer,
) -> None:
    """A client that hangs up mid-body cannot be answered; the handler must see IncompleteBody
    (not a framework exception) so nothing is committed."""
    seen: asyncio.Queue[BaseException] = asyncio.Queue()

    async def recording(request: S3Request) -> S3Response:
        try:
            await request.body.drain()
        except errors.S3Error as exc:
            seen.put_nowait(exc)
            raise
        return S3Response()

    url = await start_server(handlers=dict.fromkeys(Op, recording))
    host = url.split("//")[1]
    signing, headers = _signing_and_headers(host, "k", trailer=None, decoded_length=len(DATA))
    body = signed_body(split(DATA, [8192] * 3), signing)
    # No Expect header: the server would try to write 100 Continue to a half-closed socket.
    request = _request(headers, "k", body, http_chunked=False, expect=False)
    _reader, writer = await asyncio.open_connection(*host.split(":"))
    try:
        writer.write(request[:-100])
        writer.write_eof()  # the client gives up mid-body
        error = await seen.get()
    finally:
        writer.close()
        await writer.wait_closed()
    assert isinstance(error, errors.IncompleteBody)
