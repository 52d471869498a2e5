from __future__ import annotations

import asyncio

import pytest

from gateway.b2.models import UploadUrl
from gateway.b2.stats import ClientStats
from gateway.b2.upload_pool import UploadUrlPool


class Fetcher:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, key: str) -> UploadUrl:
        self.count += 1
        return UploadUrl(key, f"http://pod/{key}/{self.count}", f"tok{self.count}")


async def test_lease_reuses_a_url_after_success() -> None:
    fetch, stats = Fetcher(), ClientStats()
    pool = UploadUrlPool(fetch, stats)
    async with pool.lease("b") as first:
        pass
    async with pool.lease("b") as second:
        pass
    assert second is first
    assert (stats.upload_url_misses, stats.upload_url_hits, stats.upload_url_discards) == (1, 1, 0)


async def test_lease_discards_a_url_after_failure() -> None:
    fetch, stats = Fetcher(), ClientStats()
    pool = UploadUrlPool(fetch, stats)
    with pytest.raises(RuntimeError):
        async with pool.lease("b"):
            raise RuntimeError("upload failed")
    assert pool.idle_count("b") == 0
    async with pool.lease("b") as url:
        assert url.upload_url == "http://pod/b/2"
    assert stats.upload_url_discards == 1


async def test_concurrent_leases_never_share_a_url() -> None:
    fetch, stats = Fetcher(), ClientStats()
    pool = UploadUrlPool(fetch, stats)
    in_use: set[str] = set()
    clashes = 0

    async def upload() -> None:
        nonlocal clashes
        async with pool.lease("b") as url:
            clashes += url.upload_url in in_use
            in_use.add(url.upload_url)
            await asyncio.sleep(0)
            in_use.discard(url.upload_url)

    for _ in range(3):
        await asyncio.gather(*(upload() for _ in range(10)))
    assert clashes == 0
    assert fetch.count == 10
    assert stats.upload_url_hits == 20


async def test_pool_is_bounded_per_key_and_in_keys() -> None:
    fetch = Fetcher()
    pool = UploadUrlPool(fetch, ClientStats(), max_idle_per_key=2, max_keys=2)
    await pool.prewarm("a", 5)
    assert pool.idle_count("a") == 2
    await pool.prewarm("b", 1)
    await pool.prewarm("c", 1)
    assert (pool.idle_count("a"), pool.idle_count("b"), pool.idle_count("c")) == (0, 1, 1)


async def test_forget_drops_idle_urls() -> None:
    pool = UploadUrlPool(Fetcher(), ClientStats())
    await pool.prewarm("large-file", 3)
    pool.forget("large-file")
    assert pool.idle_count("large-file") == 0


async def test_pool_gauges_follow_urls_through_leases_failures_and_eviction() -> None:
    stats = ClientStats()
    pool = UploadUrlPool(Fetcher(), stats, max_idle_per_key=2, max_keys=2)
    async with pool.lease("a"):
        assert (stats.upload_urls_idle, stats.upload_urls_leased) == (0, 1)
    assert (stats.upload_urls_idle, stats.upload_urls_leased) == (1, 0)

    async def failing_upload() -> None:
        async with pool.lease("a"):
            assert (stats.upload_urls_idle, stats.upload_urls_leased) == (0, 1)
            raise RuntimeError("upload failed")

    with pytest.raises(RuntimeError):
        await failing_upload()
    assert (stats.upload_urls_idle, stats.upload_urls_leased) == (0, 0)
    await pool.prewarm("a", 5)
    await pool.prewarm("b", 1)
    await pool.prewarm("c", 1)  # evicts "a" and its two idle URLs
    assert stats.upload_urls_idle == 2
    pool.forget("b")
    assert stats.upload_urls_idle == 1
    assert stats.snapshot().upload_urls_idle == 1


async def test_pool_gauges_count_concurrent_leases() -> None:
    stats = ClientStats()
    pool = UploadUrlPool(Fetcher(), stats)
    all_leased, release = asyncio.Barrier(6), asyncio.Event()

    async def upload() -> None:
        async with pool.lease("b"):
            await all_leased.wait()
            await release.wait()

    tasks = [asyncio.create_task(upload()) for _ in range(5)]
    await all_leased.wait()
    assert stats.upload_urls_leased == 5
    release.set()
    await asyncio.gather(*tasks)
    assert (stats.upload_urls_idle, stats.upload_urls_leased) == (5, 0)
