"""Objects above B2's 5 GB simple-upload/copy limit, written as B2 large files behind the scenes:
a streamed PUT cut into parts, or a server-side copy assembled from copied ranges."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass

from gateway.b2 import B2Client, ByteRange, FileVersion, Finalize, Part, UploadBody
from gateway.b2.errors import B2Error


def part_lengths(total: int, size: int) -> list[int]:
    full, rest = divmod(total, size)
    return [size] * full + ([rest] if rest else [])


class Slicer:
    """Cuts one stream of chunks into consecutive pieces of exact lengths (bounded memory: at
    most one chunk is carried over between pieces)."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._carry = b""

    async def take(self, length: int) -> AsyncIterator[bytes]:
        remaining = length
        while remaining > 0:
            if not self._carry:
                self._carry = await anext(self._chunks, b"")
                if not self._carry:
                    return  # short: the upload's length check reports it
            piece, self._carry = self._carry[:remaining], self._carry[remaining:]
            remaining -= len(piece)
            yield piece


@dataclass(frozen=True)
class LargeTarget:
    """Where large files go: a bucket, B2's per-request limit, and the content type."""

    client: B2Client
    bucket_id: str
    limit: int  # B2's limit for one upload or copy (5 GB); parts never exceed it
    content_type: str

    async def _part_lengths(self, total: int) -> list[int]:
        """Parts of B2's recommended size, within [absolute minimum, limit]."""
        account = await self.client.account()
        size = max(account.absolute_minimum_part_size, account.recommended_part_size)
        return part_lengths(total, min(self.limit, size))

    async def upload(
        self,
        name: str,
        body: AsyncIterator[bytes],
        length: int,
        file_info: Mapping[str, str],
        finalize: Finalize,
    ) -> FileVersion:
        """Stream ``length`` bytes as parts; ``finalize`` runs after the last byte of the last
        part (raise to abandon: the large file is cancelled and never becomes visible)."""
        lengths = await self._part_lengths(length)
        slicer = Slicer(body)

        async def parts(file_id: str) -> list[Part]:
            done = []
            for number, size in enumerate(lengths, start=1):
                last = number == len(lengths)
                part_body = UploadBody.one_shot(size, slicer.take(size))
                done.append(
                    await self.client.upload_part(
                        file_id, number, part_body, finalize=finalize if last else None
                    )
                )
            return done

        return await self._assemble(name, file_info, parts)

    async def copy(
        self, source_file_id: str, source_length: int, name: str, file_info: Mapping[str, str]
    ) -> FileVersion:
        """A server-side copy of a (finished) file of any size, range by range."""
        lengths = await self._part_lengths(source_length)

        async def parts(file_id: str) -> list[Part]:
            done, start = [], 0
            for number, size in enumerate(lengths, start=1):
                span = ByteRange(start, start + size - 1)
                done.append(
                    await self.client.copy_part(source_file_id, file_id, number, byte_range=span)
                )
                start += size
            return done

        return await self._assemble(name, file_info, parts)

    async def _assemble(
        self,
        name: str,
        file_info: Mapping[str, str],
        parts: Callable[[str], Awaitable[list[Part]]],
    ) -> FileVersion:
        started = await self.client.start_large_file(
            self.bucket_id, name, content_type=self.content_type, file_info=file_info
        )
        file_id = started.require_id()
        try:
            done = await parts(file_id)
            return await self.client.finish_large_file(file_id, tuple(p.content_sha1 for p in done))
        except BaseException:
            # The original failure matters more; an unfinished file is never visible anyway.
            with suppress(B2Error):
                await self.client.cancel_large_file(file_id)
            raise
