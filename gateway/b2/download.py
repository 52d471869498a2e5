"""A download in progress: typed response headers and a bounded, back-pressured chunk iterator."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack

import aiohttp

from gateway.b2.encoding import b2_unquote
from gateway.b2.errors import B2ConnectionError, B2ProtocolError
from gateway.b2.models import ByteRange, ContentRange, DownloadInfo

_INFO_PREFIX = "x-bz-info-"
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def _required(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        raise B2ProtocolError(f"download response lacks {name}")
    return value


def _integer(headers: Mapping[str, str], name: str) -> int:
    value = _required(headers, name)
    if not value.isdigit():
        raise B2ProtocolError(f"download header {name} is not a number: {value!r}")
    return int(value)


def parse_content_range(value: str | None) -> ContentRange | None:
    if value is None:
        return None
    match = _CONTENT_RANGE.fullmatch(value.strip())
    if match is None:
        raise B2ProtocolError(f"unreadable Content-Range {value!r}")
    start, end, total = (int(g) for g in match.groups())
    return ContentRange(start, end, total)


def download_info(status: int, headers: Mapping[str, str]) -> DownloadInfo:
    """Read B2's download headers (names are case-insensitive in `headers`)."""
    sha1 = _required(headers, "X-Bz-Content-Sha1")
    file_info = {
        name[len(_INFO_PREFIX) :].lower(): b2_unquote(value)
        for name, value in headers.items()
        if name.lower().startswith(_INFO_PREFIX)
    }
    return DownloadInfo(
        status=status,
        file_id=_required(headers, "X-Bz-File-Id"),
        file_name=b2_unquote(_required(headers, "X-Bz-File-Name")),
        content_length=_integer(headers, "Content-Length"),
        content_type=_required(headers, "Content-Type"),
        content_sha1=None if sha1 == "none" else sha1,
        upload_timestamp=_integer(headers, "X-Bz-Upload-Timestamp"),
        file_info=file_info,
        content_range=parse_content_range(headers.get("Content-Range")),
        content_disposition=headers.get("Content-Disposition"),
        content_language=headers.get("Content-Language"),
        content_encoding=headers.get("Content-Encoding"),
        cache_control=headers.get("Cache-Control"),
        expires=headers.get("Expires"),
        server_side_encryption=headers.get("X-Bz-Server-Side-Encryption"),
    )


# Opens the rest of a broken download: given how many bytes arrived, a stream of what follows.
Resume = Callable[[int], AbstractAsyncContextManager["DownloadStream"]]


class DownloadStream:
    """The body of one download. aiohttp pauses the socket when its small buffer fills, so a slow
    consumer slows the transfer instead of growing memory.

    With a `resume` hook (the client sets one), a connection lost mid-body is picked up where it
    broke, by file id (immutable, so the bytes cannot change underneath) with a Range request.
    """

    def __init__(self, info: DownloadInfo, response: aiohttp.ClientResponse) -> None:
        self.info = info
        self._response = response
        self._resume: Resume | None = None
        self._max_resumes = 0

    def resume_with(self, resume: Resume, max_resumes: int) -> None:
        self._resume = resume
        self._max_resumes = max_resumes

    def remaining_range(self, received: int) -> ByteRange:
        """The byte range of this download still missing after `received` bytes."""
        if self.info.content_range is not None:
            return ByteRange(self.info.content_range.start + received, self.info.content_range.end)
        return ByteRange(received, self.info.content_length - 1)

    async def iter_chunks(self, chunk_size: int = 1 << 16) -> AsyncIterator[bytes]:
        """The body in chunks of at most `chunk_size`. A connection lost mid-body is resumed if
        possible, else raises `B2ConnectionError` (bytes already yielded stay valid)."""
        received, resumes, stream = 0, 0, self
        async with AsyncExitStack() as stack:
            while True:
                try:
                    async for chunk in stream._own_chunks(chunk_size):
                        received += len(chunk)
                        yield chunk
                except B2ConnectionError:
                    if self._resume is None or resumes >= self._max_resumes:
                        raise
                else:
                    return
                resumes += 1
                stream = await stack.enter_async_context(self._resume(received))
                if stream.info.file_id != self.info.file_id:
                    raise B2ProtocolError("a resumed download returned another file")

    async def _own_chunks(self, chunk_size: int) -> AsyncIterator[bytes]:
        received = 0
        try:
            async for chunk in self._response.content.iter_chunked(chunk_size):
                received += len(chunk)
                yield chunk
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise B2ConnectionError(
                f"download broke after {received} bytes: {exc}", request_sent=True
            ) from exc
        if received != self.info.content_length and self._response.method != "HEAD":
            raise B2ConnectionError(
                f"download ended after {received} of {self.info.content_length} bytes",
                request_sent=True,
            )

    async def read(self) -> bytes:
        """The whole body: only for bodies the caller knows are small."""
        return b"".join([chunk async for chunk in self.iter_chunks()])
