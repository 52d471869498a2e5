"""A real ``s3-b2-gateway serve`` subprocess (embedded emulator) and a hand-driven streaming PUT,
so a test can pause an upload mid-body, signal the server and watch what happens."""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

BIN = Path(sys.executable).parent
MiB = 1024 * 1024


@dataclass
class Served:
    process: subprocess.Popen[str]
    settings: dict[str, str]
    metrics_url: str

    @property
    def endpoint(self) -> str:
        return self.settings["AWS_ENDPOINT_URL"]

    def s3(self) -> object:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.settings["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.settings["AWS_SECRET_ACCESS_KEY"],
            region_name=self.settings["AWS_DEFAULT_REGION"],
            config=Config(retries={"max_attempts": 1}),
        )

    def readiness(self) -> int:
        try:
            with urllib.request.urlopen(f"{self.metrics_url}/health/ready", timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as refused:
            return refused.code

    def wait_until_unready(self, limit: float = 60) -> int:
        """Poll readiness until it is not 200 (the server is polled, so a short sleep)."""
        deadline = time.monotonic() + limit
        while (status := self.readiness()) == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        return status

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def wait(self) -> int:
        try:
            return self.process.wait(timeout=120)
        finally:
            assert self.process.stdout is not None
            self.process.stdout.close()


def clean_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "B2_", "GATEWAY_"))}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


def serve(data_dir: Path, *extra: str) -> Served:
    """Start ``serve`` on free ports and read the settings it prints."""
    with (data_dir / "serve.log").open("a") as log:
        process = subprocess.Popen(
            [
                str(BIN / "s3-b2-gateway"),
                "serve",
                "--port=0",
                "--metrics-port=0",
                f"--data-dir={data_dir}",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=clean_environment(),
        )
    assert process.stdout is not None
    settings: dict[str, str] = {}
    metrics_url = ""
    for line in process.stdout:
        if line.startswith("# metrics:"):
            metrics_url = line.split()[-1].removesuffix("/metrics")
        elif line.startswith("# try"):
            return Served(process, settings, metrics_url)
        elif not line.startswith("#"):
            name, _, value = line.strip().partition("=")
            settings[name] = value
    process.wait(timeout=30)
    raise AssertionError(f"serve ended early: {(data_dir / 'serve.log').read_text()}")


@contextmanager
def restarted(data_dir: Path) -> Iterator[Served]:
    """``serve`` again on the same data directory (the same embedded B2 data and key)."""
    again = serve(data_dir)
    try:
        yield again
    finally:
        again.terminate()
        assert again.wait() == 0


def blocks(total: int, block: int = MiB) -> Iterator[bytes]:
    """``total`` bytes of distinct-looking data, one block at a time (never all in memory)."""
    seed = os.urandom(block)
    for index, start in enumerate(range(0, total, block)):
        piece = index.to_bytes(8, "big") + seed[8:]
        yield piece[: min(block, total - start)]


class StreamingPut:
    """A SigV4 (UNSIGNED-PAYLOAD) PutObject whose body the test sends piece by piece."""

    def __init__(self, served: Served, bucket: str, key: str, length: int) -> None:
        url = f"{served.endpoint}/{bucket}/{key}"
        request = AWSRequest(
            "PUT",
            url,
            headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD", "Content-Length": str(length)},
        )
        credentials = Credentials(
            served.settings["AWS_ACCESS_KEY_ID"], served.settings["AWS_SECRET_ACCESS_KEY"]
        )
        SigV4Auth(credentials, "s3", served.settings["AWS_DEFAULT_REGION"]).add_auth(request)
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.netloc, timeout=120)
        self.connection.putrequest("PUT", parts.path, skip_accept_encoding=True)
        for name, value in request.headers.items():
            self.connection.putheader(name, value)
        self.connection.endheaders()
        self.sent = hashlib.sha256()

    def send(self, pieces: Iterator[bytes], count: int | None = None) -> None:
        for index, piece in enumerate(pieces):
            self.connection.send(piece)
            self.sent.update(piece)
            if count is not None and index + 1 == count:
                return

    def response(self) -> http.client.HTTPResponse:
        return self.connection.getresponse()
