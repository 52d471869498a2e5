"""Server-side assembly of a B2 file from byte ranges of finished B2 files.

One piece becomes one ``b2_copy_file`` (REPLACE: the target's content type and file info);
several become a large file: ``b2_start_large_file`` with the full file info, ``b2_copy_part``
per piece (bounded concurrency), ``b2_finish_large_file``. A failed assembly cancels the large
file, which never becomes visible.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from gateway.b2 import B2Client, ByteRange, FileVersion, Part
from gateway.b2.errors import B2Error
from gateway.translate.multipart_store import bounded

log = logging.getLogger(__name__)

COPY_CONCURRENCY = 4


@dataclass(frozen=True)
class Piece:
    """One B2 part of the assembled file: a byte range of a finished B2 file."""

    file_id: str
    byte_range: ByteRange | None  # None: the whole file


def split(file_id: str, start: int, length: int, limit: int) -> list[Piece]:
    """``length`` bytes from ``start`` as pieces of at most ``limit`` bytes: near-equal, so each
    is at least half the limit (far above B2's minimum part size); none when ``length`` is 0."""
    if length == 0:
        return []
    count = -(-length // limit)
    bounds = [start + length * i // count for i in range(count + 1)]
    return [Piece(file_id, ByteRange(a, b - 1)) for a, b in itertools.pairwise(bounds)]


@dataclass(frozen=True)
class CopyTarget:
    client: B2Client
    bucket_id: str
    name: str
    content_type: str
    file_info: Mapping[str, str]


async def assemble(target: CopyTarget, pieces: Sequence[Piece]) -> FileVersion:
    client = target.client
    if len(pieces) == 1:
        return await client.copy_file(
            pieces[0].file_id,
            target.name,
            destination_bucket_id=target.bucket_id,
            byte_range=pieces[0].byte_range,
            content_type=target.content_type,
            file_info=target.file_info,
        )
    large = await client.start_large_file(
        target.bucket_id, target.name, content_type=target.content_type, file_info=target.file_info
    )
    large_id = large.require_id()
    try:
        copied = await bounded(
            COPY_CONCURRENCY,
            [_copier(client, piece, large_id, number) for number, piece in enumerate(pieces, 1)],
        )
        sha1s = tuple(p.content_sha1 for p in copied if isinstance(p, Part))
        return await client.finish_large_file(large_id, sha1s)
    except BaseException:
        try:
            await client.cancel_large_file(large_id)
        except B2Error:
            log.warning("could not cancel unfinished large file %s", large_id, exc_info=True)
        raise


def _copier(
    client: B2Client, piece: Piece, large_id: str, number: int
) -> Callable[[], Awaitable[Part]]:
    async def copy() -> Part:
        return await client.copy_part(piece.file_id, large_id, number, byte_range=piece.byte_range)

    return copy
