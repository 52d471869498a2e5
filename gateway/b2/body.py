"""Upload bodies: replayable or one-shot sources, and the SHA-1-at-end wire stream.

B2 accepts `X-Bz-Content-Sha1: hex_digits_at_end`: the 40 hex digits follow the data, so an upload
can stream without knowing its digest up front. `Sha1TrailerStream` hashes while it sends and, after
the last data byte, awaits the caller's `finalize()`. Only if that returns does the real digest go
out; if it (or the source) raises, the stream raises too, which aborts the connection before B2 has
the full Content-Length. So B2 never commits a body the caller rejected (e.g. a bad S3 checksum).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

Finalize = Callable[[], Awaitable[None]]
SHA1_AT_END = "hex_digits_at_end"
SHA1_HEX_LENGTH = 40


class BodyLengthMismatchError(ValueError):
    """The source produced more or fewer bytes than the declared length."""


class BodyAlreadyConsumedError(RuntimeError):
    """A one-shot body was opened a second time."""


class UploadBody:
    """The data of one upload: `length` bytes from a source that may or may not be re-openable."""

    def __init__(
        self, length: int, opener: Callable[[], AsyncIterator[bytes]], *, replayable: bool
    ) -> None:
        if length < 0:
            raise ValueError("negative body length")
        self.length = length
        self.replayable = replayable
        self._opener = opener
        self._opened = False

    @classmethod
    def from_bytes(cls, data: bytes, *, chunk_size: int = 1 << 16) -> UploadBody:
        """A replayable body over bytes already in memory (small objects, parts held for retry)."""

        async def chunks() -> AsyncIterator[bytes]:
            view = memoryview(data)
            for offset in range(0, len(data), chunk_size):
                yield bytes(view[offset : offset + chunk_size])

        return cls(len(data), chunks, replayable=True)

    @classmethod
    def from_chunks(cls, chunks: Sequence[bytes]) -> UploadBody:
        """A replayable body over chunks already in memory, sent as they are: a body read piece
        by piece need not be joined (a copy of every byte) to be sent again."""
        held = tuple(chunks)

        async def replay() -> AsyncIterator[bytes]:
            for chunk in held:
                yield chunk

        return cls(sum(len(chunk) for chunk in held), replay, replayable=True)

    @classmethod
    def reopenable(cls, length: int, opener: Callable[[], AsyncIterator[bytes]]) -> UploadBody:
        """A replayable body: `opener()` starts the same bytes again (a spooled file...)."""
        return cls(length, opener, replayable=True)

    @classmethod
    def one_shot(cls, length: int, stream: AsyncIterator[bytes]) -> UploadBody:
        """A body that can be read once (an S3 client's request stream)."""
        return cls(length, lambda: stream, replayable=False)

    @property
    def can_restart(self) -> bool:
        """Whether another attempt can send this body from its first byte."""
        return self.replayable or not self._opened

    def open(self) -> AsyncIterator[bytes]:
        if self._opened and not self.replayable:
            raise BodyAlreadyConsumedError("a one-shot upload body can be sent only once")
        self._opened = True
        return self._opener()


@dataclass
class _Outcome:
    sha1_hex: str | None = None
    caller_error: BaseException | None = None


class Sha1TrailerStream:
    """One attempt's wire body: the data, hashed in-stream, then its SHA-1 as 40 hex digits."""

    def __init__(self, body: UploadBody, finalize: Finalize | None = None) -> None:
        self._body = body
        self._finalize = finalize
        self._outcome = _Outcome()

    @property
    def wire_length(self) -> int:
        return self._body.length + SHA1_HEX_LENGTH

    @property
    def sha1_hex(self) -> str | None:
        """The digest that was sent, once the whole body went out."""
        return self._outcome.sha1_hex

    @property
    def caller_error(self) -> BaseException | None:
        """What the source or `finalize()` raised; the upload was aborted because of it."""
        return self._outcome.caller_error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        digest = hashlib.sha1()  # noqa: S324 - B2's integrity check is SHA-1 by contract
        sent = 0
        try:
            async for chunk in self._body.open():
                sent += len(chunk)
                _check_length(sent, self._body.length, finished=False)
                digest.update(chunk)
                yield chunk
            _check_length(sent, self._body.length, finished=True)
            if self._finalize is not None:
                await self._finalize()
        except Exception as exc:
            # Recorded so the client re-raises the caller's own exception, however aiohttp wraps it.
            self._outcome.caller_error = exc
            raise
        self._outcome.sha1_hex = digest.hexdigest()
        yield self._outcome.sha1_hex.encode("ascii")


def _check_length(sent: int, declared: int, *, finished: bool) -> None:
    if sent > declared or (finished and sent != declared):
        raise BodyLengthMismatchError(f"body sent {sent} bytes, declared {declared}")
