"""The compatibility tier: real client programs against ``s3-b2-gateway serve`` on real ports.

Each test module starts its own ``serve`` subprocess (embedded emulator, HTTP + HTTPS with the
self-signed certificate it prints). A missing client program is a failure, never a skip: CI
(``.ci/run``) installs every one of them. Each scenario records the steps it passed and the
client version it saw; at the end of the run ``tests/compat/matrix.md`` is rewritten from them
(the README's compatibility table is copied from that file).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import boto3
import pytest
from botocore.config import Config

from tests.compat.matrix import MatrixRow, write_matrix

BIN = Path(sys.executable).parent
VHOST_DOMAIN = "s3.localhost"
BIG_SIZE = 50 * 1024 * 1024  # goes multipart in every client (thresholds lowered where needed)
MANY_KEYS = 1050  # more than one 1000-key listing page
# Keys that trip naive signing, URL encoding and listing code.
AWKWARD_KEYS = ("dir one/a file.txt", "plus+sign/a+b=c.txt", "unicode/żółw-日本-ü.txt")


@dataclass(frozen=True)
class Served:
    """One running ``serve``: its endpoints and the key pair it printed."""

    http_url: str
    https_url: str
    ca_bundle: Path
    access_key: str
    secret_key: str
    region: str

    @property
    def http_port(self) -> int:
        return int(self.http_url.rsplit(":", 1)[1])

    @property
    def https_port(self) -> int:
        return int(self.https_url.rsplit(":", 1)[1])

    def environment(self, *, https: bool = True) -> dict[str, str]:
        """A clean environment (nothing from the machine's AWS_*) pointing AWS tools here."""
        env = clean_environment()
        env.update(
            AWS_ACCESS_KEY_ID=self.access_key,
            AWS_SECRET_ACCESS_KEY=self.secret_key,
            AWS_DEFAULT_REGION=self.region,
            AWS_ENDPOINT_URL=self.https_url if https else self.http_url,
        )
        if https:
            env["AWS_CA_BUNDLE"] = str(self.ca_bundle)
        return env

    def fetch(self, url: str) -> bytes:
        """GET ``url`` with a plain HTTP client (as a browser or curl would a presigned URL)."""
        context = ssl.create_default_context(cafile=str(self.ca_bundle))
        with urllib.request.urlopen(url, timeout=60, context=context) as response:
            body: bytes = response.read()
            return body

    def etag(self, bucket: str, key: str) -> str:
        """The ETag S3 reports, asked through boto3 (checks behind a client's back)."""
        client = self.boto3(https=False)
        try:
            etag: str = client.head_object(Bucket=bucket, Key=key)["ETag"]
            return etag
        finally:
            client.close()

    def boto3(self, *, https: bool = True, **config: Any) -> Any:
        """A plain boto3 client used to set up and check state behind the client under test."""
        return boto3.client(
            "s3",
            endpoint_url=self.https_url if https else self.http_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            verify=str(self.ca_bundle) if https else None,
            config=Config(s3={"addressing_style": "path"}, max_pool_connections=16, **config),
        )


def clean_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "B2_", "GATEWAY_"))}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


def _start_serve(data_dir: Path, log: IO[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(BIN / "s3-b2-gateway"),
            "serve",
            "--port",
            "0",
            "--tls",
            "--tls-port",
            "0",
            "--data-dir",
            str(data_dir),
            "--base-domain",
            VHOST_DOMAIN,
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=clean_environment(),
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``s3-b2-gateway serve`` with its embedded emulator, for the whole test module."""
    data_dir = tmp_path_factory.mktemp("serve")
    log_path = data_dir / "serve.log"
    with log_path.open("a") as log:
        process = _start_serve(data_dir, log)
    assert process.stdout is not None
    settings: dict[str, str] = {}
    for line in process.stdout:
        if line.startswith("# try"):
            break
        if not line.startswith("#"):
            name, _, value = line.strip().partition("=")
            settings[name] = value
    else:
        process.wait(timeout=30)
        raise AssertionError(f"serve ended early: {log_path.read_text()}")
    try:
        yield Served(
            http_url=settings["AWS_ENDPOINT_URL"],
            https_url=settings["AWS_ENDPOINT_URL_HTTPS"],
            ca_bundle=Path(settings["AWS_CA_BUNDLE"]),
            access_key=settings["AWS_ACCESS_KEY_ID"],
            secret_key=settings["AWS_SECRET_ACCESS_KEY"],
            region=settings["AWS_DEFAULT_REGION"],
        )
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        process.stdout.close()
        assert code == 0, log_path.read_text()[-4000:]


def require_program(name: str) -> str:
    """The path of a client program: the test extras' own (the venv's bin) first, then PATH.
    Missing means failing: CI installs every one."""
    path = str(BIN / name) if (BIN / name).exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; .ci/run installs it", pytrace=False)
    return path


def run(
    args: list[str],
    env: dict[str, str],
    *,
    cwd: Path | None = None,
    stdin: Path | None = None,
    timeout: float = 180,
) -> str:
    """Run a client command (``stdin``: a file piped in); its failure output is the assertion
    message."""
    with stdin.open("rb") if stdin is not None else open(os.devnull, "rb") as source:
        result = subprocess.run(
            args,
            env=env,
            cwd=cwd,
            stdin=source,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    stdout, stderr = (result.stdout.decode("utf-8", "replace"),
                      result.stderr.decode("utf-8", "replace"))  # fmt: skip
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\n{stdout[-3000:]}\n{stderr[-5000:]}"
    )
    return stdout


def run_bytes(args: list[str], env: dict[str, str], *, timeout: float = 180) -> bytes:
    """Run a client command that writes binary data to stdout."""
    result = subprocess.run(args, env=env, capture_output=True, timeout=timeout, check=False)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")[-5000:]
    return result.stdout


# --- test data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BigFile:
    path: Path
    sha256: str
    md5: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture(scope="session")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> BigFile:
    """50 MB of random bytes, written once per run."""
    path = tmp_path_factory.mktemp("data") / "big.bin"
    sha256, md5 = hashlib.sha256(), hashlib.md5()
    with path.open("wb") as f:
        for _ in range(BIG_SIZE // (1024 * 1024)):
            chunk = os.urandom(1024 * 1024)
            sha256.update(chunk)
            md5.update(chunk)
            f.write(chunk)
    return BigFile(path, sha256.hexdigest(), md5.hexdigest())


def write_tree(root: Path) -> Path:
    """A small directory tree with the awkward names, nested folders and assorted sizes."""
    files = {key: key.encode() * 3 for key in AWKWARD_KEYS}
    files.update({"top.txt": b"top", "a/b/c/deep.bin": os.urandom(70_000), "empty.txt": b""})
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return root


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root``."""
    return {str(p.relative_to(root)): sha256_of(p) for p in sorted(root.rglob("*")) if p.is_file()}


def multipart_etag(path: Path, part_size: int) -> str:
    """The quoted S3 ETag of ``path`` uploaded in ``part_size`` parts: md5 of the part md5s."""
    digests = []
    with path.open("rb") as f:
        while part := f.read(part_size):
            digests.append(hashlib.md5(part).digest())
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


def many_key_names(prefix: str) -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(MANY_KEYS)]


def put_many_keys(served: Served, bucket: str, prefix: str) -> list[str]:
    """More than a listing page of tiny keys, put through boto3 in parallel (setup only)."""
    client = served.boto3(https=False)
    names = many_key_names(prefix)
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda k: client.put_object(Bucket=bucket, Key=k, Body=k.encode()), names))
    client.close()
    return names


# --- the matrix ------------------------------------------------------------------------------


@dataclass
class Scenario:
    """The steps of one client's scenario that passed, in order."""

    client: str
    version: str
    transport: str
    passed: list[str] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        yield
        self.passed.append(name)


_RESULTS: list[MatrixRow] = []


@pytest.fixture
def scenario(request: pytest.FixtureRequest) -> Iterator[Any]:
    """``scenario(client, version, transport)`` -> a Scenario whose passed steps are recorded
    for the matrix when the test passes."""
    made: list[Scenario] = []

    def make(client: str, version: str, transport: str) -> Scenario:
        made.append(Scenario(client, version, transport))
        return made[-1]

    yield make
    report = getattr(request.node, "compat_call_report", None)
    if report is not None and report.passed:
        _RESULTS.extend(MatrixRow(s.client, s.version, s.transport, tuple(s.passed)) for s in made)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.compat_call_report = report  # type: ignore[attr-defined]
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _RESULTS:
        write_matrix(Path(__file__).parent / "matrix.md", _RESULTS)
