"""Cutting a stream into parts, and part lengths (pure pieces of translate.large_files)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from hypothesis import given
from hypothesis import strategies as st

from gateway.translate.large_files import Slicer, part_lengths
from gateway.translate.list_objects import decode_token, encode_token


@given(total=st.integers(0, 10_000), size=st.integers(1, 3_000))
def test_part_lengths_cover_the_total_in_full_parts_then_a_rest(total: int, size: int) -> None:
    lengths = part_lengths(total, size)
    assert sum(lengths) == total
    assert all(length == size for length in lengths[:-1])
    assert all(0 < length <= size for length in lengths)


async def _chunks(data: bytes, sizes: list[int]) -> AsyncIterator[bytes]:
    offset = 0
    for size in sizes:
        if offset >= len(data):
            break
        yield data[offset : offset + size]
        offset += size
    if offset < len(data):
        yield data[offset:]


@given(
    data=st.binary(min_size=0, max_size=2_000),
    chunk_sizes=st.lists(st.integers(1, 300), min_size=1, max_size=20),
    part=st.integers(1, 700),
)
def test_slicer_cuts_exact_pieces_in_order(data: bytes, chunk_sizes: list[int], part: int) -> None:
    async def run() -> list[bytes]:
        slicer = Slicer(_chunks(data, chunk_sizes))
        pieces = []
        for length in part_lengths(len(data), part):
            pieces.append(b"".join([c async for c in slicer.take(length)]))
        return pieces

    pieces = asyncio.run(run())
    assert b"".join(pieces) == data
    assert [len(p) for p in pieces] == part_lengths(len(data), part)


@given(st.text(max_size=300))
def test_continuation_token_round_trips(last: str) -> None:
    token = encode_token(last)
    assert token.isascii()
    assert decode_token(token) == last
