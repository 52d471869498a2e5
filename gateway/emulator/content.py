"""A file's bytes as a list of blob segments: byte ranges, slicing and streaming reads."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from gateway.emulator.blobs import BlobStore
from gateway.emulator.errors import B2Error, bad_request
from gateway.emulator.models import Segment

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range to serve, None for the whole file; 416 when it starts past the end."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        raise bad_request(f"Invalid range: {header}")
    first, last = match.group(1), match.group(2)
    if first == "":
        start, end = max(0, size - int(last)), size - 1
        if int(last) == 0:
            start = size  # an empty suffix is unsatisfiable
    else:
        start = int(first)
        end = min(size - 1, int(last)) if last else size - 1
        if last and int(last) < start:
            raise bad_request(f"Invalid range: {header}")
    if start >= size:
        raise B2Error(416, "range_not_satisfiable", f"The range {header} is not satisfiable")
    if start == 0 and end == size - 1:
        return None  # a read of the whole object gets no Content-Range (b2sdk's note)
    return ByteRange(start, end)


def slice_segments(segments: Sequence[Segment], start: int, length: int) -> list[Segment]:
    """The segments holding bytes [start, start + length) of the concatenation."""
    sliced: list[Segment] = []
    offset = 0
    for segment in segments:
        lo = max(start, offset)
        hi = min(start + length, offset + segment.length)
        if lo < hi:
            sliced.append(Segment(segment.blob, segment.offset + lo - offset, hi - lo))
        offset += segment.length
    return sliced


async def read_segments(blobs: BlobStore, segments: Sequence[Segment]) -> AsyncIterator[bytes]:
    for segment in segments:
        async for chunk in blobs.read(segment.blob, segment.offset, segment.length):
            yield chunk
