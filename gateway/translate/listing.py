"""S3 object listings over ``b2_list_file_names``.

A bucket's keys live in two B2 namespaces (see ``names``): untouched names, and escaped names
under ``ESCAPED_ROOT``. Each is read in B2 order, which is S3 order within it, and the two are
merged by key. Delimiters roll keys up into common prefixes: B2 does it for ``/`` on untouched
names; the gateway does it everywhere else and seeks past each prefix it has emitted.

Paging is stateless. A page ends on a key or common prefix; the next page emits exactly the
entries whose rolled-up form sorts after it. That never repeats a common prefix and needs nothing
but the last entry, so any replica can serve any page.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, replace

from gateway.b2.errors import B2ProtocolError
from gateway.b2.models import FileList, FileQuery, FileVersion
from gateway.translate.names import (
    RESERVED_ROOT,
    escaped_form,
    escaped_prefix,
    plain_prefix,
    s3_key,
)

ListNames = Callable[[FileQuery], Awaitable[FileList]]
"""One ``b2_list_file_names`` call on the listed bucket."""


@dataclass(frozen=True)
class Listed:
    """One entry of a listing: an object, or a common prefix (``file`` is None)."""

    key: str
    file: FileVersion | None


@dataclass(frozen=True)
class ListingPage:
    objects: tuple[Listed, ...]
    common_prefixes: tuple[str, ...]
    is_truncated: bool
    last: str | None  # the key or common prefix the page ended on; the next page starts after it


async def list_page(
    list_names: ListNames,
    *,
    prefix: str,
    delimiter: str | None,
    after: str | None,
    max_keys: int,
) -> ListingPage:
    """One page of at most ``max_keys`` entries strictly after ``after``, in S3 order."""
    if max_keys <= 0:
        return ListingPage((), (), is_truncated=False, last=None)
    delimiter = delimiter or None
    count = max_keys + 1  # one more tells whether the listing is truncated
    sources = [
        _entries(cursor, space, prefix, delimiter, after)
        for space, cursor in _cursors(list_names, prefix, delimiter, after, count)
    ]
    taken: list[Listed] = []
    truncated = False
    async with aclosing(_merge(*sources)) as entries:
        async for entry in entries:
            if len(taken) == max_keys:
                truncated = True
                break
            taken.append(entry)
    return ListingPage(
        objects=tuple(e for e in taken if e.file is not None),
        common_prefixes=tuple(e.key for e in taken if e.file is None),
        is_truncated=truncated,
        last=taken[-1].key if taken else None,
    )


@dataclass(frozen=True)
class _Namespace:
    position: Callable[[str], str]  # the B2 name at which any text sorts in this namespace
    decode: Callable[[str], str | None]  # B2 name -> S3 key; None for names to pass over
    reserved: str | None  # a subtree to seek past when a name in it turns up


def _plain_position(text: str) -> str:
    """The longest prefix of ``text`` B2 certainly accepts as a start name (it sorts no later)."""
    for i, char in enumerate(text):
        if not (" " <= char != "\x7f") or char == "\\" or text[i : i + 2] == "//":
            return text[:i]
    return text


def _plain_key(name: str) -> str | None:
    return None if name.startswith(RESERVED_ROOT) else name


_PLAIN = _Namespace(position=_plain_position, decode=_plain_key, reserved=RESERVED_ROOT)
_ESCAPED = _Namespace(position=escaped_form, decode=s3_key, reserved=None)


class _Cursor:
    """B2 file names of one namespace, in order, fetched a page at a time; seeks forward."""

    def __init__(self, list_names: ListNames, query: FileQuery) -> None:
        self._list_names = list_names
        self._query = query
        self._buffer: deque[FileVersion] = deque()
        self._exhausted = False
        self._last = ""  # names only ever increase; anything else is B2 misbehaving

    async def next(self) -> FileVersion | None:
        while not self._buffer:
            if self._exhausted:
                return None
            start = self._query.start_file_name or ""
            page = await self._list_names(self._query)
            fresh = [f for f in page.files if f.file_name > self._last]
            following = page.next_file_name
            if not fresh and following is not None and following <= start:
                raise B2ProtocolError(f"b2_list_file_names did not advance past {start!r}")
            self._buffer.extend(fresh)
            self._exhausted = following is None
            self._query = replace(self._query, start_file_name=following)
        file = self._buffer.popleft()
        self._last = file.file_name
        return file

    def seek(self, name: str) -> None:
        """Pass over every name that sorts before ``name``."""
        while self._buffer and self._buffer[0].file_name < name:
            self._buffer.popleft()
        start = self._query.start_file_name
        if not self._buffer and (start is None or start < name):
            self._query = replace(self._query, start_file_name=name)


def _cursors(
    list_names: ListNames, prefix: str, delimiter: str | None, after: str | None, count: int
) -> list[tuple[_Namespace, _Cursor]]:
    resume = _resume_point(prefix, delimiter, after)
    cursors = []
    b2_prefix = plain_prefix(prefix)
    if b2_prefix is not None and not prefix.startswith(RESERVED_ROOT):
        # B2 rolls up '/' itself; its folder for the reserved root holds no S3 key.
        b2_delimiter = delimiter if delimiter == "/" else None
        start = None if resume is None else _plain_position(resume)
        query = FileQuery(b2_prefix, b2_delimiter, start, max_file_count=count)
        cursors.append((_PLAIN, _Cursor(list_names, query)))
    start = None if resume is None else escaped_form(resume)
    query = FileQuery(escaped_prefix(prefix), None, start, max_file_count=count)
    cursors.append((_ESCAPED, _Cursor(list_names, query)))
    return cursors


def _resume_point(prefix: str, delimiter: str | None, after: str | None) -> str | None:
    """The first text a listing after ``after`` must look at."""
    if after is None:
        return None
    if after.startswith(prefix) and _roll_up(after, prefix, delimiter) == after:
        return _successor(after)  # `after` is a common prefix: every key below it rolls up to it
    return after


def _successor(text: str) -> str:
    """The least text above every text that starts with ``text``."""
    return text[:-1] + chr(ord(text[-1]) + 1)


def _roll_up(key: str, prefix: str, delimiter: str | None) -> str | None:
    """The common prefix ``key`` rolls up into, or None when it lists as itself."""
    if delimiter is None:
        return None
    found = key.find(delimiter, len(prefix))
    return None if found < 0 else key[: found + len(delimiter)]


async def _entries(
    cursor: _Cursor,
    space: _Namespace,
    prefix: str,
    delimiter: str | None,
    after: str | None,
) -> AsyncGenerator[Listed, None]:
    last_prefix: str | None = None
    while (file := await cursor.next()) is not None:
        key = space.decode(file.file_name)
        if key is None:
            if space.reserved is not None:
                cursor.seek(_successor(space.reserved))
            continue
        rolled = key if file.action == "folder" else _roll_up(key, prefix, delimiter)
        entry = Listed(key, file) if rolled is None else Listed(rolled, None)
        if entry.file is None:
            if entry.key == last_prefix:
                continue
            last_prefix = entry.key
            cursor.seek(space.position(_successor(entry.key)))
        if after is None or entry.key > after:
            yield entry


async def _merge(*sources: AsyncGenerator[Listed, None]) -> AsyncGenerator[Listed, None]:
    """Merge entries sorted by key; a common prefix found in several sources is listed once."""
    heads = list(await asyncio.gather(*(anext(s, None) for s in sources)))
    try:
        while any(h is not None for h in heads):
            least = min(h.key for h in heads if h is not None)
            yield next(h for h in heads if h is not None and h.key == least)
            for i, head in enumerate(heads):
                if head is not None and head.key == least:
                    heads[i] = await anext(sources[i], None)
    finally:
        for source in sources:
            await source.aclose()
