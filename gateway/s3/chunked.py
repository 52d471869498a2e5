"""Decode an ``aws-chunked`` body as it streams, verifying chunk and trailer signatures.

Memory stays bounded whatever sizes the framing claims: chunk data is passed through in pieces
while it is hashed, and only chunk-header and trailer lines are buffered (with caps). The input
is the body with any HTTP/1.1 chunking already removed, so it works the same whether the outer
transfer used Content-Length or ``Transfer-Encoding: chunked``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from gateway.s3 import canonical, errors
from gateway.s3.sigv4 import ChunkSigning

MIN_SIGNED_CHUNK = 8192  # every signed chunk but the last data chunk is at least this big
MAX_LINE = 4096  # a chunk header or one trailer line
MAX_TRAILER_BYTES = 16384
PIECE = 65536  # largest slice handed downstream at once

_SIGNED_HEADER = re.compile(rb"([0-9a-fA-F]{1,16});chunk-signature=([0-9a-fA-F]{64})")
_UNSIGNED_HEADER = re.compile(rb"([0-9a-fA-F]{1,16})(?:;[^\r\n]*)?")
TRAILER_SIGNATURE = "x-amz-trailer-signature"


@dataclass(frozen=True)
class ChunkedFormat:
    """How a particular aws-chunked body is framed."""

    decoded_length: int
    signing: ChunkSigning | None  # None: unsigned chunks
    trailer: bool  # the payload mode carries trailers
    declared_trailers: tuple[str, ...] = ()  # lower-case names from x-amz-trailer


class _Reader:
    """A byte source with a small look-ahead buffer over an async iterator of pieces."""

    def __init__(self, pieces: AsyncIterator[bytes]) -> None:
        self._pieces = pieces
        self._buffer = b""
        self._pos = 0

    async def _more(self) -> bool:
        async for piece in self._pieces:
            if piece:
                self._buffer = self._buffer[self._pos :] + piece
                self._pos = 0
                return True
        return False

    async def line(self, limit: int = MAX_LINE) -> bytes | None:
        """The next CRLF-terminated line without its CRLF, or None at a clean end of input."""
        while True:
            end = self._buffer.find(b"\r\n", self._pos)
            if end >= 0:
                line = self._buffer[self._pos : end]
                self._pos = end + 2
                if len(line) > limit:
                    raise _framing("A chunk header or trailer line is too long")
                return line
            if len(self._buffer) - self._pos > limit + 1:
                raise _framing("A chunk header or trailer line is too long")
            if not await self._more():
                if self._pos == len(self._buffer):
                    return None
                raise _truncated()

    async def some(self, most: int) -> bytes:
        """Between 1 and ``most`` bytes."""
        if self._pos == len(self._buffer) and not await self._more():
            raise _truncated()
        piece = self._buffer[self._pos : self._pos + most]
        self._pos += len(piece)
        return piece

    async def at_end(self) -> bool:
        return self._pos == len(self._buffer) and not await self._more()


class AwsChunkedDecoder:
    """``async for data in decoder`` yields payload bytes; afterwards ``trailers`` holds the
    trailing headers (lower-case names). Any framing, size or signature problem raises the S3
    error as soon as it is known."""

    def __init__(self, pieces: AsyncIterator[bytes], fmt: ChunkedFormat) -> None:
        self._reader = _Reader(pieces)
        self._fmt = fmt
        self.trailers: dict[str, str] = {}
        self._previous = fmt.signing.seed_signature if fmt.signing else ""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        fmt = self._fmt
        total = 0
        index = 0
        short: tuple[int, int] | None = None  # (chunk number, size) of a short signed chunk
        while True:
            size, provided = await self._chunk_header()
            index += 1
            if fmt.signing is not None and short is not None and size > 0:
                raise errors.InvalidChunkSizeError(Chunk=short[0], BadChunkSize=short[1])
            if 0 < size < MIN_SIGNED_CHUNK:
                short = (index, size)
            if total + size > fmt.decoded_length:
                raise errors.IncompleteBody(
                    "The decoded body is longer than x-amz-decoded-content-length",
                    NumberBytesExpected=fmt.decoded_length,
                    NumberBytesProvided=total + size,
                )
            digest = hashlib.sha256()
            remaining = size
            while remaining:
                piece = await self._reader.some(min(remaining, PIECE))
                remaining -= len(piece)
                if fmt.signing is not None:
                    digest.update(piece)
                yield piece
            total += size
            if size and await self._reader.line(limit=0) != b"":
                raise _framing("Chunk data is not followed by CRLF")
            self._check_chunk_signature(provided, digest.hexdigest())
            if size == 0:
                break
        if total != fmt.decoded_length:
            raise errors.IncompleteBody(
                NumberBytesExpected=fmt.decoded_length, NumberBytesProvided=total
            )
        await self._read_trailers()
        if not await self._reader.at_end():
            raise _framing("The request body continues after the final chunk")

    async def _chunk_header(self) -> tuple[int, str | None]:
        line = await self._reader.line()
        if line is None:
            raise _truncated()
        pattern = _SIGNED_HEADER if self._fmt.signing is not None else _UNSIGNED_HEADER
        match = pattern.fullmatch(line)
        if match is None:
            raise _framing("A chunk header is malformed")
        provided = match.group(2).decode().lower() if self._fmt.signing is not None else None
        return int(match.group(1), 16), provided

    def _check_chunk_signature(self, provided: str | None, data_sha256: str) -> None:
        signing = self._fmt.signing
        if signing is None or provided is None:
            return
        expected = signing.chunk_signature(self._previous, data_sha256)
        if not canonical.signatures_equal(expected, provided):
            raise errors.SignatureDoesNotMatch(
                "The chunk signature we calculated does not match the signature you provided."
            )
        self._previous = expected

    async def _read_trailers(self) -> None:
        """Trailer lines up to the blank line (a clean end of input also ends them)."""
        fmt = self._fmt
        consumed = 0
        signature: str | None = None
        while (line := await self._reader.line()) not in (None, b""):
            assert line is not None
            consumed += len(line) + 2
            name, colon, value = line.decode("utf-8", "replace").partition(":")
            name = name.strip(" \t").lower()
            if not colon or not name or not fmt.trailer or consumed > MAX_TRAILER_BYTES:
                raise errors.MalformedTrailerError()
            if name == TRAILER_SIGNATURE and fmt.signing is not None:
                signature = value.strip(" \t")
            elif name in self.trailers:
                raise errors.MalformedTrailerError()
            else:
                self.trailers[name] = value.strip(" \t")
        if fmt.trailer and set(self.trailers) != set(fmt.declared_trailers):
            raise errors.MalformedTrailerError()
        if fmt.trailer and fmt.signing is not None:
            self._check_trailer_signature(signature)

    def _check_trailer_signature(self, provided: str | None) -> None:
        assert self._fmt.signing is not None
        if provided is None:
            raise errors.MalformedTrailerError()
        canonical_trailers = "".join(
            f"{name}:{value}\n" for name, value in sorted(self.trailers.items())
        )
        digest = hashlib.sha256(canonical_trailers.encode()).hexdigest()
        expected = self._fmt.signing.trailer_signature(self._previous, digest)
        if not canonical.signatures_equal(expected, provided.lower()):
            raise errors.SignatureDoesNotMatch(
                "The trailer signature we calculated does not match the signature you provided."
            )


def _truncated() -> errors.S3Error:
    return errors.IncompleteBody("The request body terminated unexpectedly")


def _framing(detail: str) -> errors.S3Error:
    return errors.IncompleteBody(f"The request body is not valid aws-chunked encoding: {detail}")
