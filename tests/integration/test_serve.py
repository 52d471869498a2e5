"""``s3-b2-gateway serve`` as a user runs it: embedded emulator, printed settings, the aws CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

BIN = Path(sys.executable).parent
BUCKET = "serve-test-bucket"


@dataclass
class Served:
    process: subprocess.Popen[str]
    settings: dict[str, str]
    comments: list[str]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        finally:
            assert self.process.stdout is not None
            self.process.stdout.close()


def _clean_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "B2_", "GATEWAY_"))}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


def _serve(data_dir: Path) -> Served:
    with (data_dir / "serve.log").open("a") as log:
        process = _start(data_dir, log)
    assert process.stdout is not None
    settings: dict[str, str] = {}
    comments: list[str] = []
    for line in process.stdout:
        if line.startswith("#"):
            comments.append(line.strip())
            if line.startswith("# try"):
                break
        else:
            name, _, value = line.strip().partition("=")
            settings[name] = value
    else:
        process.wait(timeout=30)
        process.stdout.close()
        raise AssertionError(f"serve ended early: {(data_dir / 'serve.log').read_text()}")
    return Served(process, settings, comments)


def _start(data_dir: Path, log: IO[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(BIN / "s3-b2-gateway"),
            "serve",
            "--port",
            "0",
            "--tls",
            "--tls-port",
            "0",
            "--metrics-port",
            "0",
            "--data-dir",
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=_clean_environment(),
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    running = _serve(tmp_path)
    yield running, tmp_path
    if running.process.poll() is None:
        running.stop()


def _aws(settings: dict[str, str], *args: str, https: bool = False) -> str:
    env = {**_clean_environment(), **settings}
    if https:
        env["AWS_ENDPOINT_URL"] = settings["AWS_ENDPOINT_URL_HTTPS"]
    result = subprocess.run(
        [str(BIN / "aws"), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.compat
@pytest.mark.timeout(240)
def test_serve_embedded_prints_settings_and_works_with_aws_cli(
    served: tuple[Served, Path],
) -> None:
    running, data_dir = served
    settings = running.settings
    assert settings["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert not settings["AWS_ENDPOINT_URL"].endswith(":0")
    assert settings["AWS_ENDPOINT_URL_HTTPS"].startswith("https://127.0.0.1:")
    assert Path(settings["AWS_CA_BUNDLE"]).is_file()
    assert settings["AWS_ACCESS_KEY_ID"]
    assert settings["AWS_SECRET_ACCESS_KEY"]
    assert any(c.startswith("# try") and "aws s3" in c for c in running.comments)

    upload = data_dir / "upload.bin"
    upload.write_bytes(os.urandom(200_000))
    _aws(settings, "s3", "mb", f"s3://{BUCKET}")
    _aws(settings, "s3", "cp", str(upload), f"s3://{BUCKET}/dir/file name+1.bin")
    _aws(settings, "s3", "cp", str(upload), f"s3://{BUCKET}/over-https.bin", https=True)
    assert BUCKET in _aws(settings, "s3", "ls")
    listing = _aws(settings, "s3", "ls", "--recursive", f"s3://{BUCKET}/")
    assert "dir/file name+1.bin" in listing
    assert "over-https.bin" in listing
    download = data_dir / "download.bin"
    _aws(settings, "s3", "cp", f"s3://{BUCKET}/dir/file name+1.bin", str(download))
    assert download.read_bytes() == upload.read_bytes()
    _aws(settings, "s3", "cp", f"s3://{BUCKET}/over-https.bin", str(download), https=True)
    assert download.read_bytes() == upload.read_bytes()
    _aws(settings, "s3", "rm", f"s3://{BUCKET}/over-https.bin")
    assert "over-https.bin" not in _aws(settings, "s3", "ls", "--recursive", f"s3://{BUCKET}/")

    metrics_url = next(c for c in running.comments if c.startswith("# metrics:")).split()[-1]
    with urllib.request.urlopen(metrics_url, timeout=10) as response:
        scraped = response.read().decode()
    assert 's3_requests_total{operation="PutObject",status="200"} 2.0' in scraped
    assert 'operation="DeleteObject"' in scraped
    ready = metrics_url.replace("/metrics", "/health/ready")
    with urllib.request.urlopen(ready, timeout=10) as response:
        assert response.status == 200
    assert running.stop() == 0

    again = _serve(data_dir)
    try:
        assert again.settings["AWS_ACCESS_KEY_ID"] == settings["AWS_ACCESS_KEY_ID"]
        assert again.settings["AWS_SECRET_ACCESS_KEY"] == settings["AWS_SECRET_ACCESS_KEY"]
        assert again.settings["AWS_CA_BUNDLE"] == settings["AWS_CA_BUNDLE"]
        _aws(again.settings, "s3", "cp", f"s3://{BUCKET}/dir/file name+1.bin", str(download))
        assert download.read_bytes() == upload.read_bytes()
    finally:
        assert again.stop() == 0
