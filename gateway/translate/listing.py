"""S3 listings of objects and of object versions over ``b2_list_file_names`` / ``_versions``.

A bucket's keys live in two B2 namespaces (see ``names``): untouched names, and escaped names
under ``ESCAPED_ROOT``. Each is read in B2 order, which is S3 order within it, and the two are
merged by key. Delimiters roll keys up into common prefixes: B2 does it for ``/`` on untouched
names; the gateway does it everywhere else and seeks past each prefix it has emitted.

That is two B2 calls per page, issued together, and no rule on the request alone can drop one:
every prefix and start has escaped keys that may follow it (``prefix + "x/"`` ends in ``/``).
Only where the untouched listing's range holds the escaped root (prefix "" with no ``/``
delimiter: full listings) can one call's answer prove it holds every escaped name as well.

Paging is stateless. A page ends on an entry (a key, a key's version, or a common prefix); the
next page emits exactly the entries whose rolled-up form sorts after it. That never repeats a
common prefix and needs nothing but the last entry, so any replica can serve any page.

Version listings are the same walk over every version, newest first within a key; B2's hide
markers are S3's delete markers, and unfinished large files are not versions at all.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from contextlib import aclosing
from dataclasses import dataclass, replace

from gateway.b2.errors import B2ProtocolError
from gateway.b2.models import FileList, FileQuery, FileVersion
from gateway.translate.names import (
    ESCAPED_ROOT,
    RESERVED_ROOT,
    b2_name,
    escaped_form,
    escaped_prefix,
    plain_prefix,
    s3_key,
)

ListFiles = Callable[[FileQuery], Awaitable[FileList]]
"""One ``b2_list_file_names`` (or ``b2_list_file_versions``) call on the listed bucket."""


@dataclass(frozen=True, slots=True)  # one per listed entry: cheaper to make
class Listed:
    """One entry of a listing: an object or version, or a common prefix (``file`` is None)."""

    key: str
    file: FileVersion | None
    is_latest: bool = True  # for versions: the newest version of its key


@dataclass(frozen=True)
class ListingPage:
    objects: tuple[Listed, ...]  # objects, or versions and delete markers, in S3 order
    common_prefixes: tuple[str, ...]
    is_truncated: bool
    last: str | None  # the key or common prefix the page ended on; the next page starts after it
    last_version_id: str | None = None  # for versions: the version the page ended on


@dataclass(frozen=True)
class _Marker:
    """A listing resumes strictly after this entry."""

    key: str
    version_id: str | None = None


async def list_page(
    list_names: ListFiles,
    *,
    prefix: str,
    delimiter: str | None,
    after: str | None,
    max_keys: int,
) -> ListingPage:
    """One page of at most ``max_keys`` objects and prefixes strictly after ``after``."""
    marker = None if after is None else _Marker(after)
    return await _page(list_names, prefix, delimiter, marker, max_keys, versions=False)


async def list_versions_page(
    list_versions: ListFiles,
    *,
    prefix: str,
    delimiter: str | None,
    key_marker: str | None,
    version_id_marker: str | None,
    max_keys: int,
) -> ListingPage:
    """One page of versions, delete markers and prefixes after the (key, version) marker."""
    marker = None if key_marker is None else _Marker(key_marker, version_id_marker or None)
    return await _page(list_versions, prefix, delimiter, marker, max_keys, versions=True)


async def _page(
    list_files: ListFiles,
    prefix: str,
    delimiter: str | None,
    marker: _Marker | None,
    max_keys: int,
    *,
    versions: bool,
) -> ListingPage:
    if max_keys <= 0:
        return ListingPage((), (), is_truncated=False, last=None)
    delimiter = delimiter or None
    count = max_keys + 1  # one more tells whether the listing is truncated
    cursors = _cursors(list_files, prefix, delimiter, marker, count, versions=versions)
    if len(cursors) == 2:
        await _share_one_call(cursors[0][1], cursors[1][1])
    sources = [_entries(cursor, space, prefix, delimiter, marker) for space, cursor in cursors]
    taken: list[Listed] = []
    truncated = False
    async with aclosing(_merge(*sources)) as entries:
        async for entry in entries:
            if len(taken) == max_keys:
                truncated = True
                break
            taken.append(entry)
    last = taken[-1] if taken else None
    return ListingPage(
        objects=tuple(e for e in taken if e.file is not None),
        common_prefixes=tuple(e.key for e in taken if e.file is None),
        is_truncated=truncated,
        last=None if last is None else last.key,
        last_version_id=None if last is None or last.file is None else last.file.file_id,
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
    """B2 files of one namespace, in order, fetched a page at a time; seeks forward."""

    def __init__(self, list_files: ListFiles, query: FileQuery, *, versions: bool) -> None:
        self._list_files = list_files
        self._query = query
        self._versions = versions  # a name repeats once per version
        self._buffer: deque[FileVersion] = deque()
        self._exhausted = False
        self._last = ""  # names never go back; anything else is B2 misbehaving

    @property
    def query(self) -> FileQuery:
        """What the next call would ask B2."""
        return self._query

    async def next(self) -> FileVersion | None:
        while not self._buffer:
            if self._exhausted:
                return None
            await self.fetch()
        file = self._buffer.popleft()
        self._last = file.file_name
        return file

    async def fetch(self) -> FileList:
        """One more page from B2 into the buffer."""
        query = self._query
        page = await self._list_files(query)
        fresh = [f for f in page.files if self._in_order(f.file_name)]
        following = (page.next_file_name, page.next_file_id)
        stuck = following == (query.start_file_name, query.start_file_id)
        if not fresh and page.next_file_name is not None and stuck:
            raise B2ProtocolError(f"B2 listing did not advance past {following}")
        self._buffer.extend(fresh)
        self._exhausted = page.next_file_name is None
        self._query = replace(
            query, start_file_name=page.next_file_name, start_file_id=page.next_file_id
        )
        return page

    def fill(self, files: Iterable[FileVersion]) -> None:
        """Every file this cursor would list, fetched by another (see ``_share_one_call``)."""
        self._buffer.extend(files)
        self._exhausted = True

    def _in_order(self, name: str) -> bool:
        return name >= self._last if self._versions else name > self._last

    def seek(self, name: str) -> None:
        """Pass over every name that sorts before ``name``."""
        while self._buffer and self._buffer[0].file_name < name:
            self._buffer.popleft()
        start = self._query.start_file_name
        if not self._buffer and not self._exhausted and (start is None or start < name):
            self._query = replace(self._query, start_file_name=name, start_file_id=None)


def _cursors(
    list_files: ListFiles,
    prefix: str,
    delimiter: str | None,
    marker: _Marker | None,
    count: int,
    *,
    versions: bool,
) -> list[tuple[_Namespace, _Cursor]]:
    resume = _resume_point(prefix, delimiter, marker)
    spaces = [_ESCAPED]
    b2_prefix = plain_prefix(prefix)
    if b2_prefix is not None and not prefix.startswith(RESERVED_ROOT):
        spaces.insert(0, _PLAIN)
    cursors = []
    for space in spaces:
        start = None if resume is None else space.position(resume)
        start_id = None
        if marker is not None and marker.version_id and resume == marker.key:
            # Resume inside the marker's key, in the namespace that holds it.
            start_id = marker.version_id if start == b2_name(marker.key) else None
        query = FileQuery(
            prefix=b2_prefix if space is _PLAIN else escaped_prefix(prefix),
            # B2 rolls up '/' itself; its folder for the reserved root holds no S3 key.
            delimiter=delimiter if space is _PLAIN and delimiter == "/" else None,
            start_file_name=start,
            start_file_id=start_id,
            max_file_count=count,
        )
        cursors.append((space, _Cursor(list_files, query, versions=versions)))
    return cursors


async def _share_one_call(plain: _Cursor, escaped: _Cursor) -> None:
    """Spare the escaped namespace its own B2 call when the plain one returns all of it.

    When the plain query lists, without a B2 delimiter, a range of names that contains the
    escaped query's whole range (say prefix "", as full listings ask: the escaped root lies
    inside it), its first page is fetched alone. Everything B2 returned lies before its
    ``nextFileName`` and nothing it skipped does; so if that is past the escaped range (or the
    listing ended), the page holds every escaped name the listing needs, and the escaped cursor
    takes them from it. Otherwise the escaped cursor lists as usual, one call later."""
    wanted, having = escaped.query, plain.query
    range_prefix = wanted.prefix or ESCAPED_ROOT  # always set: the escaped namespace's prefix
    first_needed = max(range_prefix, wanted.start_file_name or "")
    start = having.start_file_name
    contained = (
        having.delimiter is None
        and range_prefix.startswith(having.prefix or "")
        and (
            start is None
            or start < first_needed
            or (start == first_needed and having.start_file_id is None)
        )
    )
    if not contained:
        return
    page = await plain.fetch()
    end = page.next_file_name
    if end is None or end >= _successor(range_prefix):
        escaped.fill(
            f
            for f in page.files
            if f.file_name.startswith(range_prefix) and f.file_name >= first_needed
        )


def _resume_point(prefix: str, delimiter: str | None, marker: _Marker | None) -> str | None:
    """The first text a listing after ``marker`` must look at."""
    if marker is None:
        return None
    after = marker.key
    rolls_up_to_itself = _roll_up(after, prefix, delimiter) == after
    if marker.version_id is None and after.startswith(prefix) and rolls_up_to_itself:
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
    marker: _Marker | None,
) -> AsyncGenerator[Listed, None]:
    keep = _Keep(marker)
    last_prefix: str | None = None
    previous_name: str | None = None
    while (file := await cursor.next()) is not None:
        key = space.decode(file.file_name)
        if key is None:
            if space.reserved is not None:
                cursor.seek(_successor(space.reserved))
            continue
        latest, previous_name = file.file_name != previous_name, file.file_name
        if file.action == "start":
            continue  # an unfinished large file is no S3 object or version
        rolled = key if file.action == "folder" else _roll_up(key, prefix, delimiter)
        entry = Listed(key, file, latest) if rolled is None else Listed(rolled, None)
        if entry.file is None:
            if entry.key == last_prefix:
                continue
            last_prefix = entry.key
            cursor.seek(space.position(_successor(entry.key)))
        if keep(entry):
            yield entry


class _Keep:
    """Whether an entry comes after the marker: a later key, or a later version of its key."""

    def __init__(self, marker: _Marker | None) -> None:
        self._marker = marker
        self._passed_version = False

    def __call__(self, entry: Listed) -> bool:
        marker = self._marker
        if marker is None or entry.key > marker.key:
            return True
        if entry.key < marker.key or entry.file is None or marker.version_id is None:
            return False
        if self._passed_version:
            return True
        self._passed_version = entry.file.file_id == marker.version_id
        return False


async def _merge(*sources: AsyncGenerator[Listed, None]) -> AsyncGenerator[Listed, None]:
    """Merge entries sorted by key; a common prefix found in several sources is listed once."""
    heads = await asyncio.gather(*(anext(s, None) for s in sources))
    live = [(head, source) for head, source in zip(heads, sources, strict=True) if head is not None]
    try:
        while len(live) > 1:
            least = min(head.key for head, _ in live)
            yield next(head for head, _ in live if head.key == least)
            following = []
            for head, source in live:
                upcoming = await anext(source, None) if head.key == least else head
                if upcoming is not None:
                    following.append((upcoming, source))
            live = following
        if live:  # one source left (often the only one that had anything): pass it through
            head, source = live[0]
            yield head
            async for entry in source:
                yield entry
    finally:
        for source in sources:
            await source.aclose()
