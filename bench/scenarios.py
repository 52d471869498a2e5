"""What is measured: the scenarios (names fixed by the issue), their sizes per mode, and how one
scenario is timed on one path."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.paths import Target, part_lengths
from bench.procs import PeakRss

MB = 1_000_000
MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Sizes:
    large: int  # single-stream PUT / GET
    mpu: int  # multipart object
    part: int
    parallel_parts: int
    small_bytes: int
    small_ops: int
    concurrency: int
    list_keys: int
    list_ops: int
    rss: int  # gateway memory while streaming this much
    idle_connections: int  # gateway memory while this many keep-alive connections sit idle
    repeats: int  # rounds per scenario; the best is kept


MODES = {
    "full": Sizes(GiB, GiB, 16 * MiB, 4, 4096, 4000, 16, 1000, 200, 5 * GiB, 1000, 3),
    "quick": Sizes(128 * MiB, 128 * MiB, 16 * MiB, 4, 4096, 500, 16, 1000, 32, 256 * MiB, 1000, 1),
    # Enough to exercise every code path in seconds; parts must still be B2-sized (>= 5 MB).
    "smoke": Sizes(256 * 1024, 10 * MiB, 5 * MiB, 4, 4096, 8, 4, 20, 4, 1 * MiB, 20, 1),
}


@dataclass(frozen=True)
class Measurement:
    value: float
    s3_ops: int  # S3 operations the value covers (for B2 calls per S3 operation)
    p50_ms: float | None = None
    p99_ms: float | None = None
    megabytes: float | None = None  # data moved, for throughput scenarios
    complete_ms: float | None = None  # multipart: the final call alone (Complete / finish)


@dataclass(frozen=True)
class GatewayProcess:
    pid: int
    host: str
    port: int


@dataclass(frozen=True)
class Env:
    """What a scenario run needs besides the target: its buckets, sizes, the gateway's pid."""

    bucket: str  # this path's own bucket
    list_bucket: str  # shared, holds ``sizes.list_keys`` objects
    sizes: Sizes
    gateway: GatewayProcess  # for gateway-only scenarios: the process behind the target


Runner = Callable[[Target, Env], Awaitable[Measurement]]


@dataclass(frozen=True)
class Scenario:
    name: str
    unit: str
    run: Runner
    gateway_only: bool = False
    needs: tuple[str, ...] = ()  # scenarios whose objects this one reads
    https: bool = False  # null and gateway over TLS (direct stays plain: the emulator has none)


def selected(names: set[str] | None) -> tuple[Scenario, ...]:
    """The scenarios named (all if None) and those they need, in the fixed order."""
    if names is None:
        return SCENARIOS
    unknown = names - {s.name for s in SCENARIOS}
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    wanted = set(names)
    for scenario in SCENARIOS:
        if scenario.name in wanted:
            wanted.update(scenario.needs)
    return tuple(s for s in SCENARIOS if s.name in wanted)


def small_key(i: int) -> str:
    return f"small/{i:06d}"


async def _throughput(nbytes: int, op: Awaitable[object], s3_ops: int = 1) -> Measurement:
    start = time.perf_counter()
    await op
    elapsed = time.perf_counter() - start
    return Measurement(nbytes / elapsed / MB, s3_ops, megabytes=nbytes / MB)


async def concurrent_ops(
    count: int, concurrency: int, op: Callable[[int], Awaitable[object]]
) -> Measurement:
    """Run ``op(0..count-1)`` with ``concurrency`` workers: operations/s and latency quantiles."""
    latencies: list[float] = []
    next_index = iter(range(count))

    async def worker() -> None:
        for i in next_index:
            began = time.perf_counter()
            await op(i)
            latencies.append(time.perf_counter() - began)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Measurement(count / elapsed, count, cuts[49] * 1000, cuts[98] * 1000)


async def put_unsigned(t: Target, env: Env) -> Measurement:
    n = env.sizes.large
    return await _throughput(n, t.put(env.bucket, "large", n, signed=False))


async def put_signed(t: Target, env: Env) -> Measurement:
    n = env.sizes.large
    return await _throughput(n, t.put(env.bucket, "large-signed", n, signed=True))


async def get_large(t: Target, env: Env) -> Measurement:
    start = time.perf_counter()
    received = await t.get(env.bucket, "large")
    if received != env.sizes.large:
        raise RuntimeError(f"{t.name}: GET returned {received} bytes, not {env.sizes.large}")
    elapsed = time.perf_counter() - start
    return Measurement(received / elapsed / MB, 1, megabytes=received / MB)


async def multipart(t: Target, env: Env) -> Measurement:
    s = env.sizes
    s3_ops = len(part_lengths(s.mpu, s.part)) + 2  # Create + parts + Complete
    start = time.perf_counter()
    complete_seconds = await t.multipart(env.bucket, "mpu", s.mpu, s.part, s.parallel_parts)
    elapsed = time.perf_counter() - start
    return Measurement(
        s.mpu / elapsed / MB, s3_ops, megabytes=s.mpu / MB, complete_ms=complete_seconds * 1000
    )


async def small_put(t: Target, env: Env) -> Measurement:
    data = bytes(env.sizes.small_bytes)
    s = env.sizes
    return await concurrent_ops(
        s.small_ops, s.concurrency, lambda i: t.put_small(env.bucket, small_key(i), data)
    )


async def small_get(t: Target, env: Env) -> Measurement:
    s = env.sizes
    return await concurrent_ops(
        s.small_ops, s.concurrency, lambda i: t.get(env.bucket, small_key(i))
    )


async def small_head(t: Target, env: Env) -> Measurement:
    s = env.sizes
    return await concurrent_ops(
        s.small_ops, s.concurrency, lambda i: t.head(env.bucket, small_key(i))
    )


async def small_get_alone(t: Target, env: Env) -> Measurement:
    """One GET at a time: the latency a path adds when requests do not queue for the CPU (at
    concurrency 16 on two cores, every request also waits for the others' CPU)."""
    s = env.sizes
    count = max(s.small_ops // 4, 4)
    return await concurrent_ops(count, 1, lambda i: t.get(env.bucket, small_key(i)))


async def list_keys(t: Target, env: Env) -> Measurement:
    s = env.sizes
    return await concurrent_ops(s.list_ops, s.concurrency, lambda _: t.list(env.list_bucket))


async def gateway_rss(t: Target, env: Env) -> Measurement:
    """Run on a gateway that served only the warm-up, so "idle" is not inflated by the buffers
    of earlier scenarios."""
    async with PeakRss(env.gateway.pid) as rss:
        await t.put(env.bucket, "rss", env.sizes.rss, signed=False)
    return Measurement(rss.above_idle / MB, 1)


async def gateway_idle_connections(t: Target, env: Env) -> Measurement:
    """Open ``sizes.idle_connections`` connections, make one (anonymous, refused) request on
    each so the server holds it as an idle keep-alive connection, then measure the gateway."""
    count = env.sizes.idle_connections
    request = f"HEAD / HTTP/1.1\r\nHost: {env.gateway.host}\r\n\r\n".encode()
    writers: list[asyncio.StreamWriter] = []

    async def connect() -> None:
        reader, writer = await asyncio.open_connection(env.gateway.host, env.gateway.port)
        writers.append(writer)
        writer.write(request)
        await reader.readuntil(b"\r\n\r\n")  # a HEAD answer has no body

    try:
        async with PeakRss(env.gateway.pid) as rss:
            gate = asyncio.Semaphore(64)  # do not flood the listen backlog

            async def bounded() -> None:
                async with gate:
                    await connect()

            await asyncio.gather(*(bounded() for _ in range(count)))
            await asyncio.sleep(0.5)  # let the last responses' buffers settle
    finally:
        for writer in writers:
            writer.close()
    return Measurement(rss.above_idle / MB, count)


SCENARIOS = (
    Scenario("put_1g_unsigned", "MB/s", put_unsigned),
    Scenario("put_1g_signed", "MB/s", put_signed),
    Scenario("get_1g", "MB/s", get_large, needs=("put_1g_unsigned",)),
    Scenario("get_1g_https", "MB/s", get_large, needs=("put_1g_unsigned",), https=True),
    Scenario("mpu_1g_x4", "MB/s", multipart),
    Scenario("small_put_c16", "ops/s", small_put),
    Scenario("small_get_c16", "ops/s", small_get, needs=("small_put_c16",)),
    Scenario("small_head_c16", "ops/s", small_head, needs=("small_put_c16",)),
    Scenario("small_get_c1", "ops/s", small_get_alone, needs=("small_put_c16",)),
    Scenario("list_1000_c16", "ops/s", list_keys),
    Scenario("rss_5g_put_mb", "MB", gateway_rss, gateway_only=True),
    Scenario("rss_1000_idle_conns_mb", "MB", gateway_idle_connections, gateway_only=True),
)
