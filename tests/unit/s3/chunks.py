"""Building aws-chunked bodies for tests (signed with a ChunkSigning, or unsigned)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable, Sequence

from gateway.s3.sigv4 import ChunkSigning


def split(data: bytes, sizes: Iterable[int]) -> list[bytes]:
    pieces, start = [], 0
    for size in sizes:
        pieces.append(data[start : start + size])
        start += size
    if start < len(data):
        pieces.append(data[start:])
    return [p for p in pieces if p]


def signed_body(
    chunks: Sequence[bytes],
    signing: ChunkSigning,
    trailers: Sequence[tuple[str, str]] | None = None,
) -> bytes:
    """``trailers`` None: STREAMING-AWS4-HMAC-SHA256-PAYLOAD; else the -TRAILER variant."""
    out, previous = [], signing.seed_signature
    for data in [*chunks, b""]:
        previous = signing.chunk_signature(previous, hashlib.sha256(data).hexdigest())
        out.append(f"{len(data):x};chunk-signature={previous}\r\n".encode())
        if data:
            out.append(data + b"\r\n")
    if trailers is None:
        out.append(b"\r\n")
        return b"".join(out)
    canonical = "".join(f"{n.lower()}:{v.strip()}\n" for n, v in sorted(trailers))
    signature = signing.trailer_signature(previous, hashlib.sha256(canonical.encode()).hexdigest())
    out.extend(f"{n}:{v}\r\n".encode() for n, v in trailers)
    out.append(f"x-amz-trailer-signature:{signature}\r\n\r\n".encode())
    return b"".join(out)


def unsigned_body(chunks: Sequence[bytes], trailers: Sequence[tuple[str, str]] = ()) -> bytes:
    out = [f"{len(d):x}\r\n".encode() + d + b"\r\n" for d in chunks]
    out.append(b"0\r\n")
    out.extend(f"{n}:{v}\r\n".encode() for n, v in trailers)
    out.append(b"\r\n")
    return b"".join(out)


async def pieces_of(data: bytes, sizes: Iterable[int] = ()) -> AsyncIterator[bytes]:
    """The wire bytes as the HTTP layer might hand them over."""
    for piece in split(data, sizes) if sizes else [data]:
        yield piece
