"""aws-chunked decoding: the S3 documentation vectors, every refusal, and properties."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.s3 import errors
from gateway.s3.body import RequestBody, open_body
from gateway.s3.canonical import Scope, signing_key
from gateway.s3.chunked import PIECE, AwsChunkedDecoder, ChunkedFormat
from gateway.s3.messages import Headers
from gateway.s3.sigv4 import AuthContext, ChunkSigning, Payload, SignedRequest, SigV4Verifier
from tests.unit.s3.chunks import pieces_of, signed_body, split, unsigned_body
from tests.unit.s3.conftest import CREDENTIALS, DOC_AKID, DOC_SECRET, REGION, fixed_clock
from tests.unit.s3.vectors import VECTORS, load_json

DOCS = VECTORS / "s3-docs"
STREAMING = load_json(DOCS / "chunked-put-object.json")
TRAILER = load_json(DOCS / "chunked-put-object-trailer-crc32c.json")
MULTI = load_json(DOCS / "chunked-put-object-multi-trailer-aws-c-auth.json")
SCOPE = Scope("20130524", "us-east-1", "s3")
SIGNING = ChunkSigning(
    signing_key(DOC_SECRET, SCOPE), "20130524T000000Z", SCOPE, STREAMING["expected"]["signature"]
)


def _doc_wire(vector: dict[str, Any], *, trailer_signature: str | None = None) -> bytes:
    """The wire body from the vector's own published signatures."""
    out = []
    for chunk in vector["expected"]["chunks"]:
        out.append(f"{chunk['size']:x};chunk-signature={chunk['signature']}\r\n".encode())
        if chunk["size"]:
            out.append(b"a" * chunk["size"] + b"\r\n")
    if "trailers" not in vector:
        return b"".join([*out, b"\r\n"])
    out.extend(f"{n}:{v}\r\n".encode() for n, v in vector["trailers"])
    signature = trailer_signature or vector["expected"]["trailer_signature"]
    out.append(f"x-amz-trailer-signature:{signature}\r\n\r\n".encode())
    return b"".join(out)


def _doc_body(vector: dict[str, Any], wire: bytes, sizes: list[int] | None = None) -> RequestBody:
    request = vector["request"]
    headers = [(n.lower(), v.encode()) for n, v in request["headers"]]
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={DOC_AKID}/20130524/us-east-1/s3/aws4_request,"
        f"SignedHeaders={vector['signed_headers']},Signature={vector['expected']['signature']}"
    )
    headers.append(("authorization", authorization.encode()))
    signed = SignedRequest(request["method"], request["raw_path"], "", headers)
    auth = SigV4Verifier(CREDENTIALS, region=REGION, clock=fixed_clock("20130524T000000Z")).verify(
        signed
    )
    plain = Headers((n, v.decode()) for n, v in headers)
    return open_body(auth, plain, pieces_of(wire, sizes or []), content_length=len(wire))


async def _read(body: AsyncIterator[bytes]) -> bytes:
    return b"".join([piece async for piece in body])


async def test_doc_streaming_vector_decodes_to_its_payload() -> None:
    wire = _doc_wire(STREAMING)
    assert len(wire) == STREAMING["expected"]["wire_body_length"]
    body = _doc_body(STREAMING, wire, [1000, 7, 65536, 3])
    assert await _read(body) == b"a" * 66560
    assert body.verify().md5_hex == hashlib.md5(b"a" * 66560).hexdigest()


async def test_doc_trailer_vector_decodes_and_checks_crc32c() -> None:
    wire = _doc_wire(TRAILER)
    assert len(wire) == TRAILER["expected"]["wire_body_length"]
    body = _doc_body(TRAILER, wire)
    assert await _read(body) == b"a" * 66560
    digest = body.verify()
    assert list(digest.checksums.values()) == ["sOO8/Q=="]
    assert body.trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}


async def test_doc_trailer_vector_with_wrong_trailer_signature_is_refused() -> None:
    wire = _doc_wire(TRAILER, trailer_signature="0" * 64)
    with pytest.raises(errors.SignatureDoesNotMatch):
        await _read(_doc_body(TRAILER, wire))


async def test_aws_c_auth_multi_trailer_vector_verifies() -> None:
    fmt = ChunkedFormat(
        66560, SIGNING, trailer=True, declared_trailers=("first", "second", "third")
    )
    decoder = AwsChunkedDecoder(pieces_of(_doc_wire(MULTI)), fmt)
    assert await _read(aiter(decoder)) == b"a" * 66560
    assert decoder.trailers == {"first": "1st", "second": "2nd", "third": "3rd"}


async def test_doc_streaming_vector_with_changed_data_byte_is_signature_mismatch() -> None:
    wire = bytearray(_doc_wire(STREAMING))
    wire[200] ^= 1
    body = _doc_body(STREAMING, bytes(wire))
    with pytest.raises(errors.SignatureDoesNotMatch):
        await _read(body)
    with pytest.raises(errors.SignatureDoesNotMatch):
        body.verify()


def _signed_format(length: int, *, trailers: tuple[str, ...] = ()) -> ChunkedFormat:
    return ChunkedFormat(length, SIGNING, trailer=bool(trailers), declared_trailers=trailers)


async def _decode(wire: bytes, fmt: ChunkedFormat, sizes: list[int] | None = None) -> bytes:
    return await _read(aiter(AwsChunkedDecoder(pieces_of(wire, sizes or []), fmt)))


async def test_signed_chunk_smaller_than_8_kib_before_the_last_is_invalid_chunk_size() -> None:
    data = b"x" * 20000
    wire = signed_body([data[:100], data[100:]], SIGNING)
    with pytest.raises(errors.InvalidChunkSizeError) as caught:
        await _decode(wire, _signed_format(len(data)))
    assert caught.value.values == {"Chunk": "1", "BadChunkSize": "100"}


async def test_decoded_length_differing_from_the_declared_length_is_incomplete_body() -> None:
    wire = signed_body([b"x" * 10000], SIGNING)
    with pytest.raises(errors.IncompleteBody):
        await _decode(wire, _signed_format(10001))
    with pytest.raises(errors.IncompleteBody):
        await _decode(wire, _signed_format(9999))


async def test_truncated_body_is_incomplete_body() -> None:
    wire = signed_body([b"x" * 10000], SIGNING)
    with pytest.raises(errors.IncompleteBody):
        await _decode(wire[:-50], _signed_format(10000))


async def test_data_after_the_final_chunk_is_refused() -> None:
    wire = signed_body([b"x" * 10000], SIGNING) + b"junk"
    with pytest.raises(errors.IncompleteBody):
        await _decode(wire, _signed_format(10000))


async def test_malformed_chunk_header_is_incomplete_body() -> None:
    with pytest.raises(errors.IncompleteBody):
        await _decode(b"zz;chunk-signature=00\r\n", _signed_format(1))


async def test_undeclared_and_missing_trailers_are_malformed_trailer() -> None:
    wire = unsigned_body([b"hello"], [("x-amz-checksum-crc32", "NhCmhg==")])
    fmt = ChunkedFormat(5, None, trailer=True, declared_trailers=("x-amz-checksum-crc32c",))
    with pytest.raises(errors.MalformedTrailerError):
        await _decode(wire, fmt)
    fmt = ChunkedFormat(5, None, trailer=True, declared_trailers=("x-amz-checksum-crc32", "x"))
    with pytest.raises(errors.MalformedTrailerError):
        await _decode(wire, fmt)


async def test_signed_trailer_without_trailer_signature_is_malformed_trailer() -> None:
    wire = signed_body([b"x" * 9000], SIGNING, [("x-amz-checksum-crc32", "AAAAAA==")])
    wire = wire.replace(b"x-amz-trailer-signature", b"x-amz-other-signature")
    with pytest.raises(errors.MalformedTrailerError):
        await _decode(wire, _signed_format(9000, trailers=("x-amz-checksum-crc32",)))


def _unsigned_trailer_body(wire: bytes, length: int, trailer: str) -> RequestBody:
    auth = AuthContext("a", CREDENTIALS.identities[DOC_AKID], Payload.STREAMING_UNSIGNED_TRAILER)
    headers = Headers(
        [
            ("x-amz-decoded-content-length", str(length)),
            ("x-amz-trailer", trailer),
            ("content-encoding", "aws-chunked"),
        ]
    )
    return open_body(auth, headers, pieces_of(wire), content_length=None)


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


async def test_unsigned_trailer_with_wrong_crc32_is_bad_digest() -> None:
    wire = unsigned_body([b"hello"], [("x-amz-checksum-crc32", _crc32(b"hellp"))])
    body = _unsigned_trailer_body(wire, 5, "x-amz-checksum-crc32")
    with pytest.raises(errors.BadDigest, match="The CRC32 you specified did not match"):
        await _read(body)
    with pytest.raises(errors.BadDigest):
        body.verify()


async def test_unsigned_trailer_with_malformed_crc32_is_invalid_request() -> None:
    wire = unsigned_body([b"hello"], [("x-amz-checksum-crc32", "not base64!")])
    body = _unsigned_trailer_body(wire, 5, "x-amz-checksum-crc32")
    with pytest.raises(errors.InvalidRequest, match="x-amz-checksum-crc32 trailing header"):
        await _read(body)


async def test_streaming_payload_without_decoded_length_is_missing_content_length() -> None:
    auth = AuthContext("a", CREDENTIALS.identities[DOC_AKID], Payload.STREAMING_UNSIGNED_TRAILER)
    with pytest.raises(errors.MissingContentLength):
        open_body(auth, Headers(), pieces_of(b""), content_length=None)


async def test_verify_before_the_end_is_an_error_not_a_verdict() -> None:
    wire = unsigned_body([b"hello"], [("x-amz-checksum-crc32", _crc32(b"hello"))])
    body = _unsigned_trailer_body(wire, 5, "x-amz-checksum-crc32")
    with pytest.raises(RuntimeError):
        body.verify()
    assert await _read(body) == b"hello"
    assert body.verify().length == 5


async def _claimed_huge_chunk(total: int) -> AsyncIterator[bytes]:
    yield b"ffffffffff\r\n"  # claims 1 TiB
    block = b"z" * PIECE
    for _ in range(total // PIECE):
        yield block


async def test_a_claimed_huge_chunk_streams_in_bounded_memory() -> None:
    total = 32 * 1024 * 1024
    fmt = ChunkedFormat(0xFFFFFFFFFF, None, trailer=True)
    decoder = AwsChunkedDecoder(_claimed_huge_chunk(total), fmt)
    sizes: list[int] = []

    async def consume() -> None:
        async for piece in decoder:
            sizes.append(len(piece))

    tracemalloc.start()
    try:
        with pytest.raises(errors.IncompleteBody):
            await consume()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(sizes) == total
    assert max(sizes) <= PIECE
    assert peak < 4 * PIECE + 65536


# --- properties ---------------------------------------------------------------------------------

payloads = st.binary(min_size=0, max_size=40000)
cuts = st.lists(st.integers(min_value=1, max_value=9000), max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=payloads, chunk_sizes=cuts, wire_cuts=cuts)
def test_unsigned_random_chunkings_decode_identically(
    data: bytes, chunk_sizes: list[int], wire_cuts: list[int]
) -> None:
    wire = unsigned_body(split(data, chunk_sizes), [("x-amz-checksum-crc32", _crc32(data))])
    fmt = ChunkedFormat(len(data), None, trailer=True, declared_trailers=("x-amz-checksum-crc32",))
    assert asyncio.run(_decode(wire, fmt, wire_cuts)) == data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(min_size=0, max_size=30000),
    chunk=st.integers(min_value=8192, max_value=20000),
    wire_cuts=cuts,
)
def test_signed_random_chunkings_decode_identically(
    data: bytes, chunk: int, wire_cuts: list[int]
) -> None:
    wire = signed_body(split(data, [chunk] * 4), SIGNING)
    assert asyncio.run(_decode(wire, _signed_format(len(data)), wire_cuts)) == data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(min_size=1, max_size=20000), where=st.floats(0, 1), wire_cuts=cuts)
def test_any_flipped_bit_in_a_signed_body_is_refused(
    data: bytes, where: float, wire_cuts: list[int]
) -> None:
    wire = bytearray(
        signed_body(split(data, [8192] * 3), SIGNING, [("x-amz-checksum-crc32", _crc32(data))])
    )
    wire[min(int(where * len(wire)), len(wire) - 1)] ^= 1
    fmt = _signed_format(len(data), trailers=("x-amz-checksum-crc32",))
    with pytest.raises(errors.S3Error):
        asyncio.run(_decode(bytes(wire), fmt, wire_cuts))


@settings(max_examples=150, deadline=None)
@given(garbage=st.binary(max_size=3000), wire_cuts=cuts, signed=st.booleans())
def test_garbage_is_refused_or_decoded_never_hangs(
    garbage: bytes, wire_cuts: list[int], signed: bool
) -> None:
    fmt = ChunkedFormat(10, SIGNING if signed else None, trailer=True)
    try:
        decoded = asyncio.run(_decode(garbage, fmt, wire_cuts))
    except errors.S3Error:
        return
    assert len(decoded) == 10  # accepted only if it is a well-formed 10-byte body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(min_size=1, max_size=20000), where=st.floats(0, 1))
def test_any_flipped_bit_in_an_unsigned_trailer_body_is_refused(data: bytes, where: float) -> None:
    """Unsigned chunks are covered only by the trailing CRC32: the body's verdict catches it."""
    wire = bytearray(
        unsigned_body(split(data, [5000] * 5), [("x-amz-checksum-crc32", _crc32(data))])
    )
    wire[min(int(where * len(wire)), len(wire) - 1)] ^= 1
    body = _unsigned_trailer_body(bytes(wire), len(data), "x-amz-checksum-crc32")
    with pytest.raises(errors.S3Error):
        asyncio.run(body.drain())
