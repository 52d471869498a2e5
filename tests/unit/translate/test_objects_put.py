"""PutObject's pure pieces: how a small body is held in memory for replay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from hypothesis import given
from hypothesis import strategies as st

from gateway.translate.objects_put import MIN_HELD_PIECE, held_body


async def _pieces(pieces: list[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def _held(pieces: list[bytes]) -> list[bytes]:
    body = await held_body(_pieces(pieces))
    chunks = [chunk async for chunk in body.open()]
    assert body.length == sum(len(p) for p in pieces)
    return chunks


@given(st.lists(st.integers(1, 3 * MIN_HELD_PIECE), max_size=12))
def test_held_body_keeps_the_bytes_merging_only_small_pieces(sizes: list[int]) -> None:
    pieces = [bytes([n % 256]) * size for n, size in enumerate(sizes)]
    chunks = asyncio.run(_held(pieces))
    assert b"".join(chunks) == b"".join(pieces)
    # Bounded bookkeeping whatever the piece sizes: only the last chunk may be small.
    assert all(len(chunk) >= MIN_HELD_PIECE for chunk in chunks[:-1])


def test_held_body_holds_large_pieces_without_copying_them() -> None:
    pieces = [b"a" * MIN_HELD_PIECE, b"b" * (2 * MIN_HELD_PIECE)]
    chunks = asyncio.run(_held(pieces))
    assert all(chunk is piece for chunk, piece in zip(chunks, pieces, strict=True))


def test_held_body_merges_a_body_dribbled_in_single_bytes() -> None:
    pieces = [b"x"] * (2 * MIN_HELD_PIECE + 3)
    chunks = asyncio.run(_held(pieces))
    assert [len(chunk) for chunk in chunks] == [MIN_HELD_PIECE, MIN_HELD_PIECE, 3]
