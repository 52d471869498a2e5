"""Upload URLs, pooled per bucket (simple uploads) or per large file (parts).

B2's rule: an upload URL serves one upload at a time, and after any failure it may be dead. So a
URL is leased exclusively, goes back to the pool only after a successful upload,
and is dropped otherwise.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from gateway.b2.models import UploadUrl
from gateway.b2.stats import ClientStats


class UploadUrlPool:
    """Idle URLs per key (LIFO: the most recently proven URL first), bounded per key and in keys."""

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[UploadUrl]],
        stats: ClientStats,
        *,
        max_idle_per_key: int = 16,
        max_keys: int = 1024,
    ) -> None:
        self._fetch = fetch
        self._stats = stats
        self._max_idle_per_key = max_idle_per_key
        self._max_keys = max_keys
        self._idle: OrderedDict[str, list[UploadUrl]] = OrderedDict()

    def idle_count(self, key: str) -> int:
        return len(self._idle.get(key, ()))

    @asynccontextmanager
    async def lease(self, key: str) -> AsyncIterator[UploadUrl]:
        """A URL that nobody else uses until this block ends; kept only if the block succeeds."""
        url = self._take(key)
        if url is None:
            self._stats.upload_url_misses += 1
            url = await self._fetch(key)
        else:
            self._stats.upload_url_hits += 1
        self._stats.upload_urls_leased += 1
        try:
            yield url
        except BaseException:
            self._stats.upload_url_discards += 1
            raise
        finally:
            self._stats.upload_urls_leased -= 1
        self._put(key, url)

    async def prewarm(self, key: str, count: int) -> None:
        """Fetch URLs ahead of a burst of uploads (e.g. the parts of a large file)."""
        for _ in range(min(count, self._max_idle_per_key) - self.idle_count(key)):
            self._put(key, await self._fetch(key))

    def forget(self, key: str) -> None:
        """Drop every idle URL of `key` (a finished/cancelled large file, a deleted bucket)."""
        self._stats.upload_urls_idle -= len(self._idle.pop(key, ()))

    def _take(self, key: str) -> UploadUrl | None:
        urls = self._idle.get(key)
        if not urls:
            return None
        self._idle.move_to_end(key)
        self._stats.upload_urls_idle -= 1
        return urls.pop()

    def _put(self, key: str, url: UploadUrl) -> None:
        urls = self._idle.setdefault(key, [])
        self._idle.move_to_end(key)
        if len(urls) < self._max_idle_per_key:
            urls.append(url)
            self._stats.upload_urls_idle += 1
        while len(self._idle) > self._max_keys:
            self._stats.upload_urls_idle -= len(self._idle.popitem(last=False)[1])
