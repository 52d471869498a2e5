"""Reading an upload body: stream it into a blob while hashing, in one of B2's SHA-1 modes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from aiohttp import web

from gateway.emulator.blobs import BlobStore
from gateway.emulator.errors import B2Error, bad_request
from gateway.emulator.rules import check_sha1_hex

HEX_AT_END = "hex_digits_at_end"
DO_NOT_VERIFY = "do_not_verify"
SHA1_HEX_CHARS = 40
READ_CHUNK_BYTES = 64 * 1024


class ConnectionDroppedError(Exception):
    """The emulator closed the connection on purpose (an injected ``drop`` fault)."""


@dataclass(frozen=True)
class Received:
    blob: str
    length: int
    sha1: str  # as stored and returned: 40 hex, or "unverified:<hex>"
    md5: str


@dataclass(frozen=True)
class Sha1Mode:
    expected: str | None  # known up front (40 hex header)
    at_end: bool
    verify: bool

    @classmethod
    def parse(cls, header: str | None) -> Sha1Mode:
        if header is None:
            raise bad_request("Missing header: X-Bz-Content-Sha1")
        if header == HEX_AT_END:
            return cls(None, at_end=True, verify=True)
        if header == DO_NOT_VERIFY:
            return cls(None, at_end=False, verify=False)
        return cls(check_sha1_hex(header), at_end=False, verify=True)


def declared_length(request: web.Request, mode: Sha1Mode, max_bytes: int) -> int:
    """The data length the headers announce (chunked bodies are refused, as by B2)."""
    if request.content_length is None:
        raise B2Error(400, "bad_request", "Missing header: Content-Length")
    length = request.content_length - (SHA1_HEX_CHARS if mode.at_end else 0)
    if length < 0:
        raise bad_request("Content-Length too small for hex_digits_at_end")
    if length > max_bytes:
        raise bad_request(f"Content-Length {length} is over the limit of {max_bytes} bytes")
    return length


async def receive_body(
    request: web.Request, blobs: BlobStore, mode: Sha1Mode, length: int, *, drop_mid_body: bool
) -> Received:
    """Store exactly ``length`` data bytes; check the SHA-1; the blob exists only on success."""
    writer = await blobs.new_writer()
    digest = _Digest(mode, length)
    try:
        async for chunk in request.content.iter_chunked(READ_CHUNK_BYTES):
            data = digest.take(chunk, writer.size)
            if data:
                await writer.write(data)
            if drop_mid_body and writer.size * 2 >= length:
                raise ConnectionDroppedError  # noqa: TRY301 - the except discards the blob
        sha1 = digest.verified_sha1(writer.size)
        blob = await writer.commit()
    except BaseException:
        await writer.discard()
        raise
    return Received(blob=blob, length=length, sha1=sha1, md5=digest.md5.hexdigest())


class _Digest:
    """Hashes the data bytes and keeps the trailing 40 hex digits apart (hex_digits_at_end)."""

    def __init__(self, mode: Sha1Mode, length: int) -> None:
        self._mode = mode
        self._length = length
        self._sha1 = hashlib.sha1()  # noqa: S324 - B2's own checksum
        self.md5 = hashlib.md5()  # noqa: S324 - B2 reports it for simple uploads
        self._trailer = bytearray()

    def take(self, chunk: bytes, written: int) -> bytes:
        data = chunk[: max(0, self._length - written)]
        self._trailer += chunk[len(data) :]
        self._sha1.update(data)
        self.md5.update(data)
        return data

    def verified_sha1(self, written: int) -> str:
        """The SHA-1 as stored: raises when the body is short or does not match."""
        trailer_size = SHA1_HEX_CHARS if self._mode.at_end else 0
        if written != self._length or len(self._trailer) != trailer_size:
            raise bad_request("Request body is shorter than Content-Length")
        actual = self._sha1.hexdigest()
        if not self._mode.verify:
            return f"unverified:{actual}"
        expected = self._mode.expected
        if self._mode.at_end:
            expected = check_sha1_hex(self._trailer.decode("ascii", "replace"))
        if expected != actual:
            raise bad_request(f"Sha1 did not match data received: expected {expected}")
        return actual
