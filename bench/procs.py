"""The benchmark's server processes: emulator, null proxy and gateway, each in its own process
so each one's CPU is its own; plus a peak-RSS sampler for the gateway."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

START_TIMEOUT_SECONDS = 30.0


@dataclass
class Server:
    """A child process that printed ``NAME=value`` lines once it was ready."""

    name: str
    process: subprocess.Popen[str]
    values: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def start(name: str, args: list[str], wanted: str, env: Mapping[str, str] | None = None) -> Server:
    """Run ``python args...`` and read its stdout until the line ``wanted=...`` appears."""
    process = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # access logs would only cost the pipe
        text=True,
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).resolve().parent.parent,
    )
    server = Server(name, process)
    assert process.stdout is not None
    while wanted not in server.values:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"{name} exited before printing {wanted} (rc {process.poll()})")
        if "=" in line and not line.startswith("#"):
            key, _, value = line.strip().partition("=")
            server.values[key] = value
    return server


def start_emulator() -> Server:
    return start(
        "emulator",
        ["-m", "gateway", "emulator", "--in-memory", "--faults", "--port", "0"],
        "B2_ENVIRONMENT",
    )


def start_null_proxy(emulator: Server, tls_dir: Path) -> Server:
    """The null proxy, also on HTTPS with the certificate the gateway made in ``tls_dir``."""
    v = emulator.values
    args = ["-m", "bench.null_proxy", v["B2_ENVIRONMENT"]]
    args += [v["B2_APPLICATION_KEY_ID"], v["B2_APPLICATION_KEY"]]
    args += [str(tls_dir / "cert.pem"), str(tls_dir / "key.pem")]
    return start("null", args, "NULL_PROXY_URL_HTTPS")


def start_gateway(emulator: Server, data_dir: str, profile: Path | None = None) -> Server:
    """``s3-b2-gateway serve`` on free HTTP and HTTPS ports (self-signed certificate in
    ``data_dir/tls``), its B2 settings pointing at the emulator; with ``profile``, under
    cProfile (the stats are written there when it stops)."""
    env = {
        key: emulator.values[key]
        for key in ("B2_APPLICATION_KEY_ID", "B2_APPLICATION_KEY", "B2_ENVIRONMENT")
    }
    args = ["-m", "gateway", "serve", "--port", "0", "--tls", "--tls-port", "0"]
    args += ["--data-dir", data_dir]
    if profile is not None:
        args = ["-m", "cProfile", "-o", str(profile), *args]
    return start("gateway", args, "AWS_CA_BUNDLE", env)


class EmulatorCounters:
    """The emulator's per-call counters (served because it runs with ``--faults``)."""

    def __init__(self, session: aiohttp.ClientSession, emulator_url: str) -> None:
        self._session = session
        self._url = f"{emulator_url}/_emulator/counters"

    async def reset(self) -> None:
        async with self._session.delete(self._url) as response:
            response.raise_for_status()

    async def read(self) -> dict[str, int]:
        async with self._session.get(self._url) as response:
            response.raise_for_status()
            counts: dict[str, int] = await response.json()
        return {name: n for name, n in counts.items() if n}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class PeakRss:
    """Samples a process's resident set every ``interval`` seconds while in use."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self._pid = pid
        self._interval = interval
        self.idle = rss_bytes(pid)
        self.peak = self.idle
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_bytes(self._pid))
            await asyncio.sleep(self._interval)

    async def __aenter__(self) -> PeakRss:
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.peak = max(self.peak, rss_bytes(self._pid))

    @property
    def above_idle(self) -> int:
        return self.peak - self.idle


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="s3-b2-bench-")
