"""Pure parts of multipart uploads: ETags, checksums, part checks, B2 pieces, keep-alive."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.b2 import ByteRange
from gateway.s3 import errors
from gateway.s3.checksums import ChecksumAlgorithm
from gateway.s3.messages import S3Response
from gateway.s3.xml_bodies import CompletedPart
from gateway.translate.errors import Target
from gateway.translate.multipart_assembly import Piece
from gateway.translate.multipart_complete import (
    MIN_PART_BYTES,
    _kept_alive,
    chosen_parts,
    pieces_of,
)
from gateway.translate.multipart_store import StoredPart, marker_name, part_name
from gateway.translate.multipart_sums import (
    ChecksumChoice,
    ChecksumType,
    PartDigest,
    multipart_etag,
    object_checksum,
)


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def test_multipart_etag_is_md5_of_binary_part_md5s_with_count() -> None:
    parts = [b"a" * 10, b"b" * 3]
    md5s = [hashlib.md5(p).hexdigest() for p in parts]
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    assert multipart_etag(md5s) == hashlib.md5(joined).hexdigest() + "-2"


@settings(max_examples=50)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=6))
def test_full_object_crcs_combine_into_the_crc_of_the_whole(parts: list[bytes]) -> None:
    whole = b"".join(parts)
    for algorithm in (
        ChecksumAlgorithm.CRC32,
        ChecksumAlgorithm.CRC32C,
        ChecksumAlgorithm.CRC64NVME,
    ):

        def crc(data: bytes, algorithm: ChecksumAlgorithm = algorithm) -> bytes:
            hasher = algorithm.hasher()
            hasher.update(data)
            return hasher.digest()

        choice = ChecksumChoice(algorithm, ChecksumType.FULL_OBJECT)
        digests = [PartDigest(len(p), "", b64(crc(p))) for p in parts]
        assert object_checksum(choice, digests) == b64(crc(whole))


def test_composite_checksum_hashes_the_part_checksums_and_counts_them() -> None:
    parts = [b"one", b"two", b"three"]
    sums = [hashlib.sha256(p).digest() for p in parts]
    choice = ChecksumChoice(ChecksumAlgorithm.SHA256, ChecksumType.COMPOSITE)
    digests = [PartDigest(len(p), "", b64(s)) for p, s in zip(parts, sums, strict=True)]
    assert object_checksum(choice, digests) == b64(hashlib.sha256(b"".join(sums)).digest()) + "-3"
    assert object_checksum(choice, [PartDigest(1, "", None)]) is None


@pytest.mark.parametrize(
    ("algorithm", "kind", "expected"),
    [
        ("CRC32", None, ChecksumChoice(ChecksumAlgorithm.CRC32, ChecksumType.COMPOSITE)),
        (
            "crc32c",
            "FULL_OBJECT",
            ChecksumChoice(ChecksumAlgorithm.CRC32C, ChecksumType.FULL_OBJECT),
        ),
        ("CRC64NVME", None, ChecksumChoice(ChecksumAlgorithm.CRC64NVME, ChecksumType.FULL_OBJECT)),
        ("SHA1", "COMPOSITE", ChecksumChoice(ChecksumAlgorithm.SHA1, ChecksumType.COMPOSITE)),
        (None, None, None),
    ],
)
def test_checksum_choice_follows_s3_defaults(
    algorithm: str | None, kind: str | None, expected: ChecksumChoice | None
) -> None:
    assert ChecksumChoice.from_headers(algorithm, kind) == expected


@pytest.mark.parametrize(
    ("algorithm", "kind"),
    [("SHA256", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE"), ("MD5", None), (None, "COMPOSITE")],
)
def test_checksum_choice_refuses_what_s3_refuses(algorithm: str | None, kind: str | None) -> None:
    with pytest.raises(errors.InvalidRequest):
        ChecksumChoice.from_headers(algorithm, kind)


def stored(number: int, size: int, etag: str = "e") -> StoredPart:
    return StoredPart(number, f"id{number}", size, etag, {}, 0)


def test_chosen_parts_checks_presence_etag_and_minimum_size() -> None:
    parts = {1: stored(1, MIN_PART_BYTES), 3: stored(3, 10)}
    request = [CompletedPart(1, '"e"'), CompletedPart(3, "e")]
    assert [p.number for p in chosen_parts("u", request, parts)] == [1, 3]
    with pytest.raises(errors.InvalidPart) as missing:
        chosen_parts("u", [CompletedPart(2, "e")], parts)
    assert missing.value.values == {"UploadId": "u", "PartNumber": "2", "ETag": "e"}
    with pytest.raises(errors.InvalidPart):
        chosen_parts("u", [CompletedPart(1, "other")], parts)
    with pytest.raises(errors.EntityTooSmall) as small:
        chosen_parts("u", [CompletedPart(3, "e"), CompletedPart(1, "e")], parts)
    assert small.value.values["PartNumber"] == "3"


def test_chosen_parts_refuses_a_checksum_that_differs_from_the_stored_one() -> None:
    part = StoredPart(1, "id", 5, "e", {ChecksumAlgorithm.CRC32: "AAAAAA=="}, 0)
    wanted = CompletedPart(1, "e", {ChecksumAlgorithm.CRC32: "AAAAAQ=="})
    with pytest.raises(errors.InvalidPart):
        chosen_parts("u", [wanted], {1: part})


@settings(max_examples=200)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8),
    limit=st.integers(min_value=10, max_value=400),
)
def test_pieces_cover_every_byte_in_order_within_the_limit(sizes: list[int], limit: int) -> None:
    parts = [stored(n, size) for n, size in enumerate(sizes, 1)]
    pieces = pieces_of(parts, limit)
    covered: list[tuple[str, int, int]] = []
    for piece in pieces:
        size = next(p.size for p in parts if p.file_id == piece.file_id)
        first, last = (0, size - 1) if piece.byte_range is None else _bounds(piece.byte_range)
        assert 0 < last - first + 1 <= limit
        assert piece.byte_range is None or last - first + 1 >= limit // 2
        covered.append((piece.file_id, first, last))
    expected = [(p.file_id, 0, p.size - 1) for p in parts if p.size]
    assert _merge(covered) == expected


def _bounds(byte_range: ByteRange) -> tuple[int, int]:
    assert byte_range.end is not None
    return byte_range.start, byte_range.end


def _merge(spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    merged: list[tuple[str, int, int]] = []
    for file_id, first, last in spans:
        if merged and merged[-1][0] == file_id and merged[-1][2] + 1 == first:
            merged[-1] = (file_id, merged[-1][1], last)
        else:
            merged.append((file_id, first, last))
    return merged


def test_a_part_at_the_limit_is_one_whole_piece() -> None:
    assert pieces_of([stored(1, 100)], 100) == [Piece("id1", None)]


def test_upload_ids_the_gateway_never_issues_are_no_such_upload() -> None:
    for bad in ("", "../x", "0000000000000-XYZ", "1/2"):
        with pytest.raises(errors.NoSuchUpload):
            marker_name("k", bad)
    assert part_name("0000000000001-0123456789abcdef", 7).endswith("/00007")


async def test_kept_alive_sends_spaces_while_working_then_the_document() -> None:
    release = asyncio.Event()

    async def work() -> S3Response:
        await release.wait()
        return S3Response.xml(b'<?xml version="1.0" encoding="UTF-8"?>\n<Done/>')

    task = asyncio.ensure_future(work())
    stream = _kept_alive(task, 0, Target("b", "k", None), "req")
    assert await anext(stream) == b'<?xml version="1.0" encoding="UTF-8"?>\n'
    assert await anext(stream) == b" "
    release.set()
    rest = [chunk async for chunk in stream]
    assert rest[-1] == b"<Done/>"
    assert set(rest[:-1]) <= {b" "}


async def test_kept_alive_turns_a_late_failure_into_an_error_document() -> None:
    async def work() -> S3Response:
        raise errors.InvalidPart(UploadId="u", PartNumber=1, ETag="e")

    task = asyncio.ensure_future(work())
    chunks = [c async for c in _kept_alive(task, 0, Target("b", "k", None), "req")]
    body = b"".join(chunks)
    assert body.startswith(b"<?xml")
    assert b"<Code>InvalidPart</Code>" in body
    assert body.count(b"<?xml") == 1
