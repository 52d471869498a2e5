"""The benchmark: start the emulator, the null proxy and the gateway as separate processes, run
every scenario on every path in turn (interleaved, so background noise hits all three alike),
print the table and write the JSON.

    .venv/bin/python -m bench [--quick | --smoke] [--out bench/results/latest.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pstats
import ssl
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import yarl

from bench import procs
from bench.paths import DirectTarget, S3Target, Target
from bench.report import Row, machine, row, table
from bench.s3client import Credentials, S3Client
from bench.scenarios import (
    MODES,
    Env,
    GatewayProcess,
    Measurement,
    Scenario,
    Sizes,
    selected,
    small_key,
)
from gateway.b2 import B2Client

LIST_BUCKET = "bench-list"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"


async def _populate_list_bucket(b2: DirectTarget, sizes: Sizes) -> None:
    keys = iter(range(sizes.list_keys))

    async def worker() -> None:
        for i in keys:
            await b2.put_small(LIST_BUCKET, small_key(i), b"x")

    await asyncio.gather(*(worker() for _ in range(16)))


async def _warm_up(targets: list[Target], sizes: Sizes) -> None:
    """One PUT and GET per path first: bucket caches and connection pools are filled, so the
    scenarios (and their B2 calls per operation) show the steady state."""
    for target in targets:
        bucket = f"bench-{target.name}"
        await target.put_small(bucket, "warm-up", bytes(sizes.small_bytes))
        await target.get(bucket, "warm-up")
        await target.list(LIST_BUCKET)


@dataclass(frozen=True)
class Paths:
    """The targets of one run: plain HTTP, HTTPS (null and gateway over TLS, direct as is), and a
    gateway process kept fresh for the gateway-only (memory) scenario."""

    plain: list[Target]
    https: list[Target]
    fresh_gateway: Target
    fresh_gateway_process: GatewayProcess

    def for_scenario(self, scenario: Scenario) -> list[Target]:
        if scenario.gateway_only:
            return [self.fresh_gateway]
        return self.https if scenario.https else self.plain


async def _run_scenarios(
    scenarios: tuple[Scenario, ...],
    paths: Paths,
    counters: procs.EmulatorCounters,
    sizes: Sizes,
    log: bool,
) -> list[Row]:
    """Every scenario on every path in turn, ``sizes.repeats`` rounds, keeping each path's best
    round (the one least disturbed by other load) and that round's B2 calls. Gateway-only
    scenarios run once: their gateway must not have served anything before."""
    rows = []
    for scenario in scenarios:
        measured: dict[str, Measurement] = {}
        calls: dict[str, dict[str, int]] = {}
        cpu: dict[str, float] = {}
        for _ in range(1 if scenario.gateway_only else sizes.repeats):
            for target in paths.for_scenario(scenario):
                bucket = f"bench-{target.name}"
                env = Env(bucket, LIST_BUCKET, sizes, paths.fresh_gateway_process)
                await counters.reset()
                pid = target.server_pid
                cpu_before = 0.0 if pid is None else procs.cpu_seconds(pid)
                result = await scenario.run(target, env)
                cpu_used = 0.0 if pid is None else procs.cpu_seconds(pid) - cpu_before
                counted = await counters.read()
                if log:
                    value = f"{result.value:10.2f} {scenario.unit}"
                    print(f"  {scenario.name:<22} {target.name:<8} {value}")
                best = measured.get(target.name)
                if best is None or result.value > best.value:
                    measured[target.name], calls[target.name] = result, counted
                    if pid is not None:
                        cpu[target.name] = cpu_used
        rows.append(row(scenario, measured, calls, cpu))
    return rows


@dataclass(frozen=True)
class Servers:
    emulator: procs.Server
    null: procs.Server
    gateway: procs.Server
    fresh_gateway: procs.Server


def _start_servers(stack: ExitStack, profile: Path | None) -> Servers:
    """Each server in its own process, stopped when ``stack`` closes."""
    scratch = Path(stack.enter_context(procs.scratch_dir()))

    def started(server: procs.Server) -> procs.Server:
        stack.callback(server.stop)
        return server

    emulator = started(procs.start_emulator())
    gateway = started(procs.start_gateway(emulator, str(scratch / "gateway"), profile))
    fresh = started(procs.start_gateway(emulator, str(scratch / "fresh")))
    null = started(procs.start_null_proxy(emulator, scratch / "gateway" / "tls"))
    return Servers(emulator, null, gateway, fresh)


def _paths(http: aiohttp.ClientSession, direct: DirectTarget, servers: Servers) -> Paths:
    creds = Credentials(
        servers.emulator.values["B2_APPLICATION_KEY_ID"],
        servers.emulator.values["B2_APPLICATION_KEY"],
    )
    ca = ssl.create_default_context(cafile=servers.gateway.values["AWS_CA_BUNDLE"])

    def s3(server: procs.Server, url: str, tls: ssl.SSLContext | None = None) -> S3Target:
        name = "gateway" if server.name == "gateway" else "null"
        return S3Target(name, S3Client(http, url, creds, tls), server.pid)

    null, gateway = servers.null.values, servers.gateway.values
    fresh = yarl.URL(servers.fresh_gateway.values["AWS_ENDPOINT_URL"])
    assert fresh.host is not None
    assert fresh.port is not None
    return Paths(
        plain=[
            direct,
            s3(servers.null, null["NULL_PROXY_URL"]),
            s3(servers.gateway, gateway["AWS_ENDPOINT_URL"]),
        ],
        https=[
            direct,
            s3(servers.null, null["NULL_PROXY_URL_HTTPS"], ca),
            s3(servers.gateway, gateway["AWS_ENDPOINT_URL_HTTPS"], ca),
        ],
        fresh_gateway=s3(servers.fresh_gateway, servers.fresh_gateway.values["AWS_ENDPOINT_URL"]),
        fresh_gateway_process=GatewayProcess(servers.fresh_gateway.pid, fresh.host, fresh.port),
    )


async def run(
    mode: str, *, only: set[str] | None = None, profile: Path | None = None, log: bool = True
) -> dict[str, object]:
    """Run the scenarios (``only`` those and what they need); ``profile``: the main gateway
    runs under cProfile and writes its stats there (its numbers are then not comparable)."""
    sizes = MODES[mode]
    scenarios = selected(only)
    info = machine(mode, sizes)
    with ExitStack() as stack:
        servers = _start_servers(stack, profile)
        emulator = servers.emulator.values
        realm = emulator["B2_ENVIRONMENT"]
        key_id, key = emulator["B2_APPLICATION_KEY_ID"], emulator["B2_APPLICATION_KEY"]
        timeout = aiohttp.ClientTimeout(total=None)
        async with (
            aiohttp.ClientSession(auto_decompress=False, timeout=timeout) as http,
            B2Client(realm, key_id, key, session=http) as b2,
        ):
            direct = DirectTarget(b2)
            paths = _paths(http, direct, servers)
            for name in (LIST_BUCKET, *(f"bench-{t.name}" for t in paths.plain)):
                await b2.create_bucket(name)
            await _populate_list_bucket(direct, sizes)
            await _warm_up([*paths.plain, *paths.https[1:], paths.fresh_gateway], sizes)
            counters = procs.EmulatorCounters(http, realm)
            rows = await _run_scenarios(scenarios, paths, counters, sizes, log)
    return {"machine": info, "scenarios": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="smaller sizes (under 2 minutes)")
    sizes.add_argument("--smoke", action="store_true", help="tiny sizes: checks the harness")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument(
        "--only", help="comma-separated scenario names (plus the ones they read from)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="run the gateway under cProfile, write its stats to FILE and print the top entries "
        "(the gateway's numbers are then distorted; --out defaults to a scratch file)",
    )
    args = parser.parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    only = None if args.only is None else {n.strip() for n in args.only.split(",") if n.strip()}
    if args.profile is not None and args.out == DEFAULT_OUT:
        args.out = args.profile.with_suffix(".json")
    result = asyncio.run(run(mode, only=only, profile=args.profile))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(table(result["scenarios"]))  # type: ignore[arg-type]
    print(f"\nwritten: {args.out}")
    if args.profile is not None:
        print(f"\ngateway profile ({args.profile}), top by own time:")
        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
