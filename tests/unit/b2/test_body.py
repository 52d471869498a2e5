from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest

from gateway.b2.body import (
    BodyAlreadyConsumedError,
    BodyLengthMismatchError,
    Sha1TrailerStream,
    UploadBody,
)


async def _drain(stream: Sha1TrailerStream) -> bytes:
    return b"".join([chunk async for chunk in stream])


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_sha1_trailer_stream_appends_hex_digest() -> None:
    data = b"hello world" * 1000
    stream = Sha1TrailerStream(UploadBody.from_bytes(data, chunk_size=1000))
    wire = await _drain(stream)
    digest = hashlib.sha1(data).hexdigest()
    assert wire == data + digest.encode()
    assert stream.wire_length == len(wire)
    assert stream.sha1_hex == digest


async def test_sha1_trailer_stream_awaits_finalize_after_last_data_byte() -> None:
    seen: list[int] = []
    sent = 0

    async def finalize() -> None:
        seen.append(sent)

    stream = Sha1TrailerStream(UploadBody.from_bytes(b"abcdef", chunk_size=2), finalize)
    async for chunk in stream:
        sent += len(chunk)
    assert seen == [6]


async def test_sha1_trailer_stream_withholds_digest_when_finalize_raises() -> None:
    class ChecksumMismatchError(Exception):
        pass

    async def finalize() -> None:
        raise ChecksumMismatchError

    stream = Sha1TrailerStream(UploadBody.from_bytes(b"abc"), finalize)
    received: list[bytes] = []

    async def consume() -> None:
        async for chunk in stream:
            received.append(chunk)

    with pytest.raises(ChecksumMismatchError):
        await consume()
    assert received == [b"abc"]
    assert isinstance(stream.caller_error, ChecksumMismatchError)
    assert stream.sha1_hex is None


@pytest.mark.parametrize("parts", [(b"abc",), (b"abcd", b"ef")])
async def test_sha1_trailer_stream_refuses_wrong_length(parts: tuple[bytes, ...]) -> None:
    stream = Sha1TrailerStream(UploadBody.one_shot(4, _chunks(*parts)))
    with pytest.raises(BodyLengthMismatchError):
        await _drain(stream)
    assert isinstance(stream.caller_error, BodyLengthMismatchError)


async def test_one_shot_body_opens_once() -> None:
    body = UploadBody.one_shot(3, _chunks(b"abc"))
    assert body.can_restart
    await _drain(Sha1TrailerStream(body))
    assert not body.can_restart
    with pytest.raises(BodyAlreadyConsumedError):
        body.open()


async def test_replayable_body_restarts_from_first_byte() -> None:
    body = UploadBody.reopenable(3, lambda: _chunks(b"a", b"bc"))
    first = await _drain(Sha1TrailerStream(body))
    second = await _drain(Sha1TrailerStream(body))
    assert first == second
    assert body.can_restart


async def test_chunks_body_replays_its_chunks_as_they_are() -> None:
    chunks = [b"a" * 5, b"b" * 7]
    body = UploadBody.from_chunks(chunks)
    assert body.length == 12
    first = [chunk async for chunk in body.open()]
    second = [chunk async for chunk in body.open()]
    assert first == second == chunks
    assert all(sent is held for sent, held in zip(first, chunks, strict=True))  # no copies
